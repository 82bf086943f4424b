"""Rasterising a :class:`~divergence.render.scene.Scene` to PNG without Graphviz or a browser.

Shapes are drawn by matplotlib's Agg renderer (its public renderer API),
text by Pillow into the same memory; the PNG is encoded here (zlib). The
canvas is kept between drawings of a thread while it is small enough.
"""

from __future__ import annotations

import struct
import threading
import zlib
from functools import lru_cache

import numpy as np

from .scene import Circle, Curve, Label, Polygon, Rect, Scene
from .style import font_file

__all__ = ["canvas_for", "release_canvas", "encode_png"]

#: Canvases up to this many pixels are kept for the next drawing in the same
#: thread: fresh memory is slow to touch (page faults), reused memory is not.
_KEEP_PIXELS = 12_000_000
_local = threading.local()


def canvas_for(wpx: int, hpx: int) -> "_Canvas":
    """A canvas at least ``wpx`` x ``hpx`` pixels, kept for the thread's next drawing while small enough."""
    cached = getattr(_local, "canvas", None)
    if cached is not None and cached.w >= wpx and cached.h >= hpx:
        return cached
    w, h = max(wpx, cached.w if cached else 0), max(hpx, cached.h if cached else 0)
    if w * h > _KEEP_PIXELS:
        return _Canvas(wpx, hpx)
    _local.canvas = _Canvas(w, h)
    return _local.canvas


def release_canvas() -> None:
    """Free the canvas this thread keeps between drawings (about 20 MB after a tall map)."""
    _local.__dict__.pop("canvas", None)


class _Canvas:
    """An RGBA buffer: shapes drawn by matplotlib's Agg renderer (public renderer API,
    ``draw_path``), text by Pillow into the same memory, read back as a numpy view."""

    def __init__(self, w: int, h: int):
        from matplotlib.backend_bases import GraphicsContextBase
        from matplotlib.backends.backend_agg import RendererAgg

        self.w, self.h = w, h
        # dpi 72: line widths and dashes are given in pixels (points x scale)
        self.renderer = RendererAgg(w, h, 72)
        self.pixels = np.asarray(self.renderer.buffer_rgba())  # (h, w, 4), shares memory
        self.gc = GraphicsContextBase()
        self.gc.set_antialiased(True)
        self.gc.set_capstyle("butt")
        # does Pillow draw straight into ``pixels``? (it copies a buffer it thinks read-only)
        draw = self._text_layer()[1]
        draw.point((0, 0), fill=(7, 0, 0, 255))
        self.shared = int(self.pixels[0, 0, 0]) == 7
        self.pixels[0, 0] = 255

    def _text_layer(self):
        from PIL import Image, ImageDraw

        img = Image.frombuffer("RGBA", (self.w, self.h), self.renderer.buffer_rgba(), "raw", "RGBA", 0, 1)
        img.readonly = 0  # the buffer is Agg's and writable: draw in place, no 20 MB copy
        return img, ImageDraw.Draw(img)

    def paint(self, scene: Scene, scale: float) -> None:
        from matplotlib.transforms import Affine2D

        wpx, hpx = max(1, round(scene.width * scale)), max(1, round(scene.height * scale))
        self.pixels[:hpx, :wpx] = 255  # Agg's buffer is writable (matplotlib >= 3.8)
        # points, y down -> pixels, y up (matplotlib display coordinates), drawing at the top left
        self.t = Affine2D().scale(scale, -scale).translate(0, self.h)
        self.scale = scale
        for it in scene.items:
            if not isinstance(it, Label):
                self._shape(it)
        img, draw = self._text_layer()
        for it in scene.items:
            if isinstance(it, Label):
                _draw_label(img, draw, it, scale)
        if not self.shared:  # a Pillow that copied the buffer: bring the text back
            self.pixels[:hpx, :wpx] = np.asarray(img)[:hpx, :wpx]

    def _stroke(self, colour, lw, dash) -> None:
        gc, s = self.gc, self.scale
        if colour is None or lw <= 0:
            gc.set_linewidth(0.0)
            gc.set_foreground((0, 0, 0, 0), isRGBA=True)
        else:
            gc.set_linewidth(lw * s)
            gc.set_foreground(_rgba(colour), isRGBA=True)
        gc.set_dashes(0, [d * lw * s for d in dash] if dash and lw > 0 else None)

    def _shape(self, it) -> None:
        from matplotlib.path import Path as MPath

        r, gc = self.renderer, self.gc
        if isinstance(it, Rect):
            gc.set_joinstyle("miter")
            self._stroke(it.stroke, it.lw, it.dash)
            face = None if it.fill is None else _rgba(it.fill, it.opacity)
            r.draw_path(gc, _rounded_rect(it.x, it.y, it.w, it.h, it.radius), self.t, face)
        elif isinstance(it, Circle):
            gc.set_joinstyle("round")
            self._stroke(it.stroke, it.lw, None)
            face = None if it.fill is None else _rgba(it.fill)
            r.draw_path(gc, MPath.circle((it.cx, it.cy), it.r), self.t, face)
        elif isinstance(it, Curve):
            gc.set_joinstyle("round")
            verts, codes = [], []
            for seg in it.segments:
                pts = seg[1:]
                verts += pts
                codes += [_CODES[seg[0]]] * len(pts)
            self._stroke(it.stroke, it.lw, it.dash)
            r.draw_path(gc, MPath(verts, codes), self.t, None)
        elif isinstance(it, Polygon):
            self._stroke(None, 0.0, None)
            r.draw_path(gc, MPath(list(it.points) + [it.points[0]], closed=True), self.t, _rgba(it.fill))
        else:
            raise TypeError(f"cannot draw {it!r}")


