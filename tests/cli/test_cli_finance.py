"""`coredge finance`, `risk`, `compare` and `sweep` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coredge.geo import pairwise_km
from coredge.latency import rtt_ms
from coredge_testing import TINY, run_cli

cli = run_cli


def cli_inproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run ``coredge.cli.main`` in this process (exit code, stdout, stderr): faster than a subprocess."""
    from coredge.cli import main

    monkeypatch.setattr(sys, "argv", ["coredge", *args])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def last_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("cli") / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


def test_finance_json_from_scenario_and_from_run_dir_agree(tiny: Path, tmp_path: Path) -> None:
    a = last_json(cli("finance", str(tiny), "--json"))
    for key in ("npv_usd", "irr", "payback_years", "lcoc_usd_per_gpu_hour", "usd_per_mtok", "moic",
                "peak_funding_usd", "capex_usd"):
        assert key in a
    assert set(a["tiers"]) == {"core", "regional", "micro"}
    assert sum(t["npv_usd"] for t in a["tiers"].values()) == pytest.approx(a["npv_usd"], rel=1e-10)
    assert a["lcoc_usd_per_gpu_hour"] > 0 and a["usd_per_mtok"] > 0 and a["capex_usd"] > 1e9
    run_dir = tmp_path / "run"
    summary = last_json(cli("run", str(tiny), "--out", str(run_dir), "--json"))
    assert summary["capex_usd"] == pytest.approx(a["capex_usd"], rel=1e-12)
    b = last_json(cli("finance", str(run_dir), "--json"))
    for key in ("npv_usd", "irr", "lcoc_usd_per_gpu_hour", "usd_per_mtok", "capex_usd"):
        assert b[key] == pytest.approx(a[key], rel=1e-9), key
    human = cli("finance", str(run_dir))
    assert human.returncode == 0 and "portfolio" in human.stdout


