"""The linear-time transitive relations lent to pm4py's inductive miner equal pm4py's own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from divergence.model import pm
from divergence.model.reach import reach_sets, transitive_relations

pm._pm4py()
from pm4py.objects.dfg import util as dfu  # noqa: E402
from pm4py.objects.dfg.obj import DFG  # noqa: E402

ACTS = "abcdefgh"
edges = st.lists(st.tuples(st.sampled_from(ACTS), st.sampled_from(ACTS)), max_size=30)


def test_reach_on_a_cycle_excludes_the_node_itself():
    out = reach_sets("abcd", [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert out == {"a": {"b", "c", "d"}, "b": {"a", "c", "d"}, "c": {"a", "b", "d"}, "d": set()}


def test_reach_with_a_self_loop_excludes_the_node_itself():
    assert reach_sets("ab", [("a", "a"), ("a", "b")]) == {"a": {"b"}, "b": set()}


@settings(max_examples=200, deadline=None)
@given(edges, st.sets(st.sampled_from(ACTS), max_size=3), st.sets(st.sampled_from(ACTS), max_size=3))
def test_transitive_relations_equal_pm4pys(graph, starts, ends):
    dfg = DFG({e: 1 for e in graph}, {a: 1 for a in starts}, {a: 1 for a in ends})
    assert transitive_relations(dfg) == dfu.get_transitive_relations(dfg)


def test_discovery_restores_pm4pys_function_afterwards():
    original = dfu.get_transitive_relations
    pm.discover_model_from_variants({("a", "b", "c"): 3, ("a", "c", "b"): 2}, name="t")
    assert dfu.get_transitive_relations is original
