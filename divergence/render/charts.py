"""Charts: divergence heatmap with dendrogram, variant coverage, costs, waves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..profile import UnitProfile
from .figure import new_figure, save_figure
from .style import KIND_COLOURS, PALETTE, SERIES, format_gbp, literal, rc, text_size, tint, wrap_to_width

__all__ = ["divergence_heatmap", "variant_coverage_chart", "cost_chart", "waves_chart"]

KINDS = ("add", "drop", "reorder", "rework")
TICK_FONT = 8.5


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
    with rc():
        fig = divergence_heatmap_figure(
            matrix, units, linkage, families, title=title, measure_name=measure_name
        )
        return save_figure(fig, path_stem)


def divergence_heatmap_figure(matrix, units, linkage, families, *, title, measure_name) -> Figure:
    """The figure :func:`divergence_heatmap` saves."""
    m = np.asarray(matrix, dtype=float)
    n = len(units)
    if m.shape != (n, n):
        raise ValueError(f"matrix has shape {m.shape}, expected ({n}, {n}) for {n} units")
    with rc():
        order = list(range(n))
        dendro = None
        if linkage is not None and n > 1:
            from scipy.cluster.hierarchy import dendrogram

            dendro = dendrogram(np.asarray(linkage, dtype=float), no_plot=True, labels=None)
            order = [int(i) for i in dendro["leaves"]]
        names = [str(units[i]) for i in order]
        mo = m[np.ix_(order, order)]
        fam_of = {str(u): str(f) for f, us in (families or {}).items() for u in us}

        # geometry in points
        cell = max(30.0, text_size("0.00", 8)[0] + 10)
        label_w = max(text_size(s, TICK_FONT)[0] for s in names) + 10 if names else 10
        strip = 16.0 if families else 0.0
        fam_label_w = (max(text_size(f, 8)[0] for f in set(fam_of.values())) + 12) if fam_of else 0.0
        dend_h = 60.0 if dendro else 0.0
        cbar_w = 12.0
        cbar_lab = 44.0
        left = 14 + label_w
        grid = cell * n
        right = 8 + strip + fam_label_w + 18 + cbar_w + cbar_lab
        width = max(left + grid + right, 360.0)
        title_h = 38.0
        bottom = 12 + label_w
        height = title_h + dend_h + 6 + grid + bottom
        fig = new_figure(width / 72, height / 72)

        def rect(x, y, w, h):  # points from top-left to figure fractions
            return (x / width, 1 - (y + h) / height, w / width, h / height)

        fig.text(14 / width, 1 - 14 / height, literal(title), fontsize=12, fontweight="bold", va="top")
        y0 = title_h + dend_h + 6
        ax = fig.add_axes(rect(left, y0, grid, grid))
        im = ax.imshow(mo, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels([literal(s) for s in names], rotation=90, fontsize=TICK_FONT)
        ax.set_yticklabels([literal(s) for s in names], fontsize=TICK_FONT)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        for i in range(n):
            for j in range(n):
                v = mo[i, j]
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7.5,
                        color="black" if v > 0.55 else "white")
        if dendro:
            dax = fig.add_axes(rect(left, title_h, grid, dend_h))
            for xs, ys in zip(dendro["icoord"], dendro["dcoord"]):
                dax.plot((np.asarray(xs) - 5) / 10, ys, color=PALETTE["grey"], linewidth=1.0)
            dax.set_xlim(-0.5, n - 0.5)
            dax.set_ylim(0, max([max(d) for d in dendro["dcoord"]] + [1e-9]) * 1.05)
            dax.set_axis_off()
        if fam_of:
            fams = sorted(set(fam_of.values()))
            colour = {f: SERIES[i % len(SERIES)] for i, f in enumerate(fams)}
            sax = fig.add_axes(rect(left + grid + 8, y0, strip, grid))
            sax.set_xlim(0, 1)
            sax.set_ylim(n - 0.5, -0.5)
            sax.set_axis_off()
            runs = _runs([fam_of.get(u) for u in names])
            for f, a, b in runs:
                if f is None:
                    continue
                sax.add_patch(Rectangle((0, a - 0.5), 1, b - a + 1, facecolor=colour[f], edgecolor="white"))
                sax.text(1.3, (a + b) / 2, literal(f), fontsize=8, va="center", ha="left",
                         color=PALETTE["black"], clip_on=False)
                if b > a:
                    ax.add_patch(Rectangle((a - 0.5, a - 0.5), b - a + 1, b - a + 1, fill=False,
                                           edgecolor="white", linewidth=2.2))
                    ax.add_patch(Rectangle((a - 0.5, a - 0.5), b - a + 1, b - a + 1, fill=False,
                                           edgecolor=colour[f], linewidth=1.2))
        cax = fig.add_axes(rect(left + grid + 8 + strip + fam_label_w + 18, y0, cbar_w, grid))
        cb = fig.colorbar(im, cax=cax)
        cb.set_label(literal(f"{measure_name} (0 = same, 1 = fully different)"), fontsize=8.5)
        cb.ax.tick_params(labelsize=8)
        return fig


def variant_coverage_chart(profiles: list[UnitProfile], path_stem: str | Path, *, title: str) -> list[Path]:
    """Cumulative share of cases covered by each unit's top-k variants (k = 1..50, log x)."""
    with rc():
        fig = variant_coverage_figure(profiles, title=title)
        return save_figure(fig, path_stem)


