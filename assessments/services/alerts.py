"""Decline detection against stored snapshots: findings become alerts, and alerts evidence of cases.

An alert keeps the finding's explanation and the numbers behind it (``evidence``)
together; pages and e-mails read both back, never recomputing them.

The maths is ``assessments.trends`` (pure); this module feeds it a partner's
snapshot series and the alerts already raised (the cooldown's ``prior``), and
records what it finds. Everything here is safe to run twice or at the same
time from several workers:

* a partner's evaluation holds a row lock on the partner, so two evaluations
  of one partner queue up instead of interleaving;
* an alert is ``get_or_create`` on its unique (partner, rule, period);
* the partner's case and its e-mails are brought up to date by
  ``services.cases.case_record_findings`` in the same transaction (per-alert
  e-mails, ``AlertDelivery``, are no longer written; old rows stay as history);
* a submission is marked evaluated only if it was not amended meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments.models import Alert, AlertAction, Checkup, Partner, Period
from assessments.perception import view_point
from assessments.selectors.access import leadership_users
from assessments.selectors.alerts import partner_snapshot_series, trend_titles
from assessments.selectors.mirror import partner_view_series
from assessments.services.cases import case_record_findings
from assessments.services.dispatch import outbox_kick
from assessments.trends import Finding, PriorAlert, SnapshotPoint, evaluate, quarters_between
from assessments.vocabulary import Rule, Severity

logger = logging.getLogger(__name__)

# Watch findings are recorded (the app shows them) but never e-mailed: one bad
# quarter is not yet a trend (002).
EMAILED = (Severity.WARNING.value, Severity.CRITICAL.value)


class AlertActionError(Exception):
    """An acknowledge or snooze that was refused; nothing was changed."""


@dataclass
class EvaluationReport:
    partners: int = 0
    alerts_created: int = 0
    alerts_raised: int = 0  # existing alerts whose severity rose
    deliveries_created: int = 0
    checkups_evaluated: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: EvaluationReport) -> None:
        self.partners += other.partners
        self.alerts_created += other.alerts_created
        self.alerts_raised += other.alerts_raised
        self.deliveries_created += other.deliveries_created
        self.checkups_evaluated += other.checkups_evaluated
        self.failures += other.failures


# --- recipients --------------------------------------------------------------


def _owners(partner: Partner) -> list:
    return list(partner.owners.filter(is_active=True).exclude(email="").order_by("id"))


def alert_recipients(*, partner: Partner, severity: str) -> list:
    """Owners for a warning; owners and leadership for a critical; nobody for a watch."""
    if severity not in EMAILED:
        return []
    recipients = {u.id: u for u in _owners(partner)}
    if severity == Severity.CRITICAL:
        recipients.update({u.id: u for u in leadership_users()})
    return list(recipients.values())


# --- recording findings ------------------------------------------------------


def _record(finding: Finding, *, partner: Partner, period: Period, report: EvaluationReport) -> Alert:
    # The explanation and the numbers behind it are stored together and only
    # ever replaced together, so the text and every table of an alert agree.
    told = {"explanation": finding.explanation, "items": list(finding.items), "evidence": finding.evidence.to_json()}
    alert, created = Alert.objects.get_or_create(
        partner=partner, rule=finding.rule, period=period, defaults={"severity": finding.severity, **told}
    )
    if created:
        report.alerts_created += 1
    elif finding.severity.rank > Severity(alert.severity).rank:
        # Worse news for the same quarter (an amendment, a second rater): raise
        # the alert, and reopen it if someone had already dealt with it.
        raised = Alert.objects.filter(pk=alert.pk, severity=alert.severity).update(
            severity=finding.severity, status=Alert.Status.OPEN, **told
        )
        if raised:
            report.alerts_raised += 1
            if alert.status != Alert.Status.OPEN:
                AlertAction.objects.create(
                    alert=alert, kind=AlertAction.Kind.REOPENED, note=f"Severity rose to {finding.severity.label}."
                )
        alert.refresh_from_db()
    return alert


def _prior(partner_id: int) -> list[PriorAlert]:
    return [
        PriorAlert(rule, code, severity)
        for rule, code, severity in Alert.objects.filter(partner_id=partner_id, severity__in=EMAILED).values_list(
            "rule", "period__code", "severity"
        )
    ]


# --- the partner's view of us ---------------------------------------------------


def _view_prior(prior: Sequence[PriorAlert]) -> list[PriorAlert]:
    """The partner-view alerts already raised, as the detector's cooldown reads them: a view finding
    is one rule of ours, so an earlier one cools down every rule the detector runs on the view."""
    return [
        PriorAlert(rule.value, p.period, p.severity)
        for p in prior
        if p.rule == Rule.PARTNER_VIEW_DECLINE
        for rule in Rule
        if rule != Rule.PARTNER_VIEW_DECLINE
    ]


def partner_view_finding(
    views: Sequence[SnapshotPoint], *, prior: Sequence[PriorAlert] = (), titles: dict[str, str] | None = None
) -> Finding | None:
    """ "The partner's view of us is declining": the decline detector run on the partner's view.

    ``views`` is the partner's view, quarter by quarter, up to the quarter judged (oldest first).
    The worst of the detector's findings becomes one finding of its own rule, with that finding's
    severity, items and numbers, so it opens or joins the partner's case like any other.
    """
    found = evaluate(views, prior=_view_prior(prior), titles=titles)
    if not found:
        return None
    worst = found[0]
    return Finding(
        rule=Rule.PARTNER_VIEW_DECLINE,
        severity=worst.severity,
        period=worst.period,
        explanation=f"The partner's view of us is declining. In their responses: {worst.explanation}",
        items=worst.items,
        evidence=worst.evidence,
    )


def _views_up_to(views: Sequence[SnapshotPoint], code: str) -> list[SnapshotPoint]:
    """The partner's view up to ``code``, if it rated us that quarter (else nothing new to judge)."""
    upto = [v for v in views if quarters_between(v.period, code) >= 0]
    return upto if upto and upto[-1].period == code else []


