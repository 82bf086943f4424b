"""The drawing jobs of a report: which process maps, difference maps and charts to draw, and drawing them (views of the result; the drawing itself is in :mod:`divergence.render`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from .. import parallel
from ..privacy import fold_profile
from ..progress import ProgressFn, no_progress
from ..result import ProcessResult
from .safe import safe_name

__all__ = ["draw_process_graphs", "graph_jobs", "run_jobs", "svg_of"]


def draw_process_graphs(
    pr: ProcessResult, folder: Path, *, min_cases: int = 1, progress: ProgressFn = no_progress, png: bool = False
) -> dict[str, Path]:
    """Draw every graph of one process; returns name -> SVG path.

    Names: ``heatmap``, ``coverage``, ``costs``, ``waves``, ``map:<unit>``
    and ``diff:<unit>`` (none for the target unit itself, nor for a unit
    that does not differ from the target). The drawings run on two worker processes when
    there are enough of them (see :func:`run_jobs`).
    """
    jobs = graph_jobs(pr, folder, min_cases=min_cases, png=png)
    out: dict[str, Path] = {}
    for step, (key, paths) in enumerate(run_jobs(jobs), start=1):
        if paths:  # a drawing that would carry no information writes nothing
            out[key] = svg_of(paths)
        progress("", step, len(jobs))
    return out


def graph_jobs(pr: ProcessResult, folder: Path, *, min_cases: int = 1,
               png: bool = False) -> list[tuple[str, Callable[[], list[Path]]]]:
    """Every graph of one process as ``(name, thunk)``; each thunk draws one graph and returns its paths.

    Charts are written as SVG and PNG; process maps and difference maps as
    SVG only (the report inlines the SVG; rasterising a tall map was half
    of all drawing time), and also as PNG with ``png=True`` (``--png``).

    Each is 0.04-0.15 s of CPU; :func:`run_jobs` runs them. ``folder`` is created.
    """
    from .. import render

    folder.mkdir(parents=True, exist_ok=True)
    p = pr.process
    fam = pr.families
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
    ranges = [{"unit": u, **{k: pr.costs[u].cost_gbp[k] for k in ("low", "central", "high")}} for u in pr.units]
    jobs.append(
        (
            "costs",
            partial(
                render.cost_chart,
                pr.costs_by_kind(),
                pd.DataFrame(ranges),
                folder / "harmonisation_costs",
                title=f"{p}: one-off harmonisation cost per unit (central, by change kind; whiskers low–high)",
            ),
        )
    )
    if pr.cost_simulation is not None:
        from ..render.tornado import tornado_chart

        jobs.append(("tornado", partial(tornado_chart, pr.cost_simulation.tornado, folder / "cost_tornado",
                                        title=f"{p}: which cost assumptions move the total most (each at its "
                                              "low and high, the others central)")))
    w = pr.waves.copy()
    w["cost_central"] = [pr.costs[u].cost_gbp["central"] for u in w["unit"]]
    w["fitness_to_target"] = [pr.alignments[u].fitness for u in w["unit"]]
    waves_title = f"{p}: migration waves onto the target process"
    jobs.append(("waves", partial(render.waves_chart, w, folder / "migration_waves", title=waves_title)))
    target_side = _target_side(pr, min_cases)
    for u in pr.units:
        name = safe_name(u)
        jobs.append(
            (f"map:{u}", partial(render.process_map, shown[u], folder / f"map_{name}", title=f"{p} · {u}: process map",
                                 png=png))
        )
        if pr.target.kind == "unit" and pr.target.name == u:
            continue  # the target itself: nothing differs
        jobs.append(
            (
                f"diff:{u}",
                partial(
                    render.difference_map,
                    shown[u],
                    target_side,
                    folder / f"diff_{name}",
                    title=f"{p} · {u} compared with the target ({pr.target.name})",
                    target_name=_target_label(pr.target),
                    significant=pr.difference_sets(u) if pr.differences is not None else None,
                    png=png,
                ),
            )
        )
    return jobs


def _target_side(pr: ProcessResult, min_cases: int):
    """What a difference map compares with: the target's observed behaviour, else its model's relation."""
    from .. import render
    from ..model import behaviour

    profile = getattr(pr.target, "profile", None)
    if profile is not None:
        return fold_profile(profile, min_cases)
    return render.TargetGraph(**behaviour.model_graph(pr.target.model))


def _target_label(target) -> str:
    if target.kind == "unit":
        return f"the target unit {target.name}"
    if target.kind == "pooled":
        return "the behaviour most units share"
    return f"the target model {target.name}"


#: Graphs drawn in parallel only from this many jobs on (a pool costs ~0.1 s).
_PARALLEL_MIN_JOBS = 6


def run_jobs(jobs: list) -> Iterator[tuple[str, Any]]:
    """Run ``(key, thunk)`` jobs; yields ``(key, result)`` in job order, as they finish.

    On two worker processes at most (:func:`divergence.parallel.fork_iter`)
    when there are enough jobs, else in this process. A unit's difference
    map runs right after its process map in the same process (``map:<unit>``
    then ``diff:<unit>``, keys alone or last in a tuple), which reuses the
    unit's transitions table.
    """
    from ..render.raster import release_canvas

    tasks = _together(jobs)
    workers = min(2, parallel.cores()) if len(jobs) >= _PARALLEL_MIN_JOBS else 1

    def run(t: int) -> list:
        return [jobs[i][1]() for i in tasks[t]]

    try:
        for idx, results in zip(tasks, parallel.fork_iter(run, len(tasks), workers=workers)):
            for i, paths in zip(idx, results):
                yield jobs[i][0], paths
    finally:
        release_canvas()  # the pixels kept between drawings are not needed after the last


def _together(jobs: list) -> list[list[int]]:
    """Job indices in tasks, each run in one process: a ``diff:<unit>`` with the ``map:<unit>`` just before
    it (they share the unit's transitions), consecutive charts together (the first PNG imports
    matplotlib's renderer, 0.5 s: once, not in every worker); every other job alone."""
    def name(key) -> str:
        k = key[-1] if isinstance(key, tuple) else key
        return k if isinstance(k, str) else ""

    tasks: list[list[int]] = []
    for i, (key, _) in enumerate(jobs):
        n, prev = name(key), name(jobs[i - 1][0]) if i else ""
        if tasks and n.startswith("diff:") and prev == "map:" + n[5:] and len(tasks[-1]) == 1:
            tasks[-1].append(i)
        elif tasks and n in _CHARTS and prev in _CHARTS:
            tasks[-1].append(i)
        else:
            tasks.append([i])
    return tasks


#: The charts :func:`graph_jobs` draws (SVG and PNG).
_CHARTS = {"heatmap", "coverage", "costs", "tornado", "waves"}


def svg_of(paths: list[Path]) -> Path:
    """The SVG among a drawing's paths."""
    for path in paths:
        if Path(path).suffix == ".svg":
            return Path(path)
    raise ValueError("renderer wrote no SVG")
