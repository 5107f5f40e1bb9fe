from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from assessments.selectors.snapshots import latest_scored_period, snapshots_for_period


@login_required
def home(request):
    period = latest_scored_period()
    rows = snapshots_for_period(user=request.user, period=period) if period else []
    return render(request, "home.html", {"period": period, "rows": rows})
