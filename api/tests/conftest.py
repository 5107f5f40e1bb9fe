from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from api.tokens import token_create
from assessments.tests.factories import UserFactory

NOV_2026 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(NOV_2026, tick=False):
        yield


@pytest.fixture(autouse=True)
def _no_throttle_memory():
    # The throttle counts in the cache; each test starts with a fresh budget.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def manager(db):
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def other_manager(db):
    return UserFactory(username="ben", first_name="Ben", last_name="Brown", role="account_manager")


@pytest.fixture
def leader(db):
    return UserFactory(username="lea", first_name="Lea", last_name="Lund", role="leadership")


def api_client(user, *, read_only: bool = False) -> Client:
    secret = token_create(user=user, name="test", read_only=read_only).secret
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def ana_api(manager):
    return api_client(manager)


@pytest.fixture
def lea_api(leader):
    return api_client(leader)
