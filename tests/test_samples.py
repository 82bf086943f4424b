"""The sample-log generator: determinism, layout, planted truth, large logs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from divergence.errors import OptionError
from divergence.samples import (
    EDIT_KINDS,
    PROCESSES,
    UNITS,
    Edit,
    generate_large,
    render_readme,
    simulate_process,
    write_large,
    write_samples,
)

REPO_SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
STANDARD = ("dwp", "defra", "environment_agency")
SINGLETONS = ("moj_prisons", "moj_probation", "moj_courts", "mod", "hmrc")


@pytest.fixture(scope="module")
def logs() -> dict[str, pd.DataFrame]:
    return {p: simulate_process(p) for p in PROCESSES}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    write_samples(out)
    return out


def _traces(frame: pd.DataFrame, unit: str) -> pd.Series:
    part = frame[frame["unit"] == unit]
    return part.groupby("case", sort=True)["activity"].agg(tuple)


# --- files ----------------------------------------------------------------------


def test_write_samples_is_byte_identical_on_rerun(written: Path, tmp_path: Path) -> None:
    write_samples(tmp_path)
    first = sorted(p.relative_to(written) for p in written.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (written / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_layout_one_file_per_unit_and_targets(written: Path) -> None:
    for p in PROCESSES.values():
        assert sorted(f.name for f in (written / p.name).iterdir()) == sorted(f"{u}.{p.fmt}" for u in UNITS)
    assert sorted(f.name for f in (written / "targets").iterdir()) == ["finance.bpmn", "hr.bpmn", "procurement.bpmn"]
    assert (written / "README.md").read_text(encoding="utf-8") == render_readme()


def test_committed_sample_logs_match_the_generator(written: Path) -> None:
    if not (REPO_SAMPLES / "README.md").exists():
        pytest.skip("sample_logs/ not generated yet")
    for f in written.rglob("*"):
        if f.is_file():
            rel = f.relative_to(written)
            assert (REPO_SAMPLES / rel).read_bytes() == f.read_bytes(), f"{rel} drifted: rerun python -m divergence.samples"


def test_file_formats_round_trip(written: Path, logs: dict[str, pd.DataFrame]) -> None:
    fin = pd.read_csv(written / "finance" / "dwp.csv")
    assert list(fin.columns) == ["case_id", "activity", "timestamp", "resource", "role"]
    assert fin["timestamp"].str.endswith("Z").all()
    expected = logs["finance"][logs["finance"]["unit"] == "dwp"]
    assert fin["case_id"].tolist() == expected["case"].tolist()

    table = pq.read_table(written / "procurement" / "mod.parquet")
    assert table.column_names[:4] == ["case:concept:name", "concept:name", "time:timestamp", "org:resource"]
    assert str(table.schema.field("time:timestamp").type) == "timestamp[us, tz=UTC]"
    assert table.schema.metadata is None

    import gzip

    xes = gzip.decompress((written / "hr" / "defra.xes.gz").read_bytes()).decode("utf-8")
    assert xes.count("<trace>") == PROCESSES["hr"].unit("defra").cases
    assert 'key="lifecycle:transition" value="complete"' in xes
    assert 'key="time:timestamp" value="2024-' in xes


# --- volumes, ids, time ----------------------------------------------------------


def test_volumes(logs: dict[str, pd.DataFrame]) -> None:
    for p, frame in logs.items():
        cases = frame.groupby("unit")["case"].nunique()
        assert sorted(cases.index) == sorted(UNITS)
        assert 2500 <= cases.sum() <= 4000, p
        assert cases.min() >= 80, p
        assert cases["dwp"] > cases["hmrc"] > cases["defra"] > cases["dft"], p
        assert cases.to_dict() == {u.unit: u.cases for u in PROCESSES[p].units}


def test_case_ids_unique_within_unit_and_prefixed(logs: dict[str, pd.DataFrame]) -> None:
    for p, frame in logs.items():
        firsts = frame.drop_duplicates(["unit", "case"])
        assert not firsts.duplicated("case").any()
        assert firsts["case"].str.startswith(PROCESSES[p].prefix + "-").all()
    assert logs["hr"]["case"].iloc[0] == "HR-MOJPR-000001"


def test_timestamps_in_working_hours_and_increasing(logs: dict[str, pd.DataFrame]) -> None:
    for frame in logs.values():
        assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
        local = frame["timestamp"].dt.tz_convert("Europe/London")
        minutes = local.dt.hour * 60 + local.dt.minute
        assert ((minutes >= 8 * 60) & (minutes <= 18 * 60)).all()
        assert (local.dt.day_of_week < 5).all()
        step = frame.groupby(["unit", "case"], sort=False)["timestamp"].diff().dropna()
        assert (step > pd.Timedelta(0)).all()


def test_every_unit_has_noise(logs: dict[str, pd.DataFrame]) -> None:
    for frame in logs.values():
        for u in STANDARD:
            traces = _traces(frame, u)
            repeated = traces.map(lambda t: len(set(t)) < len(t)).mean()
            assert 0.005 < repeated < 0.1
            assert traces.value_counts(normalize=True).iloc[0] > 0.3  # noise, not chaos


# --- planted truth -----------------------------------------------------------------

EDITS = [(p.name, u.unit, e) for p in PROCESSES.values() for u in p.units for e in u.edits]


@pytest.mark.parametrize(("process", "unit", "edit"), EDITS, ids=[f"{p}-{u}-{e.kind}-{e.activities[0]}" for p, u, e in EDITS])
def test_planted_difference_is_visible(logs: dict[str, pd.DataFrame], process: str, unit: str, edit: Edit) -> None:
    frame = logs[process]
    traces, standard = _traces(frame, unit), _traces(frame, "dwp")
    a = edit.activities[0]
    if edit.kind == "add":
        assert traces.map(lambda t: a in t).mean() < 1 - edit.share + 0.1
        assert standard.map(lambda t: a in t).mean() > 0.9
    elif edit.kind == "drop":
        assert traces.map(lambda t: a in t).mean() > edit.share - 0.1
        for u in STANDARD:
            assert a not in set(frame.loc[frame["unit"] == u, "activity"])
    elif edit.kind == "reorder":
        b = edit.activities[1]

        def swapped(t: tuple[str, ...]) -> bool:
            return a in t and b in t and t.index(b) < t.index(a)

        assert traces.map(swapped).mean() > edit.share - 0.1
        assert standard.map(swapped).mean() < 0.05
    else:
        assert traces.map(lambda t: t.count(a) > 1).mean() > edit.share - 0.1
        assert standard.map(lambda t: t.count(a) > 1).mean() < 0.05


def test_edges_separate_the_families(logs: dict[str, pd.DataFrame]) -> None:
    """Directly-follows edge distributions: the standard units are nearer to each
    other than to any unit planted with its own process; the MoJ units differ."""
    for p, frame in logs.items():
        nxt = frame.groupby(["unit", "case"], sort=False)["activity"].shift(-1)
        edges = (frame["activity"] + ">" + nxt).dropna()
        dist = pd.crosstab(frame.loc[edges.index, "unit"], edges, normalize="index")

        def d(u: str, v: str) -> float:
            return float(np.abs(dist.loc[u] - dist.loc[v]).sum() / 2)

        within = max(d(u, v) for u in STANDARD for v in STANDARD)
        assert within < 0.05, p
        assert min(d(u, v) for u in STANDARD for v in SINGLETONS + ("dft",)) > 3 * within, p
        assert min(d(u, v) for u in SINGLETONS for v in SINGLETONS if u < v) > 3 * within, p


def test_edit_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="valid: " + ", ".join(EDIT_KINDS)):
        Edit("swap", ("A",), 0.5)


def test_bpmn_targets_fit_the_standard_units(written: Path, logs: dict[str, pd.DataFrame]) -> None:
    pm4py = pytest.importorskip("pm4py")
    for p, frame in logs.items():
        bpmn = pm4py.read_bpmn(str(written / "targets" / f"{p}.bpmn"))
        net, im, fm = pm4py.convert_to_petri_net(bpmn)
        for unit in STANDARD + ("moj_prisons", "moj_probation", "moj_courts"):
            part = frame[frame["unit"] == unit]
            log = pd.DataFrame(
                {
                    "case:concept:name": part["case"].to_numpy(dtype=object),
                    "concept:name": part["activity"].to_numpy(dtype=object),
                    "time:timestamp": part["timestamp"],
                }
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = pm4py.fitness_token_based_replay(log, net, im, fm)["log_fitness"]
            if unit in STANDARD:
                assert fit >= 0.95, (p, unit, fit)
            else:
                assert fit < 0.95, (p, unit, fit)


# --- large logs -----------------------------------------------------------------------


def test_generate_large_size_units_and_variant_tail() -> None:
    frame = generate_large(50_000)
    assert abs(len(frame) - 50_000) <= 2_500
    assert list(frame.columns) == ["process", "unit", "case", "activity", "timestamp", "resource"]
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["unit"].nunique() == 10
    assert frame["activity"].nunique() == 40
    variants = frame.groupby("case", sort=False)["activity"].agg(tuple)
    assert variants.nunique() >= 500
    assert variants.value_counts().iloc[0] > 10  # a head as well as a tail
    assert frame.groupby("case")["unit"].nunique().max() == 1
    assert (frame.groupby("case", sort=False)["timestamp"].diff().dropna() > pd.Timedelta(0)).all()


def test_generate_large_is_deterministic_and_seeded() -> None:
    a, b, c = generate_large(5_000), generate_large(5_000), generate_large(5_000, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["activity"].equals(c["activity"])


@pytest.mark.parametrize("kwargs", [{"n_events": 0}, {"n_events": 10, "n_units": 0}, {"n_events": 10, "n_activities": 3}])
def test_generate_large_rejects_bad_arguments(kwargs: dict[str, int]) -> None:
    with pytest.raises(OptionError):
        generate_large(**kwargs)


def test_write_large_one_file_per_unit(tmp_path: Path) -> None:
    paths = write_large(tmp_path, 20_000, n_units=4)
    assert [p.name for p in paths] == [f"unit_{i:02d}.parquet" for i in range(4)]
    assert sum(pq.read_metadata(p).num_rows for p in paths) == len(generate_large(20_000, n_units=4))
    with pytest.raises(OptionError, match="valid: parquet, csv"):
        write_large(tmp_path, 100, fmt="xlsx")
