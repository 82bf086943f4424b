"""Every option of an analysis, declared once: its default, its check, its flag and its help.

Three frozen objects carry them through the stages:

- :class:`Columns`: which columns hold the case, activity, timestamp,
  resource, unit and process (``None``: detected);
- :class:`Options`: how to analyse (target, families, thresholds, ...);
- :class:`EngineOptions`: where the profile step runs.

Each field's metadata holds its command-line flag and help, so the CLI's
argparse groups are generated from these classes (:func:`add_arguments`) and
a new option is added in one place. Options are checked once, when the
object is made (an :class:`~divergence.errors.OptionError` names the
option), and recorded once in ``summary.json`` (:meth:`Options.record`).
pm4py's column names (``case_id_key``, ...) stay accepted by
:func:`divergence.analyse` and map onto :class:`Columns`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import OptionError

__all__ = ["Columns", "Options", "EngineOptions", "split_options", "add_arguments", "from_namespace"]


def _opt(default: Any, help: str, *, flag: str | None = None, metavar: str | None = None, type: Any = None,
         choices: Sequence[str] | None = None, action: str | None = None, aliases: Sequence[str] = (),
         cli: bool = True) -> Any:
    """A dataclass field with its command-line flag and help."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "type": type, "choices": choices,
            "action": action, "aliases": tuple(aliases), "cli": cli}
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable default")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Columns:
    """Column names of the events; ``None`` means detected automatically."""

    case: str | None = _opt(None, "case id column (e.g. case:concept:name, case_id)", flag="--case-key", metavar="COL")
    activity: str | None = _opt(None, "activity column (e.g. concept:name, activity)", flag="--activity-key", metavar="COL")
    timestamp: str | None = _opt(None, "timestamp column (e.g. time:timestamp, timestamp)", flag="--timestamp-key", metavar="COL")
    resource: str | None = _opt(None, "resource column (e.g. org:resource, resource)", flag="--resource-key", metavar="COL")
    unit: str | None = _opt(None, "unit column (default: the file name is the unit)", flag="--unit-key", metavar="COL")
    process: str | None = _opt(None, "process column (default: the sub-folder is the process)", flag="--process-key", metavar="COL")

    #: pm4py's keyword for each field, accepted at the public boundary.
    PM4PY_KEYS = {"case": "case_id_key", "activity": "activity_key", "timestamp": "timestamp_key",
                  "resource": "resource_key", "unit": "unit_key", "process": "process_key"}

    @classmethod
    def from_keys(cls, **keys: str | None) -> Columns:
        """``Columns`` from pm4py-style keywords (``case_id_key=...``, ...)."""
        by_key = {v: k for k, v in cls.PM4PY_KEYS.items()}
        unknown = sorted(set(keys) - set(by_key))
        if unknown:
            raise OptionError(f"unknown column keyword(s): {', '.join(unknown)}; valid: {', '.join(by_key)}")
        return cls(**{by_key[k]: v for k, v in keys.items()})

    def keys(self) -> dict[str, str | None]:
        """The columns as pm4py-style keywords, for the readers and engines."""
        return {kw: getattr(self, name) for name, kw in self.PM4PY_KEYS.items()}


