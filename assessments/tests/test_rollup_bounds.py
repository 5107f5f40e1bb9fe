"""A roll-up with its own staleness bound, refresh interval and time-to-live (the raters' leniencies:
slow to build, slow to change; docs/CALIBRATION.md "Caching")."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from assessments.infra.rollups import rollup_read, rollups_wait_for_refresh


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    rollups_wait_for_refresh()
    cache.clear()


class Counting:
    def __init__(self):
        self.calls = 0
        self.value = "v1"

    def __call__(self) -> str:
        self.calls += 1
        return self.value


def read(build: Counting, fingerprint: tuple, **bounds):
    return rollup_read(name="bounded", parts=(), fingerprint=fingerprint, build=build, **bounds)


def test_a_young_stale_entry_is_served_without_a_rebuild_and_an_older_one_starts_one(time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    build = Counting()
    assert read(build, (1,), max_staleness=3600, refresh_after=300, ttl=7200).value == "v1"
    build.value = "v2"

    # A write (new fingerprint) a minute later: the old figures, no rebuild yet.
    time_machine.move_to("2026-11-22 10:01:00+00:00", tick=False)
    served = read(build, (2,), max_staleness=3600, refresh_after=300, ttl=7200)
    rollups_wait_for_refresh()
    assert (served.value, served.fresh, build.calls) == ("v1", False, 1)

    # Five minutes on: still the old figures, and one rebuild in the background.
    time_machine.move_to("2026-11-22 10:05:30+00:00", tick=False)
    assert read(build, (2,), max_staleness=3600, refresh_after=300, ttl=7200).value == "v1"
    rollups_wait_for_refresh()
    assert build.calls == 2
    assert read(build, (2,), max_staleness=3600, refresh_after=300, ttl=7200).value == "v2"


def test_past_its_own_bound_the_request_rebuilds(time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    build = Counting()
    read(build, (1,), max_staleness=3600, refresh_after=300, ttl=7200)
    build.value = "v2"
    time_machine.move_to("2026-11-22 11:00:01+00:00", tick=False)
    rollup = read(build, (2,), max_staleness=3600, refresh_after=300, ttl=7200)
    assert (rollup.value, rollup.fresh, build.calls) == ("v2", True, 2)


def test_a_bound_of_zero_is_always_exact(time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    build = Counting()
    read(build, (1,), max_staleness=0)
    build.value = "v2"
    assert read(build, (2,), max_staleness=0).value == "v2"
