"""Celery tasks: thin, taking ids, each calling one service.

Every task is safe to run twice or at the same time as itself: the services
look in the database for what is due and rely on unique constraints and row
locks, never on the broker delivering a message exactly once. The broker can
lose a message (Redis restarted) or deliver it twice (acks_late after a worker
died); the periodic entries in ``partnerhealth/celery.py`` find the work again.
"""

from __future__ import annotations

import logging

from celery import shared_task

from assessments.services import alerts, case_triage, digest, mirror, outbox, schedule
from assessments.task_names import TaskName

logger = logging.getLogger(__name__)


@shared_task(name=TaskName.EVALUATE_ASSESSMENT.value)
def evaluate_checkup(checkup_id: int) -> None:
    """Decline detection for one submitted check-up (queued after the submission commits)."""
    report = alerts.checkup_evaluate(checkup_id=checkup_id)
    logger.info("evaluated check-up %s: %s", checkup_id, report)


@shared_task(name=TaskName.SCAN_UNEVALUATED.value)
def scan_unevaluated() -> None:
    """Evaluate submissions whose task never ran (broker down, worker killed)."""
    report = alerts.evaluations_pending_run()
    if report.partners:
        logger.info("evaluated %s partners with waiting check-ups: %s", report.partners, report)


@shared_task(name=TaskName.SCAN_TRENDS.value)
def scan_trends() -> None:
    """Evaluate every active partner's latest quarter; the same code as ``manage.py scan_trends``."""
    logger.info("trend scan: %s", alerts.trends_scan())


@shared_task(name=TaskName.OPEN_CHECKUPS.value)
def open_checkups() -> None:
    created = schedule.checkups_open()
    if created:
        logger.info("opened %s check-ups", created)


@shared_task(name=TaskName.QUEUE_REMINDERS.value)
def queue_reminders() -> None:
    created = schedule.reminders_queue()
    if created:
        logger.info("queued %s reminders", created)


@shared_task(name=TaskName.QUEUE_ACTION_REMINDERS.value)
def queue_action_reminders() -> None:
    created = schedule.action_reminders_queue()
    if created:
        logger.info("queued %s action item reminders", created)


@shared_task(name=TaskName.QUEUE_SURVEY_REMINDERS.value)
def queue_survey_reminders() -> None:
    """Remind partner contacts who have not answered the mirror survey (at most twice, days apart)."""
    created = mirror.survey_reminders_queue()
    if created:
        logger.info("queued %s survey reminders", created)


@shared_task(name=TaskName.QUEUE_WEEKLY_DIGEST.value)
def queue_weekly_digest() -> None:
    created = digest.digest_queue()
    if created:
        logger.info("queued %s weekly digests", created)


@shared_task(name=TaskName.SEND_OUTBOX.value)
def send_outbox() -> None:
    report = outbox.outbox_send_due()
    if report.sent or report.retrying or report.failed or report.skipped:
        logger.info("outbox: %s", report)


@shared_task(name=TaskName.WAKE_SNOOZED_CASES.value)
def wake_snoozed_cases() -> None:
    """Return cases whose snooze ran out to their earlier state (pages already read them so)."""
    woken = case_triage.cases_wake()
    if woken:
        logger.info("woke %s snoozed cases", woken)
