"""Hand work to Celery after the writing transaction commits, without ever hanging a request.

The database is the source of truth: a submission is marked unevaluated in the
same transaction that saves it, and the periodic scan finds anything whose task
was never published (broker down) or was lost. Publishing here is therefore an
optimisation for latency, and a broker failure is logged, not raised.
"""

from __future__ import annotations

import logging

from django.db import transaction

from assessments.task_names import TaskName

logger = logging.getLogger(__name__)


def publish(task_name: TaskName, *, args: tuple = (), countdown: float | None = None) -> bool:
    """Publish a task now; False (and a log line) if the broker cannot take it in ~2 s."""
    from partnerhealth.celery import app

    try:
        app.send_task(str(task_name), args=args, countdown=countdown)
    except Exception:  # kombu/redis raise many types; the scan is the safety net
        logger.warning("could not publish %s%r; the periodic scan will pick it up", task_name, args, exc_info=True)
        return False
    return True


def evaluation_enqueue(*, checkup_id: int) -> None:
    """Queue decline detection for a submitted check-up once the submission has committed."""
    transaction.on_commit(lambda: publish(TaskName.EVALUATE_ASSESSMENT, args=(checkup_id,)))


def outbox_kick() -> None:
    """Ask a worker to send the outbox now rather than at the next beat tick (after commit)."""
    transaction.on_commit(lambda: publish(TaskName.SEND_OUTBOX))
