"""Builders shared by the alert, schedule, task and reliability tests: partners with a scored history."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from importlib import import_module

from django.apps import apps as django_apps
from django.db import transaction
from django.utils import timezone

from assessments.models import Alert, AlertDelivery, CaseDelivery, Partner, PartnerSnapshot, Reminder, RubricVersion
from assessments.periods import Quarter
from assessments.services.alerts import alert_recipients, partner_evaluate
from assessments.services.outbox import message_id
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory, answers_for, submitted_checkup

# Six steady quarters at 4 ("good") give a baseline of 75. DECLINING slips, then
# collapses to 2 ("weak"): health 25, a decline deepening from a quarter already
# well below baseline, confirmed critical (health, band and rubrics) in the
# collapse's quarter. A collapse alone, however deep, waits a quarter.
STEADY = {"rating": 4}
CRASH = {"rating": 2}
# Half the items one point down: about 13 points below baseline for two
# quarters, a warning (not critical).
SLIP = {
    "rating": 4,
    "characteristics__quality": 3,
    "characteristics__flexibility": 3,
    "characteristics__trust": 3,
    "traits__caring": 3,
    "traits__homework": 3,
    "traits__attention": 3,
    "traits__proactivity": 3,
}


def ensure_rubric_v1() -> None:
    """Reload the rubric data migration's rows if an earlier transactional test's flush removed them.

    (Serialized rollback cannot restore them here: the flush re-runs post_migrate,
    which recreates the role groups, and restoring the serialized groups then clashes.)
    """
    if not RubricVersion.objects.exists():
        import_module("assessments.migrations.0002_rubric_v1").load_v1(django_apps, None)


def history(
    *,
    items: dict,
    partner: Partner,
    raters: Sequence,
    levels: Sequence[dict],
    last: Quarter,
    submitted: bool = True,
) -> list[str]:
    """Submitted check-ups by every rater for ``len(levels)`` quarters ending with ``last``; snapshots recomputed."""
    quarters = last.window(len(levels))
    pairs = set()
    for quarter, level in zip(quarters, levels, strict=True):
        period = PeriodFactory(quarter_value=quarter)
        for rater in raters:
            answers = answers_for(items, **level)
            submitted_checkup(items=items, answers=answers, partner=partner, period=period, rater=rater)
        pairs.add((partner.id, period.id))
    with transaction.atomic():
        snapshots_recompute(pairs=pairs)
    return [q.code for q in quarters]


def leader(username: str = "lena", **kwargs):
    return UserFactory(username=username, first_name=kwargs.pop("first_name", "Lena"), role="leadership", **kwargs)


def manager(username: str, **kwargs):
    return UserFactory(username=username, role="account_manager", **kwargs)


def partner_with_history(
    *, items: dict, name: str, owners: Sequence, levels: Sequence[dict], last: Quarter, **kwargs
) -> Partner:
    partner = PartnerFactory(name=name, owners=list(owners), **kwargs)
    history(items=items, partner=partner, raters=owners, levels=levels, last=last)
    return partner


DECLINING = [STEADY] * 6 + [SLIP, CRASH]
SLIPPING = [STEADY] * 6 + [SLIP] * 2
STABLE = [STEADY] * 8
# One quarter half a point down on the mean of the ratings (about 3 times a steady rater's noise):
# a dip, never more than a watch (nor is a one-quarter collapse).
ONE_DIP = [STEADY] * 6 + [SLIP, STEADY]


def evaluate_before_cases(partner: Partner, **kwargs) -> list[AlertDelivery]:
    """Evaluate, then leave the partner's news as it was queued before cases existed.

    Per-alert e-mails (``AlertDelivery``) are no longer written, but rows queued
    before the upgrade are still sent, grouped per recipient, partner and quarter:
    these rows stand for them. The evaluation's case e-mails are removed.
    """
    partner_evaluate(partner_id=partner.id, **kwargs)
    CaseDelivery.objects.filter(case__partner=partner).delete()
    latest = snapshot_codes(partner)[-1]
    rows = [
        AlertDelivery(alert=alert, recipient=user, next_attempt_at=timezone.now())
        for alert in Alert.objects.filter(partner=partner, period__code=latest).order_by("id")
        for user in alert_recipients(partner=partner, severity=alert.severity)
    ]
    return AlertDelivery.objects.bulk_create(rows)


def snapshot_codes(partner: Partner) -> list[str]:
    return list(
        PartnerSnapshot.objects.filter(partner=partner)
        .order_by("period__year", "period__quarter")
        .values_list("period__code", flat=True)
    )


def assert_every_row_emailed_once(message_ids: list[str]) -> Counter:
    """Every outbox row went out in exactly one of the received e-mails, and no e-mail twice.

    A recipient's alert deliveries for one partner and quarter share one e-mail (its Message-ID
    is one of theirs); every case e-mail and every reminder is an e-mail of its own. Returns e-mails per username.
    """
    received = set(message_ids)
    assert len(received) == len(message_ids), "no e-mail was received twice"
    groups: dict[tuple, set[str]] = defaultdict(set)
    usernames: dict[tuple, str] = {}
    for delivery in CaseDelivery.objects.select_related("recipient"):
        key = ("case", delivery.pk)
        groups[key].add(message_id(delivery))
        usernames[key] = delivery.recipient.username
    for delivery in AlertDelivery.objects.select_related("alert", "recipient"):
        key = ("alert", delivery.recipient_id, delivery.alert.partner_id, delivery.alert.period_id)
        groups[key].add(message_id(delivery))
        usernames[key] = delivery.recipient.username
    for reminder in Reminder.objects.select_related("recipient"):
        key = ("reminder", reminder.pk)
        groups[key].add(message_id(reminder))
        usernames[key] = reminder.recipient.username
    for key, ids in groups.items():
        assert len(ids & received) == 1, f"{key}: {len(ids & received)} e-mails instead of one"
    assert len(received) == len(groups), "no e-mail that no row asked for"
    return Counter(usernames.values())
