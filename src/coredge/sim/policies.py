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
  class's RTT budget, then core); pairs without shares use the tiered-spill order.

A new policy is one `Policy` plus `register_policy`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError
from coredge.sim.kernel import FIRST_ACCEPT, LEAST_EXPECTED


@dataclass(frozen=True)
class Candidates:
    """Candidate lists; request row ``r = demand * n_class + class`` uses list ``row_map[r]``.

    Attributes
    ----------
    row_map : ndarray of int64, shape (D * K,)
        Candidate list of each (demand, class) row (policies that ignore the class share one
        list per demand point, which keeps memory at D x L instead of D x K x L).
    order : ndarray of int32, shape (lists, L)
        Site indices in the order the policy considers them.
    order_len : ndarray of int32, shape (rows,)
        Number of valid entries in each row.
    rtt_ord : ndarray of float64, shape (rows, L)
        RTT of ``order[r, p]`` from the row's demand point [ms].
    """

    row_map: npt.NDArray[np.int64]
    order: npt.NDArray[np.int32]
    order_len: npt.NDArray[np.int32]
    rtt_ord: npt.NDArray[np.float64]
    draw_cum: npt.NDArray[np.float64] | None = None
    """Per-request draw (policies such as ``plan-share``): cumulative choice probabilities per
    request row, shape (D * K, J). A request of row ``r`` draws ``u ~ U[0, 1)`` and uses
    extended row ``r * J + #{j: u >= draw_cum[r, j]}``; ``row_map`` then has D * K * J
    entries. None = no draw (row ``r`` is used as is)."""


@dataclass(frozen=True)
class RoutingInputs:
    """What a policy may look at to build its candidate lists.

    Attributes
    ----------
    rtt_ms : ndarray, shape (D, S)
        RTT [ms]; inf = unreachable.
    tier : sequence of str or None, length S
    rtt_budget_ms : ndarray, shape (K,)
        RTT budget per class [ms]; inf = none.
    max_hops : int or None
        Longest candidate list (None = all reachable sites).
    serves : ndarray of bool, shape (S, K), optional
        Whether site ``s`` may serve class ``k`` (None = every site serves every class). Every
        policy must leave a site out of the lists of the classes it does not serve.
    """

    rtt_ms: npt.NDArray[np.float64]
    tier: Sequence[str | None]
    rtt_budget_ms: npt.NDArray[np.float64]
    max_hops: int | None
    serves: npt.NDArray[np.bool_] | None = None
    shares: npt.NDArray[np.float64] | None = None
    """Plan shares per request row ``d * K + k`` and site: shape (D * K, S) (``plan-share``;
    a row of zeros = none given). None = no shares."""

    def restricted(self) -> bool:
        """Whether some site does not serve some class."""
        return self.serves is not None and not bool(self.serves.all())

    def serve_rows(self) -> npt.NDArray[np.bool_]:
        """``serves`` per request row ``d * K + k``: shape (D * K, S)."""
        k = len(self.rtt_budget_ms)
        s = self.serves if self.serves is not None else np.ones((len(self.tier), k), dtype=np.bool_)
        return np.tile(s.T, (len(self.rtt_ms), 1))


@dataclass(frozen=True)
class Policy:
    """A routing policy: name, kernel rule and candidate-list builder."""

    name: str
    kernel_rule: int
    build: Callable[[RoutingInputs], Candidates]
    description: str


