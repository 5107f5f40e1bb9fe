"""Evidence cross-checks: answers that what the app has on record contradicts (docs/EVIDENCE.md).

Pure: the selector (``selectors/crosschecks.py``) gathers the evidence, this module decides.
A contradiction never blocks anything; it is a "please check" note that names the answer, the
evidence with its figures, and the seed article the check comes from.

Each check reads only answers that were given: an item left unanswered (or answered "not
applicable") is never contradicted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from assessments.periods import Quarter

# The items the checks read, by their fixed ``rubric.item`` address.
TRUST = "characteristics.trust"
FACE_TO_FACE = "traits.face_to_face"
HONESTY = "traits.honesty"
LITTLE_INTERACTION = "symptoms.little_interaction"
CHASING_RAINBOWS = "symptoms.chasing_rainbows"
ITEMS = (TRUST, FACE_TO_FACE, HONESTY, LITTLE_INTERACTION, CHASING_RAINBOWS)

# Titles as rubric version 1 words them; the selector passes the version's own titles.
DEFAULT_TITLES = {
    TRUST: "Trust between the organisations",
    FACE_TO_FACE: "Meeting face to face",
    HONESTY: "Honesty",
    LITTLE_INTERACTION: "Little to no interaction",
    CHASING_RAINBOWS: "Chasing rainbows",
}
RATING_WORDS = {1: "Poor", 2: "Weak", 3: "Adequate", 4: "Good", 5: "Excellent"}
INTENSITY_NONE = 0  # "None" on the 0-3 symptom scale

# Engagement statuses that mean the joint proposal landed (see models.partners.Engagement).
WON_STATUSES = ("won", "active", "completed")

# The seed articles, by the titles the rubrics show for them.
SEED_TITLES = {
    "001": "Seven things it takes to be a partner",
    "002": "Five symptoms that a partnership is under the weather",
}


class Check(StrEnum):
    CONTACT = "contact"
    QUIET_QUARTER = "quiet_quarter"
    RAINBOWS = "rainbows"
    HONESTY = "honesty"
    PAYMENT = "payment"

    @property
    def title(self) -> str:
        return CHECK_TITLES[self]

    @property
    def seeds(self) -> tuple[str, ...]:
        return CHECK_SEEDS[self]


CHECK_TITLES = {
    Check.CONTACT: "Rated close, but no contact on record",
    Check.QUIET_QUARTER: "No lack of interaction, but none logged this quarter",
    Check.RAINBOWS: "No chasing rainbows, but proposals keep failing",
    Check.HONESTY: "Rated honest, but information was withheld",
    Check.PAYMENT: "Payment reports disagree",
}
CHECK_SEEDS = {
    Check.CONTACT: ("001", "002"),
    Check.QUIET_QUARTER: ("002",),
    Check.RAINBOWS: ("002",),
    Check.HONESTY: ("001",),
    Check.PAYMENT: ("001",),
}


@dataclass(frozen=True)
class Thresholds:
    """settings.CROSSCHECK_* (README, docs/EVIDENCE.md)."""

    high_rating: int = 4  # a rating at or above this is "high" (trust, face to face, honesty)
    silence_days: int = 120  # days without any logged interaction that contradict a high rating
    in_person_quarters: int = 2  # quarters (this one included) that should hold a meeting in person
    quarter_interactions: int = 1  # interactions this quarter below which "little interaction: none" is doubted
    rainbow_proposals: int = 4  # joint proposals without a win that contradict "chasing rainbows: none"
    rainbow_quarters: int = 8  # quarters (this one included) the proposals are counted over
    payment_late_days: int = 15  # days beyond the terms that make a payment late (the red flag's first grade)

    def __post_init__(self) -> None:
        if not 1 <= self.high_rating <= 5:
            raise ValueError("CROSSCHECK_HIGH_RATING must be a rating from 1 to 5.")
        for name in (
            "silence_days",
            "in_person_quarters",
            "quarter_interactions",
            "rainbow_proposals",
            "rainbow_quarters",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"CROSSCHECK_{name.upper()} must be 1 or more.")
        if self.payment_late_days < 0:
            raise ValueError("CROSSCHECK_PAYMENT_LATE_DAYS cannot be negative.")


def evidence_until(quarter: Quarter, *, today: dt.date) -> dt.date:
    """The last day whose evidence counts: the quarter's end, or today while it runs."""
    return min(quarter.ends_on, today)


