from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from assessments.selectors.access import is_account_manager, is_leadership


@login_required
def home(request):
    """Send each role to its own start page."""
    if is_account_manager(request.user):
        return redirect("my_checkups")
    if is_leadership(request.user):
        return redirect("dashboard")
    return redirect("partner_list")
