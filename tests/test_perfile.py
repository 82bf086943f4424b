"""Profiling each group of files where it is read gives the profiles of the whole event frame."""

from __future__ import annotations

import warnings
from dataclasses import fields

import pandas as pd
import pytest

from divergence.engines import perfile
from divergence.engines.perfile import file_groups, read_profiles
from divergence.errors import InputError
from divergence.io import read as read_module
from divergence.io import read_logs
from divergence.io.read import read_jobs
from divergence.options import Columns, ReadOptions
from divergence.privacy import pseudonymise_events
from divergence.profile import profile_units

from conftest import SAMPLE_LOGS, shared_data


def assert_same_profiles(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for p in want:
        assert list(got[p]) == list(want[p]), p
        for u in want[p]:
            for f in fields(want[p][u]):
                a, b = getattr(got[p][u], f.name), getattr(want[p][u], f.name)
                if isinstance(b, pd.DataFrame):
                    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{p}/{u}.{f.name}")
                elif isinstance(b, dict):
                    assert a.keys() == b.keys(), (p, u, f.name)
                    for k in b:
                        if isinstance(b[k], pd.DataFrame):
                            pd.testing.assert_frame_equal(a[k], b[k], check_exact=True)
                        else:
                            assert a[k] == b[k], (p, u, f.name, k)
                else:
                    assert a == b or (a != a and b != b), (p, u, f.name, a, b)


def _write(path, rows, columns=("case", "activity", "timestamp", "resource", "unit")):
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def test_sample_logs_profiled_per_file_equal_the_whole_frame_profiled():
    got, sources = read_profiles([SAMPLE_LOGS], Columns(), ReadOptions(), meanwhile=lambda: None)
    frame = read_logs(SAMPLE_LOGS)
    assert_same_profiles(got, profile_units(frame))
    assert sources == frame.attrs["sources"]


def test_a_unit_spread_over_two_files_is_profiled_from_both_together(tmp_path):
    d = tmp_path / "proc"
    d.mkdir()
    # unit "north" is in both files, and case 2 runs across them (its last event is in b.csv)
    _write(d / "a.csv", [["1", "A", "2024-01-01T09:00", "ann", "north"], ["1", "B", "2024-01-01T10:00", "ann", "north"],
                         ["2", "A", "2024-01-02T09:00", "bob", "north"], ["3", "A", "2024-01-03T09:00", "cy", "south"],
                         ["3", "C", "2024-01-03T09:30", "cy", "south"]])
    _write(d / "b.csv", [["2", "C", "2024-01-02T11:00", "bob", "north"], ["4", "A", "2024-01-04T09:00", "di", "east"],
                         ["4", "B", "2024-01-04T09:10", "di", "east"]])
    cols = Columns(unit="unit")
    got, _ = read_profiles([d], cols, ReadOptions(), meanwhile=lambda: None)
    want = profile_units(read_logs([d], columns=cols))
    assert_same_profiles(got, want)
    north = got["proc"]["north"].variants
    assert sorted(map(tuple, north["variant"])) == [("A", "B"), ("A", "C")]  # case 2 whole: A then C


def test_a_shared_unit_read_again_does_not_repeat_warnings(tmp_path, monkeypatch):
    d = tmp_path / "proc"
    d.mkdir()
    dup = ["1", "A", "2024-01-01T09:00", "ann", "north"]
    _write(d / "a.csv", [dup, dup, ["1", "B", "2024-01-01T10:00", "ann", "north"]])
    _write(d / "b.csv", [["2", "A", "2024-01-02T09:00", "bob", "north"]])
    monkeypatch.setattr(perfile, "MIN_GROUPS", 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_profiles([d], Columns(unit="unit"), ReadOptions(), meanwhile=lambda: None)
    dups = [w for w in caught if getattr(w.message, "code", None) == "duplicate_events"]
    assert len(dups) == 1


def test_pseudonymised_per_file_equals_the_whole_frame_pseudonymised():
    got, _ = read_profiles([SAMPLE_LOGS / "hr"], Columns(), ReadOptions(), key="k3y", pseudonymise=True,
                           meanwhile=lambda: None)
    want = profile_units(pseudonymise_events(read_logs(SAMPLE_LOGS / "hr"), "k3y"))
    assert_same_profiles(got, want)
    res = got["hr"]["dwp"].resources["resource"]
    assert res.str.startswith("staff-").all()


def test_files_with_and_without_a_resource_column_in_one_group(tmp_path):
    d = tmp_path / "proc"
    d.mkdir()
    _write(d / "a.csv", [["1", "A", "2024-01-01T09:00", "ann"], ["1", "B", "2024-01-01T10:00", "ann"]],
           columns=("case", "activity", "timestamp", "resource"))
    _write(d / "b.csv", [["2", "A", "2024-01-02T09:00"], ["2", "B", "2024-01-02T09:30"]],
           columns=("case", "activity", "timestamp"))
    for groups in (1, 4):  # both files in one group, or each alone
        perfile.MIN_GROUPS, old = groups, perfile.MIN_GROUPS
        try:
            got, _ = read_profiles([d], Columns(), ReadOptions(), meanwhile=lambda: None)
        finally:
            perfile.MIN_GROUPS = old
        assert_same_profiles(got, profile_units(read_logs([d])))


def test_the_serial_road_gives_the_same_profiles(monkeypatch):
    monkeypatch.setattr(read_module, "PARALLEL_WORKERS", 1)
    got, _ = read_profiles([SAMPLE_LOGS / "finance"], Columns(), ReadOptions())
    assert_same_profiles(got, profile_units(read_logs(SAMPLE_LOGS / "finance")))


def test_small_files_are_grouped_consecutively_and_large_ones_alone(tmp_path, monkeypatch):
    d = tmp_path / "p"
    d.mkdir()
    for name, size in [("a", 10), ("b", 10), ("c", 10), ("d", 10), ("e", 2000), ("f", 10)]:
        (d / f"{name}.csv").write_bytes(b"x" * size)
    monkeypatch.setattr(perfile, "GROUP_BYTES", 20)
    groups = file_groups(read_jobs([d]))
    assert [[job[0].path.stem for job in g] for g in groups] == [["a", "b"], ["c", "d"], ["e"], ["f"]]
    monkeypatch.setattr(perfile, "GROUP_BYTES", 10**9)  # then a quarter of all the bytes each
    groups = file_groups(read_jobs([d]))
    assert [[job[0].path.stem for job in g] for g in groups] == [["a", "b", "c", "d", "e"], ["f"]]


def test_an_error_in_a_later_file_of_a_group_names_that_file(tmp_path, monkeypatch):
    d = tmp_path / "p"
    d.mkdir()
    _write(d / "a.csv", [["1", "A", "2024-01-01T09:00", "ann", "n"]])
    (d / "b.csv").write_text("case,activity,timestamp\n1,A,not a time\n")
    monkeypatch.setattr(perfile, "MIN_GROUPS", 1)
    with pytest.raises(Exception) as err:
        read_profiles([d], Columns(), ReadOptions(), meanwhile=lambda: None)
    assert "b.csv" in str(err.value)


def test_an_ocel_beside_logs_is_skipped_and_the_rest_profiled(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    _write(d / "a.csv", [["1", "A", "2024-01-01T09:00", "ann", "n"], ["1", "B", "2024-01-01T09:05", "ann", "n"]])
    ocel = SAMPLE_LOGS / "ocel" / "procurement.jsonocel"
    (d / "o.jsonocel").write_bytes(ocel.read_bytes())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, sources = read_profiles([d], Columns(), ReadOptions(), meanwhile=lambda: None)
    assert list(got["p"]) == ["n"] and [s["path"] for s in sources] == [str(d / "a.csv")]
    assert any(getattr(w.message, "code", None) == "ocel_skipped" for w in caught)


def test_only_an_ocel_that_needs_an_object_type_is_an_error(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "o.jsonocel").write_bytes((SAMPLE_LOGS / "ocel" / "procurement.jsonocel").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match="object"):
            read_profiles([d], Columns(), ReadOptions(), meanwhile=lambda: None)


@pytest.mark.parametrize("name", ["bpic2015", "bpic2020"])
def test_real_logs_profiled_per_file_equal_the_whole_frame_profiled(name):
    folder = shared_data(name)
    got, _ = read_profiles([folder], Columns(), ReadOptions(), meanwhile=lambda: None)
    assert_same_profiles(got, profile_units(read_logs(folder)))