def _evaluate_at(
    series: Sequence[SnapshotPoint],
    *,
    partner: Partner,
    periods: dict[str, Period],
    prior: list[PriorAlert],
    titles: dict[str, str],
    notify: bool,
    now: dt.datetime,
    report: EvaluationReport,
    views: Sequence[SnapshotPoint] = (),
) -> None:
    code = series[-1].period
    recorded = []
    findings = evaluate(series, prior=prior, titles=titles)
    view = partner_view_finding(_views_up_to(views, code), prior=prior, titles=titles)
    if view is not None:
        findings.append(view)
    for finding in findings:
        alert = _record(finding, partner=partner, period=periods[code], report=report)
        recorded.append(alert)
        if alert.severity in EMAILED:
            # Later quarters of this same run see it, exactly as trends.replay does.
            prior.append(PriorAlert(alert.rule, code, alert.severity))
    # People work on cases, not alerts: the findings open, join or resolve the partner's case,
    # which records its own e-mails.
    outcome = case_record_findings(
        partner=partner, period=periods[code], alerts=recorded, series=series, notify=notify, now=now
    )
    report.deliveries_created += outcome.deliveries


def partner_evaluate(
    *,
    partner_id: int,
    periods: Collection[str] = (),
    all_periods: bool = False,
    notify: bool = True,
    titles: dict[str, str] | None = None,
) -> EvaluationReport:
    """Evaluate a partner's latest quarter (and any others asked for); record alerts and deliveries.

    The latest scored quarter is the news: its warnings and criticals are
    e-mailed when ``notify`` is true. Earlier quarters (``periods``, the
    quarters of amended check-ups, or every quarter with ``all_periods``) are
    replayed oldest first as if scanned at each quarter's close; their alerts
    are recorded but never e-mailed, because that news is old.
    Submitted check-ups of the partner that were waiting are marked evaluated.
    """
    report = EvaluationReport(partners=1)
    now = timezone.now()
    titles = trend_titles() if titles is None else titles
    with transaction.atomic():
        partner = Partner.objects.select_for_update().filter(pk=partner_id).first()
        if partner is None:
            return report
        pending = list(
            Checkup.objects.filter(
                partner_id=partner_id, status=Checkup.Status.SUBMITTED, evaluated_at__isnull=True
            ).values_list("id", "revision", "period__code")
        )
        series = partner_snapshot_series(partner_id=partner_id) if partner.is_active else []
        # The partner's own rating of us, judged by the same detector at each quarter we judge.
        views = [view_point(code, view) for code, view in partner_view_series(partner_id)] if series else []
        if series:
            codes = [p.period for p in series]
            wanted = set(codes) if all_periods else {*periods, *(code for _, _, code in pending)}
            wanted = (wanted & set(codes)) | {codes[-1]}
            period_rows = {p.code: p for p in Period.objects.filter(code__in=wanted)}
            prior = _prior(partner_id)
            for index, code in enumerate(codes):
                if code not in wanted:
                    continue
                _evaluate_at(
                    series[: index + 1],
                    partner=partner,
                    periods=period_rows,
                    prior=prior,
                    titles=titles,
                    notify=notify and index == len(codes) - 1,
                    now=now,
                    report=report,
                    views=views,
                )
        for checkup_id, revision, _ in pending:
            # An amendment since we read it bumps the revision and needs its own evaluation.
            report.checkups_evaluated += Checkup.objects.filter(
                pk=checkup_id, revision=revision, status=Checkup.Status.SUBMITTED, evaluated_at__isnull=True
            ).update(evaluated_at=now)
        if report.deliveries_created:
            outbox_kick()
    return report


