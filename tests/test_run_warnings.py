"""Point 1 of issue 13: every warning of a run is kept, with a stable code, file and count."""

from __future__ import annotations

import json
import warnings

import pandas as pd

from divergence import analyse
from divergence.errors import WARNING_CODES, DivergenceWarning, WarningRecord, record_of, records_of, warn
from divergence.io import read_logs


def _case(case, acts, day):
    return [f"{case},{a},2024-01-{day:02d}T{9 + i:02d}:00:00Z" for i, a in enumerate(acts)]


def _folder(tmp_path):
    """Unit big (6 cases, one duplicate event, one empty activity) and unit tiny (2 cases)."""
    folder = tmp_path / "claims"
    folder.mkdir()
    big = ["case_id,activity,timestamp"]
    for c in range(6):
        big += _case(f"b{c}", "ABC", c + 1)
    big += [big[1], "b0,,2024-01-01T12:00:00Z"]  # an exact duplicate; an empty activity
    (folder / "big.csv").write_text("\n".join(big) + "\n", encoding="utf-8")
    tiny = ["case_id,activity,timestamp"] + _case("t0", "AC", 1) + _case("t1", "AC", 2)
    (folder / "tiny.csv").write_text("\n".join(tiny) + "\n", encoding="utf-8")
    return folder


def test_warn_and_record_of_round_trip():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn("duplicate_events", "f.csv: 3 exact duplicate events dropped", "f.csv", 3)
        warnings.warn("language: unit 'x' has 900 variants; compared exactly on ...", DivergenceWarning)
        warnings.warn("not ours", UserWarning)
    assert records_of(caught) == [
        WarningRecord("duplicate_events", "f.csv: 3 exact duplicate events dropped", "f.csv", 3),
        WarningRecord("language_cap", "language: unit 'x' has 900 variants; compared exactly on ..."),
    ]
    assert record_of("something new").code == "other"
    assert str(records_of(caught)[0]) == "f.csv: 3 exact duplicate events dropped"


def test_every_code_used_is_documented():
    for code in ("duplicate_events", "empty_activity", "unit_missing", "case_spans_units", "unfinished_cases",
                 "lifecycle_values", "name_case_clash", "tiny_unit", "language_cap", "low_evidence"):
        assert code in WARNING_CODES


def test_read_warnings_are_kept_on_the_result_in_summary_and_report(tmp_path):
    folder = _folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = analyse(folder, bootstrap=0, min_unit_cases=5, target="big")
    big = str(folder / "big.csv")
    recs = {(w.code, w.file): w for w in result.warnings}
    assert recs[("duplicate_events", big)].count == 1
    assert recs[("empty_activity", big)].count == 1
    assert recs[("empty_activity", big)].message == f"{big}: 1 events with empty or missing activity dropped"
    tiny = recs[("tiny_unit", None)]
    assert "1 unit(s) with fewer than 5 cases kept out of families, waves and target choice: tiny" in tiny.message
    assert recs[("low_evidence", None)].count == 2  # tiny has 2 cases (big's 6 are low-evidence too)
    # still issued as warnings (the CLI prints them)
    assert any("exact duplicate events dropped" in str(w.message) for w in caught)

    table = result.warnings_table()
    assert list(table.columns) == ["code", "file", "count", "message"]
    assert len(table) == len(result.warnings)

    from divergence.report import write_outputs

    out = write_outputs(result, tmp_path / "out", graphs=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    listed = summary["warnings"]
    assert {"code": "duplicate_events", "file": big, "count": 1,
            "message": f"{big}: 1 exact duplicate events dropped"} in listed
    assert all(set(w) == {"code", "file", "count", "message"} for w in listed)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Input warnings" in html and "<code>duplicate_events</code>" in html
    assert out is not None


def test_warnings_from_worker_processes_keep_their_codes(tmp_path, monkeypatch):
    from divergence.io import read as read_module

    folder = _folder(tmp_path)
    monkeypatch.setattr(read_module, "PARALLEL_MIN_BYTES", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_logs(folder)
    codes = {(r.code, r.count) for r in records_of(caught)}
    assert ("duplicate_events", 1) in codes and ("empty_activity", 1) in codes
    assert isinstance(frame, pd.DataFrame)


def test_cli_prints_them_on_stderr(tmp_path, capsys):
    from divergence.cli import main

    code = main(["analyse", str(_folder(tmp_path)), "--out", str(tmp_path / "o"), "--quiet", "--bootstrap", "0", "--target", "big",
                 "--no-graphs"])
    err = capsys.readouterr().err
    assert code == 0
    assert "divergence: warning: " in err and "1 exact duplicate events dropped" in err
