"""Calendar quarters, written ``YYYY-Qn`` everywhere (URLs, imports, exports).

Pure: no ORM, so the scoring and trend code can use it too.

Partner Health keeps periods from 2000-Q1 to 2100-Q4 (``FIRST_YEAR``..``LAST_YEAR``).
Every entry point (a URL, a form, an import) parses with ``Quarter.parse_supported``,
which refuses anything outside with a ``PeriodError`` naming the range. Arithmetic
may step outside it: the page of a 2000-Q1 snapshot looks for the quarter before, and
that lookup must find nothing, not fail. So a ``Quarter`` itself only has to be a
quarter whose first and last days exist in the calendar (years 1 to 9998).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_CODE = re.compile(r"^(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])\Z")


# The periods Partner Health keeps. Checked where a period comes in: the check-ups page's
# ?past=, the import, the period services and Period.clean.
FIRST_YEAR = 2000
LAST_YEAR = 2100
SUPPORTED_RANGE = f"{FIRST_YEAR}-Q1 to {LAST_YEAR}-Q4"
# Quarter arithmetic stays within dates Python can represent (ends_on needs the next year).
_MIN_YEAR, _MAX_YEAR = 1, 9998


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter must be 1-4, not {self.quarter}")
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise PeriodError(f"year {self.year} is outside the periods Partner Health keeps ({SUPPORTED_RANGE})")

    @classmethod
    def parse(cls, code: str) -> Quarter:
        match = _CODE.match(code.strip()) if isinstance(code, str) else None
        if not match:
            raise PeriodError(f"{code!r} is not a period; write it as YYYY-Qn, e.g. 2026-Q3")
        year = int(match["year"])
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise PeriodError(f"{code.strip()} is outside the periods Partner Health keeps ({SUPPORTED_RANGE})")
        return cls(year, int(match["quarter"]))

    @classmethod
    def parse_supported(cls, code: str) -> Quarter:
        """Parse a period someone typed or sent, refusing one outside ``SUPPORTED_RANGE``."""
        return cls.parse(code).check_supported()

    @property
    def is_supported(self) -> bool:
        return FIRST_YEAR <= self.year <= LAST_YEAR

    def check_supported(self) -> Quarter:
        """This quarter, or a ``PeriodError`` naming the range if it is outside it."""
        if not self.is_supported:
            raise PeriodError(f"{self.code} is outside the periods Partner Health keeps ({SUPPORTED_RANGE})")
        return self

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def code(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"

    def __str__(self) -> str:
        return self.code

    @property
    def starts_on(self) -> dt.date:
        return dt.date(self.year, 3 * (self.quarter - 1) + 1, 1)

    @property
    def ends_on(self) -> dt.date:
        return self.next().starts_on - dt.timedelta(days=1)

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.quarter - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def next(self) -> Quarter:
        return self.shift(1)

    def previous(self) -> Quarter:
        return self.shift(-1)

    def window(self, count: int) -> list[Quarter]:
        """The ``count`` quarters ending with this one, oldest first."""
        return [self.shift(-offset) for offset in range(count - 1, -1, -1)]


def current_quarter(*, today: dt.date) -> Quarter:
    """The quarter that ``today`` (a local date: callers pass ``timezone.localdate()``) falls in."""
    return Quarter.containing(today)


# A quarter stands for the portfolio when at least this share of the best-covered quarter's
# partners were scored in it; the dashboard opens on the newest such quarter, and the weekly
# digest says when the quarter it reports is not one.
WELL_COVERED_SHARE = 0.5


def well_covered(scored: int, *, best: int) -> bool:
    """True when ``scored`` partners are enough for a quarter to stand for the portfolio."""
    return best > 0 and scored >= best * WELL_COVERED_SHARE
