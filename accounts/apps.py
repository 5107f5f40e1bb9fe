from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Authentication concerns: session lifetime, session revocation, auth event logging."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from accounts import signals

        signals.connect()
