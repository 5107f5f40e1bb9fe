"""Bulk import of submitted check-ups from CSV: all or nothing."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from assessments.models import Answer, Checkup, Partner
from assessments.periods import PeriodError, Quarter
from assessments.scoring import BIG_MOVE, Scale, big_moves
from assessments.selectors.checkups import raters_previous_answers
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.periods import periods_get_or_create
from assessments.services.snapshots import snapshots_recompute

COLUMNS = ("partner", "period", "rater", "item", "score")
# An optional sixth column: the answer's comment (a move of 2 points or more needs one).
COLUMNS_WITH_COMMENT = (*COLUMNS, "comment")
# "not applicable / don't know" in the score column.
NOT_APPLICABLE = "na"
COMMENT_MAX = 1000
MAX_REPORTED_ERRORS = 50

Progress = Callable[[int, int], None]


class ImportFailed(Exception):
    """The file was rejected; nothing was written. ``errors`` name each bad line."""

    def __init__(self, errors: list[str], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__("\n".join(errors))


def text_lines(binary) -> Iterator[str]:
    """The lines of a UTF-8 file (a leading BOM is skipped) for ``checkups_import``.

    A byte that is not UTF-8 rejects the file naming its offset from the start of the
    file and its line. (A text stream's own error counts from the chunk it was decoding.)
    """
    counted = _CountedBytes(binary)
    try:
        yield from io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
    except UnicodeDecodeError as error:
        offset, line = counted.place(error)
        raise ImportFailed(
            [
                f"line {line}: the file is not UTF-8 text ({error.reason}: byte 0x{error.object[error.start]:02x} "
                f"at byte offset {offset}); save it as UTF-8"
            ]
        ) from None


class _CountedBytes(io.BufferedIOBase):
    """A binary stream that remembers what it handed out, to place a decoding error in the file."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self.consumed = 0
        self._chunk = b""
        self._newlines_before_chunk = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._raw.read(size))

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._raw, "read1", None)
        return self._count(read1(size) if read1 else self._raw.read(size))

    def _count(self, data: bytes) -> bytes:
        self._newlines_before_chunk += self._chunk.count(b"\n")
        self._chunk = data
        self.consumed += len(data)
        return data

    def place(self, error: UnicodeDecodeError) -> tuple[int, int]:
        """The error's byte offset in the file and its line. The decoder's input ends where reading
        stopped: the last chunk, after at most three undecoded bytes of the one before (no newline)."""
        offset = self.consumed - len(error.object) + error.start
        chunk_start = self.consumed - len(self._chunk)
        line = self._newlines_before_chunk + self._chunk[: max(0, offset - chunk_start)].count(b"\n") + 1
        return offset, line


@dataclass
class ImportResult:
    rows: int = 0
    assessments: int = 0
    snapshots: int = 0
    partners_created: list[str] = field(default_factory=list)
    raters_created: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    partner: str
    period: Quarter
    rater: str
    item: str
    # None: "not applicable / don't know".
    value: int | None
    comment: str = ""


