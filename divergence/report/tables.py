"""CSV tables beside the report: matrices, families, costs, backlog, profiles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..privacy import fold_profile
from ..result import ProcessResult
from .safe import write_csv

__all__ = ["write_process_tables"]


def write_process_tables(pr: ProcessResult, folder: Path, *, min_cases: int = 1) -> dict[str, Path]:
    """Write one process's CSV tables into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in list(pr.matrices) + (["conformance_raw"] if pr.conformance_raw is not None else []):
        df = pr.matrix(name).round(6)
        df.insert(0, "unit", df.index)
        out[f"divergence_{name}"] = write_csv(df, folder / f"divergence_{name}.csv")
    fam = pd.DataFrame(
        [
            {
                "family": f,
                "unit": u,
                "medoid": pr.families.medoids[f],
                "is_medoid": u == pr.families.medoids[f],
                "stability": pr.stability.get(f),
            }
            for f, m in pr.families.members.items()
            for u in m
        ]
    )
    out["families"] = write_csv(fam, folder / "families.csv")
    wave_of = dict(zip(pr.waves["unit"], pr.waves["wave"]))
    rows = []
    for u in pr.units:
        c = pr.costs[u]
        rows.append(
            {
                "unit": u,
                "family": pr.family_of.get(u),
                "wave": wave_of.get(u),
                "fitness_to_target": pr.alignments[u].fitness,
                **{f"cost_gbp_{k}": v for k, v in c.cost_gbp.items()},
                **{f"effort_days_{k}": v for k, v in c.effort_days.items()},
                **{f"annual_effect_gbp_{k}": v for k, v in c.annual_effect_gbp.items()},
                **{f"payback_months_{k}": v for k, v in c.payback_months.items()},
                "change_items": len(c.items),
            }
        )
    out["harmonisation_costs"] = write_csv(pd.DataFrame(rows), folder / "harmonisation_costs.csv")
    backlog = []
    for u in pr.units:
        items = pr.costs[u].items.copy()
        if min_cases > 1 and len(items):
            items = _fold_items(items, min_cases)
        items.insert(0, "unit", u)
        backlog.append(items)
    bl = pd.concat(backlog, ignore_index=True) if backlog else pd.DataFrame()
    if "activities" in bl.columns:
        bl["activities"] = bl["activities"].map(lambda a: a if isinstance(a, str) else " → ".join(a))
    out["change_backlog"] = write_csv(bl, folder / "change_backlog.csv")
    exc = [
        {
            "unit": u,
            "kind": it.kind,
            "activities": " → ".join(it.activities),
            "cases": it.cases,
            "share": it.share,
            "p_value": it.p_value,
            "q_value": it.q_value,
            "evidence": it.test,
            "note": it.note,
        }
        for u in pr.units
        for it in pr.exceptions.get(u, [])
        if it.cases >= min_cases
    ]
    cols = ["unit", "kind", "activities", "cases", "share", "p_value", "q_value", "evidence", "note"]
    out["change_exceptions"] = write_csv(pd.DataFrame(exc, columns=cols), folder / "change_exceptions.csv")
    var_rows = []
    for u in pr.units:
        prof = fold_profile(pr.profiles[u], min_cases)
        v = prof.variants.copy()
        v.insert(0, "unit", u)
        v["variant"] = v["variant"].map(" → ".join)
        var_rows.append(v)
    out["variants"] = write_csv(pd.concat(var_rows, ignore_index=True), folder / "variants.csv")
    out.update(_common_tables(pr, folder, min_cases))
    return out


def _common_tables(pr: ProcessResult, folder: Path, min_cases: int) -> dict[str, Path]:
    """Common core of all units and of each family, and each unit's local deviations."""
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


def _fold_items(items: pd.DataFrame, min_cases: int) -> pd.DataFrame:
    rare = items["cases"] < min_cases
    if not rare.any():
        return items
    folded = items.loc[rare]
    other = {c: None for c in items.columns}
    other.update(
        kind="other",
        activities="(other)",
        cases=int(folded["cases"].sum()),
        share=float(folded["share"].sum()),
        cost_gbp=float(folded["cost_gbp"].sum()),
    )
    return pd.concat([items.loc[~rare], pd.DataFrame([other])], ignore_index=True)
