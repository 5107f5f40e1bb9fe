"""Calendar quarters, written ``YYYY-Qn`` everywhere (URLs, imports, exports).

Pure: no ORM, so the scoring and trend code can use it too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_CODE = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter must be 1-4, not {self.quarter}")
        if not 1900 <= self.year <= 9999:
            raise PeriodError(f"year {self.year} is out of range")

    @classmethod
    def parse(cls, code: str) -> Quarter:
        match = _CODE.match(code.strip()) if isinstance(code, str) else None
        if not match:
            raise PeriodError(f"{code!r} is not a period; write it as YYYY-Qn, e.g. 2026-Q3")
        return cls(int(match["year"]), int(match["quarter"]))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.quarter}"

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
