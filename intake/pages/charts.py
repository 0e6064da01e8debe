"""Charts drawn by Intake on the server as SVG: horizontal bars, one row per category.

Across the page the geometry is in percent, so a chart fills any screen, a phone's
included; down the page it is in pixels, so its text keeps the page's size at any zoom.
Every bar is followed by its value and what it counts ("12 submitted"), so colour is never
the only carrier of meaning; the series also differ in pattern, and each chart comes with
its data as a table (``templates/_chart.html``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# The widest bar, in percent of the chart: the rest is room for the value after it.
SCALE = 55.0
FULL = 99.0  # with no text after the bars (less than 100: the limit's line stays visible)
LABEL_HEIGHT = 24  # a line of the category's name, above its bars
BAR_HEIGHT = 18
BAR_GAP = 4
ROW_GAP = 12
# A category's name (with its value) is wrapped at this many characters, so it fits a phone
# 320 px wide, on at most LABEL_LINES lines (the rest is cut; the table has it whole).
LABEL_CHARACTERS = 26
LABEL_LINES = 3

Format = Callable[[float], str]


def whole(value: float) -> str:
    return f"{value:,.0f}"


def days(value: float) -> str:
    return f"{value:,.1f}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


@dataclass(frozen=True, slots=True)
class Series:
    """What one bar of each row counts: its name after the value, and its fill (``style``:
    ``solid``, ``hatched``, ``dotted``, each with enough contrast on white)."""

    name: str
    style: str = "solid"
    fmt: Format = whole
    # The series' text for a value, e.g. "{value} submitted", and for no value at all.
    text: str = "{value} {name}"
    missing: str = "none"
    one: str | None = None  # the text for exactly 1, where it differs ("1 decision")


@dataclass(frozen=True, slots=True)
class Bar:
    style: str
    y: int
    width: float  # percent of the chart
    text_x: float  # percent: after the bar (or after the row's marker, when further)
    text: str
    warn: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    lines: list[tuple[str, int]]  # the category's name (and value): text and baseline
    bars: list[Bar]
    marker: float | None = None  # percent: a limit drawn across the row's bars
    marker_top: int = 0
    marker_bottom: int = 0


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its title and description, the rows drawn, and its data as a table."""

    id: str
    title: str
    description: str
    rows: list[Row]
    height: int
    table_head: list[str]
    table_rows: list[list[str]]
    series: list[Series] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True, slots=True)
class Category:
    """One row: its name, a value per series (None: not applicable), an optional limit."""

    label: str
    values: Sequence[float | None]
    limit: float | None = None
    warn: bool = False
    note: str = ""  # added after the last bar's text, e.g. "over the limit"


def _wrapped(label: str) -> list[str]:
    lines = textwrap.wrap(label, LABEL_CHARACTERS, break_on_hyphens=False) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][: LABEL_CHARACTERS - 1].rstrip() + "…"
    return lines


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[Category],
    series: Sequence[Series],
    *,
    label_heading: str,
    maximum: float | None = None,
    table_categories: Sequence[Category] | None = None,
) -> Chart:
    """Rows of bars, scaled to the largest value (or limit), or to ``maximum``.

    With one series the value goes on the category's line ("In triage: 4 problems"), so it
    has the whole width; with several, each bar is followed by its own short text. The
    table lists ``table_categories`` when given (rows the chart leaves out), else the rows.
    """
    values = [v for c in categories for v in c.values if v is not None]
    limits = [c.limit for c in categories if c.limit is not None]
    top = maximum if maximum is not None else max([*values, *limits, 0])
    single = len(series) == 1
    # One series: the value is on the label's line, the bar may take the whole width.
    scale = FULL if single else SCALE
    rows: list[Row] = []
    y = 0
    for category in categories:
        label = category.label
        if single:
            label = f"{label}: {_value_text(series[0], category.values[0])}"
        if category.note:
            label = f"{label}, {category.note}"
        lines = []
        for line in _wrapped(label):
            lines.append((line, y + LABEL_HEIGHT - 6))
            y += LABEL_HEIGHT
        marker = _scaled(category.limit, top, scale) if category.limit is not None else None
        bars = []
        top_of_bars = y
        for one, value in zip(series, category.values, strict=True):
            width = _scaled(value or 0, top, scale)
            text = _value_text(one, value)
            bars.append(
                Bar(
                    style=one.style,
                    y=y,
                    width=width,
                    text_x=max(width, marker or 0),
                    text="" if single else text,
                    warn=category.warn,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        rows.append(
            Row(
                lines=lines,
                bars=bars,
                marker=marker,
                marker_top=top_of_bars - 3,
                marker_bottom=y - BAR_GAP + 3,
            )
        )
        y += ROW_GAP
    head = [label_heading, *(s.name.capitalize() for s in series)]
    if any(c.limit is not None for c in categories):
        head.append("Limit")
    table = [
        [
            c.label,
            *("none" if v is None else s.fmt(v) for s, v in zip(series, c.values, strict=True)),
            *([] if c.limit is None else [whole(c.limit)]),
        ]
        for c in (categories if table_categories is None else table_categories)
    ]
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        rows=rows,
        height=max(y, 1),
        table_head=head,
        table_rows=table,
        series=list(series),
    )


def _value_text(series: Series, value: float | None) -> str:
    """The text for one value of a series: "12 submitted", "1 decision", "none stopped"."""
    if value is None:
        return series.missing
    if value == 1 and series.one is not None:
        return series.one
    return series.text.format(value=series.fmt(value), name=series.name)


def _scaled(value: float, top: float, scale: float) -> float:
    if top <= 0 or value <= 0:
        return 0.0
    return round(scale * min(value, top) / top, 2)
