"""Tests of divergence.harmonise.waves.plan_waves."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergence.harmonise.waves as waves_module
from divergence.errors import OptionError
from divergence.harmonise.waves import WAVE_COLUMNS, plan_waves


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "fitness_to_target", "cost_central", "family"])


TEN = frame(
    [
        ("a", 1.00, 0, "F1"),
        ("b", 0.95, 5, "F1"),
        ("c", 0.80, 30, "F2"),
        ("d", 0.70, 40, "F2"),
        ("e", 0.60, 50, "F3"),
        ("f", 0.50, 60, "F3"),
        ("g", 0.50, 60, None),
        ("h", 0.40, 80, "F4"),
        ("i", 0.30, 90, "F4"),
        ("j", 0.20, 100, "F5"),
    ]
)


def waves(df: pd.DataFrame, **kw) -> dict[str, int]:
    out = plan_waves(df, **kw)
    return dict(zip(out["unit"], out["wave"]))


def test_docstring_example():
    assert doctest.testmod(waves_module).failed == 0


def test_auto_plan_exact():
    out = plan_waves(TEN)
    assert tuple(out.columns) == WAVE_COLUMNS
    assert list(out["unit"]) == list("abcdefghij")
    # 8 units after wave 1 -> ceil(8/4) = 2 waves; groups in readiness order
    # F2 (2 units), F3 (2), g (1), F4 (2), F5 (1): cut nearest 4 units
    assert list(out["wave"]) == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert list(out["readiness"]) == pytest.approx([1.0, 0.9, 0.5, 0.3, 0.1, -0.1, -0.1, -0.4, -0.6, -0.8])
    assert out["reason"].iloc[0].startswith("already close to the target")
    assert "moves with family F2" in out["reason"].iloc[2]
    assert out["reason"].iloc[6].endswith("no family")


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, [1] * 10),
        (2, [1, 1] + [2] * 8),
        (4, [1, 1, 2, 2, 3, 3, 3, 4, 4, 4]),
        (9, [1, 1, 2, 2, 3, 3, 4, 5, 5, 6]),  # no more waves than groups
    ],
)
def test_fixed_number_of_waves(n: int, expected: list[int]):
    w = waves(TEN, n_waves=n)
    assert [w[u] for u in "abcdefghij"] == expected


def test_no_ready_unit_starts_at_wave_one():
    df = frame([("x", 0.5, 10, "F"), ("y", 0.4, 20, "F"), ("z", 0.1, 100, "G")])
    assert waves(df, n_waves=2) == {"x": 1, "y": 1, "z": 2}


def test_family_stays_together_despite_readiness():
    df = frame(
        [("p", 0.85, 10, "F"), ("q", 0.20, 100, "F"), ("r", 0.6, 40, None), ("s", 0.5, 50, None)]
    )
    # group readiness: r 0.2, s 0.0, F mean(0.75, -0.8) = -0.025
    assert waves(df, n_waves=3) == {"r": 1, "s": 2, "p": 3, "q": 3}


def test_zero_costs_and_ties_by_name():
    df = frame([("b", 0.95, 0, None), ("a", 0.95, 0, None), ("c", 0.5, 0, None)])
    out = plan_waves(df)
    assert list(out["unit"]) == ["a", "b", "c"]
    assert list(out["wave"]) == [1, 1, 2]
    assert list(out["readiness"]) == [0.95, 0.95, 0.5]


def test_ready_thresholds_are_options():
    df = frame([("a", 0.85, 0, None), ("b", 0.5, 100, None)])
    # not ready at the default 0.9; two units left make one wave
    assert waves(df) == {"a": 1, "b": 1}
    assert waves(df, ready_fitness=0.8) == {"a": 1, "b": 2}


def test_empty_and_input_untouched():
    out = plan_waves(TEN.iloc[:0])
    assert out.empty and tuple(out.columns) == WAVE_COLUMNS
    before = TEN.copy()
    plan_waves(TEN.iloc[::-1], n_waves=3)
    pd.testing.assert_frame_equal(TEN, before)


def test_row_order_does_not_matter():
    a = plan_waves(TEN)
    b = plan_waves(TEN.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "df, kw, match",
    [
        (TEN.drop(columns=["family"]), {}, "lacks column"),
        (pd.concat([TEN, TEN.iloc[:1]]), {}, "more than once"),
        (TEN.assign(fitness_to_target=1.5), {}, "fitness_to_target"),
        (TEN.assign(fitness_to_target=float("nan")), {}, "fitness_to_target"),
        (TEN.assign(cost_central=-1.0), {}, "cost_central"),
        (TEN, {"n_waves": 0}, "n_waves"),
        (TEN, {"n_waves": "many"}, "n_waves"),
        (TEN, {"n_waves": True}, "n_waves"),
    ],
)
def test_bad_input(df: pd.DataFrame, kw: dict, match: str):
    with pytest.raises(OptionError, match=match):
        plan_waves(df, **kw)


rows_st = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.floats(0, 1000),
        st.one_of(st.none(), st.sampled_from(["F1", "F2", "F3"])),
    ),
    max_size=15,
)


@settings(max_examples=50, deadline=None)
@given(rows_st, st.one_of(st.just("auto"), st.integers(1, 6)))
def test_plan_properties(rows: list[tuple], n_waves):
    df = frame([(f"u{i:02d}", f, c, fam) for i, (f, c, fam) in enumerate(rows)])
    out = plan_waves(df, n_waves=n_waves)
    assert sorted(out["unit"]) == sorted(df["unit"])
    if len(out):
        used = sorted(set(out["wave"]))
        assert used == list(range(1, len(used) + 1))
        if n_waves != "auto":
            assert len(used) <= n_waves
        # a family's units outside the "already on the standard" wave share one wave
        later = out.merge(df, on="unit")
        later = later[~later["reason"].str.startswith("already")].dropna(subset=["family"])
        assert (later.groupby("family")["wave"].nunique() <= 1).all()
        # sorted by wave, readiness descending, unit
        key = list(zip(out["wave"], -out["readiness"], out["unit"]))
        assert key == sorted(key)
