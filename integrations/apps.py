from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_admin_role(**kwargs) -> None:
    """The admin role manages endpoints in the admin (after assessments set the role's other rights)."""
    from django.contrib.auth.models import Group, Permission

    from assessments.roles import Role

    group, _ = Group.objects.get_or_create(name=Role.ADMIN.value)
    codenames = [f"{action}_endpoint" for action in ("view", "add", "change", "delete")]
    codenames += ["view_delivery", "view_attempt", "view_endpointmail"]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="integrations", codename__in=codenames))


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (webhooks, Slack, Teams)"

    def ready(self) -> None:
        post_migrate.connect(grant_admin_role, sender=self, dispatch_uid="integrations_admin_role")
        from assessments.services import outbox
        from assessments.signals import case_changed, checkup_submitted, survey_responded
        from integrations import mail, receivers

        # Deliveries are recorded in the transaction that sends the signal.
        case_changed.connect(receivers.on_case_changed, dispatch_uid="integrations_case_changed")
        checkup_submitted.connect(receivers.on_checkup_submitted, dispatch_uid="integrations_checkup_submitted")
        survey_responded.connect(receivers.on_survey_responded, dispatch_uid="integrations_survey_responded")
        # The owner's "endpoint disabled" e-mail goes through the e-mail outbox like every other.
        outbox.outbox_kind_register(mail.OUTBOX_KIND)
