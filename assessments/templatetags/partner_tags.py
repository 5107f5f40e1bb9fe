"""The partners list's table rows, built in Python (as the dashboard's heatmap rows are).

Fifty rows of eight cells are about a thousand template lookups, half the page's time at 10,000
partners. Names come from the database and are escaped; every number goes through ``display``.
"""

from __future__ import annotations

from html import escape

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from assessments import display

register = template.Library()

_SENTINEL = 987654321


@register.simple_tag
def partner_list_rows(rows) -> str:
    url = reverse("partner_detail", args=[_SENTINEL])
    currency = settings.CURRENCY
    out = []
    for row in rows:
        code = escape(row.period_code or "")
        kind = escape(row.kind_label)
        when = f'<span class="d-md-none"> · {code}</span>' if code else ""
        if row.stale_label:
            # Too old to stand for today: greyed, with the quarter it dates from (docs/DASHBOARD.md).
            health = (
                f'<td class="text-end text-body-secondary" data-testid="stale"><span class="small">'
                f'{escape(row.stale_label)}</span></td><td class="text-end">—</td>'
            )
        elif row.band:
            health = (
                f'<td class="text-end"><span class="fw-semibold">{display.number(row.health)}</span> '
                f'<span class="badge band-{escape(row.band)}">{escape(row.band_label)}</span></td>'
                f'<td class="text-end">{display.signed(row.change)}</td>'
            )
        else:
            health = '<td class="text-end text-body-secondary">not scored</td><td class="text-end">—</td>'
        if row.not_scored_note:
            # The newest quarter's check-ups covered too little to score (docs/SCORING.md): said beside
            # the older health, so it is not taken for this quarter's.
            note = (
                f'<span class="d-block small text-body-secondary" data-testid="not-scored">'
                f"{escape(row.not_scored_note)}</span>"
            )
            health = health.replace("</td>", f"{note}</td>", 1)
        out.append(
            "<tr>"
            f'<th scope="row" class="text-break"><a href="{escape(url.replace(str(_SENTINEL), str(row.pk)))}">'
            f"{escape(row.name)}</a>"
            f'<span class="d-block d-lg-none small fw-normal text-body-secondary">{kind} · '
            f"{escape(row.segment_short)}{when}</span></th>"
            f'<td class="d-none d-lg-table-cell">{kind}</td>'
            f'<td class="d-none d-lg-table-cell">{escape(row.segment_label)}</td>'
            f'<td class="d-none d-xl-table-cell small">{escape(", ".join(row.owners)) or "—"}</td>'
            f'<td class="d-none d-md-table-cell">{code or "—"}</td>'
            f"{health}"
            f'<td class="text-end text-nowrap">{escape(display.money(row.revenue, currency))}</td>'
            "</tr>"
        )
    # Every value above is escaped or is our own number format.
    return mark_safe("\n".join(out))
