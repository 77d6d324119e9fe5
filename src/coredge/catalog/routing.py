"""The routing policies a scenario or network spec may name: the choices, with one line each.

This is the list `coredge.scenario.schema` validates ``simulation.policy`` against and the
simulator's registry (`coredge.sim.policies`) is keyed by: every name here has an
implementation there (a test holds the two equal), and `coredge.sim.policies.register_policy`
adds the name of a new policy here, so a scenario may choose it once it is registered.
It lives at the bottom of the package so the scenario schema can read it without importing the
simulator.
"""

from __future__ import annotations

ROUTING_POLICIES: dict[str, str] = {
    "nearest-available": "first site by RTT with room",
    "least-expected-latency": "least RTT + (waiting + 1) / servers x mean service among sites "
    "with room",
    "tiered-spill": "micro -> regional (within budget) -> core, nearest first inside a tier",
    "plan-share": "the plan's site drawn by its assignment share, then spill up a tier "
    "(regional within the class's RTT budget, then core), then fail over to any other site "
    "serving the class within its budget before a drop",
    "model-aware": "nearest micro -> regional -> core site holding the request's model "
    "(forward up a tier, never sideways)",
}
"""Routing policy name -> what it does (built-in policies first; registered ones are added)."""


def add_routing_policy(name: str, description: str) -> None:
    """Make ``name`` a choice of ``simulation.policy`` (called by ``register_policy``).

    Parameters
    ----------
    name : str
        Policy name, as a scenario spells it.
    description : str
        One line on what the policy does.
    """
    ROUTING_POLICIES[name] = description


def routing_policy_names() -> list[str]:
    """The names a scenario may choose, in the order of `ROUTING_POLICIES`.

    Examples
    --------
    >>> routing_policy_names()[:2]
    ['nearest-available', 'least-expected-latency']
    """
    return list(ROUTING_POLICIES)
