"""`coredge.pipeline.execute` computes what it is asked for (`Compute`), and the studies that use
only a plan's money (finance, risk, compare, sweep chunks) never simulate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coredge.pipeline import EVERYTHING, PLAN_AND_FINANCE, RISK_INPUTS, Compute, execute, write_run
from coredge.results import RunResult
from coredge.scenario.load import load_scenario
from coredge_testing import TINY_BASE

GREEDY = TINY_BASE + "planning: {planner: greedy}\nsimulation: {requests: 20000}\n"
"""The tiny scenario with the greedy planner (deterministic) and a short simulation."""

SIMULATED_KEYS = ("simulation", "training_simulation", "power", "timings_s")  # power: the study runs with compute.power


@pytest.fixture(scope="module")
def greedy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("compute") / "tiny-greedy.yaml"
    p.write_text(GREEDY, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def full(greedy_path: Path) -> RunResult:
    return execute(load_scenario(greedy_path), compute=EVERYTHING)


@pytest.fixture(scope="module")
def lean(greedy_path: Path) -> RunResult:
    return execute(load_scenario(greedy_path), compute=PLAN_AND_FINANCE)


def _same(a: Any, b: Any) -> bool:
    """Exact equality of JSON-like objects, NaN equal to NaN."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every simulation entry point raise; returns the list of attempted calls."""
    import coredge.pipeline
    import coredge.sim.from_plan
    import coredge.training.jobs

    calls: list[str] = []

    def forbid(name: str) -> Any:
        def boom(*_a: Any, **_k: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called by a study that does not use it")

        return boom

    monkeypatch.setattr(coredge.pipeline, "simulate_busy_hour", forbid("simulate_busy_hour"))
    monkeypatch.setattr(coredge.sim.from_plan, "simulate_plan", forbid("simulate_plan"))
    monkeypatch.setattr(coredge.sim.from_plan, "failure_whatif", forbid("failure_whatif"))
    monkeypatch.setattr(coredge.sim.from_plan, "busy_hour", forbid("busy_hour"))
    monkeypatch.setattr(coredge.training.jobs, "training_from_plan", forbid("training_from_plan"))
    return calls


def test_everything_simulates_the_tiny_plan(full: RunResult) -> None:
    # the reference run really simulates, so the comparisons below are not vacuous
    assert full.sim is not None and full.training is not None
    assert "simulation" in full.summary and "training_simulation" in full.summary
    assert {"simulate_s", "training_sim_s"} <= set(full.timings_s)


def test_plan_and_finance_skips_simulation_and_training(lean: RunResult) -> None:
    assert lean.sim is None and lean.whatif is None and lean.training is None
    assert "simulation" not in lean.summary and "training_simulation" not in lean.summary
    assert not {"simulate_s", "training_sim_s"} & set(lean.timings_s)
    assert lean.finance is not None


def test_same_plan_and_finance_with_or_without_simulation(full: RunResult, lean: RunResult) -> None:
    a, b = full.plan, lean.plan
    pd.testing.assert_frame_equal(a.sites, b.sites, check_exact=True)
    pd.testing.assert_frame_equal(a.assignments, b.assignments, check_exact=True)
    for name in ("years", "it_mw_by_year", "load_mw_by_year", "training_mw_by_year", "unmet_mw"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(full.costs.capex_usd, lean.costs.capex_usd)
    assert full.finance is not None and lean.finance is not None
    assert _same(full.finance.summary(), lean.finance.summary())
    pd.testing.assert_frame_equal(full.finance.yearly, lean.finance.yearly, check_exact=True)
    strip = {k: v for k, v in full.summary.items() if k not in SIMULATED_KEYS}
    assert _same(strip, {k: v for k, v in lean.summary.items() if k not in SIMULATED_KEYS})
    assert _same(full.coverage, lean.coverage)


def test_without_finance_the_money_is_left_out(greedy_path: Path, lean: RunResult, tmp_path: Path) -> None:
    res = execute(load_scenario(greedy_path), compute=Compute(finance=False, simulation=False, training=False))
    assert res.finance is None and res.sim is None and res.training is None
    for key in ("npv_usd", "irr", "payback_years", "moic", "finance"):
        assert key not in res.summary
    # capex and energy come from the costs, not the financials
    for key in ("capex_usd", "opex_usd_final_year", "energy_mwh_final_year", "sites_by_tier"):
        assert res.summary[key] == lean.summary[key], key
    with pytest.raises(ValueError, match="financials"):
        write_run(res, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_compare_does_not_simulate(greedy_path: Path, monkeypatch: pytest.MonkeyPatch, lean: RunResult) -> None:
    from coredge.studies.compare import compare_strategies, comparison_table

    calls = _no_simulation(monkeypatch)
    results = compare_strategies(load_scenario(greedy_path), {"blended": {}})
    assert calls == []
    row = comparison_table(results)["strategies"]["blended"]
    assert lean.finance is not None
    assert row["npv_usd"] == lean.finance.portfolio["npv_usd"]
    assert row["capex_usd"] == float(lean.costs.capex_usd.sum())


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    from coredge.cli import main

    monkeypatch.setattr(sys, "argv", ["coredge", *args])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


def test_finance_and_risk_of_a_scenario_do_not_simulate(
    greedy_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, lean: RunResult
) -> None:
    calls = _no_simulation(monkeypatch)
    code, out = _cli(capsys, monkeypatch, "finance", str(greedy_path), "--json")
    assert code == 0, out
    fin = json.loads(out.strip().splitlines()[-1])
    assert lean.finance is not None
    assert fin["npv_usd"] == lean.finance.portfolio["npv_usd"]
    code, out = _cli(capsys, monkeypatch, "risk", str(greedy_path), "--trials", "500", "--json")
    assert code == 0, out
    risk = json.loads(out.strip().splitlines()[-1])
    assert risk["base_npv_usd"] == pytest.approx(lean.finance.portfolio["npv_usd"], rel=1e-12)
    assert calls == []


def test_sweep_chunk_does_not_simulate(greedy_path: Path, monkeypatch: pytest.MonkeyPatch, lean: RunResult) -> None:
    from coredge.studies import sweep_task

    calls = _no_simulation(monkeypatch)
    sweep_task._planned.cache_clear()
    params = {"scenario": str(greedy_path), "variant": None, "mc_seed": 0, "mc_chunk": 0, "n_trials": 200}
    df = sweep_task.scenario_risk_chunk(params)
    sweep_task._planned.cache_clear()
    assert calls == [] and len(df) == 200
    assert lean.finance is not None
    assert float(df["base_npv_usd"].to_numpy()[0]) == lean.finance.portfolio["npv_usd"]


def test_risk_inputs_price_the_same_rows_without_the_investor_views(
    greedy_path: Path, lean: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coredge.finance.from_plan

    def boom(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("investor views priced for risk")

    monkeypatch.setattr(coredge.finance.from_plan, "finance_views_and_flows", boom)
    monkeypatch.setattr(coredge.finance.from_plan, "view_break_even", boom)
    res = execute(load_scenario(greedy_path), compute=RISK_INPUTS)
    assert res.finance is not None and lean.finance is not None
    assert lean.finance.views and lean.finance.break_even  # the reference has them
    assert res.finance.views == {} and res.finance.break_even == {} and res.finance.view_flows == {}
    pd.testing.assert_frame_equal(res.finance.rows, lean.finance.rows, check_exact=True)
    assert _same(res.finance.portfolio, lean.finance.portfolio)
    assert _same(res.finance.tiers, lean.finance.tiers)
    assert _same(res.finance.edge_premium, lean.finance.edge_premium)
