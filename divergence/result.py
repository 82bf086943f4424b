"""The result of an analysis: data first; the report and graphs are views of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from .departments import departments
from .errors import WarningRecord
from .profile import UnitProfile

if TYPE_CHECKING:
    from .costs.montecarlo import Simulation
    from .costs.pricing import GroupCost, UnitCost
    from .families.cluster import Families
    from .families.commonality import CommonCore
    from .families.stability import FamilyStability
    from .harmonise.aligned import UnitAlignment
    from .harmonise.changes import ChangeItem
    from .harmonise.observed import UnitTransport
    from .harmonise.plan import Target
    from .model.pm import Model

    Fit = Union[UnitTransport, UnitAlignment]

__all__ = ["ProcessResult", "AnalysisResult"]


@dataclass(frozen=True)
class ProcessResult:
    """Everything computed for one process across its units.

    ``matrices`` holds each divergence measure (N x N over ``units``, values
    in [0, 1], zero diagonal) and ``combined``; ``conformance_raw`` keeps the
    asymmetric cross-conformance matrix whole, diagonal included (row i
    replayed on column j's model). ``alignments`` holds each unit's fit to
    the target (a transport onto observed behaviour or an alignment to a
    model; both have ``fitness``); ``changes`` the priced change items and
    ``exceptions`` the items listed but not priced. ``excluded`` names the
    units with too few cases to take part in families, waves and target
    choice (they have no family and no wave). ``family_bootstrap`` is the
    :class:`~divergence.families.stability.FamilyStability` of the families (None
    without a bootstrap); ``stability`` its per-family shares (all 1.0
    without one). ``differences`` holds the statistical tests of every
    unit against the target (:func:`divergence.difftests.process_tests`);
    ``cost_simulation`` the Monte Carlo quantiles of the costs and the
    tornado (:mod:`divergence.costs.montecarlo`; None with ``draws=0``).
    """

    process: str
    units: list[str]
    profiles: dict[str, UnitProfile]
    matrices: dict[str, np.ndarray]
    conformance_raw: np.ndarray | None
    measure_details: dict[str, dict[str, Any]]
    families: Families
    stability: dict[str, float]
    common: CommonCore
    family_common: dict[str, CommonCore]
    models: dict[str, Model]
    target: Target
    alignments: dict[str, Fit]
    changes: dict[str, list[ChangeItem]]
    costs: dict[str, UnitCost]
    family_costs: dict[str, GroupCost]
    total_cost: GroupCost
    waves: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    exceptions: dict[str, list[ChangeItem]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    family_bootstrap: FamilyStability | None = None
    differences: pd.DataFrame | None = None
    cost_simulation: Simulation | None = None

    def difference_tests(self, unit: str | None = None, *, significant: bool = False) -> pd.DataFrame:
        """The tests of each unit against the target (one unit's; only the significant ones)."""
        from .difftests import COLUMNS

        df = self.differences if self.differences is not None else pd.DataFrame(columns=["unit", "reference", *COLUMNS])
        if unit is not None:
            df = df[df["unit"] == unit]
        if significant:
            df = df[df["significant"].astype(bool)]
        return df.reset_index(drop=True)

    def significant_differences(self) -> dict[str, dict[str, int]]:
        """Unit -> kind -> number of significant differences from the target (every kind listed, and ``total``).

        Units not tested (the target unit itself) are absent."""
        tested = set(self.difference_tests()["unit"].unique())  # unique() first: ~50,000 rows on BPIC 2015
        df = self.difference_tests(significant=True)
        kinds = ("activity", "edge", "variant", "throughput", "edge_wait")
        out = {}
        for u in (u for u in self.units if u in tested):
            counts = df.loc[df["unit"] == u, "kind"].value_counts()
            out[u] = {k: int(counts.get(k, 0)) for k in kinds}
            out[u]["total"] = int(counts.sum())
        return out

    def difference_sets(self, unit: str) -> dict[str, dict]:
        """The significant differences of one unit from the target, for drawing: ``{"edges": {(s, t): effect},
        "activities": {a: effect}}`` (effect = the unit's share minus the reference's)."""
        df = self.difference_tests(unit, significant=True)
        edges = {tuple(a): float(e) for k, a, e in zip(df["kind"], df["activities"], df["effect"]) if k == "edge"}
        acts = {a[0]: float(e) for k, a, e in zip(df["kind"], df["activities"], df["effect"]) if k == "activity"}
        return {"edges": edges, "activities": acts}

    def cost_quantiles(self) -> pd.DataFrame:
        """Monte Carlo P10/P50/P90 per unit, family and the process (empty without a simulation)."""
        if self.cost_simulation is None:
            return pd.DataFrame()
        return self.cost_simulation.table.copy()

    def matrix(self, name: str = "combined") -> pd.DataFrame:
        """A divergence matrix as a labelled DataFrame."""
        if name == "conformance_raw":
            m = self.conformance_raw
        else:
            m = self.matrices[name]
        return pd.DataFrame(m, index=self.units, columns=self.units)

    @property
    def family_of(self) -> dict[str, str]:
        """Unit -> family id (units kept out of families are absent)."""
        return {u: f for f, members in self.families.members.items() for u in members}

    @property
    def wave_of(self) -> dict[str, Any]:
        """Unit -> migration wave (units kept out of waves are absent)."""
        return dict(zip(self.waves["unit"], self.waves["wave"]))

    def departments(self) -> dict[str, list[str]]:
        """Department -> units, by shared name prefix (:mod:`divergence.departments`)."""
        return departments(self.units)

    def families_frame(self) -> pd.DataFrame:
        """One row per grouped unit: family, unit, medoid, is_medoid, stability."""
        return pd.DataFrame(
            [
                {
                    "family": f,
                    "unit": u,
                    "medoid": self.families.medoids[f],
                    "is_medoid": u == self.families.medoids[f],
                    "stability": self.stability.get(f),
                }
                for f, m in self.families.members.items()
                for u in m
            ]
        )

    def costs_table(self) -> pd.DataFrame:
        """One row per unit: family, wave, fitness to target, one-off cost, effort, annual effect, payback (low/central/high)."""
        wave_of, family_of = self.wave_of, self.family_of
        rows = []
        for u in self.units:
            c = self.costs[u]
            rows.append(
                {
                    "unit": u,
                    "family": family_of.get(u),
                    "wave": wave_of.get(u),
                    "fitness_to_target": self.alignments[u].fitness,
                    **{f"cost_gbp_{k}": v for k, v in c.cost_gbp.items()},
                    **{f"effort_days_{k}": v for k, v in c.effort_days.items()},
                    **{f"annual_effect_gbp_{k}": v for k, v in c.annual_effect_gbp.items()},
                    **{f"payback_months_{k}": v for k, v in c.payback_months.items()},
                    "change_items": len(c.items),
                }
            )
        return pd.DataFrame(rows)

    def costs_by_kind(self) -> pd.DataFrame:
        """Central one-off cost per unit and change kind, the migration overhead as kind ``overhead``."""
        rows = []
        for u in self.units:
            c = self.costs[u]
            items = c.items
            if len(items):
                for k, v in items.groupby("kind")["cost_gbp"].sum().items():
                    rows.append({"unit": u, "kind": k, "cost_gbp": float(v)})
            overhead = c.cost_gbp["central"] - (float(items["cost_gbp"].sum()) if len(items) else 0.0)
            if overhead > 0.5:
                rows.append({"unit": u, "kind": "overhead", "cost_gbp": overhead})
        return pd.DataFrame(rows, columns=["unit", "kind", "cost_gbp"])

    def backlog(self, min_cases: int = 1) -> pd.DataFrame:
        """Every unit's priced change items, one row each (items in fewer than ``min_cases`` cases folded)."""
        parts = []
        for u in self.units:
            items = self.costs[u].items.copy()
            if min_cases > 1 and len(items):
                items = _fold_items(items, min_cases)
            items.insert(0, "unit", u)
            parts.append(items)
        bl = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if "activities" in bl.columns:
            bl["activities"] = bl["activities"].map(lambda a: a if isinstance(a, str) else " → ".join(a))
        return bl

    def exceptions_table(self, min_cases: int = 1) -> pd.DataFrame:
        """Candidate change items listed but not priced, with the reason (``note``) and the test."""
        cols = ["unit", "kind", "activities", "cases", "share", "p_value", "q_value", "evidence", "note"]
        rows = [
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
            for u in self.units
            for it in self.exceptions.get(u, [])
            if it.cases >= min_cases
        ]
        return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class AnalysisResult:
    """What :func:`divergence.analyse` returns: one :class:`ProcessResult` per process.

    ``warnings`` holds every warning of the run (reading included) as
    :class:`~divergence.errors.WarningRecord` (code, message, file, count);
    ``unfinished`` the likely unfinished cases per process and unit
    (:mod:`divergence.unfinished`).
    """

    processes: dict[str, ProcessResult]
    options: dict[str, Any]
    sources: list[dict[str, Any]]
    warnings: list[WarningRecord]
    version: str
    timings: dict[str, float] = field(default_factory=dict)
    unfinished: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, process: str) -> ProcessResult:
        return self.processes[process]

    def families_table(self) -> pd.DataFrame:
        """One row per (process, unit) with its family and medoid."""
        rows = []
        for p, pr in self.processes.items():
            for fid, members in pr.families.members.items():
                for u in members:
                    rows.append(
                        {
                            "process": p,
                            "family": fid,
                            "unit": u,
                            "medoid": pr.families.medoids[fid],
                            "stability": pr.stability.get(fid, float("nan")),
                        }
                    )
        return pd.DataFrame(rows, columns=["process", "family", "unit", "medoid", "stability"])

    def ocel_inputs(self) -> list[dict[str, Any]]:
        """OCEL 2.0 inputs and how each was flattened: path, object type used, objects, events, shared events, ...

        ``shared_events`` are events related to more than one object of the
        type (each such object's case holds them); ``unrelated_events`` are
        related to none and left out (:mod:`divergence.io.ocel`).
        """
        return [{"path": s.get("path"), **s["ocel"]} for s in self.sources if s.get("ocel")]

    def warnings_table(self) -> pd.DataFrame:
        """One row per warning: code, file, count, message."""
        return pd.DataFrame(
            [{"code": w.code, "file": w.file, "count": w.count, "message": w.message} for w in self.warnings],
            columns=["code", "file", "count", "message"],
        )

    def unfinished_table(self) -> pd.DataFrame:
        """One row per (process, unit): cases, likely unfinished cases, their share, and the end activities."""
        rows = []
        for p, entry in self.unfinished.items():
            for u, row in entry["units"].items():
                rows.append(
                    {
                        "process": p,
                        "unit": u,
                        "cases": row["cases"],
                        "unfinished_cases": row["unfinished_cases"],
                        "unfinished_share": row["unfinished_share"],
                        "end_activities": ", ".join(entry["end_activities"]),
                    }
                )
        return pd.DataFrame(
            rows, columns=["process", "unit", "cases", "unfinished_cases", "unfinished_share", "end_activities"]
        )


def _fold_items(items: pd.DataFrame, min_cases: int) -> pd.DataFrame:
    """Items in fewer than ``min_cases`` cases folded into one ``other`` row."""
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
