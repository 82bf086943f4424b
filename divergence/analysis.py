"""``analyse()``: the whole flow from log files to an :class:`AnalysisResult`, one call per stage.

read (:mod:`.engines.step`) -> profile (:mod:`.profile`) -> per process:
models (:mod:`.model`) -> measures (:mod:`.measures`) -> families
(:mod:`.families`) -> target and backlog (:mod:`.harmonise`) -> costs
(:mod:`.costs`) -> waves. The library never prints: progress goes to an
optional callback ``progress(stage, done, total)``, warnings through
:mod:`warnings` (category :class:`~divergence.errors.DivergenceWarning`) and
onto the result.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .collector import relaxing
from .errors import DivergenceWarning, OptionError, records_of
from .options import Columns, EngineOptions, Options, ReadOptions, split_options
from .profile import UnitProfile, profile_units, warn_low_evidence
from .progress import ProgressFn, no_progress
from .result import AnalysisResult, ProcessResult

__all__ = ["analyse", "analyse_events", "analyse_process"]


@relaxing
def analyse(inputs: Any = None, *, columns: Columns | None = None, read: ReadOptions | None = None,
            options: Options | None = None, engine: EngineOptions | str | None = None,
            progress: ProgressFn = no_progress, **keywords: Any) -> AnalysisResult:
    """Analyse event logs: divergence, families and harmonisation per process.

    Parameters
    ----------
    inputs : path or list of paths, optional
        Log files (XES, CSV, Parquet) and folders; with ``engine="postgres"``
        the SQLAlchemy URL. Default: the bundled ``sample_logs/``.
    columns, read, options, engine : optional
        The option objects of :mod:`divergence.options`; each field's help
        says what it does. ``engine`` may also be just the engine's name.
    progress : callable, optional
        ``progress(stage, done, total)``.
    **keywords
        The same options as flat keywords instead: pm4py's column names
        (``case_id_key``, ``activity_key``, ...) and any field of the option
        objects (``target="auto"``, ``bootstrap=0``, ``engine="duckdb"``, ...).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    DivergenceError
        For input that cannot be analysed and for invalid options.
    """
    from .engines.step import read_step, resolve_inputs, safe_input

    if isinstance(engine, str):
        keywords, engine = {**keywords, "engine": engine}, None
    columns, read, options, engine = _option_objects(columns, read, options, engine, keywords)
    inputs, engine_name, specific = resolve_inputs(inputs, engine, read)
    with warnings.catch_warnings(record=True) as read_caught:
        warnings.simplefilter("always", DivergenceWarning)
        got = read_step(inputs, engine_name, specific, columns, read, pseudonymise=options.pseudonymise,
                        key=options.key, progress=progress)
    for w in read_caught:  # re-issue so callers (the CLI) see them too
        warnings.warn(w.message, w.category, stacklevel=2)
    record = {"inputs": [safe_input(p) for p in inputs], "engine": engine_name, **columns.keys(), **read.record(),
              **options.record(), **{k: v for k, v in specific.items() if v is not None}}
    if got.mapping is not None:
        record["mapping"] = got.mapping  # the renamings applied and the names kept
    result = analyse_events(
        got.events, options=options, read=read, progress=progress, record=record, sources=got.sources,
        profiles=got.profiles, unfinished=got.unfinished, paths=[p for p in inputs if isinstance(p, Path)],
    )
    result.warnings[:0] = [r for r in records_of(read_caught) if r not in result.warnings]
    result.timings["read"] = got.seconds
    if got.aggregate_seconds is not None:
        result.timings[f"aggregate:{engine_name}"] = got.aggregate_seconds
    return result


@relaxing
def analyse_events(
    events: pd.DataFrame | None,
    *,
    options: Options | None = None,
    read: ReadOptions | None = None,
    progress: ProgressFn = no_progress,
    record: dict[str, Any] | None = None,
    sources: list[dict[str, Any]] | None = None,
    profiles: dict[str, dict[str, UnitProfile]] | None = None,
    unfinished: dict | None = None,
    paths: list[Path] = (),
    targets: Mapping[str | None, str] | None = None,
    **keywords: Any,
) -> AnalysisResult:
    """Analyse a canonical event frame (or ready-made profiles from another engine).

    ``events`` may be ``None`` when ``profiles`` (``{process: {unit:
    UnitProfile}}``, e.g. from :func:`divergence.engines.profile_source`) are
    given. ``unfinished`` is the table of :mod:`divergence.unfinished` when it
    was made before profiling (``complete_only``); else it is computed from
    the profiles. ``paths``: input folders whose ``targets/`` hold default
    targets. ``targets``: the target of each process (key ``None``: of the
    others) instead of ``options.target``. ``keywords``: fields of :class:`Options` (or :class:`ReadOptions`)
    instead of the objects.
    """
    from .costs.model import load_cost_model
    from .harmonise.specs import parse_targets
    from .names import warn_name_clashes
    from .unfinished import report_unfinished, unfinished_from_profiles

    if events is None and profiles is None:
        raise OptionError("analyse_events needs an event frame or ready-made profiles")
    _, read, options, _ = _option_objects(None, read, options, None, keywords)
    cost_model = load_cost_model(options.cost_model)
    targets = dict(targets) if targets is not None else parse_targets(list(options.target), paths)
    targets.setdefault(None, "auto")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        t0 = time.perf_counter()
        progress("profiling", 0, 1)
        if profiles is None:
            profiles = profile_units(events)
        progress("profiling", 1, 1)
        t_profile = time.perf_counter() - t0
        warn_name_clashes(profiles)
        dropped = unfinished is not None
        if unfinished is None:
            unfinished = unfinished_from_profiles(profiles, list(read.end_activities) or None)
        report_unfinished(unfinished, dropped=dropped)
        warn_low_evidence(profiles)
        processes = {
            p: analyse_process(p, units, targets.get(p, targets[None]), options, cost_model, progress=progress,
                               from_folder=not options.target)
            for p, units in profiles.items()
        }
    for w in caught:  # re-issue so callers (the CLI) see them too
        warnings.warn(w.message, w.category, stacklevel=2)
    return AnalysisResult(processes=processes, options=record if record is not None else options.record(),
                          sources=sources or [], warnings=records_of(caught), version=__version__,
                          timings={"profile": t_profile}, unfinished=unfinished)


def analyse_process(process: str, profiles: Mapping[str, UnitProfile], target_spec: str, options: Options,
                    cost_model: Any, *, progress: ProgressFn = no_progress, from_folder: bool = False) -> ProcessResult:
    """One process: models, measures, families, target and backlog, costs, waves."""
    from . import costs, difftests, families, harmonise, measures, model
    from .costs import montecarlo
    from .harmonise import waves
    from .families import commonality

    timings: dict[str, float] = {}
    units = list(profiles)
    stage = f"{process}: "

    def step(name: str, since: float) -> float:
        timings[name] = time.perf_counter() - since
        return time.perf_counter()

    t = time.perf_counter()
    models = model.discover_models(profiles, noise_threshold=options.noise_threshold,
                                   progress=lambda d, n: progress(stage + "discovering models", d, n))
    t = step("discovery", t)
    progress(stage + "measuring divergence", 0, 1)
    m = measures.measure_process([profiles[u] for u in units], [models[u] for u in units], weights=options.weights)
    progress(stage + "measuring divergence", 1, 1)
    t = step("measures", t)
    progress(stage + "finding families", 0, 1)
    grouped, excluded = families.grouped_units(process, profiles, options.min_unit_cases)
    fam = families.group_units(m.matrices["combined"], units, grouped, options.families)
    job = families.start_bootstrap(profiles, models, units, grouped, m.conformance_methods, fam,
                                   weights=options.weights, n=options.bootstrap, seed=options.seed)
    try:
        common = commonality.common_core(list(profiles.values()))
        family_common = {f: commonality.common_core([profiles[u] for u in ms]) for f, ms in fam.members.items()}
        t = step("families", t)
        progress(stage + "choosing the target", 0, 1)
        plan = harmonise.harmonise(
            target_spec, profiles, models, price=costs.pricer(profiles, cost_model), medoids=list(fam.medoids.values()),
            eligible=[u for u in grouped if not profiles[u].low_evidence], noise_threshold=options.noise_threshold,
            min_share=options.min_share, alpha=options.alpha, tolerance=options.mix_tolerance,
            method="dfg" if m.many_variants else "auto", from_folder=from_folder,
            progress=lambda done, total: progress(stage + "choosing the target", done, total),
        )
        family_costs, total = costs.price_families(plan.costs, fam.members, units)
        fitness = {u: plan.fits[u].fitness for u in grouped}
        central = {u: plan.costs[u].cost_gbp["central"] for u in grouped}
        family_of = {u: f for f, ms in fam.members.items() for u in ms}
        waves_plan = waves.plan_for(grouped, fitness, central, family_of)
        t = step("harmonise", t)
        differences = difftests.process_tests(profiles, plan.target.profile, target_name=plan.target.name,
                                              alpha=options.alpha)
        t = step("difference_tests", t)
        simulation = None
        if options.draws:
            co = montecarlo.coefficients(profiles, plan.changes, plan.target.profile, units)
            simulation = montecarlo.simulate(co, cost_model, families=fam.members, draws=options.draws,
                                             seed=options.seed)
        t = step("monte_carlo", t)
        if job is not None:
            progress(stage + "family stability", 0, 1)
        boot = job.result() if job is not None else None
    finally:
        if job is not None:
            job.close()  # on an error above: stop the bootstrap
    step("stability_wait", t)
    return ProcessResult(
        process=process, units=units, profiles=dict(profiles), matrices=m.matrices, conformance_raw=m.conformance_raw,
        measure_details=m.details, families=fam,
        stability=dict(boot.per_family) if boot is not None else {f: 1.0 for f in fam.members},
        common=common, family_common=family_common, models=models, target=plan.target, alignments=plan.fits,
        changes=plan.changes, costs=plan.costs, family_costs=family_costs, total_cost=total, waves=waves_plan,
        timings=timings, exceptions=plan.exceptions, excluded=tuple(excluded), family_bootstrap=boot,
        differences=differences, cost_simulation=simulation,
    )


def _option_objects(columns, read, options, engine, keywords: Mapping[str, Any]):
    """The four option objects: those given, or made from flat keywords (not both for the same object)."""
    kc, kr, ko, ke = split_options(keywords)
    given = {"columns": (columns, kc, Columns()), "read": (read, kr, ReadOptions()),
             "options": (options, ko, Options()), "engine": (engine, ke, EngineOptions())}
    out = []
    for name, (obj, from_kw, default) in given.items():
        if obj is not None and from_kw != default:
            raise OptionError(f"give the {name} either as a {type(default).__name__} or as keywords, not both")
        out.append(obj if obj is not None else from_kw)
    return tuple(out)
