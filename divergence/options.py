"""Every option of an analysis, declared once: its default, its check, its flag and its help.

Three frozen objects carry them through the stages:

- :class:`Columns`: which columns hold the case, activity, timestamp,
  resource, unit and process (``None``: detected);
- :class:`Options`: how to analyse (target, families, thresholds, ...);
- :class:`ReadOptions`: how events become cases (unit of a case, lifecycle,
  unfinished cases);
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

__all__ = ["Columns", "ReadOptions", "Options", "EngineOptions", "split_options", "parse_weights", "add_arguments", "from_namespace"]


def _opt(default: Any, help: str, *, flag: str | None = None, metavar: str | None = None, type: Any = None,
         choices: Sequence[str] | None = None, action: str | None = None, aliases: Sequence[str] = (),
         cli: bool = True, repr: bool = True, group: str | None = None) -> Any:
    """A dataclass field with its command-line flag, help and help group (default: its class's)."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "type": type, "choices": choices,
            "action": action, "aliases": tuple(aliases), "cli": cli, "group": group}
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable default")
    return field(default=default, metadata=meta, repr=repr)


#: Default K of ``divergence profile --min-cases``.
PROFILE_MIN_CASES = 5


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
        """The columns as pm4py-style keywords (``case_id_key=...``)."""
        return {kw: getattr(self, name) for name, kw in self.PM4PY_KEYS.items()}

    def by_role(self) -> dict[str, str | None]:
        """Canonical column (:mod:`divergence.schema`) -> the user's column name, None where detected."""
        from . import schema

        return {schema.CASE: self.case, schema.ACTIVITY: self.activity, schema.TIMESTAMP: self.timestamp,
                schema.RESOURCE: self.resource, schema.UNIT: self.unit, schema.PROCESS: self.process}

    @classmethod
    def resolve(cls, columns: Columns | None, keys: Mapping[str, str | None]) -> Columns:
        """``columns``, or the columns named by pm4py-style ``keys`` (giving both is an error)."""
        if columns is None:
            return cls.from_keys(**keys)
        if any(v is not None for v in keys.values()):
            raise OptionError("give the columns either as Columns(...) or as case_id_key=... keywords, not both")
        return columns