def in_person_since(quarter: Quarter, thresholds: Thresholds) -> dt.date:
    return quarter.shift(-(thresholds.in_person_quarters - 1)).starts_on


def rainbow_since(quarter: Quarter, thresholds: Thresholds) -> dt.date:
    return quarter.shift(-(thresholds.rainbow_quarters - 1)).starts_on


@dataclass(frozen=True)
class Evidence:
    """What is on record about the partner up to ``until`` (see ``evidence_until``)."""

    quarter: Quarter
    until: dt.date
    last_contact: dt.date | None = None  # the newest interaction on or before ``until``
    last_in_person: dt.date | None = None  # the newest face-to-face interaction on or before ``until``
    contacts_this_quarter: int = 0  # interactions from the quarter's start to ``until``
    proposals: int = 0  # joint engagements started from ``rainbow_since`` to ``until``
    wins: int = 0  # of those, the ones won (WON_STATUSES)
    payment_terms_days: int = 30
    # Red flags of the partner's other submitted check-ups of the same quarter (co-raters).
    others_days_to_pay: tuple[int, ...] = ()
    others_info_withheld: int = 0


@dataclass(frozen=True)
class Report:
    """What the rater said: answers by address (unanswered items absent) and the red flags."""

    answers: Mapping[str, int]
    info_withheld: bool = False
    days_to_pay: int | None = None
    titles: Mapping[str, str] = field(default_factory=lambda: DEFAULT_TITLES)

    def title(self, address: str) -> str:
        return self.titles.get(address) or DEFAULT_TITLES[address]


@dataclass(frozen=True)
class Contradiction:
    check: Check
    said: str  # what the answer says, in words
    found: str  # what the evidence says, with its figures
    figures: Mapping[str, object] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.check.title

    @property
    def seeds(self) -> tuple[str, ...]:
        return self.check.seeds

    @property
    def sources(self) -> str:
        """The seed articles in words: '“Seven things …” and “Five symptoms …”'."""
        return " and ".join(f"“{SEED_TITLES[seed]}”" for seed in self.seeds)

    @property
    def text(self) -> str:
        return f"{self.said}, but {self.found}."


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _rated(report: Report, address: str) -> str:
    """'Honesty rated 5 · Excellent'."""
    value = report.answers[address]
    return f"{report.title(address)} rated {value} · {RATING_WORDS.get(value, '')}".rstrip(" ·")


def _quarters(first: Quarter, last: Quarter) -> str:
    return last.code if first == last else f"{first.code} to {last.code}"


def _contact(report: Report, evidence: Evidence, t: Thresholds) -> Contradiction | None:
    high = [
        a for a in (TRUST, FACE_TO_FACE) if report.answers.get(a) is not None and report.answers[a] >= t.high_rating
    ]
    if not high:
        return None
    found = []
    silent = None if evidence.last_contact is None else (evidence.until - evidence.last_contact).days
    if silent is None:
        found.append("no interaction with them is logged at all")
    elif silent >= t.silence_days:
        found.append(
            f"no interaction has been logged for {silent} days, since {_day(evidence.last_contact)} "
            f"(the check looks for one within {t.silence_days} days)"
        )
    since = in_person_since(evidence.quarter, t)
    if evidence.last_contact is not None and (evidence.last_in_person is None or evidence.last_in_person < since):
        first = evidence.quarter.shift(-(t.in_person_quarters - 1))
        if evidence.last_in_person is None:
            found.append("no meeting in person is logged at all")
        else:
            found.append(
                f"no meeting in person is logged in {_quarters(first, evidence.quarter)} "
                f"(the last on {_day(evidence.last_in_person)})"
            )
    if not found:
        return None
    return Contradiction(
        Check.CONTACT,
        " and ".join(_rated(report, a) for a in high),
        "; ".join(found),
        {
            "ratings": {a: report.answers[a] for a in high},
            "days_since_contact": silent,
            "last_in_person": evidence.last_in_person,
            "in_person_since": since,
        },
    )


