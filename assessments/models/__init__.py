from assessments.models.alerts import Alert, AlertDelivery, Reminder
from assessments.models.assessments import (
    ActionItem,
    Answer,
    Assessment,
    AssessmentRevision,
    PartnerSnapshot,
)
from assessments.models.partners import Engagement, Interaction, Partner, Period
from assessments.models.rubrics import Rubric, RubricItem, RubricVersion

__all__ = [
    "ActionItem",
    "Alert",
    "AlertDelivery",
    "Answer",
    "Assessment",
    "AssessmentRevision",
    "Engagement",
    "Interaction",
    "Partner",
    "PartnerSnapshot",
    "Period",
    "Reminder",
    "Rubric",
    "RubricItem",
    "RubricVersion",
]
