"""End to end: `coredge run` on a tiny scenario through the CLI, and plan invariants."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.greedy import greedy_plan
from coredge.plan.result import Plan, online_year
from coredge.scenario.load import load_scenario
from coredge_testing import run_cli

SUMMARY_KEYS = {
    "scenario", "sites_by_tier", "it_mw_by_tier", "demand_points", "coverage_by_class",
    "capex_usd", "npv_usd", "run_dir", "report",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from coredge_testing import tiny_path

    base = tmp_path_factory.mktemp("e2e")
    scen = tiny_path(base)
    out = base / "run"
    r = run_cli("run", str(scen), "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    return out, summary


def test_run_directory_contents(tiny_run: tuple[Path, dict]) -> None:
    out, summary = tiny_run
    assert SUMMARY_KEYS <= set(summary)
    for f in ("summary.json", "plan.json", "sites.csv", "assignments.parquet", "report.html", "build_schedule.csv"):
        assert (out / f).is_file(), f
    assert json.loads((out / "summary.json").read_text())["capex_usd"] == summary["capex_usd"]
    assert summary["run_dir"] == str(out.resolve())
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary files left"
    sites = pd.read_csv(out / "sites.csv")
    assert summary["sites_by_tier"] == {t: int((sites["tier"] == t).sum()) for t in ("core", "regional", "micro")}
    a = pd.read_parquet(out / "assignments.parquet")
    assert set(a["site_id"]) <= set(sites["site_id"])
    html = (out / "report.html").read_text()
    assert "<script" in html and 'id="map"' in html


def test_summary_semantics(tiny_run: tuple[Path, dict]) -> None:
    _, s = tiny_run
    assert s["scenario"] == "tiny"
    assert s["demand_points"] >= 5
    for cid, v in s["coverage_by_class"].items():
        assert 0.0 <= v["coverage"] <= 1.0 + 1e-9, cid
    assert s["coverage_by_class"]["batch"]["rtt_budget_ms"] is None
    assert s["coverage_by_class"]["gaming-xr"]["rtt_budget_ms"] == 15.0
    assert s["it_mw_by_tier"]["core"] > 0


def test_variant_run(tmp_path: Path) -> None:
    from coredge_testing import tiny_path

    scen = tiny_path(tmp_path)
    r = run_cli("run", str(scen), "--scenario-variant", "bigger", "--out", str(tmp_path / "v"), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["variant"] == "bigger"


def test_plan_invariants(tiny_inputs: Inputs, tiny_greedy: Plan) -> None:
    inp, plan = tiny_inputs, tiny_greedy
    sc = inp.scenario
    sites = plan.sites
    # Core campuses only where the scenario allows them.
    core = sites[sites["tier"] == "core"]
    assert set(core["region_id"]) <= set(sc.candidates.core_regions or [])
    # Every served pair is within its class's budget (recomputed from coordinates).
    a = plan.assignments
    net = sc.network
    d = haversine_km(
        inp.demand["lat"].to_numpy()[a["point_index"]], inp.demand["lon"].to_numpy()[a["point_index"]],
        sites["lat"].to_numpy()[a["site_index"]], sites["lon"].to_numpy()[a["site_index"]],
    )
    # the calibrated backbone model (the default), its formula written out
    assert net.model == "calibrated"
    rtt = net.fixed_ms + 2.0 * d * (1.0 + net.inflation_excess / (1.0 + d / net.inflation_scale_km)) * net.fiber_us_per_km / 1000.0
    assert np.allclose(rtt, a["rtt_ms"])
    assert np.all(rtt <= inp.rtt_budget_ms[a["class_index"].to_numpy()] + 1e-9)
    # Shares of each (point, class) sum to at most 1.
    assert a.groupby(["point_index", "class_index"])["share"].sum().max() <= 1.0 + 1e-9
    # Power: facility MW within the site's grid power.
    assert np.all(sites["facility_mw"] <= sites["grid_available_mw"] + 1e-6)
    # Capacity never shrinks, is zero before the online year, and covers the load.
    inst = plan.it_mw_by_year
    assert np.all(np.diff(inst, axis=1) >= -1e-9)
    before = plan.years[None, :] < sites["online_year"].to_numpy()[:, None]
    assert np.all(inst[before] == 0.0)
    assert np.all(plan.load_mw_by_year <= inst + 1e-6)
    # Online years respect lead times plus grid waits.
    lead = np.array([sc.tiers[t].lead_time_months for t in sites["tier"]])
    assert np.all(sites["online_year"].to_numpy() >= online_year(sc.horizon.start_year, lead + sites["interconnect_wait_months"].to_numpy()))
    # Training only at core campuses.
    non_core = (sites["tier"] != "core").to_numpy()
    assert np.all(plan.training_mw_by_year[non_core] == 0.0)
    # Load balance: served + unmet = demand, per class and year.
    online = plan.years[None, :] >= sites["online_year"].to_numpy()[:, None]
    for k in range(inp.n_classes):
        m = (a["class_index"] == k).to_numpy()
        served = (inp.load_mw[a["point_index"][m], k, :] * a["share"].to_numpy()[m][:, None] * online[a["site_index"][m]]).sum(axis=0)
        assert np.allclose(served + plan.unmet_mw[k], inp.load_mw[:, k, :].sum(axis=0))
    assert np.allclose(plan.training_mw_by_year.sum(axis=0) + plan.unmet_mw[-1], inp.training_mw)


def test_state_cap_respected(tmp_path: Path) -> None:
    import yaml

    from coredge_testing import tiny_path

    p = tiny_path(tmp_path)
    raw = yaml.safe_load(p.read_text())
    raw["grid"] = {"state_caps_mw": {"TX": 30.0}}
    p.write_text(yaml.safe_dump(raw))
    sc = load_scenario(p)
    plan = greedy_plan(build_inputs(sc))
    tx = plan.sites[plan.sites["state"] == "TX"]
    tx_installed = plan.it_mw_by_year[(plan.sites["state"] == "TX").to_numpy()]
    assert float((tx_installed * tx["pue"].to_numpy()[:, None]).sum(axis=0).max()) <= 30.0 + 1e-6
    # The cap binds: without it Texas hosts far more.
    free = greedy_plan(build_inputs(load_scenario(tiny_path(tmp_path))))
    assert float(free.sites.loc[free.sites["state"] == "TX", "facility_mw"].sum()) > 30.0


def test_brownfield_site_kept_and_not_bought_again(tmp_path: Path) -> None:
    import yaml

    from coredge.plan.costing import site_costs
    from coredge_testing import TINY

    raw = yaml.safe_load(TINY)
    raw["existing_sites"] = [
        {"id": "old-chi", "tier": "regional", "lat": 41.88, "lon": -87.63, "state": "IL", "it_mw": 6.0}
    ]
    p = tmp_path / "bf.yaml"
    p.write_text(yaml.safe_dump(raw))
    inp = build_inputs(load_scenario(p))
    plan = greedy_plan(inp)
    m = (plan.sites["site_id"] == "existing-old-chi").to_numpy()
    assert m.sum() == 1
    assert plan.sites.loc[m, "online_year"].item() == 2026
    assert np.all(plan.it_mw_by_year[m] >= 6.0)
    costs = site_costs(inp, plan)
    extra = plan.it_mw_by_year[m][0, -1] - 6.0
    fac = inp.scenario.tiers["regional"]
    expected = extra * fac.facility_capex_usd_per_mw * (1 + fac.land_and_soft_cost_frac)
    assert costs.capex_facility_usd[m].sum() == pytest.approx(expected)


def test_csv_points_get_states_for_tariffs(tmp_path: Path) -> None:
    import yaml

    from coredge_testing import TINY

    (tmp_path / "pts.csv").write_text(
        "id,lat,lon,population\nnyc,40.71,-74.01,8000000\naus,30.27,-97.74,960000\n", encoding="utf-8"
    )
    raw = yaml.safe_load(TINY)
    raw["demand"] = {"source": "csv", "points_csv": "pts.csv"}
    raw["candidates"]["micro_min_population"] = 500000
    raw["candidates"]["regional_min_population"] = 500000
    p = tmp_path / "csv.yaml"
    p.write_text(yaml.safe_dump(raw))
    inp = build_inputs(load_scenario(p))
    assert inp.demand["state"].tolist() == ["NY", "TX"]
    city = inp.candidates[inp.candidates["id"].str.startswith("city-")]
    from coredge.data import state_price_usd_per_mwh

    assert city["price_usd_per_mwh"].tolist() == [state_price_usd_per_mwh("NY"), state_price_usd_per_mwh("TX")]
    # Far from any US city and no price given: a clear input error.
    (tmp_path / "far.csv").write_text("id,lat,lon,population\nsea,0.0,-140.0,1000\n", encoding="utf-8")
    raw["demand"]["points_csv"] = "far.csv"
    raw["candidates"]["micro_min_population"] = 500
    p.write_text(yaml.safe_dump(raw))
    from coredge.errors import InputError

    with pytest.raises(InputError) as exc:
        build_inputs(load_scenario(p))
    assert "electricity_price_usd_per_mwh" in str(exc.value)


def test_site_pue_follows_climate(tmp_path: Path) -> None:
    """Hotter states get a higher PUE for the same tier (facility model); the reference holds."""
    from coredge.inputs.build import REFERENCE_LAT_DEG, site_pue
    from coredge_testing import tiny_path

    sc = load_scenario(tiny_path(tmp_path))
    fl, nd = site_pue(sc, "micro", pd.Series(["FL", "ND"]), np.array([28.0, 47.0]))
    assert fl > sc.tiers["micro"].pue > nd
    # No state: the zonal climate at the reference latitude gives the archetype's PUE exactly.
    (ref,) = site_pue(sc, "regional", pd.Series([""]), np.array([REFERENCE_LAT_DEG]))
    assert ref == pytest.approx(sc.tiers["regional"].pue)


def test_tier_restrictions_respected(tmp_path: Path) -> None:
    """A tier that serves nothing hosts no inference, however small the site's load."""
    import yaml

    from coredge_testing import TINY

    raw = yaml.safe_load(TINY)
    raw["tiers"] = {"micro": {"serves": []}}
    p = tmp_path / "nomicro.yaml"
    p.write_text(yaml.safe_dump(raw))
    plan = greedy_plan(build_inputs(load_scenario(p)))
    assert "micro" not in set(plan.sites["tier"])
    served_tiers = set(plan.sites["tier"].to_numpy()[plan.assignments["site_index"].to_numpy()])
    assert served_tiers <= {"core", "regional"}
