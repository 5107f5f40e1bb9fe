"""Make an API token for a user and print it once: ``manage.py api_token USERNAME [--name N] [--read-only]``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.tokens import TokenError, token_create


class Command(BaseCommand):
    help = "Make an API token for a user and print it (once: only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line")
        parser.add_argument("--read-only", action="store_true", help="A token that can only read.")

    def handle(self, *args, username: str, name: str, read_only: bool, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            new = token_create(user=user, name=name, read_only=read_only)
        except TokenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(new.secret)
