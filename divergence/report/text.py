"""The short result summary the CLI prints on stdout."""

from __future__ import annotations

from pathlib import Path

from ..result import AnalysisResult

__all__ = ["summary_lines", "money"]


def money(x: float | None) -> str:
    """£ amounts for people: £950, £12k, £1.2m."""
    if x is None:
        return "n/a"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e6:
        return f"{sign}£{a / 1e6:.1f}m"
    if a >= 1e4:
        return f"{sign}£{a / 1e3:.0f}k"
    if a >= 1e3:
        return f"{sign}£{a / 1e3:.1f}k"
    return f"{sign}£{a:.0f}"


def summary_lines(result: AnalysisResult, out: Path, *, seconds: float | None = None) -> list[str]:
    lines = []
    for p, pr in result.processes.items():
        n_fam = len(pr.families.members)
        t = pr.total_cost.total_cost_gbp
        lines.append(
            f"{p}: {len(pr.units)} units, {n_fam} process famil{'y' if n_fam == 1 else 'ies'}; "
            f"target {pr.target.name} ({pr.target.kind}); "
            f"harmonisation {money(t['low'])}–{money(t['high'])} (central {money(t['central'])})"
            + _simulated(pr)
        )
        for f, members in pr.families.members.items():
            lines.append(f"  {f}: {', '.join(members)}")
    if seconds is not None:
        lines.append(f"done in {seconds:.1f} s")
    lines.append(f"report: {out / 'report.html'}")
    return lines


def _simulated(pr) -> str:
    """``; Monte Carlo P10–P90 £a–£b`` when the costs were simulated."""
    sim = getattr(pr, "cost_simulation", None)
    row = sim.row("process", "process") if sim is not None else None
    return "" if row is None else f"; Monte Carlo P10–P90 {money(row['cost_gbp_p10'])}–{money(row['cost_gbp_p90'])}"
