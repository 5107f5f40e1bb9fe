from assessments.models.actions import ActionItemReminder
from assessments.models.alerts import Alert, AlertAction, AlertDelivery, DigestDelivery, Reminder
from assessments.models.cases import Case, CaseDelivery, CaseEvent
from assessments.models.checkups import (
    ActionItem,
    Answer,
    Checkup,
    CheckupRevision,
    PartnerSnapshot,
)
from assessments.models.mirror import Contact, SurveyInvitation, SurveyMail, SurveyResponse
from assessments.models.nudges import CheckupNudge
from assessments.models.partners import Engagement, Interaction, Partner, Period
from assessments.models.rubrics import Rubric, RubricItem, RubricVersion, RubricVersionFrozen

__all__ = [
    "ActionItem",
    "ActionItemReminder",
    "Alert",
    "AlertAction",
    "AlertDelivery",
    "Answer",
    "Case",
    "CaseDelivery",
    "CaseEvent",
    "Checkup",
    "CheckupNudge",
    "CheckupRevision",
    "Contact",
    "DigestDelivery",
    "Engagement",
    "Interaction",
    "Partner",
    "PartnerSnapshot",
    "Period",
    "Reminder",
    "Rubric",
    "RubricItem",
    "RubricVersion",
    "RubricVersionFrozen",
    "SurveyInvitation",
    "SurveyMail",
    "SurveyResponse",
]
