"""The dashboard's CSV export neutralises the formulas the attack found, end to end."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.tests.dashboard_data import P, build_portfolio, snapshot
from assessments.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

# The five cells the attack on the running app found unneutralised.
PAYLOADS = [" =1+1", "\n=1+1", "\uff1d1+1", ";=1+1", '"=1+1']


def test_the_export_quotes_every_formula_the_attack_found(client):
    cache.clear()
    portfolio = build_portfolio()
    for index, name in enumerate(PAYLOADS):
        partner = PartnerFactory(name=name, segment="strategic", annual_revenue=10 + index)
        snapshot(partner=partner, period=portfolio.periods[P], health=90, delta=-4.5)
    client.force_login(portfolio.lena)

    response = client.get(f"{reverse('dashboard_export')}?segment=strategic&sort=revenue")
    raw = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))[1:]

    assert [row[0] for row in rows] == ["'" + name for name in PAYLOADS] + ["Alpha"]
    assert rows[0][8] == "-4.5"
