import sys
import time

from django.core.management.base import BaseCommand, CommandError

from assessments.services.imports import ImportFailed, checkups_import, text_lines


class Command(BaseCommand):
    help = (
        "Import submitted check-ups from a CSV with the columns partner,period,rater,item,score "
        "(one row per answer; score na = not applicable / don't know), and optionally comment "
        "(needed where an answer moved 2 points or more from the same rater's previous check-up). "
        "Any bad row rejects the whole file; nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8), or - for standard input")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create unknown partners, and unknown raters as accounts with no usable password",
        )

    def handle(self, *args, file, create_missing, **options):
        started = time.monotonic()
        show_progress = self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            if show_progress:
                width = 30
                filled = int(width * done / max(total, 1))
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} answers", ending="")
                self.stdout.flush()

        try:
            handle = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot open {file}: {exc.strerror}") from None
        try:
            with handle:
                result = checkups_import(lines=text_lines(handle), create_missing=create_missing, progress=progress)
        except ImportFailed as exc:
            more = f"\n... and {exc.total - len(exc.errors)} more" if exc.total > len(exc.errors) else ""
            raise CommandError(
                f"{file} was rejected; nothing was imported. {exc.total} problem(s):\n" + "\n".join(exc.errors) + more
            ) from None
        if show_progress:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rows} answers as {result.checkups} submitted check-ups; "
                f"{result.snapshots} snapshots recomputed in {elapsed:.1f}s."
            )
        )
        if result.partners_created:
            self.stdout.write(
                f"Created {len(result.partners_created)} partner(s): {', '.join(result.partners_created[:10])}"
            )
        if result.raters_created:
            self.stdout.write(f"Created {len(result.raters_created)} rater(s): {', '.join(result.raters_created[:10])}")
