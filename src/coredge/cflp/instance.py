"""Facility-location instances: the data a CFLP solve needs, validated once.

An instance has ``m`` candidate facilities and ``n`` customers. ``assign_cost_usd[i, j]`` is the
cost of serving ALL of customer ``j``'s demand from facility ``i`` (OR-Library convention); a
fraction ``x_ij`` of it costs ``x_ij * assign_cost_usd[i, j]``. Unreachable pairs (the planner
only allows pairs within a latency budget) are ``+inf``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CflpInstance:
    """A capacitated facility-location instance.

    Attributes
    ----------
    fixed_cost_usd : ndarray, shape (m,)
        Cost of opening facility ``i`` [USD, or the instance's cost unit].
    capacity : ndarray, shape (m,)
        Capacity of facility ``i`` [demand unit, e.g. MW].
    demand : ndarray, shape (n,)
        Demand of customer ``j`` [demand unit].
    assign_cost_usd : ndarray, shape (m, n)
        Cost of serving all of ``j``'s demand from ``i`` [USD]; ``+inf`` where not allowed.
    name : str
        Label used in reports.
    """

    fixed_cost_usd: FloatArray
    capacity: FloatArray
    demand: FloatArray
    assign_cost_usd: FloatArray
    name: str = "cflp"
    _reach: npt.NDArray[np.bool_] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        f = np.ascontiguousarray(self.fixed_cost_usd, dtype=np.float64)
        s = np.ascontiguousarray(self.capacity, dtype=np.float64)
        d = np.ascontiguousarray(self.demand, dtype=np.float64)
        c = np.ascontiguousarray(self.assign_cost_usd, dtype=np.float64)
        if f.ndim != 1 or s.shape != f.shape:
            raise InputError.of(
                "capacity", s.shape, f"a vector as long as fixed_cost_usd {f.shape}", self.name
            )
        if d.ndim != 1:
            raise InputError.of("demand", d.shape, "a 1-d vector", self.name)
        if c.shape != (f.size, d.size):
            raise InputError.of(
                "assign_cost_usd", c.shape, f"shape (m, n) = {(f.size, d.size)}", self.name
            )
        if not (np.all(np.isfinite(f)) and np.all(np.isfinite(s)) and np.all(np.isfinite(d))):
            raise InputError.of("fixed_cost_usd/capacity/demand", "non-finite", "finite numbers")
        if np.any(s < 0) or np.any(d < 0):
            raise InputError.of("capacity/demand", "negative", "non-negative numbers", self.name)
        if np.any(np.isnan(c)) or np.any(c == -np.inf):
            raise InputError.of("assign_cost_usd", "NaN or -inf", "finite numbers or +inf")
        for name, arr in (("fixed_cost_usd", f), ("capacity", s), ("demand", d)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        c.setflags(write=False)
        object.__setattr__(self, "assign_cost_usd", c)
        reach = np.isfinite(c)
        reach.setflags(write=False)
        object.__setattr__(self, "_reach", reach)

    @property
    def m(self) -> int:
        """Number of candidate facilities."""
        return int(self.fixed_cost_usd.size)

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.demand.size)

    @property
    def reachable(self) -> npt.NDArray[np.bool_]:
        """Mask (m, n) of allowed pairs."""
        return self._reach

    @property
    def total_demand(self) -> float:
        """Sum of demands [demand unit]."""
        return float(self.demand.sum())

    def pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        """The allowed pairs as arrays ``(i, j, cost_usd)``, customer-major order."""
        jj, ii = np.nonzero(self._reach.T)
        return ii.astype(np.int64), jj.astype(np.int64), self.assign_cost_usd[ii, jj]

    def with_capacity(self, capacity: float | FloatArray, name: str | None = None) -> CflpInstance:
        """A copy with every capacity replaced (OR-Library capa/capb/capc use this)."""
        s = np.broadcast_to(np.asarray(capacity, dtype=np.float64), (self.m,)).copy()
        return CflpInstance(
            self.fixed_cost_usd, s, self.demand, self.assign_cost_usd, name or self.name
        )

    @classmethod
    def from_pairs(
        cls,
        fixed_cost_usd: npt.ArrayLike,
        capacity: npt.ArrayLike,
        demand: npt.ArrayLike,
        i: npt.ArrayLike,
        j: npt.ArrayLike,
        cost_usd: npt.ArrayLike,
        name: str = "cflp",
    ) -> CflpInstance:
        """Build an instance from reachable pairs only (all other pairs are forbidden).

        Parameters
        ----------
        fixed_cost_usd : array_like, shape (m,)
            Opening cost [USD].
        capacity : array_like, shape (m,)
            Capacity [demand unit].
        demand : array_like, shape (n,)
            Demand [demand unit].
        i, j : array_like of int
            Facility and customer index of each allowed pair.
        cost_usd : array_like
            Cost of serving all of ``j``'s demand from ``i`` [USD].
        name : str
            Label.

        Examples
        --------
        >>> inst = CflpInstance.from_pairs([5.0], [3.0], [1.0, 2.0], [0, 0], [0, 1], [1.0, 2.0])
        >>> inst.assign_cost_usd.tolist()
        [[1.0, 2.0]]
        """
        f = np.asarray(fixed_cost_usd, dtype=np.float64)
        d = np.asarray(demand, dtype=np.float64)
        ii = np.asarray(i, dtype=np.int64)
        jj = np.asarray(j, dtype=np.int64)
        cc = np.asarray(cost_usd, dtype=np.float64)
        if not (ii.shape == jj.shape == cc.shape):
            raise InputError.of(
                "pairs", (ii.shape, jj.shape, cc.shape), "i, j, cost of equal length"
            )
        if ii.size and (ii.min() < 0 or ii.max() >= f.size or jj.min() < 0 or jj.max() >= d.size):
            raise InputError.of("pairs", "index out of range", f"i < {f.size}, j < {d.size}")
        if not np.all(np.isfinite(cc)):
            raise InputError.of("pairs.cost_usd", "non-finite", "finite costs")
        c = np.full((f.size, d.size), np.inf)
        c[ii, jj] = cc
        return cls(f, np.asarray(capacity, dtype=np.float64), d, c, name)
