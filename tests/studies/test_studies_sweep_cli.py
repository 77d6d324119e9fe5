"""`coredge sweep`: scenario grid x Monte Carlo chunks on a real 2-worker LocalCluster, resumable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.finance.from_plan import financials_from_plan, risk_from_plan
from coredge.pipeline import execute
from coredge.studies.sweep import query_catalogue
from coredge.studies.sweep_task import chunk_seed, scenario_grid, scenario_with_overrides
from coredge_testing import TINY_BASE


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY_BASE, encoding="utf-8")
    return p


def test_grid_is_validated_up_front(tiny: Path) -> None:
    grid = scenario_grid(str(tiny), None, ["demand.growth_rate=0.2,0.35", "economics.discount_rate=0.07,0.1"], 100, 2)
    assert len(grid) == 8 and {g["mc_chunk"] for g in grid} == {0, 1}
    assert all(g["n_trials"] == 50 for g in grid)
    with pytest.raises(InputError) as ei:
        scenario_grid(str(tiny), None, ["economics.discount_rate=0.07,1.5"], 100, 2)
    assert "economics.discount_rate" in str(ei.value)
    with pytest.raises(InputError) as ei:
        scenario_grid(str(tiny), None, ["demand.no_such=1"], 100, 2)
    assert "demand.no_such" in str(ei.value)
    sc = scenario_with_overrides(str(tiny), None, {"demand.growth_rate": 0.2, "tiers.core.pue": 1.3})
    assert sc.demand.growth_rate == 0.2 and sc.tiers["core"].pue == 1.3


def test_sweep_cli_on_two_workers_resumes(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = [
        sys.executable, "-m", "coredge", "sweep", str(tiny),
        "--vary", "economics.discount_rate=0.07,0.1", "--trials", "1000", "--chunks", "2",
        "--seed", "3", "--workers", "2", "--out", str(out), "--json",
    ]
    first = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    res = json.loads(first.stdout.strip().splitlines()[-1])
    assert res["grid_points"] == 2 and res["chunks"] == 4 and res["computed"] == 4 and res["skipped"] == 0
    pts = {p["economics.discount_rate"]: p for p in res["points"]}
    assert set(pts) == {0.07, 0.1} and all(p["n_trials"] == 1000 for p in pts.values())
    # a higher discount rate lowers the (negative-at-the-end) NPV of this capex-heavy plan
    assert pts[0.1]["base_npv_usd"] < pts[0.07]["base_npv_usd"]

    # the chunk rows equal an in-process Monte Carlo with the chunk's seed
    sc = scenario_with_overrides(str(tiny), None, {"economics.discount_rate": 0.1})
    r = execute(sc)
    pf = financials_from_plan(r.inputs, r.plan, r.costs)
    mc = risk_from_plan(pf, sc, 500, chunk_seed(3, 1), with_tornado=False)
    rows = query_catalogue(
        out,
        'SELECT npv_usd FROM results WHERE "param_economics.discount_rate" = 0.1 AND param_mc_chunk = 1 ORDER BY trial',
    )
    np.testing.assert_allclose(rows["npv_usd"].to_numpy(), mc.npv_usd, rtol=1e-12)
    assert pts[0.1]["base_npv_usd"] == pytest.approx(pf.portfolio["npv_usd"], rel=1e-12)

    # rerun: nothing to compute (no cluster started)
    again = subprocess.run(args, capture_output=True, text=True, timeout=300)
    res2 = json.loads(again.stdout.strip().splitlines()[-1])
    assert res2["computed"] == 0 and res2["skipped"] == 4
    # interrupted sweep: one chunk file lost -> only that chunk is recomputed
    victim = sorted((out / "chunks").glob("*.parquet"))[0]
    victim.unlink()
    third = subprocess.run(args, capture_output=True, text=True, timeout=300)
    res3 = json.loads(third.stdout.strip().splitlines()[-1])
    assert third.returncode == 0, third.stderr
    assert res3["computed"] == 1 and res3["skipped"] == 3
    import pandas as pd

    assert len(pd.read_parquet(victim)) == 500
    assert res3["points"] == res["points"]  # the recomputed chunk has the same draws