_CODES = {"M": 1, "L": 2, "C": 4}  # matplotlib Path codes MOVETO, LINETO, CURVE4


def _rounded_rect(x, y, w, h, r):
    from matplotlib.path import Path as MPath

    r = max(0.0, min(r, w / 2, h / 2))
    if r == 0:
        return MPath([(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)], closed=True)
    k = 0.5523 * r  # cubic approximation of a quarter circle
    v = [
        (x + r, y), (x + w - r, y),
        (x + w - r + k, y), (x + w, y + r - k), (x + w, y + r),
        (x + w, y + h - r),
        (x + w, y + h - r + k), (x + w - r + k, y + h), (x + w - r, y + h),
        (x + r, y + h),
        (x + r - k, y + h), (x, y + h - r + k), (x, y + h - r),
        (x, y + r),
        (x, y + r - k), (x + r - k, y), (x + r, y),
        (x + r, y),
    ]
    C, L = MPath.CURVE4, MPath.LINETO
    codes = [MPath.MOVETO, L, C, C, C, L, C, C, C, L, C, C, C, L, C, C, C, MPath.CLOSEPOLY]
    return MPath(v, codes)


@lru_cache(maxsize=256)
def _rgba(colour, alpha: float = 1.0) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(colour)
    return (r, g, b, a * alpha)


@lru_cache(maxsize=64)
def _pil_font(bold: bool, px: float):
    """Pillow font for drawing; Raqm layout places glyphs at their unhinted advances,
    as :func:`text_size` measures them (basic layout rounds each advance to whole
    pixels of the hinted glyph, up to 8 % wider or narrower)."""
    from PIL import ImageFont, features

    path = font_file("bold" if bold else "normal")
    if features.check("raqm"):
        return ImageFont.truetype(path, px, layout_engine=ImageFont.Layout.RAQM)
    return ImageFont.truetype(path, max(1, round(px)), layout_engine=ImageFont.Layout.BASIC)


def _draw_label(img, draw, it: Label, scale: float) -> None:
    from PIL import Image, ImageDraw

    font = _pil_font(it.bold, round(it.size * scale * 4) / 4)
    anchor = {"start": "ls", "middle": "ms", "end": "rs"}[it.align]
    fill = tuple(round(255 * c) for c in _rgba(it.colour)[:3])
    for line, base in zip(it.lines, it.baselines()):
        if not line:
            continue
        if not it.rotate:
            draw.text((it.x * scale, base * scale), line, font=font, fill=fill, anchor=anchor)
            continue
        # turned text: draw it level into a mask, turn the mask, paint through it
        left, top, right, bottom = font.getbbox(line, anchor=anchor)
        mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
        ImageDraw.Draw(mask).text((-left, -top), line, font=font, fill=255, anchor=anchor)
        x, y, off = it.x * scale, it.y * scale, (base - it.y) * scale
        turned = mask.transpose(getattr(Image, "Transpose", Image).ROTATE_90)
        img.paste(fill + (255,), (round(x + off + top), round(y - right)), turned)


def encode_png(pixels: np.ndarray, *, dpi: float | None = None, level: int = 1) -> bytes:
    """An 8-bit RGB or RGBA PNG of ``pixels`` (``(h, w, 3 or 4)`` uint8, any row stride).

    No row filter, zlib ``level``, no metadata but the resolution (``pHYs``).
    Several times faster than Pillow's encoder, whose adaptive row filters
    cost more than they save on drawings of mostly flat colour; rows are
    compressed in blocks, so no second full-size copy is made.
    """
    a = np.asarray(pixels)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an (h, w, 3 or 4) uint8 array, got {a.dtype} {a.shape}")
    h, w, c = a.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    colour_type = 6 if c == 4 else 2
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))]
    if dpi:
        ppm = int(round(dpi / 0.0254))
        parts.append(chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
    rows = max(1, (1 << 20) // (1 + c * w))  # about 1 MB of rows per block
    block = np.zeros((min(rows, h), 1 + c * w), dtype=np.uint8)  # filter byte 0 (None) leads each row
    z = zlib.compressobj(level)
    data = []
    for r0 in range(0, h, rows):
        n = min(rows, h - r0)
        block[:n, 1:] = a[r0 : r0 + n].reshape(n, c * w)
        data.append(z.compress(memoryview(block[:n]).cast("B")))
    data.append(z.flush())
    parts += [chunk(b"IDAT", b"".join(data)), chunk(b"IEND", b"")]
    return b"".join(parts)
