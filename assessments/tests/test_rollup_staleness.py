"""The dashboard's roll-up cache with a staleness bound: stale figures are served while one
background thread rebuilds them, never past the bound, and a failed rebuild loses nothing."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from assessments.infra.rollups import rollup_read, rollups_invalidate, rollups_wait_for_refresh
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.dashboard_data import P, build_portfolio
from assessments.tests.factories import answers_for, submitted_checkup


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    rollups_wait_for_refresh()
    cache.clear()


@pytest.fixture
def bound(settings):
    settings.ROLLUP_MAX_STALENESS_SECONDS = 30
    return 30


class Builds:
    """A build function that counts its calls and returns the version it was asked for."""

    def __init__(self):
        self.calls = 0
        self.value = "v1"
        self.gate: threading.Event | None = None
        self.gates: list[threading.Event] = []
        self.entered = threading.Event()
        self.fail = False

    def __call__(self) -> str:
        self.calls += 1
        gate, value = self.gate, self.value  # what this call was started with
        if gate is not None:
            self.gates.append(gate)
            self.entered.set()
            gate.wait(10)
        if self.fail:
            raise RuntimeError("the database went away")
        return value


def read(builds: Builds, fingerprint: tuple):
    return rollup_read(name="test", parts=("p",), fingerprint=fingerprint, build=builds)


def test_a_current_entry_is_served_without_building(bound):
    builds = Builds()
    assert read(builds, ("f1",)).value == "v1"
    again = read(builds, ("f1",))
    assert (again.value, again.fresh, builds.calls) == ("v1", True, 1)


def test_a_stale_entry_is_served_at_once_and_rebuilt_in_the_background(bound):
    builds = Builds()
    read(builds, ("f1",))
    builds.value = "v2"

    stale = read(builds, ("f2",))  # a write moved the fingerprint
    assert (stale.value, stale.fresh) == ("v1", False)

    rollups_wait_for_refresh()
    assert builds.calls == 2
    current = read(builds, ("f2",))
    assert (current.value, current.fresh, builds.calls) == ("v2", True, 2)


def test_an_invalidation_makes_the_entry_stale_too(bound, db):
    builds = Builds()
    read(builds, ("f1",))
    builds.value = "v2"
    rollups_invalidate()
    assert read(builds, ("f1",)).value == "v1"
    rollups_wait_for_refresh()
    assert read(builds, ("f1",)).value == "v2"


def test_many_stale_reads_start_one_rebuild(bound):
    builds = Builds()
    read(builds, ("f1",))
    builds.gate = threading.Event()
    builds.value = "v2"

    served = [read(builds, ("f2",)).value for _ in range(20)]
    builds.gate.set()
    rollups_wait_for_refresh()

    assert served == ["v1"] * 20
    assert builds.calls == 2


def test_past_the_bound_the_request_rebuilds_itself(bound, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    builds = Builds()
    read(builds, ("f1",))
    builds.value = "v2"

    time_machine.shift(bound + 1)
    fresh = read(builds, ("f2",))

    assert (fresh.value, fresh.fresh, builds.calls) == ("v2", True, 2)


def test_with_no_bound_every_read_after_a_write_is_exact(settings):
    settings.ROLLUP_MAX_STALENESS_SECONDS = 0
    builds = Builds()
    read(builds, ("f1",))
    builds.value = "v2"
    assert read(builds, ("f2",)).value == "v2"


def test_a_failed_rebuild_is_logged_keeps_serving_the_old_figures_and_is_retried(bound, caplog):
    builds = Builds()
    read(builds, ("f1",))
    builds.fail = True

    with caplog.at_level(logging.ERROR, logger="assessments.infra.rollups"):
        assert read(builds, ("f2",)).value == "v1"
        rollups_wait_for_refresh()
    assert "rebuilding the roll-up" in caplog.text

    builds.fail, builds.value = False, "v2"
    assert read(builds, ("f2",)).value == "v1"  # the lock was released: this read starts a new rebuild
    rollups_wait_for_refresh()
    assert read(builds, ("f2",)).value == "v2"
    assert builds.calls == 3


def test_a_slow_rebuild_of_older_data_never_replaces_a_newer_entry(bound, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    builds = Builds()
    read(builds, ("f1",))

    time_machine.shift(10)
    builds.gate, builds.value = threading.Event(), "v2 (slow)"
    assert read(builds, ("f2",)).value == "v1"  # the rebuild starts, and stalls
    assert builds.entered.wait(5)

    time_machine.shift(bound + 1)
    builds.gate, builds.value = None, "v3"
    assert read(builds, ("f3",)).value == "v3"  # past the bound: built by the request

    for event in builds.gates:
        event.set()
    rollups_wait_for_refresh()
    current = read(builds, ("f3",))
    # Had the slow result replaced v3, this read would find it too old and build once more.
    assert (current.value, current.fresh, builds.calls) == ("v3", True, 3)


# --- the page, with a real write and the real background thread -------------------------------


def visible_text(response) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def bands_tile(response) -> str:
    text = visible_text(response)
    start = text.index("Partners by band")
    return text[start : text.index("Declining now")]


@pytest.mark.django_db(transaction=True)
def test_leadership_sees_a_new_check_up_within_the_bound_without_waiting_for_a_rebuild(bound, client):
    ensure_rubric_v1()
    from assessments.selectors.rubrics import rubric_item_index, rubric_version_current

    items = rubric_item_index(version_id=rubric_version_current().id)
    portfolio = build_portfolio()
    client.force_login(portfolio.lena)
    url = reverse("dashboard") + f"?period={P}"

    first = client.get(url)
    assert "6 scored in 2026-Q3" in bands_tile(first)
    assert 'id="stale-note"' not in first.content.decode()

    # Hotel gets its 2026-Q3 check-up (health 100): the seventh partner scored in the period.
    hotel = portfolio.partners["Hotel"]
    with transaction.atomic():
        submitted_checkup(
            items=items, answers=answers_for(items, rating=5), partner=hotel, period=portfolio.periods[P],
            rater=portfolio.ana,
        )
        snapshots_recompute(pairs={(hotel.id, portfolio.periods[P].id)})

    during = client.get(url)
    assert "6 scored in 2026-Q3" in bands_tile(during)
    assert re.search(r"Figures as of \d\d:\d\d:\d\d UTC\. .* reload in a few seconds", visible_text(during))

    rollups_wait_for_refresh()
    after = client.get(url)
    assert "7 scored in 2026-Q3" in bands_tile(after)
    assert "Hotel" in visible_text(after)
    assert 'id="stale-note"' not in after.content.decode()
