"""``analyse()``: the whole flow from log files to an :class:`AnalysisResult`.

read -> profile -> measures -> families -> target -> alignments -> change
items -> costs -> waves. The library never prints: progress goes to an
optional callback ``progress(stage, done, total)``, warnings through
:mod:`warnings` (category :class:`~divergence.errors.DivergenceWarning`).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from . import __version__
from .errors import DivergenceWarning, OptionError, records_of, warn
from .profile import UnitProfile, profile_units
from .progress import ProgressFn, no_progress
from .result import AnalysisResult, ProcessResult

__all__ = ["analyse", "analyse_events", "default_inputs", "parse_targets", "MODEL_SUFFIXES"]

MODEL_SUFFIXES = (".bpmn", ".pnml", ".ptml")

#: Above this many unique variants in a process, alignments to the target use the
#: directly-follows route of :func:`divergence.model.alignment.align_variants` and
#: cross-conformance replays on the models' directly-follows relations; up to it,
#: both are exact optimal alignments on the models' state spaces
#: (:mod:`divergence.model.statespace`; about 0.4 ms per variant and model).
EXACT_MAX_PROCESS_VARIANTS = 5_000

#: Variants per unit that the language measure uses inside the stability bootstrap.
BOOTSTRAP_MAX_VARIANTS = 50


def default_inputs() -> Path:
    """The bundled sample logs: ``./sample_logs`` or the one beside the package."""
    for cand in (Path.cwd() / "sample_logs", Path(__file__).resolve().parent.parent / "sample_logs"):
        if cand.is_dir():
            return cand
    raise OptionError("no INPUT given and no sample_logs/ folder found; name the logs to analyse")


def analyse(
    inputs: str | Path | Sequence[str | Path] | None = None,
    *,
    case_id_key: str | None = None,
    activity_key: str | None = None,
    timestamp_key: str | None = None,
    resource_key: str | None = None,
    unit_key: str | None = None,
    process_key: str | None = None,
    target: str | Sequence[str] | None = None,
    families: int | str = "auto",
    cost_model: str | Path | None = None,
    weights: str | dict[str, float] | None = None,
    noise_threshold: float = 0.2,
    min_share: float = 0.05,
    alpha: float = 0.05,
    mix_tolerance: float = 2.0,
    min_unit_cases: int = 5,
    bootstrap: int = 50,
    seed: int = 0,
    pseudonymise: bool = False,
    key: str | bytes | None = None,
    min_cases: int = 1,
    progress: ProgressFn = no_progress,
    engine: str = "pandas",
    sql_table: str | None = None,
    sql_query: str | None = None,
    spark_master: str | None = None,
    memory_limit: str | None = None,
    unit_rule: str = "first",
    lifecycle: str = "auto",
    complete_only: bool = False,
    end_activities: Sequence[str] | None = None,
) -> AnalysisResult:
    """Analyse event logs: divergence, families and harmonisation per process.

    Parameters
    ----------
    inputs : path or list of paths, optional
        Log files (XES, CSV, Parquet) and folders. Default: the bundled
        ``sample_logs/``.
    case_id_key, activity_key, timestamp_key, resource_key, unit_key, process_key : str, optional
        Column names; detected automatically when not given.
    target : str or list of str, optional
        ``auto``, a unit name, or a model file; ``PROCESS=SPEC`` for one
        process. When not given: where an input folder has
        ``targets/<process>.bpmn`` (or .pnml/.ptml), that model is the
        target of that process, and ``auto`` elsewhere.
    families : "auto" or int
        Number of process families per process.
    cost_model : path, optional
        TOML file overriding the default cost model.
    weights : dict or "name=w,..." string, optional
        Weights of the combined measure.
    noise_threshold : float, default 0.2
        Noise threshold of model discovery.
    min_share : float, default 0.05
        Deviations seen in a smaller share of a unit's cases are exceptions,
        not change items: they are not priced (the fitness still counts them).
    alpha : float, default 0.05
        False-discovery level: a change item is priced only when the test
        of its difference from the target has a Benjamini-Hochberg q-value
        at most ``alpha`` (see :mod:`divergence.harmonise.evidence`).
    mix_tolerance : float, default 2.0
        With a unit or pooled target: a unit may run each of the target's
        variants up to this many times as often as the target before the
        difference counts as a change (case mix; see :mod:`divergence.harmonise.observed`).
    min_unit_cases : int, default 5
        Units with fewer cases stay in the tables, flagged, but take no part
        in families, waves and target choice.
    bootstrap : int, default 50
        Resamples for family stability (0 skips it).
    seed : int, default 0
    pseudonymise : bool, default False
        Replace case ids and resources with keyed hashes before anything else.
    key : str or bytes, optional
        Pseudonymisation key; a random one (different every run) when absent.
    min_cases : int, default 1
        Outputs fold variants and edges seen in fewer cases into "other".
    progress : callable, optional
        ``progress(stage, done, total)``.
    engine : {"pandas", "auto", "duckdb", "postgres", "spark"}, default "pandas"
        Where the profile step (the only one that reads events) runs; see
        :mod:`divergence.engines`. ``auto`` picks postgres when ``sql_table``
        or ``sql_query`` is given, DuckDB when the CSV/Parquet inputs total
        more than 2 GiB on disk, else pandas. Every engine gives the same
        numbers. With ``postgres``, ``inputs`` is the SQLAlchemy URL.
    sql_table, sql_query : str, optional
        PostgreSQL only, exactly one: the table or the SELECT with the events.
    spark_master : str, optional
        Spark only: master URL (default ``local[*]``).
    memory_limit : str, optional
        DuckDB only: memory limit such as ``"4GB"``; DuckDB spills beyond it.
    unit_rule : {"first", "last", "most"}, default "first"
        The unit of a case whose unit column changes within it (pandas,
        DuckDB and PostgreSQL engines): the unit of its first (last) event
        naming one, or the one most of its events name. The whole case
        counts in that unit; events with an empty unit take it.
    lifecycle : {"auto", "as-activity", "ignore"}, default "auto"
        Lifecycle column: ``auto`` folds start/complete pairs and warns
        about other transitions; ``as-activity`` makes each transition other
        than complete an activity ``"name (transition)"``; ``ignore`` keeps
        every event as it is. Other than ``auto``: pandas engine only.
    complete_only : bool, default False
        Drop likely unfinished cases (see :mod:`divergence.unfinished`)
        before profiling; pandas engine only. By default every case is kept
        and the shares are reported (``result.unfinished_table()``).
    end_activities : list of str, optional
        The end activities of every process, instead of those ending at
        least 5 % of its cases.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    DivergenceError
        For input that cannot be analysed and for invalid options.
    """
    if inputs is None:
        if engine == "postgres" or sql_table is not None or sql_query is not None:
            raise OptionError("the postgres engine needs the database URL (--sql URL)")
        inputs = [default_inputs()]
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    from .io.clean import check_read_options

    check_read_options(unit_rule=unit_rule, lifecycle=lifecycle)
    _check_options(
        families=families, noise_threshold=noise_threshold, min_share=min_share, bootstrap=bootstrap, min_cases=min_cases,
        alpha=alpha, mix_tolerance=mix_tolerance, min_unit_cases=min_unit_cases,
    )
    engine_name = _resolve_engine(engine, inputs, sql_table=sql_table, sql_query=sql_query)
    if engine_name != "postgres":
        # URLs stay text for Spark (Path would fold "s3a://bucket" into "s3a:/bucket")
        keep_urls = engine_name == "spark"
        inputs = [p if keep_urls and "://" in str(p) and not isinstance(p, Path) else Path(p) for p in inputs]
    engine_options = {"sql_table": sql_table, "sql_query": sql_query, "spark_master": spark_master,
                      "memory_limit": memory_limit}
    if engine == "auto":  # options for engines auto did not pick are ignored, not refused
        accepted = {"duckdb": ("memory_limit",), "postgres": ("sql_table", "sql_query"),
                    "spark": ("spark_master",)}.get(engine_name, ())
        engine_options = {k: (v if k in accepted else None) for k, v in engine_options.items()}
    columns = {
        "case_id_key": case_id_key,
        "activity_key": activity_key,
        "timestamp_key": timestamp_key,
        "resource_key": resource_key,
        "unit_key": unit_key,
        "process_key": process_key,
    }
    if engine_name != "pandas" and (lifecycle != "auto" or complete_only):
        what = "--complete-only" if complete_only else f"--lifecycle {lifecycle}"
        raise OptionError(f"{what} needs the pandas engine (not {engine_name})")
    if engine_name == "spark" and unit_rule != "first":
        raise OptionError(f"--unit-rule {unit_rule} needs the pandas, duckdb or postgres engine")
    t0 = time.perf_counter()
    profiles = events = None
    unfinished = None
    t_aggregate = None
    read_warnings = warnings.catch_warnings(record=True)
    read_caught = read_warnings.__enter__()
    warnings.simplefilter("always", DivergenceWarning)
    try:
        events, profiles, sources, unfinished, t_aggregate = _read_step(
            inputs, engine_name, columns, engine_options, progress=progress, pseudonymise=pseudonymise, key=key,
            unit_rule=unit_rule, lifecycle=lifecycle, complete_only=complete_only, end_activities=end_activities,
            t0=t0,
        )
    finally:
        read_warnings.__exit__(None, None, None)
    for w in read_caught:  # re-issue so callers (the CLI) see them too
        warnings.warn(w.message, w.category, stacklevel=2)
    t_read = time.perf_counter() - t0
    options = {
        "inputs": [_safe_input(p) for p in inputs],
        "engine": engine_name,
        "case_id_key": case_id_key,
        "activity_key": activity_key,
        "timestamp_key": timestamp_key,
        "resource_key": resource_key,
        "unit_key": unit_key,
        "process_key": process_key,
        "unit_rule": unit_rule,
        "lifecycle": lifecycle,
        "complete_only": complete_only,
        "end_activities": sorted(set(end_activities or [])),
        "target": [target] if isinstance(target, str) else list(target or []),
        "families": families,
        "cost_model": str(cost_model) if cost_model else None,
        "weights": weights if not isinstance(weights, dict) else dict(sorted(weights.items())),
        "noise_threshold": noise_threshold,
        "min_share": min_share,
        "alpha": alpha,
        "mix_tolerance": mix_tolerance,
        "min_unit_cases": min_unit_cases,
        "bootstrap": bootstrap,
        "seed": seed,
        "pseudonymise": pseudonymise,
        "min_cases": min_cases,
    }
    for name, value in engine_options.items():
        if value is not None:
            options[name] = value
    result = analyse_events(
        events,
        targets=parse_targets(target, [p for p in inputs if isinstance(p, Path)]),
        families=families,
        cost_model=cost_model,
        weights=weights,
        noise_threshold=noise_threshold,
        min_share=min_share,
        alpha=alpha,
        mix_tolerance=mix_tolerance,
        min_unit_cases=min_unit_cases,
        bootstrap=bootstrap,
        seed=seed,
        progress=progress,
        options=options,
        sources=sources,
        profiles=profiles,
        unfinished=unfinished,
        end_activities=end_activities,
    )
    result.warnings[:0] = [r for r in records_of(read_caught) if r not in result.warnings]
    # with an engine, "read" is the whole engine step (read, clean, aggregate, assemble)
    result.timings["read"] = t_read
    if t_aggregate is not None:
        result.timings[f"aggregate:{engine_name}"] = t_aggregate
    if not target:  # say where a target found by the folder convention came from
        for pr in result.processes.values():
            t = pr.target
            if t.kind == "model" and "given by the user" in t.reason:
                pr.__dict__["target"] = dataclasses.replace(
                    t, reason=t.reason.replace("given by the user", "found in the input's targets/ folder (shared-service standard)")
                )
    return result


def _read_step(inputs, engine_name, columns, engine_options, *, progress, pseudonymise, key, unit_rule, lifecycle,
               complete_only, end_activities, t0):
    """Read (pandas) or aggregate (other engines): (events, profiles, sources, unfinished, t_aggregate)."""
    profiles = events = unfinished = None
    t_aggregate = None
    if engine_name == "pandas":
        from .io import read_logs

        stray = [k for k, v in engine_options.items() if v is not None]
        if stray:
            raise OptionError(f"option(s) {', '.join(stray)} do not apply to the pandas engine")
        progress("reading logs", 0, 1)
        events = read_logs(inputs, **columns, unit_rule=unit_rule, lifecycle=lifecycle)
        progress("reading logs", 1, 1)
        sources = list(events.attrs.get("sources", []))
        if complete_only:
            from .errors import EmptyLogError
            from .unfinished import unfinished_from_events

            unfinished, drop = unfinished_from_events(events, end_activities)
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
        if pseudonymise:
            from .privacy import pseudonymise_events

            events = pseudonymise_events(events, key)
    else:
        from .engines import aggregate
        from .profile import assemble_profiles

        progress(f"profiling ({engine_name})", 0, 1)
        source = inputs[0] if engine_name == "postgres" else inputs
        extra = {"unit_rule": unit_rule} if unit_rule != "first" else {}
        agg = aggregate(source, engine=engine_name, **columns, **engine_options, **extra)
        t_aggregate = float(agg.extra.get("seconds", time.perf_counter() - t0))
        if pseudonymise:
            from .privacy import pseudonymise_aggregates

            agg = pseudonymise_aggregates(agg, key)
        profiles = assemble_profiles(agg)
        sources = list(agg.extra.get("sources", []))
        progress(f"profiling ({engine_name})", 1, 1)
    return events, profiles, sources, unfinished, t_aggregate


def _resolve_engine(engine: str, inputs: Sequence[str | Path], *, sql_table: str | None,
                    sql_query: str | None) -> str:
    """The engine that runs the profile step (``auto`` resolved)."""
    valid = ("auto", "pandas", "duckdb", "postgres", "spark")
    if engine not in valid:
        raise OptionError(f"unknown engine {engine!r}; valid: {', '.join(valid)}")
    if engine == "auto":
        from .engines import choose_engine

        engine = choose_engine(list(inputs), sql_table=sql_table, sql_query=sql_query)
    if engine == "postgres" and len(inputs) != 1:
        raise OptionError("the postgres engine takes one database URL (--sql URL) and no INPUT files")
    return engine


def _safe_input(item: str | Path) -> str:
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


def analyse_events(
    events: pd.DataFrame | None,
    *,
    targets: dict[str | None, str] | None = None,
    families: int | str = "auto",
    cost_model: str | Path | None = None,
    weights: str | dict[str, float] | None = None,
    noise_threshold: float = 0.2,
    min_share: float = 0.05,
    alpha: float = 0.05,
    mix_tolerance: float = 2.0,
    min_unit_cases: int = 5,
    bootstrap: int = 50,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    options: dict[str, Any] | None = None,
    sources: list[dict[str, Any]] | None = None,
    profiles: dict[str, dict[str, UnitProfile]] | None = None,
    unfinished: dict | None = None,
    end_activities: Sequence[str] | None = None,
) -> AnalysisResult:
    """Analyse a canonical event frame (or ready-made profiles from another engine).

    ``events`` may be ``None`` when ``profiles`` (``{process: {unit:
    UnitProfile}}``, e.g. from :func:`divergence.engines.profile_source`) are given.
    ``unfinished`` is the table of :mod:`divergence.unfinished` when it was
    made before profiling (``--complete-only``); else it is computed from the
    profiles, with ``end_activities`` if given.
    """
    from .costs.pricing import load_cost_model

    if events is None and profiles is None:
        raise OptionError("analyse_events needs an event frame or ready-made profiles")

    model = load_cost_model(cost_model)
    weights = parse_weights(weights)
    targets = targets or {None: "auto"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        t0 = time.perf_counter()
        progress("profiling", 0, 1)
        if profiles is None:
            profiles = profile_units(events)
        progress("profiling", 1, 1)
        t_profile = time.perf_counter() - t0
        _report_names(profiles)
        from .unfinished import report_unfinished, unfinished_from_profiles

        dropped = unfinished is not None
        if unfinished is None:
            unfinished = unfinished_from_profiles(profiles, end_activities)
        report_unfinished(unfinished, dropped=dropped)
        for p, units in profiles.items():
            for u, prof in units.items():
                if prof.low_evidence:
                    warn(
                        "low_evidence",
                        f"process {p!r}, unit {u!r}: only {prof.cases} cases; flagged as low-evidence",
                        None,
                        prof.cases,
                    )
        processes = {}
        for p, units in profiles.items():
            spec = targets.get(p, targets.get(None, "auto"))
            processes[p] = _analyse_process(
                p,
                units,
                target_spec=spec,
                n_families=families,
                cost_model=model,
                weights=weights,
                noise_threshold=noise_threshold,
                min_share=min_share,
                alpha=alpha,
                mix_tolerance=mix_tolerance,
                min_unit_cases=min_unit_cases,
                bootstrap=bootstrap,
                seed=seed,
                progress=progress,
            )
    for w in caught:  # re-issue so callers (the CLI) see them too
        warnings.warn(w.message, w.category, stacklevel=2)
    return AnalysisResult(
        processes=processes,
        options=options or {},
        sources=sources or [],
        warnings=records_of(caught),
        version=__version__,
        timings={"profile": t_profile},
        unfinished=unfinished,
    )


def _report_names(profiles: dict[str, dict[str, Any]]) -> None:
    """Warn (``name_case_clash``) about processes, and units of a process, differing only in letter case."""

    def clashes(names) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for n in names:
            groups.setdefault(str(n).casefold(), []).append(str(n))
        return [sorted(g) for g in groups.values() if len(g) > 1]

    for group in clashes(profiles):
        warn(
            "name_case_clash",
            f"processes {', '.join(map(repr, group))} differ only in letter case; analysed as different processes",
            None,
            len(group),
        )
    for p, units in profiles.items():
        for group in clashes(units):
            warn(
                "name_case_clash",
                f"process {p!r}: units {', '.join(map(repr, group))} differ only in letter case; analysed as "
                "different units (rename one in the input to merge them)",
                None,
                len(group),
            )


def parse_targets(spec: str | Sequence[str] | None, inputs: Iterable[Path] = ()) -> dict[str | None, str]:
    """``["auto", "hr=std/hr.bpmn"]`` -> ``{None: "auto", "hr": "std/hr.bpmn"}``.

    Models found as ``targets/<process>.<ext>`` in an input folder are the
    default for that process unless a default SPEC (without ``PROCESS=``) is
    given.
    """
    specs = [spec] if isinstance(spec, str) else list(spec or [])
    out: dict[str | None, str] = {}
    for folder in inputs:
        tdir = Path(folder) / "targets"
        if tdir.is_dir():
            for f in sorted(tdir.iterdir()):
                if f.suffix.lower() in MODEL_SUFFIXES:
                    out.setdefault(f"__default__:{f.stem}", str(f))
    for s in specs:
        if "=" in s and not Path(s).exists():
            proc, _, val = s.partition("=")
            if not proc or not val:
                raise OptionError(f"--target {s!r}: expected PROCESS=SPEC")
            out[proc] = val
        else:
            out[None] = s
    explicit_default = None in out
    resolved: dict[str | None, str] = {k: v for k, v in out.items() if not str(k).startswith("__default__:")}
    if not explicit_default:
        for k, v in out.items():
            if str(k).startswith("__default__:"):
                resolved.setdefault(k.split(":", 1)[1], v)
    resolved.setdefault(None, "auto")
    return resolved


def parse_weights(weights: str | dict[str, float] | None) -> dict[str, float] | None:
    """``"language=0.5,flow=0.5"`` -> ``{"language": 0.5, "flow": 0.5}``."""
    if weights is None or isinstance(weights, dict):
        return weights
    out = {}
    for part in weights.split(","):
        name, _, val = part.partition("=")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            raise OptionError(f"--weights {weights!r}: expected NAME=NUMBER,... ") from None
    return out


def _check_options(*, families, noise_threshold, min_share, bootstrap, min_cases, alpha=0.05, mix_tolerance=2.0,
                   min_unit_cases=5) -> None:
    if not 0.0 < alpha <= 1.0:
        raise OptionError(f"--alpha {alpha}: expected a number above 0 and at most 1")
    if not mix_tolerance >= 1.0:
        raise OptionError(f"--mix-tolerance {mix_tolerance}: expected a number of at least 1")
    if min_unit_cases < 1:
        raise OptionError(f"--min-unit-cases {min_unit_cases}: expected 1 or more")
    if not 0.0 <= min_share < 1.0:
        raise OptionError(f"--min-share {min_share}: expected a number from 0 up to (not including) 1")
    if not (families == "auto" or (str(families).isdigit() and int(families) >= 1)):
        raise OptionError(f"--families {families!r}: expected 'auto' or a positive whole number")
    if not 0.0 <= noise_threshold <= 1.0:
        raise OptionError(f"--noise {noise_threshold}: expected a number from 0 to 1")
    if bootstrap < 0:
        raise OptionError(f"--bootstrap {bootstrap}: expected 0 or more")
    if min_cases < 1:
        raise OptionError(f"--min-cases {min_cases}: expected 1 or more")


def _analyse_process(
    process: str,
    profiles: dict[str, UnitProfile],
    *,
    target_spec: str,
    n_families: int | str,
    cost_model: Any,
    weights: dict[str, float] | None,
    noise_threshold: float,
    min_share: float,
    alpha: float,
    mix_tolerance: float,
    min_unit_cases: int,
    bootstrap: int,
    seed: int,
    progress: ProgressFn,
) -> ProcessResult:
    from .families import commonality, cluster as families
    from .measures import conformance, compute as measures
    from .costs import pricing as costs
    from .harmonise import plan as harmonise, waves
    from . import parallel
    from .model import pm

    timings: dict[str, float] = {}
    units = list(profiles)
    plist = [profiles[u] for u in units]
    stage = f"{process}: "

    t = time.perf_counter()
    models = {}
    for i, u in enumerate(units):
        progress(stage + "discovering models", i, len(units))
        models[u] = pm.discover_model(profiles[u], noise_threshold=noise_threshold, name=u)
    progress(stage + "discovering models", len(units), len(units))
    timings["discovery"] = time.perf_counter() - t

    t = time.perf_counter()
    progress(stage + "measuring divergence", 0, 1)
    mres = measures.compute_measures(plist)
    matrices = dict(mres.matrices)
    mlist = [models[u] for u in units]
    n_variants = sum(len(p.variants) for p in plist)
    many = n_variants > EXACT_MAX_PROCESS_VARIANTS
    conf = conformance.conformance_matrix(plist, mlist, method="df" if many else None)
    conformance_raw = np.asarray(conf.raw if hasattr(conf, "raw") else conf, dtype=float)
    conf_zero = conformance_raw.copy()
    np.fill_diagonal(conf_zero, 0.0)
    matrices["conformance"] = conf_zero
    matrices["combined"] = measures.combine(matrices, weights)
    progress(stage + "measuring divergence", 1, 1)
    timings["measures"] = time.perf_counter() - t

    t = time.perf_counter()
    progress(stage + "finding families", 0, 1)
    # tiny units stay in the tables but take no part in families, waves and target choice
    grouped = [u for u in units if profiles[u].cases >= min_unit_cases]
    if not grouped:
        warnings.warn(
            DivergenceWarning(
                f"process {process!r}: every unit has fewer than {min_unit_cases} cases; all take part in "
                "families and target choice anyway",
            ),
            stacklevel=2,
        )
        grouped = list(units)
    excluded = [u for u in units if u not in grouped]
    if excluded:
        warnings.warn(
            DivergenceWarning(
                f"process {process!r}: {len(excluded)} unit(s) with fewer than {min_unit_cases} cases kept "
                f"out of families, waves and target choice: {', '.join(excluded)}"
            ),
            stacklevel=2,
        )
    gi = [units.index(u) for u in grouped]
    fam = families.find_families(matrices["combined"][np.ix_(gi, gi)], grouped, n_families=_n_families(n_families))

    stability_job = None
    if bootstrap and len(grouped) > 1:
        from .families.resampling import ResampledDistance

        gplist = [profiles[u] for u in grouped]
        gmodels = [models[u] for u in grouped]
        gmethods = None if conf.methods is None else np.asarray(conf.methods)[np.ix_(gi, gi)]

        def stability_of() -> Any:
            # resamples change only the counts of observed variants: everything
            # that depends on the variants is prepared once
            from .families.stability import bootstrap_families

            distance_fn = ResampledDistance(gplist, gmodels, gmethods, weights=weights, head=BOOTSTRAP_MAX_VARIANTS)
            return bootstrap_families(gplist, distance_fn, fam, n=bootstrap, seed=seed)

        # the bootstrap only scores the families: it runs on the other core
        # while this one chooses the target and prices the changes
        stability_job = parallel.background(stability_of)
    try:
        common = commonality.common_core(plist)
        family_common = {f: commonality.common_core([profiles[u] for u in m]) for f, m in fam.members.items()}
        timings["families"] = time.perf_counter() - t

        t = time.perf_counter()
        method = "dfg" if many else "auto"
        effort_cache: dict = {}

        def price(profile: UnitProfile, items: list, target: Any) -> Any:
            key = id(target.profile)
            if key not in effort_cache:
                effort_cache[key] = costs.step_effort(profiles.values(), target.profile)
            return costs.price_unit(profile, items, cost_model, step_effort_s=effort_cache[key])

        eligible = [u for u in grouped if not profiles[u].low_evidence]
        progress(stage + "choosing the target", 0, 1)
        plan = harmonise.harmonise(
            target_spec,
            profiles,
            models,
            price=price,
            medoids=list(fam.medoids.values()),
            eligible=eligible,
            noise_threshold=noise_threshold,
            min_share=min_share,
            alpha=alpha,
            tolerance=mix_tolerance,
            method=method,
            progress=lambda done, total: progress(stage + "choosing the target", done, total),
        )
        unit_costs = plan.costs
        family_costs = {f: costs.price_group([unit_costs[u] for u in m]) for f, m in fam.members.items()}
        total = costs.price_group([unit_costs[u] for u in units])
        family_of = {u: f for f, m in fam.members.items() for u in m}
        wave_in = pd.DataFrame(
            {
                "unit": grouped,
                "fitness_to_target": [plan.fits[u].fitness for u in grouped],
                "cost_central": [unit_costs[u].cost_gbp["central"] for u in grouped],
                "family": [family_of[u] for u in grouped],
            }
        )
        waves_plan = waves.plan_waves(wave_in)
        timings["harmonise"] = time.perf_counter() - t
        t = time.perf_counter()
        if stability_job is not None:
            progress(stage + "family stability", 0, 1)
            family_bootstrap = stability_job.result()
            stability = dict(family_bootstrap.per_family)
        else:
            family_bootstrap = None
            stability = {f: 1.0 for f in fam.members}
    finally:
        if stability_job is not None:
            stability_job.close()  # on an error above: stop the bootstrap
    timings["stability_wait"] = time.perf_counter() - t
    return ProcessResult(
        process=process,
        units=units,
        profiles=profiles,
        matrices=matrices,
        conformance_raw=conformance_raw,
        measure_details=dict(getattr(mres, "details", {}) or {}),
        families=fam,
        stability=stability,
        common=common,
        family_common=family_common,
        models=models,
        target=plan.target,
        alignments=plan.fits,
        changes=plan.changes,
        costs=unit_costs,
        family_costs=family_costs,
        total_cost=total,
        waves=waves_plan,
        timings=timings,
        exceptions=plan.exceptions,
        excluded=tuple(excluded),
        family_bootstrap=family_bootstrap,
    )


def _n_families(value: int | str) -> int | str:
    return "auto" if value == "auto" else int(value)
