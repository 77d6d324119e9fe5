"""Hardware per tier (``hardware.tiers``): each tier is sized with its own accelerator.

Without per-tier hardware (or with overrides equal to ``hardware``) the plan is exactly the
single-accelerator one; a faster core GPU needs fewer GPUs and less IT power for the same load,
an edge card needs more; the built-in ``mixed-hardware`` variant plans on a small scenario.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from planner_util import TINY, merged, write_scenario

from coredge.errors import InputError
from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.costing import site_costs
from coredge.plan.greedy import greedy_plan
from coredge.plan.result import Plan
from coredge.scenario.load import load_scenario
from coredge.scenario.schema import TIER_IDS


def _inputs(tmp_path: Path, raw: dict[str, Any], name: str = "s.yaml") -> Inputs:
    return build_inputs(load_scenario(write_scenario(tmp_path, raw, name)))


def _tier_gpus(plan: Plan, tier: str) -> int:
    return int(plan.sites.loc[plan.sites["tier"] == tier, "gpus"].sum())


def _inference_mw(plan: Plan, tier: str) -> float:
    m = (plan.sites["tier"] == tier).to_numpy()
    return float((plan.load_mw_by_year[m, -1] - plan.training_mw_by_year[m, -1]).sum())


def test_same_accelerator_per_tier_plans_exactly_as_without(tmp_path: Path, tiny_inputs: Inputs,
                                                            tiny_greedy: Plan) -> None:
    """Overrides that name hardware.gpu itself change nothing, bit for bit."""
    inp = _inputs(tmp_path, merged(TINY, hardware={"tiers": {"core": {"gpu": "h100"}, "micro": {"engine": "trtllm"}}}))
    assert not inp.scenario.hardware.per_tier and not tiny_inputs.scenario.hardware.per_tier
    assert np.array_equal(inp.tier_mw_factor, np.ones((len(TIER_IDS), inp.n_classes)))
    assert all(th.capacity is tiny_inputs.tier_hardware[t].capacity or th.capacity == tiny_inputs.capacity
               for t, th in inp.tier_hardware.items())
    plan = greedy_plan(inp)
    for a, b in ((plan.it_mw_by_year, tiny_greedy.it_mw_by_year), (plan.load_mw_by_year, tiny_greedy.load_mw_by_year),
                 (plan.unmet_mw, tiny_greedy.unmet_mw)):
        assert np.array_equal(a, b)
    assert plan.sites["gpus"].tolist() == tiny_greedy.sites["gpus"].tolist()
    c0, c1 = site_costs(tiny_inputs, tiny_greedy), site_costs(inp, plan)
    assert np.array_equal(c0.capex_usd, c1.capex_usd) and np.array_equal(c0.energy_mwh, c1.energy_mwh)


def test_b200_core_needs_fewer_gpus_than_h100(tmp_path: Path, tiny_inputs: Inputs, tiny_greedy: Plan) -> None:
    inp = _inputs(tmp_path, merged(TINY, hardware={"tiers": {"core": {"gpu": "b200"}}}))
    core = inp.tier_hardware["core"]
    assert core.gpu == "b200" and inp.tier_hardware["regional"].gpu == "h100"
    # each B200 serves more tokens/s than an H100 for every class, and enough more to need
    # less IT power per MW of H100 load despite its higher power per GPU
    for k in inp.classes:
        assert core.capacity[k].output_tokens_per_s_per_gpu > tiny_inputs.capacity[k].output_tokens_per_s_per_gpu
    f = inp.tier_mw_factor[TIER_IDS.index("core")]
    assert (f < 1.0).all() and (inp.tier_mw_factor[1:] == 1.0).all()
    plan = greedy_plan(inp)
    # the same batch load at the core: less IT MW, fewer GPUs (inference and all together)
    mw_b200, mw_h100 = _inference_mw(plan, "core"), _inference_mw(tiny_greedy, "core")
    assert 0 < mw_b200 < mw_h100
    assert mw_b200 * 1000 / core.it_kw_per_gpu < mw_h100 * 1000 / tiny_inputs.it_kw_per_gpu
    assert _tier_gpus(plan, "core") < _tier_gpus(tiny_greedy, "core")
    m = (plan.sites["tier"] == "core").to_numpy()
    assert plan.sites.loc[m, "gpus"].tolist() == np.floor(plan.it_mw_by_year[m, -1] * 1000 / core.it_kw_per_gpu).tolist()
    # served + unmet = demand, in MW of the reference accelerator's load
    assert plan.unmet_mw[:-1, -1].sum() == pytest.approx(tiny_greedy.unmet_mw[:-1, -1].sum(), abs=1e-9)
    # GPU capex at the core is B200 servers'
    c = site_costs(inp, plan)
    added = np.diff(np.floor(plan.it_mw_by_year[m] * 1000 / core.it_kw_per_gpu), axis=1, prepend=0.0)
    assert c.capex_it_usd[m].sum() == pytest.approx(added.sum() * core.gpu_capex_usd, rel=1e-12)


def test_l40s_micro_needs_more_gpus_than_h100(tmp_path: Path) -> None:
    """Only micro candidates at the edge: the same latency-bound load on L40S cards."""
    edge_only = merged(TINY, candidates={**TINY["candidates"], "regional_min_population": 50_000_000})
    base = _inputs(tmp_path, edge_only, "h100.yaml")
    l40s = _inputs(tmp_path, merged(edge_only, hardware={"tiers": {"micro": {"gpu": "l40s"}}}), "l40s.yaml")
    micro = l40s.tier_hardware["micro"]
    assert micro.gpu == "l40s" and micro.it_kw_per_gpu < base.it_kw_per_gpu
    served = [k for k in base.classes if k in micro.capacity]
    assert served and "batch" not in served
    for k in served:
        assert micro.capacity[k].output_tokens_per_s_per_gpu < base.capacity[k].output_tokens_per_s_per_gpu
    p0, p1 = greedy_plan(base), greedy_plan(l40s)
    assert _tier_gpus(p1, "micro") > _tier_gpus(p0, "micro") > 0
    assert _inference_mw(p1, "micro") > _inference_mw(p0, "micro")
    assert (p1.load_mw_by_year <= p1.it_mw_by_year + 1e-9).all()


@pytest.mark.parametrize(
    ("hardware", "workloads", "field", "words"),
    [
        ({"tiers": {"micro": {"gpu": "z100"}}}, None, "hardware.tiers.micro.gpu", "one of"),
        ({"tiers": {"regional": {"gpu": "a100"}}}, None, "hardware.tiers.regional.gpu", "fp8"),
        ({"gpu": "b200", "tiers": {"core": {"gpu": "h100"}}}, {"batch": {"dtype": "bf16"}},
         "hardware.tiers.core.gpu", "memory"),
        ({"tiers": {"edge": {"gpu": "l4"}}}, None, "hardware.tiers", "edge"),
        ({"tiers": {"core": {"it_kw_per_gpu": -1.0}}}, None, "hardware.tiers.core.it_kw_per_gpu", ""),
    ],
)
def test_per_tier_hardware_errors_name_the_field(tmp_path: Path, hardware: dict[str, Any],
                                                 workloads: dict[str, Any] | None, field: str, words: str) -> None:
    """Unknown GPU or tier, a dtype the GPU lacks (the batch class's FP8 on an A100 at regional
    sites, which serve batch), a model that fits no TP degree (Llama 3.1 405B in BF16, 810 GB,
    on 8 x H100 at the core while the reference B200 holds it): one message naming the field."""
    raw = merged(TINY, hardware=hardware, **({"workloads": workloads} if workloads else {}))
    with pytest.raises(InputError) as exc:
        _inputs(tmp_path, raw)
    text = str(exc.value)
    assert field in text and words in text


def _builtin_variant(name: str) -> dict[str, Any]:
    text = resources.files("coredge.catalog").joinpath("scenarios", "us.yaml").read_text(encoding="utf-8")
    out = yaml.safe_load(text)["variants"][name]
    assert isinstance(out, dict)
    return out


def test_mixed_hardware_variant_plans_a_small_scenario(tmp_path: Path) -> None:
    """The built-in variant over the tiny scenario, greedy planner: each tier on its accelerator."""
    from coredge.pipeline import PLAN_AND_FINANCE, execute

    over = _builtin_variant("mixed-hardware")
    raw = merged(TINY, planning={"planner": "greedy"})
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(raw) + "variants:\n  mixed-hardware: " + json.dumps(over) + "\n", encoding="utf-8")
    sc = load_scenario(p, variant="mixed-hardware")
    assert {t: sc.hardware.for_tier(t).gpu for t in TIER_IDS} == {"core": "b200", "regional": "h100", "micro": "l40s"}
    res = execute(sc, variant="mixed-hardware", compute=PLAN_AND_FINANCE)
    inp, plan = res.inputs, res.plan
    assert plan.method == "greedy" and plan.n_sites > 0
    assert res.summary["gpu_by_tier"] == {"core": "b200", "regional": "h100", "micro": "l40s"}
    for t in TIER_IDS:
        m = (plan.sites["tier"] == t).to_numpy()
        kw = inp.tier_hardware[t].it_kw_per_gpu
        assert plan.sites.loc[m, "gpus"].tolist() == np.floor(plan.it_mw_by_year[m, -1] * 1000 / kw).tolist()
        assert res.summary["gpus_by_tier"][t] == int(plan.sites.loc[m, "gpus"].sum())
    assert (plan.load_mw_by_year <= plan.it_mw_by_year + 1e-9).all()
    assert res.finance is not None
    # finance buys each tier's GPUs at its own price
    rows = res.finance.rows
    assert set(rows["tier"]) == set(plan.sites["tier"])
    for t in set(rows["tier"]):
        r = rows[rows["tier"] == t]
        price = inp.tier_hardware[str(t)].gpu_capex_usd
        assert float(r["capex_it_usd"].sum()) == pytest.approx(float(r["gpus"].sum()) * price, rel=1e-9)


def test_milp_with_per_tier_hardware_prices_its_plan_as_costing(tmp_path: Path) -> None:
    """The MILP with each tier on its own accelerator: its objective is the plan's costing
    (each site's GPUs at its tier's price and power), every site within its installed capacity,
    and its single-site-failure check re-homes load at the receiving site's accelerator."""
    from test_planner_costing import costing_total_usd

    from coredge.plan.milp import milp_plan
    from coredge.plan.result import single_site_failure_shortfall

    hw = {"tiers": {"core": {"gpu": "b200"}, "micro": {"gpu": "l40s"}}}
    inp = _inputs(tmp_path, merged(TINY, hardware=hw))
    plan = milp_plan(inp, time_limit_s=30, mip_rel_gap=1e-3)
    s = plan.solver
    assert s["objective_usd"] == pytest.approx(costing_total_usd(inp, plan) + s["model_charges_usd"], rel=1e-6)
    assert (plan.load_mw_by_year <= plan.it_mw_by_year + 1e-6).all()
    for t in TIER_IDS:
        m = (plan.sites["tier"] == t).to_numpy()
        kw = inp.tier_hardware[t].it_kw_per_gpu
        assert plan.sites.loc[m, "gpus"].tolist() == np.floor(plan.it_mw_by_year[m, -1] * 1000 / kw).tolist()
    # the site loads are the assigned loads at each site's factor (plus training)
    a = plan.assignments
    f = inp.site_mw_factor(plan.sites["tier"].to_numpy())
    p, k, j = (a[c].to_numpy() for c in ("point_index", "class_index", "site_index"))
    inf = np.zeros(plan.n_sites)
    np.add.at(inf, j, inp.load_mw[p, k, -1] * a["share"].to_numpy() * f[j, k])
    online = plan.sites["online_year"].to_numpy() <= plan.years[-1]
    assert np.allclose((plan.load_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1])[online], inf[online],
                       rtol=1e-6, atol=1e-6)
    if s.get("repair_exact"):
        exempt = {(int(q), int(c)) for q, c in s.get("unprotected_pairs", [])}
        assert single_site_failure_shortfall(inp, plan, exempt=exempt).max() == 0.0


