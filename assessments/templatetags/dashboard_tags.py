"""Template helpers for the leadership dashboard: query-string links, sortable headers, the heatmap's rows.

Money is written by ``display_tags``' ``money`` (``assessments.display.money``), like every other page."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from assessments import display

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied; any change but paging returns to page 1."""
    # The query's lists, not a copy of the QueryDict: a page makes dozens of these links.
    params = dict(context["request"].GET.lists())
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value in (None, "", False):
            params.pop(key, None)
        else:
            params[key] = [str(value)]
    encoded = urlencode([(key, value) for key, values in params.items() for value in values])
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(
    context,
    key: str,
    label: str,
    title: str = "",
    numeric: bool = True,
    vertical: bool = False,
    anchor: str = "heatmap",
) -> str:
    """A column header that sorts by ``key``; a second click reverses the order. The link returns to ``#anchor``.

    Built in Python: a template per header costs a millisecond a table.
    """
    current = context["filters"].sort
    state = "ascending" if current == key else "descending" if current == f"-{key}" else ""
    href = conditional_escape(query_with(context, sort=f"-{key}" if state == "ascending" else key))
    css = ("text-end" if numeric else "") + (" item-col" if vertical else "")
    attrs = (f' aria-sort="{state}"' if state else "") + (f' title="{conditional_escape(title)}"' if title else "")
    arrow = {"ascending": "▲", "descending": "▼"}.get(state)
    arrow = f' <span aria-hidden="true">{arrow}</span>' if arrow else ""
    return mark_safe(
        f'<th scope="col" class="{css}"{attrs}><a class="sort-link" href="{href}#{conditional_escape(anchor)}">'
        f"{conditional_escape(label)}{arrow}</a></th>\n"
    )


@register.filter
def percent(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{int(digits)}f}%"


@register.simple_tag
def heatmap_rows(heatmap) -> str:
    """The heatmap's body rows, built in Python.

    Fifty rows of twenty cells are a thousand template lookups, most of the
    page's time at 10,000 partners; this is the same markup in a fraction of it.
    Text from the database (names) is escaped; the cells' numbers and band
    names come from our own formatting (selectors.dashboard.heatmap._cell).
    """
    escape = html.escape
    url_for = _partner_url_pattern()
    currency = settings.CURRENCY
    period_code = heatmap.period.code
    first_code = heatmap.sparkline_codes[0] if heatmap.sparkline_codes else period_code
    out = []
    for row in heatmap.rows:
        url = escape(url_for(row.partner_id))
        badge = ' <span class="badge text-bg-danger">Declining</span>' if row.declining else ""
        meta = f"{escape(row.segment_short)} · {escape(row.kind_label)}"
        if row.owners:
            meta += " · " + escape(", ".join(row.owners))
        cells = "".join(f'<td class="text-end band-{c.band}">{c.text}</td>' for c in (*row.cells, row.symptoms))
        # not-applicable: the coverage beside a health that rests on part of the check-up
        covered = (
            f'<span class="small d-block">{escape(display.coverage_label(row.coverage))}</span>'
            if row.coverage is not None and row.coverage < 1
            else ""
        )
        if row.stale:
            # Too old to stand for today: greyed, with the quarter it dates from (docs/DASHBOARD.md).
            health = (
                f'<td class="text-end text-body-secondary stale-cell" data-testid="stale">'
                f'<span class="small">{escape(row.stale_label)}</span></td>'
            )
        else:
            health = (
                f'<td class="text-end band-{row.band}"><span class="fw-semibold">{row.health:.1f}</span> '
                f'<span class="small">{escape(row.band_label)}</span>{covered}</td>'
            )
        out.append(
            ('<tr class="stale-row">' if row.stale else "<tr>")
            + f'<th scope="row" class="partner-cell"><a href="{url}">{escape(row.name)}</a>{badge}'
            f'<div class="small text-body-secondary fw-normal">{meta}</div></th>'
            f"{health}"
            f'<td class="text-end">{display.signed(row.change)}</td>'
            f'<td class="text-end">{escape(display.money(row.revenue, currency))}</td>'
            f"{cells}"
            f'<td class="text-end">{display.signed(row.perception_gap)}</td>'
            f'<td class="sparkline-cell"><canvas class="sparkline" width="96" height="28" '
            f'data-partner="{row.partner_id}" aria-hidden="true"></canvas><span class="sparkline-text small">'
            f'<span class="visually-hidden">Health {first_code} to {period_code}: </span>'
            f"{escape(row.sparkline_text)}</span></td>"
            "</tr>"
        )
    return mark_safe("\n".join(out))


@register.simple_tag
def select_options(field) -> str:
    """The ``<option>`` elements of a bound choice field, the chosen one selected, built in Python:
    Django renders each option through a template of its own, which for a few hundred account
    managers costs more than the rest of the page."""
    chosen = "" if field.value() in (None, "") else str(field.value())
    escape = html.escape
    return mark_safe(
        "".join(
            f'<option value="{escape(str(value))}"{" selected" if str(value) == chosen else ""}>{escape(str(label))}</option>'
            for value, label in field.field.choices
        )
    )


_SENTINEL = 987654321


def _partner_url_pattern():
    """``pk -> /partners/<pk>/`` from one reverse() per page instead of fifty."""
    template = reverse("partner_detail", args=[_SENTINEL])
    return lambda pk: template.replace(str(_SENTINEL), str(pk))
