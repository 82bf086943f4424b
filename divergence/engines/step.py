"""The read-and-profile step of :func:`divergence.analyse`: inputs resolved, events read or aggregated.

The pandas engine profiles each file where it is read
(:mod:`divergence.engines.perfile`), or, with an activity mapping or
``--complete-only`` (which work on events), reads the events into one
canonical frame, profiled later by :func:`divergence.profile.profile_units`; every other engine
computes the profiles' aggregates where the data lives
(:func:`divergence.engines.aggregate`). Both roads end in the same
:class:`ReadOutcome`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import EmptyLogError, OptionError, warn
from ..options import Columns, EngineOptions, ReadOptions
from ..profile import UnitProfile
from ..progress import ProgressFn

__all__ = ["ReadOutcome", "default_inputs", "resolve_inputs", "read_step", "safe_input"]

#: Engine-specific options each engine accepts.
_ACCEPTS = {"duckdb": ("memory_limit",), "postgres": ("sql_table", "sql_query"), "spark": ("spark_master",)}


@dataclass
class ReadOutcome:
    """What the read step hands on: events (pandas) or profiles (other engines), and what it saw."""

    events: pd.DataFrame | None
    profiles: dict[str, dict[str, UnitProfile]] | None
    sources: list[dict[str, Any]]
    unfinished: dict | None
    seconds: float
    aggregate_seconds: float | None
    #: The activity mapping applied (``--mapping``), as recorded in summary.json.
    mapping: dict | None = None


def default_inputs() -> Path:
    """The bundled sample logs: ``./sample_logs`` or the one beside the package."""
    for cand in (Path.cwd() / "sample_logs", Path(__file__).resolve().parents[2] / "sample_logs"):
        if cand.is_dir():
            return cand
    raise OptionError("no INPUT given and no sample_logs/ folder found; name the logs to analyse")


def resolve_inputs(inputs, engine: EngineOptions, read: ReadOptions) -> tuple[list, str, dict[str, str | None]]:
    """The inputs as a list, the engine that runs (``auto`` resolved) and its specific options.

    Raises
    ------
    OptionError
        Options that do not fit together (the message names them).
    """
    if inputs is None:
        if engine.engine == "postgres" or engine.sql_table is not None or engine.sql_query is not None:
            raise OptionError("the postgres engine needs the database URL (--sql URL)")
        inputs = [default_inputs()]
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    inputs = list(inputs)
    name = engine.engine
    if name == "auto":
        from . import choose_engine

        name = choose_engine(inputs, sql_table=engine.sql_table, sql_query=engine.sql_query)
    if name == "postgres" and len(inputs) != 1:
        raise OptionError("the postgres engine takes one database URL (--sql URL) and no INPUT files")
    if name != "postgres":
        # URLs stay text for Spark (Path would fold "s3a://bucket" into "s3a:/bucket")
        keep_urls = name == "spark"
        inputs = [p if keep_urls and "://" in str(p) and not isinstance(p, Path) else Path(p) for p in inputs]
    specific = engine.specific()
    if engine.engine == "auto":  # options for engines auto did not pick are ignored, not refused
        specific = {k: (v if k in _ACCEPTS.get(name, ()) else None) for k, v in specific.items()}
    if name != "pandas" and (read.lifecycle != "auto" or read.complete_only):
        what = "--complete-only" if read.complete_only else f"--lifecycle {read.lifecycle}"
        raise OptionError(f"{what} needs the pandas engine (not {name})")
    if name != "pandas" and read.object_type is not None:
        raise OptionError(f"--object-type (OCEL 2.0 input) needs the pandas engine (not {name})")
    if name == "spark" and read.unit_rule != "first":
        raise OptionError(f"--unit-rule {read.unit_rule} needs the pandas, duckdb or postgres engine")
    if name == "pandas":
        stray = [k for k, v in specific.items() if v is not None]
        if stray:
            raise OptionError(f"option(s) {', '.join(stray)} do not apply to the pandas engine")
    return inputs, name, specific


def read_step(inputs: Sequence, engine: str, specific: dict[str, str | None], columns: Columns, read: ReadOptions,
              *, pseudonymise: bool, key: Any, progress: ProgressFn) -> ReadOutcome:
    """Read (pandas) or aggregate (other engines), pseudonymising before anything else sees the data.

    Portable profiles (``*.profile.json``, :mod:`divergence.portable`) among the inputs are loaded as
    ready-made profiles; the other inputs are read and profiled, and both are merged.
    """
    from ..portable import split_profile_inputs

    inputs, profile_parts = split_profile_inputs(inputs)
    if profile_parts:
        return _with_profiles(inputs, profile_parts, engine, specific, columns, read, pseudonymise=pseudonymise,
                              key=key, progress=progress)
    t0 = time.perf_counter()
    if engine == "pandas" and not read.mapping and not read.complete_only:  # profiled where each file is read
        from ..warmup import preload
        from .perfile import read_profiles

        progress("reading logs", 0, 1)
        profiles, sources = read_profiles(inputs, columns, read, key=key, pseudonymise=pseudonymise,
                                          meanwhile=None if "pm4py" in sys.modules else preload)
        progress("reading logs", 1, 1)
        return ReadOutcome(None, profiles, sources, None, time.perf_counter() - t0, None, None)
    if engine == "pandas":
        events, sources, unfinished, applied = _read_pandas(inputs, columns, read, progress)
        if pseudonymise:
            from ..privacy import pseudonymise_events

            events = pseudonymise_events(events, key)
        return ReadOutcome(events, None, sources, unfinished, time.perf_counter() - t0, None, applied)
    from ..profile import assemble_profiles
    from . import aggregate

    progress(f"profiling ({engine})", 0, 1)
    source = inputs[0] if engine == "postgres" else inputs
    extra = {"unit_rule": read.unit_rule} if read.unit_rule != "first" else {}
    agg = aggregate(source, engine=engine, columns=columns, **specific, **extra)
    t_aggregate = float(agg.extra.get("seconds", time.perf_counter() - t0))
    if pseudonymise:
        from ..privacy import pseudonymise_aggregates

        agg = pseudonymise_aggregates(agg, key)
    profiles = assemble_profiles(agg)
    applied = None
    if read.mapping:  # engines bring back aggregates: the mapping renames them (one to one)
        from ..mapping import map_profiles

        profiles, applied = map_profiles(profiles, read.mapping)
    progress(f"profiling ({engine})", 1, 1)
    # with an engine, the step is the whole of read, clean, aggregate and assemble
    return ReadOutcome(None, profiles, list(agg.extra.get("sources", [])), None, time.perf_counter() - t0, t_aggregate,
                       applied)


def _with_profiles(inputs, parts, engine, specific, columns, read, *, pseudonymise, key, progress) -> ReadOutcome:
    """Ready-made portable profiles merged with the profiles of the other inputs (if any).

    A ``--mapping`` is then applied to all of them, as profiles (one-to-one renaming only).
    """
    from dataclasses import replace

    from ..portable import merge_profiles
    from ..profile import profile_units

    t0 = time.perf_counter()
    sources = [s for s, _ in parts]
    named = [(s["path"], p) for s, p in parts]
    agg_seconds = None
    if inputs:
        got = read_step(inputs, engine, specific, columns, replace(read, mapping=None), pseudonymise=pseudonymise,
                        key=key, progress=progress)
        raw = got.profiles if got.profiles is not None else profile_units(got.events)
        named.insert(0, ("the logs read", raw))
        sources = list(got.sources) + sources
        agg_seconds = got.aggregate_seconds
    profiles = merge_profiles(named)
    applied = None
    if read.mapping:
        from ..mapping import map_profiles

        profiles, applied = map_profiles(profiles, read.mapping)
    return ReadOutcome(None, profiles, sources, None, time.perf_counter() - t0, agg_seconds, applied)


def _read_pandas(inputs: Sequence, columns: Columns, read: ReadOptions, progress: ProgressFn):
    """The canonical event frame (activities mapped with ``mapping``, likely unfinished cases dropped with
    ``complete_only``), its sources, the unfinished table and the mapping record."""
    from ..io import read_logs

    progress("reading logs", 0, 1)
    from ..warmup import preload

    events = read_logs(inputs, columns=columns, unit_rule=read.unit_rule, lifecycle=read.lifecycle,
                       object_type=read.object_type, meanwhile=None if "pm4py" in sys.modules else preload)
    progress("reading logs", 1, 1)
    sources = list(events.attrs.get("sources", []))
    applied = None
    if read.mapping:
        from ..mapping import apply_mapping

        events, applied = apply_mapping(events, read.mapping)
    unfinished = None
    if read.complete_only:
        from ..unfinished import unfinished_from_events

        unfinished, drop = unfinished_from_events(events, list(read.end_activities) or None)
        n_cases = sum(r["unfinished_cases"] for e in unfinished.values() for r in e["units"].values())
        if n_cases:
            warn(
                "complete_only",
                f"{n_cases:,} likely unfinished cases ({int(drop.sum()):,} events) dropped before profiling "
                "(--complete-only)",
                None,
                n_cases,
            )
            events = events[~drop].reset_index(drop=True)
        if len(events) == 0:
            raise EmptyLogError("no events left: every case is likely unfinished (--complete-only)")
    return events, sources, unfinished, applied


def safe_input(item: str | Path) -> str:
    """An input as recorded in the options: database URLs without their password."""
    text = str(item)
    if "://" in text and not isinstance(item, Path):
        try:
            from sqlalchemy.engine import make_url

            return make_url(text).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - not a URL SQLAlchemy knows: drop any user info
            scheme, _, rest = text.partition("://")
            return f"{scheme}://{rest.rpartition('@')[2]}"
    return text
