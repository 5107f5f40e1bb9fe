"""The events an endpoint can subscribe to: one name, one place, with the words people read."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    CASE_OPENED = "case.opened"
    CASE_ESCALATED = "case.escalated"
    CASE_RESOLVED = "case.resolved"
    CHECKUP_SUBMITTED = "checkup.submitted"
    SURVEY_RESPONDED = "survey.responded"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    Event.CASE_OPENED: "A case is opened (or reopened)",
    Event.CASE_ESCALATED: "A case becomes more severe",
    Event.CASE_RESOLVED: "A case is resolved",
    Event.CHECKUP_SUBMITTED: "A check-up is submitted or amended",
    Event.SURVEY_RESPONDED: "A partner answers a survey",
}

# Chat channels carry what people act on: the case events.
CASE_EVENTS = (Event.CASE_OPENED, Event.CASE_ESCALATED, Event.CASE_RESOLVED)
