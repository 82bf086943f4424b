"""Unit profiles: the one step that touches events.

:func:`profile_units` groups the canonical event frame into, per (process,
unit), a :class:`UnitProfile`: unique variants with case counts, directly-
follows edges with counts and waiting times, activity and resource statistics
and the distribution of case throughput times. Everything after this step
works on these aggregates, whose size depends on the number of unique
variants, not on the number of events.

The aggregation is split in two so that other engines (DuckDB, Spark, a SQL
database) can compute the same aggregate tables where the data lives:
:func:`aggregate_events` (pandas, vectorised, no per-case Python loop) returns
:class:`Aggregates`, and :func:`assemble_profiles` turns any engine's
aggregates into profiles.

Variants are found without a per-case loop: activities are integer-coded, and
each case's sequence gets two independent 64-bit polynomial hashes computed
with ``numpy.add.reduceat``; (length, hash1, hash2) identifies a variant
(collision chance about 2**-128 per pair). Only one representative case per
unique variant is decoded back into activity names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import EmptyLogError, warn
from .schema import ACTIVITY, CASE, PROCESS, RESOURCE, TIMESTAMP, UNIT
from .waits import edge_wait_counts, empty_edge_waits

__all__ = [
    "UnitProfile",
    "Aggregates",
    "profile_units",
    "aggregate_events",
    "assemble_profiles",
    "profile_from_variants",
    "warn_low_evidence",
    "VARIANT_SEPARATOR",
]

#: Separator of activity names in a variant's string form (engines use it in
#: ``string_agg``); control characters are stripped from names on input.
VARIANT_SEPARATOR = "\x1f"

_P1 = np.uint64(1_000_003)
_P2 = np.uint64(2_147_483_647)


@dataclass(frozen=True)
class UnitProfile:
    """What one unit does in one process, aggregated over its cases.

    Attributes
    ----------
    process, unit : str
    cases, events : int
    variants : DataFrame
        ``variant`` (tuple of activity names), ``cases`` (int), ``share``
        (float), ``median_duration_s`` (float); sorted by cases descending,
        then variant.
    activities : DataFrame
        ``activity``, ``events``, ``cases``, ``resources`` (distinct),
        ``median_service_s`` (NaN where the log has no start times); sorted
        by activity.
    edges : DataFrame
        Directly-follows pairs within cases: ``source``, ``target``,
        ``events`` (occurrences), ``cases`` (cases with the pair),
        ``median_wait_s``; sorted by source, target.
    resources : DataFrame
        ``activity``, ``resource``, ``events``: who does what.
    durations : DataFrame
        Throughput-time distribution: ``duration_s``, ``cases``; sorted.
    first, last : pandas.Timestamp
        First and last event time (UTC): the period the log covers.
    edge_waits : DataFrame or None
        Waiting times per edge in the fixed bins of :mod:`divergence.waits`:
        ``source``, ``target``, ``bin``, ``events`` (non-zero counts only;
        sorted); None where unknown (profile files written before it existed,
        behaviour known only as variants).
    """

    process: str
    unit: str
    cases: int
    events: int
    variants: pd.DataFrame
    activities: pd.DataFrame
    edges: pd.DataFrame
    resources: pd.DataFrame
    durations: pd.DataFrame
    first: pd.Timestamp
    last: pd.Timestamp
    low_evidence: bool = False
    edge_waits: pd.DataFrame | None = None

    @property
    def years(self) -> float:
        """Length of the period the log covers, in years (at least one day)."""
        seconds = max((self.last - self.first).total_seconds(), 86_400.0)
        return seconds / (365.25 * 86_400.0)

    @property
    def cases_per_year(self) -> float:
        return self.cases / self.years

    def top_variant_coverage(self, k: int = 10) -> float:
        """Share of cases covered by the ``k`` most frequent variants."""
        return float(self.variants["share"].head(k).sum())

    def start_activities(self) -> pd.Series:
        """Cases starting with each activity."""
        return _ends(self.variants, 0)

    def end_activities(self) -> pd.Series:
        """Cases ending with each activity."""
        return _ends(self.variants, -1)


@dataclass(frozen=True)
class Aggregates:
    """Engine-neutral aggregate tables, all keyed by ``process`` and ``unit``.

    ``variants``: variant (str, names joined by :data:`VARIANT_SEPARATOR`),
    cases, median_duration_s. ``edges``: source, target, events, cases,
    median_wait_s. ``activities``: activity, events, cases, resources,
    median_service_s. ``resources``: activity, resource, events.
    ``durations``: duration_s, cases. ``units``: cases, events, first, last.
    ``edge_waits``: source, target, bin, events (:mod:`divergence.waits`).
    """

    variants: pd.DataFrame
    edges: pd.DataFrame
    activities: pd.DataFrame
    resources: pd.DataFrame
    durations: pd.DataFrame
    units: pd.DataFrame
    extra: dict = field(default_factory=dict)
    edge_waits: pd.DataFrame | None = None


def profile_units(
    events: pd.DataFrame, *, min_cases_evidence: int = 30
) -> dict[str, dict[str, UnitProfile]]:
    """Profile every (process, unit) of a canonical event frame.

    Parameters
    ----------
    events : DataFrame
        Canonical frame as returned by :func:`divergence.read_logs`.
    min_cases_evidence : int, default 30
        Units with fewer cases are flagged ``low_evidence``.

    Returns
    -------
    dict
        ``{process: {unit: UnitProfile}}``, both levels sorted by name.
    """
    return assemble_profiles(aggregate_events(events), min_cases_evidence=min_cases_evidence)


def warn_low_evidence(profiles: dict[str, dict[str, UnitProfile]]) -> None:
    """Warn (``low_evidence``) about every unit flagged low-evidence (too few cases to read much into)."""
    for p, units in profiles.items():
        for u, prof in units.items():
            if prof.low_evidence:
                warn("low_evidence", f"process {p!r}, unit {u!r}: only {prof.cases} cases; flagged as low-evidence",
                     None, prof.cases)


def aggregate_events(events: pd.DataFrame) -> Aggregates:
    """Compute the aggregate tables from a canonical event frame (pandas engine).

    All work is on integer codes: process, unit, case, activity and resource
    are dictionary-encoded once (codes follow the sorted names, so results
    are deterministic), events are ordered with one ``numpy.lexsort``, and
    every statistic is a group-by over int64 keys.
    """
    n = len(events)
    if n == 0:
        raise EmptyLogError("no events to analyse")
    proc_names, pcode = _codes(events[PROCESS])
    unit_names, ucode = _codes(events[UNIT])
    _, ccode = _codes(events[CASE])
    act_names, acode = _codes(events[ACTIVITY])
    ts = _ns(events[TIMESTAMP])
    order = np.lexsort((np.arange(n), ts, ccode, ucode, pcode))
    pcode, ucode, ccode, acode, ts = pcode[order], ucode[order], ccode[order], acode[order], ts[order]
    pu = pcode * len(unit_names) + ucode  # (process, unit) key

    new = np.ones(n, dtype=bool)
    new[1:] = (pu[1:] != pu[:-1]) | (ccode[1:] != ccode[:-1])
    starts = np.flatnonzero(new)
    case_idx = np.cumsum(new) - 1
    lengths = np.diff(np.append(starts, n))
    pos = np.arange(n) - starts[case_idx]
    pu_case = pu[starts]

    # variant identity: (length, two polynomial hashes) per case
    max_len = int(lengths.max())
    sym = acode.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(sym * _powers(_P1, max_len)[pos], starts)
        h2 = np.add.reduceat(sym * _powers(_P2, max_len)[pos], starts)
    t_first = ts[starts]
    t_last = ts[starts + lengths - 1]
    dur_s = (t_last - t_first) / 1e9

    cases = pd.DataFrame({"pu": pu_case, "len": lengths, "h1": h1, "h2": h2, "start": starts, "dur": dur_s})
    var = (
        cases.groupby(["pu", "len", "h1", "h2"], sort=False)
        .agg(cases=("start", "size"), start=("start", "first"), median_duration_s=("dur", "median"))
        .reset_index()
    )
    var["variant"] = [
        VARIANT_SEPARATOR.join(act_names[acode[s : s + ln]])
        for s, ln in zip(var["start"].to_numpy(), var["len"].to_numpy())
    ]
    variants = _with_keys(var, proc_names, unit_names, ["variant", "cases", "median_duration_s"])

    # directly-follows edges within cases
    same = ~new[1:]
    n_act = len(act_names)
    ekey = (pu[1:][same] * n_act + acode[:-1][same]) * n_act + acode[1:][same]
    e = pd.DataFrame({"k": ekey, "case": case_idx[1:][same], "wait": (ts[1:][same] - ts[:-1][same]) / 1e9})
    edges = e.groupby("k", sort=True).agg(events=("wait", "size"), median_wait_s=("wait", "median"))
    edges["cases"] = e.drop_duplicates(["k", "case"]).groupby("k", sort=True).size()
    edges = edges.reset_index()
    k = edges["k"].to_numpy()
    edges["pu"] = k // (n_act * n_act)
    edges["source"] = act_names[(k // n_act) % n_act]
    edges["target"] = act_names[k % n_act]
    edges = _with_keys(edges, proc_names, unit_names, ["source", "target", "events", "cases", "median_wait_s"])
    ew = edge_wait_counts(e["k"].to_numpy(), e["wait"].to_numpy())
    kw = ew["k"].to_numpy()
    ew["pu"], ew["source"], ew["target"] = kw // (n_act * n_act), act_names[(kw // n_act) % n_act], act_names[kw % n_act]
    edge_waits = _with_keys(ew, proc_names, unit_names, ["source", "target", "bin", "events"])

    # activities and resources
    akey = pu * n_act + acode
    a = pd.DataFrame({"k": akey, "case": case_idx})
    if "start_timestamp" in events.columns:
        st = _ns(events["start_timestamp"], nat_ok=True)[order]
        service = (ts - st) / 1e9
        service[st == np.iinfo(np.int64).min] = np.nan
        a["service"] = service
    else:
        a["service"] = np.nan
    acts = a.groupby("k", sort=True).agg(events=("case", "size"), median_service_s=("service", "median"))
    acts["cases"] = a.drop_duplicates(["k", "case"]).groupby("k", sort=True).size()
    if RESOURCE in events.columns:
        res_names, rcode = _codes(events[RESOURCE])
        rcode = rcode[order]
        has = rcode >= 0
        r = pd.DataFrame({"k": akey[has], "r": rcode[has]})
        rc = r.groupby(["k", "r"], sort=True).size().rename("events").reset_index()
        acts["resources"] = rc.groupby("k").size()
        kk = rc["k"].to_numpy()
        rc["pu"] = kk // n_act
        rc["activity"] = act_names[kk % n_act]
        rc["resource"] = res_names[rc["r"].to_numpy()]
        resources = _with_keys(rc, proc_names, unit_names, ["activity", "resource", "events"])
    else:
        acts["resources"] = 0
        resources = pd.DataFrame(columns=[PROCESS, UNIT, "activity", "resource", "events"])
    acts["resources"] = acts["resources"].fillna(0).astype(np.int64)
    acts = acts.reset_index()
    ka = acts["k"].to_numpy()
    acts["pu"] = ka // n_act
    acts["activity"] = act_names[ka % n_act]
    activities = _with_keys(acts, proc_names, unit_names, ["activity", "events", "cases", "resources", "median_service_s"])

    durations = cases.groupby(["pu", "dur"], sort=True).size().rename("cases").reset_index()
    durations = durations.rename(columns={"dur": "duration_s"})
    durations = _with_keys(durations, proc_names, unit_names, ["duration_s", "cases"])
    units = (
        pd.DataFrame({"pu": pu_case, "len": lengths, "f": t_first, "l": t_last})
        .groupby("pu", sort=True)
        .agg(cases=("len", "size"), events=("len", "sum"), first=("f", "min"), last=("l", "max"))
        .reset_index()
    )
    units["first"] = pd.to_datetime(units["first"], utc=True)
    units["last"] = pd.to_datetime(units["last"], utc=True)
    units = _with_keys(units, proc_names, unit_names, ["cases", "events", "first", "last"])
    return Aggregates(variants, edges, activities, resources, durations, units, edge_waits=edge_waits)


def assemble_profiles(
    agg: Aggregates, *, min_cases_evidence: int = 30
) -> dict[str, dict[str, UnitProfile]]:
    """Build :class:`UnitProfile` objects from any engine's :class:`Aggregates`."""
    out: dict[str, dict[str, UnitProfile]] = {}
    groups = {
        name: {k: g for k, g in table.groupby([PROCESS, UNIT], sort=False)}
        for name, table in (
            ("variants", agg.variants),
            ("edges", agg.edges),
            ("activities", agg.activities),
            ("resources", agg.resources),
            ("durations", agg.durations),
            ("edge_waits", agg.edge_waits),
        )
        if table is not None
    }
    empty = {
        "edges": pd.DataFrame(columns=["source", "target", "events", "cases", "median_wait_s"]),
        "resources": pd.DataFrame(columns=["activity", "resource", "events"]),
        "edge_waits": empty_edge_waits(),
    }
    for row in agg.units.sort_values([PROCESS, UNIT]).itertuples(index=False):
        key = (getattr(row, PROCESS), getattr(row, UNIT))

        def part(name: str) -> pd.DataFrame:
            g = groups[name].get(key)
            if g is None:
                return empty[name].copy()
            return g.drop(columns=[PROCESS, UNIT])

        v = part("variants")
        v = pd.DataFrame(
            {
                "variant": [tuple(s.split(VARIANT_SEPARATOR)) if s else () for s in v["variant"]],
                "cases": v["cases"].astype(np.int64).to_numpy(),
                "median_duration_s": v["median_duration_s"].astype(float).to_numpy(),
            }
        )
        v = _sort(v, ["cases", "variant"], [False, True])
        v.insert(2, "share", v["cases"] / v["cases"].sum())
        e = _sort(part("edges"), ["source", "target"])
        e = e.astype({"events": np.int64, "cases": np.int64, "median_wait_s": float})
        a = _sort(part("activities"), ["activity"])
        a = a.astype({"events": np.int64, "cases": np.int64, "resources": np.int64, "median_service_s": float})
        r = _sort(part("resources"), ["activity", "resource"]).astype({"events": np.int64})
        d = _sort(part("durations"), ["duration_s"]).astype({"duration_s": float, "cases": np.int64})
        w = None if agg.edge_waits is None else _sort(part("edge_waits"), ["source", "target", "bin"]).astype(
            {"bin": np.int64, "events": np.int64})
        n_cases = int(row.cases)
        out.setdefault(key[0], {})[key[1]] = UnitProfile(
            process=str(key[0]),
            unit=str(key[1]),
            cases=n_cases,
            events=int(row.events),
            variants=v,
            activities=a,
            edges=e,
            resources=r,
            durations=d,
            first=pd.Timestamp(row.first),
            last=pd.Timestamp(row.last),
            low_evidence=n_cases < min_cases_evidence,
            edge_waits=w,
        )
    return {p: dict(sorted(u.items())) for p, u in sorted(out.items())}


