"""Difference maps: the strongest differences first, capped, said in the caption, within size bounds."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from conftest import run_cli, shared_data
from divergence.render import TargetGraph
from divergence.render.bounds import fit_to_bounds, svg_size_px
from divergence.render.diffmap import difference_map, difference_map_scene, select_difference
from divergence.render.graphs import END, START
from divergence.render.scene import Label, Scene
from tinylogs import make_profiles

# unit: A B C in 8 of 10 cases, A X C in 2; target: A B C in 5, A Y C in 5.
# Shares of cases: B 0.8 vs 0.5, X 0.2 vs 0, Y 0 vs 0.5, A and C 1 vs 1.
def by_unit(spec) -> dict:
    return {p.unit: p for p in make_profiles(spec)}


_P = by_unit({"unit": [("ABC", 8), ("AXC", 2)], "target": [("ABC", 5), ("AYC", 5)]})
UNIT, TARGET = _P["unit"], _P["target"]


def _caption(scene: Scene) -> str:
    return " ".join(it.text for it in scene.of_role("caption"))


def test_selection_orders_by_absolute_difference_in_case_share():
    sel = select_difference(UNIT, TARGET)
    assert sel.observed and sel.has_differences
    assert sel.total_activities == 5 and sel.total_edges == 8
    a = sel.activities
    assert list(a["activity"]) == ["Y", "B", "X", "A", "C"]
    assert list(a["where"]) == ["target", "common", "unit", "common", "common"]
    assert a["difference"].round(6).tolist() == [-0.5, 0.3, 0.2, 0.0, 0.0]
    assert a["unit_cases"].tolist() == [0, 8, 2, 10, 10]
    e = sel.edges
    assert list(zip(e["source"], e["target"])) == [
        ("A", "Y"), ("Y", "C"), ("A", "B"), ("B", "C"), ("A", "X"), ("X", "C"), (START, "A"), ("C", END)
    ]
    assert e["difference"].round(6).tolist() == [-0.5, -0.5, 0.3, 0.3, 0.2, 0.2, 0.0, 0.0]
    assert sel.strongest == pytest.approx(0.5)


def test_selection_caps_activities_and_keeps_edges_between_kept_activities():
    # the walk, strongest first: Y; A -> Y brings A; Y -> C brings C; B; A -> B (3 edges: full); X (no room)
    sel = select_difference(UNIT, TARGET, max_activities=4, max_edges=3)
    assert list(sel.activities["activity"]) == ["Y", "B", "A", "C"]
    assert list(zip(sel.edges["source"], sel.edges["target"])) == [("A", "Y"), ("Y", "C"), ("A", "B")]
    assert (sel.total_activities, sel.total_edges) == (5, 8)


def test_caption_states_the_cut():
    scene = difference_map_scene(UNIT, TARGET, max_activities=4, max_edges=3, target_name="the target unit T")
    cap = _caption(scene)
    assert cap.startswith("Showing 4 of 5 activities and 3 of 8 edges with the largest differences")
    assert "the target unit T" in cap
    boxes = [it.text.split("\n") for it in scene.of_role("node-label")]
    assert sorted(b[0] for b in boxes) == ["A", "B", "C", "Y"]
    assert ["Y", "0% vs 50% of cases"] in boxes and ["B", "80% vs 50% of cases"] in boxes
    labels = sorted(it.text for it in scene.of_role("edge-label"))
    assert labels == ["0% vs 50%", "0% vs 50%", "80% vs 50%"]
    full = _caption(difference_map_scene(UNIT, TARGET))
    assert full.startswith("Showing 5 of 5 activities and 8 of 8 edges")


def test_no_map_when_nothing_differs(tmp_path):
    same = select_difference(UNIT, UNIT)
    assert not same.has_differences and same.strongest == 0.0
    assert difference_map(UNIT, UNIT, tmp_path / "diff") == []
    assert not list(tmp_path.iterdir())
    assert [p.suffix for p in difference_map(UNIT, TARGET, tmp_path / "diff")] == [".svg", ".png"]


def test_no_difference_map_for_the_target_unit(tmp_path):
    from divergence import analyse_events
    from divergence.report.maps import graph_jobs

    rows = []
    for unit, variants in {"north": [("ABCD", 12)], "south": [("ABCD", 6), ("ABXD", 6)], "east": [("ACBD", 12)]}.items():
        n = 0
        for var, count in variants:
            for _ in range(count):
                for i, a in enumerate(var):
                    rows.append(("P", unit, f"{unit}{n}", a, pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=i), "r"))
                n += 1
    frame = pd.DataFrame(rows, columns=["process", "unit", "case", "activity", "timestamp", "resource"])
    result = analyse_events(frame, targets={None: "north"}, bootstrap=0)
    pr = result["P"]
    assert pr.target.kind == "unit" and pr.target.profile is not None
    keys = [k for k, _ in graph_jobs(pr, tmp_path / "graphs")]
    assert "map:north" in keys and "diff:north" not in keys
    assert {"diff:south", "diff:east"} <= set(keys)


def test_model_target_is_still_drawn_and_capped():
    target = TargetGraph(activities={"A", "B", "C", "T"}, edges={("A", "B"), ("B", "C"), ("C", "T")}, start={"A"}, end={"T"})
    sel = select_difference(UNIT, target)
    assert not sel.observed
    a = sel.activities.set_index("activity")
    assert a.loc["T", "where"] == "target" and a.loc["X", "where"] == "unit" and a.loc["B", "where"] == "common"
    assert list(sel.activities["activity"][:2]) == ["T", "X"]  # only in the model (never done), then only in the unit
    # C -> end only in the unit (all its cases), then T, C -> T, T -> end only in the model
    capped = select_difference(UNIT, target, max_activities=2, max_edges=1)
    assert list(capped.activities["activity"]) == ["T", "C"]
    assert list(zip(capped.edges["source"], capped.edges["target"])) == [("C", END)]
    assert _caption(difference_map_scene(UNIT, target, max_activities=2, max_edges=1)).startswith(
        "Showing 2 of 5 activities and 1 of"
    )


def test_fit_to_bounds_and_svg_size():
    assert fit_to_bounds(300, 200) == 1.0
    assert fit_to_bounds(6000, 100) == pytest.approx(0.5)  # 8000 px wide
    assert fit_to_bounds(100, 9000) == pytest.approx(8000 / 12000)  # 12000 px tall
    svg = Scene(6000, 300, [Label(10, 10, "x", 9)]).to_svg()
    assert svg_size_px(svg) == pytest.approx((4000, 200))
    assert 'viewBox="0 0 6000 300"' in svg  # the geometry is kept, only shown smaller
    assert svg_size_px(Scene(300, 200).to_svg()) == pytest.approx((400, 800 / 3))


def test_many_activities_stay_within_caps_and_bounds(tmp_path):
    # 120 activities, each alone in its own variant between S and E; the target does none of them
    unit_spec = [(("S", f"step {i:03d}", "E"), 1 + i % 3) for i in range(120)]
    p = by_unit({"u": unit_spec, "t": [(("S", "E"), 10)]})
    unit, target = p["u"], p["t"]
    sel = select_difference(unit, target)
    assert len(sel.activities) == 60 and sel.total_activities == 122
    assert len(sel.edges) <= 150
    # the strongest: the 40 steps of 3 cases in 240, then 2-case ones; none of 1 case
    # S and E come with the first edge that needs them, so every step is drawn between them
    assert {"S", "E"} <= set(sel.activities["activity"])
    assert sel.activities["unit_cases"].value_counts().to_dict() == {3: 40, 2: 18, 240: 2}
    # S -> step -> E for each kept step; S -> E (the target's only path: the strongest); start -> S, E -> end
    assert len(sel.edges) == 2 * 58 + 3
    assert sel.edges.iloc[0][["source", "target", "where"]].tolist() == ["S", "E", "target"]
    paths = difference_map(unit, target, tmp_path / "wide")
    w, h = svg_size_px(paths[0].read_text(encoding="utf-8"))
    assert w <= 4000 and h <= 8000


@pytest.mark.slow
def test_bpic2015_difference_maps_are_bounded(tmp_path):
    data = shared_data("bpic2015")
    out = tmp_path / "out"
    t0 = time.perf_counter()
    proc = run_cli("analyse", str(data), "--out", str(out), "--quiet", "--bootstrap", "0", "--target", "BPIC15_1",
                   timeout=600)
    took = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    svgs = list((out / "bpic2015" / "graphs").glob("*.svg"))
    assert svgs and not (out / "bpic2015" / "graphs" / "diff_BPIC15_1.svg").exists()  # the target itself
    assert len([p for p in svgs if p.name.startswith("diff_")]) == 4
    for p in svgs:
        w, h = svg_size_px(p.read_text(encoding="utf-8"))
        assert w <= 4000 and h <= 8000, (p.name, w, h)
    assert (out / "report.html").stat().st_size < 5_000_000
    assert took < 120, took


def test_heatmap_of_many_units_stays_bounded():
    import numpy as np

    from divergence.render.charts import divergence_heatmap_scene

    n = 300
    rng = np.random.default_rng(0)
    m = rng.random((n, n))
    m = (m + m.T) / 2
    np.fill_diagonal(m, 0)
    units = [f"unit {i:03d}" for i in range(n)]
    scene = divergence_heatmap_scene(m, units, None, None, title="many", measure_name="d")
    assert scene.width <= 3000 and scene.height <= 3000  # drawn small, not just shown small
    assert not scene.of_role("value")  # no room for the figures in 8-point cells
    assert len(scene.of_role("row-label")) == n and all(it.size >= 4 for it in scene.of_role("row-label"))
    w, h = svg_size_px(scene.to_svg())
    assert w <= 4000 and h <= 8000
    few = divergence_heatmap_scene(m[:5, :5], units[:5], None, None, title="few", measure_name="d")
    assert len(few.of_role("value")) == 25  # small matrices keep their figures


def test_report_links_large_svgs_and_stacks_wide_maps(tmp_path):
    from divergence.report.html import INLINE_SVG_BYTES, _figure, _fits_half

    graphs = tmp_path / "proc" / "graphs"
    graphs.mkdir(parents=True)
    small = graphs / "small.svg"
    small.write_text(Scene(300, 200, [Label(10, 10, "x", 9)]).to_svg(), encoding="utf-8")
    big = graphs / "big.svg"
    big.write_text(Scene(2000, 200, [Label(10, 10, "x" * 1000, 9)] * (INLINE_SVG_BYTES // 1000 + 10)).to_svg(),
                   encoding="utf-8")
    assert big.stat().st_size > INLINE_SVG_BYTES
    inline = _figure(small, "Small.")
    assert "<svg" in inline and 'href="proc/graphs/small.svg"' in inline
    linked = _figure(big, "Big.")
    assert "<svg" not in linked and 'href="proc/graphs/big.svg"' in linked and "too large" in linked
    assert _fits_half(small) and not _fits_half(big)  # 2000 pt wide: stacked, not side by side
