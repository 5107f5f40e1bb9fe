from assessments.forms.checkups import CheckupForm
from assessments.forms.interactions import InteractionForm

__all__ = ["CheckupForm", "InteractionForm"]
