"""The one place for colours, fonts, number formats and literal text.

Palette: Okabe & Ito (2008), safe for the common colour-vision deficiencies.
Every figure uses these names, so one meaning keeps one colour across the
report (for example "only in the unit" is always vermillion).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

__all__ = [
    "PALETTE",
    "SERIES",
    "KIND_COLOURS",
    "DIFF_COLOURS",
    "FONT",
    "rc",
    "font_file",
    "to_hex",
    "literal",
    "text_size",
    "wrap_to_width",
    "format_duration",
    "format_count",
    "format_gbp",
    "tint",
]

#: Okabe-Ito colours by name.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#5F5F5F",  # neutral ink for ordinary edges and text (not a hue)
}

#: Order of colours for series (lines, units, waves); yellow last, it is pale on white.
SERIES = [
    PALETTE[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]

#: Colours of harmonisation change kinds.
KIND_COLOURS = {
    "add": PALETTE["bluish_green"],
    "drop": PALETTE["vermillion"],
    "reorder": PALETTE["blue"],
    "rework": PALETTE["orange"],
}

#: Colours of the difference map's three classes.
DIFF_COLOURS = {
    "common": PALETTE["blue"],
    "unit": PALETTE["vermillion"],
    "target": PALETTE["bluish_green"],
}

#: Back edges (loops) of a process map.
BACK_EDGE = PALETTE["reddish_purple"]
EDGE = PALETTE["grey"]
NODE = PALETTE["blue"]

FONT = "DejaVu Sans"

_RC = {
    "font.family": [FONT, "sans-serif"],
    "font.sans-serif": [FONT],
    "text.usetex": False,
    "svg.hashsalt": "divergence",
    "svg.fonttype": "none",  # real <text>: selectable, editable, small and fast
    "axes.titlesize": 12,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}


@contextmanager
def rc() -> Iterator[None]:
    """Matplotlib settings of every figure: DejaVu Sans, no TeX, fixed SVG hash salt."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def literal(text: object) -> str:
    """``text`` made safe to draw literally: ``$`` escaped so mathtext never parses it.

    Matplotlib treats text with an even number of unescaped ``$`` as math; an
    escaped ``\\$`` is drawn as ``$``. XML escaping is the SVG writer's job.
    """
    return str(text).replace("$", r"\$")


#: Size at which text is measured; advances scale linearly (hinting at this
#: size moves them by well under 0.1 %).
_MEASURE_PX = 1000.0


def font_file(weight: str = "normal") -> str:
    """Path of the DejaVu Sans TTF that ships with matplotlib (``normal`` or ``bold``)."""
    import os

    name = "DejaVuSans-Bold.ttf" if weight == "bold" else "DejaVuSans.ttf"
    return os.path.join(_mpl_data(), "fonts", "ttf", name)


@lru_cache(maxsize=1)
def _mpl_data() -> str:
    """matplotlib's data folder, found without importing matplotlib (0.3-0.5 s) when it is where matplotlib keeps it."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        data = os.path.join(folder, "mpl-data")
        if os.path.isfile(os.path.join(data, "fonts", "ttf", "DejaVuSans.ttf")):
            return data
    import matplotlib

    return matplotlib.get_data_path()


@lru_cache(maxsize=2)
def _measure_font(weight: str):
    from PIL import ImageFont

    return ImageFont.truetype(font_file(weight), int(_MEASURE_PX), layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=16384)
def text_size(text: str, size: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height in points of (possibly multi-line) ``text`` in DejaVu Sans.

    Width: the widest line's advance (kerning included, no hinting), as SVG
    viewers lay it out; height: ``size`` per line, 1.2 ``size`` line pitch,
    plus a quarter ``size`` for descenders.
    """
    font = _measure_font("bold" if weight == "bold" else "normal")
    lines = str(text).split("\n")
    widths = [font.getlength(s or " ") * size / _MEASURE_PX for s in lines]
    return max(widths), size * (1.0 + 1.2 * (len(lines) - 1)) + size * 0.25


@lru_cache(maxsize=256)
def to_hex(colour: object) -> str:
    """``colour`` (a name, hex string or RGB tuple) as lower-case ``#rrggbb``.

    ``#rrggbb``, RGB(A) tuples in [0, 1] and white and black directly (as
    matplotlib's ``to_hex`` gives them: a process map then needs no
    matplotlib); other colours by matplotlib.
    """
    rgb = _plain_rgb(colour)
    if rgb is not None:
        return "#" + "".join(format(round(v * 255), "02x") for v in rgb)
    from matplotlib.colors import to_hex as _to_hex

    return _to_hex(colour, keep_alpha=False)


_NAMED = {"white": "#ffffff", "black": "#000000", "w": "#ffffff", "k": "#000000"}


def _plain_rgb(colour: object) -> tuple[float, float, float] | None:
    """The RGB of a ``#rrggbb`` string, a named white or black, or an RGB(A) tuple in [0, 1], as matplotlib's
    ``to_rgb`` gives it; None for anything else."""
    if isinstance(colour, str):
        c = _NAMED.get(colour.lower(), colour)
        if len(c) == 7 and c[0] == "#":
            try:
                return tuple(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
            except ValueError:
                return None
        return None
    if isinstance(colour, tuple) and len(colour) in (3, 4):
        try:
            v = tuple(float(x) for x in colour)
        except (TypeError, ValueError):
            return None
        if all(0 <= x <= 1 for x in v):
            return v[:3]  # type: ignore[return-value]
    return None


def wrap_to_width(text: str, size: float, width: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` into lines at most ``width`` points wide."""
    lines: list[str] = []
    cur = ""
    for word in str(text).split():
        trial = f"{cur} {word}" if cur else word
        if cur and text_size(trial, size, weight)[0] > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def format_duration(seconds: float) -> str:
    """Human duration: ``45 s``, ``45 min``, ``3.2 h``, ``2.1 d``; ``–`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = max(float(seconds), 0.0)
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 86_400:
        return f"{s / 3600:.1f} h"
    d = s / 86_400
    return f"{d:.1f} d" if d < 100 else f"{d:,.0f} d"


def format_count(n: float) -> str:
    """Integer with thousands separators: ``12,345``."""
    return f"{int(round(n)):,}"


def format_gbp(x: float, _pos: object = None) -> str:
    """Compact pounds: ``£950``, ``£12k``, ``£1.2m`` (usable as a tick formatter)."""
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    if x >= 1e6:
        v = f"{x / 1e6:.1f}".rstrip("0").rstrip(".")
        return f"{sign}£{v}m"
    if x >= 1e3:
        v = f"{x / 1e3:.1f}".rstrip("0").rstrip(".") if x < 1e4 else f"{x / 1e3:.0f}"
        return f"{sign}£{v}k"
    return f"{sign}£{x:.0f}"


def tint(colour: str, amount: float) -> tuple[float, float, float]:
    """``colour`` mixed with white: ``amount`` 0 is white, 1 is the colour."""
    rgb = _plain_rgb(colour)
    if rgb is None:
        from matplotlib.colors import to_rgb

        rgb = to_rgb(colour)
    r, g, b = rgb
    a = min(max(amount, 0.0), 1.0)
    return (1 - a + a * r, 1 - a + a * g, 1 - a + a * b)
