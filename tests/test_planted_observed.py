"""The planted truth of the sample logs against a unit's *observed* behaviour (``--target dwp``).

The model-file route is pinned in test_cli; this pins the transport route:
every planted difference of every unit is in its backlog, the standard units
(dwp, defra, environment_agency) have no change item and cost £0.
"""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_LOGS, run_cli

from divergence.samples import PROCESSES

STANDARD = ("dwp", "defra", "environment_agency")


@pytest.fixture(scope="module")
def dwp_summary(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dwp") / "out"
    proc = run_cli("analyse", str(SAMPLE_LOGS), "--target", "dwp", "--no-graphs", "--bootstrap", "0",
                   "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("process", ["finance", "hr", "procurement"])
def test_every_planted_difference_is_in_the_backlog_against_an_observed_target(dwp_summary, process):
    h = dwp_summary["processes"][process]["harmonisation"]
    for spec in PROCESSES[process].units:
        changes = h[spec.unit]["changes"]
        for edit in spec.edits:
            found = [c for c in changes if c["kind"] == edit.kind and set(edit.activities) <= set(c["activities"])]
            assert found, f"{process}/{spec.unit}: planted {edit.kind} {edit.activities} not in {changes}"


@pytest.mark.parametrize("process", ["finance", "hr", "procurement"])
def test_standard_units_have_no_item_and_cost_nothing_against_dwp(dwp_summary, process):
    h = dwp_summary["processes"][process]["harmonisation"]
    for unit in STANDARD:
        assert h[unit]["changes"] == [], (process, unit, h[unit]["changes"])
        assert h[unit]["cost_gbp"] == {"low": 0.0, "central": 0.0, "high": 0.0}
    assert h["dwp"]["fitness_to_target"] == 1.0
