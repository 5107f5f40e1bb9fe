"""Reads for check-up completion: whose check-ups of this quarter and the last are not in yet.

A check-up is expected from every active owner of every active partner, each quarter (the rule
of the dashboard's completion tile and of the quarterly opening of check-ups). Whatever is not
submitted is listed: "not started" (no check-up yet, or one nobody has saved) or "draft". It is
overdue from its quarter's due date. The page costs the same few queries whatever the portfolio's
size: the list is filtered, ordered and paged in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Value

from assessments.display import person_name
from assessments.models import Checkup, CheckupNudge, Partner, Period
from assessments.periods import Quarter
from assessments.selectors.checkups import CheckupState

PAGE_SIZE = 100


@dataclass(frozen=True)
class QuarterInfo:
    code: str
    due_on: dt.date
    is_current: bool
    expected: int
    missing: int
    # Days since the due date; None before it.
    days_overdue: int | None

    @property
    def submitted(self) -> int:
        return self.expected - self.missing


@dataclass(frozen=True)
class MissingCheckup:
    manager_id: int
    manager_name: str
    partner_id: int
    partner_name: str
    quarter: str
    state: str
    due_on: dt.date
    days_overdue: int | None
    checkup_id: int | None
    nudged_today: bool

    @property
    def state_label(self) -> str:
        return CheckupState(self.state).label

    @property
    def overdue(self) -> bool:
        return self.days_overdue is not None


@dataclass
class ManagerGroup:
    manager_id: int
    name: str
    # Over every page and the quarters shown, not only the rows of this page.
    missing: int
    overdue: int
    rows: list[MissingCheckup] = field(default_factory=list)


@dataclass
class CompletionReport:
    today: dt.date
    quarters: list[QuarterInfo]
    # The filters as applied: "" and None show every quarter and manager.
    quarter: str
    manager_id: int | None
    managers: list[tuple[int, str]]
    groups: list[ManagerGroup]
    page: Page
    missing: int
    overdue: int


def completion_quarters(*, today: dt.date) -> list[Quarter]:
    """The quarters the page covers: the current one and the one before, newest first."""
    quarter = Quarter.containing(today)
    return [quarter, quarter.previous()]


def due_on(quarter: Quarter, periods: dict[str, Period]) -> dt.date:
    period = periods.get(quarter.code)
    return period.due_on if period else Period.fields_for(quarter)["due_on"]


def days_overdue(due: dt.date, today: dt.date) -> int | None:
    """0 on the due day (a check-up is overdue from that day, as its reminders say), None before."""
    return (today - due).days if today >= due else None


def expected_checkups(*, manager_id: int | None = None) -> QuerySet:
    """(partner, owner) pairs that owe a check-up each quarter."""
    pairs = Partner.owners.through.objects.filter(partner__is_active=True, user__is_active=True)
    return pairs.filter(user_id=manager_id) if manager_id is not None else pairs


def missing_checkups(*, quarter: Quarter, period: Period | None, manager_id: int | None = None) -> QuerySet:
    """The expected pairs without a submitted check-up for ``quarter``, with the check-up if any."""
    checkups = Checkup.objects.filter(
        partner_id=OuterRef("partner_id"), rater_id=OuterRef("user_id"), period_id=period.pk if period else None
    )
    return (
        expected_checkups(manager_id=manager_id)
        .exclude(Exists(checkups.filter(status=Checkup.Status.SUBMITTED)))
        .annotate(
            quarter_code=Value(quarter.code),
            checkup_id=Subquery(checkups.order_by().values("id")[:1]),
            # A check-up nobody has saved counts as not started, like one never opened.
            saved=Exists(checkups.filter(last_saved_at__isnull=False)),
        )
    )


ROW_FIELDS = (
    "user_id",
    "user__first_name",
    "user__last_name",
    "user__username",
    "partner_id",
    "partner__name",
    "quarter_code",
    "checkup_id",
    "saved",
)
_ORDER = ("user__first_name", "user__last_name", "user__username", "user_id", "partner__name", "quarter_code")


def checkup_completion(
    *,
    today: dt.date,
    quarter: str = "",
    manager_id: int | None = None,
    page: int | str = 1,
    managers: list[tuple[int, str]] | None = None,
) -> CompletionReport:
    """Missing and overdue check-ups of the current and the previous quarter, by account manager
    and partner, filtered by ``quarter`` (a code) and ``manager_id``; the caller validated both
    (``managers``: the ``completion_managers()`` it validated against, to read them once)."""
    quarters = completion_quarters(today=today)
    periods = {p.code: p for p in Period.objects.filter(code__in=[q.code for q in quarters])}
    shown = [q for q in quarters if not quarter or q.code == quarter]
    missing = {q.code: missing_checkups(quarter=q, period=periods.get(q.code), manager_id=manager_id) for q in shown}
    due = {q.code: due_on(q, periods) for q in quarters}
    late = {code: days_overdue(day, today) for code, day in due.items()}

    per_manager: dict[int, dict[str, int]] = {}
    for code, rows in missing.items():
        for user_id, n in rows.values("user_id").annotate(n=Count("*")).order_by().values_list("user_id", "n"):
            per_manager.setdefault(user_id, {})[code] = n
    expected = expected_checkups(manager_id=manager_id).count()
    infos = [
        QuarterInfo(
            code=q.code,
            due_on=due[q.code],
            is_current=q == quarters[0],
            expected=expected,
            missing=sum(counts.get(q.code, 0) for counts in per_manager.values()),
            days_overdue=late[q.code],
        )
        for q in shown
    ]

    querysets = [rows.values(*ROW_FIELDS) for rows in missing.values()]
    combined = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    paginator = Paginator(combined.order_by(*_ORDER), PAGE_SIZE)
    page_obj = paginator.get_page(page)
    page_rows = list(page_obj.object_list)
    nudged = set(
        CheckupNudge.objects.filter(
            checkup_id__in=[r["checkup_id"] for r in page_rows if r["checkup_id"]], nudged_on=today
        ).values_list("checkup_id", flat=True)
    )

    groups: dict[int, ManagerGroup] = {}
    for r in page_rows:
        name = display_name(r["user__first_name"], r["user__last_name"], r["user__username"])
        counts = per_manager.get(r["user_id"], {})
        group = groups.setdefault(
            r["user_id"],
            ManagerGroup(
                manager_id=r["user_id"],
                name=name,
                missing=sum(counts.values()),
                overdue=sum(n for code, n in counts.items() if late[code] is not None),
            ),
        )
        group.rows.append(
            MissingCheckup(
                manager_id=r["user_id"],
                manager_name=name,
                partner_id=r["partner_id"],
                partner_name=r["partner__name"],
                quarter=r["quarter_code"],
                state=CheckupState.DRAFT if r["saved"] else CheckupState.NOT_STARTED,
                due_on=due[r["quarter_code"]],
                days_overdue=late[r["quarter_code"]],
                checkup_id=r["checkup_id"],
                nudged_today=r["checkup_id"] in nudged,
            )
        )
    return CompletionReport(
        today=today,
        quarters=infos,
        quarter=quarter,
        manager_id=manager_id,
        managers=managers if managers is not None else completion_managers(),
        groups=list(groups.values()),
        page=page_obj,
        missing=sum(info.missing for info in infos),
        overdue=sum(info.missing for info in infos if info.days_overdue is not None),
    )


def completion_managers() -> list[tuple[int, str]]:
    """Everyone who owes check-ups: active owners of active partners, by name."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True, owned_partners__is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username", "id")
        .values_list("id", "first_name", "last_name", "username")
    )
    return [(pk, display_name(first, last, username)) for pk, first, last, username in rows]


def display_name(first: str, last: str, username: str) -> str:
    return person_name(_Person(first, last, username))


@dataclass(frozen=True)
class _Person:
    first_name: str
    last_name: str
    username: str
