"""Figures without pyplot or windows, and byte-stable saving to SVG and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .scene import encode_png
from .style import rc

__all__ = ["new_figure", "save_figure"]

#: Largest PNG side in pixels; big maps get a lower resolution, never a crop.
MAX_PNG_PIXELS = 5000
PNG_DPI = 150


def new_figure(width_in: float, height_in: float, **kwargs) -> Figure:
    """A :class:`~matplotlib.figure.Figure` on an Agg canvas (no pyplot, no GUI)."""
    fig = Figure(figsize=(width_in, height_in), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Write ``stem.svg`` and ``stem.png``; returns both paths.

    The SVG is byte-identical across runs (fixed ``svg.hashsalt``, no date);
    the PNG carries no software or time metadata. Parent folders are created.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    svg = stem.with_name(stem.name + ".svg")
    png = stem.with_name(stem.name + ".png")
    w, h = fig.get_size_inches()
    dpi = min(PNG_DPI, MAX_PNG_PIXELS / max(w, h, 1e-9))
    with rc():
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        # PNG: one Agg draw at the PNG resolution, encoded by encode_png (no
        # adaptive row filters: several times faster than Pillow's encoder)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        fig.set_dpi(dpi)
        canvas.draw()
        png.write_bytes(encode_png(np.asarray(canvas.buffer_rgba()), dpi=dpi))
    return [svg, png]