def _quiet_quarter(report: Report, evidence: Evidence, t: Thresholds) -> Contradiction | None:
    if report.answers.get(LITTLE_INTERACTION) != INTENSITY_NONE:
        return None
    count = evidence.contacts_this_quarter
    if count >= t.quarter_interactions:
        return None
    span = f"{_day(evidence.quarter.starts_on)} to {_day(evidence.until)}"
    if count == 0:
        found = f"no interaction is logged in {evidence.quarter.code} ({span})"
    else:
        found = (
            f"only {count} interaction{'s' if count != 1 else ''} {'are' if count != 1 else 'is'} logged in "
            f"{evidence.quarter.code} ({span}; the check looks for {t.quarter_interactions})"
        )
    return Contradiction(
        Check.QUIET_QUARTER,
        f"{report.title(LITTLE_INTERACTION)} rated 0 · None",
        found,
        {"interactions": count},
    )


def _rainbows(report: Report, evidence: Evidence, t: Thresholds) -> Contradiction | None:
    if report.answers.get(CHASING_RAINBOWS) != INTENSITY_NONE:
        return None
    if evidence.wins or evidence.proposals < t.rainbow_proposals:
        return None
    first = evidence.quarter.shift(-(t.rainbow_quarters - 1))
    return Contradiction(
        Check.RAINBOWS,
        f"{report.title(CHASING_RAINBOWS)} rated 0 · None",
        f"{evidence.proposals} joint proposals were made in the last {t.rainbow_quarters} quarters "
        f"({_quarters(first, evidence.quarter)}) and none was won",
        {"proposals": evidence.proposals, "wins": evidence.wins},
    )


def _honesty(report: Report, evidence: Evidence, t: Thresholds) -> Contradiction | None:
    value = report.answers.get(HONESTY)
    if value is None or value < t.high_rating:
        return None
    if not report.info_withheld and not evidence.others_info_withheld:
        return None
    if report.info_withheld:
        found = "the same check-up flags that they withheld information we needed"
    else:
        n = evidence.others_info_withheld
        found = (
            f"{'another check-up' if n == 1 else f'{n} other check-ups'} of them for {evidence.quarter.code} "
            f"{'flags' if n == 1 else 'flag'} that they withheld information we needed"
        )
    return Contradiction(
        Check.HONESTY,
        _rated(report, HONESTY),
        found,
        {"honesty": value, "own_flag": report.info_withheld, "others_flagging": evidence.others_info_withheld},
    )


def _payment_words(days: int, terms: int) -> str:
    beyond = days - terms
    return f"{days} days, {beyond} beyond the terms" if beyond > 0 else f"{days} days, on time"


def _payment(report: Report, evidence: Evidence, t: Thresholds) -> Contradiction | None:
    days, terms = report.days_to_pay, evidence.payment_terms_days
    if days is None or not evidence.others_days_to_pay:
        return None

    def late(d: int) -> bool:
        return d - terms > t.payment_late_days

    if days <= terms:
        others = sorted((d for d in evidence.others_days_to_pay if late(d)), reverse=True)
    elif late(days):
        others = sorted(d for d in evidence.others_days_to_pay if d <= terms)
    else:
        return None  # a little late: neither on time nor late enough to contradict anyone
    if not others:
        return None
    other = others[0]
    who = "another check-up" if len(others) == 1 else f"{len(others)} other check-ups"
    return Contradiction(
        Check.PAYMENT,
        f"Days to pay reported as {_payment_words(days, terms)} (net {terms})",
        f"{who} of them for {evidence.quarter.code} report{'s' if len(others) == 1 else ''} "
        f"{_payment_words(other, terms)}",
        {"days_to_pay": days, "terms": terms, "others": tuple(others)},
    )


CHECKS = (_contact, _quiet_quarter, _rainbows, _honesty, _payment)


def cross_check(report: Report, evidence: Evidence, thresholds: Thresholds | None = None) -> list[Contradiction]:
    """Every contradiction between the report and the evidence, in the order of ``Check``."""
    thresholds = thresholds or Thresholds()
    return [c for check in CHECKS if (c := check(report, evidence, thresholds)) is not None]


def checks_flagged(results: Sequence[Sequence[Contradiction]]) -> dict[Check, int]:
    """How many of the check-ups each check flags."""
    counts = dict.fromkeys(Check, 0)
    for contradictions in results:
        for check in {c.check for c in contradictions}:
            counts[check] += 1
    return counts
