"""Reads for cases: the scoped inbox with its filters and counts, a case's page, the partner page's part.

Scoping comes from ``assessments.selectors.access``: an account manager sees
the cases of partners she owns, leadership all, so anyone else's case is a 404.
A snooze that has run out reads as its earlier state here at once; the
periodic ``cases_wake`` writes it down later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from assessments.display import person_name
from assessments.models import Alert, Case, CaseEvent, Partner, PartnerSnapshot, Period
from assessments.roles import Role
from assessments.selectors.access import is_leadership, partner_editable_by, partner_ids_owned_by
from assessments.selectors.alerts import alert_numbers
from assessments.selectors.case_plan import CasePlan, case_plan
from assessments.trends import worst_first
from assessments.vocabulary import Severity

State = Case.State
PAGE_SIZE = 25
ALL = "all"
STATE_CHOICES = (*State.values, ALL)


class Sort:
    WORST = "worst"
    NEWEST = "newest"
    OLDEST = "oldest"
    CHANGED = "changed"
    PARTNER = "partner"
    CHOICES = (
        (WORST, "Worst first"),
        (NEWEST, "Newest first"),
        (OLDEST, "Oldest first"),
        (CHANGED, "Recently changed"),
        (PARTNER, "Partner name"),
    )


# --- scope ------------------------------------------------------------------


def cases_visible_to(user) -> QuerySet[Case]:
    """The cases of the partners the user may see (the rule of ``partners_visible_to``)."""
    if is_leadership(user):
        return Case.objects.all()
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(partner_id__in=partner_ids_owned_by(user))


def case_assignable_to(*, case: Case, user) -> bool:
    """A case may be given to an active owner of its partner or anyone active in leadership."""
    if not user.is_active:
        return False
    if Partner.objects.filter(pk=case.partner_id, owners=user).exists():
        return True
    return user.groups.filter(name=Role.LEADERSHIP.value).exists()


class Person(NamedTuple):
    """Someone in the inbox's menus, as a row: hundreds of them on every view, no user object each."""

    pk: int
    username: str
    first_name: str
    last_name: str


