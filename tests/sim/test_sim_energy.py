"""Energy and J/token from the sites' power models: a hand-computed single site, idle-only
energy without traffic, J/token at full utilisation against the serving profile's
``joules_per_token``, per-class idle split, plan pools, validation."""

from __future__ import annotations

import math
from typing import Any

import pytest

from coredge.errors import InputError
from coredge.physics.serving import board_power_w, capacity_point, prefill_ms
from coredge.sim import simulate, spec_from_dict
from coredge.sim.from_plan import ClassProfile, pool_power

J_PER_KWH = 3.6e6


def _site(power: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"id": "s0", "servers": 4, "queue_limit": 0, **kw}
    if power is not None:
        s["power"] = power
    return s


def test_hand_computed_single_site() -> None:
    # 4 slots, tokens service with exactly 100 tokens: 20 ms prefill + 100 x 1 ms = 120 ms
    # busy 500 W per slot, idle 200 W for the site (50 W per idle slot), PUE 1.25
    spec = spec_from_dict({
        "sites": [_site({"idle_w": 200.0, "busy_w_per_slot": 500.0, "pue": 1.25})],
        "demand": [{"id": "d0", "rate_per_s": 10.0}], "rtt_ms": [[1.0]],
        "service": {"distribution": "tokens", "prefill_ms": 20.0, "tpot_ms": 1.0,
                    "tokens_mean": 100.0, "tokens_sigma": 0.0},
    })
    hours = 0.5
    r = simulate(spec, hours=hours, seed=4)
    served = r.summary["completed"]
    horizon_s = hours * 3600.0
    busy_s = served * 0.120
    # busy fraction = offered load 10/s x 0.12 s / 4 minus Erlang-B losses, near 0.3
    assert busy_s / (4 * horizon_s) == pytest.approx(r.summary["utilization"], rel=1e-12)
    assert 0.28 < busy_s / (4 * horizon_s) < 0.30
    it_j = busy_s * 500.0 + (4 * horizon_s - busy_s) * 50.0
    e = r.summary["energy"]
    assert e["it_energy_kwh"] == pytest.approx(it_j / J_PER_KWH, rel=1e-9)
    assert e["facility_energy_kwh"] == pytest.approx(1.25 * it_j / J_PER_KWH, rel=1e-9)
    assert e["idle_it_energy_kwh"] == pytest.approx((4 * horizon_s - busy_s) * 50.0 / J_PER_KWH, rel=1e-9)
    assert e["tokens"] == 100 * served
    assert e["it_j_per_token"] == pytest.approx(it_j / (100 * served), rel=1e-9)
    assert e["facility_j_per_request"] == pytest.approx(1.25 * it_j / served, rel=1e-9)
    assert e["mean_it_power_kw"] == pytest.approx(it_j / horizon_s / 1000.0, rel=1e-9)
    assert r.sites["it_energy_kwh"].iat[0] == pytest.approx(it_j / J_PER_KWH, rel=1e-9)


def test_no_traffic_is_idle_energy() -> None:
    # s1 is unreachable: it serves nothing and draws idle power for the whole horizon
    spec = spec_from_dict({
        "sites": [_site({"idle_w": 100.0, "busy_w_per_slot": 300.0}),
                  _site({"idle_w": 750.0, "busy_w_per_slot": 300.0, "pue": 1.4}, id="s1", servers=3)],
        "demand": [{"id": "d0", "rate_per_s": 5.0}], "rtt_ms": [[1.0, None]],
        "service": {"distribution": "exponential", "mean_ms": 50.0},
    })
    r = simulate(spec, hours=0.1, seed=1)
    row = r.sites.set_index("site").loc["s1"]
    assert row["served"] == 0
    assert row["it_energy_kwh"] == pytest.approx(750.0 * 360.0 / J_PER_KWH, rel=1e-12)
    assert row["idle_it_energy_kwh"] == pytest.approx(row["it_energy_kwh"], rel=1e-12)
    assert row["facility_energy_kwh"] == pytest.approx(1.4 * 750.0 * 360.0 / J_PER_KWH, rel=1e-12)
    assert math.isnan(row["it_j_per_token"])  # no tokens service


