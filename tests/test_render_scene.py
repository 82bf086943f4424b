"""The scene every graph is drawn as: SVG text, PNG pixels, text placement, PNG encoding."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from divergence.render import scene as sc
from divergence.render import raster
from divergence.render.raster import encode_png
from divergence.render.scene import Circle, Curve, Label, Polygon, Rect, Scene, png_scale
from divergence.render.style import text_size


def _demo(width=200.0, height=120.0) -> Scene:
    s = Scene(width, height, title="Demo & <test>")
    s.add(Curve((("M", (10, 10)), ("C", (10, 40), (60, 40), (60, 70)), ("L", (60, 90))), stroke="#5F5F5F", lw=2.0,
                dash=(4, 2.5), role="edge"))
    s.add(Polygon(((55, 90), (65, 90), (60, 96)), fill="#5F5F5F", role="arrowhead"))
    s.add(Rect(80, 20, 90, 30, fill="#B2D5E8", stroke="#0072B2", lw=1.0, radius=5, role="node-box"))
    s.add(Circle(30, 100, 11, fill="#FFFFFF", stroke="#5F5F5F", lw=1.2, role="node-box"))
    s.add(Label(125, 35, "Approve\n12 cases", 9, align="middle", role="node-label"))
    s.add(Label(190, 60, "turned", 8, align="middle", rotate=90, role="axis-label"))
    return s


def _ink(rgb: np.ndarray, threshold: int = 160):
    """Bounding box (x0, y0, x1, y1) in pixels of pixels darker than ``threshold``."""
    dark = rgb[..., :3].min(axis=2) < threshold
    ys, xs = np.nonzero(dark)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def _png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_svg_is_deterministic_well_formed_and_free_of_ids():
    a, b = _demo().to_svg(), _demo().to_svg()
    assert a == b
    root = ET.fromstring(a)
    assert root.get("viewBox") == "0 0 200 120" and root.get("width") == "200pt"
    assert " id=" not in a  # many drawings can be inlined in one HTML page
    assert "<title>Demo &amp; &lt;test&gt;</title>" in a
    assert 'stroke-dasharray="8 5"' in a  # dashes scale with the line width, as in matplotlib
    assert 'transform="rotate(-90 190 60)"' in a
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["Approve", "12 cases", "turned"]


def test_png_has_the_scene_size_and_draws_text_where_it_was_measured():
    from PIL import features

    if not features.check("raqm"):
        pytest.skip("Pillow without Raqm lays text out at hinted whole-pixel advances (up to 8 % off)")
    s = Scene(300, 60)
    s.add(Label(20, 30, "Receive application", 9, role="t"))
    rgb = _png_pixels(s.to_png(scale=2.0))
    assert rgb.shape == (120, 600, 4)
    x0, y0, x1, y1 = _ink(rgb)
    w = text_size("Receive application", 9)[0] * 2
    assert abs(x0 - 40) <= 2 and abs((x1 - x0) - w) <= 0.03 * w + 2
    bx0, by0, bx1, by1 = (v * 2 for v in s.items[0].bbox())
    assert by0 - 1 <= y0 and y1 <= by1 + 1


def test_turned_text_reads_upwards_inside_its_box():
    s = Scene(60, 200)
    lab = Label(30, 100, "share of cases covered", 9, align="middle", rotate=90)
    s.add(lab)
    rgb = _png_pixels(s.to_png(scale=2.0))
    x0, y0, x1, y1 = _ink(rgb)
    bx0, by0, bx1, by1 = (v * 2 for v in lab.bbox())
    assert (y1 - y0) > 3 * (x1 - x0)  # tall, not wide
    assert bx0 - 2 <= x0 and x1 <= bx1 + 2 and by0 - 2 <= y0 and y1 <= by1 + 2


def test_reused_canvas_leaves_no_trace_of_a_previous_drawing():
    small = _demo()
    alone = small.to_png(scale=2.0)
    big = Scene(400, 400)
    big.add(Rect(0, 0, 400, 400, fill="#000000"))
    dark = _png_pixels(big.to_png(scale=2.0))  # a larger canvas, now kept for this thread
    assert dark.shape == (800, 800, 4) and int(dark[..., :3].max()) == 0  # corners too
    assert small.to_png(scale=2.0) == alone


def test_text_falls_back_to_a_copy_when_pillow_cannot_draw_in_place(monkeypatch):
    s = _demo()
    fast = s.to_png(scale=2.0)
    canvas = raster._Canvas(400, 240)
    canvas.shared = False  # as if Pillow had copied the buffer
    canvas.paint(s, 2.0)
    slow = encode_png(canvas.pixels[:240, :400], dpi=144)
    assert np.array_equal(_png_pixels(fast), _png_pixels(slow))


@pytest.mark.parametrize("channels", [3, 4])
def test_encode_png_round_trips_strided_pixels(channels):
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, size=(700, 90, channels), dtype=np.uint8)
    view = big[5:650, 3:80]  # rows with a stride wider than the image
    data = encode_png(view, dpi=144)
    img = Image.open(io.BytesIO(data))
    assert img.mode == ("RGB" if channels == 3 else "RGBA")
    assert np.array_equal(np.asarray(img), view)
    assert img.info["dpi"] == pytest.approx((144, 144), abs=0.01)
    assert b"tEXt" not in data and b"tIME" not in data  # no software, no time
    with pytest.raises(ValueError, match="expected"):
        encode_png(np.zeros((4, 4), dtype=np.uint8))


def test_png_scale_is_two_pixels_per_point_and_caps_the_longest_side():
    assert png_scale(540, 2000) == 2.0
    assert png_scale(540, 5000) == pytest.approx(1.0)
    assert round(3000 * png_scale(540, 3000)) == sc.MAX_PNG_PIXELS


def test_label_rejects_other_turns():
    with pytest.raises(ValueError, match="rotate"):
        Label(0, 0, "x", 9, rotate=45)
