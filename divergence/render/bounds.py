"""The largest drawing any SVG may ask a viewer for, and the scale that fits one in.

A scene is built in points; an SVG written from it declares its size in
points (``width="…pt"``), which a browser shows at 4/3 CSS pixels each. A
drawing past :data:`MAX_WIDTH_PX` x :data:`MAX_HEIGHT_PX` is shrunk as a
whole (its ``viewBox`` keeps the geometry), never cropped. The selections
that feed the maps keep real drawings well inside the bounds; this is the
guarantee behind them.
"""

from __future__ import annotations

import re

__all__ = ["MAX_WIDTH_PX", "MAX_HEIGHT_PX", "PX_PER_PT", "fit_to_bounds", "svg_size_px"]

#: The largest SVG a report or viewer is asked to show, in CSS pixels.
MAX_WIDTH_PX = 4000.0
MAX_HEIGHT_PX = 8000.0
#: CSS pixels per point.
PX_PER_PT = 4.0 / 3.0

_UNITS = {"": 1.0, "px": 1.0, "pt": PX_PER_PT, "pc": 16.0, "in": 96.0, "cm": 96.0 / 2.54, "mm": 96.0 / 25.4}


def fit_to_bounds(
    width_pt: float,
    height_pt: float,
    *,
    max_width_px: float = MAX_WIDTH_PX,
    max_height_px: float = MAX_HEIGHT_PX,
) -> float:
    """The factor (at most 1) that brings a ``width_pt`` x ``height_pt`` drawing within the bounds.

    >>> fit_to_bounds(300, 200)
    1.0
    >>> fit_to_bounds(6000, 100)  # 8000 px wide: halved
    0.5
    """
    w = max(float(width_pt), 1e-9) * PX_PER_PT
    h = max(float(height_pt), 1e-9) * PX_PER_PT
    return min(1.0, max_width_px / w, max_height_px / h)


def svg_size_px(svg: str) -> tuple[float, float]:
    """``(width, height)`` in CSS pixels from the root ``<svg>`` element's attributes."""
    head = svg[svg.find("<svg") :]
    head = head[: head.find(">")]
    out = []
    for name in ("width", "height"):
        m = re.search(rf'\s{name}="([0-9.eE+-]+)\s*([a-z]*)"', head)
        if not m or m.group(2) not in _UNITS:
            raise ValueError(f"SVG has no absolute {name}")
        out.append(float(m.group(1)) * _UNITS[m.group(2)])
    return out[0], out[1]