def profile_from_variants(
    process: str,
    unit: str,
    variants: dict[tuple[str, ...], int],
    *,
    first: pd.Timestamp,
    last: pd.Timestamp,
) -> UnitProfile:
    """A profile of behaviour known only as variants with case counts (e.g. pooled behaviour).

    Activities and directly-follows edges are counted from the variants;
    times, resources and durations are unknown (NaN waits and service
    times, no resources, no durations, ``edge_waits`` None).
    """
    rows = sorted(((tuple(v), int(c)) for v, c in variants.items() if c > 0), key=lambda vc: (-vc[1], vc[0]))
    total = sum(c for _, c in rows)
    v = pd.DataFrame(
        {
            "variant": pd.Series([r[0] for r in rows], dtype=object),
            "cases": np.array([r[1] for r in rows], dtype=np.int64),
            "share": np.array([r[1] / total for r in rows], dtype=float) if total else np.zeros(len(rows)),
            "median_duration_s": np.full(len(rows), np.nan),
        }
    )
    a_events: dict[str, int] = {}
    a_cases: dict[str, int] = {}
    e_events: dict[tuple[str, str], int] = {}
    e_cases: dict[tuple[str, str], int] = {}
    for var, c in rows:
        for a in var:
            a_events[a] = a_events.get(a, 0) + c
        for a in set(var):
            a_cases[a] = a_cases.get(a, 0) + c
        pairs = list(zip(var, var[1:]))
        for e in pairs:
            e_events[e] = e_events.get(e, 0) + c
        for e in set(pairs):
            e_cases[e] = e_cases.get(e, 0) + c
    acts = sorted(a_events)
    activities = pd.DataFrame(
        {
            "activity": pd.Series(acts, dtype=object),
            "events": np.array([a_events[a] for a in acts], dtype=np.int64),
            "cases": np.array([a_cases[a] for a in acts], dtype=np.int64),
            "resources": np.zeros(len(acts), dtype=np.int64),
            "median_service_s": np.full(len(acts), np.nan),
        }
    )
    keys = sorted(e_events)
    edges = pd.DataFrame(
        {
            "source": pd.Series([k[0] for k in keys], dtype=object),
            "target": pd.Series([k[1] for k in keys], dtype=object),
            "events": np.array([e_events[k] for k in keys], dtype=np.int64),
            "cases": np.array([e_cases[k] for k in keys], dtype=np.int64),
            "median_wait_s": np.full(len(keys), np.nan),
        }
    )
    return UnitProfile(
        process=process,
        unit=unit,
        cases=int(total),
        events=int(sum(a_events.values())),
        variants=v,
        activities=activities,
        edges=edges,
        resources=pd.DataFrame(columns=["activity", "resource", "events"]),
        durations=pd.DataFrame({"duration_s": pd.Series(dtype=float), "cases": pd.Series(dtype=np.int64)}),
        first=first,
        last=last,
    )


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) with names sorted, so codes are deterministic."""
    codes, names = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.asarray(names, dtype=object), np.asarray(codes, dtype=np.int64)


def _ns(col: pd.Series, *, nat_ok: bool = False) -> np.ndarray:
    """Timestamps as int64 nanoseconds since the epoch (UTC)."""
    values = pd.to_datetime(col, utc=True) if nat_ok else col
    return values.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _with_keys(df: pd.DataFrame, procs: np.ndarray, units: np.ndarray, cols: list[str]) -> pd.DataFrame:
    """Decode the (process, unit) key ``pu`` into names, keeping ``cols``."""
    pu = df["pu"].to_numpy()
    out = pd.DataFrame({PROCESS: procs[pu // len(units)], UNIT: units[pu % len(units)]})
    for c in cols:
        out[c] = df[c].to_numpy()
    return out


def _powers(p: np.uint64, n: int) -> np.ndarray:
    """``p**i`` modulo 2**64 for i < n, by repeated squaring-free doubling."""
    out = np.ones(max(n, 1), dtype=np.uint64)
    k = 1
    with np.errstate(over="ignore"):
        while k < n:
            step = min(k, n - k)
            out[k : k + step] = out[:step] * (out[k - 1] * p)
            k += step
    return out[:n] if n else out[:0]


def _sort(df: pd.DataFrame, by: list[str], ascending: list[bool] | bool = True) -> pd.DataFrame:
    return df.sort_values(by, ascending=ascending, kind="stable").reset_index(drop=True)


def _ends(variants: pd.DataFrame, i: int) -> pd.Series:
    keys = [v[i] for v in variants["variant"] if v]
    w = variants.loc[[bool(v) for v in variants["variant"]], "cases"].to_numpy()
    s = pd.Series(w, index=keys).groupby(level=0).sum()
    return s.sort_values(ascending=False, kind="stable")
