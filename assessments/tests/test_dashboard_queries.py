"""The dashboard costs the same number of queries at 10 partners and at 200 (004 at 10,000)."""

import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Alert, Partner, PartnerSnapshot
from assessments.periods import Quarter
from assessments.scoring import BandThresholds
from assessments.selectors.rubrics import rubric_version_current
from assessments.tests.factories import PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "",
    "?declining=on&sort=-characteristics.trust",
    "?segment=developing&band=watch&q=Partner&sort=-change&page=2",
    # A quarter older than STALE_AFTER_QUARTERS: the page also reads its partners' latest quarters (stale).
    "?period=2025-Q1&sort=name",
]


def seed(count: int) -> None:
    """``count`` partners with 8 quarters of snapshots, two owners each, and some alerts; one in ten
    was last scored in 2026-Q1, so is stale (listed after the scored rows of the default quarter)."""
    managers = [UserFactory(username=f"am{n}", role="account_manager") for n in range(6)]
    quarters = Quarter(2026, 3).window(8)
    periods = [PeriodFactory(quarter_value=q) for q in quarters]
    version = rubric_version_current()
    segments = itertools.cycle(["strategic", "developing", "developing", "regular"])
    partners = Partner.objects.bulk_create(
        Partner(name=f"Partner {n:04d}", segment=next(segments), annual_revenue=1000 * (n + 1)) for n in range(count)
    )
    Partner.owners.through.objects.bulk_create(
        Partner.owners.through(partner_id=p.id, user_id=managers[(i + k) % 6].id)
        for i, p in enumerate(partners)
        for k in range(2)
    )
    snapshots = []
    for i, partner in enumerate(partners):
        previous = None
        for q, period in enumerate(periods):
            if i % 10 == 9 and q > 5:
                break
            health = float(40 + (i * 7 + q * (i % 5 - 2) * 3) % 60)
            snapshots.append(
                PartnerSnapshot(
                    partner=partner, period=period, rubric_version=version, health=health,
                    band=BandThresholds().band_for(health).value,
                    health_delta=None if previous is None else health - previous,
                    rubric_scores={"symptoms": 90.0}, item_means={"characteristics.trust": 1 + (i % 5)},
                    item_spread={}, contributions={}, rater_count=2, disagreement=0,
                    # A third of the partners have rated us (the perception gap and its tile).
                    partner_view=(
                        {"health": float(90 - q * (i % 4) * 3), "band": "healthy", "rubric_scores": {},
                         "item_means": {}, "responses": 1}
                        if i % 3 == 0 else None
                    ),
                )
            )
            previous = health
    PartnerSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    Alert.objects.bulk_create(
        Alert(partner=p, period=periods[-1], rule="health_decline", severity="warning", explanation="x")
        for p in partners[::7]
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("query", PAGES)
def test_the_dashboard_runs_the_same_number_of_queries_at_10_and_at_200_partners(client, query, time_machine):
    # Frozen clock: the session middleware stamps "last seen" at most once a minute, which would
    # otherwise add a write to whichever request happens to cross the minute.
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    lena = UserFactory(username="lena", role="leadership")
    client.force_login(lena)
    url = f"{reverse('dashboard')}{query}"

    seed(10)
    client.get(url)  # the first request after logging in stamps the session; not the page's own cost
    cache.clear()
    small_cold, small_warm = queries_for(client, url), queries_for(client, url)

    # A partner with history cannot be deleted (docs/AUDIT.md): its alerts and snapshots go first.
    Alert.objects.all().delete()
    PartnerSnapshot.objects.all().delete()
    Partner.objects.all().delete()
    seed(200)
    cache.clear()
    large_cold, large_warm = queries_for(client, url), queries_for(client, url)

    assert (small_cold, small_warm) == (large_cold, large_warm)
    # The cached roll-up spares the tile queries once warm.
    assert large_warm < large_cold


def test_the_export_reads_in_chunks_not_a_query_per_row(client):
    client.force_login(UserFactory(username="lena", role="leadership"))
    seed(200)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard_export"))
        lines = b"".join(response.streaming_content).splitlines()
    assert len(lines) == 201
    assert len(captured.captured_queries) < 15
