"""Draw one process's graphs into ``<out>/<process>/graphs/`` (SVG and PNG)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from .. import parallel
from ..privacy import fold_profile
from ..progress import ProgressFn, no_progress
from ..result import ProcessResult
from .safe import safe_name

__all__ = ["draw_process_graphs"]


def draw_process_graphs(
    pr: ProcessResult, folder: Path, *, min_cases: int = 1, progress: ProgressFn = no_progress
) -> dict[str, Path]:
    """Draw every graph of one process; returns name -> SVG path.

    Names: ``heatmap``, ``coverage``, ``costs``, ``waves``, ``map:<unit>``,
    ``diff:<unit>`` and ``family:<family id>``.
    """
    from .. import pm, render

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    p = pr.process
    total = 4 + 2 * len(pr.units)
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        progress("", step, total)

    fam = pr.families
    # every graph is one job (0.04-0.15 s of CPU each); jobs run in a small
    # forked pool when there are enough of them (see _run_jobs)
    jobs: list[tuple[str, Callable[[], list[Path]]]] = []
    jobs.append(
        (
            "heatmap",
            partial(
                render.divergence_heatmap,
                pr.matrices["combined"],
                pr.units,
                getattr(fam, "linkage", None),
                {f: list(m) for f, m in fam.members.items()},
                folder / "divergence_heatmap",
                title=f"{p}: combined divergence between units, with process families",
                measure_name="combined divergence",
            ),
        )
    )
    shown = {u: fold_profile(pr.profiles[u], min_cases) for u in pr.units}
    jobs.append(
        (
            "coverage",
            partial(
                render.variant_coverage_chart,
                [pr.profiles[u] for u in pr.units],
                folder / "variant_coverage",
                title=f"{p}: share of cases covered by the most frequent variants",
            ),
        )
    )
    rows, ranges = [], []
    for u in pr.units:
        c = pr.costs[u]
        items = c.items
        if len(items):
            by_kind = items.groupby("kind")["cost_gbp"].sum()
            for k, v in by_kind.items():
                rows.append({"unit": u, "kind": k, "cost_gbp": float(v)})
        overhead = c.cost_gbp["central"] - (float(items["cost_gbp"].sum()) if len(items) else 0.0)
        if overhead > 0.5:
            rows.append({"unit": u, "kind": "overhead", "cost_gbp": overhead})
        ranges.append({"unit": u, **{k: c.cost_gbp[k] for k in ("low", "central", "high")}})
    jobs.append(
        (
            "costs",
            partial(
                render.cost_chart,
                pd.DataFrame(rows, columns=["unit", "kind", "cost_gbp"]),
                pd.DataFrame(ranges),
                folder / "harmonisation_costs",
                title=f"{p}: one-off harmonisation cost per unit (central, by change kind; whiskers low–high)",
            ),
        )
    )
    w = pr.waves.copy()
    w["cost_central"] = [pr.costs[u].cost_gbp["central"] for u in w["unit"]]
    w["fitness_to_target"] = [pr.alignments[u].fitness for u in w["unit"]]
    waves_title = f"{p}: migration waves onto the target process"
    jobs.append(("waves", partial(render.waves_chart, w, folder / "migration_waves", title=waves_title)))
    target_graph = render.TargetGraph(**pm.model_graph(pr.target.model))
    for u in pr.units:
        name = safe_name(u)
        jobs.append(
            (f"map:{u}", partial(render.process_map, shown[u], folder / f"map_{name}", title=f"{p} · {u}: process map"))
        )
        jobs.append(
            (
                f"diff:{u}",
                partial(
                    render.difference_map,
                    shown[u],
                    target_graph,
                    folder / f"diff_{name}",
                    title=f"{p} · {u} compared with the target ({pr.target.name})",
                ),
            )
        )
    for key, paths in _run_jobs(jobs):
        out[key] = _svg(paths)
        tick()
    return out


#: Graphs drawn in parallel only from this many jobs on (a pool costs ~0.1 s).
_PARALLEL_MIN_JOBS = 6


def _run_jobs(jobs: list) -> Iterator[tuple[str, list[Path]]]:
    """Run ``(key, thunk)`` jobs; yields ``(key, paths)`` in job order, as they finish.

    On two worker processes at most (:func:`divergence.parallel.fork_iter`)
    when there are enough jobs, else in this process.
    """
    from ..render.scene import release_canvas

    workers = min(2, parallel.cores()) if len(jobs) >= _PARALLEL_MIN_JOBS else 1
    try:
        for (key, _), paths in zip(jobs, parallel.fork_iter(lambda i: jobs[i][1](), len(jobs), workers=workers)):
            yield key, paths
    finally:
        release_canvas()  # the pixels kept between drawings are not needed after the last


def _svg(paths: list[Path]) -> Path:
    for path in paths:
        if Path(path).suffix == ".svg":
            return Path(path)
    raise ValueError("renderer wrote no SVG")
