"""The webhook outbox: claim due deliveries, POST them in parallel per endpoint, record each attempt.

Like the e-mail outbox (assessments/services/outbox.py):

1. **claim** due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a conditional
   UPDATE that bumps ``attempts`` and pushes ``next_attempt_at`` a lease ahead, so only one sender
   wins a row, on SQLite too);
2. **send** outside any transaction. Each endpoint's rows go out in order on one thread; endpoints
   run side by side on up to ``WEBHOOK_CONCURRENCY`` threads, so a slow receiver (at most
   ``WEBHOOK_TIMEOUT`` per read) delays only its own deliveries. Threads only do HTTP: every
   database write happens here, as each endpoint's results come in;
3. **mark** each row delivered (any 2xx), or record the error and retry after an exponential
   back-off, or after ``WEBHOOK_MAX_ATTEMPTS`` mark it failed. When an endpoint fails, its other
   claimed rows are put back untouched and wait for the same back-off.

Every POST is an ``Attempt`` row (status code, duration, error): the delivery log. A sender killed
after the receiver answered but before step 3 sends the row again with the same event id, which is
what receivers deduplicate on.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.services.dispatch import outbox_kick
from integrations import network
from integrations.models import Attempt, Delivery, Endpoint, EndpointMail
from integrations.signing import EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signature

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=1)
# Per endpoint and run: a slow endpoint's batch stays short, and so does the lease.
PER_ENDPOINT = 20
USER_AGENT = "PartnerHealth-Webhooks/1.0"
Pending = Delivery.Status.PENDING


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    disabled: int = 0


@dataclass(frozen=True)
class Outcome:
    """What one POST came to (made on a sender thread, recorded on the main one)."""

    delivery: Delivery
    at: dt.datetime
    ok: bool
    status_code: int | None = None
    duration_ms: int | None = None
    error: str = ""
    network_failure: bool = False


def retry_delay(attempts: int) -> dt.timedelta:
    delay = dt.timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


def lease() -> dt.timedelta:
    # Longer than one endpoint's batch can take: connect + read timeouts for each row, and a margin.
    return dt.timedelta(seconds=60 + 2 * settings.WEBHOOK_TIMEOUT * PER_ENDPOINT)


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


# --- claim ----------------------------------------------------------------------------------------


def _claim(now: dt.datetime, limit: int) -> list[Delivery]:
    """Lease up to PER_ENDPOINT due rows of each endpoint with due rows (oldest first), ``limit`` in all:
    a long backlog at one endpoint never crowds the others out of a run."""
    due = Delivery.objects.filter(status=Pending, next_attempt_at__lte=now, endpoint__enabled=True)
    endpoint_ids = list(due.order_by().values_list("endpoint_id", flat=True).distinct())
    claimed: list[int] = []
    for endpoint_id in endpoint_ids:
        if len(claimed) >= limit:
            break
        with transaction.atomic():
            rows = (
                due.filter(endpoint_id=endpoint_id)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "id")[: min(PER_ENDPOINT, limit - len(claimed))]
            )
            for row in rows:
                won = Delivery.objects.filter(pk=row.pk, status=Pending, attempts=row.attempts).update(
                    attempts=F("attempts") + 1, next_attempt_at=now + lease()
                )
                if won == 1:
                    claimed.append(row.pk)
    rows = Delivery.objects.select_related("endpoint").in_bulk(claimed)
    return sorted(rows.values(), key=lambda r: (r.occurred_at, r.id))


# --- send (sender threads: no database) -------------------------------------------------------------


def _post(delivery: Delivery, *, allowed_hosts, timeout: float, resolver) -> Outcome:
    at = timezone.now()
    endpoint = delivery.endpoint
    body = body_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_HEADER: delivery.event,
    }
    if endpoint.kind == Endpoint.Kind.WEBHOOK and endpoint.secret:
        headers[SIGNATURE_HEADER] = signature(endpoint.secret, body, int(time.time()))
    try:
        target = network.check(endpoint.url, allowed_hosts=allowed_hosts, resolver=resolver)
    except network.Refused as refusal:
        return Outcome(delivery, at, ok=False, error=f"Refused: {refusal}")
    started = time.monotonic()
    try:
        answer = network.post(target, body, headers, timeout=timeout)
    except TimeoutError:
        return Outcome(
            delivery,
            at,
            ok=False,
            duration_ms=_ms(started),
            error=f"No answer within {timeout:g} s.",
            network_failure=True,
        )
    except (OSError, http.client.HTTPException) as error:
        return Outcome(
            delivery,
            at,
            ok=False,
            duration_ms=_ms(started),
            error=f"Could not connect: {error}",
            network_failure=True,
        )
    if 200 <= answer.status < 300:
        return Outcome(delivery, at, ok=True, status_code=answer.status, duration_ms=answer.duration_ms)
    detail = " ".join(answer.body.split())[:300]
    return Outcome(
        delivery,
        at,
        ok=False,
        status_code=answer.status,
        duration_ms=answer.duration_ms,
        error=f"The receiver answered {answer.status}" + (f": {detail}" if detail else "."),
    )


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _post_in_order(rows: list[Delivery], **options) -> list[Outcome]:
    """One endpoint's rows, in order; after a failure the rest wait (they are put back)."""
    outcomes = []
    for row in rows:
        outcome = _post(row, **options)
        outcomes.append(outcome)
        if not outcome.ok:
            break
    return outcomes


