"""One currency (settings.CURRENCY): amounts with their symbol and thousands separators on pages and
e-mails, plain numbers under a header that names the currency in CSV, and a strict setting."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from assessments.display import money
from assessments.models import Partner
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import SLIP, STEADY, manager, partner_with_history
from assessments.tests.dashboard_data import build_portfolio
from assessments.tests.factories import EngagementFactory, PartnerFactory, UserFactory
from partnerhealth.env import env_currency


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (Decimal("9500000.00"), "EUR", "€9,500,000"),
        (1234.5, "USD", "$1,235"),
        (Decimal("0"), "GBP", "£0"),
        (12000, "CHF", "CHF\u00a012,000"),
        (-2500, "EUR", "\u2212€2,500"),
        (None, "EUR", "—"),
    ],
)
def test_money_is_written_with_its_currency_and_thousands_separators(value, currency, shown):
    assert money(value, currency) == shown


def test_the_currency_setting_takes_an_iso_code_in_any_case_and_refuses_anything_else(monkeypatch):
    monkeypatch.delenv("PH_CURRENCY", raising=False)
    assert env_currency("PH_CURRENCY", "EUR") == "EUR"
    monkeypatch.setenv("PH_CURRENCY", " usd ")
    assert env_currency("PH_CURRENCY", "EUR") == "USD"
    for wrong in ("EURO", "US$", "", "XAU"):
        monkeypatch.setenv("PH_CURRENCY", wrong)
        with pytest.raises(ImproperlyConfigured, match=r"PH_CURRENCY=.* is not an ISO 4217 currency code"):
            env_currency("PH_CURRENCY", "EUR")


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", first_name="Ana", role="account_manager")


@pytest.fixture
def partner(ana):
    partner = PartnerFactory(name="Northwind", owners=[ana], annual_revenue=Decimal("1250000"))
    EngagementFactory(partner=partner, title="Cloud move", client="Contoso", value=Decimal("84500.40"))
    return partner


def test_the_partner_page_shows_revenue_and_engagement_values_in_the_currency(client, ana, partner, settings):
    client.force_login(ana)
    page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()
    assert "€1,250,000 a year" in page
    assert "€84,500" in page
    settings.CURRENCY = "CHF"
    page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()
    assert "CHF\u00a01,250,000 a year" in page and "CHF\u00a084,500" in page


def test_a_case_email_names_the_revenue_at_stake_in_the_currency(items, settings, mailoutbox):
    settings.CURRENCY = "USD"
    ana = manager("ana", first_name="Ana")
    partner = partner_with_history(
        items=items, name="Cedar Digital", owners=[ana], levels=[STEADY] * 6 + [SLIP] * 2, last=Quarter(2026, 3)
    )
    Partner.objects.filter(pk=partner.pk).update(annual_revenue=Decimal("1250000"))
    partner_evaluate(partner_id=partner.id)
    outbox_send_due()
    (message,) = [m for m in mailoutbox if "Case opened" in m.subject]
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    assert "Annual joint revenue at stake: $1,250,000." in message.body
    assert "<strong>$1,250,000</strong>" in html


def test_the_admin_partner_list_shows_revenue_with_the_currency(client, partner):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(reverse("admin:assessments_partner_changelist")).content.decode()
    assert "€1,250,000" in page


def test_the_csv_export_keeps_plain_numbers_under_a_header_naming_the_currency(db, client, settings):
    portfolio = build_portfolio()
    settings.CURRENCY = "USD"
    client.force_login(portfolio.lena)
    raw = b"".join(client.get(reverse("dashboard_export") + "?sort=name").streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert "annual_revenue_USD" in rows[0]
    assert rows[0]["partner"] == "Alpha" and rows[0]["annual_revenue_USD"] == "1000000.00"
