from assessments.models.alerts import Alert, AlertAction, AlertDelivery, DigestDelivery, Reminder
from assessments.models.assessments import (
    ActionItem,
    Answer,
    Assessment,
    AssessmentRevision,
    PartnerSnapshot,
)
from assessments.models.partners import Engagement, Interaction, Partner, Period
from assessments.models.rubrics import Rubric, RubricItem, RubricVersion, RubricVersionFrozen

__all__ = [
    "ActionItem",
    "Alert",
    "AlertAction",
    "AlertDelivery",
    "Answer",
    "Assessment",
    "AssessmentRevision",
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
