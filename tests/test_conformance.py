"""Tests of divergence.measures.conformance: the cross-conformance matrix."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pmhelpers import MODELS, make_profile  # noqa: E402

from divergence.model import behaviour, pm, statespace  # noqa: E402
from divergence.measures.conformance import conformance_matrix, conformance_raw, unit_fitness  # noqa: E402
from divergence.errors import OptionError  # noqa: E402


@pytest.fixture(scope="module")
def units():
    profs = [
        make_profile([("A,B,C,D", 10)], unit="seq"),
        make_profile([("A,B,C,D", 5), ("A,C,B,D", 5)], unit="par"),
        make_profile([("A,X,D", 6), ("A,B,C,D", 2)], unit="odd"),
    ]
    return profs, [pm.discover_model(p) for p in profs]


def test_bounds_shape_and_diagonal(units):
    profs, models = units
    raw = conformance_raw(profs, models)
    mat = conformance_matrix(profs, models)
    assert raw.shape == mat.shape == (3, 3)
    assert ((raw >= 0) & (raw <= 1)).all() and ((mat >= 0) & (mat <= 1)).all()
    assert np.all(np.diag(mat) == 0)
    off = ~np.eye(3, dtype=bool)
    assert np.array_equal(raw[off], mat[off])


def test_perfectly_fitting_logs_fit_own_model(units):
    profs, models = units
    raw = conformance_raw(profs, models)
    assert raw[0, 0] == pytest.approx(0.0)
    assert raw[1, 1] == pytest.approx(0.0)
    # the sequential unit fits the model that also allows B and C swapped
    assert raw[0, 1] == pytest.approx(0.0)
    # but not the other way round: asymmetric
    assert raw[1, 0] > 0
    # foreign activity X counts as misfit
    assert raw[2, 0] > raw[0, 2]


def test_file_model_and_unknown_activities():
    m = pm.read_model(MODELS / "abcd.ptml")
    p = make_profile([("A,X,B,C,D", 1)])
    assert unit_fitness(p, m, count_unknown=False) == pytest.approx(1.0)
    # one log move (X) over 5 events plus the 4 of the shortest model run
    assert unit_fitness(p, m) == pytest.approx(1 - 1 / 9)
    # token replay: fitness 1 on the known events, times the 4/5 known
    assert unit_fitness(p, m, method="token") == pytest.approx(0.8)


def test_alignment_fitness_counts_log_and_model_moves():
    m = pm.read_model(MODELS / "abcd.ptml")
    # swapped B and C: one log move and one model move
    assert unit_fitness(make_profile([("A,C,B,D", 1)]), m) == pytest.approx(1 - 2 / 8)
    # a missing step is one model move; the empty trace is all model moves
    assert unit_fitness(make_profile([("A,B,D", 1)]), m) == pytest.approx(1 - 1 / 7)
    assert unit_fitness(make_profile([("A,B,C,D", 3), ("A,B,D", 1)]), m) == pytest.approx((3 + 6 / 7) / 4)


def test_model_with_a_large_state_space_falls_back_to_token_replay(units, monkeypatch):
    profs, _ = units
    monkeypatch.setattr(behaviour, "EXACT_MAX_STATES", 1)
    fresh = [pm.discover_model(p) for p in profs]
    raw = conformance_raw(profs, fresh)
    assert set(raw.methods.ravel()) == {"token"}
    assert raw[0, 0] == pytest.approx(0.0) and raw[1, 0] > 0
    with pytest.raises(OptionError, match="too large for exact alignments"):
        conformance_raw(profs, fresh, method="align")


def test_resampled_profiles_use_cache(units, monkeypatch):
    profs, models = units
    conformance_raw(profs, models)
    resampled = [make_profile([("A,B,C,D", 1), ("A,C,B,D", 9)], unit="par")]

    def boom(*a, **k):  # no variant may be aligned or replayed again
        raise AssertionError("aligned again")

    monkeypatch.setattr(pm, "_event_log", boom)
    monkeypatch.setattr(statespace, "alignment_costs", boom)
    raw = conformance_raw(resampled, models[1:2])
    assert raw.shape == (1, 1) and raw[0, 0] == pytest.approx(0.0)
    raw0 = conformance_raw(resampled, models[:1])
    base = conformance_raw(profs[1:2], models[:1])
    assert raw0[0, 0] > base[0, 0]  # more swapped cases, more misfit


def test_mismatched_lengths():
    with pytest.raises(OptionError, match="one model per unit"):
        conformance_matrix([make_profile([("A", 1)])], [])


def test_df_method_switch_and_methods_recorded(units, monkeypatch):
    from divergence.measures import conformance

    profs, models = units
    exact = conformance_raw(profs, models)
    assert set(exact.methods.ravel()) == {"align"}
    monkeypatch.setattr(conformance, "DF_MIN_ACTIVITIES", 0)
    df = conformance_matrix(profs, models)
    assert set(df.methods.ravel()) == {"df"}
    assert np.all(np.diag(df) == 0) and df.raw[0, 0] == pytest.approx(0.0)
    assert ((df >= 0) & (df <= 1)).all()
    assert df[0, 1] == pytest.approx(0.0) and df[1, 0] > 0  # same asymmetry as alignments
    assert df[2, 0] > 0
