"""Writes for cases that findings cause: they open, join, escalate and resolve them.

``case_record_findings`` runs inside a partner's evaluation (services/alerts.py),
which holds the partner's row lock, right after that quarter's findings were
recorded as alerts:

* the first warning or critical finding opens a case; later ones, whatever
  their rule or quarter, join the partner's unresolved case;
* a resolved case reopens (the same case, a new episode) when the partner
  declines again within 4 quarters of its resolution; later, a new case opens;
* the case's severity is the worst finding of its episode; warning to critical
  is an escalation;
* a case resolves by itself when ``recovery.has_recovered`` says so; a
  resolution's note says which items the case's actions were linked to
  recovered and which did not (``selectors.case_plan``);
* an action agreed in a quarter the case is evaluated in while unresolved joins
  it, even one written before the case opened (the check-up that showed the
  decline) or replayed from history (docs/ACTIONS.md).

Watch findings never open or join a case. At most one unresolved case per
partner is a database constraint, so two workers that race to open one end
with one case (the loser joins it). E-mails are ``CaseDelivery`` rows written in
the same transaction: opened and resolved to the owners, escalated to
leadership, each at most once per recipient and episode. What people do to a
case (acknowledge, snooze, assign, resolve by hand) is ``services/case_triage.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.display import number, severity_label
from assessments.models import ActionItem, Alert, Case, CaseDelivery, CaseEvent, Partner, Period
from assessments.recovery import QUIET_QUARTERS, REOPEN_QUARTERS, Baseline, baseline_before, has_recovered, reopens
from assessments.roles import Role
from assessments.selectors.case_plan import case_plan
from assessments.signals import CaseChange, case_changed
from assessments.trends import SnapshotPoint, quarters_between
from assessments.vocabulary import Severity

State = Case.State
SERIOUS = (Severity.WARNING.value, Severity.CRITICAL.value)


class CaseActionError(Exception):
    """A transition that was refused; nothing was changed."""


@dataclass
class CaseOutcome:
    opened: int = 0
    reopened: int = 0
    joined: int = 0
    escalated: int = 0
    resolved: int = 0
    deliveries: int = 0
    # What listeners hear (assessments/signals.py), once the quarter's findings have joined the case.
    changes: list[tuple[Case, str]] = field(default_factory=list)


# --- recipients and e-mails ---------------------------------------------------


def _owners(partner_id: int) -> list:
    User = get_user_model()
    return list(User.objects.filter(owned_partners=partner_id, is_active=True).exclude(email="").order_by("id"))


def _leaders() -> list:
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name=Role.LEADERSHIP.value).exclude(email="").order_by("id")
    )


def _deliveries_queue(case: Case, kind: str, recipients: Iterable, *, now: dt.datetime) -> int:
    """Record one e-mail of ``kind`` per recipient for the case's episode, unless it already exists."""
    recipients = list(recipients)
    existing = set(
        CaseDelivery.objects.filter(case=case, kind=kind, episode=case.episode).values_list("recipient_id", flat=True)
    )
    missing = [user for user in recipients if user.id not in existing]
    # ignore_conflicts: the unique (case, kind, recipient, episode) keeps exactly one if a racer inserted it first.
    CaseDelivery.objects.bulk_create(
        [CaseDelivery(case=case, kind=kind, episode=case.episode, recipient=u, next_attempt_at=now) for u in missing],
        ignore_conflicts=True,
    )
    return len(missing)


def _event(case: Case, kind: str, *, at: dt.datetime, user=None, **fields) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, at=at, user=user, **fields)


def _locked(case_id: int) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("partner", "episode_period", "last_finding_period", "resolved_period")
        .get(pk=case_id)
    )


def _worst(alerts: Iterable[Alert]) -> str:
    return max((a.severity for a in alerts), key=lambda s: Severity(s).rank)


# --- findings open, join, escalate and resolve cases --------------------------


