"""Period, due-date and week boundaries in local time, across daylight-saving changes (time-machine).

Each case is chosen so that deciding by the UTC date instead of the local date
gives the wrong answer: the boundary falls within the hours where the two differ.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.timezone import localdate

from assessments.models import Alert, Checkup, DigestDelivery, Reminder
from assessments.periods import current_quarter
from assessments.selectors.digest import digest_summary
from assessments.services.digest import digest_queue
from assessments.services.schedule import checkups_open, reminders_queue
from assessments.tests.alerting import leader, manager
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(tz: ZoneInfo, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


def _reminders() -> list[str]:
    return sorted(Reminder.objects.values_list("kind", flat=True))


def test_the_quarter_turns_at_local_midnight_not_at_utc_midnight(settings, rubric_version):
    settings.TIME_ZONE = "Europe/Berlin"
    PartnerFactory(name="Oakline", owners=[manager("ana")])

    # 23:59 on 31 March in Berlin is 21:59 UTC: still Q1 everywhere.
    with time_machine.travel(local(BERLIN, 2026, 3, 31, 23, 59), tick=False):
        assert current_quarter(today=localdate()).code == "2026-Q1"
        checkups_open()
    # 00:00:30 on 1 April in Berlin is still 31 March in UTC: Q2 has begun here.
    with time_machine.travel(local(BERLIN, 2026, 4, 1, 0, 0, 30), tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 3, 31)
        assert current_quarter(today=localdate()).code == "2026-Q2"
        checkups_open()
        checkups_open()

    assert sorted(Checkup.objects.values_list("period__code", flat=True)) == ["2026-Q1", "2026-Q2"]


def test_a_check_up_due_on_the_day_summer_time_ends_is_overdue_from_local_midnight(settings, rubric_version):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.CHECKUP_GRACE_DAYS = 25  # Q3 ends 30 September: due 25 October, the day clocks go back
    leader("lena")
    ana = manager("ana")
    period = PeriodFactory.of("2026-Q3")
    assert period.due_on == dt.date(2026, 10, 25)
    CheckupFactory(partner=PartnerFactory(owners=[ana]), period=period, rater=ana)

    with time_machine.travel(local(BERLIN, 2026, 10, 24, 23, 59, 30), tick=False):
        reminders_queue()
    assert _reminders() == ["due_soon"]
    # 00:00:30 CEST on 25 October is 22:00:30 UTC on the 24th.
    with time_machine.travel(local(BERLIN, 2026, 10, 25, 0, 0, 30), tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 10, 24)
        reminders_queue()
    assert _reminders() == ["due_soon", "overdue"]
    # The 25th has 25 hours; at 02:30 the wall clock shows it twice. Nothing happens twice.
    for fold in (0, 1):
        with time_machine.travel(dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=fold), tick=False):
            reminders_queue()
    assert _reminders() == ["due_soon", "overdue"]
    # Escalation 14 days overdue: from local midnight on 8 November (CET, 23:00 UTC on the 7th).
    with time_machine.travel(local(BERLIN, 2026, 11, 7, 23, 59, 30), tick=False):
        reminders_queue()
    assert _reminders() == ["due_soon", "overdue"]
    with time_machine.travel(local(BERLIN, 2026, 11, 8, 0, 0, 30), tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 11, 7)
        reminders_queue()
    assert _reminders() == ["due_soon", "escalation", "overdue"]


def test_west_of_utc_a_check_up_is_not_overdue_while_it_is_still_the_day_before_locally(settings, rubric_version):
    settings.TIME_ZONE = "America/New_York"
    settings.CHECKUP_GRACE_DAYS = 67  # Q4 2025 ends 31 December: due 8 March, the day clocks go forward
    ana = manager("ana")
    period = PeriodFactory.of("2025-Q4")
    assert period.due_on == dt.date(2026, 3, 8)
    CheckupFactory(partner=PartnerFactory(owners=[ana]), period=period, rater=ana)

    # 23:59:30 EST on 7 March is already 8 March in UTC.
    with time_machine.travel(local(NEW_YORK, 2026, 3, 7, 23, 59, 30), tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 3, 8)
        reminders_queue()
    assert _reminders() == ["due_soon"]
    # 03:30 EDT on the 8th, an hour that skipped 02:00-03:00.
    with time_machine.travel(local(NEW_YORK, 2026, 3, 8, 3, 30), tick=False):
        reminders_queue()
    assert _reminders() == ["due_soon", "overdue"]


def test_the_weekly_digest_week_runs_from_local_monday_to_monday_across_the_clock_change(settings, items):
    settings.TIME_ZONE = "Europe/Berlin"
    lena = leader("lena")
    partner = PartnerFactory(name="Oakline", owners=[manager("ana")])
    period = PeriodFactory.of("2026-Q3")

    def alert_at(moment: dt.datetime, rule: str) -> None:
        with time_machine.travel(moment, tick=False):
            Alert.objects.create(partner=partner, period=period, rule=rule, severity="warning", explanation=rule)

    alert_at(local(BERLIN, 2026, 10, 19, 0, 5), "first_minutes_of_the_week")
    alert_at(local(BERLIN, 2026, 10, 25, 23, 30), "last_hour_of_the_long_sunday")
    alert_at(local(BERLIN, 2026, 10, 26, 0, 10), "next_week")  # 23:10 UTC on Sunday the 25th
    alert_at(local(BERLIN, 2026, 10, 18, 23, 50), "previous_week")

    with time_machine.travel(local(BERLIN, 2026, 10, 26, 0, 0, 30), tick=False):
        assert digest_queue() == 1
        summary = digest_summary(week_starting=dt.date(2026, 10, 26))

    assert sorted(a.rule for a in summary["new_alerts"]) == [
        "first_minutes_of_the_week",
        "last_hour_of_the_long_sunday",
    ]
    assert (summary["week_from"], summary["week_to"]) == (dt.date(2026, 10, 19), dt.date(2026, 10, 25))
    assert list(DigestDelivery.objects.values_list("week_starting", "recipient")) == [(dt.date(2026, 10, 26), lena.pk)]
