"""Tornado chart: which cost-model parameters move a process's total one-off cost most.

One bar per parameter from the total with that parameter at its low value
to the total at its high value, the others central; the vertical line is the
all-central total. Parameters that do not move the cost (low = high, or
affecting only the running effect) are listed below the chart.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .charts import AXIS, LABEL_FONT, TICK_FONT, TICK_LEN, _Axes, _polyline, _title
from .scene import Label, Rect, Scene
from .style import PALETTE, format_gbp, text_size, wrap_to_width

__all__ = ["tornado_chart", "tornado_scene"]

LOW_COLOUR = PALETTE["sky_blue"]
HIGH_COLOUR = PALETTE["vermillion"]


def tornado_chart(tornado: pd.DataFrame, path_stem: str | Path, *, title: str, max_rows: int = 15) -> list[Path]:
    """Draw :func:`divergence.costs.montecarlo.tornado`'s table; nothing when no parameter moves the cost."""
    if not len(tornado) or float(tornado["swing_gbp"].max()) <= 0:
        return []
    return tornado_scene(tornado, title=title, max_rows=max_rows).write(path_stem)


def tornado_scene(tornado: pd.DataFrame, *, title: str, max_rows: int = 15) -> Scene:
    """The drawing :func:`tornado_chart` writes."""
    from matplotlib.ticker import MaxNLocator

    t = tornado.sort_values(["swing_gbp", "parameter"], ascending=[False, True], kind="stable")
    moving = t[t["swing_gbp"] > 0].head(max_rows).reset_index(drop=True)
    still = [p for p in t["parameter"] if p not in set(moving["parameter"])]
    centre = float(t["central_cost_gbp"].iloc[0])
    labels = [f"{r.parameter} ({r.low:g}–{r.high:g})" for r in moving.itertuples()]
    label_w = max([text_size(s, TICK_FONT)[0] for s in labels] + [40])
    row, width = 22.0, 640 + label_w
    items: list = []
    top = _title(items, title, 10, 10, width - 20) + 10
    x0, x1 = 10 + label_w + 3.5 + TICK_LEN, width - 20
    y1 = top + row * max(len(moving), 1) + 6
    lo = min(float(moving[["cost_at_low_gbp", "cost_at_high_gbp"]].min().min()), centre)
    hi = max(float(moving[["cost_at_low_gbp", "cost_at_high_gbp"]].max().max()), centre)
    pad = (hi - lo) * 0.05 or max(abs(hi), 1.0) * 0.05
    ticks = [float(v) for v in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(lo - pad, hi + pad)]
    ticks = [v for v in ticks if lo - pad <= v <= hi + pad]
    ax = _Axes(x0, top, x1, y1, (lo - pad, hi + pad), (0, 1))
    xticks = [(v, format_gbp(v)) for v in ticks]
    ax.grid(items, xticks, [], ygrid=False)
    bar_h = 0.62 * row
    for i, r in enumerate(moving.itertuples()):
        y = top + 3 + (i + 0.5) * row
        for v, colour in ((r.cost_at_low_gbp, LOW_COLOUR), (r.cost_at_high_gbp, HIGH_COLOUR)):
            a, b = sorted((ax.x(centre), ax.x(float(v))))
            if b - a > 0:
                items.append(Rect(a, y - bar_h / 2, b - a, bar_h, fill=colour, stroke="#FFFFFF", lw=0.5, role="bar"))
        items.append(Label(x0 - TICK_LEN - 3.5, y, labels[i], TICK_FONT, align="end", role="tick-label"))
    items.append(_polyline([(ax.x(centre), top), (ax.x(centre), y1)], stroke=AXIS, lw=1.0, role="central"))
    ax.spines(items, xticks, [])
    y = y1 + TICK_LEN + 3.5 + TICK_FONT * 1.25 + 4
    items.append(Label((x0 + x1) / 2, y, f"process total one-off cost (all central: {format_gbp(centre)})",
                       LABEL_FONT, align="middle", valign="top", role="axis-label"))
    y += LABEL_FONT * 1.25 + 8
    for colour, text in ((LOW_COLOUR, "parameter at its low value"), (HIGH_COLOUR, "parameter at its high value")):
        items.append(Rect(x0, y - 3.5, 18, 7, fill=colour, role="legend-key"))
        items.append(Label(x0 + 24, y, text, 8, role="legend-label"))
        y += 8 * 1.6
    if still:
        for line in wrap_to_width("no effect on the one-off cost: " + ", ".join(still), 8, x1 - x0):
            items.append(Label(x0, y, line, 8, role="note"))
            y += 8 * 1.4
    return Scene(width, y + 6, items, title=title)
