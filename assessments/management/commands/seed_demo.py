from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.services.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed

FLAG = "--i-know-this-is-not-production"


class Command(BaseCommand):
    help = "Create the demo portfolio (idempotent): partners, 8 quarters of check-ups, users."

    def add_arguments(self, parser):
        parser.add_argument(
            FLAG,
            action="store_true",
            dest="not_production",
            help="Seed even with DEBUG off. The demo creates a superuser whose password is published.",
        )

    def handle(self, *args, **options):
        # The demo's accounts share a published password, one of them a superuser: never on a real site.
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                f"seed_demo creates accounts with a published password, so it runs only with DEBUG=1 (or {FLAG})."
            )
        result = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo portfolio ready: {result['partners']} partners, "
                f"{result['checkups_imported']} check-ups imported this run."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<6} {first} {last} ({role.label})")
