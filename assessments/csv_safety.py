"""CSV cells that no spreadsheet will run as a formula (CSV injection). Pure: no Django.

OWASP's CSV-injection guidance: a cell a spreadsheet may read as a formula starts with
``=``, ``+``, ``-`` or ``@``, or with a tab or carriage return; prefix such a cell with a
single quote, which spreadsheets show as text. Spreadsheets are lenient about what comes
before the sign, so this module also neutralises a sign after leading white space (line
feeds too), quotes, semicolons or commas, and the full-width signs (U+FF1D, U+FF0B, U+FF0D, U+FF20) that some
of them fold to the ASCII ones.

Only text is neutralised: numbers are ours, and a negative change must stay a number.
"""

from __future__ import annotations

# A cell whose first meaningful character is one of these may be run as a formula.
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Characters a spreadsheet may skip before a formula sign: quotes, separators (ASCII and
# full-width). White space of any kind (tab, CR, LF, ideographic space) is skipped too.
LEAD_IN = frozenset("\"'`;,\uff02\uff07\uff1b\uff0c\u2018\u2019\u201c\u201d")
# A cell starting with one of these is neutralised whatever follows (OWASP lists tab and CR).
CONTROL_STARTS = frozenset("\t\r\n")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if text[:1] in CONTROL_STARTS:
        return True
    for char in text:
        if char in FORMULA_SIGNS:
            return True
        if char in LEAD_IN or char.isspace():
            continue
        return False
    return False


def neutralise(text: str) -> str:
    """``text``, prefixed with a single quote if a spreadsheet could run it."""
    return "'" + text if text and looks_like_formula(text) else text


def csv_cell(value) -> str:
    """One cell of an export: empty for None, yes/no for booleans, text neutralised, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)
