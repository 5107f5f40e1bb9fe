"""Periods live in one documented range, 2000-Q1 to 2100-Q4; every entry point says so, none fails."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Checkup, Period
from assessments.periods import FIRST_YEAR, LAST_YEAR, SUPPORTED_RANGE, PeriodError, Quarter
from assessments.services.periods import period_get_or_create, periods_get_or_create
from assessments.tests.dashboard_data import build_portfolio, snapshot
from assessments.tests.factories import PeriodFactory, UserFactory

OUTSIDE = r"is outside the periods Partner Health keeps \(2000-Q1 to 2100-Q4\)"


def test_the_supported_range_is_2000_to_2100_and_named_in_every_refusal():
    assert (FIRST_YEAR, LAST_YEAR, SUPPORTED_RANGE) == (2000, 2100, "2000-Q1 to 2100-Q4")
    assert Quarter.parse_supported("2000-Q1") == Quarter(2000, 1)
    assert Quarter.parse_supported("2100-Q4") == Quarter(2100, 4)
    for code in ("1900-Q1", "1999-Q4", "2101-Q1", "9999-Q4", "0000-Q1"):
        with pytest.raises(PeriodError, match=f"^{code} {OUTSIDE}$"):
            Quarter.parse_supported(code)
    with pytest.raises(PeriodError, match="YYYY-Qn"):
        Quarter.parse_supported("\uff12\uff10\uff12\uff16-Q1")  # full-width digits are not a period


def test_quarter_arithmetic_may_step_just_outside_the_range_without_failing():
    assert Quarter(2000, 1).previous() == Quarter(1999, 4)
    assert Quarter(2000, 2).window(8)[0] == Quarter(1998, 3)
    assert Quarter(2100, 4).ends_on == dt.date(2100, 12, 31)
    assert not Quarter(1999, 4).is_supported
    # A stored code from before the range existed still reads (and is said to be outside).
    assert Quarter.parse("1900-Q1").shift(-8) == Quarter(1898, 1)
    with pytest.raises(PeriodError, match=OUTSIDE):
        Quarter(9999, 4)


@pytest.mark.django_db
def test_a_period_outside_the_range_is_never_stored_by_a_service_or_a_form():
    with pytest.raises(PeriodError, match=f"1900-Q1 {OUTSIDE}"):
        period_get_or_create(quarter=Quarter(1900, 1))
    with pytest.raises(PeriodError, match=f"2101-Q1 {OUTSIDE}"):
        periods_get_or_create(quarters=[Quarter(2026, 1), Quarter(2101, 1)])
    assert not Period.objects.exists()

    period = Period(**Period.fields_for(Quarter(1900, 1)))
    with pytest.raises(ValidationError, match=f"1900-Q1 {OUTSIDE}"):
        period.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["1900-Q1", "0001-Q1", "9999-Q4"])
def test_an_out_of_range_past_quarter_in_the_url_is_explained_not_a_500(client, code):
    client.force_login(UserFactory(username="ana", role="account_manager"))

    response = client.get(f"{reverse('my_checkups')}?past={code}")

    assert response.status_code == 200
    assert f"Past quarters: {code} is outside the periods Partner Health keeps (2000-Q1 to 2100-Q4)." in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_the_first_supported_quarter_can_be_paged_to(client):
    client.force_login(UserFactory(username="ana", role="account_manager"))
    assert client.get(f"{reverse('my_checkups')}?past=2000-Q1").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["dashboard", "dashboard_export"])
def test_the_dashboard_and_its_export_never_fail_on_an_old_period(client, url_name):
    cache.clear()
    portfolio = build_portfolio()
    client.force_login(portfolio.lena)

    # Not stored: the picker says so and shows the default period.
    response = client.get(f"{reverse(url_name)}?period=1900-Q1")
    assert response.status_code == 200
    if url_name == "dashboard":
        assert "1900-Q1 has no scored check-ups; pick one of the listed periods." in response.content.decode()

    # Stored before the range was enforced (the import used to accept it): still no 500.
    legacy = PeriodFactory.of("1900-Q1")
    snapshot(partner=portfolio.partners["Alpha"], period=legacy, health=50, delta=None)
    cache.clear()
    response = client.get(f"{reverse(url_name)}?period=1900-Q1")
    assert response.status_code == 200


HEADER = "partner,period,rater,item,score\n"


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["1900-Q1", "9999-Q4"])
def test_an_import_with_a_period_outside_the_range_names_the_line_and_writes_nothing(tmp_path, items, code):
    path = tmp_path / "old.csv"
    rows = [f"Northwind,{code},ana@example.com,{address},4\n" for address in items]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")

    with pytest.raises(CommandError, match=f"line 2: {code} {OUTSIDE}"):
        call_command("import_assessments", str(path), "--create-missing", stdout=io.StringIO())
    assert not Checkup.objects.exists() and not Period.objects.exists()
