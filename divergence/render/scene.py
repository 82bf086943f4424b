"""A small backend-neutral drawing: boxes, circles, paths, polygons and text.

Every map and chart is built as a :class:`Scene` in points (1/72 inch, y
grows downwards) and written twice from the same geometry:

* **SVG** as plain text, one element per item, numbers rounded to 0.01 pt:
  byte-identical for the same input, no ids, so many maps can be inlined in
  one HTML page.
* **PNG** rasterised by matplotlib's Agg renderer (shapes, anti-aliased),
  with text drawn by Pillow's FreeType binding from the DejaVu Sans files
  that ship with matplotlib, and encoded by :func:`encode_png`.

Why not matplotlib figures: a map has a few hundred texts, and building and
drawing one ``Text`` artist costs about 1 ms of text layout in matplotlib
(twice: SVG and PNG), plus artist and transform overhead per patch and an
adaptive PNG filter pass; a map took 0.5-0.7 s that way, a scene about 0.1 s
with the same look. Text is measured once, by
:func:`~divergence.render.style.text_size` (unhinted advances, as SVG viewers
and Pillow's Raqm layout place glyphs), and that measure sizes the boxes,
places labels and checks overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from .bounds import fit_to_bounds
from .style import text_size, to_hex

__all__ = ["Scene", "Rect", "Circle", "Curve", "Polygon", "Label", "png_scale"]

#: PNG pixels per point (2 = 144 dpi) and the largest PNG side; larger
#: drawings get fewer pixels per point, never a crop.
PNG_SCALE = 2.0
MAX_PNG_PIXELS = 5000
#: Fonts tried, in order, by SVG viewers: the one we measure with, then
#: narrower ones, so a missing DejaVu never makes text overflow its box.
SVG_FONTS = "'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif"
#: Baseline below the anchor point, in ems: "top" puts the top of tall
#: letters at y, "center" centres the letters of the line (ascender to
#: descender) on y; the values of matplotlib's text layout for DejaVu Sans.
TOP_BASELINE = 0.76
CENTER_BASELINE = 0.28
LINE_PITCH = 1.2


# ---------------------------------------------------------------- items


@dataclass(frozen=True)
class Rect:
    """A box, optionally with rounded corners; ``dash`` in multiples of the line width.

    ``crisp`` boxes are drawn without anti-aliased edges in SVG viewers, so
    that tiles sharing an edge (heatmap cells, colour bar steps) show no seams.
    """

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    lw: float = 1.0
    radius: float = 0.0
    dash: tuple[float, ...] | None = None
    opacity: float = 1.0
    crisp: bool = False
    role: str = ""

    def bbox(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.w, self.y + self.h)


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str | None = None
    stroke: str | None = None
    lw: float = 1.0
    role: str = ""

    def bbox(self) -> tuple[float, float, float, float]:
        return (self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)


@dataclass(frozen=True)
class Curve:
    """An open stroked path: ``segments`` are ``("M", p)``, ``("L", p)`` or ``("C", c1, c2, p)``."""

    segments: tuple
    stroke: str
    lw: float = 1.0
    dash: tuple[float, ...] | None = None
    role: str = ""

    def bbox(self) -> tuple[float, float, float, float]:
        pts = [p for seg in self.segments for p in seg[1:]]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Polygon:
    points: tuple
    fill: str
    role: str = ""

    def bbox(self) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Label:
    """Text, one or more lines (``\\n``), anchored at ``(x, y)``.

    ``align`` is ``start``, ``middle`` or ``end`` (horizontal); ``valign``
    ``top`` or ``center`` (vertical, for the whole block of lines).
    ``rotate=90`` turns the text about ``(x, y)`` to read upwards; ``align``
    and ``valign`` then apply along and across the turned text.
    """

    x: float
    y: float
    text: str
    size: float
    colour: str = "#000000"
    bold: bool = False
    align: str = "start"
    valign: str = "center"
    rotate: int = 0
    role: str = ""

    def __post_init__(self):
        if self.rotate not in (0, 90):
            raise ValueError(f"rotate must be 0 or 90, got {self.rotate!r}")

    @property
    def lines(self) -> list[str]:
        return str(self.text).split("\n")

    def baselines(self) -> list[float]:
        n = len(self.lines)
        pitch = LINE_PITCH * self.size
        if self.valign == "top":
            first = self.y + TOP_BASELINE * self.size
        else:
            first = self.y - (n - 1) * pitch / 2 + CENTER_BASELINE * self.size
        return [first + i * pitch for i in range(n)]

    def bbox(self) -> tuple[float, float, float, float]:
        """Extent in points: widest line by :func:`text_size`; ascender of the first to descender of the last line."""
        w = text_size(self.text, self.size, "bold" if self.bold else "normal")[0]
        x0 = self.x - (w / 2 if self.align == "middle" else (w if self.align == "end" else 0.0))
        base = self.baselines()
        x1, y0, y1 = x0 + w, base[0] - 0.76 * self.size, base[-1] + 0.24 * self.size
        if self.rotate:  # unturned offsets (u, v) from (x, y) land at (x + v, y - u)
            return (self.x + y0 - self.y, self.y - (x1 - self.x), self.x + y1 - self.y, self.y - (x0 - self.x))
        return (x0, y0, x1, y1)


@dataclass
class Scene:
    """A drawing of ``width`` x ``height`` points; ``items`` are painted in order."""

    width: float
    height: float
    items: list = field(default_factory=list)
    title: str = ""

    def add(self, item) -> None:
        self.items.append(item)

    def of_role(self, role: str) -> list:
        return [it for it in self.items if it.role == role]

    # ------------------------------------------------------------ output

    def to_svg(self) -> str:
        """The scene as an SVG document (deterministic text), its declared size within :mod:`.bounds`."""
        w, h = _num(self.width), _num(self.height)
        fit = fit_to_bounds(self.width, self.height)  # the viewBox keeps the geometry in points
        dw, dh = _num(self.width * fit), _num(self.height * fit)
        out = [
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n',
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{dw}pt" height="{dh}pt" '
            f'viewBox="0 0 {w} {h}" font-family="{SVG_FONTS}" role="img">\n',
        ]
        if self.title:
            out.append(f"<title>{escape(self.title)}</title>\n")
        out.append(f'<rect width="{w}" height="{h}" fill="#ffffff"/>\n')
        role = None
        for it in self.items:
            if it.role != role:
                if role is not None:
                    out.append("</g>\n")
                role = it.role
                out.append(f'<g class="{escape(role)}">\n' if role else "<g>\n")
            out.append(_svg_item(it))
        if role is not None:
            out.append("</g>\n")
        out.append("</svg>\n")
        return "".join(out)

    def _repr_svg_(self) -> str:  # notebooks show a scene as its SVG
        return self.to_svg()

    def to_png(self, scale: float | None = None) -> bytes:
        """The scene as PNG bytes at ``scale`` pixels per point (default :func:`png_scale`)."""
        if scale is None:
            scale = png_scale(self.width, self.height)
        wpx, hpx = max(1, round(self.width * scale)), max(1, round(self.height * scale))
        from .raster import canvas_for, encode_png

        canvas = canvas_for(wpx, hpx)
        canvas.paint(self, scale)
        return encode_png(canvas.pixels[:hpx, :wpx], dpi=72 * scale)

    def write(self, path_stem: str | Path, *, png: bool = True) -> list[Path]:
        """Write ``stem.svg`` and (unless ``png`` is false) ``stem.png`` (see :func:`png_scale`); returns the paths.

        The PNG is most of the cost of a large map (pixels to paint and
        compress); the SVG alone is a few milliseconds.
        """
        stem = Path(path_stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        svg = stem.with_name(stem.name + ".svg")
        svg.write_bytes(self.to_svg().encode("utf-8"))  # "\n" on every platform
        if not png:
            return [svg]
        raster = stem.with_name(stem.name + ".png")
        raster.write_bytes(self.to_png())
        return [svg, raster]


def png_scale(width_pt: float, height_pt: float) -> float:
    """Pixels per point of a PNG: :data:`PNG_SCALE`, less when a side would pass :data:`MAX_PNG_PIXELS`."""
    return min(PNG_SCALE, MAX_PNG_PIXELS / max(width_pt, height_pt, 1e-9))


# ---------------------------------------------------------------- SVG


def _num(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pt(p) -> str:
    return f"{_num(p[0])} {_num(p[1])}"


def _stroke_attrs(stroke, lw, dash) -> str:
    if not stroke:
        return ' stroke="none"'
    s = f' stroke="{to_hex(stroke)}" stroke-width="{_num(lw)}"'
    if dash:
        s += f' stroke-dasharray="{" ".join(_num(d * lw) for d in dash)}"'
    return s


def _svg_item(it) -> str:
    if isinstance(it, Label):
        anchor = "" if it.align == "start" else f' text-anchor="{it.align}"'
        weight = ' font-weight="bold"' if it.bold else ""
        fill = "" if to_hex(it.colour) == "#000000" else f' fill="{to_hex(it.colour)}"'
        attrs = f'font-size="{_num(it.size)}"{weight}{anchor}{fill}'
        turn = f' transform="rotate(-90 {_num(it.x)} {_num(it.y)})"' if it.rotate else ""
        return "".join(
            f'<text x="{_num(it.x)}" y="{_num(b)}" {attrs}{turn}>{escape(line)}</text>\n'
            for line, b in zip(it.lines, it.baselines())
            if line
        )
    if isinstance(it, Rect):
        rx = f' rx="{_num(it.radius)}"' if it.radius else ""
        fill = to_hex(it.fill) if it.fill else "none"
        op = f' fill-opacity="{_num(it.opacity)}"' if it.opacity < 1 else ""
        crisp = ' shape-rendering="crispEdges"' if it.crisp else ""
        return (
            f'<rect x="{_num(it.x)}" y="{_num(it.y)}" width="{_num(it.w)}" height="{_num(it.h)}"{rx} '
            f'fill="{fill}"{op}{_stroke_attrs(it.stroke, it.lw, it.dash)}{crisp}/>\n'
        )
    if isinstance(it, Circle):
        fill = to_hex(it.fill) if it.fill else "none"
        return (
            f'<circle cx="{_num(it.cx)}" cy="{_num(it.cy)}" r="{_num(it.r)}" fill="{fill}"'
            f"{_stroke_attrs(it.stroke, it.lw, None)}/>\n"
        )
    if isinstance(it, Curve):
        d = " ".join(seg[0] + " " + " ".join(_pt(p) for p in seg[1:]) for seg in it.segments)
        return f'<path d="{d}" fill="none"{_stroke_attrs(it.stroke, it.lw, it.dash)}/>\n'
    if isinstance(it, Polygon):
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in it.points)
        return f'<polygon points="{pts}" fill="{to_hex(it.fill)}"/>\n'
    raise TypeError(f"cannot draw {it!r}")
