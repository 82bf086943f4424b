"""Tests of divergence.model.pm: model files, discovery, replay and alignments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from pmhelpers import MODELS, make_profile  # noqa: E402

from divergence.model import alignment, behaviour, pm  # noqa: E402
from divergence.errors import ModelError  # noqa: E402

ABCD = ("A", "B", "C", "D")


@pytest.mark.parametrize("name", ["abcd.bpmn", "abcd.pnml", "abcd.ptml"])
def test_read_model_formats(name):
    m = pm.read_model(MODELS / name)
    assert m.kind == "file"
    assert m.name == "abcd"
    assert m.activities == frozenset(ABCD)
    assert pm.replay_fitness([ABCD], m).tolist() == [1.0]


def test_read_model_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        pm.read_model(tmp_path / "missing.bpmn")
    bad = tmp_path / "m.txt"
    bad.write_text("x")
    with pytest.raises(ModelError, match="unknown model file type"):
        pm.read_model(bad)
    junk = tmp_path / "junk.pnml"
    junk.write_text("<pnml><net>")
    with pytest.raises(ModelError) as err:
        pm.read_model(junk)
    assert "\n" not in str(err.value) and "junk.pnml" in str(err.value)


def test_read_model_refuses_entities(tmp_path):
    bomb = tmp_path / "bomb.bpmn"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<definitions>&lol2;</definitions>"
    )
    with pytest.raises(ModelError, match="entity"):
        pm.read_model(bomb)


def test_discover_model_sound_and_fits_own_noisy_log():
    pytest.importorskip("pm4py")
    p = make_profile(
        [("A,B,C,D", 40), ("A,C,B,D", 30), ("A,B,C,E,D", 20), ("A,D", 2), ("A,B,B,C,D", 3), ("A,Z,C,D", 1)]
    )
    m = pm.discover_model(p)
    assert m.kind == "discovered" and m.name == "u1"
    from pm4py.algo.analysis.woflan import algorithm as woflan

    assert woflan.apply(m.net, m.initial_marking, m.final_marking, parameters={"print_diagnostics": False})
    fit = pm.replay_fitness(list(p.variants["variant"]), m)
    w = p.variants["cases"].to_numpy()
    assert (fit * w).sum() / w.sum() >= 0.9


def test_discover_dfg_route_drops_rare_activities_unless_asked(monkeypatch):
    monkeypatch.setattr(pm, "IMF_MAX_EVENTS", 0)
    p = make_profile([("A,B,C,D", 50), ("A,C,B,D", 40), ("A,B,X,C,D", 1), ("Y,A,B,C,D", 1)])
    m = pm.discover_model(p, noise_threshold=0.3)
    assert m.source.startswith("IMd") and "4 of 6 activities" in m.source
    assert m.activities == frozenset("ABCD")  # X, Y in ~1% of cases: projected away
    assert pm.replay_fitness([ABCD], m)[0] == 1.0
    m = pm.discover_model(p, noise_threshold=0.3, min_case_share=0)
    assert m.activities == frozenset("ABCDXY")  # kept connected on a start-to-end path
    assert pm.replay_fitness([ABCD], m)[0] == 1.0
    with pytest.raises(ModelError, match="case share"):
        pm.discover_model(p, min_case_share=1.0)


def test_discover_dfg_route_refilters_subgraphs_without_cut(monkeypatch):
    """A dense block of 10 activities in any order plus rare back edges is not a flower."""
    import random

    monkeypatch.setattr(pm, "IMF_MAX_EVENTS", 0)
    rng = random.Random(1)
    mid = [f"m{i}" for i in range(10)]
    variants = []
    for k in range(300):
        body = mid[:]
        for i in range(len(body) - 1):  # mostly in order, neighbours sometimes swapped
            if rng.random() < 0.3:
                body[i], body[i + 1] = body[i + 1], body[i]
        tail = ["Z", "A"] if k % 25 == 0 else []  # rare rework: back to the start
        variants.append((",".join(["A", *body, "Z", *tail]), 1))
    p = make_profile(variants)
    m = pm.discover_model(p)
    from pm4py.algo.analysis.woflan import algorithm as woflan

    assert woflan.apply(m.net, m.initial_marking, m.final_marking, parameters={"print_diagnostics": False})
    g = behaviour.model_graph(m)
    n = len(m.activities)
    assert len(g["edges"]) < 0.5 * n * n  # a flower allows all n * n pairs
    fit = alignment.df_fitness([tuple(v) for v in p.variants["variant"]], m)
    assert fit.mean() > 0.7


def test_discover_model_rejects_bad_threshold():
    with pytest.raises(ModelError, match="noise threshold"):
        pm.discover_model(make_profile([("A,B", 1)]), noise_threshold=1.5)


def test_replay_fitness_cached_and_ordered():
    m = pm.read_model(MODELS / "abcd.ptml")
    v = [("A", "B", "D"), ABCD, ("A", "B", "D")]
    f = pm.replay_fitness(v, m)
    assert f.shape == (3,) and f[1] == 1.0 and f[0] == f[2] < 1.0
    assert pm._FITNESS_CACHE[m][("A", "B", "D")] == f[0]


@pytest.mark.parametrize(
    "variant, moves, fitness",
    [
        (ABCD, "sA sB sC sD", 1.0),
        (("A", "B", "D"), "sA sB mC sD", 1 - 1 / 7),
        (("A", "X", "B", "C", "D"), "sA lX sB sC sD", 1 - 1 / 9),
        (("A", "B", "B", "C", "D"), "sA sB lB sC sD", 1 - 1 / 9),
    ],
)
def test_align_variants_exact(variant, moves, fitness):
    m = pm.read_model(MODELS / "abcd.pnml")
    (a,) = alignment.align_variants([variant], m)
    got = sorted(mv.kind[0] + mv.activity for mv in a.moves)
    assert got == sorted(moves.split())  # ties may order moves either way
    assert a.fitness == pytest.approx(fitness)
    assert a.exact and a.method == "state-space"  # exact, on the reachability graph, deterministic


def test_align_fallback_language_is_exact_and_agrees(monkeypatch):
    m = pm.read_model(MODELS / "abcd.ptml")
    variants = [ABCD, ("A", "C", "B", "D"), ("A", "X", "B", "D"), ()]
    astar = alignment.align_variants(variants, m, method="astar")
    monkeypatch.setattr(alignment, "ASTAR_MAX_TRANSITIONS", -1)
    m2 = pm.read_model(MODELS / "abcd.ptml")
    fallback = alignment.align_variants(variants, m2, method="astar")
    for a, b in zip(astar, fallback):
        assert b.method == "language" and b.exact
        assert b.deviations == a.deviations
        assert b.fitness == pytest.approx(a.fitness)


def test_align_last_resort_alphabet(monkeypatch):
    monkeypatch.setattr(alignment, "ASTAR_MAX_TRANSITIONS", -1)
    monkeypatch.setattr(behaviour, "LANGUAGE_MAX_STATES", 0)
    m = pm.read_model(MODELS / "abcd.ptml")
    (a,) = alignment.align_variants([("A", "X", "B")], m, method="astar")
    assert not a.exact and a.method == "alphabet"
    assert [mv.kind for mv in a.moves] == ["sync", "log", "sync"]


def test_indel_moves_optimal():
    moves = alignment._indel_moves(("A", "C", "B", "D"), ABCD)
    assert sum(m.kind != "sync" for m in moves) == 2
    assert [m.activity for m in moves if m.kind != "model"] == ["A", "C", "B", "D"]
    assert [m.activity for m in moves if m.kind != "log"] == list(ABCD)


def _tree_model(expr):
    pm4py = pm._pm4py()
    from pm4py.objects.process_tree.utils.generic import parse

    tree = parse(expr)
    with pm._quiet():
        net, im, fm = pm4py.convert_to_petri_net(tree)
    return pm._model(net, im, fm, name="t", kind="file", source=expr, tree=tree)


GRAPHS = [
    ("->( 'a', 'b', 'c' )", {("a", "b"), ("b", "c")}, {"a"}, {"c"}),
    ("X( 'a', 'b' )", set(), {"a", "b"}, {"a", "b"}),
    ("+( 'a', 'b' )", {("a", "b"), ("b", "a")}, {"a", "b"}, {"a", "b"}),
    ("*( 'a', 'b' )", {("a", "b"), ("b", "a")}, {"a"}, {"a"}),
    ("->( 'a', X( 'b', tau ), 'c' )", {("a", "b"), ("a", "c"), ("b", "c")}, {"a"}, {"c"}),
    ("->( *( 'a', tau ), 'b' )", {("a", "a"), ("a", "b")}, {"a"}, {"b"}),
]


@pytest.mark.parametrize("expr, edges, start, end", GRAPHS)
def test_model_graph_tiny_models(expr, edges, start, end):
    m = _tree_model(expr)
    g = behaviour.model_graph(m)
    assert set(g) == {"activities", "edges", "start", "end"}
    assert (g["edges"], g["start"], g["end"]) == (edges, start, end)
    assert g["activities"] == set(m.activities)
    assert behaviour.model_graph_method(m) == "reachability"
    # the process-tree fallback agrees on these models
    t = behaviour._graph_tree(m.tree)
    assert (t["edges"], t["start"], t["end"]) == (edges, start, end)


def test_model_graph_cached_copies_and_fallbacks(monkeypatch):
    m = pm.read_model(MODELS / "abcd.pnml")
    g = behaviour.model_graph(m)
    assert g["start"] == {"A"} and g["end"] == {"D"}
    assert {("A", "B"), ("B", "C"), ("C", "D")} <= g["edges"]
    g["edges"].clear()
    assert behaviour.model_graph(m)["edges"]  # callers get copies of the cached sets
    monkeypatch.setattr(behaviour, "GRAPH_MAX_STATES", 1)
    tree_m = _tree_model("->( 'a', +( 'b', 'c' ), 'd' )")
    assert behaviour.model_graph_method(tree_m) == "tree"
    assert behaviour.model_graph(tree_m)["edges"] == {("a", "b"), ("a", "c"), ("b", "c"), ("c", "b"), ("b", "d"), ("c", "d")}
    net_m = pm.read_model(MODELS / "abcd.pnml")
    assert behaviour.model_graph_method(net_m) == "structure"
    s = behaviour.model_graph(net_m)
    assert s["start"] == {"A"} and s["end"] == {"D"}


def test_align_dfg_matches_astar_on_sequence_and_never_overstates(monkeypatch):
    import random

    m = pm.read_model(MODELS / "abcd.pnml")
    par = _tree_model("->( 'A', +( 'B', *( 'C', tau ) ), 'D' )")
    rng = random.Random(3)
    variants = [ABCD, ("A", "B", "D"), ("A", "C", "B", "D"), (), ("D", "D"), ("X",)]
    variants += [tuple(rng.choice("ABCDX") for _ in range(rng.randint(0, 7))) for _ in range(60)]
    exact = {mod: alignment.align_variants(variants, mod) for mod in (m, par)}
    monkeypatch.setattr(alignment, "DFG_MIN_ACTIVITIES", 0)
    for mod in (m, par):
        alignment._ALIGN_CACHE.pop(mod, None)
        assert alignment.alignment_method(mod) == "dfg"
        for v, a, b in zip(variants, exact[mod], alignment.align_variants(variants, mod)):
            assert b.method == "dfg" and not b.exact
            assert [x.activity for x in b.moves if x.kind != "model"] == list(v)
            if mod is m:  # a sequence: the DF language is the language
                assert [x.activity for x in b.moves if x.kind != "log"] == list(ABCD)
                assert b.deviations == a.deviations and b.fitness == pytest.approx(a.fitness)
            else:
                assert b.deviations <= a.deviations


def test_df_fitness():
    m = pm.read_model(MODELS / "abcd.pnml")
    f = alignment.df_fitness([ABCD, ("A", "C", "D"), ("A", "X", "B", "C", "D"), ()], m)
    assert f.tolist() == pytest.approx([1.0, 3 / 4, 4 / 6, 0.0])
    f = alignment.df_fitness([("A", "X", "B", "C", "D")], m, count_unknown=False)
    assert f.tolist() == [1.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("ABCDX"), max_size=7).map(tuple), max_size=8), st.booleans())
def test_df_fitness_counts_start_pairs_and_end_allowed_by_the_graph(variants, count_unknown):
    m = pm.read_model(MODELS / "abcd.ptml")
    g = behaviour.model_graph(m)
    got = alignment.df_fitness(variants, m, count_unknown=count_unknown)
    for v, f in zip(variants, got):
        if not count_unknown:
            v = tuple(a for a in v if a in g["activities"])
        if not v:
            assert f == 0.0  # the model does not accept the empty trace
            continue
        ok = (v[0] in g["start"]) + (v[-1] in g["end"]) + sum(p in g["edges"] for p in zip(v, v[1:]))
        assert f == pytest.approx(ok / (len(v) + 1), abs=1e-15)
