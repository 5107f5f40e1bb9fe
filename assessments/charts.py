"""Line charts drawn as SVG on the server: the review pack's health trend and the perception gap.

Pure (no Django): this module only places things. ``line_chart`` turns quarters and values into
coordinates (lines, points, axis ticks, dashed threshold lines with their names beside the plot),
and ``templates/partials/_svg_line_chart.html`` writes them out as an inline ``<svg>``. The same
markup is read by a browser, printed, and drawn into the PDF by WeasyPrint, which has no canvas
and runs no script: a chart that needs JavaScript would be missing from the printed pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Colour, marker and dash differ between series, so no line is told apart by colour alone.
STYLES = (
    {"colour": "#0d6efd", "dash": "", "marker": "circle"},
    {"colour": "#b02a37", "dash": "6 3", "marker": "square"},
    {"colour": "#6f42c1", "dash": "2 2", "marker": "diamond"},
)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: float
    label: str  # the quarter

    @property
    def corner_x(self) -> float:
        return round(self.x - 4, 1)

    @property
    def corner_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    dash: str
    marker: str
    # One "x,y x,y" string per run of quarters with values: a quarter without one breaks the line.
    segments: list[str]
    points: list[ChartPoint]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str

    @property
    def baseline(self) -> float:
        """Where a label's baseline sits to be centred on a horizontal line at ``position``."""
        return round(self.position + 4, 1)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    # Dashed lines across the plot with their names in the right margin (never over a line).
    thresholds: list[Tick] = field(default_factory=list)
    title: str = ""

    @property
    def plot_width(self) -> float:
        return round(self.right - self.left, 1)

    @property
    def plot_height(self) -> float:
        return round(self.bottom - self.top, 1)

    @property
    def y_label_x(self) -> float:
        return round(self.left - 6, 1)

    @property
    def x_label_y(self) -> float:
        return round(self.bottom + 18, 1)

    @property
    def threshold_label_x(self) -> float:
        return round(self.right + 6, 1)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    y_min: float = 0.0,
    y_max: float = 100.0,
    y_step: float = 25.0,
    thresholds: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 220,
    title: str = "",
) -> LineChart:
    """Coordinates for a line chart of ``series`` (name, one value or None per label) over ``labels``.

    Values outside ``y_min``..``y_max`` are clamped to the plot's edge so a line never leaves it.
    """
    if y_max <= y_min:
        raise ValueError("The chart's top must lie above its bottom.")
    # Room for the last quarter's label, or for the threshold names beside the plot.
    left, right = 44.0, width - (110.0 if thresholds else 32.0)
    top, bottom = 12.0, height - 30.0
    count = len(labels)

    def x_at(index: int) -> float:
        if count <= 1:
            return round((left + right) / 2, 1)
        return round(left + (right - left) * index / (count - 1), 1)

    def y_at(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return round(bottom - (bottom - top) * (clamped - y_min) / (y_max - y_min), 1)

    drawn = []
    for position, (name, values) in enumerate(series):
        if len(values) != count:
            raise ValueError(f"The series {name!r} has {len(values)} values for {count} quarters.")
        style = STYLES[position % len(STYLES)]
        points, segments, run = [], [], []
        for index, value in enumerate(values):
            if value is None:
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            point = ChartPoint(x=x_at(index), y=y_at(value), value=value, label=labels[index])
            points.append(point)
            run.append(f"{_fmt(point.x)},{_fmt(point.y)}")
        if run:
            segments.append(" ".join(run))
        drawn.append(Series(name=name, segments=segments, points=points, **style))

    y_ticks = []
    step = 0
    while y_min + step * y_step <= y_max + 1e-9:
        value = y_min + step * y_step
        y_ticks.append(Tick(position=y_at(value), label=f"{value:g}"))
        step += 1
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        series=drawn,
        x_ticks=[Tick(position=x_at(i), label=label) for i, label in enumerate(labels)],
        y_ticks=y_ticks,
        thresholds=[Tick(position=y_at(value), label=name) for value, name in thresholds],
        title=title,
    )
