"""Charts: heatmap with dendrogram and families, variant coverage, costs, waves."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import dendrogram, linkage
from scipy.spatial.distance import squareform

from divergence.profile import profile_units
from divergence.render import cost_chart, divergence_heatmap, variant_coverage_chart, waves_chart
from divergence.render.charts import _clip_segment, cost_scene, divergence_heatmap_scene

UNITS = [
    "environment_agency", "north_yorkshire_council", "leeds_city_council", "bradford_metropolitan",
    "york", "hull_city_council", "sheffield", "wakefield & district", "$doncaster$",
]


@pytest.fixture(scope="module")
def divergence():
    rng = np.random.default_rng(0)
    pts = rng.random((9, 2))
    m = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    m = m / m.max()
    return m, linkage(squareform(m, checks=False), "average")


def _overlap(a, b, tol=0.5) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol) and (min(a[3], b[3]) - max(a[1], b[1]) > tol)


def test_heatmap_follows_dendrogram_and_tick_labels_do_not_overlap(divergence):
    m, link = divergence
    fams = {"F1": UNITS[:3], "F2": UNITS[3:6], "F3": UNITS[6:]}
    scene = divergence_heatmap_scene(m, UNITS, link, fams, title="Divergence", measure_name="combined")
    leaves = dendrogram(link, no_plot=True)["leaves"]
    columns = scene.of_role("column-label")
    rows = scene.of_role("row-label")
    assert [t.text for t in columns] == [UNITS[i] for i in leaves]  # literally, "$" and all
    assert [t.text for t in rows] == [UNITS[i] for i in leaves]
    assert all(t.rotate == 90 for t in columns) and all(t.rotate == 0 for t in rows)
    for labels in (columns, rows):
        boxes = [t.bbox() for t in labels]
        for a, b in itertools.combinations(boxes, 2):
            assert not _overlap(a, b)
    # every label is fully on the canvas, and clear of the cells
    cells = [c.bbox() for c in scene.of_role("cell")]
    grid = (min(c[0] for c in cells), min(c[1] for c in cells), max(c[2] for c in cells), max(c[3] for c in cells))
    for t in scene.items:
        if hasattr(t, "text"):
            x0, y0, x1, y1 = t.bbox()
            assert x0 >= 0 and y0 >= 0 and x1 <= scene.width and y1 <= scene.height, t.text
    for t in columns + rows:
        assert not _overlap(t.bbox(), grid)
    values = [t.text for t in scene.of_role("value")]
    assert len(values) == 81 and values[0] == "0.00" and all(len(v) == 4 for v in values)
    # dark cells carry white numbers, light cells black ones
    for value in scene.of_role("value"):
        assert value.colour == ("#000000" if float(value.text) > 0.55 else "#FFFFFF")


def test_heatmap_files_and_validation(tmp_path, divergence):
    m, link = divergence
    paths = divergence_heatmap(m, UNITS, None, None, tmp_path / "h", title="t", measure_name="m")
    assert [p.name for p in paths] == ["h.svg", "h.png"]
    ET.fromstring(paths[0].read_text(encoding="utf-8"))
    again = divergence_heatmap(m, UNITS, None, None, tmp_path / "h2", title="t", measure_name="m")
    assert paths[0].read_bytes() == again[0].read_bytes()
    with pytest.raises(ValueError, match="expected"):
        divergence_heatmap(m[:3], UNITS, None, None, tmp_path / "bad", title="t", measure_name="m")


def test_variant_coverage_chart(tmp_path):
    rows = []
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    for u, variants in {"a<b>": [("XY", 5), ("XZ", 1)], "c $d$": [("XY", 2), ("YX", 2), ("Z", 2)]}.items():
        c = 0
        for seq, n in variants:
            for _ in range(n):
                for i, act in enumerate(seq):
                    rows.append(("p", u, f"c{c}", act, t0 + pd.Timedelta(hours=i), None))
                c += 1
    frame = pd.DataFrame(rows, columns=["process", "unit", "case", "activity", "timestamp", "resource"])
    profiles = list(profile_units(frame)["p"].values())
    paths = variant_coverage_chart(profiles, tmp_path / "cov", title="Variant coverage")
    raw = paths[0].read_text(encoding="utf-8")
    ET.fromstring(raw)
    assert "a&lt;b&gt;" in raw and "c $d$" in raw


def test_cost_and_waves_charts(tmp_path):
    units = ["leeds", "york", "environment_agency"]
    costs = pd.DataFrame(
        [(u, k, 1000.0 * (i + 1) * (j + 1)) for i, u in enumerate(units)
         for j, k in enumerate(["add", "drop", "reorder", "rework"])],
        columns=["unit", "kind", "cost_gbp"],
    )
    tot = costs.groupby("unit")["cost_gbp"].sum()
    ranges = pd.DataFrame({"unit": tot.index, "low": tot * 0.7, "central": tot, "high": tot * 1.6})
    paths = cost_chart(costs, ranges, tmp_path / "cost", title="Cost")
    raw = paths[0].read_text(encoding="utf-8")
    assert "£20k" in raw  # formatted axis
    waves = pd.DataFrame({"unit": units, "wave": [1, 2, 2], "cost_central": tot.reindex(units).to_numpy(),
                          "fitness_to_target": [0.9, 0.5, 0.7]})
    paths = waves_chart(waves, tmp_path / "waves", title="Roadmap")
    raw = paths[0].read_text(encoding="utf-8")
    assert "Wave 1" in raw and "Wave 2" in raw and "environment_agency" in raw


def test_cost_chart_orders_units_and_keeps_title_clear_of_legend():
    costs = pd.DataFrame({"unit": ["a", "a", "b", "c"], "kind": ["add", "drop", "rework", "add"],
                          "cost_gbp": [1000.0, 500.0, 3000.0, 200.0]})
    ranges = pd.DataFrame({"unit": ["a", "b", "c"], "low": [1000.0, 2000, 100], "central": [1500.0, 3000, 200],
                           "high": [2500.0, 6000, 400]})
    scene = cost_scene(costs, ranges, title="A long title about one-off harmonisation cost per unit and kind")
    ticks = [t for t in scene.of_role("tick-label") if t.align == "end"]
    assert [t.text for t in sorted(ticks, key=lambda t: t.y)] == ["b", "a", "c"]  # dearest at the top
    bars = scene.of_role("bar")
    assert len(bars) == 4 and max(b.bbox()[2] for b in bars) < max(r.bbox()[2] for r in scene.of_role("range"))
    legend = [t.text for t in scene.of_role("legend-label")]
    assert legend == ["add", "drop", "rework", "central, low–high range"]
    for title in scene.of_role("title"):
        for other in scene.of_role("legend-title") + scene.of_role("legend-label"):
            assert not _overlap(title.bbox(), other.bbox())


def test_clip_segment_keeps_the_part_inside_the_box():
    assert _clip_segment((0, 5), (20, 5), 5, 0, 10, 10) == ((5, 5), (10, 5))
    assert _clip_segment((0, 0), (10, 10), 0, 0, 5, 5) == ((0, 0), (5, 5))
    assert _clip_segment((0, 20), (10, 20), 0, 0, 10, 10) is None
