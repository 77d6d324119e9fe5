"""The built-in routing policies: nearest-available, least-expected-latency, tiered-spill and
plan-share (candidate-list builders; the kernel rule of each is set where it is registered)."""

from __future__ import annotations

import math

import numpy as np

from coredge.sim.policies.base import (
    EXCLUDED,
    TIER_RANK,
    Candidates,
    RoutingInputs,
    pack,
    rows_per_class,
)


def nearest_candidates(inp: RoutingInputs) -> Candidates:
    k = len(inp.rtt_budget_ms)
    if inp.restricted():
        rtt = rows_per_class(inp)
        keys = np.where(inp.serve_rows(), rtt, math.inf)
        return pack(keys, rtt, inp.max_hops, np.arange(len(rtt), dtype=np.int64))
    row_map = np.arange(len(inp.rtt_ms) * k, dtype=np.int64) // k
    return pack(inp.rtt_ms, inp.rtt_ms, inp.max_hops, row_map)


def tiered_candidates(inp: RoutingInputs) -> Candidates:
    rtt = rows_per_class(inp)
    budget = np.tile(inp.rtt_budget_ms, len(inp.rtt_ms))[:, None]
    rank = np.array([TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.int8)[None, :]
    is_core = rank == 2
    ok = np.isfinite(rtt) & (is_core | (rtt <= budget))
    if inp.restricted():
        ok &= inp.serve_rows()
    # key: tier first, RTT inside a tier (the demand point's RTT row sorted once for its classes)
    keys = np.where(ok, rank, np.int8(EXCLUDED)).astype(np.int8)
    k = len(inp.rtt_budget_ms)
    return pack(keys, inp.rtt_ms, inp.max_hops, np.arange(len(rtt), dtype=np.int64), then=inp.rtt_ms,
                rows=np.arange(len(rtt), dtype=np.int64) // k)


FAILOVER_AFTER: int = 3
"""Key-code offset that puts same- and lower-tier failover sites (codes 4..6) after every
spill-up site (codes 1..3, tier rank + 1)."""


def plan_share_candidates(inp: RoutingInputs) -> Candidates:
    """``plan-share``: draw the plan's site by its share, then spill up a tier, then fail over.

    Extended row ``r * J + c`` (choice ``c`` = the row's c-th site by decreasing share) lists
    that site first (if reachable and serving the class), then the sites of *higher* tiers as
    in ``tiered-spill`` (regional within the class's RTT budget, core at any RTT), then every
    other site of the same or a lower tier that serves the class within its budget (any
    reachable site when the class has none; core sites at any RTT), by tier then RTT: a
    request whose site is down or full is dropped only when no site that may serve it accepts.
    Rows without shares use the ``tiered-spill`` order (sites without a tier count as core).
    """
    rtt = rows_per_class(inp)
    n_rows, n_s = rtt.shape
    sh = inp.shares if inp.shares is not None else np.zeros((n_rows, n_s))
    sh = np.where(np.isfinite(sh) & (sh > 0), sh, 0.0)
    n_pos = (sh > 0).sum(axis=1)
    width = max(1, int(n_pos.max()) if n_rows else 1)
    by_share = np.argsort(-sh, axis=1, kind="stable")[:, :width]
    chosen_sh = np.take_along_axis(sh, by_share, axis=1)
    choice = np.where(chosen_sh > 0, by_share, -1)  # (R, J) site of each choice, -1 = none
    tot = sh.sum(axis=1, keepdims=True)
    cum = np.cumsum(chosen_sh / np.where(tot > 0, tot, 1.0), axis=1)
    cum = np.where(chosen_sh > 0, cum, 1.0)
    cum[:, -1] = 1.0  # guard against rounding: the last used choice ends at 1
    cum[tot[:, 0] <= 0, :] = 1.0
    rank = np.array([TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.float64)
    budget = np.tile(inp.rtt_budget_ms, len(inp.rtt_ms))[:, None]
    ok = np.isfinite(rtt) & ((rank[None, :] == 2) | (rtt <= budget))
    if inp.restricted():
        ok &= inp.serve_rows()
    reach = np.isfinite(rtt) & (inp.serve_rows() if inp.restricted() else True)
    # extended rows r * J + c: lists are built only for the choices a row has (c < its number of
    # shares, at least one); the padding choices, which a draw never reaches (their cum is 1),
    # point at the row's last real list
    n_real = np.maximum(n_pos, 1)
    src_row = np.repeat(np.arange(n_rows), n_real)
    src_c = np.arange(len(src_row)) - np.repeat(np.cumsum(n_real) - n_real, n_real)
    first_list = np.cumsum(n_real) - n_real
    c_all = np.tile(np.arange(width), n_rows)
    r_all = np.repeat(np.arange(n_rows), width)
    row_map = (first_list[r_all] + np.minimum(c_all, n_real[r_all] - 1)).astype(np.int64)
    ok_x = ok[src_row]
    reach_x = reach[src_row]
    j = choice[src_row, src_c]
    rank_j = np.where(j >= 0, rank[np.maximum(j, 0)], -1.0)[:, None]
    # spill up first (higher tiers, by tier then RTT); then, before a request is dropped, every
    # other site that serves the class within its budget (core at any RTT), same or lower tier.
    # Keys as int8 codes: 0 (the drawn site) < rank + 1 (spill up) < rank + 1 +
    # FAILOVER_AFTER (fail over) < EXCLUDED; ties by RTT (the demand point's row, sorted once)
    up = rank[None, :] > rank_j
    code = np.where(up, rank[None, :] + 1, rank[None, :] + 1 + FAILOVER_AFTER).astype(np.int8)
    keys = np.where(ok_x, code, np.int8(EXCLUDED)).astype(np.int8)
    first = (np.arange(n_s)[None, :] == j[:, None]) & reach_x
    keys[first] = 0
    k = len(inp.rtt_budget_ms)
    packed = pack(keys, inp.rtt_ms, inp.max_hops, row_map, then=inp.rtt_ms, rows=src_row // k)
    return Candidates(packed.row_map, packed.order, packed.order_len, packed.rtt_ord,
                      np.ascontiguousarray(cum))


