"""Tests of the model-target path: alignment to a model file, change items from its moves.

The observed-target path (unit and pooled targets) and ``auto`` are in
test_observed.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from pmhelpers import MODELS, make_profile  # noqa: E402

from divergence.model import pm  # noqa: E402
from divergence.harmonise.changes import ChangeItem  # noqa: E402
from divergence.errors import ModelError, OptionError  # noqa: E402
from divergence.harmonise.plan import (  # noqa: E402
    Target,
    align_unit,
    change_items,
    choose_target,
)

RES = {"A": ["ann"], "B": ["bob", "bea"], "C": ["cy"], "D": ["dee"], "X": ["xi"]}


@pytest.fixture(scope="module")
def target():
    return Target("model", "abcd", "test", pm.read_model(MODELS / "abcd.bpmn"))


def items(variants, target, **kw):
    p = make_profile(variants, resources=RES)
    return change_items(p, align_unit(p, target), **kw)


def kinds(its):
    return [(c.kind, c.activities, c.cases, c.occurrences, c.staff) for c in its]


@pytest.mark.parametrize(
    "variant, expected",
    [
        ("A,C,B,D", [("reorder", ("B", "C"), 4, 4, 3)]),
        ("A,B,B,C,D", [("rework", ("B",), 4, 4, 2)]),
        ("A,B,D", [("add", ("C",), 4, 4, 3)]),
        ("A,X,B,C,D", [("drop", ("X",), 4, 4, 1)]),
        ("A,B,C,D", []),
    ],
)
def test_single_deviation(variant, expected, target):
    assert kinds(items([(variant, 4)], target)) == expected


def test_mixed_unit_counts_shares_and_order(target):
    p = make_profile([("A,B,C,D", 5), ("A,C,B,D", 3), ("A,B,B,B,C,D", 2), ("A,B,D", 1)], resources=RES)
    ua = align_unit(p, target)
    its = change_items(p, ua)
    assert kinds(its) == [
        ("reorder", ("B", "C"), 3, 3, 3),
        ("rework", ("B",), 2, 4, 2),
        ("add", ("C",), 1, 1, 3),
    ]
    assert its[0].share == pytest.approx(3 / 11)
    assert its[0].cases_per_year == pytest.approx(p.cases_per_year * 3 / 11)
    assert 0 < ua.fitness < 1 and ua.exact
    assert [c.kind for c in change_items(p, ua, min_share=0.2)] == ["reorder"]


def test_language_equal_log_has_fitness_one_and_no_changes():
    t = Target("model", "x", "", pm.read_model(MODELS / "abcd.ptml"))
    p = make_profile([("A,B,C,D", 7)])
    ua = align_unit(p, t)
    assert ua.fitness == 1.0
    assert change_items(p, ua) == []


def test_no_resources_gives_staff_one(target):
    p = make_profile([("A,X,B,C,D", 2)])
    (c,) = change_items(p, align_unit(p, target))
    assert isinstance(c, ChangeItem) and c.staff == 1


BASE = [("A,B,C,D", 3), ("A,C,B,D", 2)]
DEVIANT = st.lists(st.sampled_from(["A", "B", "C", "D", "X"]), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=DEVIANT)
def test_adding_a_deviation_never_removes_items(extra, target):
    before = {(c.kind, c.activities) for c in items(BASE, target)}
    after = {(c.kind, c.activities) for c in items(BASE + [(",".join(extra), 1)], target)}
    assert before <= after


def test_choose_target_by_unit_file_and_errors(tmp_path):
    p1 = make_profile([("A,B,C,D", 5)], unit="north")
    p2 = make_profile([("A,C,B,D", 5)], unit="south")
    profiles = {"north": p1, "south": p2}
    models = {"north": pm.discover_model(p1), "south": pm.discover_model(p2)}
    t = choose_target("south", profiles, models, price=_free)
    assert (t.kind, t.name, t.model, t.profile) == ("unit", "south", models["south"], p2)
    t = choose_target(str(MODELS / "abcd.pnml"), profiles, models, price=_free)
    assert (t.kind, t.name, t.profile) == ("model", "abcd", None)
    with pytest.raises(OptionError, match="north, south"):
        choose_target("east", profiles, models, price=_free)
    with pytest.raises(OptionError, match="not found.*north, south"):
        choose_target(str(tmp_path / "nope.bpmn"), profiles, models, price=_free)
    bad = tmp_path / "bad.ptml"
    bad.write_text("not xml")
    with pytest.raises(ModelError, match="bad.ptml"):
        choose_target(str(bad), profiles, models, price=_free)


def test_log_move_of_a_step_the_model_has_is_a_move_not_a_drop():
    """C is optional in the model; done before B it is out of place, not an extra step to drop."""
    pm4py = pm._pm4py()
    from pm4py.objects.process_tree.utils.generic import parse

    tree = parse("->( 'A', 'B', X( 'C', tau ), 'D' )")
    net, im, fm = pm4py.convert_to_petri_net(tree)
    model = pm._model(net, im, fm, name="opt", kind="file", source="tree", tree=tree)
    t = Target("model", "opt", "test", model)
    p = make_profile([("A,C,B,D", 3), ("A,X,B,D", 2)], resources=RES)
    assert kinds(change_items(p, align_unit(p, t))) == [("move", ("C",), 3, 3, 1), ("drop", ("X",), 2, 2, 1)]


def _free(profile, items, target):
    from divergence.costs.pricing import load_cost_model, price_unit

    return price_unit(profile, items, load_cost_model())
