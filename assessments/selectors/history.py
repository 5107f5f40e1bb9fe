"""Reads of the audit trail: who changed what about a partner, when, from what to what, in words.

The trail itself is django-simple-history's historical rows (models/audit.py, docs/AUDIT.md).
A partner's history gathers the partner's own rows (with its owners), its check-ups' rows and
their answers' rows, and the rows of any other audited model with a ``partner`` foreign key
(a new one joins by declaring ``history = audit_trail()``). The page costs a fixed number of
queries, whatever the length of the history: rows are read per model, related names in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from assessments.display import DASH, person_name, value_label
from assessments.models import Alert, Answer, Checkup, Interaction, Partner, PartnerSnapshot
from assessments.models.audit import CHANGED, CREATED, DELETED

# The newest entries shown on the page; the count of the rest is given.
HISTORY_LIMIT = 200
# Long texts (notes, comments) are cut to this many characters in a change.
TEXT_LIMIT = 300
SYSTEM = "The system"  # a change made outside a signed-in request (an import, a scheduled task)
ACTIONS = {CREATED: "created", CHANGED: "changed", DELETED: "deleted"}
ANSWER_ACTIONS = {CREATED: "answered", CHANGED: "changed answers in", DELETED: "removed answers from"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    action: str
    subject: str
    reason: str
    changes: tuple[FieldChange, ...]
    # A first row that is not a creation: the object existed before the trail began.
    unrecorded_before: bool = False


def partner_history_counts(*, partner_id: int) -> dict[str, int]:
    """What keeps a partner from being deleted: each protected kind of history and its count.

    Read from the model's PROTECT foreign keys, so a new kind of history (risk cases) counts
    as soon as it protects its partner.
    """
    counts = {}
    for relation in _protecting_relations():
        opts = relation.related_model._meta
        count = relation.related_model._default_manager.filter(**{relation.field.name: partner_id}).count()
        if count:
            counts[str(opts.verbose_name if count == 1 else opts.verbose_name_plural)] = count
    return counts


def _protecting_relations() -> list:
    """The PROTECT foreign keys to Partner, the weightiest history first."""
    first = [Checkup, PartnerSnapshot, Alert, Interaction]
    relations = [r for r in Partner._meta.related_objects if r.on_delete is models.PROTECT]
    return sorted(
        relations, key=lambda r: first.index(r.related_model) if r.related_model in first else len(first)
    )


def _partner_scoped_models() -> list[type[models.Model]]:
    """Audited models, other than check-ups, that belong to a partner through a ``partner`` key."""
    found = []
    for model in apps.get_app_config("assessments").get_models():
        if model in (Partner, Checkup) or not hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "partner"), None)
        if field is not None and field.related_model is Partner:
            found.append(model)
    return found


def _rows(model, **filters) -> list:
    return list(
        model.history.filter(**filters).select_related("history_user").order_by("history_date", "history_id")
    )


class _Names:
    """Related objects' names, read in one query per related model."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.found: dict[type, dict] = {}

    def want(self, model, pk) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def load(self) -> None:
        for model, pks in self.wanted.items():
            self.found[model] = model._default_manager.in_bulk(pks)

    def name(self, model, pk) -> str:
        if pk is None:
            return DASH
        obj = self.found.get(model, {}).get(pk)
        if obj is None:
            return f"#{pk} (deleted)"
        if model is get_user_model():
            return person_name(obj)
        # A rubric item by its title, never its "rubric.item" key.
        return getattr(obj, "title", None) or str(obj)


def _shown_fields(history_model) -> list:
    return [f for f in history_model.tracked_fields if f.name != "id" and f.editable]


