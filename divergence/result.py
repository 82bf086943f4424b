"""The result of an analysis: data first; the report and graphs are views of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .changes import ChangeItem
from .errors import WarningRecord
from .profile import UnitProfile

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
    choice (they have no family and no wave).
    """

    process: str
    units: list[str]
    profiles: dict[str, UnitProfile]
    matrices: dict[str, np.ndarray]
    conformance_raw: np.ndarray | None
    measure_details: dict[str, Any]
    families: Any  # divergence.families.Families
    stability: dict[str, float]
    common: Any  # divergence.commonality.CommonCore over all units
    family_common: dict[str, Any]
    models: dict[str, Any]  # unit -> divergence.pm.Model
    target: Any  # divergence.harmonise.Target
    alignments: dict[str, Any]
    changes: dict[str, list[ChangeItem]]
    costs: dict[str, Any]  # unit -> divergence.costs.UnitCost
    family_costs: dict[str, Any]
    total_cost: Any
    waves: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    exceptions: dict[str, list[ChangeItem]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()

    def matrix(self, name: str = "combined") -> pd.DataFrame:
        """A divergence matrix as a labelled DataFrame."""
        if name == "conformance_raw":
            m = self.conformance_raw
        else:
            m = self.matrices[name]
        return pd.DataFrame(m, index=self.units, columns=self.units)

    @property
    def family_of(self) -> dict[str, str]:
        return {u: f for f, members in self.families.members.items() for u in members}


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