@dataclass(frozen=True)
class Options:
    """How to analyse. Checked when made; see each field's help."""

    target: tuple[str, ...] = _opt(
        (), "auto, a unit name, or a model file (.bpmn, .pnml, .ptml); PROCESS=SPEC sets it for one process; "
        "repeatable (default: INPUT/targets/<process>.bpmn where present, else auto)",
        flag="--target", metavar="SPEC", action="append")
    families: int | str = _opt("auto", "number of process families (default: auto)", flag="--families", metavar="auto|N")
    cost_model: str | None = _opt(None, "cost model overriding the documented defaults", flag="--cost-model",
                                  metavar="FILE.toml")
    weights: Any = _opt(None, "weights of the combined measure, e.g. language=0.5,flow=0.5", flag="--weights",
                        metavar="M=W,...")
    noise_threshold: float = _opt(0.2, "noise threshold of model discovery, 0..1 (default: 0.2)", flag="--noise",
                                  metavar="X", type=float)
    min_share: float = _opt(0.05, "deviations in fewer than this share of a unit's cases are exceptions, not priced "
                            "change items (default: 0.05)", flag="--min-share", metavar="X", type=float)
    alpha: float = _opt(0.05, "false-discovery level: a change item is priced only when the test of its difference "
                        "from the target has a Benjamini-Hochberg q-value at most Q (default: 0.05)",
                        flag="--alpha", metavar="Q", type=float)
    mix_tolerance: float = _opt(2.0, "with a unit or pooled target, a unit may run each target variant up to X times "
                                "as often as the target before it counts as a change (case mix; default: 2)",
                                flag="--mix-tolerance", metavar="X", type=float)
    min_unit_cases: int = _opt(5, "units with fewer cases stay in the tables, flagged, but take no part in families, "
                               "waves and target choice (default: 5)", flag="--min-unit-cases", metavar="N", type=int)
    bootstrap: int = _opt(50, "bootstrap resamples for family stability (default: 50; 0 = skip)", flag="--bootstrap",
                          metavar="N", type=int)
    seed: int = _opt(0, "random seed (default: 0)", flag="--seed", type=int)
    pseudonymise: bool = _opt(False, "replace case ids and resources with keyed hashes everywhere",
                              flag="--pseudonymise", action="store_true", aliases=("--pseudonymize",))
    key: Any = _opt(None, "pseudonymisation key", cli=False)
    min_cases: int = _opt(1, "fold variants and edges seen in fewer than K cases into 'other' in everything shown "
                          "(default: 1)", flag="--min-cases", metavar="K", type=int)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        target = self.target
        set_(self, "target", (target,) if isinstance(target, (str, Path)) else tuple(target or ()))
        set_(self, "target", tuple(str(t) for t in self.target))
        if not (self.families == "auto" or (str(self.families).isdigit() and int(self.families) >= 1)):
            raise OptionError(f"--families {self.families!r}: expected 'auto' or a positive whole number")
        set_(self, "families", "auto" if self.families == "auto" else int(self.families))
        if self.cost_model is not None:
            set_(self, "cost_model", str(self.cost_model))
        checks = (
            ("--alpha", self.alpha, 0.0 < self.alpha <= 1.0, "a number above 0 and at most 1"),
            ("--mix-tolerance", self.mix_tolerance, self.mix_tolerance >= 1.0, "a number of at least 1"),
            ("--min-unit-cases", self.min_unit_cases, self.min_unit_cases >= 1, "1 or more"),
            ("--min-share", self.min_share, 0.0 <= self.min_share < 1.0, "a number from 0 up to (not including) 1"),
            ("--noise", self.noise_threshold, 0.0 <= self.noise_threshold <= 1.0, "a number from 0 to 1"),
            ("--bootstrap", self.bootstrap, self.bootstrap >= 0, "0 or more"),
            ("--min-cases", self.min_cases, self.min_cases >= 1, "1 or more"),
        )
        for flag, value, ok, what in checks:
            if not ok:
                raise OptionError(f"{flag} {value}: expected {what}")

    def record(self) -> dict[str, Any]:
        """The options as recorded in ``summary.json`` (the key is never recorded)."""
        weights = self.weights
        return {
            "target": list(self.target),
            "families": self.families,
            "cost_model": self.cost_model,
            "weights": dict(sorted(weights.items())) if isinstance(weights, Mapping) else weights,
            "noise_threshold": self.noise_threshold,
            "min_share": self.min_share,
            "alpha": self.alpha,
            "mix_tolerance": self.mix_tolerance,
            "min_unit_cases": self.min_unit_cases,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "pseudonymise": self.pseudonymise,
            "min_cases": self.min_cases,
        }


