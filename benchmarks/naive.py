"""The naive pm4py pipeline the benchmark compares against (developer tool).

What a consultant would write with pm4py alone to get the same measures as
``divergence analyse``: read each unit's Parquet file, per unit the variants
and the stochastic language, ``pm4py.compute_emd`` for every pair of units,
an inductive-miner model per unit, token-based-replay fitness of every unit
against every unit's model, and alignments of every unit to the target (the
largest unit's model).

Run only by :mod:`benchmarks.bench` in a child process:
``python -m benchmarks.naive DIR STEPFILE``. Before each step it appends
one line ``<seconds since start>\\t<step>`` to STEPFILE (flushed), so a run
killed at the wall-time cap still says where it was.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

__all__ = ["run"]


def run(folder: str | Path, stepfile: str | Path) -> None:
    """Run the naive pipeline on every ``*.parquet`` under ``folder``."""
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    steps = open(stepfile, "a", buffering=1)

    def step(name: str) -> None:
        steps.write(f"{time.perf_counter() - t0:.2f}\t{name}\n")
        steps.flush()

    step("import pm4py")
    import pandas as pd
    import pm4py

    step("read")
    logs = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        df = pd.read_parquet(path)
        logs[path.stem] = pm4py.format_dataframe(
            df, case_id="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp"
        )
    units = list(logs)

    step("variants")
    variants = {u: pm4py.get_variants(logs[u]) for u in units}

    step("stochastic languages")
    languages = {u: pm4py.get_stochastic_language(logs[u]) for u in units}

    emd = {}
    for i, a in enumerate(units):
        for b in units[i + 1 :]:
            step(f"compute_emd {a} {b}")
            emd[a, b] = pm4py.compute_emd(languages[a], languages[b])

    models = {}
    for u in units:
        step(f"discover_petri_net_inductive {u}")
        models[u] = pm4py.discover_petri_net_inductive(logs[u], noise_threshold=0.2)

    fitness = {}
    for u in units:
        for m in units:
            step(f"fitness_token_based_replay {u} on model {m}")
            fitness[u, m] = pm4py.fitness_token_based_replay(logs[u], *models[m])

    target = max(units, key=lambda u: len(variants[u]) and logs[u]["case:concept:name"].nunique())
    alignments = {}
    for u in units:
        step(f"conformance_diagnostics_alignments {u} to target {target}")
        alignments[u] = pm4py.conformance_diagnostics_alignments(logs[u], *models[target])

    step("done")
    steps.close()


if __name__ == "__main__":  # pragma: no cover
    run(sys.argv[1], sys.argv[2])
