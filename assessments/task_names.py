"""Celery task names, defined once: pure, no Django, no Celery.

The name is the contract between the web side that publishes a task
(``services/dispatch.py``), the worker that registers it (``tasks.py``) and
beat's schedule (``partnerhealth/celery.py``); all three import it from here.
"""

from __future__ import annotations

from enum import StrEnum


class TaskName(StrEnum):
    EVALUATE_ASSESSMENT = "assessments.tasks.evaluate_checkup"
    SCAN_UNEVALUATED = "assessments.tasks.scan_unevaluated"
    SCAN_TRENDS = "assessments.tasks.scan_trends"
    OPEN_CHECKUPS = "assessments.tasks.open_checkups"
    QUEUE_REMINDERS = "assessments.tasks.queue_reminders"
    QUEUE_ACTION_REMINDERS = "assessments.tasks.queue_action_reminders"
    QUEUE_WEEKLY_DIGEST = "assessments.tasks.queue_weekly_digest"
    SEND_OUTBOX = "assessments.tasks.send_outbox"
    WAKE_SNOOZED_CASES = "assessments.tasks.wake_snoozed_cases"
    # Registered by the integrations app (integrations/tasks.py): webhooks, Slack and Teams.
    SEND_WEBHOOKS = "integrations.tasks.send_webhooks"
    QUEUE_SURVEY_REMINDERS = "assessments.tasks.queue_survey_reminders"


__all__ = ["TaskName"]