@dataclass(frozen=True)
class EngineOptions:
    """Where the profile step (the only one that reads events) runs."""

    engine: str = _opt("pandas", "pandas: in memory; duckdb: CSV/Parquet larger than memory; postgres: events in a "
                       "database table (with --sql); spark: a cluster or local[*]; auto: postgres with --sql, duckdb "
                       "above 2 GiB of CSV/Parquet on disk, else pandas (default: pandas, or postgres with --sql)",
                       flag="--engine", choices=("auto", "pandas", "duckdb", "postgres", "spark"))
    sql_table: str | None = _opt(None, "table or view with the events (schema.table); with --sql", flag="--sql-table",
                                 metavar="TABLE")
    sql_query: str | None = _opt(None, "a SELECT returning the events, instead of --sql-table; with --sql",
                                 flag="--sql-query", metavar="SELECT")
    spark_master: str | None = _opt(None, "Spark master for --engine spark, e.g. spark://host:7077 (default: local[*])",
                                    flag="--spark-master", metavar="URL")
    memory_limit: str | None = _opt(None, "memory limit of --engine duckdb, e.g. 4GB; DuckDB spills to disk beyond it "
                                    "(default: 80%% of RAM)", flag="--memory-limit", metavar="SIZE")

    ENGINES = ("auto", "pandas", "duckdb", "postgres", "spark")
    #: Which engine each engine-specific option belongs to.
    OWNER = {"sql_table": "postgres", "sql_query": "postgres", "spark_master": "spark", "memory_limit": "duckdb"}

    def __post_init__(self) -> None:
        if self.engine not in self.ENGINES:
            raise OptionError(f"unknown engine {self.engine!r}; valid: {', '.join(self.ENGINES)}")

    def specific(self) -> dict[str, str | None]:
        """The engine-specific options (all of them, ``None`` where not set)."""
        return {name: getattr(self, name) for name in self.OWNER}


def split_options(kwargs: Mapping[str, Any]) -> tuple[Columns, Options, EngineOptions]:
    """Sort flat keywords (as :func:`divergence.analyse` takes them) into the three objects.

    Raises
    ------
    OptionError
        A keyword none of them knows (the message lists the valid ones).
    """
    col_kw = {k: v for k, v in kwargs.items() if k in Columns.PM4PY_KEYS.values()}
    opt_names = {f.name for f in fields(Options)}
    eng_names = {f.name for f in fields(EngineOptions)}
    unknown = sorted(set(kwargs) - set(col_kw) - opt_names - eng_names)
    if unknown:
        valid = sorted([*Columns.PM4PY_KEYS.values(), *opt_names, *eng_names])
        raise OptionError(f"unknown option(s): {', '.join(unknown)}; valid: {', '.join(valid)}")
    opts = {k: v for k, v in kwargs.items() if k in opt_names}
    eng = {k: v for k, v in kwargs.items() if k in eng_names}
    return Columns.from_keys(**col_kw), Options(**opts), EngineOptions(**eng)


def add_arguments(group: argparse._ArgumentGroup, cls: type, *, skip: Sequence[str] = ()) -> None:
    """Add one argparse argument per field of ``cls`` that has a flag (``dest`` = the field name)."""
    for f in fields(cls):
        meta = f.metadata
        if not meta.get("cli") or not meta.get("flag") or f.name in skip:
            continue
        kw: dict[str, Any] = {"dest": f.name, "help": meta["help"]}
        if meta["action"]:
            kw["action"] = meta["action"]
        if meta["action"] == "append":
            kw["default"] = None
        elif meta["action"] != "store_true":
            kw["default"] = None if f.default is MISSING else f.default
        for name in ("metavar", "type", "choices"):
            if meta[name] is not None:
                kw[name] = meta[name]
        group.add_argument(meta["flag"], *meta["aliases"], **kw)


def from_namespace(cls: type, args: argparse.Namespace, **extra: Any):
    """An instance of ``cls`` from the argparse values of its fields (plus ``extra``)."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
    values = {k: v for k, v in values.items() if v is not None}
    return cls(**{**values, **extra})
