"""coredge's request-level simulator: network spec in, latency/SLO/utilisation tables out.

Public API:

* `NetworkSpec`, `spec_from_dict`, `load_spec`, `spec_from_arrays` - the input (``spec``);
* `simulate` -> `SimResult` - run it (``engine``; hot loop compiled with numba in ``kernel``);
* `POLICIES`, `register_policy` - routing policies (``policies``);
* ``coredge.sim.bursts`` - scheduled and Markov-modulated traffic bursts (`BurstSpec`);
  ``coredge.sim.energy`` - energy and J/token from the sites' power models (`PowerSpec`);
* ``coredge.training.jobs`` - training jobs at core campuses (`simulate_training`,
  `training_from_plan`); ``coredge.sim.from_plan`` - plans as input;
* `load_spec_or_plan` - the CLI's loader (a JSON file, or a plan directory via
  ``coredge.sim.from_plan.spec_from_run_dir`` when that module exists).

See ``docs/simulator.md``.
"""

from __future__ import annotations

from coredge.sim import models as models
from coredge.sim.engine import SimResult, Window, simulate, simulate_windows
from coredge.sim.loader import load_spec_or_plan
from coredge.sim.policies import POLICIES, Policy, get_policy, register_policy
from coredge.sim.spec import (
    BurstSpec,
    ClassSpec,
    DemandSpec,
    FaultSpec,
    NetworkSpec,
    PowerSpec,
    RoutingSpec,
    ServiceSpec,
    SiteSpec,
    load_spec,
    spec_from_arrays,
    spec_from_dict,
)

__all__ = [
    "POLICIES",
    "BurstSpec",
    "ClassSpec",
    "DemandSpec",
    "FaultSpec",
    "NetworkSpec",
    "Policy",
    "PowerSpec",
    "RoutingSpec",
    "ServiceSpec",
    "SimResult",
    "SiteSpec",
    "Window",
    "get_policy",
    "load_spec",
    "load_spec_or_plan",
    "register_policy",
    "simulate",
    "simulate_windows",
    "spec_from_arrays",
    "spec_from_dict",
]
