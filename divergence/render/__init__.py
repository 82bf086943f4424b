"""Graphs and charts as SVG and PNG, drawn with matplotlib only (no Graphviz needed).

Every public function takes data, writes ``<path_stem>.svg`` and
``<path_stem>.png`` and returns both paths. User text (activity and unit
names) is drawn literally: never as math, never as TeX.
"""

from __future__ import annotations

import shutil

from .charts import cost_chart, divergence_heatmap, variant_coverage_chart, waves_chart
from .figure import save_figure
from .graphs import TargetGraph, difference_map, process_map, select_behaviour
from .layout import Layout, layered_layout

__all__ = [
    "TargetGraph",
    "process_map",
    "difference_map",
    "divergence_heatmap",
    "variant_coverage_chart",
    "cost_chart",
    "waves_chart",
    "save_figure",
    "select_behaviour",
    "layered_layout",
    "Layout",
    "graphviz_available",
]


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` is on PATH (an optional extra; nothing here needs it)."""
    return shutil.which("dot") is not None
