"""A tiny pure-Python implementation of the simulator's rules, for checking the compiled kernel.

Written for clarity, not speed (O(requests x accepted) time): every site keeps a plain list of
its servers' free times and a list of all start times it has handed out; "waiting at t" is a
count over that list. The same rules as `coredge.sim.kernel`:

* candidates per request come from the policy's candidate list (`coredge.sim.policies`);
* a site is skipped while in a fault window; it accepts when a server is free at the arrival
  time or fewer than ``queue_limit`` requests wait;
* first-accept takes the first such site; least-expected takes the least
  ``RTT + (0 if a server is free else (waiting + 1) / servers x mean service / speed)``,
  ties to the earlier candidate;
* the request starts at ``max(arrival, earliest free time)`` on that server, FIFO.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.sim.kernel import FIRST_ACCEPT


@dataclass(frozen=True)
class ReferenceOutcome:
    """Per-request outcome: site index (-1 = dropped), wait [ms], latency [ms] (NaN if dropped)."""

    site: list[int]
    wait_ms: list[float]
    latency_ms: list[float]


def reference_run(
    arr_ms: Sequence[float],
    row: Sequence[int],
    svc_ms: Sequence[float],
    n_class: int,
    kernel_rule: int,
    order: npt.NDArray[np.int32],
    order_len: npt.NDArray[np.int32],
    rtt_ord: npt.NDArray[np.float64],
    servers: Sequence[int],
    queue_limit: Sequence[int | None],
    speed: Sequence[float],
    mean_svc_ms: Sequence[float],
    faults: Sequence[tuple[int, float, float]] = (),
    derates: Sequence[tuple[int, float, float, int]] = (),
    link_epochs: Sequence[tuple[float, npt.NDArray[np.int32], npt.NDArray[np.int32],
                                npt.NDArray[np.float64]]] = (),
    kernel_row: Sequence[int] | None = None,
) -> ReferenceOutcome:
    """Replay requests one by one with the simulator's rules (see module docstring).

    Parameters
    ----------
    arr_ms, row, svc_ms : sequences
        Arrival [ms], candidate row (``demand * n_class + class``), service at speed 1 [ms].
    n_class : int
        Number of classes.
    kernel_rule : int
        `coredge.sim.kernel.FIRST_ACCEPT` or ``LEAST_EXPECTED``.
    order, order_len, rtt_ord : ndarray
        Candidate lists as built by a policy.
    servers, queue_limit, speed : sequences
        Per site; ``queue_limit`` None = unlimited.
    mean_svc_ms : sequence of float
        Mean service per class [ms].
    faults : sequence of (site, start_ms, end_ms)
        Windows in which a site accepts nothing.
    derates : sequence of (site, start_ms, end_ms, blocked)
        Capacity derates: from the first arrival at or after ``start_ms``, ``blocked`` blocker
        jobs each take the earliest-free server of the site until ``end_ms`` (a server free at
        ``f`` becomes free at ``max(f, end_ms)``).
    link_epochs : sequence of (start_ms, order, order_len, rtt_ord)
        Candidate lists that replace ``order, order_len, rtt_ord`` for arrivals at or after
        ``start_ms`` (sorted by start; the last one started applies).
    kernel_row : sequence of int, optional
        Candidate row of each request when it differs from ``row`` (per-request draws such as
        ``plan-share``); ``row`` still gives the class.
    """
    pending = sorted(derates, key=lambda x: x[1])
    free = [[0.0] * c for c in servers]
    starts: list[list[float]] = [[] for _ in servers]
    out_site: list[int] = []
    out_wait: list[float] = []
    out_lat: list[float] = []
    krows = list(kernel_row) if kernel_row is not None else list(row)
    for t, r0, r, sv0 in zip(arr_ms, row, krows, svc_ms, strict=True):
        k = r0 % n_class
        while pending and pending[0][1] <= t:
            ds, _, d_end, blocked = pending.pop(0)
            for _ in range(blocked):
                j = min(range(len(free[ds])), key=lambda i, ds=ds: free[ds][i])  # type: ignore[misc]
                free[ds][j] = max(free[ds][j], d_end)
        ords, lens, rtts = order, order_len, rtt_ord
        for start, o, ln, rt in link_epochs:
            if start <= t:
                ords, lens, rtts = o, ln, rt
        best_s, best_p, best_e = -1, -1, math.inf
        for p in range(int(lens[r])):
            s = int(ords[r, p])
            if any(fs == s and lo <= t < hi for fs, lo, hi in faults):
                continue
            waiting = sum(1 for st in starts[s] if st > t)
            has_free = min(free[s]) <= t
            ql = queue_limit[s]
            room = has_free or ql is None or waiting < ql
            if not room:
                continue
            if kernel_rule == FIRST_ACCEPT:
                best_s, best_p = s, p
                break
            e = float(rtts[r, p])
            if not has_free:
                e += (waiting + 1.0) / servers[s] * mean_svc_ms[k] / speed[s]
            if e < best_e:
                best_s, best_p, best_e = s, p, e
        if best_s < 0:
            out_site.append(-1)
            out_wait.append(math.nan)
            out_lat.append(math.nan)
            continue
        s = best_s
        j = min(range(len(free[s])), key=lambda i: free[s][i])
        start = max(t, free[s][j])
        sv = sv0 / speed[s]
        free[s][j] = start + sv
        starts[s].append(start)
        out_site.append(s)
        out_wait.append(start - t)
        out_lat.append(float(rtts[r, best_p]) + (start - t) + sv)
    return ReferenceOutcome(out_site, out_wait, out_lat)


_RANK = {"micro": 0, "regional": 1, "core": 2}


def reference_candidates(
    rtt_ms: Sequence[Sequence[float]],
    policy: str,
    n_class: int,
    tiers: Sequence[str | None] = (),
    rtt_budget_ms: Sequence[float] = (),
    max_hops: int | None = None,
    serves: Sequence[Sequence[bool]] | None = None,
    shares: Sequence[Sequence[float]] | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """Candidate lists written out with ``sorted`` (for checking `coredge.sim.policies`).

    Nearest policies: reachable sites by (RTT, index). ``tiered-spill``: micro and regional sites
    within the class budget, and all reachable core sites, by (tier, RTT, index). Both cut to
    ``max_hops``. ``plan-share`` (``shares[d * K + k][s]``): one row per (demand, class, choice
    ``c``), choice ``c`` = the c-th site by decreasing share (ties: lower index), its list that
    site (if reachable and serving), then the tiered-spill sites of higher tiers, then the
    tiered-spill sites of the same or lower tiers (failover), each by (tier, RTT); rows without
    shares list the tiered-spill order; every (demand, class) has J rows, J the most sites with
    a positive share in any row. ``serves[s][k]``: site s may serve class k. Returns ``order,
    order_len, rtt_ord`` shaped like `Candidates`.
    """
    n_d, n_s = len(rtt_ms), len(rtt_ms[0])
    rows = []
    src_d = []
    width_j = 1
    if policy == "plan-share" and shares is not None:
        width_j = max(1, max(sum(1 for v in r if v > 0) for r in shares))
    for d in range(n_d):
        for k in range(n_class):
            sites = [s for s in range(n_s) if math.isfinite(rtt_ms[d][s])
                     and (serves is None or serves[s][k])]
            if policy == "plan-share":
                budget = rtt_budget_ms[k] if rtt_budget_ms else math.inf
                okl = [s for s in sites if (tiers[s] or "core") == "core" or rtt_ms[d][s] <= budget]
                row_sh = shares[d * n_class + k] if shares is not None else [0.0] * n_s
                picks = sorted((s for s in range(n_s) if row_sh[s] > 0), key=lambda s: (-row_sh[s], s))
                for c in range(width_j):
                    j = picks[c] if c < len(picks) else -1
                    rj = _RANK[tiers[j] or "core"] if j >= 0 else -1
                    up = sorted((s for s in okl if _RANK[tiers[s] or "core"] > rj),
                                key=lambda s: (_RANK[tiers[s] or "core"], rtt_ms[d][s], s))
                    side = sorted((s for s in okl if _RANK[tiers[s] or "core"] <= rj),
                                  key=lambda s: (_RANK[tiers[s] or "core"], rtt_ms[d][s], s))
                    lst = ([j] if j in sites else []) + [s for s in up + side if s != j]
                    rows.append(lst[:max_hops] if max_hops is not None else lst)
                    src_d.append(d)
                continue
            src_d.append(d)
            if policy == "tiered-spill":
                budget = rtt_budget_ms[k] if rtt_budget_ms else math.inf
                sites = [s for s in sites if tiers[s] == "core" or rtt_ms[d][s] <= budget]
                sites.sort(key=lambda s: (_RANK[tiers[s] or "core"], rtt_ms[d][s], s))
            else:
                sites.sort(key=lambda s: (rtt_ms[d][s], s))
            rows.append(sites[:max_hops] if max_hops is not None else sites)
    width = max(1, max(len(r) for r in rows))
    order = np.zeros((len(rows), width), dtype=np.int32)
    rtt_ord = np.zeros((len(rows), width), dtype=np.float64)
    lens = np.zeros(len(rows), dtype=np.int32)
    for i, r in enumerate(rows):
        lens[i] = len(r)
        for p, s in enumerate(r):
            order[i, p] = s
            rtt_ord[i, p] = rtt_ms[src_d[i]][s]
    return order, lens, rtt_ord
