"""Writes people make on cases: acknowledge, snooze, assign, resolve by hand, several at once.

Each is one transaction holding the case's row lock and recording a
``CaseEvent`` with who, when and why. A refused transition raises
``CaseActionError`` and changes nothing. A snooze is read as over the day
after its date (``Case.current_state``); ``cases_wake`` writes that down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments.display import person_name
from assessments.models import Case, CaseDelivery, CaseEvent, PartnerSnapshot
from assessments.selectors.cases import case_assignable_to, cases_visible_to
from assessments.services.cases import CaseActionError, _deliveries_queue, _event, _locked, _owners, _resolve
from assessments.services.dispatch import outbox_kick
from assessments.signals import CaseChange, case_changed

State = Case.State
MAX_SNOOZE_DAYS = 180


# --- people triage cases ------------------------------------------------------


def _refuse_if_resolved(case: Case) -> None:
    if case.is_resolved:
        raise CaseActionError(f"{case.partner.name}: this case is resolved.")


@transaction.atomic
def case_acknowledge(*, case_id: int, user, note: str = "", today: dt.date | None = None) -> Case:
    """Someone has seen the case and owns the next step; a snooze ends with it."""
    case = _locked(case_id)
    _refuse_if_resolved(case)
    if case.current_state(today) == State.ACKNOWLEDGED:
        who = person_name(case.acknowledged_by) or "someone"
        raise CaseActionError(f"{case.partner.name}: already acknowledged by {who}.")
    now = timezone.now()
    before = case.state
    case.state = State.ACKNOWLEDGED
    case.acknowledged_by = user
    case.acknowledged_at = now
    case.acknowledged_note = note.strip()
    case.snoozed_until = None
    case.state_before_snooze = ""
    case.changed_at = now
    case.save()
    _event(
        case,
        CaseEvent.Kind.ACKNOWLEDGED,
        at=now,
        user=user,
        from_state=before,
        to_state=State.ACKNOWLEDGED,
        note=case.acknowledged_note,
    )
    return case


@transaction.atomic
def case_snooze(*, case_id: int, user, until: dt.date, note: str, today: dt.date | None = None) -> Case:
    """Put a case aside until a date, for a stated reason; the day after, it is back in its earlier state."""
    today = today or timezone.localdate()
    note = note.strip()
    if until is None:
        raise CaseActionError("Choose the date the case may wait until.")
    if not note:
        raise CaseActionError("Say why this case can wait.")
    if until <= today:
        raise CaseActionError("Snooze until a date after today.")
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise CaseActionError(f"Snooze for at most {MAX_SNOOZE_DAYS} days.")
    case = _locked(case_id)
    _refuse_if_resolved(case)
    now = timezone.now()
    before = case.state
    current = case.current_state(today)
    # A snooze renewed while it runs returns, in the end, to the state before the first one.
    case.state_before_snooze = case.state_before_snooze if current == State.SNOOZED else current
    case.state = State.SNOOZED
    case.snoozed_until = until
    case.changed_at = now
    case.save()
    _event(
        case,
        CaseEvent.Kind.SNOOZED,
        at=now,
        user=user,
        from_state=before,
        to_state=State.SNOOZED,
        note=note,
        snoozed_until=until,
    )
    return case


@transaction.atomic
def case_assign(*, case_id: int, user, assignee, note: str = "") -> Case:
    """Give the case to one person: an owner of the partner or someone in leadership (or nobody)."""
    case = _locked(case_id)
    _refuse_if_resolved(case)
    if assignee is not None and not case_assignable_to(case=case, user=assignee):
        raise CaseActionError(
            f"{case.partner.name}: {person_name(assignee)} is neither an owner of this partner nor in leadership."
        )
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    now = timezone.now()
    case.assignee = assignee
    case.changed_at = now
    case.save(update_fields=["assignee", "changed_at"])
    _event(case, CaseEvent.Kind.ASSIGNED, at=now, user=user, assignee=assignee, note=note.strip())
    return case


@transaction.atomic
def case_resolve(*, case_id: int, user, resolution: str, note: str = "") -> Case:
    """Close a case by hand, with a reason; its owners are told."""
    if resolution not in Case.Resolution.values:
        raise CaseActionError("Choose why the case is resolved: recovered, partnership ended or false alarm.")
    case = _locked(case_id)
    _refuse_if_resolved(case)
    now = timezone.now()
    latest = (
        PartnerSnapshot.objects.filter(partner_id=case.partner_id)
        .select_related("period")
        .order_by("-period__year", "-period__quarter")
        .first()
    )
    period = latest.period if latest else case.last_finding_period
    _resolve(case, user=user, resolution=resolution, period=period, note=note.strip(), now=now)
    case_changed.send(sender=Case, case=case, kind=CaseChange.RESOLVED)
    if _deliveries_queue(case, CaseDelivery.Kind.RESOLVED, _owners(case.partner_id), now=now):
        outbox_kick()
    return case


def cases_wake(*, today: dt.date | None = None) -> int:
    """Return every case whose snooze has run out to its earlier state (the periodic task; reads never wait for it)."""
    today = today or timezone.localdate()
    woken = 0
    for case_id in Case.objects.filter(state=State.SNOOZED, snoozed_until__lt=today).values_list("id", flat=True):
        with transaction.atomic():
            case = _locked(case_id)
            if case.state != State.SNOOZED or case.snoozed_until is None or case.snoozed_until >= today:
                continue
            now = timezone.now()
            back = case.state_before_snooze or State.OPEN
            _event(
                case,
                CaseEvent.Kind.WOKE,
                at=now,
                from_state=State.SNOOZED,
                to_state=back,
                snoozed_until=case.snoozed_until,
                note=f"Snoozed until {case.snoozed_until:%d %b %Y}.",
            )
            case.state = back
            case.snoozed_until = None
            case.state_before_snooze = ""
            case.changed_at = now
            case.save()
            woken += 1
    return woken


# --- several cases at once ----------------------------------------------------


class BulkAction:
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    SNOOZE = "snooze"
    CHOICES = ((ACKNOWLEDGE, "Acknowledge"), (ASSIGN, "Assign"), (SNOOZE, "Snooze"))


@dataclass
class BulkResult:
    done: list[Case] = field(default_factory=list)
    # (case id, why): ids outside the user's scope are refused without saying whose they are.
    refused: list[tuple[int, str]] = field(default_factory=list)


def cases_bulk_act(
    *,
    user,
    case_ids: Sequence[int],
    action: str,
    note: str = "",
    until: dt.date | None = None,
    assignee=None,
) -> BulkResult:
    """Acknowledge, assign or snooze several cases; each one is its own transaction.

    A case the user may not act on (another manager's, or no such case) is
    refused and left untouched, and so is one the transition does not fit.
    """
    result = BulkResult()
    wanted = list(dict.fromkeys(case_ids))
    allowed = set(cases_visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
    for case_id in wanted:
        if case_id not in allowed:
            result.refused.append((case_id, f"Case {case_id}: not one of the cases you can act on."))
            continue
        try:
            if action == BulkAction.ACKNOWLEDGE:
                case = case_acknowledge(case_id=case_id, user=user, note=note)
            elif action == BulkAction.ASSIGN:
                case = case_assign(case_id=case_id, user=user, assignee=assignee, note=note)
            elif action == BulkAction.SNOOZE:
                case = case_snooze(case_id=case_id, user=user, until=until, note=note)
            else:
                raise CaseActionError(f"Unknown action {action!r}.")
        except CaseActionError as error:
            result.refused.append((case_id, str(error)))
        else:
            result.done.append(case)
    return result
