"""The OpenAPI schema is valid, complete, and says what the API does."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    out = io.StringIO()
    with django_db_blocker.unblock():
        # --fail-on-warn: an operation drf-spectacular cannot describe fails the build.
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_every_operation_is_documented_and_needs_the_bearer_token(schema):
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert ("/api/checkups/", "post") in operations
    assert ("/api/engagements/by-external-id/{external_id}/", "put") in operations
    assert len(operations) == 19
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from the API tokens page or `manage.py api_token`: ph_<prefix>_<secret>.",
    }


def test_refusals_are_documented_in_their_shape(schema):
    post = schema["paths"]["/api/checkups/"]["post"]["responses"]
    assert set(post) == {"200", "201", "400", "403", "404", "409"}
    assert post["400"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Errors"


def test_periods_are_written_yyyy_qn_in_the_filters(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/snapshots/"]["get"]["parameters"]}
    assert params["period"]["schema"]["pattern"] == "^[0-9]{4}-Q[1-4]$"
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
