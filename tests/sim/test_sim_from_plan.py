"""Plan -> network spec: capacity matches the planner's serving profile, tiers/classes respected,
RTTs from coordinates, run directories, scaling, warm-up (against Erlang C), failures, CLI."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs, best_capacity
from coredge.physics.serving import capacity_point
from coredge.plan.result import Plan
from coredge.scenario.load import load_scenario
from coredge.sim import simulate, spec_from_dict
from coredge.sim.from_plan import (
    SEP,
    failure_whatif,
    inference_gpus,
    largest_edge_site,
    plan_sim,
    plan_site_table,
    simulate_plan,
    spec_from_plan,
)
from coredge.store import read_run
from coredge_testing import run_cli

SCENARIO = {
    "name": "tiny-sim",
    "horizon": {"start_year": 2026, "end_year": 2031},
    "demand": {"source": "cities", "countries": ["US"], "min_population": 1_000_000},
    "candidates": {
        "core_regions": ["dallas-fort-worth", "northern-virginia", "phoenix-mesa"],
        "regional_min_population": 1_000_000,
        "micro_min_population": 1_000_000,
    },
    "workloads": {"batch": {"dtype": "fp8"}},
    "training": {"it_mw_start": 50.0},
    "planning": {"planner": "greedy"},
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Inputs, Plan, Path]:
    from coredge.pipeline import execute, write_run

    d = tmp_path_factory.mktemp("plan")
    (d / "s.yaml").write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    sc = load_scenario(d / "s.yaml")
    res = execute(sc)
    run = write_run(res, d / "run")
    return res.inputs, res.plan, run


def test_pool_capacity_equals_planner_capacity(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, _ = planned
    ps = plan_sim(inputs, plan, scale=1.0)
    sc = inputs.scenario
    gpus = inference_gpus(inputs, plan)
    # GPUs: installed minus training, per kW per GPU (independent arithmetic on the plan)
    inst = plan.it_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1]
    assert gpus.sum() == pytest.approx((inst * 1000.0 / inputs.it_kw_per_gpu).sum(), rel=1e-9)
    for cid, prof in ps.profiles.items():
        w = sc.active_workloads[cid]
        tpot = w.tpot_target_ms or math.inf
        ttft = w.ttft_target_ms or math.inf
        c = capacity_point(w.model, sc.hardware.gpu, w.tokens_in, w.tokens_out, tpot, ttft, w.dtype, None, prof.tp)
        # the profile is the planner's operating point: same tokens/s per GPU as best_capacity
        assert c.tokens_per_s_per_gpu == pytest.approx(
            best_capacity(w.model, sc.hardware.gpu, w.tokens_in, w.tokens_out, tpot, ttft, w.dtype), rel=1e-12)
        # a slot's throughput x slots per GPU = the planner's requests/s per GPU
        per_gpu_req_s = prof.batch / prof.tp / (prof.mean_service_ms / 1000.0)
        assert per_gpu_req_s == pytest.approx(c.tokens_per_s_per_gpu / w.tokens_out, rel=1e-9)
    # pool slots = floor(GPUs / tp) x batch for single-class pools
    for site, ps_site in zip(ps.spec.sites, ps.pool_site, strict=True):
        j = list(plan.sites["site_id"]).index(ps_site)
        model, tp = site.id.split(SEP)[1], int(site.id.split(SEP)[2][2:])
        ks = [k for k, c in enumerate(inputs.classes) if ps.profiles[c].model == model and ps.profiles[c].tp == tp]
        g = gpus[j, ks]
        batch = (g * np.array([ps.profiles[inputs.classes[k]].batch for k in ks])).sum() / g.sum()
        assert site.servers == max(1, round(math.floor(g.sum() / tp + 1e-9) * batch))


def test_pools_use_the_planners_operating_point_without_searching_again(
    planned: tuple[Inputs, Plan, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import coredge.physics.serving as serving

    inputs, plan, _ = planned

    def no_search(*_a: object, **_k: object) -> None:
        raise AssertionError("the simulator searched the operating point again")

    monkeypatch.setattr(serving, "capacity_point", no_search)
    ps = plan_sim(inputs, plan, scale=1.0)
    for cid, prof in ps.profiles.items():
        cap = inputs.capacity[cid]
        assert (prof.tp, prof.batch, prof.power_w_per_gpu) == (cap.tp, cap.batch, cap.power_w_per_gpu)
        assert prof.prefill_ms == cap.ttft_ms
        assert prof.prefill_ms + prof.tokens_out * prof.tpot_ms == pytest.approx(
            prof.tokens_out * cap.tpot_ms, rel=1e-12)
        # a slot's requests/s x slots per GPU = the planner's requests/s per GPU
        assert prof.batch / prof.tp / (prof.mean_service_ms / 1000.0) == pytest.approx(
            cap.output_tokens_per_s_per_gpu / prof.tokens_out, rel=1e-12)


def test_tiers_and_classes_respected(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, _ = planned
    ps = plan_sim(inputs, plan, max_requests=30_000)
    sc = inputs.scenario
    for s in ps.spec.sites:
        assert s.serves
        for c in s.serves:
            assert sc.tiers[s.tier].serves_class(c, c != "batch")  # type: ignore[index]
    # built-in micro tier serves no batch: no batch pool at a micro site
    assert not any("batch" in (s.serves or []) for s in ps.spec.sites if s.tier == "micro")
    r = simulate(ps.spec, requests=30_000, seed=3, record=True, warmup_s=0.0)
    t = r.requests_table
    assert t is not None
    served = t[t["site"] >= 0]
    classes = [c.id for c in ps.spec.classes or []]
    for site_i, k in zip(served["site"].to_numpy(), served["class"].to_numpy(), strict=True):
        assert classes[k] in (ps.spec.sites[site_i].serves or [])
    # RTT from coordinates with the scenario's network model (backbone only)
    net = sc.network
    d = inputs.demand
    lat_s = np.array([ps.spec.sites[i].lat for i in served["site"]])
    lon_s = np.array([ps.spec.sites[i].lon for i in served["site"]])
    km = haversine_km(d["lat"].to_numpy()[served["demand"]], d["lon"].to_numpy()[served["demand"]], lat_s, lon_s)
    assert net.model == "calibrated"  # the default, its formula written out
    want = net.fixed_ms + 2.0 * km * (1.0 + net.inflation_excess / (1.0 + km / net.inflation_scale_km)) * net.fiber_us_per_km / 1000.0
    assert np.allclose(served["rtt_ms"].to_numpy(), want, rtol=1e-12)
    # micro/regional only within the class budget; tight classes never land at an edge site beyond it
    budget = np.array([c.rtt_budget_ms or math.inf for c in ps.spec.classes or []])
    edge = np.array([ps.spec.sites[i].tier != "core" for i in served["site"]])
    assert np.all(served["rtt_ms"].to_numpy()[edge] <= budget[served["class"].to_numpy()[edge]] + 1e-9)


def test_rates_scale_and_slo(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, _ = planned
    full = plan_sim(inputs, plan, scale=1.0)
    half = plan_sim(inputs, plan, scale=0.5)
    rate = inputs.requests_per_s[:, :, -1].sum(axis=1)
    assert [x.rate_per_s for x in full.spec.demand] == pytest.approx(list(rate), rel=1e-12)
    assert [x.rate_per_s for x in half.spec.demand] == pytest.approx(list(rate * 0.5), rel=1e-12)
    for a, b in zip(full.spec.sites, half.spec.sites, strict=True):
        assert b.servers == max(1, round(a.servers * 0.5)) or abs(b.servers - a.servers * 0.5) <= 1
    # default: full scale; scale="fit": max_requests span the target counted time
    assert plan_sim(inputs, plan, max_requests=50_000).scale == 1.0
    ps = plan_sim(inputs, plan, max_requests=50_000, scale="fit")
    assert ps.scale < 1.0 and ps.expected_horizon_s(50_000) == pytest.approx(300.0, rel=1e-9)
    # class shares = busy-hour requests per class; SLO = budget + TTFT + tokens x TPOT
    req = inputs.requests_per_s[:, :, -1].sum(axis=0)
    sc = inputs.scenario
    for c in full.spec.classes or []:
        k = inputs.classes.index(c.id)
        assert c.share == pytest.approx(req[k] / req.sum(), rel=1e-12)
        w = sc.active_workloads[c.id]
        if w.ttft_target_ms is None:
            assert c.slo_ms is None
        else:
            assert c.slo_ms == pytest.approx((w.rtt_budget_ms or 0.0) + w.ttft_target_ms)
            assert c.slo_per_token_ms == w.tpot_target_ms


def test_slo_per_token_is_per_request() -> None:
    # tokens deterministic? use sigma 0: every request 10 tokens -> latency 5 + 10 x 2 = 25 ms
    base = {"sites": [{"id": "s", "servers": 100}], "demand": [{"id": "d", "rate_per_s": 1.0}],
            "rtt_ms": [[3.0]]}
    svc = {"distribution": "tokens", "prefill_ms": 5.0, "tpot_ms": 2.0, "tokens_mean": 10.0, "tokens_sigma": 0.8}
    spec = spec_from_dict({**base, "classes": [{"id": "a", "share": 1.0, "service": svc,
                                                 "slo_ms": 10.0, "slo_per_token_ms": 2.0}]})
    r = simulate(spec, requests=5000, seed=2, record=True)
    t = r.requests_table
    assert t is not None
    tokens = (t["service_ms"] - 5.0) / 2.0
    met = t["latency_ms"] <= 10.0 + tokens * 2.0  # 3 + 5 + 2 tok <= 10 + 2 tok: always, no wait
    assert met.all() and r.summary["slo_attainment"] == 1.0
    spec2 = spec_from_dict({**base, "classes": [{"id": "a", "share": 1.0, "service": svc,
                                                  "slo_ms": 10.0, "slo_per_token_ms": 1.5}]})
    r2 = simulate(spec2, requests=5000, seed=2, record=True)
    t2 = r2.requests_table
    assert t2 is not None
    tok2 = (t2["service_ms"] - 5.0) / 2.0
    # 8 + 2 tok <= 10 + 1.5 tok  <=>  tok <= 4
    assert r2.summary["slo_attainment"] == pytest.approx(float((tok2 <= 4).mean()), abs=1e-12)
    assert 0.0 < r2.summary["slo_attainment"] < 1.0


def test_run_dir_round_trip_and_cli(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, run = planned
    stored = read_run(run)
    plan2 = stored.plan
    assert np.allclose(plan2.training_mw_by_year, plan.training_mw_by_year, atol=1e-9)
    assert plan_sim(stored.inputs, plan2).spec.to_dict() == spec_from_plan(inputs, plan).to_dict()
    out = run_cli("simulate", str(run), "--requests", "2e4", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    assert s["requests"] == 20_000 and s["plan_year"] == int(plan.years[-1])
    # the scenario's policy, as `coredge run` simulates it
    assert s["warmup_s"] > 0 and s["policy"] == inputs.scenario.simulation.policy
    bad = run_cli("simulate", str(run.parent), "--requests", "1e3")
    assert bad.returncode == 2 and "plan.json is missing" in " ".join(bad.stderr.split())


def test_failed_site_serves_nothing(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, _ = planned
    site = largest_edge_site(inputs, plan)
    gpus = inference_gpus(inputs, plan).sum(axis=1)
    edge = plan.sites["tier"].isin(["micro", "regional"]).to_numpy()
    assert gpus[list(plan.sites["site_id"]).index(site)] == gpus[edge].max()
    base = simulate_plan(inputs, plan, requests=20_000, seed=4)
    fail = simulate_plan(inputs, plan, requests=20_000, seed=4, fail_site=site)
    tb, tf = plan_site_table(base), plan_site_table(fail)
    assert int(tb.loc[tb["plan_site"] == site, "served"].iloc[0]) > 0
    assert int(tf.loc[tf["plan_site"] == site, "served"].iloc[0]) == 0
    assert tf["served"].sum() + fail.summary["dropped"] == 20_000
    assert fail.summary["spilled_frac"] > base.summary["spilled_frac"]
    w = failure_whatif(inputs, plan, requests=30_000, seed=5)
    # full scale, 2 replications of 15,000 requests: the middle third of one replication's span
    h = plan_sim(inputs, plan).expected_horizon_s(15_000)
    assert w["site"] == site and w["at_s"] == pytest.approx(h / 3) and w["for_s"] == pytest.approx(h / 3)
    assert w["scale"] == 1.0 and w["replications"] == 2
    # arrivals in the middle third of each replication: binomial(30000, 1/3) within 5 sd
    assert abs(w["requests_during"] - 10_000) < 5 * math.sqrt(30_000 / 3 * 2 / 3)
    with pytest.raises(Exception, match="fail_site"):
        simulate_plan(inputs, plan, requests=1000, fail_site="nowhere")


def test_warmup_removes_empty_start_bias() -> None:
    """M/M/20 at load 0.8, 320 counted requests per run (20 s): P(wait) vs Erlang C."""
    c, s_ms, rho = 20, 1000.0, 0.8
    lam = rho * c / (s_ms / 1000.0)
    spec = spec_from_dict({"sites": [{"id": "s", "servers": c}], "demand": [{"id": "d", "rate_per_s": lam}],
                           "rtt_ms": [[0.0]], "service": {"distribution": "exponential", "mean_ms": s_ms}})
    a = lam * s_ms / 1000.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)  # Erlang B recursion
    erlang_c = b / (1.0 - rho * (1.0 - b))
    n = 150
    cold = np.array([simulate(spec, requests=320, seed=i).summary["wait_prob"] for i in range(n)])
    warm = np.array([simulate(spec, requests=320, seed=i, warmup_s=600.0).summary["wait_prob"] for i in range(n)])
    se_w, se_c = warm.std() / math.sqrt(n), cold.std() / math.sqrt(n)
    assert abs(warm.mean() - erlang_c) < 3 * se_w
    assert cold.mean() < erlang_c - 3 * se_c


def test_plan_share_follows_the_plan_assignments(planned: tuple[Inputs, Plan, Path]) -> None:
    """Each first choice is a pool of a site the plan assigned the (point, class) pair to."""
    inputs, plan, _ = planned
    ps = plan_sim(inputs, plan, policy="plan-share")
    shares = ps.spec.routing.shares
    assert shares and ps.spec.routing.policy == "plan-share"
    r = simulate(ps.spec, requests=40_000, seed=6, record=True, warmup_s=ps.warmup_s)
    t = r.requests_table
    assert t is not None and r.summary["policy"] == "plan-share"
    dem_ids = [d.id for d in ps.spec.demand]
    cls_ids = [c.id for c in ps.spec.classes or []]
    pool_ids = [s.id for s in ps.spec.sites]
    a = plan.assignments
    assigned = {(str(p), str(c), str(s)) for p, c, s in zip(a["point_id"], a["class_id"], a["site_id"], strict=True)}
    first = t[(t["site"] >= 0)]
    ok = 0
    for d, k, s, rtt in zip(first["demand"], first["class"], first["site"], first["rtt_ms"], strict=True):
        key = (dem_ids[d], cls_ids[k], ps.pool_site[s])
        if key in assigned:
            ok += 1
        else:  # not the plan's site: it must be a spill up a tier (core here), never sideways
            assert ps.spec.sites[s].tier == "core" and math.isfinite(rtt)
    assert ok / len(first) > 0.5
    # shares are the plan's: per (point, class) they add up to the pair's assigned share
    for pt, by_class in shares.items():
        for cid, by_pool in by_class.items():
            total = a.loc[(a["point_id"].astype(str) == pt) & (a["class_id"].astype(str) == cid), "share"].sum()
            assert sum(by_pool.values()) == pytest.approx(total, rel=1e-9)
            assert all(p in pool_ids for p in by_pool)
    res = simulate_plan(inputs, plan, requests=20_000, seed=1, policy="plan-share")
    assert res.summary["policy"] == "plan-share"


def test_failure_whatif_per_class_and_plan_faults(planned: tuple[Inputs, Plan, Path]) -> None:
    inputs, plan, _ = planned
    w = failure_whatif(inputs, plan, requests=30_000, seed=5)
    cls = w["classes"]
    assert set(cls) == {c.id for c in plan_sim(inputs, plan).spec.classes or []}
    assert sum(c["requests_during"] for c in cls.values()) == w["requests_during"]
    assert sum(c["requests_during"] + c["requests_outside"] for c in cls.values()) == w["requests"]
    site = largest_edge_site(inputs, plan)
    from coredge.sim import FaultSpec

    r = simulate_plan(inputs, plan, requests=20_000, seed=4,
                      faults=[FaultSpec(kind="derate", site=site, at_s=0.0, for_s=1e9, fraction=0.0)])
    windows = r.summary["faults"]["windows"]
    assert windows and all(w_["site"].split(SEP)[0] == site and w_["kind"] == "derate" for w_ in windows)
    with pytest.raises(Exception, match="faults"):
        simulate_plan(inputs, plan, requests=1000, faults=[FaultSpec(kind="link", site="nowhere", at_s=0, for_s=1)])


def test_training_from_plan_and_cli(planned: tuple[Inputs, Plan, Path], monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from coredge.cli import main
    from coredge.training.jobs import training_from_plan

    inputs, plan, run = planned
    pt = training_from_plan(inputs, plan, seed=2, mtbf_gpu_h=None)
    core = plan.sites["tier"].to_numpy() == "core"
    mw = plan.training_mw_by_year[:, -1]
    assert len(pt.campuses) == int((core & (mw > 0)).sum()) >= 1
    row = pt.campuses.iloc[0]
    i = list(plan.sites["site_id"]).index(row["site_id"])
    assert row["campus_gpus"] == int(mw[i] * 1000.0 / inputs.it_kw_per_gpu)
    assert row["failures"] == 0 and row["lost_gpu_h"] == 0.0
    j = pt.jobs
    np.testing.assert_allclose(j["wall_h"], j["duration_h"])  # no failures: wall = duration
    assert row["energy_mwh"] == pytest.approx(float((j["gpus"] * j["wall_h"]).sum()) * pt.summary["power_w_per_gpu"] * row["pue"] / 1e6)
    assert 0.5 < row["offered_load"] < 1.2 and 0.0 < row["utilization"] <= 1.0 + 1e-9
    monkeypatch.setattr(sys, "argv", ["coredge", "train-sim", str(run), "--json", "--seed", "1",
                                      "--out", str(tmp_path / "t")])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr().out
    assert info.value.code in (0, None)
    s = json.loads(out.strip().splitlines()[-1])
    assert s["campuses"] == len(pt.campuses) and s["failures"] > 0 and s["lost_gpu_h"] > 0
    assert (tmp_path / "t" / "jobs.parquet").is_file()
    monkeypatch.setattr(sys, "argv", ["coredge", "train-sim", str(run.parent / "nope")])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2


def test_plan_pools_power_and_energy(planned: tuple[Inputs, Plan, Path]) -> None:
    """Pools carry the plan site's PUE, idle board + host power per GPU, and per-class busy power
    at the operating point; a saturated pool's J/token equals the serving profile's (with host)."""
    from coredge.catalog.accelerators import get_accelerator
    from coredge.physics.serving import board_power_w

    inputs, plan, _ = planned
    gpu = inputs.scenario.hardware.gpu
    host = get_accelerator(gpu).server_overhead_w
    idle = float(board_power_w(gpu, 0.0))
    ps = plan_sim(inputs, plan, max_requests=100_000)
    pue = dict(zip(plan.sites["site_id"], plan.sites["pue"], strict=True))
    for site, psid in zip(ps.spec.sites, ps.pool_site, strict=True):
        assert site.power is not None
        assert site.power.pue == pytest.approx(pue[psid])
        bw = site.power.busy_w_per_slot
        assert isinstance(bw, dict) and set(bw) == set(site.serves or [])
        for cid, w in bw.items():
            p = ps.profiles[cid]
            assert w == pytest.approx(p.tp * (p.power_w_per_gpu + host) / p.batch)
        # idle_w / (idle + host) = GPUs behind the slots = slots x tp / batch (> 0)
        assert site.power.idle_w / (idle + host) > 0
    res = simulate_plan(inputs, plan, requests=100_000, seed=1)
    e = res.summary["energy"]
    assert e["facility_energy_kwh"] > e["it_energy_kwh"] > e["idle_it_energy_kwh"] > 0
    assert sum(c["it_energy_kwh"] for c in e["classes"].values()) <= e["it_energy_kwh"] * (1 + 1e-12)
    assert sum(t["it_energy_kwh"] for t in e["tiers"].values()) == pytest.approx(e["it_energy_kwh"])
    # saturated single-class pools: J/token at the operating point incl. host overhead
    checked = 0
    for _, row in res.sites.iterrows():
        site = ps.spec.sites[int(_)]
        if row["utilization"] > 0.995 and len(site.serves or []) == 1:
            p = ps.profiles[(site.serves or [])[0]]
            cp = capacity_point(p.model, gpu, p.tokens_in, p.tokens_out, p.tpot_target_ms,
                                p.ttft_target_ms, inputs.scenario.active_workloads[p.class_id].dtype,
                                None, p.tp)
            expect = cp.joules_per_token * (cp.power_w_per_gpu + host) / cp.power_w_per_gpu
            # up to 0.5 % idle slot time at idle power (measured deviations 0.0-0.25 %)
            assert row["it_j_per_token"] == pytest.approx(expect, rel=0.01)
            checked += 1
    assert checked >= 1


def _two_site_plan(inputs: Inputs, plan: Plan) -> tuple[Plan, list[str]]:
    """A hand-made plan: every pair a regional site may serve is assigned to that site (sized to
    exactly its load, no spare); one core campus with ten times the whole load and nothing
    assigned (all of it spare)."""
    from coredge.latency import rtt_ms
    from coredge.plan.reach import tier_serves

    tiers = plan.sites["tier"].astype(str).tolist()
    edge_j = tiers.index("regional") if "regional" in tiers else tiers.index("micro")
    core_j = tiers.index("core")
    sites = plan.sites.iloc[[edge_j, core_j]].reset_index(drop=True).copy()
    sites["online_year"] = int(plan.years[0])
    edge_tier = str(sites["tier"].iat[0])
    ks = [k for k, c in enumerate(inputs.classes)
          if tier_serves(inputs, edge_tier, c) and tier_serves(inputs, "core", c)]
    net = inputs.scenario.network
    d = inputs.demand
    rows = []
    for p in range(len(d)):
        dist = float(haversine_km(d["lat"].iat[p], d["lon"].iat[p], sites["lat"].iat[0], sites["lon"].iat[0]))
        rtt = float(rtt_ms(net, dist))
        for k in ks:
            rows.append({"point_id": str(d["id"].iat[p]), "point_index": p, "class_id": inputs.classes[k],
                         "class_index": k, "site_id": str(sites["site_id"].iat[0]), "site_index": 0,
                         "share": 1.0, "rtt_ms": rtt, "distance_km": dist})
    import pandas as pd

    load = inputs.load_mw[:, ks, :].sum(axis=(0, 1))  # (Y,)
    it = np.vstack([load, 10.0 * load])
    two = Plan(years=plan.years, sites=sites, it_mw_by_year=it, load_mw_by_year=np.vstack([load, 0 * load]),
               training_mw_by_year=np.zeros_like(it), assignments=pd.DataFrame(rows),
               unmet_mw=np.zeros_like(plan.unmet_mw), method="greedy")
    return two, [inputs.classes[k] for k in ks]


def test_failed_edge_site_fails_over_to_the_core_with_room(planned: tuple[Inputs, Plan, Path]) -> None:
    """Hand-computed two-site case: the edge site (all the load assigned to it) is down for the
    whole run and the core campus has room, so nothing is dropped and every request's latency is
    its RTT to the core (haversine and the scenario's network model) plus its service, no wait."""
    inputs, plan, _ = planned
    two, served = _two_site_plan(inputs, plan)
    edge, core = str(two.sites["site_id"].iat[0]), two.sites.iloc[1]
    ps = plan_sim(inputs, two, policy="plan-share")
    from coredge.sim import FaultSpec

    faults = [FaultSpec(site=p, at_s=0.0, for_s=1e12) for p in ps.pools_of(edge)]
    assert faults
    r = simulate(ps.spec, requests=20_000, seed=3, faults=faults, warmup_s=ps.warmup_s, record=True)
    assert r.summary["dropped"] == 0
    t = r.requests_table
    assert t is not None and len(t) == 20_000
    assert {ps.pool_site[s] for s in t["site"].unique()} == {str(core["site_id"])}
    net = inputs.scenario.network
    dem = ps.spec.demand
    lat_d = np.array([x.lat for x in dem])
    lon_d = np.array([x.lon for x in dem])
    km = haversine_km(lat_d, lon_d, float(core["lat"]), float(core["lon"]))
    assert net.model == "calibrated"  # the default, its formula written out (backbone only)
    rtt_core = net.fixed_ms + 2.0 * km * (1.0 + net.inflation_excess / (1.0 + km / net.inflation_scale_km)) * net.fiber_us_per_km / 1000.0
    expect = rtt_core[t["demand"].to_numpy()] + t["service_ms"].to_numpy()
    assert np.allclose(t["wait_ms"].to_numpy(), 0.0)
    assert np.allclose(t["latency_ms"].to_numpy(), expect, rtol=1e-9)
    # and the mean service of each class is its profile's (lognormal tokens, 5 standard errors)
    cls = [c.id for c in ps.spec.classes or []]
    for k, g in t.groupby("class"):
        prof = ps.profiles[cls[int(k)]]
        sv = g["service_ms"].to_numpy()
        assert abs(sv.mean() - prof.mean_service_ms) < 5 * sv.std() / math.sqrt(len(sv)) + 1e-9
    assert set(cls) == set(served)


def test_failure_whatif_batch_fails_over(planned: tuple[Inputs, Plan, Path]) -> None:
    """The pipeline's what-if on the two-site plan: the edge site down for the middle third, the
    classes it served fail over to the core (dropped during the outage ~0)."""
    inputs, plan, _ = planned
    two, served = _two_site_plan(inputs, plan)
    w = failure_whatif(inputs, two, requests=20_000, seed=2, policy="plan-share")
    assert w["site"] == str(two.sites["site_id"].iat[0])
    for cid in served:
        assert w["classes"][cid]["dropped_frac_during"] == 0.0, cid


def test_busy_hour_at_full_scale_reports_its_window(planned: tuple[Inputs, Plan, Path]) -> None:
    """`coredge run`'s simulation: full scale, steady start, 2 replications, the CI of each
    class's attainment, and the what-if as a second window of the same replications."""
    from coredge.results import sim_summary
    from coredge.sim.from_plan import busy_hour

    inputs, plan, _ = planned
    sim, w = busy_hour(inputs, plan, requests=40_000, seed=3, policy="plan-share")
    s = sim.summary
    ps = plan_sim(inputs, plan, policy="plan-share")
    assert s["pool_scale"] == s["scale"] == 1.0 and s["start"] == "steady" and s["replications"] == 2
    assert s["requests"] == 40_000 and s["requests_per_s"] > 0
    # counted time: 40,000 requests at the full busy-hour rate (Poisson: within 5 %)
    assert s["window_s"] == pytest.approx(40_000 / ps.rate_per_s, rel=0.05)
    assert [x.servers for x in ps.spec.sites] == sim.sites["servers"].tolist()  # the planned slots
    ci = s["slo_ci"]
    assert ci["batches"] == 20
    for cid, (lo, hi) in ci["by_class"].items():
        got = s["classes"][cid]["slo_attainment"]
        if math.isfinite(lo):
            assert lo <= hi and lo - 0.05 <= got <= hi + 0.05, cid
    assert w is not None and w["scale"] == 1.0 and w["replications"] == 2
    assert w["requests"] == 40_000 and w["requests_during"] > 0
    assert w["at_s"] == pytest.approx(ps.expected_horizon_s(20_000) / 3)
    out = sim_summary(sim, w)
    for key in ("pool_scale", "window_s", "requests", "requests_per_s", "slo_ci", "replications"):
        assert out[key] == s[key], key
    # without the what-if: the same first window
    alone, none = busy_hour(inputs, plan, requests=40_000, seed=3, policy="plan-share", whatif=False)
    assert none is None and alone.classes.equals(sim.classes)
