"""Celery tasks of the integrations app: thin, each calling one service."""

from __future__ import annotations

import logging

from celery import shared_task

from assessments.task_names import TaskName
from integrations.delivery import deliveries_send_due

logger = logging.getLogger(__name__)


@shared_task(name=TaskName.SEND_WEBHOOKS.value)
def send_webhooks() -> None:
    """Send due webhook, Slack and Teams deliveries: kicked after each event commits, and every minute."""
    report = deliveries_send_due()
    if report.delivered or report.retrying or report.failed or report.disabled:
        logger.info("webhooks: %s", report)