def checkup_evaluate(*, checkup_id: int) -> EvaluationReport:
    """Evaluate the partner of one submitted check-up (the ``evaluate_checkup`` task)."""
    row = Checkup.objects.filter(pk=checkup_id).values("partner_id", "period__code").first()
    if row is None:
        return EvaluationReport()
    return partner_evaluate(partner_id=row["partner_id"], periods=[row["period__code"]])


def evaluations_pending_run(*, limit: int = 500) -> EvaluationReport:
    """Evaluate every partner with a submitted check-up not yet evaluated.

    This is the safety net behind ``evaluate_checkup``: a submission whose
    task was never published (broker down) or was lost (worker killed) is
    found here by its null ``evaluated_at``.
    """
    partner_ids = list(
        Checkup.objects.filter(status=Checkup.Status.SUBMITTED, evaluated_at__isnull=True)
        .order_by("partner_id")
        .values_list("partner_id", flat=True)
        .distinct()[:limit]
    )
    return _run_for(partner_ids, all_periods=False)


def trends_scan(*, all_periods: bool = False) -> EvaluationReport:
    """Evaluate every active partner with snapshots: the periodic scan and ``manage.py scan_trends``."""
    partner_ids = list(
        Partner.objects.filter(is_active=True, snapshots__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )
    return _run_for(partner_ids, all_periods=all_periods)


def _run_for(partner_ids: Sequence[int], *, all_periods: bool) -> EvaluationReport:
    report = EvaluationReport()
    titles = trend_titles() if partner_ids else {}
    for partner_id in partner_ids:
        try:
            report.add(partner_evaluate(partner_id=partner_id, all_periods=all_periods, titles=titles))
        except Exception:
            # One partner's bad data must not stop the scan of the others; the
            # next scan tries it again.
            logger.exception("evaluating partner %s failed", partner_id)
            report.failures.append(str(partner_id))
    return report


# --- acknowledging and snoozing -----------------------------------------------

MAX_SNOOZE_DAYS = 180


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user, note: str = "") -> Alert:
    """Mark an alert dealt with; it stays in the partner's history with who and why."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    now = timezone.now()
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.note = note.strip()
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.snoozed_until = None
    alert.save(update_fields=["status", "note", "acknowledged_by", "acknowledged_at", "snoozed_until"])
    AlertAction.objects.create(alert=alert, kind=AlertAction.Kind.ACKNOWLEDGED, user=user, note=alert.note)
    return alert


@transaction.atomic
def alert_snooze(*, alert: Alert, user, reason: str, until: dt.date, today: dt.date | None = None) -> Alert:
    """Hide an alert until a date, for a stated reason; the day after, it is open again."""
    today = today or timezone.localdate()
    reason = reason.strip()
    if not reason:
        raise AlertActionError("Say why you are snoozing this alert.")
    if until <= today:
        raise AlertActionError("Snooze until a date after today.")
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise AlertActionError(f"Snooze for at most {MAX_SNOOZE_DAYS} days; acknowledge it if it needs no follow-up.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    alert.status = Alert.Status.SNOOZED
    alert.note = reason
    alert.snoozed_until = until
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["status", "note", "snoozed_until", "acknowledged_by", "acknowledged_at"])
    AlertAction.objects.create(alert=alert, kind=AlertAction.Kind.SNOOZED, user=user, note=reason, snoozed_until=until)
    return alert