def test_risk_json_is_reproducible_by_seed(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def risk(seed: str, workers: str = "1") -> dict[str, Any]:
        code, out, err = cli_inproc(capsys, monkeypatch, "risk", str(tiny), "--trials", "2000", "--seed", seed,
                                    "--json", "--workers", workers)
        assert code == 0, err
        res: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return res

    a, b, c = risk("5"), risk("5"), risk("6")
    for key in ("npv_p10_usd", "npv_p50_usd", "npv_p90_usd", "prob_loss", "irr_p50"):
        assert a[key] == b[key], key
    assert a["npv_p50_usd"] != c["npv_p50_usd"]
    # two threads (two RNG blocks, one each): the same answer to the last digit
    assert json.dumps(risk("5", "2"), sort_keys=True) == json.dumps(a, sort_keys=True)
    assert a["npv_p10_usd"] < a["npv_p50_usd"] < a["npv_p90_usd"]
    assert 0.0 <= a["prob_loss"] <= 1.0 and a["n_trials"] == 2000
    assert len(a["tornado"]) == 8
    swings = [r["swing_usd"] for r in a["tornado"]]
    assert swings == sorted(swings, reverse=True)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("finance", "no-such-scenario.yaml"), "no-such-scenario"),
        (("risk", "TINY", "--trials", "0"), "--trials"),
        (("risk", "TINY", "--workers", "0"), "--workers"),
        (("finance", "TINY", "--scenario-variant", "nope"), "--scenario-variant"),
        (("sweep", "TINY", "--vary", "demand.growth_ratee=0.1,0.2", "--out", "OUT"), "growth_ratee"),
        (("sweep", "TINY", "--vary", "demand.growth_rate=0.1,abc", "--out", "OUT"), "demand.growth_rate"),
        (("sweep", "TINY", "--vary", "mc_seed=1,2", "--out", "OUT"), "mc_seed"),
        (("compare", "TINY", "--scenario-variant", "nope", "--out", "OUT"), "--scenario-variant"),
    ],
)
def test_bad_input_exits_2_without_traceback_or_output(
    tiny: Path, tmp_path: Path, args: tuple[str, ...], needle: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    real = [str(tiny) if a == "TINY" else str(out) if a == "OUT" else a for a in args]
    code, _, err = cli_inproc(capsys, monkeypatch, *real)
    assert code == 2, err
    assert "Traceback" not in err
    assert needle in err
    assert not out.exists()


def test_bad_input_in_a_subprocess_exits_2(tiny: Path, tmp_path: Path) -> None:
    proc = cli("risk", str(tiny), "--trials", "-3", cwd=tmp_path)
    assert proc.returncode == 2 and "--trials" in proc.stderr and "Traceback" not in proc.stderr


def test_compare_three_strategies(tiny: Path, tmp_path: Path) -> None:
    # The greedy planner serves every load some site reaches (it keeps no single-site-failure
    # reserve), so the edge-heavy strategy's full coverage below is a property of the strategy.
    # The MILP serves at least planning.min_coverage_frac (99 %) of each class, not necessarily
    # all of it; tests/plan/test_planner_coverage.py checks that.
    greedy = tmp_path / "tiny-greedy.yaml"
    greedy.write_text(tiny.read_text(encoding="utf-8").replace(
        "variants:", "planning: {planner: greedy}\nvariants:", 1), encoding="utf-8")
    out = tmp_path / "cmp"
    res = last_json(cli("compare", str(greedy), "--out", str(out), "--json"))
    s = res["strategies"]
    assert list(s) == ["all-core", "edge-heavy", "blended"]
    # some demand point has no core region within 10 ms (computed here from the RTT model)
    from coredge.inputs.build import build_inputs
    from coredge.scenario.load import load_scenario

    inputs = build_inputs(load_scenario(greedy))
    cand = inputs.candidates[inputs.candidates["allow_core"]]
    d = pairwise_km(inputs.demand["lat"], inputs.demand["lon"], cand["lat"], cand["lon"]).min(axis=1)
    assert (rtt_ms(inputs.scenario.network, d) > 10.0).any()
    for cls in ("financial", "autonomous-industrial"):
        assert s["all-core"]["coverage"][cls] < s["blended"]["coverage"][cls]
    assert s["all-core"]["sites_by_tier"]["regional"] == 0  # only core campuses
    assert s["all-core"]["sites_by_tier"]["micro"] == 0
    assert s["all-core"]["sites"] == s["all-core"]["sites_by_tier"]["core"] >= 1
    assert s["edge-heavy"]["latency_bound_mw_at_core"] == 0.0
    assert s["blended"]["latency_bound_mw_at_core"] >= 0.0
    assert s["edge-heavy"]["slo_coverage_min"] == pytest.approx(1.0)
    assert s["all-core"]["years_to_first_capacity"] > s["blended"]["years_to_first_capacity"]
    for name in s:
        assert s[name]["capex_usd"] > 0 and s[name]["energy_mwh_final_year"] > 0 and s[name]["co2_t_final_year"] > 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [".coredge-output.json", "compare.csv", "compare.html", "compare.json"]
    csv = pd.read_csv(out / "compare.csv")
    assert list(csv["strategy"]) == ["all-core", "edge-heavy", "blended"]
    np.testing.assert_allclose(csv["npv_usd"], [s[n]["npv_usd"] for n in csv["strategy"]], rtol=1e-12)
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "Plotly" in page and "<script src=" not in page and 'src="http' not in page
    assert json.loads((out / "compare.json").read_text())["strategies"]["blended"]["npv_usd"] == pytest.approx(s["blended"]["npv_usd"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_risk_reuses_the_plan_an_earlier_command_made(tiny: Path, tmp_path: Path) -> None:
    env = {"COREDGE_PLAN_CACHE": str(tmp_path / "plans")}
    a = last_json(cli("risk", str(tiny), "--trials", "1000", "--seed", "3", "--json", "--workers", "1", env=env))
    b = last_json(cli("risk", str(tiny), "--trials", "1000", "--seed", "3", "--json", "--workers", "1", env=env))
    c = last_json(cli("risk", str(tiny), "--trials", "1000", "--seed", "3", "--json", "--workers", "1", "--replan", env=env))
    assert not a["source"].endswith("stored plan")
    assert b["source"].endswith("stored plan")
    assert not c["source"].endswith("stored plan")
    assert a["base_npv_usd"] == b["base_npv_usd"]
    assert a["npv_p50_usd"] == b["npv_p50_usd"]
