"""Tiny logs as unit profiles, shared by the pm, conformance and harmonise tests."""

from __future__ import annotations

import pandas as pd

from divergence.profile import profile_units

MODELS = __import__("pathlib").Path(__file__).parent / "models"


def make_profile(variants, unit="u1", process="p", resources=None):
    """Profile of one unit from ``[(variant string or tuple, cases), ...]``.

    ``resources`` maps activity -> list of resource names, used round-robin.
    """
    rows = []
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    k = 0
    for var, n in variants:
        acts = tuple(var.split(",")) if isinstance(var, str) else tuple(var)
        for _ in range(n):
            for j, a in enumerate(acts):
                who = None
                if resources and a in resources:
                    pool = resources[a]
                    who = pool[k % len(pool)]
                rows.append((process, unit, f"c{k}", a, t0 + pd.Timedelta(days=k, hours=j), who))
            k += 1
    df = pd.DataFrame(rows, columns=["process", "unit", "case", "activity", "timestamp", "resource"])
    return profile_units(df, min_cases_evidence=1)[process][unit]
