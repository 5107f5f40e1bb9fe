from assessments.models.actions import ActionItemReminder
from assessments.models.alerts import Alert, AlertAction, AlertDelivery, DigestDelivery, Reminder
from assessments.models.assessments import (
    ActionItem,
    Answer,
    Assessment,
    AssessmentRevision,
    PartnerSnapshot,
)
from assessments.models.cases import Case, CaseDelivery, CaseEvent
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
    "Assessment",
    "AssessmentRevision",
    "Case",
    "CaseDelivery",
    "CaseEvent",
    "CheckupNudge",
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
]
