"""Charts: divergence heatmap with dendrogram, variant coverage, costs, waves.

Each chart is built as a :class:`~divergence.render.scene.Scene` in points
and written as SVG and PNG by it (see ``scene.py`` for why not matplotlib
figures). Matplotlib still lends its colormap (viridis) and tick locator.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import check_matrix
from ..profile import UnitProfile
from .scene import Circle, Curve, Label, Rect, Scene
from .style import KIND_COLOURS, PALETTE, SERIES, format_gbp, text_size, tint, to_hex, wrap_to_width

__all__ = [
    "divergence_heatmap",
    "variant_coverage_chart",
    "cost_chart",
    "waves_chart",
    "divergence_heatmap_scene",
    "variant_coverage_scene",
    "cost_scene",
    "waves_scene",
]

KINDS = ("add", "drop", "reorder", "rework")
TITLE_FONT = 12.0
TICK_FONT = 8.5
LABEL_FONT = 9.0
VALUE_FONT = 7.5
AXIS = PALETTE["black"]
AXIS_LW = 0.8
TICK_LEN = 3.5
HEATMAP_GRID = 2400.0  # largest side of the heatmap's matrix (points): 80 units at full cell size
GRID = "#DDDDDD"
GRID_LW = 0.6
#: Dash patterns of series beyond the eighth colour, in line widths (matplotlib's).
SERIES_DASHES = [None, (3.7, 1.6), (1.0, 1.65), (6.4, 1.6, 1.0, 1.6)]


def _title(scene_items: list, title: str, x: float, y: float, width: float) -> float:
    """Bold title lines from ``(x, y)`` wrapped to ``width``; returns the y below them."""
    for line in wrap_to_width(title, TITLE_FONT, width, weight="bold") or [""]:
        scene_items.append(Label(x, y, line, TITLE_FONT, bold=True, valign="top", role="title"))
        y += TITLE_FONT * 1.25
    return y


# ---------------------------------------------------------------- heatmap


def divergence_heatmap(
    matrix: np.ndarray,
    units: list[str],
    linkage: np.ndarray | None,
    families: dict[str, list[str]] | None,
    path_stem: str | Path,
    *,
    title: str,
    measure_name: str,
) -> list[Path]:
    """Heatmap of a unit-by-unit divergence matrix, ordered by the dendrogram.

    Parameters
    ----------
    matrix : ndarray (n, n)
        Divergences in [0, 1], rows and columns in the order of ``units``.
    units : list of str
    linkage : ndarray or None
        SciPy linkage matrix over ``units``; when given, rows and columns
        follow its leaf order and its dendrogram is drawn above the heatmap.
    families : dict or None
        ``{family id: [unit, ...]}``; drawn as a labelled strip beside the
        rows and as boxes around families that sit together.
    title, measure_name : str
        Figure title; name of the measure on the colour bar.
    """
    scene = divergence_heatmap_scene(matrix, units, linkage, families, title=title, measure_name=measure_name)
    return scene.write(path_stem)


def divergence_heatmap_scene(matrix, units, linkage, families, *, title, measure_name) -> Scene:
    """The drawing :func:`divergence_heatmap` writes."""
    from matplotlib import colormaps

    n = len(units)
    m = check_matrix(matrix, n, what="divergence matrix")
    order = list(range(n))
    dendro = None
    if linkage is not None and n > 1:
        from scipy.cluster.hierarchy import dendrogram

        dendro = dendrogram(np.asarray(linkage, dtype=float), no_plot=True, labels=None)
        order = [int(i) for i in dendro["leaves"]]
    names = [str(units[i]) for i in order]
    mo = m[np.ix_(order, order)]
    fam_of = {str(u): str(f) for f, us in (families or {}).items() for u in us}
    viridis = colormaps["viridis"]

    # geometry in points; many units shrink the cells (values go, names shrink) instead of the page growing
    full_cell = max(30.0, text_size("0.00", 8)[0] + 10)
    cell = min(full_cell, max(HEATMAP_GRID / max(n, 1), 1.0))
    show_values, tick_font = cell >= full_cell, min(TICK_FONT, cell * 0.85)
    label_w = max(text_size(s, tick_font)[0] for s in names) + 10 if names and tick_font >= 4.0 else 10
    strip = 16.0 if families else 0.0
    fam_label_w = (max(text_size(f, 8)[0] for f in set(fam_of.values())) + 12) if fam_of else 0.0
    dend_h = 60.0 if dendro else 0.0
    cbar_w = 12.0
    cbar_tick_w = text_size("0.0", 8)[0] + TICK_LEN + 4
    cbar_lab = cbar_tick_w + 8 * 1.25 + 8
    left = 14 + label_w
    grid = cell * n
    right = 8 + strip + fam_label_w + 18 + cbar_w + cbar_lab
    # wide enough for the matrix, and for the title on one line unless it is long
    width = max(left + grid + right, 360.0, min(text_size(title, TITLE_FONT, "bold")[0] + 30, 720.0))
    frame: list = []
    title_h = _title(frame, title, 14, 14, width - 22) + 6
    bottom = 12 + label_w
    height = title_h + dend_h + 6 + grid + bottom
    y0 = title_h + dend_h + 6
    items: list = []

    for i in range(n):
        for j in range(n):
            v = mo[i, j]
            face = to_hex(viridis(float(np.clip(v, 0, 1))) if math.isfinite(v) else "#FFFFFF")
            items.append(Rect(left + j * cell, y0 + i * cell, cell, cell, fill=face, crisp=True, role="cell"))
    for i in range(n if show_values else 0):
        for j in range(n):
            v = mo[i, j]
            items.append(Label(left + (j + 0.5) * cell, y0 + (i + 0.5) * cell, f"{v:.2f}", VALUE_FONT,
                               colour="#000000" if v > 0.55 else "#FFFFFF", align="middle", role="value"))
    for i, s in enumerate(names if tick_font >= 4.0 else []):
        items.append(Label(left - 4, y0 + (i + 0.5) * cell, s, tick_font, align="end", role="row-label"))
        items.append(Label(left + (i + 0.5) * cell, y0 + grid + 4, s, tick_font, align="end", rotate=90,
                           role="column-label"))
    if dendro:
        top = max([max(d) for d in dendro["dcoord"]] + [1e-9]) * 1.05
        for xs, ys in zip(dendro["icoord"], dendro["dcoord"]):
            pts = [(left + ((x - 5) / 10 + 0.5) * cell, title_h + dend_h * (1 - y / top)) for x, y in zip(xs, ys)]
            items.append(Curve((("M", pts[0]),) + tuple(("L", p) for p in pts[1:]), stroke=PALETTE["grey"], lw=1.0,
                               role="dendrogram"))
    sx = left + grid + 8
    if fam_of:
        fams = sorted(set(fam_of.values()))
        colour = {f: SERIES[i % len(SERIES)] for i, f in enumerate(fams)}
        for f, a, b in _runs([fam_of.get(u) for u in names]):
            if f is None:
                continue
            items.append(Rect(sx, y0 + a * cell, strip, (b - a + 1) * cell, fill=colour[f], stroke="#FFFFFF",
                              lw=1.0, role="family-strip"))
            items.append(Label(sx + strip + 5, y0 + (a + b + 1) / 2 * cell, f, 8, role="family-label"))
            if b > a:
                box = (left + a * cell, y0 + a * cell, (b - a + 1) * cell, (b - a + 1) * cell)
                items.append(Rect(*box, stroke="#FFFFFF", lw=2.2, role="family-box"))
                items.append(Rect(*box, stroke=colour[f], lw=1.2, role="family-box"))
    # colour bar: 0 at the bottom, 1 at the top
    cx = sx + strip + fam_label_w + 18
    steps = 128
    for k in range(steps):
        v = (k + 0.5) / steps
        y = y0 + grid * (1 - (k + 1) / steps)
        items.append(Rect(cx, y, cbar_w, grid / steps, fill=to_hex(viridis(v)), crisp=True, role="colour-bar"))
    items.append(Rect(cx, y0, cbar_w, grid, stroke=AXIS, lw=AXIS_LW, role="colour-bar"))
    for t in np.linspace(0, 1, 6):
        y = y0 + grid * (1 - t)
        items.append(Curve((("M", (cx + cbar_w, y)), ("L", (cx + cbar_w + TICK_LEN, y))), stroke=AXIS, lw=AXIS_LW,
                           role="tick"))
        items.append(Label(cx + cbar_w + TICK_LEN + 3.5, y, f"{t:.1f}", 8, role="tick-label"))
    items.append(Label(cx + cbar_w + cbar_tick_w + 4 + 8 * 0.62, y0 + grid / 2,
                       f"{measure_name} (0 = same, 1 = fully different)", TICK_FONT, align="middle", rotate=90,
                       role="axis-label"))
    return Scene(width, height, frame + items, title=title)


# ---------------------------------------------------------------- axes


class _Axes:
    """A plot rectangle in points with linear or log-10 data scales (y grows upwards in data)."""

    def __init__(self, x0, y0, x1, y1, xlim, ylim, xlog=False):
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.xlim, self.ylim, self.xlog = xlim, ylim, xlog

    def _f(self, v, lim, log):
        if log:
            v, lim = math.log10(v), (math.log10(lim[0]), math.log10(lim[1]))
        return (v - lim[0]) / (lim[1] - lim[0])

    def x(self, v: float) -> float:
        return self.x0 + self._f(v, self.xlim, self.xlog) * (self.x1 - self.x0)

    def y(self, v: float) -> float:
        return self.y1 - self._f(v, self.ylim, False) * (self.y1 - self.y0)

    def grid(self, items, xticks, yticks, *, xgrid=True, ygrid=True) -> None:
        """Light grid lines at the ticks (``[(value, text)]``)."""
        if xgrid:
            for v, _ in xticks:
                x = self.x(v)
                items.append(Curve((("M", (x, self.y0)), ("L", (x, self.y1))), stroke=GRID, lw=GRID_LW, role="grid"))
        if ygrid:
            for v, _ in yticks:
                y = self.y(v)
                items.append(Curve((("M", (self.x0, y)), ("L", (self.x1, y))), stroke=GRID, lw=GRID_LW, role="grid"))

    def spines(self, items, xticks, yticks) -> None:
        """Left and bottom spines, outward ticks and their labels."""
        items.append(Curve((("M", (self.x0, self.y0)), ("L", (self.x0, self.y1)), ("L", (self.x1, self.y1))),
                           stroke=AXIS, lw=AXIS_LW, role="spine"))
        for v, text in xticks:
            x = self.x(v)
            items.append(Curve((("M", (x, self.y1)), ("L", (x, self.y1 + TICK_LEN))), stroke=AXIS, lw=AXIS_LW,
                               role="tick"))
            items.append(Label(x, self.y1 + TICK_LEN + 3.5, text, TICK_FONT, align="middle", valign="top",
                               role="tick-label"))
        for v, text in yticks:
            y = self.y(v)
            items.append(Curve((("M", (self.x0 - TICK_LEN, y)), ("L", (self.x0, y))), stroke=AXIS, lw=AXIS_LW,
                               role="tick"))
            items.append(Label(self.x0 - TICK_LEN - 3.5, y, text, TICK_FONT, align="end", role="tick-label"))

    def clip(self, pts: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
        """Pieces of the polyline ``pts`` (in points) inside the plot rectangle."""
        out: list[list[tuple[float, float]]] = []
        cur: list[tuple[float, float]] = []
        for a, b in zip(pts, pts[1:]):
            seg = _clip_segment(a, b, self.x0, self.y0, self.x1, self.y1)
            if seg is None:
                if cur:
                    out.append(cur)
                cur = []
                continue
            p, q = seg
            if cur and (abs(cur[-1][0] - p[0]) > 1e-9 or abs(cur[-1][1] - p[1]) > 1e-9):
                out.append(cur)
                cur = []
            if not cur:
                cur = [p]
            cur.append(q)
        if cur:
            out.append(cur)
        if len(pts) == 1 and self.x0 <= pts[0][0] <= self.x1 and self.y0 <= pts[0][1] <= self.y1:
            out.append([pts[0]])
        return out


def _clip_segment(a, b, x0, y0, x1, y1):
    """Liang-Barsky: the part of segment ``a``-``b`` inside the box, or None."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if abs(p) < 1e-12:
            if q < 0:
                return None
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return None
    return (a[0] + t0 * dx, a[1] + t0 * dy), (a[0] + t1 * dx, a[1] + t1 * dy)


