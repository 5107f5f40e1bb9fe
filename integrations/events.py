"""The events an endpoint can subscribe to: one name, one place, with the words people read."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    CASE_OPENED = "case.opened"
    CASE_ESCALATED = "case.escalated"
    CASE_RESOLVED = "case.resolved"
    CHECKUP_SUBMITTED = "checkup.submitted"
    SURVEY_RESPONDED = "survey.responded"
    # Sent only by an endpoint page's "Send a test event" button; nobody subscribes to it.
    PING = "ping"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    Event.CASE_OPENED: "A case is opened (or reopened)",
    Event.CASE_ESCALATED: "A case becomes more severe",
    Event.CASE_RESOLVED: "A case is resolved",
    Event.CHECKUP_SUBMITTED: "A check-up is submitted or amended",
    Event.SURVEY_RESPONDED: "A partner answers a survey",
    Event.PING: "A test event",
}

# What an endpoint may tick: every event but the test event.
SUBSCRIBABLE = tuple(e for e in Event if e != Event.PING)

# Chat channels carry what people act on: the case events.
CASE_EVENTS = (Event.CASE_OPENED, Event.CASE_ESCALATED, Event.CASE_RESOLVED)
