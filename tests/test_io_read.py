"""read_logs on tiny inputs: exact frames, derivation of unit and process, round trips."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from divergence.errors import ColumnError, DivergenceWarning, EmptyLogError, InputError
from divergence.io import DEFAULT_MAX_BYTES, read_logs

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = sys.modules.setdefault("make_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(make_corpus)

COLUMNS = ["process", "unit", "case", "activity", "timestamp", "resource"]


def _ts(*values):
    return pd.to_datetime(list(values), utc=True).astype("datetime64[ns, UTC]")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_default_limit_is_4_gib():
    assert DEFAULT_MAX_BYTES == 4 * 1024**3


def test_exact_frame_from_csv(tmp_path):
    path = _write(
        tmp_path / "hr" / "north.csv",
        "Case ID,Activity,Timestamp,User,priority\n"
        "2,Pay,2024-01-02T10:00:00+01:00,ann,low\n"
        "1,Check,2024-01-01T10:00:00Z,bob,high\n"
        "1,Register,2024-01-01T09:00:00Z,,high\n",
    )
    with pytest.warns(DivergenceWarning, match="1 events have a timestamp earlier"):
        frame = read_logs(path)
    expected = pd.DataFrame(
        {
            "process": ["north", "north", "north"],  # one file given directly: process = its name
            "unit": ["north", "north", "north"],
            "case": ["1", "1", "2"],
            "activity": ["Register", "Check", "Pay"],
            "timestamp": _ts("2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z", "2024-01-02T09:00:00Z"),
            "resource": [None, "bob", "ann"],
            "priority": ["high", "high", "low"],
        }
    ).astype({c: "str" for c in ["process", "unit", "case", "activity", "resource", "priority"]})
    pd.testing.assert_frame_equal(frame, expected)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert frame.attrs["sources"] == [{"path": str(path), "sha256": digest, "format": "csv", "events": 3}]


def test_same_log_in_three_formats_gives_same_frame(tmp_path):
    rows = make_corpus._ROWS
    csv_path = _write(tmp_path / "p" / "u.csv", make_corpus.csv_text(rows))
    xes_path = tmp_path / "p" / "u.xes.gz"
    xes_path.write_bytes(gzip.compress(make_corpus.xes_text(make_corpus._basic_traces()).encode()))
    pq_path = tmp_path / "p" / "u.parquet"
    pd.DataFrame(
        {"case_id": [r[0] for r in rows], "activity": [r[1] for r in rows],
         "timestamp": pd.to_datetime([r[2] for r in rows], utc=True), "resource": [r[3] for r in rows]}
    ).to_parquet(pq_path)
    frames = [read_logs(p)[COLUMNS] for p in (csv_path, xes_path, pq_path)]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])
    assert list(frames[0]["activity"]) == ["Register", "Check", "Pay", "Register", "Pay"]


def test_unit_and_process_from_folders(tmp_path):
    text = make_corpus.csv_text(make_corpus._ROWS)
    _write(tmp_path / "data" / "hr" / "north.csv", text)
    _write(tmp_path / "data" / "hr" / "deep" / "south.csv.gz", "")
    (tmp_path / "data" / "hr" / "deep" / "south.csv.gz").write_bytes(gzip.compress(text.encode()))
    _write(tmp_path / "data" / "finance" / "east.csv", text)
    frame = read_logs(tmp_path / "data")
    units = frame.groupby(["process", "unit"]).size().to_dict()
    assert units == {("finance", "east"): 5, ("hr", "north"): 5, ("hr", "south"): 5}
    assert [Path(s["path"]).name for s in frame.attrs["sources"]] == ["east.csv", "south.csv.gz", "north.csv"]


def test_process_from_parent_of_first_file(tmp_path):
    text = make_corpus.csv_text(make_corpus._ROWS)
    a = _write(tmp_path / "bpic2015" / "BPIC15_1.csv", text)
    b = _write(tmp_path / "other" / "BPIC15_2.csv", text)
    frame = read_logs([a, b])
    assert set(frame["process"]) == {"bpic2015"}
    assert list(frame["unit"].unique()) == ["BPIC15_1", "BPIC15_2"]
    frame = read_logs(tmp_path / "bpic2015")
    assert set(frame["process"]) == {"bpic2015"}


def test_unit_and_process_columns_and_explicit_keys(tmp_path):
    path = _write(
        tmp_path / "x.csv",
        "ref,step,when,department,process_name,trace_id\n"
        "a,S1,2024-01-01T00:00:00Z,North,HR,t1\n"
        "a,S2,2024-01-02T00:00:00Z,North,HR,t1\n",
    )
    frame = read_logs(path, case_id_key="ref", activity_key="step", timestamp_key="when")
    assert list(frame["unit"]) == ["North", "North"]
    assert list(frame["process"]) == ["HR", "HR"]
    assert list(frame["case"]) == ["a", "a"]
    assert list(frame["trace_id"]) == ["t1", "t1"]


def test_missing_explicit_key_lists_columns(tmp_path):
    path = _write(tmp_path / "x.csv", make_corpus.csv_text(make_corpus._ROWS))
    with pytest.raises(ColumnError, match=r"'nope'.*--case-key.*available columns: 'case_id'"):
        read_logs(path, case_id_key="nope")


def test_ambiguous_names_the_option(tmp_path):
    path = _write(tmp_path / "x.csv", "case,activity,date,time\nc,A,2024-01-01,10:00\n")
    with pytest.raises(ColumnError, match=r"ambiguous timestamp column: 'date', 'time'.*--timestamp-key"):
        read_logs(path)


def test_pm4py_keys_win_over_plain_names(tmp_path):
    path = _write(
        tmp_path / "x.csv",
        "case:concept:name,concept:name,time:timestamp,timestamp\nc,A,2024-01-01T00:00:00Z,junk\n",
    )
    frame = read_logs(path)
    assert list(frame["timestamp (original)"]) == ["junk"]
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_lifecycle_folding_pairs_nth_start_with_nth_complete(tmp_path):
    with pytest.warns(DivergenceWarning, match="2 lifecycle start events folded"):
        frame = read_logs(make_corpus.CORPUS / "lifecycle.csv")
    assert list(frame["activity"]) == ["A", "A", "B"]
    assert list(frame["timestamp"]) == list(_ts("2024-01-01T09:30:00Z", "2024-01-01T10:45:00Z", "2024-01-01T11:00:00Z"))
    starts = frame["start_timestamp"]
    assert list(starts[:2]) == list(_ts("2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z"))
    assert pd.isna(starts.iloc[2])
    assert str(starts.dtype) == "datetime64[ns, UTC]"


def test_xes_trace_attribute_as_unit(tmp_path):
    traces = [("c1", [{"concept:name": "A", "time:timestamp": "2024-01-01T00:00:00Z"}],
               '<string key="department" value="North"/>'),
              ("c2", [{"concept:name": "B", "time:timestamp": "2024-01-01T00:00:00Z"}],
               '<string key="department" value="South"/>')]
    path = _write(tmp_path / "log.xes", make_corpus.xes_text(traces))
    frame = read_logs(path)
    assert list(frame["unit"]) == ["North", "South"]
    frame = read_logs(path, unit_key="case:department")
    assert list(frame["unit"]) == ["North", "South"]


def test_xes_all_types_reads_direct_attributes_only():
    frame = read_logs(make_corpus.CORPUS / "all_types.xes")
    assert list(frame["activity"]) == ["A", "B"]
    assert list(frame["case"]) == ["c1", "c1"]
    assert list(frame["resource"].fillna("-")) == ["ann", "-"]
    assert list(frame["timestamp"]) == list(_ts("2024-01-01T08:00:00Z", "2024-01-01T09:00:00Z"))


def test_unknown_explicit_file_type_and_empty_list(tmp_path):
    path = _write(tmp_path / "log.json", "{}")
    with pytest.raises(InputError, match="unknown file type"):
        read_logs(path)
    with pytest.raises(InputError, match="no input"):
        read_logs([])


def test_all_events_dropped_is_empty_log(tmp_path):
    path = _write(tmp_path / "x.csv", "case,activity,timestamp\nc,,2024-01-01T00:00:00Z\n")
    with pytest.warns(DivergenceWarning), pytest.raises(EmptyLogError, match="no events left"):
        read_logs(path)


def test_input_files_not_modified(tmp_path):
    path = _write(tmp_path / "x.csv", make_corpus.csv_text(make_corpus._ROWS))
    before = path.read_bytes()
    read_logs(path)
    assert path.read_bytes() == before


# --- round-trip properties -------------------------------------------------

_names = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" _-.'&"),
    min_size=1, max_size=12,
).map(str.strip).filter(bool)
_events = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "10", "x y"]),
        _names,
        st.datetimes(min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
                     max_value=pd.Timestamp("2030-01-01").to_pydatetime()),
        st.one_of(st.none(), _names),
    ),
    min_size=1, max_size=25, unique_by=lambda e: (e[0], e[1], e[2]),
)


def _expected(events) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "process": "p",
            "unit": "u",
            "case": [e[0] for e in events],
            "activity": [e[1] for e in events],
            "timestamp": pd.to_datetime([e[2] for e in events], utc=True).astype("datetime64[ns, UTC]"),
            "resource": [e[3] for e in events],
        }
    ).astype({c: "str" for c in ["process", "unit", "case", "activity", "resource"]})
    frame["_o"] = range(len(frame))
    frame = frame.sort_values(["case", "timestamp", "_o"], kind="stable").drop(columns="_o")
    return frame.reset_index(drop=True)


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_events, fmt=st.sampled_from(["csv", "xes", "parquet"]))
def test_round_trip(tmp_path_factory, events, fmt):
    folder = tmp_path_factory.mktemp("rt") / "p"
    folder.mkdir()
    if fmt == "csv":
        import csv

        path = folder / "u.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["case_id", "activity", "timestamp", "resource"])
            writer.writerows([e[0], e[1], _iso(e[2]), e[3] or ""] for e in events)
    elif fmt == "xes":
        path = folder / "u.xes"
        traces: dict[str, list] = {}
        for case, act, ts, res in events:
            event = {"concept:name": act, "time:timestamp": _iso(ts)}
            if res is not None:
                event["org:resource"] = res
            traces.setdefault(case, []).append(event)
        path.write_text(make_corpus.xes_text(list(traces.items())), encoding="utf-8")
    else:
        path = folder / "u.parquet"
        pd.DataFrame(
            {"case": [e[0] for e in events], "activity": [e[1] for e in events],
             "timestamp": pd.to_datetime([e[2] for e in events], utc=True),
             "resource": [e[3] for e in events]}
        ).to_parquet(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        frame = read_logs(folder)  # a file directly in an input folder: process = the folder's name
    pd.testing.assert_frame_equal(frame[COLUMNS], _expected(events)[COLUMNS])


def test_xes_without_events_is_empty(tmp_path):
    path = _write(tmp_path / "log.xes", make_corpus.xes_text([]))
    with pytest.raises(EmptyLogError, match="no events"):
        read_logs(path)
