"""The weekly leadership digest: one outbox row per leader and week, sent by the outbox.

What it says is read when it is sent (``selectors.digest.digest_summary``);
here we only decide that it is due. The row is unique per (week, recipient),
so beat may fire this every day, twice, or after a week's outage: each leader
gets one digest per week, and a scheduler that was down for a fortnight sends
the current week's, not every missed one.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from assessments.models import DigestDelivery
from assessments.selectors.access import leadership_users
from assessments.services.dispatch import outbox_kick


def week_starting(today: dt.date) -> dt.date:
    """The Monday of ``today``'s week."""
    return today - dt.timedelta(days=today.weekday())


def digest_queue(*, now: dt.datetime | None = None) -> int:
    """Record this week's digest for every leader who has none yet; return how many were new."""
    now = now or timezone.now()
    week = week_starting(timezone.localdate(now))
    leaders = leadership_users()
    existing = set(DigestDelivery.objects.filter(week_starting=week).values_list("recipient_id", flat=True))
    missing = [leader for leader in leaders if leader.id not in existing]
    DigestDelivery.objects.bulk_create(
        [DigestDelivery(week_starting=week, recipient=leader, next_attempt_at=now) for leader in missing],
        ignore_conflicts=True,
    )
    if missing:
        outbox_kick()
    return len(missing)
