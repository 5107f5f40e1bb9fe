"""The audit trail: who changed what, when, and from what to what (docs/AUDIT.md).

django-simple-history keeps a historical row per save and delete of an audited model. A model
joins the trail with one line, ``history = audit_trail()``; one with a ``partner`` foreign key
then shows on that partner's history page without more code (selectors/history.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from simple_history.models import HistoricalRecords

# The kinds of historical row, as django-simple-history writes them.
CREATED, CHANGED, DELETED = "+", "~", "-"


def audit_trail(**options) -> HistoricalRecords:
    """Historical records for a model, with the project's defaults."""
    return HistoricalRecords(**options)


def history_record_bulk(
    model, objs: Iterable, *, kind: str, user=None, reason: str = "", when: dt.datetime | None = None
) -> None:
    """Historical rows for writes that skip ``save()`` and ``delete()`` (bulk upserts and deletes).

    ``objs`` hold the values after the write (before it, for a delete) and their primary keys.
    """
    history = model.history.model
    when = when or timezone.now()
    rows = [
        history(
            history_date=when,
            history_user=user,
            history_change_reason=reason or None,
            history_type=kind,
            **{field.attname: getattr(obj, field.attname) for field in history.tracked_fields},
        )
        for obj in objs
    ]
    history.objects.bulk_create(rows)