def variant_coverage_figure(profiles: list[UnitProfile], *, title: str) -> Figure:
    """The figure :func:`variant_coverage_chart` saves."""
    with rc():
        labels = [literal(p.unit) for p in profiles]
        leg_w = max([text_size(p.unit, 8.5)[0] for p in profiles] + [40]) + 50
        fig = new_figure((430 + leg_w) / 72, 300 / 72, layout="constrained")
        ax = fig.add_subplot()
        styles = ["-", "--", ":", "-."]
        for i, (p, lab) in enumerate(zip(profiles, labels)):
            share = p.variants["share"].to_numpy(dtype=float)[:50]
            y = np.cumsum(share)
            k = np.arange(1, len(y) + 1)
            ax.plot(k, y, color=SERIES[i % len(SERIES)], linestyle=styles[(i // len(SERIES)) % 4],
                    linewidth=1.6, marker="o" if len(y) < 3 else None, markersize=3, label=lab)
        ax.set_xscale("log")
        ax.set_xlim(1, 50)
        ax.set_ylim(0, 1.02)
        ax.set_xticks([1, 2, 5, 10, 20, 50])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("top-k most frequent variants (log scale)")
        ax.set_ylabel("share of cases covered")
        ax.grid(True, color="#DDDDDD", linewidth=0.6)
        ax.set_title(literal(title), loc="left", fontweight="bold")
        if profiles:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="unit")
        return fig


def cost_chart(costs: pd.DataFrame, ranges: pd.DataFrame, path_stem: str | Path, *, title: str) -> list[Path]:
    """Per unit, one-off harmonisation cost stacked by change kind, with a low–high range.

    Parameters
    ----------
    costs : DataFrame
        ``unit``, ``kind`` (add, drop, reorder, rework), ``cost_gbp``.
    ranges : DataFrame
        ``unit``, ``low``, ``central``, ``high``.
    """
    with rc():
        fig = cost_figure(costs, ranges, title=title)
        return save_figure(fig, path_stem)


def cost_figure(costs: pd.DataFrame, ranges: pd.DataFrame, *, title: str) -> Figure:
    """The figure :func:`cost_chart` saves."""
    with rc():
        r = ranges.reset_index(drop=True)
        r["unit"] = r["unit"].astype(str)
        units = list(r.sort_values(["central", "unit"], ascending=[True, False], kind="stable")["unit"])
        c = costs.reset_index(drop=True)
        c["unit"] = c["unit"].astype(str)
        units += sorted(set(c["unit"]) - set(units), reverse=True)
        piv = c.pivot_table(index="unit", columns="kind", values="cost_gbp", aggfunc="sum").reindex(units)
        piv = piv.fillna(0.0)
        kinds = [k for k in KINDS if k in piv.columns] + sorted(set(piv.columns) - set(KINDS))
        label_w = max([text_size(u, 8.5)[0] for u in units] + [30])
        height = 90 + 22 * max(len(units), 1)
        fig = new_figure((640 + label_w) / 72, height / 72, layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(units))
        left = np.zeros(len(units))
        extra = [PALETTE["reddish_purple"], PALETTE["sky_blue"], PALETTE["black"]]
        for i, k in enumerate(kinds):
            vals = piv[k].to_numpy(dtype=float)
            ax.barh(y, vals, left=left, height=0.62, color=KIND_COLOURS.get(k, extra[i % 3]),
                    label=literal(k), edgecolor="white", linewidth=0.5)
            left += vals
        rr = r.set_index("unit").reindex(units)
        ok = rr["central"].notna().to_numpy()
        if ok.any():
            cen = rr["central"].to_numpy(dtype=float)[ok]
            lo = np.maximum(cen - rr["low"].to_numpy(dtype=float)[ok], 0)
            hi = np.maximum(rr["high"].to_numpy(dtype=float)[ok] - cen, 0)
            ax.errorbar(cen, y[ok], xerr=[lo, hi], fmt="|", color=PALETTE["black"], markersize=12,
                        capsize=3, linewidth=1.0, label="central, low–high range")
        ax.set_yticks(y)
        ax.set_yticklabels([literal(u) for u in units])
        ax.xaxis.set_major_formatter(FuncFormatter(format_gbp))
        ax.set_xlabel("one-off harmonisation cost")
        ax.set_xlim(left=0)
        ax.grid(True, axis="x", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(literal(title), loc="left", fontweight="bold")
        fig.legend(loc="outside right upper", frameon=False, fontsize=8, title="change kind")
        return fig


def waves_chart(waves: pd.DataFrame, path_stem: str | Path, *, title: str) -> list[Path]:
    """Roadmap: one column per wave, units as boxes with cost and fitness to the target.

    ``waves`` has ``unit``, ``wave`` (int), ``cost_central`` (£) and
    ``fitness_to_target`` (0..1). Within a wave, units are listed by fitness,
    closest to the target first.
    """
    with rc():
        fig = waves_figure(waves, title=title)
        return save_figure(fig, path_stem)


def waves_figure(waves: pd.DataFrame, *, title: str) -> Figure:
    """The figure :func:`waves_chart` saves."""
    with rc():
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
        note = wrap_to_width(
            "Harmonisation waves, left to right; in each wave the units closest to the target come "
            "first. Box: unit, central one-off cost · fitness to target (0..1).", 8, width - 2 * margin
        )
        head = margin + 22 + 8 * 1.3 * len(note) + 12
        height = head + 26 + rows * (box_h + 8) + 12
        fig = new_figure(width / 72, height / 72)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        ax.text(margin, margin, literal(title), fontsize=12, fontweight="bold", va="top")
        for i, line in enumerate(note):
            ax.text(margin, margin + 20 + i * 8 * 1.3, literal(line), fontsize=8, color=PALETTE["grey"], va="top")
        for i, k in enumerate(nums):
            x = margin + i * (box_w + gap)
            colour = SERIES[i % len(SERIES)]
            total = lanes[k]["cost_central"].sum()
            ax.add_artist(Rectangle((x - 4, head - 4), box_w + 8, height - head - 12,
                                    facecolor=tint(colour, 0.07), edgecolor="none"))
            ax.text(x + box_w / 2, head + 6, f"Wave {k} · {format_gbp(total)}", ha="center", va="center",
                    fontsize=9.5, fontweight="bold", color=colour if colour != SERIES[-1] else "black")
            for j, t in enumerate(texts[k]):
                y = head + 26 + j * (box_h + 8)
                ax.add_artist(FancyBboxPatch((x, y), box_w, box_h, boxstyle="round,pad=0,rounding_size=5",
                                             facecolor=tint(colour, 0.22), edgecolor=colour, linewidth=1.1))
                ax.text(x + box_w / 2, y + box_h / 2, literal(t), ha="center", va="center", fontsize=8.5,
                        multialignment="center", linespacing=1.2)
        return fig


def _runs(values: list) -> list[tuple[object, int, int]]:
    """Runs of equal consecutive values as (value, first index, last index)."""
    out: list[tuple[object, int, int]] = []
    for i, v in enumerate(values):
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1], i)
        else:
            out.append((v, i, i))
    return out
