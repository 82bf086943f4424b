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
from divergence.render.charts import divergence_heatmap_figure

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
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def test_heatmap_follows_dendrogram_and_tick_labels_do_not_overlap(divergence):
    m, link = divergence
    fams = {"F1": UNITS[:3], "F2": UNITS[3:6], "F3": UNITS[6:]}
    fig = divergence_heatmap_figure(m, UNITS, link, fams, title="Divergence", measure_name="combined")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    leaves = dendrogram(link, no_plot=True)["leaves"]
    xt = [t.get_text() for t in ax.get_xticklabels()]
    assert xt == [UNITS[i].replace("$", r"\$") for i in leaves]
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        boxes = [t.get_window_extent(r) for t in labels]
        for a, b in itertools.combinations(boxes, 2):
            assert not _overlap(a, b)
    # every tick label is fully on the canvas
    w, h = fig.canvas.get_width_height()
    for t in ax.get_xticklabels() + ax.get_yticklabels():
        bb = t.get_window_extent(r)
        assert bb.x0 >= 0 and bb.y0 >= 0 and bb.x1 <= w and bb.y1 <= h
    values = [t.get_text() for t in ax.texts]
    assert len(values) == 81 and values[0] == "0.00" and all(len(v) == 4 for v in values)


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