def people_for_cases() -> list[Person]:
    """Active account managers and leadership, for the owner/assignee filter and the bulk assign menu."""
    User = get_user_model()
    members = User.groups.through.objects.filter(group__name__in=[Role.ACCOUNT_MANAGER.value, Role.LEADERSHIP.value])
    rows = (
        User.objects.filter(is_active=True, pk__in=members.values("user_id"))
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    return [Person(*row) for row in rows]


def opened_periods() -> list[str]:
    """The quarters some case was opened in, newest first, for the 'quarter opened' filter."""
    return list(
        Period.objects.filter(pk__in=Case.objects.values("opened_period"))
        .order_by("-year", "-quarter")
        .values_list("code", flat=True)
    )


# --- the inbox ----------------------------------------------------------------


def current_state_sql(today: dt.date) -> SqlCase:
    """``Case.current_state`` in SQL: a snooze that ran out reads as the state before it."""
    return SqlCase(
        When(state=State.SNOOZED, snoozed_until__lt=today, then=F("state_before_snooze")),
        default=F("state"),
        output_field=CharField(),
    )


def in_state(state: str, today: dt.date) -> Q:
    """``current_state_sql(today) == state`` as plain conditions, which PostgreSQL can estimate.

    Filtering on the CASE expression itself, it guessed 5 rows of 486 and chose nested loops
    that cost the leadership inbox 3 ms at 1,000 cases (bench/cases.py).
    """
    ran_out = Q(state=State.SNOOZED, snoozed_until__lt=today)
    return (Q(state=state) & ~ran_out) | (ran_out & Q(state_before_snooze=state))


def _severity_sql() -> SqlCase:
    return SqlCase(
        *(When(severity=s.value, then=Value(Severity(s.value).rank)) for s in Severity),
        default=Value(-1),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class InboxFilters:
    state: str = State.OPEN
    severity: str = ""
    person: int | None = None  # owner of the partner, or assignee
    segment: str = ""
    kind: str = ""
    opened: str = ""  # quarter code
    q: str = ""
    mine: bool = False  # assigned to me
    sort: str = Sort.WORST


def _filtered(*, user, filters: InboxFilters, today: dt.date) -> QuerySet[Case]:
    cases = cases_visible_to(user).annotate(current=current_state_sql(today))
    if filters.severity:
        cases = cases.filter(severity=filters.severity)
    if filters.person:
        cases = cases.filter(
            Q(assignee_id=filters.person) | Q(partner__in=Partner.objects.filter(owners=filters.person))
        )
    if filters.segment:
        cases = cases.filter(partner__segment=filters.segment)
    if filters.kind:
        cases = cases.filter(partner__kind=filters.kind)
    if filters.opened:
        cases = cases.filter(opened_period__code=filters.opened)
    if filters.q:
        cases = cases.filter(partner__name__icontains=filters.q)
    if filters.mine:
        cases = cases.filter(assignee=user)
    return cases


_ORDER = {
    Sort.WORST: ("-severity_rank", "-last_finding_period__year", "-last_finding_period__quarter", "partner__name"),
    Sort.NEWEST: ("-opened_period__year", "-opened_period__quarter", "-opened_at", "-id"),
    Sort.OLDEST: ("opened_period__year", "opened_period__quarter", "opened_at", "id"),
    Sort.CHANGED: ("-changed_at", "-id"),
    Sort.PARTNER: ("partner__name", "-id"),
}


# What a row of the inbox shows (templates/cases/list.html and _state.html); anything else would be
# read case by case, so a new column adds its field here.
_ROW_FIELDS = (
    "id",
    "partner_id",
    "partner__name",
    "severity",
    "state",
    "snoozed_until",
    "state_before_snooze",
    "resolution",
    "opened_period_id",
    "opened_period__code",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def case_inbox(*, user, filters: InboxFilters, today: dt.date | None = None) -> QuerySet[Case]:
    """The cases a user may see, filtered and sorted; one query per page, whatever the number of cases.

    Give the page's cases to ``inbox_rows`` for their owners' names.
    """
    today = today or timezone.localdate()
    cases = _filtered(user=user, filters=filters, today=today)
    if filters.state != ALL:
        cases = cases.filter(in_state(filters.state, today))
    return (
        cases.annotate(severity_rank=_severity_sql())
        .select_related("partner", "assignee", "opened_period")
        .only(*_ROW_FIELDS)
        .order_by(*_ORDER.get(filters.sort, _ORDER[Sort.WORST]), "id")
    )


def inbox_rows(cases: Iterable[Case]) -> list[Case]:
    """One page of the inbox, each case with ``owner_names``: its partner's owners, in one query of names.

    Names rather than prefetched users: 2 ms less per page at 10,000 partners (bench/cases.py).
    """
    cases = list(cases)
    if not cases:
        return cases
    names: dict[int, list[str]] = defaultdict(list)
    rows = (
        Partner.owners.through.objects.filter(partner_id__in={case.partner_id for case in cases})
        .order_by("user__first_name", "user__last_name", "user__username")
        .values_list("partner_id", "user_id", "user__username", "user__first_name", "user__last_name")
    )
    for partner_id, *person in rows:
        names[partner_id].append(person_name(Person(*person)))
    for case in cases:
        case.owner_names = names[case.partner_id]
    return cases


def case_state_counts(*, user, filters: InboxFilters, today: dt.date | None = None) -> dict[str, int]:
    """How many cases are in each state under the other filters, in one query."""
    today = today or timezone.localdate()
    rows = _filtered(user=user, filters=filters, today=today).order_by().values("current").annotate(n=Count("id"))
    counts = dict.fromkeys(State.values, 0)
    counts.update({row["current"]: row["n"] for row in rows})
    counts[ALL] = sum(counts[s] for s in State.values)
    return counts


def false_alarms_by_rule() -> list[tuple[str, int]]:
    """Cases resolved as a false alarm, counted once per rule among their findings, most first (leadership)."""
    rows = (
        Alert.objects.filter(case__resolution=Case.Resolution.FALSE_ALARM, case__isnull=False)
        .values("rule")
        .annotate(cases=Count("case", distinct=True))
        .order_by("-cases", "rule")
    )
    return [(row["rule"], row["cases"]) for row in rows]


# --- one case -----------------------------------------------------------------


@dataclass(frozen=True)
class CasePage:
    case: Case
    state: str
    owners: list
    findings: list[Alert]
    events: list[CaseEvent]
    health: list[PartnerSnapshot]
    people: list = field(default_factory=list)
    plan: CasePlan = field(default_factory=CasePlan)

    @property
    def can_acknowledge(self) -> bool:
        return self.state in (State.OPEN, State.SNOOZED)

    @property
    def is_resolved(self) -> bool:
        return self.state == State.RESOLVED

    @property
    def latest_health(self) -> PartnerSnapshot | None:
        return self.health[-1] if self.health else None

    @property
    def resolution(self) -> CaseEvent | None:
        """The latest resolution's event (its note says why, and which linked items recovered)."""
        if not self.is_resolved:
            return None
        return next((e for e in self.events if e.kind == CaseEvent.Kind.RESOLVED), None)


_CASE_QUARTERS = ("opened_period", "episode_period", "last_finding_period", "resolved_period")


def case_detail(*, user, case_id: int, periods: dict[int, Period] | None = None) -> Case:
    """One case through the user's scope (Case.DoesNotExist otherwise), with its partner, people and quarters.

    The quarters come from ``periods`` (every quarter by id) or one small query,
    not from four more joins: with eight joins and the LIMIT that ``.get()``
    adds, PostgreSQL spent 6-10 ms planning this 0.1 ms read (bench/cases.py).
    """
    found = list(
        cases_visible_to(user)
        .filter(pk=case_id)
        .select_related("partner", "assignee", "acknowledged_by", "resolved_by")
        .order_by()
    )
    if not found:
        raise Case.DoesNotExist(f"No case {case_id} in this user's scope.")
    case = found[0]
    if periods is None:
        periods = Period.objects.in_bulk({getattr(case, f"{name}_id") for name in _CASE_QUARTERS} - {None})
    for name in _CASE_QUARTERS:
        key = getattr(case, f"{name}_id")
        setattr(case, name, None if key is None else periods[key])
    return case


def case_page(*, user, case_id: int, today: dt.date | None = None, quarters: int = 8) -> CasePage:
    """Everything the case page shows, in a fixed number of queries (Case.DoesNotExist when out of scope).

    Every quarter is read once (a few dozen rows) and attached to the case, its
    findings, events and snapshots, instead of being joined into each query.
    """
    today = today or timezone.localdate()
    periods = Period.objects.in_bulk()
    case = case_detail(user=user, case_id=case_id, periods=periods)
    findings = list(case.findings.all())
    for alert in findings:
        alert.period = periods[alert.period_id]
    # Newest quarter first; within a quarter the worst first.
    findings.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    events = list(case.events.select_related("user", "assignee").order_by("-at", "-id"))
    # An event's finding is one of the case's findings, already read (an older one, moved since, is read here).
    by_id = {alert.pk: alert for alert in findings}
    missing = {e.alert_id for e in events if e.alert_id is not None and e.alert_id not in by_id}
    if missing:
        by_id.update(Alert.objects.in_bulk(missing))
    for event in events:
        if event.alert_id is not None:
            event.alert = by_id[event.alert_id]
            event.alert.period = periods[event.alert.period_id]
    owners = list(case.partner.owners.order_by("first_name", "last_name", "username"))
    # One snapshot per quarter: the partner's whole series is short, and sorting it here needs no join.
    series = list(PartnerSnapshot.objects.filter(partner_id=case.partner_id))
    for snapshot in series:
        snapshot.period = periods[snapshot.period_id]
    series.sort(key=lambda s: (s.period.year, s.period.quarter))
    health = series[-quarters:]
    people = owners + [u for u in _leaders_list() if u.pk not in {o.pk for o in owners}]
    can_edit = partner_editable_by(user, owner_ids={o.pk for o in owners})
    return CasePage(
        case=case,
        state=case.current_state(today),
        owners=owners,
        findings=findings,
        events=events,
        health=health,
        people=[p for p in people if p.is_active],
        plan=case_plan(case=case, user=user, can_edit=can_edit, today=today),
    )


def _leaders_list() -> list:
    User = get_user_model()
    return list(User.objects.filter(groups__name=Role.LEADERSHIP.value).order_by("first_name", "username"))


# --- the partner page ----------------------------------------------------------


def case_for_partner(*, user, partner_id: int) -> Case | None:
    """The partner's unresolved case, else its latest resolved one; None if it never had one."""
    return (
        cases_visible_to(user)
        .filter(partner_id=partner_id)
        .select_related("assignee", "opened_period", "episode_period", "resolved_period")
        .order_by(
            SqlCase(When(state=State.RESOLVED, then=Value(1)), default=Value(0), output_field=IntegerField()),
            "-changed_at",
            "-id",
        )
        .first()
    )


def case_unresolved(*, partner_id: int) -> Case | None:
    """The partner's unresolved case, if it has one (at most one: a database constraint)."""
    return (
        Case.objects.filter(partner_id=partner_id).exclude(state=State.RESOLVED).select_related("opened_period").first()
    )


def on_watch(alerts: list[Alert], *, latest_period: str | None) -> list[Alert]:
    """Watch findings of the partner's latest scored quarter, from alerts already loaded (no query)."""
    if latest_period is None:
        return []
    return [a for a in alerts if a.severity == Severity.WATCH and a.period.code == latest_period]


# --- scan_trends --json and the digest ---------------------------------------


def finding_cases(*, today: dt.date | None = None) -> dict[tuple[str, str, str], tuple[int | None, str | None]]:
    """(partner name, quarter, rule) -> (case id, case state) for every finding; (None, None) for a watch."""
    today = today or timezone.localdate()
    rows = Alert.objects.values_list(
        "partner__name",
        "period__code",
        "rule",
        "case_id",
        "case__state",
        "case__snoozed_until",
        "case__state_before_snooze",
    )
    index = {}
    for partner, period, rule, case_id, state, until, before in rows:
        if case_id is not None and state == State.SNOOZED and until is not None and until < today:
            state = before or State.OPEN
        index[(partner, period, rule)] = (case_id, state)
    return index


def digest_cases(*, start: dt.datetime, end: dt.datetime) -> dict:
    """The week's cases for the leadership digest: opened or reopened, what people did, what resolved."""
    events = list(
        CaseEvent.objects.filter(at__gte=start, at__lt=end)
        .exclude(kind__in=[CaseEvent.Kind.JOINED, CaseEvent.Kind.FINDING_RAISED])
        .select_related("case__partner", "user", "assignee")
        .order_by("at", "id")
    )
    opened = [e for e in events if e.kind in (CaseEvent.Kind.OPENED, CaseEvent.Kind.REOPENED)]
    escalated = [e for e in events if e.kind == CaseEvent.Kind.ESCALATED]
    resolved = [e for e in events if e.kind == CaseEvent.Kind.RESOLVED]
    handled = [
        e for e in events if e.kind in (CaseEvent.Kind.ACKNOWLEDGED, CaseEvent.Kind.SNOOZED, CaseEvent.Kind.ASSIGNED)
    ]
    unresolved = Case.objects.exclude(state=State.RESOLVED)
    return {
        "cases_opened": opened,
        "cases_escalated": escalated,
        "cases_resolved": resolved,
        "cases_handled": handled,
        "cases_unresolved_count": unresolved.count(),
        "cases_critical_count": unresolved.filter(severity=Severity.CRITICAL).count(),
    }


# --- what a case e-mail shows ---------------------------------------------------


def _numbers(findings: list[Alert], lead: Alert):
    """The numbers the detector stored with the lead quarter's findings (worst first), as its e-mails show them."""
    return alert_numbers(alerts=[a for a in findings if a.period_id == lead.period_id])


def case_email_context(*, case: Case, kind: str) -> dict:
    """The episode's findings (the worst of the latest quarter first), how health moved and what dropped."""
    start = case.episode_period.year * 4 + case.episode_period.quarter
    findings = [
        a for a in case.findings.select_related("period", "partner") if a.period.year * 4 + a.period.quarter >= start
    ]
    findings.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    lead = findings[0] if findings else None
    if kind == "escalated":
        lead = next((a for a in findings if a.severity == Severity.CRITICAL), lead)
    resolution = (
        case.events.filter(kind=CaseEvent.Kind.RESOLVED).select_related("user").order_by("-at", "-id").first()
        if kind == "resolved"
        else None
    )
    path = list(
        PartnerSnapshot.objects.filter(partner_id=case.partner_id)
        .select_related("period")
        .order_by("-period__year", "-period__quarter")[:4]
    )[::-1]
    return {
        "case": case,
        "partner": case.partner,
        "findings": findings,
        "lead": lead,
        "numbers": _numbers(findings, lead) if lead is not None and kind != "resolved" else None,
        # The resolution e-mail shows how health came back, from the stored snapshots.
        "path": path if kind == "resolved" or lead is None else [],
        "resolution": resolution,
    }
