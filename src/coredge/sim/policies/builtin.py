"""The built-in routing policies: nearest-available, least-expected-latency, tiered-spill and
plan-share (candidate-list builders; the kernel rule of each is set where it is registered)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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


@njit(cache=True)
def _share_lists(src_row: np.ndarray, j: np.ndarray, n_class: int, by_rtt: np.ndarray,
                 rtt: np.ndarray, rank: np.ndarray, budget: np.ndarray, serves: np.ndarray,
                 max_hops: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``plan-share`` lists: list i (row ``src_row[i]``, drawn site ``j[i]``) = the sites
    sorted by key code (0: the drawn site, if reachable and serving the class; rank + 1: a
    higher tier; rank + 1 + FAILOVER_AFTER: same or lower tier; last: excluded), ties by RTT
    then site index (a counting sort over the demand point's RTT order ``by_rtt``)."""
    n_list = src_row.shape[0]
    n_s = rtt.shape[1]
    n_code = 3 + 1 + FAILOVER_AFTER + 1  # 0, 1..3, 4..6, excluded
    excl = n_code - 1
    codes = np.empty(n_s, dtype=np.int64)
    lens = np.zeros(n_list, dtype=np.int32)
    width = 1
    for i in range(n_list):
        r = src_row[i]
        d = r // n_class
        kk = r % n_class
        jj = j[i]
        n_ok = 0
        for s in range(n_s):
            x = rtt[d, s]
            fin = x < math.inf
            if s == jj and fin and serves[s, kk]:
                n_ok += 1
            elif fin and serves[s, kk] and (rank[s] == 2 or x <= budget[kk]):
                n_ok += 1
        if max_hops >= 0 and n_ok > max_hops:
            n_ok = max_hops
        lens[i] = n_ok
        if n_ok > width:
            width = n_ok
    order = np.empty((n_list, width), dtype=np.int32)
    rtt_ord = np.empty((n_list, width), dtype=np.float64)
    count = np.zeros(n_code, dtype=np.int64)
    pos = np.zeros(n_code, dtype=np.int64)
    for i in range(n_list):
        r = src_row[i]
        d = r // n_class
        kk = r % n_class
        jj = j[i]
        rank_j = rank[jj] if jj >= 0 else -1
        count[:] = 0
        for s in range(n_s):
            x = rtt[d, s]
            fin = x < math.inf
            if s == jj and fin and serves[s, kk]:
                c = 0
            elif fin and serves[s, kk] and (rank[s] == 2 or x <= budget[kk]):
                c = rank[s] + 1 if rank[s] > rank_j else rank[s] + 1 + FAILOVER_AFTER
            else:
                c = excl
            codes[s] = c
            count[c] += 1
        acc = 0
        for c in range(n_code):
            pos[c] = acc
            acc += count[c]
        for q in range(n_s):
            s = by_rtt[d, q]
            c = codes[s]
            p = pos[c]
            pos[c] = p + 1
            if p < width:
                order[i, p] = s
                rtt_ord[i, p] = rtt[d, s]
    return order, lens, rtt_ord


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
    k = len(inp.rtt_budget_ms)
    n_rows, n_s = len(inp.rtt_ms) * k, inp.rtt_ms.shape[1]
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
    rank = np.array([TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.int64)
    serves = (inp.serves if inp.restricted() and inp.serves is not None
              else np.ones((n_s, k), dtype=np.bool_))
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
    j = choice[src_row, src_c].astype(np.int64)
    by_rtt = np.argsort(inp.rtt_ms, axis=1, kind="stable").astype(np.int32)
    order, lens, rtt_ord = _share_lists(
        src_row.astype(np.int64), j, k, by_rtt, np.ascontiguousarray(inp.rtt_ms, dtype=np.float64),
        rank, np.ascontiguousarray(inp.rtt_budget_ms, dtype=np.float64), serves.astype(np.bool_),
        -1 if inp.max_hops is None else int(inp.max_hops))
    return Candidates(row_map, order, lens, rtt_ord, np.ascontiguousarray(cum))