# --- mark ------------------------------------------------------------------------------------------


def _finish(row: Delivery, **changes) -> bool:
    # Only the sender holding this attempt may record its outcome.
    return Delivery.objects.filter(pk=row.pk, status=Pending, attempts=row.attempts).update(**changes) == 1


def _record(outcome: Outcome, *, now: dt.datetime, report: DeliveryReport) -> None:
    row = outcome.delivery
    Attempt.objects.create(
        delivery=row,
        at=outcome.at,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        ok=outcome.ok,
        error=outcome.error,
    )
    if outcome.ok:
        _finish(row, status=Delivery.Status.SENT, sent_at=now, last_error="")
        Endpoint.objects.filter(pk=row.endpoint_id).update(consecutive_failures=0)
        report.delivered += 1
        return
    if row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        _finish(row, status=Delivery.Status.FAILED, last_error=outcome.error)
        report.failed += 1
        logger.error("gave up on webhook %s to endpoint %s: %s", row.event_id, row.endpoint_id, outcome.error)
    else:
        _finish(row, next_attempt_at=now + retry_delay(row.attempts), last_error=outcome.error)
        report.retrying += 1
        logger.warning(
            "webhook %s to endpoint %s failed (attempt %s): %s",
            row.event_id,
            row.endpoint_id,
            row.attempts,
            outcome.error,
        )
    _count_failure(row.endpoint, outcome.error, now=now, report=report)


def _count_failure(endpoint: Endpoint, error: str, *, now: dt.datetime, report: DeliveryReport) -> None:
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        failures = Endpoint.objects.values_list("consecutive_failures", flat=True).get(pk=endpoint.pk)
        if failures < settings.WEBHOOK_MAX_FAILURES:
            return
        # Conditional: of two senders that both see the limit, one disables and e-mails.
        reason = f"Disabled after {failures} failed attempts in a row. Last error: {error}"
        if not Endpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=reason[:2000]
        ):
            return
        report.disabled += 1
        logger.error("disabled endpoint %s after %s failures", endpoint.pk, failures)
        if endpoint.owner_id and endpoint.owner.email:
            EndpointMail.objects.create(
                endpoint=endpoint, recipient_id=endpoint.owner_id, next_attempt_at=min(now, timezone.now())
            )
            outbox_kick()


def _release(row: Delivery, *, until: dt.datetime, report: DeliveryReport) -> None:
    """Put back a claimed row that was not tried: same attempts count, next try with its endpoint's."""
    if _finish(row, attempts=row.attempts - 1, next_attempt_at=until):
        report.released += 1


# --- the run ---------------------------------------------------------------------------------------


def deliveries_send_due(
    *, now: dt.datetime | None = None, limit: int = 200, resolver: network.Resolver = network.system_resolver
) -> DeliveryReport:
    """Send every due delivery of every enabled endpoint (at most ``limit`` in one run)."""
    report = DeliveryReport()
    clock = (lambda: now) if now is not None else timezone.now
    rows = _claim(clock(), limit)
    if not rows:
        return report
    by_endpoint: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_endpoint[row.endpoint_id].append(row)
    options = {
        "allowed_hosts": settings.WEBHOOK_ALLOWED_HOSTS,
        "timeout": float(settings.WEBHOOK_TIMEOUT),
        "resolver": resolver,
    }
    workers = min(settings.WEBHOOK_CONCURRENCY, len(by_endpoint))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        futures = {pool.submit(_post_in_order, batch, **options): batch for batch in by_endpoint.values()}
        # Each endpoint's results are recorded as soon as they are in, whatever the others do.
        for future in as_completed(futures):
            batch = futures[future]
            outcomes = future.result()
            for outcome in outcomes:
                _record(outcome, now=clock(), report=report)
            untried = batch[len(outcomes) :]
            if untried:
                failed = outcomes[-1].delivery
                until = clock() + retry_delay(failed.attempts)
                for row in untried:
                    _release(row, until=until, report=report)
    return report


def endpoint_deliveries_resume(*, endpoint_id: int, now: dt.datetime | None = None) -> int:
    """An endpoint switched back on: its waiting deliveries are due now, and its failures forgotten."""
    now = now or timezone.now()
    Endpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    return Delivery.objects.filter(endpoint_id=endpoint_id, status=Pending, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )
