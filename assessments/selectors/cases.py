"""Reads for cases: the scoped inbox with its filters and counts, a case's page, the partner page's part.

Scoping comes from ``assessments.selectors.access``: an account manager sees
the cases of partners she owns, leadership all, so anyone else's case is a 404.
A snooze that has run out reads as its earlier state here at once; the
periodic ``cases_wake`` writes it down later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from assessments.models import Alert, Case, CaseEvent, Partner, PartnerSnapshot, Period
from assessments.roles import Role
from assessments.selectors.access import is_leadership, partner_editable_by, partners_visible_to
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
    return Case.objects.filter(partner__in=partners_visible_to(user))


def case_assignable_to(*, case: Case, user) -> bool:
    """A case may be given to an active owner of its partner or anyone active in leadership."""
    if not user.is_active:
        return False
    if Partner.objects.filter(pk=case.partner_id, owners=user).exists():
        return True
    return user.groups.filter(name=Role.LEADERSHIP.value).exists()


def people_for_cases() -> list:
    """Account managers and leadership, for the owner/assignee filter and the assign menus."""
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name__in=[Role.ACCOUNT_MANAGER.value, Role.LEADERSHIP.value])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


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


def case_inbox(*, user, filters: InboxFilters, today: dt.date | None = None) -> QuerySet[Case]:
    """The cases a user may see, filtered and sorted; one query per page, whatever the number of cases."""
    today = today or timezone.localdate()
    cases = _filtered(user=user, filters=filters, today=today)
    if filters.state != ALL:
        cases = cases.filter(current=filters.state)
    return (
        cases.annotate(severity_rank=_severity_sql())
        .select_related("partner", "assignee", "opened_period", "last_finding_period")
        .prefetch_related(Prefetch("partner__owners", queryset=get_user_model().objects.order_by("first_name")))
        .order_by(*_ORDER.get(filters.sort, _ORDER[Sort.WORST]), "id")
    )


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


def case_detail(*, user, case_id: int) -> Case:
    """One case through the user's scope (Case.DoesNotExist otherwise)."""
    return (
        cases_visible_to(user)
        .select_related(
            "partner",
            "assignee",
            "acknowledged_by",
            "resolved_by",
            "opened_period",
            "episode_period",
            "last_finding_period",
            "resolved_period",
        )
        .get(pk=case_id)
    )


def case_page(*, user, case_id: int, today: dt.date | None = None, quarters: int = 8) -> CasePage:
    """Everything the case page shows, in a fixed number of queries (Case.DoesNotExist when out of scope)."""
    today = today or timezone.localdate()
    case = case_detail(user=user, case_id=case_id)
    findings = list(case.findings.select_related("period"))
    # Newest quarter first; within a quarter the worst first.
    findings.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    events = list(case.events.select_related("user", "assignee", "alert__period").order_by("-at", "-id"))
    owners = list(case.partner.owners.order_by("first_name", "last_name", "username"))
    health = list(
        PartnerSnapshot.objects.filter(partner_id=case.partner_id)
        .select_related("period")
        .order_by("-period__year", "-period__quarter")[:quarters]
    )[::-1]
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