def _polyline(pts, **kw) -> Curve:
    return Curve((("M", pts[0]),) + tuple(("L", p) for p in pts[1:]), **kw)


# ---------------------------------------------------------------- variant coverage


def variant_coverage_chart(profiles: list[UnitProfile], path_stem: str | Path, *, title: str) -> list[Path]:
    """Cumulative share of cases covered by each unit's top-k variants (k = 1..50, log x)."""
    return variant_coverage_scene(profiles, title=title).write(path_stem)


def variant_coverage_scene(profiles: list[UnitProfile], *, title: str) -> Scene:
    """The drawing :func:`variant_coverage_chart` writes."""
    leg_w = max([text_size(p.unit, TICK_FONT)[0] for p in profiles] + [40]) + 50
    width, height = 430 + leg_w, 300.0
    items: list = []
    top = _title(items, title, 10, 10, width - 20) + 10
    ytick_w = text_size("100%", TICK_FONT)[0]
    x0 = 10 + LABEL_FONT * 1.25 + 6 + ytick_w + 3.5 + TICK_LEN
    x1 = width - leg_w - 10
    y1 = height - (10 + LABEL_FONT * 1.25 + 4 + TICK_FONT * 1.25 + 3.5 + TICK_LEN)
    ax = _Axes(x0, top, x1, y1, (1, 50), (0, 1.02), xlog=True)
    xticks = [(v, f"{v:g}") for v in (1, 2, 5, 10, 20, 50)]
    yticks = [(v, f"{v:.0%}") for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    ax.grid(items, xticks, yticks)
    for i, p in enumerate(profiles):
        share = p.variants["share"].to_numpy(dtype=float)[:50]
        y = np.cumsum(share)
        colour = SERIES[i % len(SERIES)]
        dash = SERIES_DASHES[(i // len(SERIES)) % 4]
        pts = [(ax.x(k), ax.y(v)) for k, v in zip(range(1, len(y) + 1), y)]
        for piece in ax.clip(pts):
            if len(piece) > 1:
                items.append(_polyline(piece, stroke=colour, lw=1.6, dash=dash, role="series"))
        if len(y) < 3:
            for px, py in pts:
                if x0 <= px <= x1 and top <= py <= y1:
                    items.append(Circle(px, py, 1.5, fill=colour, stroke=colour, lw=1.0, role="marker"))
    ax.spines(items, xticks, yticks)
    xlabel_y = y1 + TICK_LEN + 3.5 + TICK_FONT * 1.25 + 4
    items.append(Label((x0 + x1) / 2, xlabel_y, "top-k most frequent variants (log scale)", LABEL_FONT,
                       align="middle", valign="top", role="axis-label"))
    items.append(Label(10 + LABEL_FONT * 0.62, (top + y1) / 2, "share of cases covered", LABEL_FONT, align="middle",
                       rotate=90, role="axis-label"))
    if profiles:
        lx, ly = x1 + 14, top + 4
        items.append(Label(lx + 22, ly, "unit", 9.5, valign="top", role="legend-title"))
        ly += 9.5 * 1.25 + 8
        for i, p in enumerate(profiles):
            colour = SERIES[i % len(SERIES)]
            dash = SERIES_DASHES[(i // len(SERIES)) % 4]
            items.append(_polyline([(lx, ly), (lx + 20, ly)], stroke=colour, lw=1.6, dash=dash, role="legend-key"))
            items.append(Label(lx + 26, ly, str(p.unit), TICK_FONT, role="legend-label"))
            ly += TICK_FONT * 1.55
    return Scene(width, height, items, title=title)


# ---------------------------------------------------------------- costs


def cost_chart(costs: pd.DataFrame, ranges: pd.DataFrame, path_stem: str | Path, *, title: str) -> list[Path]:
    """Per unit, one-off harmonisation cost stacked by change kind, with a low–high range.

    Parameters
    ----------
    costs : DataFrame
        ``unit``, ``kind`` (add, drop, reorder, rework), ``cost_gbp``.
    ranges : DataFrame
        ``unit``, ``low``, ``central``, ``high``.
    """
    return cost_scene(costs, ranges, title=title).write(path_stem)


def cost_scene(costs: pd.DataFrame, ranges: pd.DataFrame, *, title: str) -> Scene:
    """The drawing :func:`cost_chart` writes."""
    from matplotlib.ticker import MaxNLocator

    r = ranges.reset_index(drop=True)
    r["unit"] = r["unit"].astype(str)
    units = list(r.sort_values(["central", "unit"], ascending=[True, False], kind="stable")["unit"])
    c = costs.reset_index(drop=True)
    c["unit"] = c["unit"].astype(str)
    units += sorted(set(c["unit"]) - set(units), reverse=True)
    piv = c.pivot_table(index="unit", columns="kind", values="cost_gbp", aggfunc="sum").reindex(units)
    piv = piv.fillna(0.0)
    kinds = [k for k in KINDS if k in piv.columns] + sorted(set(piv.columns) - set(KINDS))
    extra = [PALETTE["reddish_purple"], PALETTE["sky_blue"], PALETTE["black"]]
    colours = {k: KIND_COLOURS.get(k, extra[i % 3]) for i, k in enumerate(kinds)}
    rr = r.set_index("unit").reindex(units)

    label_w = max([text_size(u, TICK_FONT)[0] for u in units] + [30])
    legend_entries = [(k, colours[k]) for k in kinds]
    if rr["central"].notna().any():
        legend_entries.append(("central, low–high range", None))
    leg_w = max([text_size(k, 8)[0] for k, _ in legend_entries] + [text_size("change kind", 9)[0]]) + 34
    row = 22.0
    width = 640 + label_w
    items: list = []
    top = _title(items, title, 10, 10, width - 20) + 10
    x0 = 10 + label_w + 3.5 + TICK_LEN
    x1 = width - leg_w - 16
    y1 = top + row * max(len(units), 1) + 6
    height = y1 + TICK_LEN + 3.5 + TICK_FONT * 1.25 + 4 + LABEL_FONT * 1.25 + 10

    stacked = piv[kinds].to_numpy(dtype=float).sum(axis=1) if kinds else np.zeros(len(units))
    highs = rr["high"].to_numpy(dtype=float) if "high" in rr else np.zeros(len(units))
    data_max = float(np.nanmax(np.concatenate([stacked, highs, [0.0]])))
    right = data_max * 1.05 if data_max > 0 else 1.0
    ticks = [float(t) for t in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(0, right)]
    ticks = [t for t in ticks if -1e-9 <= t <= right * (1 + 1e-9)]
    ax = _Axes(x0, top, x1, y1, (0, right), (0, 1))
    xticks = [(t, format_gbp(t)) for t in ticks]
    ax.grid(items, xticks, [], ygrid=False)

    def yc(i: int) -> float:  # row i of units (cheapest first) from the bottom
        return y1 - 3 - (i + 0.5) * row

    bar_h = 0.62 * row
    for i, u in enumerate(units):
        left = 0.0
        for k in kinds:
            v = float(piv.at[u, k])
            if v > 0:
                items.append(Rect(ax.x(left), yc(i) - bar_h / 2, ax.x(left + v) - ax.x(left), bar_h,
                                  fill=colours[k], stroke="#FFFFFF", lw=0.5, role="bar"))
            left += v
    for i, u in enumerate(units):
        cen, lo, hi = (float(rr.at[u, k]) for k in ("central", "low", "high"))
        if not math.isfinite(cen):
            continue
        lo, hi = min(lo, cen) if math.isfinite(lo) else cen, max(hi, cen) if math.isfinite(hi) else cen
        y = yc(i)
        items.append(_polyline([(ax.x(lo), y), (ax.x(hi), y)], stroke=AXIS, lw=1.0, role="range"))
        for v, half in ((lo, 3.0), (hi, 3.0), (cen, 6.0)):
            items.append(_polyline([(ax.x(v), y - half), (ax.x(v), y + half)], stroke=AXIS, lw=1.0, role="range"))
    ax.spines(items, xticks, [])
    for i, u in enumerate(units):
        y = yc(i)
        items.append(Curve((("M", (x0 - TICK_LEN, y)), ("L", (x0, y))), stroke=AXIS, lw=AXIS_LW, role="tick"))
        items.append(Label(x0 - TICK_LEN - 3.5, y, u, TICK_FONT, align="end", role="tick-label"))
    items.append(Label((x0 + x1) / 2, y1 + TICK_LEN + 3.5 + TICK_FONT * 1.25 + 4, "one-off harmonisation cost",
                       LABEL_FONT, align="middle", valign="top", role="axis-label"))
    lx, ly = x1 + 16, top + 2
    items.append(Label(lx, ly, "change kind", 9, valign="top", role="legend-title"))
    ly += 9 * 1.25 + 8
    for name, colour in legend_entries:
        if colour is None:
            items.append(_polyline([(lx, ly), (lx + 18, ly)], stroke=AXIS, lw=1.0, role="legend-key"))
            for x, half in ((lx, 3.0), (lx + 18, 3.0), (lx + 9, 6.0)):
                items.append(_polyline([(x, ly - half), (x, ly + half)], stroke=AXIS, lw=1.0, role="legend-key"))
        else:
            items.append(Rect(lx, ly - 3.5, 18, 7, fill=colour, role="legend-key"))
        items.append(Label(lx + 24, ly, name, 8, role="legend-label"))
        ly += 8 * 1.6
    return Scene(width, max(height, ly + 6), items, title=title)


# ---------------------------------------------------------------- waves


def waves_chart(waves: pd.DataFrame, path_stem: str | Path, *, title: str) -> list[Path]:
    """Roadmap: one column per wave, units as boxes with cost and fitness to the target.

    ``waves`` has ``unit``, ``wave`` (int), ``cost_central`` (£) and
    ``fitness_to_target`` (0..1). Within a wave, units are listed by fitness,
    closest to the target first.
    """
    return waves_scene(waves, title=title).write(path_stem)


def waves_scene(waves: pd.DataFrame, *, title: str) -> Scene:
    """The drawing :func:`waves_chart` writes."""
    w = waves.reset_index(drop=True)
    w["unit"] = w["unit"].astype(str)
    nums = sorted(int(x) for x in w["wave"].unique())
    lanes = {
        k: w[w["wave"] == k].sort_values(["fitness_to_target", "unit"], ascending=[False, True], kind="stable")
        for k in nums
    }
    texts = {
        k: [f"{r.unit}\n{format_gbp(r.cost_central)} · fitness {r.fitness_to_target:.2f}"
            for r in g.itertuples(index=False)]
        for k, g in lanes.items()
    }
    box_w = max([text_size(t, 8.5)[0] for ts in texts.values() for t in ts] + [90]) + 16
    box_h = text_size("A\nB", 8.5)[1] + 10
    gap, margin = 14.0, 16.0
    rows = max([len(t) for t in texts.values()] + [1])
    width = max(margin * 2 + len(nums) * (box_w + gap) - gap, 420)
    items: list = []
    y = _title(items, title, margin, margin, width - 2 * margin) + 6
    note = wrap_to_width(
        "Harmonisation waves, left to right; in each wave the units closest to the target come "
        "first. Box: unit, central one-off cost · fitness to target (0..1).", 8, width - 2 * margin
    )
    for line in note:
        items.append(Label(margin, y, line, 8, colour=PALETTE["grey"], valign="top", role="note"))
        y += 8 * 1.3
    head = y + 12
    height = head + 26 + rows * (box_h + 8) + 12
    for i, k in enumerate(nums):
        x = margin + i * (box_w + gap)
        colour = SERIES[i % len(SERIES)]
        total = lanes[k]["cost_central"].sum()
        items.append(Rect(x - 4, head - 4, box_w + 8, height - head - 12, fill=tint(colour, 0.07), role="lane"))
        items.append(Label(x + box_w / 2, head + 6, f"Wave {k} · {format_gbp(total)}", 9.5, bold=True,
                           colour=colour if colour != SERIES[-1] else "black", align="middle", role="wave-title"))
        for j, t in enumerate(texts[k]):
            yy = head + 26 + j * (box_h + 8)
            items.append(Rect(x, yy, box_w, box_h, fill=tint(colour, 0.22), stroke=colour, lw=1.1, radius=5,
                              role="unit-box"))
            items.append(Label(x + box_w / 2, yy + box_h / 2, t, 8.5, align="middle", role="unit-label"))
    return Scene(width, height, items, title=title)


def _runs(values: list) -> list[tuple[object, int, int]]:
    """Runs of equal consecutive values as (value, first index, last index)."""
    out: list[tuple[object, int, int]] = []
    for i, v in enumerate(values):
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1], i)
        else:
            out.append((v, i, i))
    return out
