"""What happened, told to whoever listens: sent by the services INSIDE the writing transaction.

Receivers (the ``integrations`` app records a webhook or chat delivery per subscribed endpoint)
write their rows in the same transaction, so the event and its deliveries commit or roll back
together. This module imports nothing of ours, so any layer may send these signals; assessments
never imports a receiver.

* ``case_changed(case, kind)``: ``kind`` is ``"opened"`` (first opened or reopened), ``"escalated"``
  (severity rose) or ``"resolved"`` (by itself or by hand). Replays of old quarters send nothing.
* ``checkup_submitted(checkup, amended)``: a check-up was submitted, or a submitted one amended.
* ``survey_responded(response)``: a partner answered a survey (the partner survey sends it).
"""

from __future__ import annotations

from django.dispatch import Signal

case_changed = Signal()
checkup_submitted = Signal()
survey_responded = Signal()


class CaseChange:
    OPENED = "opened"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
