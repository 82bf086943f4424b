"""Tests of divergence.model.statespace: exact alignments on a model's reachability graph."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from pmhelpers import MODELS, make_profile  # noqa: E402

from divergence.model import alignment, behaviour, pm, statespace  # noqa: E402


@pytest.fixture(scope="module")
def abcd():
    m = pm.read_model(MODELS / "abcd.pnml")
    return m, behaviour._exact_space(m)


def test_sequence_model_state_space_and_shortest_run(abcd):
    _, ss = abcd
    assert ss.labels == ["A", "B", "C", "D"]
    assert ss.final >= 0 and ss.shortest == 4


@pytest.mark.parametrize(
    "trace, moves",
    [
        (("A", "B", "C", "D"), "sA sB sC sD"),
        (("A", "X", "B", "C", "D"), "sA lX sB sC sD"),
        (("A", "B", "D"), "sA sB mC sD"),
        (("D", "C", "B", "A"), "lD lC lB sA mB mC mD"),
        ((), "mA mB mC mD"),
    ],
)
def test_align_returns_an_optimal_alignment_in_order(abcd, trace, moves):
    _, ss = abcd
    got, cost = statespace.align(ss, trace)
    assert [k[0] + a for k, a in got] == moves.split()
    assert cost == sum(k != "sync" for k, _ in got)
    assert statespace.alignment_costs(ss, [trace])[0] == cost


def test_costs_of_many_traces_at_once_match_one_at_a_time(abcd):
    _, ss = abcd
    traces = [("A", "B", "C", "D"), (), ("X",), ("A", "C", "B", "D"), ("A", "B", "C", "D", "D", "D")]
    batch = statespace.alignment_costs(ss, traces)
    assert batch.tolist() == [0, 4, 5, 2, 2]
    assert batch.tolist() == [statespace.align(ss, t)[1] for t in traces]


def test_unreachable_final_marking_gives_no_alignment():
    ss = statespace.StateSpace(n=2, final=-1, labels=["A"], silent=[[], []], visible=[[("A", 1)], []])
    assert statespace.alignment_costs(ss, [("A",)]).tolist() == [statespace.BIG]
    with pytest.raises(ValueError, match="not reachable"):
        statespace.align(ss, ("A",))


def test_explore_stops_beyond_the_state_limit(abcd):
    m, _ = abcd
    trans, start, final = behaviour._compile(m)
    assert statespace.explore(trans, start, final, max_states=2) is None
    assert statespace.explore(trans, start, final, max_states=100).n == behaviour._state_space(m).n


# --- property: equal to pm4py's A* (an independent exact search) on discovered models

_LOGS = st.lists(
    st.tuples(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=6).map(tuple), st.integers(1, 5)),
    min_size=1,
    max_size=6,
)
_TRACES = st.lists(st.lists(st.sampled_from("ABCDEX"), max_size=7).map(tuple), min_size=1, max_size=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=_LOGS, traces=_TRACES)
def test_state_space_alignments_are_optimal_like_pm4py_astar(log, traces):
    model = pm.discover_model(make_profile(log))
    ss = behaviour._exact_space(model)
    assert ss is not None
    costs = statespace.alignment_costs(ss, traces)
    shortest = behaviour._model_info(model)["shortest"]
    assert ss.shortest == shortest
    for trace, cost in zip(traces, costs):
        ref = pm._astar(trace, model, timeout_s=30.0)
        assert ref is not None
        assert cost == sum(kind != "sync" for kind, _ in ref)
        moves, c = statespace.align(ss, trace)
        assert c == cost == sum(k != "sync" for k, _ in moves)
        # the log side is the trace; the model side is a trace of the model
        assert tuple(a for k, a in moves if k != "model") == trace
        model_side = tuple(a for k, a in moves if k != "log")
        assert statespace.alignment_costs(ss, [model_side])[0] == 0
    fit = alignment.alignment_fitness(traces, model)
    den = np.array([len(t) for t in traces]) + shortest
    assert np.allclose(fit, np.clip(1 - costs / np.maximum(den, 1), 0, 1))
