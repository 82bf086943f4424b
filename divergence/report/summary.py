"""``summary.json``: the machine-readable result, per the output contract in DESIGN.md."""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

import numpy as np

from ..result import AnalysisResult, ProcessResult
from . import uncertainty

__all__ = ["build_summary", "dumps", "GENERATED_AT_KEY"]

#: The one field that differs between two runs on the same input.
GENERATED_AT_KEY = "generated_at"


def build_summary(result: AnalysisResult, *, generated_at: str | None = None) -> dict[str, Any]:
    """The summary as plain JSON-able data (sorted keys, rounded floats)."""
    return {
        "tool": {"name": "divergence", "version": result.version},
        GENERATED_AT_KEY: generated_at or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "options": result.options,
        "inputs": [
            {k: s[k] for k in ("path", "sha256", "format", "events", "ocel") if k in s} for s in result.sources
        ],
        "warnings": [_warning(w) for w in result.warnings],
        "processes": {p: _process(pr, result) for p, pr in result.processes.items()},
    }


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(_clean(summary), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _warning(w: Any) -> dict[str, Any]:
    """``{code, file, count, message}`` of a :class:`~divergence.errors.WarningRecord` (or text)."""
    if isinstance(w, str):
        return {"code": "other", "file": None, "count": None, "message": w}
    return {"code": w.code, "file": w.file, "count": w.count, "message": w.message}


def _process(pr: ProcessResult, result: AnalysisResult) -> dict[str, Any]:
    family_of = pr.family_of
    unfinished = (getattr(result, "unfinished", None) or {}).get(pr.process, {})
    open_cases = unfinished.get("units", {})
    counts = pr.significant_differences()  # every unit's, once
    units = {}
    for u in pr.units:
        prof = pr.profiles[u]
        units[u] = {
            "unfinished_cases": open_cases.get(u, {}).get("unfinished_cases"),
            "unfinished_share": open_cases.get(u, {}).get("unfinished_share"),
            "cases": prof.cases,
            "events": prof.events,
            "variants": int(len(prof.variants)),
            "activities": int(len(prof.activities)),
            "family": family_of.get(u),
            "low_evidence": bool(prof.low_evidence),
            "excluded": u in pr.excluded,
            "top10_variant_coverage": prof.top_variant_coverage(10),
            "period": {"first": prof.first.isoformat(), "last": prof.last.isoformat()},
            "cases_per_year": prof.cases_per_year,
            **uncertainty.unit_summary(pr, u, counts),
        }
    measures = {k: _matrix(v) for k, v in pr.matrices.items()}
    divergence = {
        "units": list(pr.units),
        "measures": measures,
        "conformance_raw": _matrix(pr.conformance_raw) if pr.conformance_raw is not None else None,
        "details": pr.measure_details,
    }
    fams = {
        f: {
            "units": list(m),
            "medoid": pr.families.medoids[f],
            "stability": pr.stability.get(f),
            "tentative": _tentative(pr.stability.get(f)),
        }
        for f, m in pr.families.members.items()
    }
    tgt = pr.target
    harm = {}
    wave_of = dict(zip(pr.waves["unit"], pr.waves["wave"]))
    for u in pr.units:
        c = pr.costs[u]
        items = c.items
        fit = pr.alignments[u]
        harm[u] = {
            "fitness_to_target": float(fit.fitness),
            "method": getattr(fit, "method", "alignment"),
            "cost_gbp": dict(c.cost_gbp),
            "effort_days": dict(c.effort_days),
            "annual_effect_gbp": dict(c.annual_effect_gbp),
            "payback_months": dict(c.payback_months),
            "wave": int(wave_of[u]) if u in wave_of else None,
            "changes": [
                {
                    "kind": r["kind"],
                    "activities": list(r["activities"]) if not isinstance(r["activities"], str) else r["activities"].split(" → "),
                    "cases": int(r["cases"]),
                    "share": float(r["share"]),
                    "occurrences": int(r["occurrences"]),
                    "staff": int(r["staff"]),
                    "cost_gbp": float(r["cost_gbp"]),
                    "annual_effect_gbp": float(r["annual_effect_gbp"]),
                    "p_value": r["p_value"],
                    "q_value": r["q_value"],
                    "evidence": r["evidence"],
                }
                for r in items.to_dict("records")
            ],
            "exceptions": [
                {
                    "kind": it.kind,
                    "activities": list(it.activities),
                    "cases": int(it.cases),
                    "share": float(it.share),
                    "p_value": it.p_value,
                    "q_value": it.q_value,
                    "evidence": it.test,
                    "note": it.note,
                }
                for it in pr.exceptions.get(u, [])
            ],
        }
    min_cases = int(result.options.get("min_cases", 1) or 1)
    core = pr.common
    local = core.local_edges[core.local_edges["cases"] >= min_cases]
    for u in pr.units:
        mine = local[local["unit"] == u]
        units[u]["local_edges"] = [
            {"source": r["source"], "target": r["target"], "cases": int(r["cases"])} for r in mine.head(20).to_dict("records")
        ]
    common = {
        "edges": sorted(set(zip(core.edges["source"].tolist(), core.edges["target"].tolist()))),
        "variants": [list(v) for v in dict.fromkeys(core.variants["variant"])][:20],
    }
    return {
        "units": units,
        "common_core": common,
        "divergence": divergence,
        "families": fams,
        **_family_bootstrap(pr),
        "target": {"kind": tgt.kind, "name": tgt.name, "reason": tgt.reason},
        "excluded_units": list(pr.excluded),
        "end_activities": {
            "activities": list(unfinished.get("end_activities", [])),
            "rule": unfinished.get("rule"),
        },
        "harmonisation": harm,
        "total_cost_gbp": dict(pr.total_cost.total_cost_gbp),
        "total_effort_days": dict(pr.total_cost.effort_days),
        "total_annual_effect_gbp": dict(pr.total_cost.annual_effect_gbp),
        **uncertainty.process_summary(pr),
        "family_costs_gbp": {f: dict(g.total_cost_gbp) for f, g in pr.family_costs.items()},
        "waves": [
            {k: _py(v) for k, v in row.items()} for row in pr.waves.to_dict("records")
        ],
    }


def _tentative(stability: float | None) -> bool:
    """A family that reappears in under half the bootstrap resamples (see divergence.families.stability)."""
    from ..families.stability import TENTATIVE_BELOW

    return stability is not None and not math.isnan(stability) and stability < TENTATIVE_BELOW


def _family_bootstrap(pr: ProcessResult) -> dict[str, Any]:
    """The bootstrap's view of the grouping as a whole (nulls without a bootstrap)."""
    fb = getattr(pr, "family_bootstrap", None)
    if fb is None:
        return {"bootstrap_resamples": 0, "family_count_distribution": None, "chosen_grouping_share": None,
                "runner_up_grouping": None, "runner_up_grouping_share": None}
    return {
        "bootstrap_resamples": fb.n_resamples,
        "family_count_distribution": {str(k): v for k, v in fb.family_counts.items()},
        "chosen_grouping_share": fb.chosen_share,
        "runner_up_grouping": [list(g) for g in fb.runner_up] if fb.runner_up is not None else None,
        "runner_up_grouping_share": fb.runner_up_share if fb.runner_up is not None else None,
    }


def _matrix(m: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 6) for x in row] for row in np.asarray(m, dtype=float)]


def _py(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def _clean(obj: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, floats rounded, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        if math.isnan(f) or math.isinf(f):
            return None
        return float(f"{f:.10g}")
    return obj
