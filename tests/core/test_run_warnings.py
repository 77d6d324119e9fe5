"""Serious outcomes are loud: unserved load, a failed resilience requirement and a simulated SLO
far below the planned coverage come back as ``warnings`` (summary.json, ``--json``) and are
printed by ``coredge run``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from coredge.pipeline import PLAN_AND_FINANCE, execute
from coredge.results import run_warnings
from coredge.scenario.load import load_scenario
from coredge_testing import TINY_BASE, run_cli

HUGE_TRAINING = TINY_BASE.replace("training: {it_mw_start: 50.0}", "training: {it_mw_start: 90000.0}") + (
    "planning: {planner: greedy}\nsimulation: {enabled: false}\n")
"""The tiny scenario asking for 90 GW of training: no core candidate can host it."""


def test_unserved_training_is_a_warning_with_mw_years_and_why(tmp_path: Path) -> None:
    p = tmp_path / "huge.yaml"
    p.write_text(HUGE_TRAINING, encoding="utf-8")
    res = execute(load_scenario(p), compute=PLAN_AND_FINANCE)
    unmet = res.plan.unmet_mw[-1]
    assert np.all(unmet > 0.5 * res.inputs.training_mw)  # most of it is left unserved
    ws = [w for w in res.summary["warnings"] if w["kind"] == "unserved" and w["class"] == "training"]
    assert len(ws) == 1
    w = ws[0]
    assert w["years"] == [int(y) for y in res.plan.years]
    assert w["unmet_mw"] == float(unmet.max()) and "core campus" in w["message"]
    assert f"{w['unmet_mw']:,.2f} MW" in w["message"]
    # the terminal prints it, --json carries it
    out = tmp_path / "run"
    r = run_cli("run", str(p), "--out", str(out), env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stdout and "training:" in r.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [x["kind"] for x in summary["warnings"]].count("unserved") >= 1


def test_nothing_to_warn_about_and_each_kind_from_a_summary(tiny_result: object) -> None:
    res = tiny_result
    inputs, plan = res.inputs, res.plan  # type: ignore[attr-defined]
    base = dict(res.summary)  # type: ignore[attr-defined]
    calm = run_warnings(inputs, plan, {**base, "single_site_failure": {"required": True, "survives": True},
                                       "simulation": {}})
    assert [w for w in calm if w["kind"] != "unserved"] == []
    cls = next(c for c, v in base["coverage_by_class"].items() if v["rtt_budget_ms"] is not None)
    cov = base["coverage_by_class"][cls]["coverage"]
    loud = run_warnings(inputs, plan, {
        **base,
        "single_site_failure": {"required": True, "survives": False, "sites_short": 3,
                                "worst_shortfall_mw": 1.5, "worst_site_name": "Dallas, TX (regional)"},
        "simulation": {"slo_attainment_by_class": {cls: cov - 0.2}},
    })
    kinds = [w["kind"] for w in loud]
    assert "resilience" in kinds and "slo" in kinds
    res_w = next(w for w in loud if w["kind"] == "resilience")
    assert "3 site(s)" in res_w["message"] and "Dallas, TX (regional)" in res_w["message"]
    slo_w = next(w for w in loud if w["kind"] == "slo")
    assert slo_w["class"] == cls and slo_w["planned_coverage"] == cov
    # within the tolerance: no SLO warning
    near = run_warnings(inputs, plan, {**base, "simulation": {"slo_attainment_by_class": {cls: cov - 0.01}}})
    assert not [w for w in near if w["kind"] == "slo"]
