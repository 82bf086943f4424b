"""Point 9 of issue 13: how processes and units are named."""

from __future__ import annotations

import warnings

from divergence.errors import records_of
from divergence.io import read_logs
from divergence.names import warn_name_clashes as _report_names

ROW = "case_id,activity,timestamp\n1,A,2024-01-01T09:00:00Z\n1,B,2024-01-01T10:00:00Z\n"


def _write(path, text=ROW):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pairs(frame):
    return sorted(set(zip(frame["process"], frame["unit"])))


def test_a_single_file_is_its_own_process(tmp_path):
    path = _write(tmp_path / "data" / "claims.csv")
    assert _pairs(read_logs(path)) == [("claims", "claims")]


def test_each_input_folder_is_its_own_process(tmp_path):
    _write(tmp_path / "hr" / "north.csv")
    _write(tmp_path / "hr" / "south.csv")
    _write(tmp_path / "finance" / "north.csv")
    frame = read_logs([tmp_path / "hr", tmp_path / "finance"])
    assert _pairs(frame) == [("finance", "north"), ("hr", "north"), ("hr", "south")]


def test_sub_folders_of_an_input_folder_are_processes(tmp_path):
    _write(tmp_path / "logs" / "hr" / "north.csv")
    _write(tmp_path / "logs" / "loose.csv")
    frame = read_logs(tmp_path / "logs")
    assert _pairs(frame) == [("hr", "north"), ("logs", "loose")]


def test_several_files_given_directly_are_one_process_named_after_their_folder(tmp_path):
    a = _write(tmp_path / "data" / "a.csv")
    b = _write(tmp_path / "data" / "b.csv")
    assert _pairs(read_logs([a, b])) == [("data", "a"), ("data", "b")]


def test_names_differing_only_in_case_are_warned():
    profiles = {"hr": {"se": None, "SE": None, "no": None}, "HR": {"x": None}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _report_names(profiles)
    recs = records_of(caught)
    assert [r.code for r in recs] == ["name_case_clash", "name_case_clash"]
    assert recs[0].message.startswith("processes 'HR', 'hr' differ only in letter case")
    assert recs[1].message.startswith("process 'hr': units 'SE', 'se' differ only in letter case")
    assert recs[1].count == 2