def case_record_findings(
    *,
    partner: Partner,
    period: Period,
    alerts: Sequence[Alert],
    series: Sequence[SnapshotPoint],
    notify: bool,
    now: dt.datetime | None = None,
) -> CaseOutcome:
    """Bring the partner's case up to date with one evaluated quarter (``series`` ends with ``period``).

    ``alerts`` are the findings recorded for ``period``. Runs inside the
    evaluation's transaction; ``notify`` is false for old quarters of a replay,
    whose transitions are recorded but not e-mailed.
    """
    outcome = CaseOutcome()
    now = now or timezone.now()
    serious = [a for a in alerts if a.severity in SERIOUS]
    new = [a for a in serious if a.case_id is None]
    case = _unresolved(partner.id)
    if new:
        if case is None:
            case = _case_for_decline(partner, period, new, series, notify=notify, now=now, outcome=outcome)
        _join(case, new, period, now=now, outcome=outcome)
    if case is None or case.is_resolved:
        _announce(outcome)
        return outcome
    _actions_join(case, period)
    _escalate_if_worse(case, serious, period, notify=notify, now=now, outcome=outcome)
    if not new:
        _resolve_if_recovered(case, period, series, notify=notify, now=now, outcome=outcome)
    _announce(outcome)
    return outcome


def _announce(outcome: CaseOutcome) -> None:
    # Sent inside the evaluation's transaction: a receiver's rows commit with the case.
    for case, kind in outcome.changes:
        case_changed.send(sender=Case, case=case, kind=kind)


def _unresolved(partner_id: int) -> Case | None:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("episode_period", "last_finding_period", "resolved_period")
        .filter(partner_id=partner_id)
        .exclude(state=State.RESOLVED)
        .first()
    )


def _case_for_decline(partner, period, new, series, *, notify, now, outcome) -> Case:
    latest = (
        Case.objects.select_for_update(of=("self",))
        .select_related("episode_period", "last_finding_period", "resolved_period")
        .filter(partner=partner, state=State.RESOLVED, resolved_period__isnull=False)
        .order_by("-resolved_period__year", "-resolved_period__quarter", "-id")
        .first()
    )
    if latest is not None:
        resolved_in = latest.resolved_period.code
        if quarters_between(period.code, resolved_in) > 0:
            # A finding for a quarter before the resolution (an amended old check-up): evidence of that
            # episode, which stays resolved.
            return latest
        if reopens(resolved_in=resolved_in, declined_in=period.code):
            return _reopen(latest, period, new, notify=notify, now=now, outcome=outcome)
    return _open(partner, period, new, series, notify=notify, now=now, outcome=outcome)


def _open(partner, period, new, series, *, notify, now, outcome) -> Case:
    worst = _worst(new)
    baseline = baseline_before(series)
    try:
        # A savepoint: if another worker opened this partner's case first, the constraint refuses
        # ours and we join theirs.
        with transaction.atomic():
            case = Case.objects.create(
                partner=partner,
                state=State.OPEN,
                severity=worst,
                opened_period=period,
                opened_at=now,
                episode_period=period,
                last_finding_period=period,
                baseline_health=baseline.health if baseline else None,
                baseline_noise=baseline.noise if baseline else None,
                changed_at=now,
            )
    except IntegrityError:
        existing = _unresolved(partner.id)
        if existing is None:
            raise
        return existing
    lead = min(new, key=lambda a: -Severity(a.severity).rank)
    _event(
        case,
        CaseEvent.Kind.OPENED,
        at=now,
        to_state=State.OPEN,
        severity=worst,
        alert=lead,
        note=f"First {severity_label(worst).lower()} finding, for {period.code}.",
    )
    outcome.opened += 1
    if notify:
        outcome.changes.append((case, CaseChange.OPENED))
        outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.OPENED, _owners(partner.id), now=now)
        if worst == Severity.CRITICAL:
            # Opened as critical: leadership hears of it as they would of a warning turned critical.
            outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.ESCALATED, _leaders(), now=now)
    return case


def _reopen(case: Case, period: Period, new, *, notify, now, outcome) -> Case:
    worst = _worst(new)
    resolved_in = case.resolved_period.code
    case.state = State.OPEN
    case.episode += 1
    case.episode_period = period
    case.severity = worst
    case.last_finding_period = period
    case.resolved_at = case.resolved_by = case.resolved_period = None
    case.resolution = ""
    case.acknowledged_by = case.acknowledged_at = None
    case.acknowledged_note = ""
    case.snoozed_until = None
    case.state_before_snooze = ""
    case.changed_at = now
    case.save()
    _event(
        case,
        CaseEvent.Kind.REOPENED,
        at=now,
        from_state=State.RESOLVED,
        to_state=State.OPEN,
        severity=worst,
        note=f"Declined again in {period.code}, within {REOPEN_QUARTERS} quarters of its resolution in {resolved_in}.",
    )
    outcome.reopened += 1
    if notify:
        outcome.changes.append((case, CaseChange.OPENED))
        outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.OPENED, _owners(case.partner_id), now=now)
        if worst == Severity.CRITICAL:
            outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.ESCALATED, _leaders(), now=now)
    return case


