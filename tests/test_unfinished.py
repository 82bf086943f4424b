"""Point 3 of issue 13: likely unfinished cases, --complete-only, --end-activity."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from divergence import analyse
from divergence.errors import OptionError, records_of
from divergence.unfinished import end_activities_of, unfinished_from_events, unfinished_from_profiles
from tinylogs import make_profiles


def test_end_activities_are_those_ending_at_least_5_percent_of_cases():
    assert end_activities_of({"Pay": 91, "Close": 5, "Check": 4}) == ["Close", "Pay"]
    assert end_activities_of({"Pay": 91, "Close": 5, "Check": 4}, ["Check"]) == ["Check"]
    assert end_activities_of({}) == []


SPEC = {"a": [("ABZ", 8), ("AB", 2)], "b": [("ABZ", 5), ("A", 5)]}


def _events():
    rows = []
    for unit, variants in SPEC.items():
        n = 0
        for var, count in variants:
            for _ in range(count):
                for i, act in enumerate(var):
                    rows.append({"process": "P", "unit": unit, "case": f"{unit}{n}", "activity": act,
                                 "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=i),
                                 "resource": "r"})
                n += 1
    return pd.DataFrame(rows)


def test_shares_per_unit_from_profiles_and_from_events_agree():
    # last activities over 20 cases: Z 13, B 2 (10 %), A 5 (25 %): all are end activities
    profiles = {"P": {p.unit: p for p in make_profiles(SPEC)}}
    table = unfinished_from_profiles(profiles)
    assert table["P"]["end_activities"] == ["A", "B", "Z"]
    assert table["P"]["units"]["a"]["unfinished_cases"] == 0
    # with Z as the only end activity
    table = unfinished_from_profiles(profiles, ["Z"])
    assert table["P"]["units"] == {
        "a": {"cases": 10, "unfinished_cases": 2, "unfinished_share": 0.2},
        "b": {"cases": 10, "unfinished_cases": 5, "unfinished_share": 0.5},
    }
    from_events, mask = unfinished_from_events(_events(), ["Z"])
    assert from_events == table
    assert int(mask.sum()) == 2 * 2 + 5 * 1  # events of the 7 unfinished cases


def _log(tmp_path):
    ev = _events()
    ev["timestamp"] = ev["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "log.csv"
    ev.rename(columns={"case": "case_id"})[["case_id", "activity", "timestamp", "unit"]].to_csv(path, index=False)
    return path


def test_default_keeps_all_cases_and_reports_shares(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyse(_log(tmp_path), end_activities=["Z"], bootstrap=0)
    pr = result["log"]
    assert (pr.profiles["a"].cases, pr.profiles["b"].cases) == (10, 10)
    table = result.unfinished_table().set_index("unit")
    assert table.loc["b", "unfinished_cases"] == 5 and table.loc["b", "unfinished_share"] == 0.5
    assert table.loc["a", "end_activities"] == "Z"
    warned = [w for w in result.warnings if w.code == "unfinished_cases"]
    assert len(warned) == 1 and "unit 'b': 5 of 10 cases (50.0%)" in warned[0].message  # a: 20 % is not above
    from divergence.report.summary import build_summary

    units = build_summary(result)["processes"]["log"]["units"]
    assert (units["b"]["unfinished_cases"], units["b"]["unfinished_share"]) == (5, 0.5)


def test_complete_only_drops_them_before_profiling(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyse(_log(tmp_path), end_activities=["Z"], complete_only=True, bootstrap=0)
    pr = result["log"]
    assert (pr.profiles["a"].cases, pr.profiles["b"].cases) == (8, 5)
    dropped = [w for w in result.warnings if w.code == "complete_only"]
    assert len(dropped) == 1 and dropped[0].count == 7
    assert result.unfinished_table().set_index("unit").loc["b", "unfinished_cases"] == 5  # what was dropped
    assert result.options["complete_only"] is True


def test_complete_only_needs_the_pandas_engine(tmp_path):
    with pytest.raises(OptionError, match="--complete-only needs the pandas engine"):
        analyse(_log(tmp_path), complete_only=True, engine="duckdb")
