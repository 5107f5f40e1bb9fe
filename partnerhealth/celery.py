"""The Celery app and its beat schedule.

Beat is only a clock. Each entry enqueues a task that looks in the database
for what is due (check-ups to open, reminders to record, submissions not yet
evaluated, e-mails to send), so a tick that is missed, doubled or delivered
late changes nothing but timing, and a beat that was down for days catches up
in one run. The schedule lives in code, reviewed and versioned with the tasks
it names; docs/ALERTS.md explains why not django-celery-beat.
"""

import os

from celery import Celery
from celery.schedules import crontab

from assessments.task_names import TaskName

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhealth.settings")

app = Celery("partnerhealth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every(schedule, task: TaskName, *, expires: float) -> dict:
    # A tick nobody consumed in time is dropped, not piled up: when workers
    # come back after an outage they run the work once, not once per tick.
    return {"task": task.value, "schedule": schedule, "options": {"expires": expires}}


MINUTE = 60
HOUR = 60 * MINUTE

app.conf.beat_schedule = {
    "send-outbox": _every(1 * MINUTE, TaskName.SEND_OUTBOX, expires=50),
    "send-webhooks": _every(1 * MINUTE, TaskName.SEND_WEBHOOKS, expires=50),
    "scan-unevaluated": _every(5 * MINUTE, TaskName.SCAN_UNEVALUATED, expires=4 * MINUTE),
    "open-checkups": _every(crontab(minute=5), TaskName.OPEN_CHECKUPS, expires=50 * MINUTE),
    "queue-reminders": _every(crontab(minute=20), TaskName.QUEUE_REMINDERS, expires=50 * MINUTE),
    "queue-action-reminders": _every(
        crontab(minute=25), TaskName.QUEUE_ACTION_REMINDERS, expires=50 * MINUTE
    ),
    "scan-trends": _every(crontab(hour=5, minute=30), TaskName.SCAN_TRENDS, expires=12 * HOUR),
    "wake-snoozed-cases": _every(crontab(minute=35), TaskName.WAKE_SNOOZED_CASES, expires=50 * MINUTE),
    # Working hours in most places: a reminder from a firm should not arrive in the night.
    "queue-survey-reminders": _every(
        crontab(hour=9, minute=15), TaskName.QUEUE_SURVEY_REMINDERS, expires=12 * HOUR
    ),
    "queue-weekly-digest": _every(
        crontab(hour=7, minute=0), TaskName.QUEUE_WEEKLY_DIGEST, expires=12 * HOUR
    ),
}
