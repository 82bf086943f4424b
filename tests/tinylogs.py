"""Tiny hand-made logs as unit profiles, shared by the measure, family and common-core tests."""

from __future__ import annotations

import pandas as pd

from divergence.profile import profile_units

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def make_profiles(spec, *, step_h=1.0):
    """``{unit: [(variant, count) or (variant, count, step_hours)]}`` -> profiles by unit name.

    A variant is a string of one-letter activities or a tuple of names.
    """
    rows = []
    for unit, variants in spec.items():
        n = 0
        for item in variants:
            var, count = item[0], item[1]
            step = item[2] if len(item) > 2 else step_h
            for _ in range(count):
                for i, a in enumerate(var):
                    rows.append(
                        {
                            "process": "P",
                            "unit": unit,
                            "case": f"{unit}-{n}",
                            "activity": a,
                            "timestamp": T0 + pd.Timedelta(hours=i * step),
                            "resource": "r",
                        }
                    )
                n += 1
    return list(profile_units(pd.DataFrame(rows))["P"].values())


def read_text_log(tmp_path, text: str, **kw):
    """Write ``text`` as ``log.csv``, read it; returns (events, {warning code: record}, path)."""
    import warnings

    from divergence import read_logs
    from divergence.errors import records_of

    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_logs(path, **kw)
    return frame, {r.code: r for r in records_of(caught)}, path
