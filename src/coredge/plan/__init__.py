"""Planner core: facility-location models, Lagrangian bounds, heuristics and the HiGHS engine.

Public entry points: `solve_cflp` (engine), `CflpInstance` (data), the readers
(`read_orlib_cap`, `read_sscflp`, `read_pmed`), the model blocks (``define_*`` in
`coredge.plan.model`) and the Lagrangian pieces (`coredge.plan.lagrangian`).
"""

from __future__ import annotations

from coredge.plan.instance import CflpInstance
from coredge.plan.readers import read_instance, read_orlib_cap, read_pmed, read_sscflp
from coredge.plan.solve import CflpResult, solve_cflp, solve_pmedian

__all__ = [
    "CflpInstance",
    "CflpResult",
    "read_instance",
    "read_orlib_cap",
    "read_pmed",
    "read_sscflp",
    "solve_cflp",
    "solve_pmedian",
]
