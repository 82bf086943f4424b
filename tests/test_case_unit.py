"""Point 2 of issue 13: one unit per case (--unit-rule), blanks take their case's unit."""

from __future__ import annotations

import warnings

import pytest

from divergence.errors import DivergenceWarning, OptionError
from tinylogs import read_text_log

LOG = """case_id,activity,timestamp,unit
1,A,2024-01-01T09:00:00Z,se
1,B,2024-01-01T10:00:00Z,
1,C,2024-01-01T11:00:00Z,no
1,D,2024-01-01T12:00:00Z,no
2,A,2024-01-02T09:00:00Z,no
2,B,2024-01-02T10:00:00Z,
3,A,2024-01-03T09:00:00Z,
3,B,2024-01-03T10:00:00Z,
"""


def _read(tmp_path, text=LOG, **kw):
    return read_text_log(tmp_path, text, **kw)


def _units(frame):
    return frame.groupby("case")["unit"].agg(lambda s: sorted(set(s))).to_dict()


@pytest.mark.parametrize(
    "rule, case1",
    [("first", "se"), ("last", "no"), ("most", "no")],
)
def test_every_case_has_one_unit_by_the_rule(tmp_path, rule, case1):
    frame, recs, path = _read(tmp_path, unit_rule=rule)
    assert _units(frame) == {"1": [case1], "2": ["no"], "3": ["log"]}
    assert len(frame) == 8
    spans = recs["case_spans_units"]
    assert (spans.count, spans.file) == (1, str(path))
    assert f"--unit-rule {rule}" in spans.message
    missing = recs["unit_missing"]
    assert missing.count == 2 and "given unit 'log'" in missing.message


def test_most_breaks_ties_by_the_unit_seen_first(tmp_path):
    text = "case_id,activity,timestamp,unit\n1,A,2024-01-01T09:00:00Z,b\n1,B,2024-01-01T10:00:00Z,a\n"
    frame, _, _ = _read(tmp_path, text, unit_rule="most")
    assert set(frame["unit"]) == {"b"}


def test_unit_only_on_the_first_event_makes_no_fragments(tmp_path):
    text = (
        "case_id,activity,timestamp,unit\n"
        "1,A,2024-01-01T09:00:00Z,north\n1,B,2024-01-01T10:00:00Z,\n1,C,2024-01-01T11:00:00Z,\n"
        "2,A,2024-01-02T09:00:00Z,south\n2,B,2024-01-02T10:00:00Z,\n"
    )
    frame, recs, _ = _read(tmp_path, text)
    assert _units(frame) == {"1": ["north"], "2": ["south"]}
    assert "unit_missing" not in recs and "case_spans_units" not in recs
    assert "log" not in set(frame["unit"])  # no pseudo-unit named after the file


def test_unknown_rule_is_refused(tmp_path):
    with pytest.raises(OptionError, match="--unit-rule 'middle'"):
        _read(tmp_path, unit_rule="middle")


@pytest.mark.parametrize("rule", ["first", "last", "most"])
def test_duckdb_applies_the_same_rule(tmp_path, rule):
    pytest.importorskip("duckdb")
    from divergence.engines import aggregate

    path = tmp_path / "log.csv"
    path.write_text(LOG, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        a = aggregate(path, engine="pandas", unit_rule=rule)
        b = aggregate(path, engine="duckdb", unit_rule=rule)
    assert a.variants[["unit", "variant", "cases"]].values.tolist() == b.variants[
        ["unit", "variant", "cases"]
    ].values.tolist()
    assert a.units[["unit", "cases", "events"]].values.tolist() == b.units[["unit", "cases", "events"]].values.tolist()
