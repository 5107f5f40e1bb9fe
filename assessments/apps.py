from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Partner health"

    def ready(self) -> None:
        from assessments.roles import ensure_role_groups

        # Permissions only exist after migrate, so groups are granted then.
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="assessments_roles")
