"""CSV tables beside the report: matrices, families, costs, backlog, profiles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..privacy import fold_profile
from ..result import ProcessResult
from . import uncertainty
from .safe import write_csv

__all__ = ["write_process_tables", "table_parts"]


def write_process_tables(pr: ProcessResult, folder: Path, *, min_cases: int = 1) -> dict[str, Path]:
    """Write one process's CSV tables into ``folder``; returns name -> path."""
    out: dict[str, Path] = {}
    for part in table_parts():
        out.update(part(pr, folder, min_cases=min_cases))
    return out


def table_parts() -> list:
    """The writers of a process's tables, in the order of their names, each ``(pr, folder, *, min_cases)
    -> {name: path}``: independent, so that the report can run them side by side (the test tables of
    a large log take as long as all the others)."""
    return [_main_tables, _common_tables, _uncertainty_tables]


def _uncertainty_tables(pr: ProcessResult, folder: Path, *, min_cases: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return uncertainty.write_tables(pr, folder, min_cases=min_cases)


def _main_tables(pr: ProcessResult, folder: Path, *, min_cases: int) -> dict[str, Path]:
    """Matrices, families, costs, backlog, exceptions and variants."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in list(pr.matrices) + (["conformance_raw"] if pr.conformance_raw is not None else []):
        df = pr.matrix(name).round(6)
        df.insert(0, "unit", df.index)
        out[f"divergence_{name}"] = write_csv(df, folder / f"divergence_{name}.csv")
    out["families"] = write_csv(pr.families_frame(), folder / "families.csv")
    out["harmonisation_costs"] = write_csv(pr.costs_table(), folder / "harmonisation_costs.csv")
    out["change_backlog"] = write_csv(pr.backlog(min_cases), folder / "change_backlog.csv")
    out["change_exceptions"] = write_csv(pr.exceptions_table(min_cases), folder / "change_exceptions.csv")
    var_rows = []
    for u in pr.units:
        prof = fold_profile(pr.profiles[u], min_cases)
        v = prof.variants.copy()
        v.insert(0, "unit", u)
        v["variant"] = v["variant"].map(" → ".join)
        var_rows.append(v)
    out["variants"] = write_csv(pd.concat(var_rows, ignore_index=True), folder / "variants.csv")
    return out


def _common_tables(pr: ProcessResult, folder: Path, *, min_cases: int) -> dict[str, Path]:
    """Common core of all units and of each family, and each unit's local deviations."""
    folder.mkdir(parents=True, exist_ok=True)
    cores = [("all", pr.common)] + [(f, c) for f, c in pr.family_common.items()]
    edges, local_e, local_v = [], [], []
    for group, core in cores:
        e = core.edges.copy()
        e.insert(0, "group", group)
        edges.append(e)
        le = core.local_edges.copy()
        le.insert(0, "group", group)
        local_e.append(le)
        lv = core.local_variants.copy()
        lv.insert(0, "group", group)
        local_v.append(lv)
    le = pd.concat(local_e, ignore_index=True)
    lv = pd.concat(local_v, ignore_index=True)
    if min_cases > 1:  # rare behaviour is not shown
        le = le[le["cases"] >= min_cases]
        lv = lv[lv["cases"] >= min_cases]
    lv = lv.assign(variant=lv["variant"].map(" → ".join))
    return {
        "common_edges": write_csv(pd.concat(edges, ignore_index=True), folder / "common_core_edges.csv"),
        "local_edges": write_csv(le, folder / "local_deviations_edges.csv"),
        "local_variants": write_csv(lv, folder / "local_deviations_variants.csv"),
    }