def _value(field, value, names: _Names) -> str:
    if value is None or value == "":
        return DASH
    if field.is_relation:
        return names.name(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(field, models.DecimalField):
        return f"{Decimal(value):,.{field.decimal_places}f}"
    if isinstance(field, models.DateTimeField):
        return f"{timezone.localtime(value):%-d %b %Y %H:%M:%S}"
    if isinstance(field, models.DateField):
        return f"{value:%-d %b %Y}"
    text = str(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _pairs(rows: list) -> list[tuple]:
    """Each row with the previous row of the same object (None for its first)."""
    previous: dict = {}
    pairs = []
    for row in rows:
        pairs.append((previous.get(row.id), row))
        previous[row.id] = row
    return pairs


def _who(row) -> str:
    return person_name(row.history_user) if row.history_user_id else SYSTEM


def _checkup_subject(checkup_id, checkups: dict, names: _Names) -> str:
    period_id, rater_id = checkups.get(checkup_id, (None, None))
    if period_id is None:
        return f"check-up #{checkup_id}"
    return f"the {names.name(_period_model(), period_id)} check-up by {names.name(get_user_model(), rater_id)}"


def _period_model():
    return Checkup._meta.get_field("period").related_model


def _field_changes(old, new, fields, names: _Names) -> tuple[FieldChange, ...]:
    changes = []
    for field in fields:
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before != after:
            changes.append(FieldChange(capfirst(field.verbose_name), _value(field, before, names),
                                       _value(field, after, names)))
    return tuple(changes)


def _want_relations(rows: list, fields, names: _Names) -> None:
    for row in rows:
        for field in fields:
            if field.is_relation:
                names.want(field.related_model, getattr(row, field.attname))


def partner_history(*, partner_id: int, limit: int = HISTORY_LIMIT) -> dict:
    """The partner's audit trail, newest first, as sentences with their changed fields.

    Raises Partner.DoesNotExist. The caller decides who may read it (leadership and admins).
    """
    partner = Partner.objects.get(pk=partner_id)
    names = _Names()
    User = get_user_model()

    partner_rows = _rows(Partner, id=partner_id)
    owners_model = Partner.history.model._meta.get_field("historicalpartner_owners").related_model
    owners_at: dict[int, set] = defaultdict(set)
    for history_id, user_id in owners_model.objects.filter(history__id=partner_id).values_list(
        "history_id", "user_id"
    ):
        owners_at[history_id].add(user_id)
        names.want(User, user_id)

    checkup_rows = _rows(Checkup, partner_id=partner_id)
    checkups = {row.id: (row.period_id, row.rater_id) for row in checkup_rows}
    for pk, period_id, rater_id in Checkup.objects.filter(partner_id=partner_id).values_list(
        "pk", "period_id", "rater_id"
    ):
        checkups[pk] = (period_id, rater_id)
    for period_id, rater_id in checkups.values():
        names.want(_period_model(), period_id)
        names.want(User, rater_id)
    answer_rows = _rows(Answer, checkup_id__in=list(checkups)) if checkups else []
    other_rows = {model: _rows(model, partner_id=partner_id) for model in _partner_scoped_models()}

    partner_fields = _shown_fields(Partner.history.model)
    checkup_fields = _shown_fields(Checkup.history.model)
    _want_relations(partner_rows, partner_fields, names)
    _want_relations(checkup_rows, checkup_fields, names)
    for model, rows in other_rows.items():
        _want_relations(rows, _shown_fields(model.history.model), names)
    item_model = Answer._meta.get_field("item").related_model
    for row in answer_rows:
        names.want(item_model, row.item_id)
    names.found[Partner] = {partner.pk: partner}
    names.wanted.pop(Partner, None)
    names.load()

    entries = [
        *_partner_entries(partner_rows, partner_fields, owners_at, names),
        *_model_entries(checkup_rows, checkup_fields, names,
                        subject=lambda row: _checkup_subject(row.id, checkups, names)),
        *_answer_entries(answer_rows, checkups, names),
    ]
    for model, rows in other_rows.items():
        label = str(model._meta.verbose_name)
        entries += _model_entries(rows, _shown_fields(model.history.model), names,
                                  subject=lambda row, label=label: f"the {label} #{row.id}")
    entries.sort(key=lambda e: e.when, reverse=True)
    return {"partner": partner, "entries": entries[:limit], "total": len(entries), "limit": limit}


def _partner_entries(rows, fields, owners_at, names: _Names) -> list[HistoryEntry]:
    entries = []
    owners_field = "Owners"
    for old, new in _pairs(rows):
        changes = _field_changes(old, new, fields, names) if old is not None else ()
        before = owners_at.get(old.history_id, set()) if old is not None else set()
        after = owners_at.get(new.history_id, set())
        if old is not None and before != after:
            changes += (FieldChange(owners_field, _people(before, names), _people(after, names)),)
        elif old is None and new.history_type == CREATED and after:
            changes += (FieldChange(owners_field, DASH, _people(after, names)),)
        entry = _entry(old, new, "the partner", changes)
        if entry is not None:
            entries.append(entry)
    return entries


def _people(user_ids: set, names: _Names) -> str:
    if not user_ids:
        return DASH
    return ", ".join(sorted(names.name(get_user_model(), pk) for pk in user_ids))


def _model_entries(rows, fields, names: _Names, *, subject) -> list[HistoryEntry]:
    entries = []
    for old, new in _pairs(rows):
        changes = _field_changes(old, new, fields, names) if old is not None and new.history_type == CHANGED else ()
        entry = _entry(old, new, subject(new), changes)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(old, new, subject: str, changes: tuple) -> HistoryEntry | None:
    if old is not None and new.history_type == CHANGED and not changes:
        return None  # only untracked fields changed (a draft's last-saved time): nothing to tell
    return HistoryEntry(
        when=new.history_date,
        who=_who(new),
        action=ACTIONS[new.history_type],
        subject=subject,
        reason=new.history_change_reason or "",
        changes=changes,
        unrecorded_before=old is None and new.history_type == CHANGED,
    )


def _answer_entries(rows, checkups, names: _Names) -> list[HistoryEntry]:
    """One entry per save of a check-up's answers (one write, one rater, one moment)."""
    item_model = Answer._meta.get_field("item").related_model
    groups: dict[tuple, list[FieldChange]] = defaultdict(list)
    heads: dict[tuple, object] = {}
    for old, new in _pairs(rows):
        key = (new.checkup_id, new.history_date, new.history_user_id, new.history_type)
        heads.setdefault(key, new)
        title = names.name(item_model, new.item_id)
        before = value_label(old.scale, old.value) if old is not None and new.history_type != CREATED else DASH
        if new.history_type == DELETED:
            before, after = value_label(new.scale, new.value), DASH
        else:
            after = value_label(new.scale, new.value)
        if before != after or new.history_type != CHANGED:
            groups[key].append(FieldChange(title, before, after))
        old_comment = old.comment if old is not None and new.history_type != CREATED else ""
        new_comment = "" if new.history_type == DELETED else new.comment
        if old_comment != new_comment:
            comment = Answer._meta.get_field("comment")
            groups[key].append(
                FieldChange(f"{title} (comment)", _value(comment, old_comment, names), _value(comment, new_comment, names))
            )
    entries = []
    for key, changes in groups.items():
        head = heads[key]
        entries.append(
            HistoryEntry(
                when=head.history_date,
                who=_who(head),
                action=ANSWER_ACTIONS[head.history_type],
                subject=_checkup_subject(head.checkup_id, checkups, names),
                reason=head.history_change_reason or "",
                changes=tuple(changes),
            )
        )
    return entries
