"""Did the plan work: a linked rubric item's value when an action started, at each later check-up, and
whether it recovered. Pure (no Django); ``selectors.actions`` reads the numbers, docs/ACTIONS.md explains
the rule with a worked example.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assessments.display import DASH, number
from assessments.scoring import Scale

# An item has recovered when its latest value is back within this many points of its value before
# the decline ...
NEAR_PRE_DECLINE = 0.5
# ... or is at least this many points better than when the plan started.
BETTER_THAN_START = 1.0
ARROW = "\u2192"


@dataclass(frozen=True)
class Point:
    code: str  # the quarter, "2027-Q1"
    value: float


@dataclass(frozen=True)
class ItemProgress:
    """One linked item of one action: its mean when the plan started, and at each check-up since."""

    action_id: int
    address: str
    title: str
    scale: str
    start: Point | None
    later: tuple[Point, ...] = field(default=())

    @property
    def latest(self) -> Point | None:
        return self.later[-1] if self.later else None

    @property
    def text(self) -> str:
        """'Trust between the organisations: 2.0 when the plan started → 3.5 in 2027-Q1'."""
        parts = [f"{number(self.start.value) if self.start else DASH} when the plan started"]
        parts += [f"{number(point.value)} in {point.code}" for point in self.later]
        text = f"{self.title}: " + f" {ARROW} ".join(parts)
        return text if self.later else f"{text}; no check-up since"

    @property
    def lower_is_better(self) -> bool:
        # A symptom's intensity (0-3) improves as it falls; a rating (1-5) as it rises.
        return self.scale == Scale.INTENSITY.value

    def better_by(self, value: float, than: float) -> float:
        """How much better ``value`` is than ``than``, on this item's scale (negative: worse)."""
        return than - value if self.lower_is_better else value - than

    def recovered(self, pre_decline: float | None = None) -> bool | None:
        """None without a check-up since the start; else the rule of docs/ACTIONS.md."""
        latest = self.latest
        if latest is None:
            return None
        if pre_decline is not None and self.better_by(latest.value, pre_decline) >= -NEAR_PRE_DECLINE - 1e-9:
            return True
        return self.start is not None and self.better_by(latest.value, self.start.value) >= BETTER_THAN_START - 1e-9


@dataclass(frozen=True)
class Recovery:
    recovered: tuple[ItemProgress, ...]
    not_recovered: tuple[ItemProgress, ...]
    # Linked items with no check-up since their action started.
    unknown: tuple[ItemProgress, ...]

    @property
    def summary(self) -> str:
        """One line for a resolution summary, e.g. 'Recovered: Trust between the organisations. Not yet: …'."""
        parts = []
        for label, rows in (
            ("Recovered", self.recovered),
            ("Not yet", self.not_recovered),
            ("No check-up since the plan started", self.unknown),
        ):
            if rows:
                parts.append(f"{label}: {', '.join(row.title for row in rows)}.")
        return " ".join(parts) or "No action is linked to a rubric item."


def linked_items_recovered(
    progress: Iterable[ItemProgress], *, pre_decline: Mapping[str, float] | None = None
) -> Recovery:
    """Which linked items recovered; ``pre_decline`` maps an item's address to its value before the decline.

    An item linked by several actions is judged once, from the action that started first (the longest view).
    """
    pre_decline = pre_decline or {}
    first: dict[str, ItemProgress] = {}
    for row in progress:
        kept = first.get(row.address)
        if kept is None or _started_before(row, kept):
            first[row.address] = row
    buckets: dict[bool | None, list[ItemProgress]] = {True: [], False: [], None: []}
    for row in first.values():
        buckets[row.recovered(pre_decline.get(row.address))].append(row)
    return Recovery(tuple(buckets[True]), tuple(buckets[False]), tuple(buckets[None]))


# --- the resolution summary ---------------------------------------------------------------

RECOVERED_HEADING = "Linked items that recovered"
NOT_RECOVERED_HEADING = "Linked items that did not recover"
UNKNOWN_HEADING = "Linked items with no check-up since the plan started"


def outcome_text(row: ItemProgress, *, pre_decline: float | None = None, pre_decline_code: str | None = None) -> str:
    """'Trust between the organisations, 2.0 when the plan started → 4.0 in 2026-Q4 (4.0 before the decline, in 2026-Q1)'.

    The start and the latest check-up only: a summary, where ``ItemProgress.text`` lists every quarter.
    """
    text = f"{row.title}, {number(row.start.value) if row.start else DASH} when the plan started"
    if row.latest is not None:
        text += f" {ARROW} {number(row.latest.value)} in {row.latest.code}"
    if pre_decline is not None:
        text += f" ({number(pre_decline)} before the decline" + (f", in {pre_decline_code})" if pre_decline_code else ")")
    return text


def resolution_summary(
    recovery: Recovery, *, pre_decline: Mapping[str, float] | None = None, pre_decline_code: str | None = None
) -> str:
    """The lines a case's resolution adds about its action plan, one per outcome; "" when no action is linked.

    Linked items that recovered: Trust between the organisations, 2.0 when the plan started → 4.0 in 2026-Q4 (…).
    Linked items that did not recover: …
    """
    pre_decline = pre_decline or {}
    lines = []
    for heading, rows in (
        (RECOVERED_HEADING, recovery.recovered),
        (NOT_RECOVERED_HEADING, recovery.not_recovered),
        (UNKNOWN_HEADING, recovery.unknown),
    ):
        if rows:
            texts = [
                outcome_text(row, pre_decline=pre_decline.get(row.address), pre_decline_code=pre_decline_code)
                for row in rows
            ]
            lines.append(f"{heading}: {'; '.join(texts)}.")
    return "\n".join(lines)


def verdict(row: ItemProgress, *, pre_decline: float | None = None) -> str:
    """'recovered', 'not yet' or 'no check-up since', for one line of a "did it work" panel."""
    recovered = row.recovered(pre_decline)
    return "no check-up since" if recovered is None else ("recovered" if recovered else "not yet")


def _started_before(row: ItemProgress, other: ItemProgress) -> bool:
    # A known start beats an unknown one; then the earlier quarter (codes sort by time), then the older action.
    mine = (row.start is None, row.start.code if row.start else "", row.action_id)
    theirs = (other.start is None, other.start.code if other.start else "", other.action_id)
    return mine < theirs
