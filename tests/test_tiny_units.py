"""Tiny units (fewer than min_unit_cases) stay in the tables, flagged, but out of families, waves and target choice."""

from __future__ import annotations

import pandas as pd

from divergence import analyse_events
from divergence.report.summary import build_summary


def _frame(spec: dict[str, list[tuple[str, int]]]) -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    for unit, variants in spec.items():
        n = 0
        for var, count in variants:
            for _ in range(count):
                for i, a in enumerate(var):
                    rows.append(("P", unit, f"{unit}{n}", a, t0 + pd.Timedelta(days=n, hours=i), "r"))
                n += 1
    return pd.DataFrame(rows, columns=["process", "unit", "case", "activity", "timestamp", "resource"])


# "tiny" runs the shortest process (AD): priced as a target it would ask nobody to add anything
SPEC = {"east": [("ABCD", 40)], "west": [("ABCD", 30), ("ABXCD", 10)], "tiny": [("AD", 3)]}


def test_tiny_unit_is_kept_in_tables_but_out_of_families_waves_and_target():
    result = analyse_events(_frame(SPEC), target="auto", bootstrap=0, min_unit_cases=5)
    pr = result["P"]
    assert pr.excluded == ("tiny",)
    assert "tiny" not in pr.family_of and set(pr.family_of) == {"east", "west"}
    assert "tiny" not in set(pr.waves["unit"])
    assert pr.target.name != "tiny"
    table = pr.costs_table().set_index("unit")
    assert "tiny" in table.index
    assert pd.isna(table.loc["tiny", "family"]) and pd.isna(table.loc["tiny", "wave"])
    summary = build_summary(result)
    p = summary["processes"]["P"]
    assert p["excluded_units"] == ["tiny"]
    assert p["units"]["tiny"]["family"] is None
    codes = [w["code"] for w in summary["warnings"]]
    assert "tiny_unit" in codes


def test_min_unit_cases_one_lets_every_unit_take_part():
    result = analyse_events(_frame(SPEC), target="east", bootstrap=0, min_unit_cases=1)
    pr = result["P"]
    assert pr.excluded == ()
    assert set(pr.family_of) == {"east", "west", "tiny"}