def checkups_import(
    *, lines: Iterable[str], create_missing: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Import ``partner,period,rater,item,score`` rows as submitted check-ups.

    Each (partner, period, rater) becomes one submitted check-up and must
    answer every item of the current rubric version. Any bad row rejects the
    whole file with its line number and reason; nothing is written.
    """
    version = rubric_version_current()
    items = rubric_item_index(version_id=version.id)
    rows, errors, rejected_groups = _parse(lines, items)

    groups: dict[tuple[str, Quarter, str], list[_Row]] = defaultdict(list)
    for row in rows:
        groups[(row.partner, row.period, row.rater)].append(row)
    for (partner, period, rater), members in groups.items():
        missing = sorted(set(items) - {r.item for r in members})
        # A group with a rejected row is already reported at that row.
        if missing and (partner, period.code, rater) not in rejected_groups:
            errors.append(
                (
                    members[0].line,
                    f"the check-up of {partner} for {period} by {rater} is incomplete; missing {', '.join(missing)}",
                )
            )

    partners = {p.name: p for p in Partner.objects.filter(name__in={r.partner for r in rows})}
    User = get_user_model()
    emails = {r.rater for r in rows}
    users = {u.email.lower(): u for u in User.objects.annotate(e=Lower("email")).filter(e__in=emails)}
    if not create_missing:
        first_line: dict[tuple[str, str], int] = {}
        for row in rows:
            if row.partner not in partners:
                first_line.setdefault(("partner", row.partner), row.line)
            if row.rater not in users:
                first_line.setdefault(("rater", row.rater), row.line)
        for (kind, name), line in first_line.items():
            errors.append((line, f"unknown {kind} {_quote(name)} (use --create-missing to create it)"))

    errors.extend(_big_moves_without_comment(groups, partners, users, items))

    existing = _existing_checkups(groups, partners, users)
    for key in existing:
        errors.append(
            (groups[key][0].line, f"{key[0]} already has a check-up for {key[1]} by {key[2]}; imports never overwrite")
        )

    if errors:
        raise _rejected(errors)

    return _write(groups, partners, users, items, version, create_missing, progress, len(rows))


def _parse(lines: Iterable[str], items: dict) -> tuple[list[_Row], list[tuple[int, str]], set[tuple[str, str, str]]]:
    reader = csv.reader(lines)
    errors: list[tuple[int, str]] = []
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise ImportFailed(["line 1: the file is empty; expected the header " + ",".join(COLUMNS)]) from None
    except csv.Error as exc:
        raise _rejected([(1, _csv_reason(exc))]) from None
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if tuple(header) not in (COLUMNS, COLUMNS_WITH_COMMENT):
        raise ImportFailed([f"line 1: the header must be {','.join(COLUMNS)}, not {_header_preview(header)}"])
    columns = tuple(header)

    partner_limit, rater_limit = _column_limits()
    rows: list[_Row] = []
    rejected_groups: set[tuple[str, str, str]] = set()
    seen: dict[tuple, int] = {}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot go on from a broken row: report it with what was found before it.
            errors.append((reader.line_num, _csv_reason(exc)))
            raise _rejected(errors) from None
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(columns):
            errors.append((line, f"expected {len(columns)} columns, found {len(fields):,}"))
            continue
        if any("\x00" in f for f in fields):
            # PostgreSQL cannot store it, and no spreadsheet writes it: the file is not plain text.
            errors.append((line, "contains a NUL byte (0x00); save the file as plain UTF-8 text"))
            continue
        partner, period_code, rater, address, raw_score = (f.strip() for f in fields[:5])
        comment = fields[5].strip() if len(fields) > 5 else ""
        problems = []
        if len(comment) > COMMENT_MAX:
            problems.append(f"the comment is longer than {COMMENT_MAX:,} characters")
        if not partner:
            problems.append("the partner is empty")
        elif len(partner) > partner_limit:
            problems.append(f"the partner name {_quote(partner)} is longer than {partner_limit} characters")
        try:
            period = Quarter.parse_supported(period_code)
        except PeriodError as exc:
            problems.append(str(exc) if len(period_code) <= 40 else f"{_quote(period_code)} is not a period")
            period = None
        rater = rater.lower()
        if len(rater) > rater_limit:
            problems.append(f"rater {_quote(rater)} is longer than {rater_limit} characters")
        elif not _is_email(rater):
            problems.append(f"rater {_quote(rater)} is not an e-mail address")
        item = items.get(address)
        if item is None:
            problems.append(f"unknown item {_quote(address)} (items look like characteristics.trust)")
        value = None
        if raw_score.lower() == NOT_APPLICABLE:
            pass
        else:
            try:
                value = int(raw_score)
            except ValueError:
                problems.append(f"score {_quote(raw_score)} is not a whole number or na (not applicable)")
        if item is not None and value is not None:
            low, high = Scale(item.rubric.scale).bounds
            if not low <= value <= high:
                problems.append(f"score {value} for {address} is outside {low}..{high}")
        if problems:
            errors.append((line, "; ".join(problems)))
            rejected_groups.add((partner, period_code, rater))
            continue
        key = (partner, period, rater, address)
        if key in seen:
            errors.append((line, f"duplicate of line {seen[key]} ({partner}, {period}, {rater}, {address})"))
            continue
        seen[key] = line
        rows.append(_Row(line, partner, period, rater, address, value, comment))
    return rows, errors, rejected_groups


def _big_moves_without_comment(groups, partners, users, items) -> list[tuple[int, str]]:
    """A move of 2 points or more from the same rater's previous check-up in the database needs a comment."""
    keys = {
        (partners[p].id, users[r].id, q.year, q.quarter): (p, q, r)
        for p, q, r in groups
        if p in partners and r in users
    }
    previous = raters_previous_answers(keys=set(keys))
    errors = []
    for key, before in previous.items():
        members = {row.item: row for row in groups[keys[key]]}
        moved = big_moves(before, {address: row.value for address, row in members.items()})
        for address in moved:
            row = members[address]
            if row.comment:
                continue
            errors.append(
                (
                    row.line,
                    f"{address} ({items[address].title}) moved from {before[address]} to {row.value} since this "
                    f"rater's previous check-up of {row.partner}; a move of {BIG_MOVE} points or more needs a "
                    "comment saying why (add a comment column)",
                )
            )
    return errors


def _rejected(errors: list[tuple[int, str]]) -> ImportFailed:
    """The file's rejection: its first ``MAX_REPORTED_ERRORS`` problems by line, and how many there were."""
    messages = [f"line {line}: {reason}" for line, reason in sorted(errors)]
    return ImportFailed(messages[:MAX_REPORTED_ERRORS], total=len(messages))


def _csv_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"not a readable CSV row ({error})"


def _quote(value: str, limit: int = 60) -> str:
    """A value from the file, quoted and cut short: an error message never repeats a huge field."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


def _header_preview(header: list[str], shown: int = 8) -> str:
    if len(header) <= shown and sum(map(len, header)) <= 200:
        return ",".join(header)
    return ",".join(_quote(column, 20) for column in header[:shown]) + f",… ({len(header):,} columns)"


@lru_cache(maxsize=1)
def _column_limits() -> tuple[int, int]:
    """The longest partner name and rater e-mail the tables hold (a rater's e-mail is also their username)."""
    User = get_user_model()
    rater = min(User._meta.get_field("email").max_length, User._meta.get_field("username").max_length)
    return Partner._meta.get_field("name").max_length, rater


@lru_cache(maxsize=4096)
def _is_email(value: str) -> bool:
    # A file names few raters many times over; validate each address once.
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _existing_checkups(groups, partners, users) -> set[tuple[str, Quarter, str]]:
    wanted_partners = {partners[p].id for p, _, _ in groups if p in partners}
    wanted_users = {users[r].id for _, _, r in groups if r in users}
    if not wanted_partners or not wanted_users:
        return set()
    found = set(
        Checkup.objects.filter(partner_id__in=wanted_partners, rater_id__in=wanted_users).values_list(
            "partner_id", "period__code", "rater_id"
        )
    )
    return {
        key
        for key in groups
        if key[0] in partners and key[2] in users and (partners[key[0]].id, key[1].code, users[key[2]].id) in found
    }


def _write(groups, partners, users, items, version, create_missing, progress, row_count) -> ImportResult:
    result = ImportResult(rows=row_count)
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        if create_missing:
            new_users = sorted({r for _, _, r in groups} - set(users))
            for email in new_users:
                user = User(username=email, email=email)
                user.set_unusable_password()
                user.save()
                users[email] = user
            result.raters_created = new_users
            new_partners = sorted({p for p, _, _ in groups} - set(partners))
            Partner.objects.bulk_create([Partner(name=name) for name in new_partners], batch_size=2000)
            partners.update({p.name: p for p in Partner.objects.filter(name__in=new_partners)})
            # The raters of a partner the import creates become its owners.
            Owner = Partner.owners.through
            owner_pairs = {(partners[p].id, users[r].id) for p, _, r in groups if p in new_partners}
            Owner.objects.bulk_create(
                [Owner(partner_id=partner_id, user_id=user_id) for partner_id, user_id in sorted(owner_pairs)],
                batch_size=5000,
                ignore_conflicts=True,
            )
            result.partners_created = new_partners

        periods = periods_get_or_create(quarters=sorted({q for _, q, _ in groups}))
        keys = list(groups)
        created = Checkup.objects.bulk_create(
            [
                Checkup(
                    partner=partners[p],
                    period=periods[q.code],
                    rater=users[r],
                    rubric_version=version,
                    status=Checkup.Status.SUBMITTED,
                    last_saved_at=now,
                    submitted_at=now,
                )
                for p, q, r in keys
            ],
            batch_size=2000,
        )
        answers: list[tuple[int, int, str, int | None, str]] = []
        done = 0
        for key, checkup in zip(keys, created, strict=True):
            for row in groups[key]:
                item = items[row.item]
                answers.append((checkup.id, item.id, item.rubric.scale, row.value, row.comment))
            if len(answers) >= 10000:
                _insert_answers(answers)
                done += len(answers)
                answers = []
                if progress:
                    progress(done, row_count)
        _insert_answers(answers)
        if progress:
            progress(row_count, row_count)
        result.checkups = len(created)
        result.snapshots = snapshots_recompute(pairs={(a.partner_id, a.period_id) for a in created})
    return result


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab and line breaks escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert_answers(rows: list[tuple[int, int, str, int | None, str]]) -> None:
    """Insert answers; on PostgreSQL with COPY, which is several times faster than INSERT."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Answer.objects.bulk_create(
            [Answer(checkup_id=a, item_id=i, scale=s, value=v, comment=c) for a, i, s, v, c in rows], batch_size=5000
        )
        return
    buffer = io.StringIO()
    for checkup_id, item_id, scale, value, comment in rows:
        shown = "\\N" if value is None else value
        buffer.write(f"{checkup_id}\t{item_id}\t{scale}\t{shown}\t{_copy_text(comment)}\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        # The check constraint on value still applies to COPY.
        cursor.copy_expert(
            f"COPY {Answer._meta.db_table} ({Answer._meta.get_field('checkup').column}, item_id, scale, value, comment) FROM STDIN",
            buffer,
        )
