"""Root fixtures shared by every test package.

REQUIRE_SERVICES=1 (set by CI) turns a missing PostgreSQL, Redis, SMTP server
or browser into a failure; locally such tests are skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a test that needs a service never passes silently."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"database: {engine}; broker: {settings.CELERY_BROKER_URL}; REQUIRE_SERVICES={REQUIRE_SERVICES}"]


def pytest_sessionstart(session):
    if not REQUIRE_SERVICES:
        return
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("REQUIRE_SERVICES=1 needs DATABASE_URL pointing at PostgreSQL")


@pytest.fixture
def rubric_version(db):
    from assessments.selectors.rubrics import rubric_version_current

    return rubric_version_current()


@pytest.fixture
def items(rubric_version):
    from assessments.selectors.rubrics import rubric_item_index

    return rubric_item_index(version_id=rubric_version.id)


@pytest.fixture(autouse=True)
def _fresh_scoring_model_cache():
    # Rolled-back tests can reuse a version id with other weights.
    from assessments.selectors.rubrics import rubric_caches_clear

    rubric_caches_clear()
    yield
