"""Graphs and charts as SVG and PNG, without Graphviz.

Every public function takes data, writes ``<path_stem>.svg`` and
``<path_stem>.png`` and returns both paths. Each drawing is first built as a
:class:`~divergence.render.scene.Scene` (boxes, paths, text in points), then
written as SVG text and rasterised to PNG (matplotlib's Agg renderer for
shapes, Pillow for text; see ``scene.py``). User text (activity and unit
names) is drawn literally: never as math, never as TeX.
"""

from __future__ import annotations

import shutil

from .charts import cost_chart, divergence_heatmap, variant_coverage_chart, waves_chart
from .diffmap import difference_map, select_difference
from .graphs import TargetGraph, process_map, select_behaviour
from .layout import Layout, layered_layout
from .scene import Scene

__all__ = [
    "TargetGraph",
    "process_map",
    "difference_map",
    "divergence_heatmap",
    "variant_coverage_chart",
    "cost_chart",
    "waves_chart",
    "Scene",
    "select_behaviour",
    "select_difference",
    "layered_layout",
    "Layout",
    "graphviz_available",
]


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` is on PATH (an optional extra; nothing here needs it)."""
    return shutil.which("dot") is not None
