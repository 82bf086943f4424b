"""Simulate one unit's event log from a process standard and the unit's planted edits."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pandas as pd

from .spec import PROCESSES, SEED, Edit, ProcessSpec, Step, UnitSpec

__all__ = ["simulate_unit", "simulate_process", "unit_rng"]

_DAY_MINUTES = 600  # 08:00-18:00 local working day
_YEAR_START = pd.Timestamp("2024-01-01")  # a Monday
_WORKING_DAYS = 240  # case starts spread over the first 48 working weeks
_LOCAL_TZ = "Europe/London"


def unit_rng(process: str, unit: str, *, seed: int = SEED) -> np.random.Generator:
    """The random stream of one (process, unit) log, independent of all others."""
    return np.random.default_rng([seed, zlib.crc32(process.encode()), zlib.crc32(unit.encode())])


def simulate_unit(process: str, unit: str, *, seed: int = SEED) -> pd.DataFrame:
    """One unit's log of one process as a canonical frame plus a ``role`` column.

    Columns: ``process, unit, case, activity, timestamp`` (datetime64[ns, UTC],
    working hours Mon-Fri 08:00-18:00 Europe/London), ``resource, role``;
    sorted by case then time. Deterministic for a given ``seed``.
    """
    spec = PROCESSES[process]
    u = spec.unit(unit)
    rng = unit_rng(process, unit, seed=seed)
    steps = {s.name: s for s in spec.steps}
    for e in u.edits:
        if e.step is not None:
            steps[e.step.name] = e.step
    traces = [_trace(spec, u, rng) for _ in range(u.cases)]
    return _events(spec, u, traces, steps, rng)


def simulate_process(process: str, *, seed: int = SEED) -> pd.DataFrame:
    """All units' logs of one process, concatenated in unit order."""
    frames = [simulate_unit(process, u.unit, seed=seed) for u in PROCESSES[process].units]
    return pd.concat(frames, ignore_index=True)


# --- control flow -------------------------------------------------------------


def _trace(spec: ProcessSpec, u: UnitSpec, rng: np.random.Generator) -> list[str]:
    trace = [s.name for s in spec.steps if s.optional >= 1.0 or rng.random() < s.optional]
    for a, b in spec.parallel:
        if rng.random() < 0.5 and a in trace and b in trace:
            _swap(trace, a, b)
    for e in u.edits:
        if rng.random() < e.share:
            _apply(trace, e)
    n = u.noise
    if rng.random() < n.rework and len(trace) > 1:
        i = int(rng.integers(1, len(trace)))
        trace.insert(i + 1, trace[i])
    if rng.random() < n.skip and len(trace) > 2:
        del trace[int(rng.integers(1, len(trace) - 1))]
    if rng.random() < n.swap and len(trace) > 3:
        i = int(rng.integers(1, len(trace) - 2))
        trace[i], trace[i + 1] = trace[i + 1], trace[i]
    return trace


def _apply(trace: list[str], e: Edit) -> None:
    if e.kind == "add":
        if e.activities[0] in trace:
            trace.remove(e.activities[0])
    elif e.kind == "drop":
        if e.after in trace:
            trace.insert(trace.index(e.after) + 1, e.activities[0])
    elif e.kind == "reorder":
        a, b = e.activities
        if a in trace and b in trace:
            _swap(trace, a, b)
    else:  # rework
        a = e.activities[0]
        if a in trace:
            trace.insert(trace.index(a) + 1, a)


def _swap(trace: list[str], a: str, b: str) -> None:
    i, j = trace.index(a), trace.index(b)
    trace[i], trace[j] = trace[j], trace[i]


# --- time and resources -------------------------------------------------------


def _events(
    spec: ProcessSpec, u: UnitSpec, traces: list[list[str]], steps: dict[str, Step], rng: np.random.Generator
) -> pd.DataFrame:
    lengths = np.fromiter((len(t) for t in traces), dtype=np.int64, count=len(traces))
    acts = np.array([a for t in traces for a in t], dtype=object)
    first = np.zeros(len(acts), dtype=bool)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    first[starts] = True
    med = np.array([steps[a].median_hours for a in acts], dtype=float)
    sig = np.array([steps[a].sigma for a in acts], dtype=float)
    wait = np.exp(np.log(np.maximum(med, 1e-9)) + sig * rng.standard_normal(len(acts))) * 60.0
    wait = np.where(first, 0.0, np.maximum(np.round(wait), 1.0))
    case_start = np.sort(rng.uniform(0, _WORKING_DAYS * _DAY_MINUTES, len(traces)).round())
    # later cases get later starts: case ids follow start order
    within = np.cumsum(wait) - np.repeat(np.cumsum(wait)[starts], lengths)
    minutes = np.repeat(case_start, lengths) + within
    timestamps = _working_minutes_to_utc(minutes)

    roles = np.array([steps[a].role for a in acts], dtype=object)
    resources = _resources(u, roles, rng)
    code = spec.prefix + "-" + _unit_code(u.unit)
    case_ids = np.repeat(np.array([f"{code}-{i + 1:06d}" for i in range(len(traces))], dtype=object), lengths)
    return pd.DataFrame(
        {
            "process": spec.name,
            "unit": u.unit,
            "case": case_ids,
            "activity": acts,
            "timestamp": timestamps,
            "resource": resources,
            "role": roles,
        }
    ).astype({"process": "str", "unit": "str", "case": "str", "activity": "str", "resource": "str", "role": "str"})


def _working_minutes_to_utc(minutes: np.ndarray) -> pd.DatetimeIndex:
    day = np.floor(minutes / _DAY_MINUTES).astype(np.int64)
    minute = minutes - day * _DAY_MINUTES
    calendar_days = (day // 5) * 7 + day % 5
    seconds = calendar_days * 86400 + 8 * 3600 + np.round(minute * 60).astype(np.int64)
    local = _YEAR_START + pd.to_timedelta(seconds, unit="s")
    return pd.DatetimeIndex(local).tz_localize(_LOCAL_TZ).tz_convert("UTC").as_unit("ns")


def _resources(u: UnitSpec, roles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(roles), dtype=object)
    for role in sorted(set(roles)):
        mask = roles == role
        pool = max(2, min(12, round(u.cases / 45)))
        slug = re.sub(r"[^a-z0-9]+", "_", role.lower()).strip("_")
        names = np.array([f"{slug}_{k + 1:02d}@{u.unit}" for k in range(pool)], dtype=object)
        out[mask] = names[rng.integers(0, pool, int(mask.sum()))]
    return out


def _unit_code(unit: str) -> str:
    from .spec import UNIT_CODES

    return UNIT_CODES.get(unit, unit.upper())
