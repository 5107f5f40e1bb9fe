"""Reads of the perception gap: our rating of a partner set against its rating of us.

Our side is the partner's snapshots (already read by the caller: the partner page, the review
pack); theirs is ``selectors.mirror.partner_view_series``, the stored ``partner_view`` of each
quarter (scored from the responses for a quarter we have not scored yet). Two queries, whatever
the history. The caller has checked the user may see the partner.
"""

from __future__ import annotations

from assessments.charts import line_chart
from assessments.display import number, signed, value_label
from assessments.models import Partner, PartnerSnapshot
from assessments.perception import gap, gap_sentence, item_gaps, view_dropped
from assessments.periods import Quarter
from assessments.scoring import Scale
from assessments.selectors.mirror import partner_view_series
from assessments.selectors.rubrics import rubric_items, rubric_version_current

# The rubrics both sides answer, with the same item keys (the mirror survey's version).
SHARED_RUBRICS = ("traits", "symptoms")


def _rows(items, ours: dict, theirs: dict) -> list[dict]:
    gaps = item_gaps([item.address for item in items], ours, theirs)
    return [
        {
            "address": row.address,
            "title": item.title,
            "ours": value_label(item.rubric.scale, row.ours),
            "theirs": value_label(item.rubric.scale, row.theirs),
            "gap": row.gap,
            "gap_label": signed(row.gap) if row.gap is not None else "—",
        }
        for item, row in zip(items, gaps, strict=True)
    ]


def partner_perception(
    *, partner: Partner, snapshots: list[PartnerSnapshot], quarters: list[Quarter], version_id: int | None = None
) -> dict:
    """Both views of ``partner`` over ``quarters`` (oldest first) and of the latest quarter it rated us.

    ``snapshots``: the partner's snapshots covering ``quarters`` (with ``period`` loaded), any order.
    """
    views = dict(partner_view_series(partner.pk))
    ours_by_code = {s.period.code: s for s in snapshots}
    codes = [q.code for q in quarters]
    # The latest quarter they rated us; the window may end before it (a quarter we have not scored).
    latest_code = next(reversed(views), None)
    if latest_code is not None and latest_code not in codes and Quarter.parse(latest_code) > quarters[-1]:
        codes = [q.code for q in Quarter.parse(latest_code).window(len(quarters))]
    history = []
    for code in codes:
        ours = ours_by_code.get(code)
        theirs = views.get(code)
        value = gap(ours.health if ours else None, theirs["health"] if theirs else None)
        history.append(
            {
                "code": code,
                "ours": ours.health if ours else None,
                "theirs": theirs["health"] if theirs else None,
                "responses": theirs["responses"] if theirs else 0,
                "gap": value,
                "gap_label": signed(value) if value is not None else "—",
            }
        )
    result = {
        "has_view": bool(views),
        "history": history,
        "latest": None,
    }
    if not views:
        return result
    result["chart"] = line_chart(
        codes,
        [
            ("Our rating of them", [row["ours"] for row in history]),
            ("Their rating of us", [row["theirs"] for row in history]),
        ],
    )
    theirs = views[latest_code]
    ours = ours_by_code.get(latest_code)
    version_id = ours.rubric_version_id if ours else (version_id or rubric_version_current().id)
    items = [item for item in rubric_items(version_id=version_id) if item.rubric.key in SHARED_RUBRICS]
    our_means = ours.item_means if ours else {}
    latest_gap = gap(ours.health if ours else None, theirs["health"])
    codes_rated = list(views)
    before = views[codes_rated[-2]] if len(codes_rated) >= 2 else None
    result["latest"] = {
        "code": latest_code,
        "ours": ours,
        "ours_label": number(ours.health) if ours else "—",
        "theirs": theirs,
        "theirs_label": number(theirs["health"]),
        "responses": theirs["responses"],
        "gap": latest_gap,
        "gap_label": signed(latest_gap) if latest_gap is not None else "—",
        "sentence": gap_sentence(latest_gap, partner=partner.name),
        "previous_code": codes_rated[-2] if before else None,
        "dropped": view_dropped(before["health"] if before else None, theirs["health"]),
        "change": round(theirs["health"] - before["health"], 2) if before else None,
        "traits": _rows([i for i in items if i.rubric.scale == Scale.RATING.value], our_means, theirs["item_means"]),
        "symptoms": _rows(
            [i for i in items if i.rubric.scale == Scale.INTENSITY.value], our_means, theirs["item_means"]
        ),
    }
    change = result["latest"]["change"]
    result["latest"]["change_label"] = signed(change) if change is not None else "—"
    # A drop is said in words ("dropped by 9.4 points"), so its figure carries no sign.
    result["latest"]["drop_label"] = number(-change) if change is not None else "—"
    return result
