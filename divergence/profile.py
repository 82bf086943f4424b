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

from .errors import EmptyLogError
from .schema import ACTIVITY, CASE, PROCESS, RESOURCE, TIMESTAMP, UNIT

__all__ = [
    "UnitProfile",
    "Aggregates",
    "profile_units",
    "aggregate_events",
    "assemble_profiles",
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
    """

    variants: pd.DataFrame
    edges: pd.DataFrame
    activities: pd.DataFrame
    resources: pd.DataFrame
    durations: pd.DataFrame
    units: pd.DataFrame
    extra: dict = field(default_factory=dict)


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


def aggregate_events(events: pd.DataFrame) -> Aggregates:
    """Compute the aggregate tables from a canonical event frame (pandas engine)."""
    if len(events) == 0:
        raise EmptyLogError("no events to analyse")
    df = events.sort_values([PROCESS, UNIT, CASE, TIMESTAMP], kind="stable")
    proc = df[PROCESS].to_numpy(dtype=object)
    unit = df[UNIT].to_numpy(dtype=object)
    case = df[CASE].to_numpy(dtype=object)
    n = len(df)

    # case boundaries: the frame is sorted, so a new case starts wherever
    # process, unit or case changes
    new = np.ones(n, dtype=bool)
    new[1:] = (proc[1:] != proc[:-1]) | (unit[1:] != unit[:-1]) | (case[1:] != case[:-1])
    starts = np.flatnonzero(new)
    case_idx = np.cumsum(new) - 1
    lengths = np.diff(np.append(starts, n))
    pos = np.arange(n) - starts[case_idx]

    act_names, act_codes = _codes(df[ACTIVITY])
    ts = df[TIMESTAMP].to_numpy(dtype="datetime64[ns]").astype(np.int64)

    # variant identity: (length, two polynomial hashes) per case
    max_len = int(lengths.max())
    pw1 = _powers(_P1, max_len)
    pw2 = _powers(_P2, max_len)
    sym = act_codes.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(sym * pw1[pos], starts)
        h2 = np.add.reduceat(sym * pw2[pos], starts)
    t_first = ts[starts]
    t_last = ts[starts + lengths - 1]
    dur_s = (t_last - t_first) / 1e9

    cases = pd.DataFrame(
        {
            PROCESS: proc[starts],
            UNIT: unit[starts],
            "len": lengths,
            "h1": h1,
            "h2": h2,
            "start": starts,
            "duration_s": dur_s,
        }
    )
    vkey = cases.groupby([PROCESS, UNIT, "len", "h1", "h2"], sort=False)
    var = vkey.agg(
        cases=("start", "size"),
        start=("start", "first"),
        median_duration_s=("duration_s", "median"),
    ).reset_index()
    var["variant"] = [
        VARIANT_SEPARATOR.join(act_names[act_codes[s : s + ln]])
        for s, ln in zip(var["start"].to_numpy(), var["len"].to_numpy())
    ]
    variants = var[[PROCESS, UNIT, "variant", "cases", "median_duration_s"]]

    # directly-follows edges within cases
    same = ~new[1:]
    src = act_codes[:-1][same]
    tgt = act_codes[1:][same]
    wait = (ts[1:][same] - ts[:-1][same]) / 1e9
    e = pd.DataFrame(
        {
            PROCESS: proc[1:][same],
            UNIT: unit[1:][same],
            "src": src,
            "tgt": tgt,
            "case": case_idx[1:][same],
            "wait": wait,
        }
    )
    eg = e.groupby([PROCESS, UNIT, "src", "tgt"], sort=False)
    edges = eg.agg(
        events=("wait", "size"), cases=("case", "nunique"), median_wait_s=("wait", "median")
    ).reset_index()
    edges.insert(2, "source", act_names[edges["src"].to_numpy()])
    edges.insert(3, "target", act_names[edges["tgt"].to_numpy()])
    edges = edges.drop(columns=["src", "tgt"])

    # activities and resources
    a = pd.DataFrame({PROCESS: proc, UNIT: unit, "act": act_codes, "case": case_idx})
    has_res = RESOURCE in df.columns
    res = df[RESOURCE].to_numpy(dtype=object) if has_res else np.full(n, None, dtype=object)
    a["resource"] = res
    if "start_timestamp" in df.columns:
        st = pd.to_datetime(df["start_timestamp"], utc=True).to_numpy(dtype="datetime64[ns]")
        service = (ts - st.astype(np.int64)) / 1e9
        service[np.isnat(st)] = np.nan
        a["service"] = service
    else:
        a["service"] = np.nan
    ag = a.groupby([PROCESS, UNIT, "act"], sort=False)
    activities = ag.agg(
        events=("case", "size"),
        cases=("case", "nunique"),
        resources=("resource", "nunique"),
        median_service_s=("service", "median"),
    ).reset_index()
    activities.insert(2, "activity", act_names[activities["act"].to_numpy()])
    activities = activities.drop(columns=["act"])

    r = a.dropna(subset=["resource"])
    resources = (
        r.groupby([PROCESS, UNIT, "act", "resource"], sort=False)
        .size()
        .rename("events")
        .reset_index()
    )
    resources.insert(2, "activity", act_names[resources["act"].to_numpy()])
    resources = resources.drop(columns=["act"])

    durations = (
        cases.groupby([PROCESS, UNIT, "duration_s"], sort=False).size().rename("cases").reset_index()
    )
    units = (
        pd.DataFrame({PROCESS: proc[starts], UNIT: unit[starts], "len": lengths, "f": t_first, "l": t_last})
        .groupby([PROCESS, UNIT], sort=False)
        .agg(cases=("len", "size"), events=("len", "sum"), first=("f", "min"), last=("l", "max"))
        .reset_index()
    )
    units["first"] = pd.to_datetime(units["first"], utc=True)
    units["last"] = pd.to_datetime(units["last"], utc=True)
    return Aggregates(variants, edges, activities, resources, durations, units)


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
        )
    }
    empty = {
        "edges": pd.DataFrame(columns=["source", "target", "events", "cases", "median_wait_s"]),
        "resources": pd.DataFrame(columns=["activity", "resource", "events"]),
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
        )
    return {p: dict(sorted(u.items())) for p, u in sorted(out.items())}


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes with names sorted, so codes are deterministic."""
    codes, names = pd.factorize(col, sort=True)
    return np.asarray(names, dtype=object), codes.astype(np.int64)


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