def _pack(
    keys: npt.NDArray[np.float64],
    rtt: npt.NDArray[np.float64],
    max_hops: int | None,
    row_map: npt.NDArray[np.int64],
    then: npt.NDArray[np.float64] | None = None,
) -> Candidates:
    """Sort each row by ``keys`` (inf = excluded), ties by ``then``, then by site index, and
    pack into `Candidates`."""
    rows = keys.shape[0]
    if then is None:
        order = np.argsort(keys, axis=1, kind="stable").astype(np.int32)
    else:
        first = np.argsort(then, axis=1, kind="stable")
        second = np.argsort(np.take_along_axis(keys, first, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(first, second, axis=1).astype(np.int32)
    sorted_keys = np.take_along_axis(keys, order, axis=1)
    lens = np.isfinite(sorted_keys).sum(axis=1).astype(np.int32)
    if max_hops is not None:
        lens = np.minimum(lens, max_hops).astype(np.int32)
    width = max(int(lens.max()) if rows else 0, 1)
    order = np.ascontiguousarray(order[:, :width])
    rtt_ord = np.ascontiguousarray(np.take_along_axis(rtt, order, axis=1))
    return Candidates(row_map, order, lens, rtt_ord)


def _rows(inp: RoutingInputs) -> npt.NDArray[np.float64]:
    """RTT repeated per class: shape (D * K, S)."""
    k = len(inp.rtt_budget_ms)
    return np.repeat(inp.rtt_ms, k, axis=0)


def _nearest(inp: RoutingInputs) -> Candidates:
    k = len(inp.rtt_budget_ms)
    if inp.restricted():
        rtt = _rows(inp)
        keys = np.where(inp.serve_rows(), rtt, math.inf)
        return _pack(keys, rtt, inp.max_hops, np.arange(len(rtt), dtype=np.int64))
    row_map = np.arange(len(inp.rtt_ms) * k, dtype=np.int64) // k
    return _pack(inp.rtt_ms, inp.rtt_ms, inp.max_hops, row_map)


_TIER_RANK = {"micro": 0, "regional": 1, "core": 2}


def _tiered(inp: RoutingInputs) -> Candidates:
    rtt = _rows(inp)
    budget = np.tile(inp.rtt_budget_ms, len(inp.rtt_ms))[:, None]
    rank = np.array([_TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.float64)[None, :]
    is_core = rank == 2
    ok = np.isfinite(rtt) & (is_core | (rtt <= budget))
    if inp.restricted():
        ok &= inp.serve_rows()
    # key: tier first, RTT inside a tier
    keys = np.where(ok, rank, math.inf)
    return _pack(keys, rtt, inp.max_hops, np.arange(len(rtt), dtype=np.int64), then=rtt)


def _plan_share(inp: RoutingInputs) -> Candidates:
    """``plan-share``: draw the plan's site by its share, then spill up a tier.

    Extended row ``r * J + c`` (choice ``c`` = the row's c-th site by decreasing share) lists
    that site first (if reachable and serving the class), then the sites of *higher* tiers as
    in ``tiered-spill`` (regional within the class's RTT budget, core at any RTT). Rows without
    shares use the ``tiered-spill`` order (sites without a tier count as core).
    """
    rtt = _rows(inp)
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
    rank = np.array([_TIER_RANK.get(t or "", 2) for t in inp.tier], dtype=np.float64)
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
    rtt_x = rtt[src_row]
    ok_x = ok[src_row]
    reach_x = reach[src_row]
    j = choice[src_row, src_c]
    rank_j = np.where(j >= 0, rank[np.maximum(j, 0)], -1.0)[:, None]
    keys = np.where(ok_x & (rank[None, :] > rank_j), rank[None, :] + np.zeros_like(rtt_x), math.inf)
    first = (np.arange(n_s)[None, :] == j[:, None]) & reach_x
    keys = np.where(first, -1.0, keys)
    packed = _pack(keys, rtt_x, inp.max_hops, row_map, then=rtt_x)
    return Candidates(packed.row_map, packed.order, packed.order_len, packed.rtt_ord,
                      np.ascontiguousarray(cum))


POLICIES: dict[str, Policy] = {}
"""Registered policies by name."""


def register_policy(policy: Policy) -> None:
    """Add (or replace) a policy in the registry."""
    POLICIES[policy.name] = policy


def get_policy(name: str, field: str = "--policy") -> Policy:
    """Look a policy up by name; unknown names raise `InputError` listing the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise InputError.of(field, name, "one of: " + ", ".join(POLICIES)) from None


register_policy(
    Policy("nearest-available", FIRST_ACCEPT, _nearest, "first site by RTT with room")
)
register_policy(
    Policy(
        "least-expected-latency",
        LEAST_EXPECTED,
        _nearest,
        "least RTT + (waiting + 1) / servers x mean service among sites with room",
    )
)
register_policy(
    Policy("tiered-spill", FIRST_ACCEPT, _tiered, "micro -> regional (within budget) -> core")
)
register_policy(
    Policy("plan-share", FIRST_ACCEPT, _plan_share,
           "the plan's site drawn by its assignment share, then spill up a tier")
)
