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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhealth.settings")

app = Celery("partnerhealth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every(schedule, task: str, *, expires: float) -> dict:
    # A tick nobody consumed in time is dropped, not piled up: when workers
    # come back after an outage they run the work once, not once per tick.
    return {"task": task, "schedule": schedule, "options": {"expires": expires}}


MINUTE = 60
HOUR = 60 * MINUTE

app.conf.beat_schedule = {
    "send-outbox": _every(1 * MINUTE, "assessments.tasks.send_outbox", expires=50),
    "scan-unevaluated": _every(5 * MINUTE, "assessments.tasks.scan_unevaluated", expires=4 * MINUTE),
    "open-checkups": _every(crontab(minute=5), "assessments.tasks.open_checkups", expires=50 * MINUTE),
    "queue-reminders": _every(crontab(minute=20), "assessments.tasks.queue_reminders", expires=50 * MINUTE),
    "scan-trends": _every(crontab(hour=5, minute=30), "assessments.tasks.scan_trends", expires=12 * HOUR),
    "wake-snoozed-cases": _every(crontab(minute=35), "assessments.tasks.wake_snoozed_cases", expires=50 * MINUTE),
    "queue-weekly-digest": _every(
        crontab(hour=7, minute=0), "assessments.tasks.queue_weekly_digest", expires=12 * HOUR
    ),
}
