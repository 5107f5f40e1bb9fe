from django.core.management.base import BaseCommand

from assessments.services.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Create the demo portfolio (idempotent): partners, 8 quarters of check-ups, users."

    def handle(self, *args, **options):
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
