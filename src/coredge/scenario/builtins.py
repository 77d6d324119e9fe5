"""Built-in tier archetypes and workload classes, in the shape the scenario schema expects.

The values and their sources live in ``coredge/data/site_tiers.yaml`` and
``coredge/data/workload_classes.yaml`` (``coredge data`` lists them); this module adapts them to
the `coredge.scenario.schema` field names and exposes the ids other parts validate against. A
tier's ``facility_capex_usd_per_mw`` is not in the archetype: it is the facility cost curve
(`coredge.physics.facility_cost`, on ``market_construction_cost.csv``) read at the tier's
planning size (`coredge.physics.facility_cost.tier_planning_it_mw`).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from coredge.scenario.schema import TierSpec, WorkloadClass

_TIER_NAMES = {
    "core": "Core campus (hyperscale)",
    "regional": "Regional / metro edge",
    "micro": "Micro data center",
}


@lru_cache(maxsize=1)
def _tiers() -> dict[str, dict[str, Any]]:
    from coredge.data import load_tiers
    from coredge.physics.facility_cost import tier_facility_usd_per_mw

    out: dict[str, dict[str, Any]] = {}
    fields = set(TierSpec.model_fields)
    for tid, raw in load_tiers().items():
        entry: dict[str, Any] = {k: v for k, v in raw.items() if k in fields}
        entry.setdefault("facility_capex_usd_per_mw", round(tier_facility_usd_per_mw(tid), -3))
        entry.setdefault("name", _TIER_NAMES.get(tid, tid))
        allowed = raw.get("allowed_workloads")
        if allowed is not None and "serves" not in raw:
            allowed_list = [str(a) for a in allowed] if isinstance(allowed, list) else [str(allowed)]
            entry["serves_training"] = "training" in allowed_list
            entry["serves"] = [a for a in allowed_list if a != "training"]
        entry.setdefault("source", "coredge/data/site_tiers.yaml (see `coredge data`)")
        out[tid] = entry
    return out


@lru_cache(maxsize=1)
def _workloads() -> dict[str, dict[str, Any]]:
    from coredge.data import load_workload_classes

    fields = set(WorkloadClass.model_fields)
    out: dict[str, dict[str, Any]] = {}
    for wid, raw in load_workload_classes().items():
        entry = {k: v for k, v in raw.items() if k in fields}
        entry.setdefault("name", wid)
        entry.setdefault("source", "coredge/data/workload_classes.yaml (see `coredge data`)")
        out[wid] = entry
    return out


def builtin_tiers() -> dict[str, dict[str, Any]]:
    """Raw (unvalidated) built-in tier archetypes keyed by tier id, in schema field names."""
    return copy.deepcopy(_tiers())


def builtin_workload_classes() -> dict[str, dict[str, Any]]:
    """Raw (unvalidated) built-in workload classes keyed by class id, in schema field names."""
    return copy.deepcopy(_workloads())


def known_core_region_ids() -> list[str]:
    """Ids of the built-in candidate core-campus regions."""
    from coredge.data import load_core_regions

    return [str(x) for x in load_core_regions()["id"]]


def known_gpu_ids() -> list[str]:
    """Accelerator ids of the physics catalog."""
    from coredge.catalog.accelerators import ACCELERATORS

    return list(ACCELERATORS)


def known_model_ids() -> list[str]:
    """LLM ids of the physics catalog."""
    from coredge.catalog import llm_models

    registry = getattr(llm_models, "MODELS", None) or getattr(llm_models, "LLM_MODELS", {})
    return list(registry)
