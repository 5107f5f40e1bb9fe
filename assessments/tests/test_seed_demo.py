import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from assessments.models import Checkup, Engagement, Interaction, Partner, PartnerSnapshot
from assessments.services.demo import DEMO_PASSWORD, HISTORY_QUARTERS

pytestmark = pytest.mark.django_db


def counts():
    return (
        get_user_model().objects.count(),
        Partner.objects.count(),
        Checkup.objects.count(),
        PartnerSnapshot.objects.count(),
        Engagement.objects.count(),
        Interaction.objects.count(),
    )


def test_seed_demo_builds_a_realistic_portfolio_and_is_idempotent(rubric_version):
    out = io.StringIO()
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=out)
    first = counts()
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())

    assert counts() == first
    assert "ana" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    assert Partner.objects.count() >= 40
    assert set(Partner.objects.values_list("kind", flat=True)) == set(Partner.Kind.values)
    assert set(Partner.objects.values_list("segment", flat=True)) == set(Partner.Segment.values)
    periods = PartnerSnapshot.objects.order_by().values_list("period__code", flat=True).distinct()
    assert len(periods) == HISTORY_QUARTERS
    # Every band shows up somewhere in the history, so dashboards have something to say.
    assert set(PartnerSnapshot.objects.values_list("band", flat=True)) == {"healthy", "watch", "at_risk", "critical"}


def test_every_demo_account_manager_has_open_check_ups_for_the_current_quarter(rubric_version):
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    for username in ["ana", "ben", "chloe"]:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        open_now = Checkup.objects.filter(rater=user, status="draft", last_saved_at__isnull=True)
        assert open_now.count() >= 10
        assert {a.partner_id for a in open_now} == set(user.owned_partners.values_list("id", flat=True))


def test_the_demo_has_declines_and_a_one_quarter_dip(rubric_version):
    from assessments.services.demo import demo_plan

    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    plan = {p.name: p.pattern for p in demo_plan()}
    latest = {
        s.partner.name: s
        for s in PartnerSnapshot.objects.select_related("partner").order_by("period__year", "period__quarter")
    }
    for name, pattern in plan.items():
        if pattern in {"gradual_decline", "sudden_drop"}:
            assert latest[name].band in {"at_risk", "critical"}, name


def test_seed_demo_refuses_to_run_with_debug_off_without_the_explicit_flag(rubric_version):
    assert not settings.DEBUG
    with pytest.raises(CommandError, match=r"runs only with DEBUG=1 \(or --i-know-this-is-not-production\)"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.exists()
    assert not Partner.objects.exists()


def test_seed_demo_runs_in_debug_mode_as_scripts_run_starts_it(rubric_version, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
    run = (Path(settings.BASE_DIR) / "scripts" / "run").read_text()
    assert 'export DEBUG="${DEBUG:-1}"' in run


def test_the_refusal_is_one_line_on_the_command_line(tmp_path):
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "partnerhealth.settings", "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789", "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: seed_demo creates accounts with a published password, so it runs only with DEBUG=1 "
        "(or --i-know-this-is-not-production)."
    ]
    database = tmp_path / "never.sqlite3"
    if database.exists():  # opening it (WAL mode) may create the file, but nothing is written to it
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
