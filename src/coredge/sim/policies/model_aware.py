"""The ``model-aware`` policy: the nearest site of each tier that holds the request's model.

With `coredge.sim.models`, each model is a workload class and a pool ``"<site>|<model>"`` serves
only its model (``RoutingInputs.serves``). A request tries the nearest micro pool of its model
(within the class RTT budget, if any), then the nearest regional one, then the nearest core one:
it is forwarded up a tier, never sideways to a second site of the same tier.
"""

from __future__ import annotations

import math

import numpy as np

from coredge.sim.policies.base import TIER_RANK, Candidates, RoutingInputs, pack, rows_per_class


def model_aware_candidates(inp: RoutingInputs) -> Candidates:
    rtt = rows_per_class(inp)
    budget = np.tile(inp.rtt_budget_ms, len(inp.rtt_ms))[:, None]
    rank = np.array([TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.int64)
    ok = np.isfinite(rtt) & ((rank == 2)[None, :] | (rtt <= budget)) & inp.serve_rows()
    keys = np.full(rtt.shape, math.inf)
    for tier in (0, 1, 2):  # only the nearest site of each tier holding the model
        cols = np.flatnonzero(rank == tier)
        if cols.size == 0:
            continue
        sub = np.where(ok[:, cols], rtt[:, cols], math.inf)
        best = np.argmin(sub, axis=1)
        rows = np.flatnonzero(np.isfinite(sub[np.arange(len(sub)), best]))
        keys[rows, cols[best[rows]]] = tier * 1e9 + rtt[rows, cols[best[rows]]]
    return pack(keys, rtt, inp.max_hops, np.arange(len(rtt), dtype=np.int64))