def _join(case: Case, new: Sequence[Alert], period: Period, *, now, outcome) -> None:
    Alert.objects.filter(pk__in=[a.pk for a in new], case__isnull=True).update(case=case)
    for alert in new:
        alert.case_id = case.id
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind=CaseEvent.Kind.JOINED, at=now, alert=alert, severity=alert.severity) for alert in new
    )
    outcome.joined += len(new)
    fields = ["changed_at"]
    case.changed_at = now
    if quarters_between(case.last_finding_period.code, period.code) > 0:
        case.last_finding_period = period
        fields.append("last_finding_period")
    case.save(update_fields=fields)


def _actions_join(case: Case, period: Period) -> None:
    # Agreed in a quarter while the case was unresolved: part of it. Actions added while it is
    # unresolved join at once (services.actions); this catches those agreed in the check-up that
    # opened it, and a replay's.
    ActionItem.objects.filter(partner_id=case.partner_id, case__isnull=True, period=period).update(case=case)


def _escalate_if_worse(case: Case, serious, period: Period, *, notify, now, outcome) -> None:
    # Only this episode's findings count: replaying an old quarter must not escalate a reopened case.
    if quarters_between(case.episode_period.code, period.code) < 0:
        return
    members = [a for a in serious if a.case_id == case.id]
    if not members or Severity(_worst(members)).rank <= Severity(case.severity).rank:
        return
    before, case.severity = case.severity, _worst(members)
    state = case.state
    # Worse news needs a fresh look: an acknowledged or snoozed case is open again.
    case.state = State.OPEN
    case.snoozed_until = None
    case.state_before_snooze = ""
    case.changed_at = now
    case.save(update_fields=["severity", "state", "snoozed_until", "state_before_snooze", "changed_at"])
    _event(
        case,
        CaseEvent.Kind.ESCALATED,
        at=now,
        severity=case.severity,
        from_state=state,
        to_state=State.OPEN,
        alert=max(members, key=lambda a: Severity(a.severity).rank),
        note=f"Severity rose from {severity_label(before).lower()} to {severity_label(case.severity).lower()} "
        f"in {period.code}.",
    )
    outcome.escalated += 1
    if notify:
        outcome.changes.append((case, CaseChange.ESCALATED))
    if notify and case.severity == Severity.CRITICAL:
        outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.ESCALATED, _leaders(), now=now)


def _resolve_if_recovered(case: Case, period: Period, series, *, notify, now, outcome) -> None:
    # Quarters at or before the last finding cannot be quiet ones (this also keeps a replay of old
    # quarters from resolving a case that later quarters kept open).
    if quarters_between(case.last_finding_period.code, period.code) <= 0:
        return
    baseline = (
        Baseline(case.baseline_health, case.baseline_noise)
        if case.baseline_health is not None and case.baseline_noise is not None
        else None
    )
    if not has_recovered(series, last_finding=case.last_finding_period.code, baseline=baseline):
        return
    health = series[-1].health
    note = (
        f"Recovered: health {number(health, 0)} in {period.code} is back within its noise "
        f"({number(baseline.noise, 1)}) of {number(baseline.health, 0)} before the decline, "
        if baseline
        else "Recovered: "
    ) + f"and no warning or critical finding for {QUIET_QUARTERS} quarters with data."
    _resolve(case, user=None, resolution=Case.Resolution.RECOVERED, period=period, note=note, now=now)
    outcome.resolved += 1
    if notify:
        outcome.changes.append((case, CaseChange.RESOLVED))
        outcome.deliveries += _deliveries_queue(case, CaseDelivery.Kind.RESOLVED, _owners(case.partner_id), now=now)


def _resolve(case: Case, *, user, resolution: str, period: Period, note: str, now: dt.datetime) -> None:
    # Store what the e-mail and the page show: which linked items recovered, as they stood now.
    note = "\n".join(part for part in (note, case_plan(case=case).summary) if part)
    before = case.state
    case.state = State.RESOLVED
    case.resolution = resolution
    case.resolved_at = now
    case.resolved_by = user
    case.resolved_period = period
    case.snoozed_until = None
    case.state_before_snooze = ""
    case.changed_at = now
    case.save()
    _event(
        case,
        CaseEvent.Kind.RESOLVED,
        at=now,
        user=user,
        from_state=before,
        to_state=State.RESOLVED,
        resolution=resolution,
        note=note,
    )
