from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (webhooks, Slack, Teams)"

    def ready(self) -> None:
        from assessments.services import outbox
        from assessments.signals import case_changed, checkup_submitted, survey_responded
        from integrations import mail, receivers

        # Deliveries are recorded in the transaction that sends the signal.
        case_changed.connect(receivers.on_case_changed, dispatch_uid="integrations_case_changed")
        checkup_submitted.connect(receivers.on_checkup_submitted, dispatch_uid="integrations_checkup_submitted")
        survey_responded.connect(receivers.on_survey_responded, dispatch_uid="integrations_survey_responded")
        # The owner's "endpoint disabled" e-mail goes through the e-mail outbox like every other.
        outbox.outbox_kind_register(mail.OUTBOX_KIND)
