"""The generic facility-location engine: CFLP and p-median models, Lagrangian bounds, heuristics, HiGHS.

Public entry points: `solve_cflp` (engine), `CflpInstance` (data), the readers
(`read_orlib_cap`, `read_sscflp`, `read_pmed`), the model blocks (``define_*`` in
`coredge.cflp.model`) and the Lagrangian pieces (`coredge.cflp.lagrangian`).
"""

from __future__ import annotations

from coredge.cflp.instance import CflpInstance
from coredge.cflp.readers import read_instance, read_orlib_cap, read_pmed, read_sscflp
from coredge.cflp.solve import CflpResult, solve_cflp, solve_pmedian

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
