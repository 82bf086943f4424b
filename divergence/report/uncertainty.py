"""Views of the tested differences and the Monte Carlo costs: ``summary.json`` parts and CSV tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..result import ProcessResult
from .safe import write_csv

__all__ = ["process_summary", "unit_summary", "write_tables"]

_Q = ("p10", "p50", "p90")


def unit_summary(pr: ProcessResult, unit: str, counts: dict | None = None) -> dict[str, Any]:
    """A unit's significant differences from the target (by kind) and its cost quantiles.

    ``counts``: ``pr.significant_differences()`` if already at hand (it
    counts every unit's; once per process, not per unit).
    """
    if counts is None:
        counts = pr.significant_differences()
    out: dict[str, Any] = {"significant_differences": counts.get(unit)}
    out["cost_quantiles"] = _quantiles(pr, unit, "unit")
    return out


def process_summary(pr: ProcessResult) -> dict[str, Any]:
    """``total_cost_p10/p50/p90`` and the process's tests and simulation in brief."""
    df = pr.difference_tests()
    refs = sorted(set(df["reference"])) if len(df) else []
    out: dict[str, Any] = {
        "difference_tests": {
            "reference": refs[0] if len(refs) == 1 else refs,
            "tests": int(len(df)),
            "testable": int(df["testable"].astype(bool).sum()) if len(df) else 0,
            "significant": int(df["significant"].astype(bool).sum()) if len(df) else 0,
            "method": "Fisher exact (two-sided, doubled) on shares of cases; Mann-Whitney U on throughput "
                      "times and on each edge's binned waiting times; Benjamini-Hochberg over the process's "
                      "testable tests",
        },
    }
    sim = pr.cost_simulation
    q = _quantiles(pr, "process", "process")
    for k in _Q:
        out[f"total_cost_{k}"] = q["cost_gbp"][k] if q else None
    out["cost_simulation"] = None if sim is None else {
        "draws": sim.draws, "seed": sim.seed, "distribution": sim.distribution, "process": q,
        "families": {name.split(":", 1)[1]: _quantiles(pr, name, "family")
                     for name in sim.table.loc[sim.table["level"] == "family", "name"]},
        "tornado": [
            {k: r[k] for k in ("parameter", "low", "high", "cost_at_low_gbp", "cost_at_high_gbp", "swing_gbp")}
            for r in sim.tornado.to_dict("records")
        ],
    }
    return out


def write_tables(pr: ProcessResult, folder: Path, *, min_cases: int = 1) -> dict[str, Path]:
    """``difference_tests.csv`` (every test), ``cost_quantiles.csv`` and ``cost_tornado.csv``.

    With ``min_cases`` > 1, tests of behaviour seen in fewer than that many
    cases of a side (but not none) are left out, as rare behaviour is
    everywhere else.
    """
    out = {}
    df = pr.difference_tests().drop(columns=["activities"], errors="ignore")
    if min_cases > 1 and len(df):
        rare = ((df["a_cases"].between(1, min_cases - 1)) | (df["b_cases"].between(1, min_cases - 1)))
        df = df[~(rare & (df["kind"] != "throughput"))]
    out["difference_tests"] = write_csv(df, folder / "difference_tests.csv")
    if pr.cost_simulation is not None:
        out["cost_quantiles"] = write_csv(pr.cost_quantiles(), folder / "cost_quantiles.csv")
        out["cost_tornado"] = write_csv(pr.cost_simulation.tornado, folder / "cost_tornado.csv")
    return out


def _quantiles(pr: ProcessResult, name: str, level: str) -> dict[str, Any] | None:
    sim = pr.cost_simulation
    row = sim.row(name, level) if sim is not None else None
    if row is None:
        return None
    out: dict[str, Any] = {
        m: {k: row[f"{m}_{k}"] for k in _Q}
        for m in ("cost_gbp", "effort_days", "annual_effect_gbp", "payback_months")
    }
    out["pays_back_share"] = row["pays_back_share"]
    return out


def html_section(pr: ProcessResult, tornado_svg: Path | None, figure) -> str:
    """A short HTML part for ``report.html``: tested differences per unit, cost P10/P50/P90 and the tornado."""
    from html import escape as e

    from .text import money

    out = []
    counts = pr.significant_differences()
    df = pr.difference_tests()
    if len(df):
        ref = ", ".join(sorted(set(df["reference"])))
        rows = "".join(
            f"<tr><td>{e(u)}</td>" + "".join(f"<td class=num>{c[k]}</td>" for k in
                                             ("activity", "edge", "variant", "throughput", "edge_wait", "total"))
            + "</tr>"
            for u, c in counts.items()
        )
        alpha = (pr.differences.attrs.get("alpha") if pr.differences is not None else None) or 0.05
        out.append(f"<h3>Are the differences real?</h3><p>Each unit against {e(ref)}: differences significant at "
                   f"a false-discovery rate of {alpha:g} (Fisher exact tests on shares of cases, Mann-Whitney on "
                   "throughput times and on each transition's waiting times, Benjamini-Hochberg); every test is "
                   "in difference_tests.csv.</p>"
                   "<table><tr><th>unit</th><th class=num>activities</th><th class=num>transitions</th>"
                   "<th class=num>variants</th><th class=num>throughput</th><th class=num>waits</th>"
                   "<th class=num>total</th></tr>"
                   + rows + "</table>")
    q = _quantiles(pr, "process", "process")
    if q is not None:
        c, r = q["cost_gbp"], pr.total_cost.total_cost_gbp
        out.append(f"<h3>How sure is the cost?</h3><p>Monte Carlo over the cost model ({pr.cost_simulation.draws} "
                   f"draws, {e(pr.cost_simulation.distribution)}): total one-off cost P10 {money(c['p10'])}, "
                   f"P50 {money(c['p50'])}, P90 {money(c['p90'])}; the all-low to all-high range "
                   f"{money(r.low)}–{money(r.high)} (central {money(r.central)}) is the extreme where every "
                   "assumption errs the same way.</p>")
        out.append(figure(tornado_svg, "Which cost assumptions move the process total most: each parameter at its "
                                       "low and its high value, the others central."))
    return "\n".join(out)
