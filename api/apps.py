from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (docs/API.md): tokens, serializers and views over the assessments services and selectors."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from api import schema  # noqa: F401  (registers the bearer scheme with drf-spectacular)