def test_j_per_token_matches_serving_profile_at_full_load() -> None:
    # one replica group of llama3-8b on h100 at the planner's operating point; PUE 1, no host
    # overhead; overloaded loss pool so every slot is busy practically all the time
    model, gpu, t_in, t_out = "llama3-8b", "h100", 512, 256
    cp = capacity_point(model, gpu, t_in, t_out, 50.0, 1000.0)
    pre1 = float(prefill_ms(model, gpu, t_in, cp.tp, "bf16", 1))
    prof = ClassProfile("chat", model, cp.tp, cp.batch, pre1, cp.tpot_ms - pre1 / t_out, t_in,
                        t_out, math.inf, 1000.0, 50.0, cp.power_w_per_gpu,
                        float(board_power_w(gpu, 0.0)), 700.0)
    slots = cp.batch
    power = pool_power([prof], slots, float(cp.tp), 1.0, host_overhead_w=0.0)
    svc_ms = prof.mean_service_ms
    spec = spec_from_dict({
        "sites": [_site(power, servers=slots)],
        "demand": [{"id": "d0", "rate_per_s": 30.0 * slots / (svc_ms / 1000.0)}],
        "rtt_ms": [[1.0]],
        "classes": [{"id": "chat", "share": 1.0,
                     "service": {"distribution": "tokens", "prefill_ms": prof.prefill_ms,
                                 "tpot_ms": prof.tpot_ms, "tokens_mean": float(t_out),
                                 "tokens_sigma": 0.0}}],
    })
    r = simulate(spec, requests=200_000, seed=2)
    assert r.summary["utilization"] > 0.999
    e = r.summary["energy"]
    assert e["it_j_per_token"] == pytest.approx(cp.joules_per_token, rel=1e-3)
    assert e["classes"]["chat"]["it_j_per_token"] == pytest.approx(cp.joules_per_token, rel=1e-3)
    assert e["facility_j_per_token"] == e["it_j_per_token"]
    # with host overhead the energy per token grows by tp x host / tokens per s per replica
    power_h = pool_power([prof], slots, float(cp.tp), 1.0)
    assert power_h["busy_w_per_slot"]["chat"] == pytest.approx(
        cp.tp * (cp.power_w_per_gpu + 700.0) / cp.batch)


def test_class_split_of_idle_energy_and_tiers() -> None:
    # two classes on one site; idle energy split by busy time; per-class busy powers
    spec = spec_from_dict({
        "sites": [_site({"idle_w": 400.0, "busy_w_per_slot": {"a": 100.0, "b": 300.0}},
                        tier="micro", servers=8)],
        "demand": [{"id": "d0", "rate_per_s": 20.0}], "rtt_ms": [[1.0]],
        "classes": [
            {"id": "a", "share": 1.0, "service": {"distribution": "deterministic", "mean_ms": 100.0}},
            {"id": "b", "share": 1.0, "service": {"distribution": "deterministic", "mean_ms": 50.0}},
        ],
    })
    r = simulate(spec, hours=0.2, seed=3)
    c = r.classes.set_index("class")
    n_a, n_b = c.loc["a", "completed"], c.loc["b", "completed"]
    busy_a, busy_b = n_a * 0.1, n_b * 0.05
    idle_j = (8 * 720.0 - busy_a - busy_b) * 50.0
    ea = busy_a * 100.0 + idle_j * busy_a / (busy_a + busy_b)
    eb = busy_b * 300.0 + idle_j * busy_b / (busy_a + busy_b)
    assert c.loc["a", "it_energy_kwh"] == pytest.approx(ea / J_PER_KWH, rel=1e-9)
    assert c.loc["b", "it_energy_kwh"] == pytest.approx(eb / J_PER_KWH, rel=1e-9)
    assert r.summary["energy"]["it_energy_kwh"] == pytest.approx((ea + eb) / J_PER_KWH, rel=1e-9)
    assert r.summary["tiers"]["micro"]["it_energy_kwh"] == pytest.approx((ea + eb) / J_PER_KWH, rel=1e-9)
    assert r.summary["classes"]["b"]["it_j_per_request"] == pytest.approx(eb / n_b, rel=1e-9)
    assert math.isnan(r.summary["classes"]["a"]["it_j_per_token"])


def test_no_power_no_energy() -> None:
    spec = spec_from_dict({"sites": [_site()], "demand": [{"id": "d0", "rate_per_s": 5.0}],
                           "rtt_ms": [[1.0]], "service": {"distribution": "exponential", "mean_ms": 5.0}})
    r = simulate(spec, requests=100, seed=0)
    assert "energy" not in r.summary and "it_energy_kwh" not in r.sites


@pytest.mark.parametrize(("sites", "field"), [
    ([_site({"idle_w": 1.0, "busy_w_per_slot": 2.0}), _site(id="s1")], "sites[].power"),
    ([_site({"idle_w": 1.0, "busy_w_per_slot": 2.0, "pue": 0.9})], "sites[0].power.pue"),
    ([_site({"idle_w": -1.0, "busy_w_per_slot": 2.0})], "sites[0].power.idle_w"),
    ([_site({"idle_w": 1.0, "busy_w_per_slot": {"x": 2.0}})], "sites[0].power.busy_w_per_slot"),
])
def test_power_validation(sites: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(InputError) as e:
        spec_from_dict({"sites": sites, "demand": [{"id": "d0", "rate_per_s": 5.0}],
                        "rtt_ms": [[1.0] * len(sites)],
                        "service": {"distribution": "exponential", "mean_ms": 5.0}})
    assert any(p.field.startswith(field) for p in e.value.problems), e.value.problems
