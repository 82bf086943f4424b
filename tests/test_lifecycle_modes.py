"""Point 4 of issue 13: lifecycle transitions other than start/complete, --lifecycle modes."""

from __future__ import annotations


import pytest

from divergence.errors import OptionError
from tinylogs import read_text_log

LOG = """case_id,activity,timestamp,lifecycle:transition
1,A,2024-01-01T09:00:00Z,start
1,A,2024-01-01T09:30:00Z,complete
1,B,2024-01-01T10:00:00Z,In Progress
1,B,2024-01-01T10:30:00Z,complete
2,A,2024-01-02T09:00:00Z,start
2,A,2024-01-02T09:10:00Z,complete
2,B,2024-01-02T10:00:00Z,In Progress
2,B,2024-01-02T10:05:00Z,Awaiting Assignment
2,B,2024-01-02T10:30:00Z,complete
"""


def _read(tmp_path, text=LOG, **kw):
    return read_text_log(tmp_path, text, **kw)[:2]


def _trace(frame, case):
    return frame.loc[frame["case"] == case, "activity"].tolist()


def test_auto_folds_and_lists_other_values_with_counts(tmp_path):
    frame, recs = _read(tmp_path)
    assert _trace(frame, "1") == ["A", "B"] and _trace(frame, "2") == ["A", "B"]
    assert frame["start_timestamp"].notna().sum() == 2
    rec = recs["lifecycle_values"]
    assert rec.count == 3
    assert "'In Progress' (2), 'Awaiting Assignment' (1)" in rec.message
    assert "dropped" in rec.message
    assert recs["lifecycle_folded"].count == 2


def test_auto_without_start_events_keeps_them_and_says_so(tmp_path):
    text = "\n".join(line for line in LOG.splitlines() if not line.endswith(",start")) + "\n"
    frame, recs = _read(tmp_path, text)
    assert _trace(frame, "2") == ["A", "B", "B", "B"]
    assert "kept as events of their activity" in recs["lifecycle_values"].message
    assert "lifecycle_folded" not in recs


def test_as_activity_names_each_transition(tmp_path):
    frame, recs = _read(tmp_path, lifecycle="as-activity")
    assert _trace(frame, "2") == ["A (start)", "A", "B (In Progress)", "B (Awaiting Assignment)", "B"]
    assert "start_timestamp" not in frame
    assert "lifecycle_values" not in recs


def test_ignore_keeps_every_event_as_it_is(tmp_path):
    frame, recs = _read(tmp_path, lifecycle="ignore")
    assert _trace(frame, "1") == ["A", "A", "B", "B"]
    assert len(frame) == 9 and "start_timestamp" not in frame
    assert not recs


def test_unknown_mode_and_other_engines_are_refused(tmp_path):
    with pytest.raises(OptionError, match="--lifecycle 'fold'"):
        _read(tmp_path, lifecycle="fold")
    from divergence import analyse

    (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    with pytest.raises(OptionError, match="--lifecycle ignore needs the pandas engine"):
        analyse(tmp_path / "log.csv", lifecycle="ignore", engine="duckdb")
