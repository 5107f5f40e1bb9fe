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


BASELINE_REASON = "As it was before its first recorded change (written by an import or before the audit trail began)"


def history_baseline(model, objs: Iterable, *, when: dt.datetime | None) -> None:
    """Record the current state of objects that have no history yet, so their next change shows "from what".

    Rows written by bulk imports (and rows older than the trail) have no historical row; without
    this, their first change would read "from nothing". One query to look, one to write.
    """
    objs = [obj for obj in objs if obj.pk is not None]
    if not objs:
        return
    recorded = set(model.history.filter(id__in=[obj.pk for obj in objs]).values_list("id", flat=True))
    missing = [obj for obj in objs if obj.pk not in recorded]
    if missing:
        history_record_bulk(model, missing, kind=CREATED, reason=BASELINE_REASON, when=when)
