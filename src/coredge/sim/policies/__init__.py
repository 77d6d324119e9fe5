"""Routing policies: a registry of named policies, each a candidate list plus a kernel rule.

A policy turns the RTT matrix into, for every (demand point, workload class) row, an ordered
list of candidate sites, and names the rule the compiled kernel applies to that list:

* ``nearest-available`` - sites in increasing RTT; the request joins the first that has a free
  server or fewer than ``queue_limit`` waiting; after ``max_hops`` sites it is dropped.
* ``least-expected-latency`` - among the first ``max_hops`` sites by RTT that are not full, the
  one with the least ``RTT + expected wait``, where expected wait is 0 with a free server and
  otherwise ``(waiting + 1) / servers x mean service``.
* ``tiered-spill`` - micro sites, then regional, then core (by RTT inside a tier); micro and
  regional sites only within the class's ``rtt_budget_ms``, core sites always (the spill
  destination of last resort); first that accepts, as in nearest-available.
* ``plan-share`` - each request of a (demand point, class) draws one of the sites the plan
  assigned that pair to, with probability equal to the plan's assignment share
  (``routing.shares``), joins it if it has room, else spills up a tier (regional within the
  class's RTT budget, then core), and when every higher tier refuses fails over to any other
  site that serves the class within its budget (any site when the class has none) before a
  drop; pairs without shares use the tiered-spill order.

* ``model-aware`` - the nearest micro, then regional, then core site holding the request's model
  (``coredge.sim.models``: each model a workload class); forwarded up a tier, never sideways.

A new policy is one `Policy` plus `register_policy`, which also makes its name a choice of the
scenario's ``simulation.policy`` (`coredge.catalog.routing`).
"""

from __future__ import annotations

from coredge.catalog.routing import ROUTING_POLICIES, add_routing_policy
from coredge.errors import InputError
from coredge.sim.kernel import FIRST_ACCEPT, LEAST_EXPECTED
from coredge.sim.policies.base import Candidates, Policy, RoutingInputs, pack, rows_per_class
from coredge.sim.policies.builtin import (
    nearest_candidates,
    plan_share_candidates,
    tiered_candidates,
)
from coredge.sim.policies.model_aware import model_aware_candidates

POLICIES: dict[str, Policy] = {}
"""Registered policies by name."""


def register_policy(policy: Policy) -> None:
    """Add (or replace) a policy in the registry and make its name a scenario choice."""
    POLICIES[policy.name] = policy
    add_routing_policy(policy.name, policy.description)


def get_policy(name: str, field: str = "--policy") -> Policy:
    """Look a policy up by name; unknown names raise `InputError` listing the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise InputError.of(field, name, "one of: " + ", ".join(POLICIES)) from None


for _name, _rule, _build in (
    ("nearest-available", FIRST_ACCEPT, nearest_candidates),
    ("least-expected-latency", LEAST_EXPECTED, nearest_candidates),
    ("tiered-spill", FIRST_ACCEPT, tiered_candidates),
    ("plan-share", FIRST_ACCEPT, plan_share_candidates),
    ("model-aware", FIRST_ACCEPT, model_aware_candidates),
):
    register_policy(Policy(_name, _rule, _build, ROUTING_POLICIES[_name]))

__all__ = [
    "POLICIES",
    "Candidates",
    "Policy",
    "RoutingInputs",
    "get_policy",
    "pack",
    "register_policy",
    "rows_per_class",
]
