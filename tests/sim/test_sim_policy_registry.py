"""The routing-policy registry and the scenario schema agree: every registered policy is a
scenario choice (``model-aware`` included), an unknown one is refused naming the choices, and a
policy registered later becomes a choice."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from coredge.catalog.routing import ROUTING_POLICIES
from coredge.errors import InputError
from coredge.scenario.schema import Scenario, SimulationSpec
from coredge.sim import POLICIES, Policy, register_policy, simulate
from coredge.sim.kernel import FIRST_ACCEPT
from coredge.sim.policies import RoutingInputs, get_policy
from coredge.sim.policies.builtin import nearest_candidates


def test_registry_and_scenario_choices_are_the_same() -> None:
    assert list(POLICIES) == list(ROUTING_POLICIES)
    assert {"plan-share", "tiered-spill", "nearest-available", "least-expected-latency",
            "model-aware"} <= set(POLICIES)
    for name, pol in POLICIES.items():
        assert pol.name == name and pol.description == ROUTING_POLICIES[name]


def test_json_schema_lists_every_policy() -> None:
    prop = Scenario.model_json_schema()["$defs"]["SimulationSpec"]["properties"]["policy"]
    assert prop["enum"] == list(POLICIES) and prop["default"] == "plan-share"


@pytest.mark.parametrize("name", sorted(ROUTING_POLICIES))
def test_every_registered_policy_validates(name: str) -> None:
    assert SimulationSpec.model_validate({"policy": name}).policy == name


def test_unknown_policy_names_the_choices(tiny_yaml: object) -> None:
    from pathlib import Path

    from coredge.scenario.load import load_scenario

    p = Path(str(tiny_yaml))
    p.write_text(p.read_text(encoding="utf-8") + "simulation: {policy: nearest}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "simulation.policy" in msg and "'nearest'" in msg
    for name in POLICIES:
        assert name in msg


@pytest.fixture()
def extra_policy() -> Iterator[str]:
    name = "nearest-copy"
    register_policy(Policy(name, FIRST_ACCEPT, nearest_candidates, "nearest-available again"))
    yield name
    POLICIES.pop(name)
    ROUTING_POLICIES.pop(name)


def test_a_registered_policy_becomes_a_scenario_choice(extra_policy: str) -> None:
    assert SimulationSpec.model_validate({"policy": extra_policy}).policy == extra_policy
    assert get_policy(extra_policy).build is nearest_candidates


def test_model_aware_serves_each_class_at_the_nearest_site_of_its_tier_holding_it() -> None:
    # two demand points, a micro site near each, a core far away; class 1 only at the core
    rtt = np.array([[1.0, 9.0, 30.0], [9.0, 1.0, 30.0]])
    serves = np.array([[True, False], [True, False], [True, True]])
    inp = RoutingInputs(rtt_ms=rtt, tier=["micro", "micro", "core"],
                        rtt_budget_ms=np.array([10.0, np.inf]), max_hops=None, serves=serves)
    cand = get_policy("model-aware").build(inp)
    lists = [cand.order[cand.row_map[r], : cand.order_len[r]].tolist() for r in range(4)]
    # (demand 0, class 0): its own micro, then the core, never the other micro
    assert lists == [[0, 2], [2], [1, 2], [2]]


def test_plan_simulation_runs_with_model_aware(tiny_inputs: object, tiny_greedy: object) -> None:
    from coredge.sim.from_plan import plan_sim

    ps = plan_sim(tiny_inputs, tiny_greedy, max_requests=5_000, policy="model-aware")  # type: ignore[arg-type]
    res = simulate(ps.spec, seed=1)
    s = res.summary
    assert s["requests"] > 0 and s["completed"] > 0
    assert s["completed"] + s["dropped"] == s["requests"]
