"""divergence.transport: column generation gives the dense simplex's optimum."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergence import collector, transport
from divergence.transport import solve


def _dense_value(a, b, cost):
    return transport._dense(np.asarray(a, float), np.asarray(b, float) * (np.sum(a) / np.sum(b)), cost, False)[1]


@pytest.fixture
def sparse_always(monkeypatch):
    """Every problem takes the column-generation path, with few starting arcs (many rounds)."""
    monkeypatch.setattr(transport, "DENSE_MAX_CELLS", 0)
    monkeypatch.setattr(transport, "START_ARCS", 2)


def test_column_generation_matches_a_hand_solved_problem(sparse_always):
    # two sources, three sinks; the cheap diagonal cannot take all of source 0
    a = np.array([3.0, 1.0])
    b = np.array([1.0, 1.0, 2.0])
    cost = np.array([[0.0, 5.0, 1.0], [4.0, 0.0, 9.0]])
    plan, value, optimal = solve(a, b, cost)
    assert optimal
    # source 0: 1 to sink 0 (0), 2 to sink 2 (2); source 1: 1 to sink 1 (0)
    assert value == pytest.approx(2.0, abs=1e-12)
    np.testing.assert_allclose(plan, [[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**31 - 1),
    st.sampled_from(["uniform", "integer", "metric"]),
)
def test_column_generation_value_equals_the_dense_simplex(rows, cols, seed, kind):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, rows).astype(float)
    b = rng.integers(0, 5, cols).astype(float)
    a[0] += 1  # at least some mass on each side
    b[-1] += 1
    if kind == "uniform":
        cost = rng.random((rows, cols))
    elif kind == "integer":
        cost = rng.integers(0, 4, (rows, cols)).astype(np.int32)  # ties everywhere
    else:
        x, y = rng.random(rows), rng.random(cols)
        cost = np.abs(x[:, None] - y[None, :])
    expected = _dense_value(a, b, np.asarray(cost, float))
    old = transport.DENSE_MAX_CELLS, transport.START_ARCS
    transport.DENSE_MAX_CELLS, transport.START_ARCS = 0, 1
    try:
        plan, value, optimal = solve(a, b, cost)
    finally:
        transport.DENSE_MAX_CELLS, transport.START_ARCS = old
    assert optimal
    assert value == pytest.approx(expected, abs=1e-9)
    # the plan moves every source's mass and fills every sink (b rescaled to a's total)
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-9)
    np.testing.assert_allclose(plan.sum(axis=0), b * a.sum() / b.sum(), atol=1e-9)
    assert (plan >= -1e-12).all()
    assert float((plan * cost).sum()) == pytest.approx(value, abs=1e-9)


def test_column_generation_on_a_large_problem_equals_the_dense_simplex():
    # above DENSE_MAX_CELLS with the default settings: the path real logs take
    rng = np.random.default_rng(7)
    n, m = 600, 500
    x, y = rng.integers(0, 40, n), rng.integers(0, 40, m)
    cost = np.abs(x[:, None] - y[None, :]).astype(np.int32) + rng.integers(0, 3, (n, m)).astype(np.int32)
    a, b = rng.integers(1, 9, n).astype(float), rng.integers(1, 9, m).astype(float)
    assert n * m > transport.DENSE_MAX_CELLS
    _, value, optimal = solve(a, b, cost, plan=False)
    assert optimal
    assert value == pytest.approx(_dense_value(a, b, cost.astype(float)), rel=1e-12)


def test_zero_mass_rows_and_columns_are_not_priced(sparse_always):
    # POT drops zero-mass rows and columns; their potentials must not add arcs forever
    a = np.array([0.0, 2.0, 0.0, 1.0])
    b = np.array([1.0, 0.0, 2.0])
    cost = np.array([[-5.0, -9.0, -9.0], [1.0, 3.0, 2.0], [-7.0, -7.0, -7.0], [0.0, 8.0, 4.0]])
    plan, value, optimal = solve(a, b, cost)
    assert optimal
    assert value == pytest.approx(_dense_value(a, b, cost), abs=1e-12)
    assert plan[[0, 2]].sum() == 0 and plan[:, 1].sum() == 0


def test_full_rows_start_with_every_arc(sparse_always, monkeypatch):
    seen = []
    real = transport._columns

    def spy(fn, a, b, cost, full_rows, plan):
        seen.append(full_rows)
        return real(fn, a, b, cost, full_rows, plan)

    monkeypatch.setattr(transport, "_columns", spy)
    a = np.array([1.0, 1.0, 3.0])  # the last row: spare capacity at zero cost
    b = np.array([2.0, 1.0, 2.0])
    cost = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    _, value, optimal = solve(a, b, cost, full_rows=np.array([2]))
    assert optimal and list(seen[0]) == [2]
    assert value == pytest.approx(_dense_value(a, b, cost), abs=1e-12)


def test_without_the_sparse_solver_the_dense_one_answers(monkeypatch):
    import ot.lp.emd_wrap as wrap

    monkeypatch.setattr(transport, "DENSE_MAX_CELLS", 0)
    monkeypatch.delattr(wrap, "emd_c_sparse", raising=False)
    a, b = np.array([1.0, 2.0]), np.array([2.0, 1.0])
    cost = np.array([[0.0, 1.0], [1.0, 0.0]])
    plan, value, optimal = solve(a, b, cost)
    assert optimal and value == pytest.approx(1.0)
    np.testing.assert_allclose(plan, [[1.0, 0.0], [1.0, 1.0]])


def test_unsettled_column_generation_falls_back_to_the_dense_solver(monkeypatch):
    monkeypatch.setattr(transport, "DENSE_MAX_CELLS", 0)
    monkeypatch.setattr(transport, "START_ARCS", 1)
    monkeypatch.setattr(transport, "MAX_ROUNDS", 0)
    rng = np.random.default_rng(3)
    a, b, cost = rng.random(6) + 0.1, rng.random(7) + 0.1, rng.random((6, 7))
    _, value, optimal = solve(a, b, cost)
    assert optimal and value == pytest.approx(_dense_value(a, b, cost), abs=1e-12)


def test_relaxed_collector_restores_the_callers_thresholds():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with collector.relaxed():
            assert gc.get_threshold() == collector.THRESHOLDS
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(0)  # a caller who turned the collector off keeps it off
        with collector.relaxed():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
