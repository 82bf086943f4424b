"""Process maps, difference maps, layout: files, determinism, literal text, no overlaps."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from divergence.errors import OptionError
from divergence.profile import profile_units
from divergence.render import (
    TargetGraph,
    difference_map,
    graphviz_available,
    layered_layout,
    process_map,
    select_behaviour,
)
from divergence.render.diffmap import difference_map_scene
from divergence.render.graphs import END, START, process_map_scene
from divergence.render.scene import Label, Rect
from divergence.render.style import format_duration, format_gbp, literal

T0 = pd.Timestamp("2024-01-01", tz="UTC")

ACTS15 = [
    "Receive application", "Check completeness", "Request missing documents",
    "Receive documents", "Register case", "Assess eligibility", "Site visit",
    "Consult environment_agency", "Draft decision", "Review decision ($ approval)",
    "Revise draft", "Approve", "Reject", "Notify applicant <script>", "Archive & close \"quoted\"",
]


def frame_from(variants: list[tuple[list[str], int]], unit: str = "north", wait_min: float = 60) -> pd.DataFrame:
    rows = []
    c = 0
    for seq, n in variants:
        for _ in range(n):
            for i, a in enumerate(seq):
                rows.append(("permits", unit, f"c{c}", a, T0 + pd.Timedelta(minutes=wait_min * i + c), "r"))
            c += 1
    return pd.DataFrame(rows, columns=["process", "unit", "case", "activity", "timestamp", "resource"])


def profile_of(frame: pd.DataFrame):
    (proc,) = profile_units(frame).values()
    (prof,) = proc.values()
    return prof


def permits15(n_cases: int = 160, seed: int = 1):
    """A 15-activity log with rework loops, optional steps and two outcomes."""
    rng = np.random.default_rng(seed)
    A = ACTS15
    variants = []
    for _ in range(n_cases):
        seq = A[0:2]
        while rng.random() < 0.3:
            seq = seq + [A[2], A[3], A[1]]
        seq = seq + [A[4], A[5]]
        if rng.random() < 0.4:
            seq.append(A[6])
        if rng.random() < 0.3:
            seq.append(A[7])
        seq = seq + [A[8], A[9]]
        while rng.random() < 0.25:
            seq = seq + [A[10], A[9]]
        seq = seq + [A[11] if rng.random() < 0.8 else A[12], A[13]]
        if rng.random() < 0.9:
            seq.append(A[14])
        variants.append((seq, 1))
    return profile_of(frame_from(variants))


@pytest.fixture(scope="module")
def p15():
    return permits15()


def _boxes(scene, *roles):
    return [it.bbox() for it in scene.items if it.role in roles]


def _rects(scene):
    """Activity boxes, in the order of their labels (start and end are circles)."""
    return [it for it in scene.of_role("node-box") if isinstance(it, Rect)]


def _overlapping(a, b, tol=0.5) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol) and (min(a[3], b[3]) - max(a[1], b[1]) > tol)


# ---------------------------------------------------------------- selection


def test_select_behaviour_keeps_most_frequent_edges_until_coverage():
    p = profile_of(frame_from([(["A", "B", "C"], 8), (["A", "C"], 2)]))
    # occurrences: start->A 10, C->end 10, A->B 8, B->C 8, A->C 2; total 38
    b = select_behaviour(p, coverage=0.9)
    kept = set(zip(b.edges["source"], b.edges["target"]))
    assert kept == {(START, "A"), ("A", "B"), ("B", "C"), ("C", END)}
    assert b.share == pytest.approx(36 / 38)
    assert list(b.activities["activity"]) == ["A", "C", "B"]  # by events, then name
    assert (b.total_activities, b.total_edges) == (3, 5)


def test_select_behaviour_keeps_kept_activities_connected():
    p = profile_of(frame_from([(["A", "B", "C"], 8), (["A", "C"], 2)]))
    b = select_behaviour(p, coverage=0.5)  # start->A and C->end alone reach 20/38
    g = nx.DiGraph(list(zip(b.edges["source"], b.edges["target"])))
    for a in b.activities["activity"]:
        assert nx.has_path(g, START, a) and nx.has_path(g, a, END)


def test_select_behaviour_caps_activities_on_a_400_activity_log():
    chain = [f"step {i:03d}" for i in range(400)]
    variants = [(chain[: 400 - k], 1 + k) for k in range(0, 40, 4)]
    p = profile_of(frame_from(variants))
    b = select_behaviour(p, coverage=1.0, max_activities=60)
    assert len(b.activities) <= 60
    assert b.total_activities == 400
    with pytest.raises(OptionError, match="max_activities must be between"):
        select_behaviour(p, max_activities=400)
    with pytest.raises(OptionError, match="coverage"):
        select_behaviour(p, coverage=0)


def test_select_behaviour_does_not_modify_profile(p15):
    before = p15.edges.copy()
    select_behaviour(p15, coverage=0.5)
    pd.testing.assert_frame_equal(p15.edges, before)


# ---------------------------------------------------------------- files and text


def test_process_map_writes_deterministic_svg_and_png(tmp_path, p15):
    a = process_map(p15, tmp_path / "a" / "map")
    b = process_map(p15, tmp_path / "b" / "map")
    assert [x.name for x in a] == ["map.svg", "map.png"]
    assert all(x.stat().st_size > 1000 for x in a)
    assert a[0].read_bytes() == b[0].read_bytes()
    png = a[1].read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png.lower()
    svg = a[0].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg


def test_user_text_is_drawn_literally_and_escaped_in_svg(tmp_path):
    names = ["<script>alert('x')</script>", "Pay $5 & $6", 'say "hi"', "Ünïcødé → ✓"]
    p = profile_of(frame_from([(names, 5)]))
    svg_path, _ = process_map(p, tmp_path / "m", title="Title with $x$ & <b>")
    raw = svg_path.read_text(encoding="utf-8")
    ET.fromstring(raw)  # well-formed XML
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    assert "Pay $5 &amp; $6" in raw  # dollars kept literally, not typeset as math
    assert "Title with $x$ &amp; &lt;b&gt;" in raw
    assert "Ünïcødé → ✓" in raw
    assert literal("a $b$ c") == r"a \$b\$ c"


def test_process_map_works_without_graphviz(tmp_path, monkeypatch, p15):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert graphviz_available() is False
    paths = process_map(p15, tmp_path / "out" / "nodot", coverage=0.8)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


def test_difference_map_colours_three_classes(tmp_path):
    p = profile_of(frame_from([(["A", "B", "C"], 8), (["A", "X", "C"], 4)]))
    target = TargetGraph(
        activities={"A", "B", "C", "T"}, edges={("A", "B"), ("B", "C"), ("C", "T")}, start={"A"}, end={"T"}
    )
    paths = difference_map(p, target, tmp_path / "diff")
    assert [x.suffix for x in paths] == [".svg", ".png"]
    from divergence.render.style import DIFF_COLOURS

    scene = difference_map_scene(p, target)
    edge_colours = {it.stroke.lower() for it in scene.of_role("node-box")}
    assert {DIFF_COLOURS["common"].lower(), DIFF_COLOURS["unit"].lower(), DIFF_COLOURS["target"].lower()} <= edge_colours
    # the target-only activity T is a dashed box; X, only in the unit, a solid one
    boxes = {lab.text.split("\n")[0]: box for lab, box in zip(scene.of_role("node-label"), _rects(scene))}
    assert boxes["T"].dash is not None and boxes["X"].dash is None and boxes["A"].dash is None
    svg = paths[0].read_text(encoding="utf-8")
    for c in DIFF_COLOURS.values():
        assert f'stroke="{c.lower()}"' in svg


# ---------------------------------------------------------------- overlaps


def test_process_map_15_activities_has_no_overlaps(p15):
    scene = process_map_scene(p15, coverage=1.0)
    labels = _boxes(scene, "node-label")
    boxes = _boxes(scene, "node-box")
    edge_labels = _boxes(scene, "edge-label")
    assert len(labels) == 15 and len(boxes) == 17  # 15 activities, start, end
    assert edge_labels
    for a, b in itertools.combinations(labels, 2):
        assert not _overlapping(a, b)
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlapping(a, b)
    for e in edge_labels:
        for b in boxes:
            assert not _overlapping(e, b)
    # every node label sits inside its box, every box on the canvas
    rects = _rects(scene)
    assert len(rects) == 15
    for lab, rect in zip(labels, rects):
        box = rect.bbox()
        assert box[0] < lab[0] and lab[2] < box[2] and box[1] < lab[1] and lab[3] < box[3]
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= scene.width and b[3] <= scene.height for b in boxes + labels)


def test_process_map_draws_loops_dashed_and_forward_edges_solid(p15):
    scene = process_map_scene(p15, coverage=1.0)
    edges = scene.of_role("edge")
    dashed = [e for e in edges if e.dash]
    solid = [e for e in edges if not e.dash]
    # the log has two rework loops (documents, revise) and self-loop free forward flow
    assert len(dashed) >= 2 and len(solid) > len(dashed)
    from divergence.render.style import BACK_EDGE, EDGE

    assert {e.stroke for e in dashed} == {BACK_EDGE} and {e.stroke for e in solid} == {EDGE}
    legend = [it.text for it in scene.items if isinstance(it, Label) and it.role == "legend-label"]
    assert legend == ["activity (darker: more cases)", "transition", "loop back to an earlier step"]
    assert [it.text for it in scene.of_role("title")] == ["Process map: permits · north"]
    assert scene.of_role("caption")[0].text.startswith("Shown: 15 of 15 activities")


# ---------------------------------------------------------------- layout


def test_layered_layout_is_deterministic_and_breaks_cycles():
    nodes = ["s", "a", "b", "c", "d", "e"]
    edges = [("s", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "e"), ("c", "e"), ("s", "e"), ("b", "b")]
    sizes = {n: (50.0, 20.0) for n in nodes}
    one = layered_layout(nodes, edges, sizes=sizes, roots=["s"], sinks=["e"])
    two = layered_layout(nodes, edges, sizes=sizes, roots=["s"], sinks=["e"])
    assert one == two
    assert one.back_edges == frozenset({("c", "a")})
    assert one.self_loops == (("b", "b"),)
    assert one.layer["s"] == 0 and one.layer["e"] == max(one.layer.values())
    # downward edges go to a lower layer; long edges get one dummy per crossed layer
    for u, v in edges:
        if u != v and (u, v) not in one.back_edges:
            assert one.layer[v] > one.layer[u]
            assert len(one.routes[(u, v)]) == one.layer[v] - one.layer[u] - 1
    # boxes of a layer do not overlap
    for (u, pu), (v, pv) in itertools.combinations(one.pos.items(), 2):
        if one.layer[u] == one.layer[v]:
            assert abs(pu[0] - pv[0]) >= 50.0


def test_large_map_draws_every_kept_activity(tmp_path):
    # 60 activities and 150 edges: the largest map the defaults draw (its
    # drawing time is measured by the benchmark, not here)
    rng = np.random.default_rng(4)
    acts = [f"Step {i:02d} review file" for i in range(60)]
    variants = []
    for _ in range(300):
        i, seq = 0, [acts[0]]
        while i < 59:
            r = rng.random()
            i = min(59, max(0, i + (1 if r < 0.6 else 2 if r < 0.8 else 3 if r < 0.93 else -1)))
            seq.append(acts[i])
        variants.append((seq, 1))
    p = profile_of(frame_from(variants))
    b = select_behaviour(p, coverage=1.0, max_edges=150)
    assert len(b.activities) == 60 and len(b.edges) == 150
    paths = process_map(p, tmp_path / "big", coverage=1.0)
    svg = next(x for x in paths if x.suffix == ".svg").read_text(encoding="utf-8")
    assert all(a.replace(" file", "") in svg for a in acts)


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    "seconds, text",
    [(30, "30 s"), (45 * 60, "45 min"), (3.2 * 3600, "3.2 h"), (2.1 * 86400, "2.1 d"), (float("nan"), "–")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("x, text", [(950, "£950"), (1200, "£1.2k"), (12_000, "£12k"), (1_200_000, "£1.2m"), (2e6, "£2m")])
def test_format_gbp(x, text):
    assert format_gbp(x) == text
