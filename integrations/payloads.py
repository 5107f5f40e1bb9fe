"""What each event says: the webhook's JSON (keys for machines, a plain summary for people) and the
Slack and Teams messages (plain words only: partner, severity label, finding titles, a link).

Composed in the writing transaction and stored with the delivery, so a retry sends what was true
when the event happened.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.urls import reverse

from assessments import emails
from assessments.display import band_label, number, person_name, rule_label, severity_label
from assessments.models import Case, Checkup, PartnerSnapshot
from assessments.trends import worst_first
from integrations.events import Event


@dataclass(frozen=True)
class Facts:
    """One event, in the words a message shows and the keys the JSON carries."""

    event: Event
    title: str  # "Case opened: Acme Ltd"
    summary: str  # one sentence
    url: str
    data: dict
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value) lines for chat


def _findings(case: Case) -> list:
    start = case.episode_period.year * 4 + case.episode_period.quarter
    findings = [a for a in case.findings.select_related("period") if a.period.year * 4 + a.period.quarter >= start]
    findings.sort(key=lambda a: (-a.period.year, -a.period.quarter, *worst_first(a.severity, a.rule)))
    return findings


_CASE_EVENT = {"opened": Event.CASE_OPENED, "escalated": Event.CASE_ESCALATED, "resolved": Event.CASE_RESOLVED}


def case_facts(case: Case, kind: str) -> Facts:
    event = _CASE_EVENT[kind]
    partner = case.partner
    findings = _findings(case)
    titles = list(dict.fromkeys(rule_label(a.rule) for a in findings))
    severity = severity_label(case.severity)
    url = emails.url_for("case_detail", case.pk)
    if event == Event.CASE_OPENED:
        title = f"Case opened: {partner.name}"
        summary = f"{partner.name} is declining: a {severity.lower()} case opened in {case.episode_period.code}."
    elif event == Event.CASE_ESCALATED:
        title = f"Case now {severity.lower()}: {partner.name}"
        summary = f"{partner.name}'s case became {severity.lower()}."
    else:
        title = f"Case resolved: {partner.name}"
        summary = f"{partner.name}'s case is resolved ({case.get_resolution_display().lower()})."
    if titles and event != Event.CASE_RESOLVED:
        summary += " Findings: " + ", ".join(titles) + "."
    facts = [("Partner", partner.name), ("Severity", severity)]
    if titles:
        facts.append(("Findings", ", ".join(titles)))
    if event == Event.CASE_RESOLVED:
        facts.append(("Resolution", case.get_resolution_display()))
    facts.append(("Quarter", case.episode_period.code))
    data = {
        "case": {
            "id": case.pk,
            "state": case.state,
            "severity": case.severity,
            "episode": case.episode,
            "opened_period": case.episode_period.code,
            "resolution": case.resolution or None,
            "resolved_period": case.resolved_period.code if case.resolved_period_id else None,
        },
        "partner": {"id": partner.pk, "name": partner.name},
        "findings": [{"rule": a.rule, "severity": a.severity, "period": a.period.code} for a in findings],
    }
    return Facts(event=event, title=title, summary=summary, url=url, data=data, facts=facts)


def checkup_facts(checkup: Checkup, *, amended: bool) -> Facts:
    partner, period = checkup.partner, checkup.period
    rater = person_name(checkup.rater)
    snapshot = PartnerSnapshot.objects.filter(partner_id=partner.pk, period_id=period.pk).first()
    verb = "amended" if amended else "submitted"
    summary = f"{rater} {verb} the {period.code} check-up of {partner.name}."
    if snapshot is not None:
        summary += f" The quarter's health is now {number(snapshot.health, 0)} ({band_label(snapshot.band)})."
    data = {
        "checkup": {
            "id": checkup.pk,
            "period": period.code,
            "revision": checkup.revision,
            "amended": amended,
            "submitted_at": checkup.submitted_at.isoformat() if checkup.submitted_at else None,
        },
        "partner": {"id": partner.pk, "name": partner.name},
        "rater": {"id": checkup.rater_id, "username": checkup.rater.get_username()},
        "snapshot": {"health": round(snapshot.health, 1), "band": snapshot.band} if snapshot else None,
    }
    return Facts(
        event=Event.CHECKUP_SUBMITTED,
        title=f"Check-up {verb}: {partner.name}",
        summary=summary,
        url=emails.absolute_url(reverse("checkup_result", args=[checkup.pk])),
        data=data,
    )


PING_SUMMARY = "A test event from Partner Health"


def ping_facts(*, endpoint_id: int, endpoint_name: str) -> Facts:
    """The test event an endpoint's page sends: nothing happened but the button."""
    return Facts(
        event=Event.PING,
        title="Test event",
        summary=PING_SUMMARY,
        url=emails.url_for("integration_detail", endpoint_id),
        data={"endpoint": {"id": endpoint_id, "name": endpoint_name}},
    )


def _ping_text(facts: Facts) -> str:
    return f"{facts.summary}: this channel is connected. Nothing else happened."


# --- the three bodies ------------------------------------------------------------------------------


def webhook_body(facts: Facts, *, event_id: uuid.UUID, occurred_at: dt.datetime) -> dict:
    return {
        "id": str(event_id),
        "type": facts.event.value,
        "occurred_at": occurred_at.isoformat(),
        "summary": facts.summary,
        "url": facts.url,
        "data": facts.data,
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads these three as markup (its "Formatting text" guide).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(facts: Facts) -> dict:
    """A Block Kit message: a header, the summary, the facts, a button to the case."""
    if facts.event == Event.PING:
        text = _ping_text(facts)
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)}}]}
    return {
        "text": f"{facts.title}. {facts.summary}",  # notifications and clients without blocks
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": facts.title[:150], "emoji": False}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(facts.summary)}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{_slack_escape(value)}"} for label, value in facts.facts
                ][:10],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the case"},
                        "url": facts.url,
                    }
                ],
            },
        ],
    }


def teams_body(facts: Facts) -> dict:
    """An Adaptive Card in the envelope a Teams incoming webhook (or Workflows) accepts."""
    if facts.event == Event.PING:
        return _teams_card([{"type": "TextBlock", "text": _ping_text(facts), "wrap": True}], actions=[])
    return _teams_card(
        [
            {"type": "TextBlock", "text": facts.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": facts.summary, "wrap": True},
            {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in facts.facts]},
        ],
        actions=[{"type": "Action.OpenUrl", "title": "Open the case", "url": facts.url}],
    )


def _teams_card(body: list, *, actions: list) -> dict:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": actions,
                },
            }
        ],
    }
