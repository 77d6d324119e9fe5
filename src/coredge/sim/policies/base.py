"""What every routing policy works with: the inputs it may look at (`RoutingInputs`), the
candidate lists it returns (`Candidates`), the `Policy` record and the packing helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TIER_RANK: dict[str, int] = {"micro": 0, "regional": 1, "core": 2}
"""Tier order of the spill-up policies (a site without a tier counts as core)."""


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


EXCLUDED: int = int(np.iinfo(np.int8).max)
"""Integer key code of an excluded site in `pack`."""


def pack(
    keys: npt.NDArray[np.float64] | npt.NDArray[np.int8],
    rtt: npt.NDArray[np.float64],
    max_hops: int | None,
    row_map: npt.NDArray[np.int64],
    then: npt.NDArray[np.float64] | None = None,
    rows: npt.NDArray[np.int64] | None = None,
) -> Candidates:
    """Sort each row by ``keys`` (inf = excluded), ties by ``then``, then by site index, and
    pack into `Candidates`.

    ``keys`` may be small integer codes (``int8``; `EXCLUDED` = excluded), which sort
    several times faster than floats and give the same order as floats of the same ranking.
    With ``rows``, ``rtt`` and ``then`` hold one row per *base* row and list ``i`` uses base row
    ``rows[i]`` (lists that share a demand point's RTT row sort it once).
    """
    if then is None:
        order = np.argsort(keys, axis=1, kind="stable").astype(np.int32)
    else:
        first = np.argsort(then, axis=1, kind="stable").astype(np.int32)
        if rows is not None:
            first = first[rows]
        second = np.argsort(np.take_along_axis(keys, first, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(first, second, axis=1).astype(np.int32)
    sorted_keys = np.take_along_axis(keys, order, axis=1)
    if sorted_keys.dtype == np.int8:
        lens = np.asarray(sorted_keys != EXCLUDED).sum(axis=1).astype(np.int32)
    else:
        lens = np.isfinite(sorted_keys).sum(axis=1).astype(np.int32)
    if max_hops is not None:
        lens = np.minimum(lens, max_hops).astype(np.int32)
    n_rows = keys.shape[0]
    width = max(int(lens.max()) if n_rows else 0, 1)
    order = np.ascontiguousarray(order[:, :width])
    if rows is None:
        rtt_ord = np.ascontiguousarray(np.take_along_axis(rtt, order, axis=1))
    else:
        rtt_ord = np.ascontiguousarray(rtt[rows[:, None], order])
    return Candidates(row_map, order, lens, rtt_ord)


def rows_per_class(inp: RoutingInputs) -> npt.NDArray[np.float64]:
    """RTT repeated per class: shape (D * K, S)."""
    k = len(inp.rtt_budget_ms)
    return np.repeat(inp.rtt_ms, k, axis=0)


