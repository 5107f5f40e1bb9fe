"""Running the dashboard's fixed-shape reads as written SQL.

The tiles, the period counts, the filter choices and the roll-up fingerprint
are a dozen statements whose shape never changes. Through the ORM, building,
compiling and reading back each one cost about a millisecond of Python: 14 ms
of a view with nothing cached at 10,000 partners, against under 2 ms as
written SQL (PostgreSQL itself spends about 35 ms on them; bench/dashboard.py).
So they are written out in the module that owns them and run here. The SQL is
portable: the tests run it on SQLite, CI and production on PostgreSQL. Reads
whose shape depends on the request (the heatmap's filters and sorts) stay with
the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal

from django.db import connection

# SQLite sums a decimal column as a float: read it back as Django's ORM does.
_FLOAT_TO_DECIMAL = Context(prec=15).create_decimal_from_float


def rows(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def placeholders(values: Sequence) -> str:
    """``%s, %s, %s`` for an ``IN (...)`` of ``values`` (at least one)."""
    return ", ".join(["%s"] * len(values))


def decimal(value) -> Decimal:
    """A money column or sum as a Decimal (0 for none): PostgreSQL returns one, SQLite an int or a float."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return _FLOAT_TO_DECIMAL(value)
    return Decimal(value)