def test_dtype_and_memory_checks_run_when_the_scenario_is_loaded(tmp_path: Path) -> None:
    """`coredge validate` and every command report both at once, before any stage runs."""
    raw = merged(TINY, hardware={"gpu": "b200", "tiers": {"regional": {"gpu": "a100"}, "core": {"gpu": "h100"}}},
                 workloads={"batch": {"dtype": "bf16"}})
    with pytest.raises(InputError) as exc:
        load_scenario(write_scenario(tmp_path, raw))
    fields = [p.field for p in exc.value.problems]
    assert "hardware.tiers.regional.gpu" in fields and "hardware.tiers.core.gpu" in fields


def test_rehoming_takes_capacity_at_the_receiving_sites_factor() -> None:
    """Re-homing 1 MW of load onto a site whose accelerator needs 2 MW of IT for it takes 2 MW
    of that site's spare: nearest-first and the exact maximum flow alike."""
    from coredge.plan.result import _rehoming_shortfall, greedy_place

    cap = np.array([1.0, 5.0])
    assert greedy_place(1.0, [0, 1], cap, [2.0, 1.0]) == pytest.approx(0.0)
    assert cap.tolist() == pytest.approx([0.0, 4.5])
    # needs of 1 MW each; site 0 (1 MW spare, 2 MW per MW) reaches both, site 1 (0.5 MW spare,
    # 1 MW per MW) only the second: at most 0.5 + 0.5 MW can move, 1 MW is stranded
    short = _rehoming_shortfall([1.0, 1.0], [[0], [0, 1]], np.array([1.0, 0.5]), [[2.0], [2.0, 1.0]])
    assert short == pytest.approx(1.0, abs=1e-9)
    # the same with factors of 1: everything but 0.5 MW moves
    assert _rehoming_shortfall([1.0, 1.0], [[0], [0, 1]], np.array([1.0, 0.5])) == pytest.approx(0.5, abs=1e-9)
