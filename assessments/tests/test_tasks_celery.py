"""Celery wiring: the beat schedule, the settings that handle the known pitfalls, thin tasks, bounded publishing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from assessments import tasks
from assessments.models import Alert, CaseDelivery, Checkup
from assessments.periods import Quarter
from assessments.services import dispatch
from assessments.task_names import TaskName
from assessments.tests.alerting import DECLINING, leader, manager, partner_with_history
from assessments.tests.celery_harness import free_port, publishing_to
from assessments.tests.factories import PartnerFactory
from integrations import tasks as integration_tasks  # noqa: F401 (registers the webhook task, as the worker does)
from partnerhealth.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_every_beat_entry_names_a_registered_task_and_expires_before_its_next_tick():
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
        schedule = entry["schedule"]
        interval = 3600 if isinstance(schedule, crontab) else schedule
        if isinstance(schedule, crontab) and schedule.hour != set(range(24)):
            interval = 24 * 3600
        assert 0 < entry["options"]["expires"] < interval, f"{name}: a missed tick must not pile up"
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert beat_tasks == {
        "assessments.tasks.send_outbox",
        "assessments.tasks.scan_unevaluated",
        "assessments.tasks.open_checkups",
        "assessments.tasks.queue_reminders",
        "assessments.tasks.queue_action_reminders",
        "assessments.tasks.scan_trends",
        "assessments.tasks.queue_weekly_digest",
        "assessments.tasks.wake_snoozed_cases",
        "integrations.tasks.send_webhooks",
        "assessments.tasks.queue_survey_reminders",
    }


def test_every_task_name_is_one_the_worker_registers():
    # The web side publishes, beat schedules and the worker registers the same TaskName values.
    assert {str(name) for name in TaskName} <= set(app.tasks)
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= {str(name) for name in TaskName}


def test_tasks_are_acknowledged_after_they_run_and_put_back_if_their_worker_dies():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert settings.REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > conf.task_time_limit
    assert settings.REDIS_BROKER_TRANSPORT_OPTIONS["socket_timeout"] <= 2


def test_a_visibility_timeout_shorter_than_the_task_time_limit_stops_start_up():
    env = {**os.environ, "DEBUG": "1", "CELERY_VISIBILITY_TIMEOUT": "600", "CELERY_TASK_TIME_LIMIT": "900"}
    result = subprocess.run(
        [sys.executable, "-c", "import partnerhealth.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT" in result.stderr


@pytest.mark.django_db
def test_publishing_to_a_broker_that_is_not_there_gives_up_quickly_and_does_not_raise():
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        published = dispatch.publish(TaskName.EVALUATE_ASSESSMENT, args=(1,))
        elapsed = time.monotonic() - started
    assert published is False and elapsed < 3


@pytest.mark.django_db
def test_an_evaluation_is_published_only_once_the_submission_commits(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(dispatch, "publish", lambda name, **kw: sent.append((name, kw["args"])) or True)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch.evaluation_enqueue(checkup_id=42)
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [(TaskName.EVALUATE_ASSESSMENT, (42,))]


@pytest.mark.django_db
def test_the_tasks_are_thin_calls_of_the_services(items, rubric_version):
    ana = manager("ana")
    leader("lena")
    last = Quarter(2026, 3)
    partner = partner_with_history(items=items, name="Oakline", owners=[ana], levels=DECLINING, last=last)
    checkup = Checkup.objects.filter(partner=partner, period__code=last.code).get()

    tasks.evaluate_checkup(checkup.pk)
    tasks.evaluate_checkup(checkup.pk)
    tasks.evaluate_checkup(10**9)  # a check-up deleted since it was queued: nothing to do

    assert Alert.objects.filter(partner=partner, severity="critical").exists()
    assert not Checkup.objects.filter(evaluated_at__isnull=True).exists()
    PartnerFactory(owners=[ana])
    tasks.open_checkups()
    tasks.open_checkups()
    assert Checkup.objects.filter(status="draft").count() == 2
    tasks.queue_reminders()
    tasks.queue_weekly_digest()
    tasks.scan_trends()
    tasks.scan_unevaluated()
    tasks.send_outbox()
    tasks.wake_snoozed_cases()
    assert CaseDelivery.objects.filter(status="sent").count() == CaseDelivery.objects.count() > 0
    # One case for Oakline's decline (however many rules fired): opened to Ana, critical to Lena,
    # and Lena's weekly digest.
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 3
    assert subjects[0].startswith("[Partner Health] Case opened: Oakline — Critical")
    assert subjects[1].startswith("[Partner Health] Critical: Oakline")
    assert subjects[2].startswith("[Partner Health] Weekly digest")
