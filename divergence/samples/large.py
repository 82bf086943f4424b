"""Large synthetic logs for benchmarks, generated vectorised with numpy.

One procurement-like process with ``n_activities`` activities, run by
``n_units`` units in a few process families. Each unit has a base path
(its family's path with one unit-specific change); every case then skips
optional steps, repeats steps and swaps adjacent steps by random masks, which
gives a long tail of distinct variants. No per-event Python loop: cases are
rows of a (cases x path length) matrix, expanded to events with ``np.repeat``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OptionError

__all__ = ["generate_large", "write_large", "LARGE_FORMATS"]

LARGE_FORMATS = ("parquet", "csv")

_NAMES = (
    "Create requisition", "Check catalogue", "Add line items", "Attach quote", "Submit requisition",
    "Approve requisition", "Budget check", "Second approval", "Assign buyer", "Request quotes",
    "Evaluate quotes", "Select supplier", "Check supplier risk", "Negotiate terms", "Create contract",
    "Create PO", "Approve PO", "Send PO", "Supplier acknowledges", "Change PO",
    "Expedite order", "Ship goods", "Receive goods", "Inspect goods", "Return goods",
    "Put away", "Receive invoice", "Scan invoice", "Register invoice", "Three-way match",
    "Resolve price variance", "Resolve quantity variance", "Approve invoice", "Post to ledger",
    "Schedule payment", "Apply discount", "Pay", "Send remittance", "Reconcile payment", "Close PO",
)
_ROLES = 8
_STAFF_PER_ROLE = 6
_START = np.datetime64("2024-01-01T00:00:00", "s")


def generate_large(n_events: int, *, n_units: int = 10, n_activities: int = 40, seed: int = 7) -> pd.DataFrame:
    """A large canonical event frame of one procurement-like process.

    Parameters
    ----------
    n_events : int
        Wanted number of events; the result has this many within one case
        (always within 5 %).
    n_units : int, default 10
        Units, named ``unit_00`` ...; unit ``i`` belongs to family ``i % 4``
        (fewer families when there are fewer than 8 units). Unit sizes follow
        a Zipf-like law.
    n_activities : int, default 40
        Distinct activities (at least 8).
    seed : int, default 7

    Returns
    -------
    pandas.DataFrame
        Columns ``process`` ("procurement"), ``unit``, ``case``, ``activity``,
        ``timestamp`` (datetime64[ns, UTC]), ``resource``; sorted by unit,
        case and time.

    Notes
    -----
    Linear in ``n_events``: about 1 s per million events.
    """
    if n_events < 1:
        raise OptionError(f"n_events must be positive, got {n_events}")
    if n_units < 1:
        raise OptionError(f"n_units must be positive, got {n_units}")
    if n_activities < 8:
        raise OptionError(f"n_activities must be at least 8, got {n_activities}")
    rng = np.random.default_rng(seed)
    paths, lengths, p_skip, p_rework, p_swap = _unit_paths(rng, n_units, n_activities)
    L = paths.shape[1]
    weights = 1.0 / np.arange(1, n_units + 1) ** 0.6
    weights /= weights.sum()
    valid = paths >= 0
    mean_len = float(((valid * (1 - p_skip + p_rework)).sum(axis=1) * weights).sum())
    n_cases = int(np.ceil(n_events / mean_len * 1.06)) + 20

    case_unit = rng.choice(n_units, size=n_cases, p=weights)
    act = paths[case_unit]
    ok = valid[case_unit]
    skip = rng.random((n_cases, L)) < p_skip[case_unit]
    reps = np.where(ok & ~skip, 1 + (rng.random((n_cases, L)) < p_rework[case_unit]), 0).astype(np.int64)
    swap = rng.random((n_cases, L)) < p_swap[case_unit]
    key = np.arange(L, dtype=np.float64) + np.where(swap, 1.5, 0.0)
    order = np.argsort(key, axis=1, kind="stable")
    act = np.take_along_axis(act, order, axis=1)
    reps = np.take_along_axis(reps, order, axis=1)

    per_case = reps.sum(axis=1)
    cum = np.cumsum(per_case)
    k = int(np.searchsorted(cum, n_events)) + 1  # first k cases reach n_events
    k = min(k, n_cases)
    if k > 1 and abs(cum[k - 2] - n_events) <= abs(cum[k - 1] - n_events):
        k -= 1
    keep = np.argsort(case_unit[:k], kind="stable")  # group by unit, keep draw order within
    case_unit, act, reps, per_case = case_unit[keep], act[:k][keep], reps[:k][keep], per_case[:k][keep]

    ev_act = np.repeat(act.ravel(), reps.ravel())
    ev_case = np.repeat(np.arange(k), per_case)
    n = len(ev_act)
    med_hours = np.exp(rng.uniform(np.log(0.5), np.log(60), n_activities))
    gap = np.exp(np.log(med_hours[ev_act]) + 0.8 * rng.standard_normal(n)) * 3600.0
    starts = np.concatenate([[0], np.cumsum(per_case)[:-1]])
    gap = np.maximum(gap, 1.0).astype(np.int64)
    gap[starts] = 0
    csum = np.cumsum(gap)
    within = csum - np.repeat(csum[starts], per_case)
    case_start = rng.integers(0, 365 * 86400, k)
    seconds = np.repeat(case_start, per_case) + within
    ts = pd.DatetimeIndex((_START + seconds.astype("timedelta64[s]")).astype("datetime64[ns]")).tz_localize("UTC")

    units = [f"unit_{i:02d}" for i in range(n_units)]
    names = [_activity_name(i) for i in range(n_activities)]
    ev_unit = np.repeat(case_unit, per_case)
    role = ev_act % _ROLES
    res_code = (ev_unit * _ROLES + role) * _STAFF_PER_ROLE + rng.integers(0, _STAFF_PER_ROLE, n)
    res_names = [
        f"role{r}_{s:02d}@{u}" for u in units for r in range(_ROLES) for s in range(1, _STAFF_PER_ROLE + 1)
    ]
    case_names = [f"PRC-{case_unit[i]:02d}-{i:07d}" for i in range(k)]
    return pd.DataFrame(
        {
            "process": _strings(["procurement"], np.zeros(n, dtype=np.int64)),
            "unit": _strings(units, ev_unit),
            "case": _strings(case_names, ev_case),
            "activity": _strings(names, ev_act),
            "timestamp": ts,
            "resource": _strings(res_names, res_code),
        }
    )


def write_large(path_dir: str | Path, n_events: int, fmt: str = "parquet", **kwargs: int) -> list[Path]:
    """Write :func:`generate_large` output as one file per unit, ``<unit>.<fmt>``.

    ``fmt`` is ``"parquet"`` (pm4py column names, timestamp[us, tz=UTC]) or
    ``"csv"`` (``case_id,activity,timestamp,resource``). Extra keyword
    arguments go to :func:`generate_large`. Returns the paths, sorted.
    """
    if fmt not in LARGE_FORMATS:
        raise OptionError(f"unknown format {fmt!r}; valid: {', '.join(LARGE_FORMATS)}")
    frame = generate_large(n_events, **kwargs)
    root = Path(path_dir)
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for unit, part in frame.groupby("unit", sort=True, observed=True):
        path = root / f"{unit}.{fmt}"
        if fmt == "parquet":
            table = pa.table(
                {
                    "case:concept:name": pa.array(part["case"], pa.string()),
                    "concept:name": pa.array(part["activity"], pa.string()),
                    "time:timestamp": pa.array(part["timestamp"].dt.as_unit("us").array.asi8, pa.int64()).cast(
                        pa.timestamp("us", tz="UTC")
                    ),
                    "org:resource": pa.array(part["resource"], pa.string()),
                }
            )
            pq.write_table(table, path, compression="zstd")
        else:
            pd.DataFrame(
                {
                    "case_id": part["case"].to_numpy(),
                    "activity": part["activity"].to_numpy(),
                    "timestamp": part["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
                    "resource": part["resource"].to_numpy(),
                }
            ).to_csv(path, index=False, lineterminator="\n")
        out.append(path)
    return sorted(out)


# --- helpers ------------------------------------------------------------------


def _activity_name(i: int) -> str:
    return _NAMES[i] if i < len(_NAMES) else f"Step {i + 1:03d}"


def _strings(categories: list[str], codes: np.ndarray) -> pd.Series:
    """A ``str`` Series of ``categories[codes]``, built without a per-row Python loop."""
    values = pa.array(categories, pa.large_string()).take(pa.array(codes, pa.int64()))
    return pd.Series(pd.array(values, dtype="str"))


def _unit_paths(
    rng: np.random.Generator, n_units: int, n_activities: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: path (padded with -1), length and per-position skip/rework/swap probabilities."""
    n_fam = max(1, min(4, n_units // 2))
    core = n_activities * 2 // 3
    fam_paths = []
    for f in range(n_fam):
        acts = np.arange(n_activities)
        middle = np.sort(rng.choice(acts[1:-1], size=core - 2, replace=False))
        path = np.concatenate([[0], middle, [n_activities - 1]])
        for _ in range(2 + f):  # family-specific block swaps
            i = int(rng.integers(1, len(path) - 3))
            path[i], path[i + 1] = path[i + 1], path[i]
        fam_paths.append(path)
    paths, probs = [], []
    for u in range(n_units):
        path = fam_paths[u % n_fam].copy()
        i = int(rng.integers(1, len(path) - 2))
        if u // n_fam % 2:  # unit-specific change: a swap or an extra step
            path[i], path[i + 1] = path[i + 1], path[i]
        else:
            extra = int(rng.choice(np.setdiff1d(np.arange(n_activities), path)))
            path = np.insert(path, i, extra)
        n = len(path)
        skip = np.full(n, 0.008)
        skip[rng.choice(np.arange(1, n - 1), size=5, replace=False)] = rng.uniform(0.2, 0.6, 5)
        skip[[0, n - 1]] = 0.0
        rework = np.full(n, 0.004)
        rework[rng.choice(np.arange(1, n - 1), size=3, replace=False)] = rng.uniform(0.05, 0.2, 3)
        swap = np.full(n, 0.008)
        swap[[0, n - 2, n - 1]] = 0.0
        paths.append(path)
        probs.append((skip, rework, swap))
    L = max(len(p) for p in paths)
    out = np.full((n_units, L), -1, dtype=np.int64)
    p_skip, p_rework, p_swap = (np.zeros((n_units, L)) for _ in range(3))
    for u, (path, (s, r, w)) in enumerate(zip(paths, probs)):
        out[u, : len(path)] = path
        p_skip[u, : len(path)], p_rework[u, : len(path)], p_swap[u, : len(path)] = s, r, w
    return out, np.array([len(p) for p in paths]), p_skip, p_rework, p_swap