@dataclass(frozen=True)
class ReadOptions:
    """How events become cases: the unit of a case, lifecycle transitions, unfinished cases."""

    unit_rule: str = _opt("first", "unit of a case whose unit column changes within it: that of its first event "
                          "naming one, its last, or the one most of its events name; the whole case counts there "
                          "(default: first)", flag="--unit-rule", choices=("first", "last", "most"))
    lifecycle: str = _opt("auto", "lifecycle column: auto folds start/complete pairs and warns about other "
                          "transitions; as-activity makes each transition other than complete an activity "
                          "'name (transition)'; ignore keeps every event as it is (default: auto)",
                          flag="--lifecycle", choices=("auto", "as-activity", "ignore"))
    complete_only: bool = _opt(False, "drop likely unfinished cases (last activity not an end activity) before "
                               "profiling (default: keep them and report their share per unit)",
                               flag="--complete-only", action="store_true")
    end_activities: tuple[str, ...] = _opt((), "an end activity of every process; repeatable (default: activities "
                                           "ending at least 5%% of a process's cases)", flag="--end-activity",
                                           metavar="NAME", action="append")
    object_type: str | None = _opt(None, "OCEL 2.0 input (.jsonocel, .xmlocel, .sqlite): the object type that plays "
                                   "the case; each event belongs to every object of that type it relates to "
                                   "(default: the file's only object type)", flag="--object-type", metavar="TYPE")
    mapping: str | None = _opt(None, "activity mapping CSV (process, unit, activity, canonical; e.g. from "
                               "'divergence match'): each unit's activities renamed to their canonical names as the "
                               "logs are read; names it does not map are kept (default: none)", flag="--mapping",
                               metavar="FILE.csv")

    def __post_init__(self) -> None:
        from .io.clean import check_read_options

        check_read_options(unit_rule=self.unit_rule, lifecycle=self.lifecycle)
        ends = self.end_activities
        object.__setattr__(self, "end_activities", (ends,) if isinstance(ends, str) else tuple(ends or ()))
        if self.mapping is not None:
            object.__setattr__(self, "mapping", str(self.mapping))

    def record(self) -> dict[str, Any]:
        """As recorded in ``summary.json``."""
        return {
            "unit_rule": self.unit_rule,
            "lifecycle": self.lifecycle,
            "complete_only": self.complete_only,
            "end_activities": sorted(set(self.end_activities)),
            "object_type": self.object_type,
            **({"mapping": self.mapping} if self.mapping else {}),
        }


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
    draws: int = _opt(10_000, "Monte Carlo draws of the cost model's parameters for P10/P50/P90 of the costs "
                      "(default: 10000; 0 = skip)", flag="--draws", metavar="N", type=int)
    pseudonymise: bool = _opt(False, "replace case ids and resources with keyed hashes everywhere",
                              flag="--pseudonymise", action="store_true", aliases=("--pseudonymize",),
                              group="privacy")
    key: Any = _opt(None, "pseudonymisation key (never recorded, never shown)", cli=False, repr=False)
    min_cases: int = _opt(1, "fold variants and edges seen in fewer than K cases into 'other' in everything shown "
                          "(default: 1)", flag="--min-cases", metavar="K", type=int, group="privacy")

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
        set_(self, "weights", parse_weights(self.weights))
        checks = (
            ("--alpha", self.alpha, 0.0 < self.alpha <= 1.0, "a number above 0 and at most 1"),
            ("--mix-tolerance", self.mix_tolerance, self.mix_tolerance >= 1.0, "a number of at least 1"),
            ("--min-unit-cases", self.min_unit_cases, self.min_unit_cases >= 1, "1 or more"),
            ("--min-share", self.min_share, 0.0 <= self.min_share < 1.0, "a number from 0 up to (not including) 1"),
            ("--noise", self.noise_threshold, 0.0 <= self.noise_threshold <= 1.0, "a number from 0 to 1"),
            ("--bootstrap", self.bootstrap, self.bootstrap >= 0, "0 or more"),
            ("--draws", self.draws, self.draws >= 0, "0 or more"),
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
            "weights": dict(sorted(weights.items())) if weights is not None else None,
            "noise_threshold": self.noise_threshold,
            "min_share": self.min_share,
            "alpha": self.alpha,
            "mix_tolerance": self.mix_tolerance,
            "min_unit_cases": self.min_unit_cases,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "draws": self.draws,
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


def parse_weights(weights: str | Mapping[str, float] | None) -> dict[str, float] | None:
    """``"language=0.5,flow=0.5"`` -> ``{"language": 0.5, "flow": 0.5}``."""
    if weights is None or isinstance(weights, Mapping):
        return None if weights is None else dict(weights)
    out = {}
    for part in weights.split(","):
        name, _, val = part.partition("=")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            raise OptionError(f"--weights {weights!r}: expected NAME=NUMBER,... ") from None
    return out


def split_options(kwargs: Mapping[str, Any]) -> tuple[Columns, ReadOptions, Options, EngineOptions]:
    """Sort flat keywords (as :func:`divergence.analyse` takes them) into the four objects.

    Raises
    ------
    OptionError
        A keyword none of them knows (the message lists the valid ones).
    """
    col_kw = {k: v for k, v in kwargs.items() if k in Columns.PM4PY_KEYS.values()}
    names = {cls: {f.name for f in fields(cls)} for cls in (ReadOptions, Options, EngineOptions)}
    unknown = sorted(set(kwargs) - set(col_kw) - set().union(*names.values()))
    if unknown:
        valid = sorted([*Columns.PM4PY_KEYS.values(), *set().union(*names.values())])
        raise OptionError(f"unknown option(s): {', '.join(unknown)}; valid: {', '.join(valid)}")
    made = [cls(**{k: v for k, v in kwargs.items() if k in names[cls]}) for cls in (ReadOptions, Options, EngineOptions)]
    return (Columns.from_keys(**col_kw), *made)


#: The help group of each class's options on the command line.
GROUP_OF = {"Columns": "columns", "ReadOptions": "inputs", "Options": "analysis", "EngineOptions": "engines"}


def add_arguments(groups: Mapping[str, argparse._ArgumentGroup], classes: Sequence[type] = (),
                  *, defaults: Mapping[str, Any] | None = None) -> None:
    """One argparse argument per option field with a flag, in its help group (``dest`` = the field name).

    ``groups`` maps a group name (:data:`GROUP_OF`, or a field's own) to an
    argparse group; ``defaults`` overrides a field's default on the command line.
    """
    defaults = dict(defaults or {})
    for cls in classes or (Columns, ReadOptions, Options, EngineOptions):
        for f in fields(cls):
            meta = f.metadata
            if not meta.get("cli") or not meta.get("flag"):
                continue
            kw: dict[str, Any] = {"dest": f.name, "help": meta["help"]}
            if meta["action"]:
                kw["action"] = meta["action"]
            if f.name in defaults:
                kw["default"] = defaults[f.name]
            elif meta["action"] == "append":
                kw["default"] = None
            elif meta["action"] != "store_true":
                kw["default"] = None if f.default is MISSING else f.default
            for name in ("metavar", "type", "choices"):
                if meta[name] is not None:
                    kw[name] = meta[name]
            groups[meta["group"] or GROUP_OF[cls.__name__]].add_argument(meta["flag"], *meta["aliases"], **kw)


def from_namespace(cls: type, args: argparse.Namespace, **extra: Any):
    """An instance of ``cls`` from the argparse values of its fields (plus ``extra``)."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
    values = {k: v for k, v in values.items() if v is not None}
    return cls(**{**values, **extra})
