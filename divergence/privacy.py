"""Privacy: keyed pseudonyms for case ids and staff, and folding of rare behaviour.

Pseudonyms are HMAC-SHA256 of the value under a secret key, cut to 12 hex
digits and prefixed (``case-``, ``staff-``): the same person gets the same
pseudonym within a run (and across runs with the same key), and nobody
without the key can reverse or recompute it. The key is never written to any
output. Without a key a random one is drawn, so pseudonyms differ per run.

Folding (``--min-cases K``) works on what is shown: variants and
directly-follows edges seen in fewer than K cases are merged into one
"other" row, so no rare (possibly single-person) case can be singled out.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import replace

import numpy as np
import pandas as pd

from .errors import warn
from .profile import UnitProfile
from .schema import CASE, RESOURCE

__all__ = ["pseudonymise_events", "pseudonymise_aggregates", "pseudonym", "fold_profile", "OTHER"]

OTHER = "(other)"


def pseudonym(value: str, key: bytes, prefix: str) -> str:
    """The keyed pseudonym of one value."""
    digest = hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}{digest[:12]}"


def pseudonymise_events(events: pd.DataFrame, key: str | bytes | None) -> pd.DataFrame:
    """A copy of ``events`` with case ids and resources replaced by keyed pseudonyms.

    Columns other than the canonical ones that hold free text stay as they
    are, except columns whose name says they hold people (``org:resource``,
    ``user``, ...): those are hashed too. Each distinct value is hashed once.
    """
    kb = _key_bytes(key)
    out = events.copy()
    out[CASE] = _hash_column(out[CASE], kb, "case-")
    people = [c for c in out.columns if c == RESOURCE or _is_people_column(c)]
    for col in people:
        out[col] = _hash_column(out[col], kb, "staff-")
    out.attrs = dict(events.attrs)
    return out


def pseudonymise_aggregates(agg, key: str | bytes | None):
    """Engine aggregates with resource names replaced by keyed pseudonyms.

    Case ids never leave an engine, so resources are the only personal names
    in the aggregates (:class:`divergence.profile.Aggregates`). Rows whose
    pseudonyms coincide are merged.
    """
    kb = _key_bytes(key)
    res = agg.resources.copy()
    names = {v: pseudonym(v, kb, "staff-") for v in res["resource"].dropna().unique()}
    res["resource"] = res["resource"].map(names)
    res = res.groupby(["process", "unit", "activity", "resource"], sort=True, as_index=False)["events"].sum()
    res["events"] = res["events"].astype(np.int64)
    return replace(agg, resources=res.reset_index(drop=True))


def fold_profile(profile: UnitProfile, min_cases: int) -> UnitProfile:
    """A profile for display: variants and edges seen in fewer than ``min_cases`` cases folded.

    Folded variants become one variant ``("(other)",)`` carrying their cases;
    folded edges are dropped from the edge table and their counts (and binned
    waits) kept in an ``(other)`` -> ``(other)`` row. Activities seen in fewer cases are
    renamed ``(other)`` in the activity table. Resources are reduced to
    counts. ``min_cases`` of 1 returns the profile unchanged.
    """
    if min_cases <= 1:
        return profile
    v = profile.variants
    rare = v["cases"] < min_cases
    if rare.any():
        other = pd.DataFrame(
            {
                "variant": [(OTHER,)],
                "cases": [int(v.loc[rare, "cases"].sum())],
                "share": [float(v.loc[rare, "share"].sum())],
                "median_duration_s": [float("nan")],
            }
        )
        v = pd.concat([v.loc[~rare], other], ignore_index=True)
    e, w = profile.edges, profile.edge_waits
    erare = e["cases"] < min_cases
    if erare.any() and w is not None:
        rare_keys = set(zip(e.loc[erare, "source"], e.loc[erare, "target"]))
        wrare = np.array([k in rare_keys for k in zip(w["source"], w["target"])], dtype=bool)
        folded = w.loc[wrare].groupby("bin", sort=True, as_index=False)["events"].sum()
        folded.insert(0, "target", OTHER)
        folded.insert(0, "source", OTHER)
        w = pd.concat([w.loc[~wrare], folded], ignore_index=True).astype({"bin": np.int64, "events": np.int64})
    if erare.any():
        other_e = pd.DataFrame(
            {
                "source": [OTHER],
                "target": [OTHER],
                "events": [int(e.loc[erare, "events"].sum())],
                "cases": [int(e.loc[erare, "cases"].sum())],
                "median_wait_s": [float("nan")],
            }
        )
        e = pd.concat([e.loc[~erare], other_e], ignore_index=True)
    a = profile.activities.copy()
    arare = a["cases"] < min_cases
    if arare.any():
        a.loc[arare, "activity"] = OTHER
        a = (
            a.groupby("activity", sort=True)
            .agg(events=("events", "sum"), cases=("cases", "sum"), resources=("resources", "sum"),
                 median_service_s=("median_service_s", "median"))
            .reset_index()
        )
    d = profile.durations
    r = profile.resources.iloc[0:0]
    return replace(profile, variants=v, edges=e, activities=a, durations=d, resources=r, edge_waits=w)


def _key_bytes(key: str | bytes | None) -> bytes:
    """The key as bytes; a random one, with a warning, when none is given."""
    if key is None:
        warn("privacy", "pseudonymising with a random key (set DIVERGENCE_KEY to keep pseudonyms stable across runs)")
        return os.urandom(32)
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _hash_column(col: pd.Series, key: bytes, prefix: str) -> pd.Series:
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    hashed = np.array([pseudonym(u, key, prefix) for u in uniques], dtype=object)
    out = np.full(len(col), None, dtype=object)
    ok = codes >= 0
    out[ok] = hashed[codes[ok]]
    return pd.Series(out, index=col.index, name=col.name)


_PEOPLE = ("org:resource", "resource", "user", "employee", "staff", "performer", "org:resource:name", "person")


def _is_people_column(name: str) -> bool:
    n = str(name).lower()
    return any(n == p or n.endswith(":" + p) or n.startswith(p + "_") for p in _PEOPLE)
