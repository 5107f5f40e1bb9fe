import json

from django.core.management.base import BaseCommand, CommandError

from assessments.selectors.alerts import alert_records
from assessments.selectors.cases import finding_cases
from assessments.services.alerts import trends_scan


class Command(BaseCommand):
    help = (
        "Run decline detection over every active partner (the same code as the periodic scan): "
        "record alerts for each partner's latest quarter and queue their e-mails. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-periods",
            action="store_true",
            help="Replay the stored history quarter by quarter, as if scanned at each quarter's close. "
            "Alerts for earlier quarters are recorded but not e-mailed.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print every alert that exists after the scan, one JSON object per line, with its case "
            "(id and state; null for a watch finding).",
        )

    def handle(self, *args, all_periods=False, json=False, **options):
        report = trends_scan(all_periods=all_periods)
        summary = (
            f"Scanned {report.partners} partners: {report.alerts_created} new alerts, "
            f"{report.alerts_raised} raised, {report.deliveries_created} e-mails queued, "
            f"{report.checkups_evaluated} check-ups marked evaluated."
        )
        if json:
            cases = finding_cases()
            for record in alert_records():
                case, state = cases.get((record["partner"], record["period"], record["rule"]), (None, None))
                self.stdout.write(_dumps({**record, "case": case, "case_state": state}))
            # Keep stdout pure JSON lines; the summary goes to stderr.
            self.stderr.write(summary)
        else:
            self.stdout.write(self.style.SUCCESS(summary))
        if report.failures:
            raise CommandError(f"Evaluation failed for partner ids {', '.join(report.failures)}; see the log.")


def _dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)
