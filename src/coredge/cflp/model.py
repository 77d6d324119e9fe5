"""Sparse MILP building blocks for facility location, one ``define_*`` function per family.

The model has binary opening variables ``y_i`` (columns ``0..m-1``) followed by one assignment
variable ``x_k`` per *allowed* pair ``k = (i_k, j_k)`` (columns ``m..m+K-1``), where ``x_k`` is the
share of customer ``j_k``'s demand served by facility ``i_k``. Only reachable pairs get columns,
so a planner whose customers may only use sites within a latency budget builds a model whose
size grows with the number of reachable pairs, not with ``m * n``.

Row families:

=======================  ========================================================  ===========
function                 rows                                                      count
=======================  ========================================================  ===========
`define_assignment`      ``sum_i x_ij = 1`` for each customer ``j``                ``n``
`define_capacity`        ``sum_j d_j x_ij - s_i y_i <= 0`` for each facility       ``m``
`define_linking`         ``x_ij - y_i <= 0`` (the strong, disaggregated rows)      ``<= K``
`define_cover`           ``sum_i s_i y_i >= sum_j d_j`` (aggregate capacity)       ``1``
`define_cardinality`     ``sum_i y_i = p`` (p-median)                              ``1``
=======================  ========================================================  ===========

Everything is assembled with numpy index arithmetic and `scipy.sparse`; there is no Python loop
over variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.cflp.instance import CflpInstance
from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VARIANTS = ("multi-source", "single-source", "uncapacitated")


@dataclass(frozen=True)
class AssignmentPairs:
    """The allowed (facility, customer) pairs and their costs.

    Attributes
    ----------
    i, j : ndarray of int, shape (K,)
        Facility and customer of each pair.
    cost_usd : ndarray, shape (K,)
        Cost of serving all of ``j``'s demand from ``i`` [USD].
    m, n : int
        Number of facilities and customers.
    """

    i: IntArray
    j: IntArray
    cost_usd: FloatArray
    m: int
    n: int

    @property
    def k(self) -> int:
        """Number of pairs."""
        return int(self.i.size)

    @classmethod
    def from_arrays(
        cls, i: npt.ArrayLike, j: npt.ArrayLike, cost_usd: npt.ArrayLike, m: int, n: int
    ) -> AssignmentPairs:
        """Validate and wrap arrays of ``(i, j, cost)`` for reachable pairs.

        Examples
        --------
        >>> AssignmentPairs.from_arrays([0, 1], [0, 0], [3.0, 4.0], m=2, n=1).k
        2
        """
        ii = np.asarray(i, dtype=np.int64).ravel()
        jj = np.asarray(j, dtype=np.int64).ravel()
        cc = np.asarray(cost_usd, dtype=np.float64).ravel()
        if not (ii.size == jj.size == cc.size):
            raise InputError.of("pairs", (ii.size, jj.size, cc.size), "equal lengths")
        if ii.size and (ii.min() < 0 or ii.max() >= m or jj.min() < 0 or jj.max() >= n):
            raise InputError.of("pairs", "index out of range", f"0 <= i < {m}, 0 <= j < {n}")
        if not np.all(np.isfinite(cc)):
            raise InputError.of("pairs.cost_usd", "non-finite", "finite costs")
        return cls(ii, jj, cc, m, n)

    @classmethod
    def from_instance(
        cls, inst: CflpInstance, open_mask: BoolArray | None = None
    ) -> AssignmentPairs:
        """The reachable pairs of ``inst``, optionally only those of facilities in ``open_mask``."""
        reach = inst.reachable if open_mask is None else inst.reachable & open_mask[:, None]
        jj, ii = np.nonzero(reach.T)
        return cls(
            ii.astype(np.int64), jj.astype(np.int64), inst.assign_cost_usd[ii, jj], inst.m, inst.n
        )


RowBlock = tuple[str, sp.csr_matrix, FloatArray, FloatArray]
"""A named block of rows ``lower <= a x <= upper``: (name, a, lower, upper)."""


def row_block(
    name: str, a: sp.spmatrix | sp.sparray, lower: npt.ArrayLike, upper: npt.ArrayLike,
    num_col: int | None = None,
) -> RowBlock:
    """A block of rows ``lower <= a x <= upper`` (bounds broadcast to one per row).

    Raises ``ValueError`` when ``num_col`` is given and ``a`` has another number of columns.
    """
    a = sp.csr_matrix(a)
    if num_col is not None and a.shape[1] != num_col:
        raise ValueError(f"block {name}: {a.shape[1]} columns, model has {num_col}")
    lo = np.broadcast_to(np.asarray(lower, dtype=np.float64), (a.shape[0],)).copy()
    hi = np.broadcast_to(np.asarray(upper, dtype=np.float64), (a.shape[0],)).copy()
    return name, a, lo, hi


def block_ranges(blocks: list[RowBlock]) -> dict[str, tuple[int, int]]:
    """Row index range ``[start, stop)`` of each block, in stacking order."""
    out: dict[str, tuple[int, int]] = {}
    start = 0
    for name, a, _, _ in blocks:
        out[name] = (start, start + a.shape[0])
        start += a.shape[0]
    return out


def stack_rows(blocks: list[RowBlock], num_col: int) -> tuple[sp.csc_matrix, FloatArray, FloatArray]:
    """The stacked constraint matrix (CSC, sorted indices) and row bounds of ``blocks``."""
    if not blocks:
        empty = np.zeros(0)
        return sp.csc_matrix((0, num_col)), empty, empty
    a = sp.vstack([b[1] for b in blocks], format="csc")
    a.sort_indices()
    lo = np.concatenate([b[2] for b in blocks])
    hi = np.concatenate([b[3] for b in blocks])
    return a, lo, hi


def highs_lp(
    col_cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    integer: BoolArray,
    offset: float,
    blocks: list[RowBlock],
    relax: bool = False,
) -> highspy.HighsLp:
    """A `highspy.HighsLp` from columns and row blocks (integrality dropped when ``relax``);
    infinite bounds become HiGHS's infinity."""
    num_col = int(col_cost.size)
    a, lo, hi = stack_rows(blocks, num_col)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = num_col
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    lp.offset_ = offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = num_col
    lp.a_matrix_.num_row_ = int(a.shape[0])
    if not relax and integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in integer.tolist()
        ]
    return lp


@dataclass
class SparseMilp:
    """A MILP ``min c'x  s.t.  row_lower <= A x <= row_upper,  lower <= x <= upper``.

    Row blocks are appended by the ``define_*`` functions and stacked once in `matrix`.
    """

    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray
    offset: float = 0.0
    blocks: list[RowBlock] = field(default_factory=list)

    @property
    def num_col(self) -> int:
        """Number of columns."""
        return int(self.col_cost.size)

    def add_rows(
        self, name: str, a: sp.spmatrix | sp.sparray, lower: npt.ArrayLike, upper: npt.ArrayLike
    ) -> None:
        """Append a block of rows ``lower <= a x <= upper``."""
        self.blocks.append(row_block(name, a, lower, upper, self.num_col))

    def row_ranges(self) -> dict[str, tuple[int, int]]:
        """Row index range ``[start, stop)`` of each block."""
        return block_ranges(self.blocks)

    def matrix(self) -> tuple[sp.csc_matrix, FloatArray, FloatArray]:
        """The stacked constraint matrix (CSC) and row bounds."""
        return stack_rows(self.blocks, self.num_col)

    def to_highs_lp(self, relax: bool = False) -> highspy.HighsLp:
        """Convert to a `highspy.HighsLp` (integrality dropped when ``relax``)."""
        return highs_lp(self.col_cost, self.col_lower, self.col_upper, self.integer, self.offset,
                        self.blocks, relax)


def define_variables(
    pairs: AssignmentPairs,
    fixed_cost_usd: FloatArray,
    variant: str = "multi-source",
    y_lower: FloatArray | None = None,
    y_upper: FloatArray | None = None,
) -> SparseMilp:
    """Columns: ``y_i`` binary (cost ``f_i``), then ``x_k`` in [0, 1] (cost ``c_k``).

    Parameters
    ----------
    pairs : AssignmentPairs
        Allowed pairs.
    fixed_cost_usd : ndarray, shape (m,)
        Opening costs [USD].
    variant : str
        ``"single-source"`` makes ``x`` binary as well.
    y_lower, y_upper : ndarray, optional
        Bounds on ``y`` (0/1), used to fix facilities open or closed.

    Examples
    --------
    >>> pr = AssignmentPairs.from_arrays([0], [0], [2.0], m=1, n=1)
    >>> define_variables(pr, np.array([5.0])).col_cost.tolist()
    [5.0, 2.0]
    """
    if variant not in VARIANTS:
        raise InputError.of("variant", variant, "one of: " + ", ".join(VARIANTS))
    m, k = pairs.m, pairs.k
    cost = np.concatenate([np.asarray(fixed_cost_usd, dtype=np.float64), pairs.cost_usd])
    lower = np.zeros(m + k)
    upper = np.ones(m + k)
    if y_lower is not None:
        lower[:m] = y_lower
    if y_upper is not None:
        upper[:m] = y_upper
    integer = np.zeros(m + k, dtype=bool)
    integer[:m] = True
    if variant == "single-source":
        integer[m:] = True
    return SparseMilp(cost, lower, upper, integer)


def _x_cols(pairs: AssignmentPairs) -> IntArray:
    return pairs.m + np.arange(pairs.k, dtype=np.int64)


def define_assignment(model: SparseMilp, pairs: AssignmentPairs) -> None:
    """Rows ``sum_i x_ij = 1``: every customer is fully served.

    Examples
    --------
    >>> pr = AssignmentPairs.from_arrays([0, 1], [0, 0], [1.0, 2.0], m=2, n=1)
    >>> md = define_variables(pr, np.zeros(2)); define_assignment(md, pr)
    >>> md.matrix()[0].toarray().tolist()
    [[0.0, 0.0, 1.0, 1.0]]
    """
    a = sp.csr_matrix((np.ones(pairs.k), (pairs.j, _x_cols(pairs))), shape=(pairs.n, model.num_col))
    model.add_rows("assignment", a, 1.0, 1.0)


def define_capacity(
    model: SparseMilp, pairs: AssignmentPairs, demand: FloatArray, capacity: FloatArray
) -> None:
    """Rows ``sum_j d_j x_ij - s_i y_i <= 0``: a facility serves at most its capacity, if open.

    Parameters
    ----------
    demand : ndarray, shape (n,)
        Demand [demand unit].
    capacity : ndarray, shape (m,)
        Capacity [demand unit].
    """
    m = pairs.m
    rows = np.concatenate([pairs.i, np.arange(m)])
    cols = np.concatenate([_x_cols(pairs), np.arange(m)])
    vals = np.concatenate([np.asarray(demand)[pairs.j], -np.asarray(capacity, dtype=np.float64)])
    a = sp.csr_matrix((vals, (rows, cols)), shape=(m, model.num_col))
    model.add_rows("capacity", a, -np.inf, 0.0)


def define_linking(
    model: SparseMilp, pairs: AssignmentPairs, which: BoolArray | IntArray | None = None
) -> None:
    """Rows ``x_k - y_{i_k} <= 0`` for all pairs or a subset (mask or index array).

    These disaggregated rows make the LP relaxation strong; they are implied by the capacity rows
    for integer ``y`` so any subset gives a correct model.
    """
    ks = np.arange(pairs.k) if which is None else np.arange(pairs.k)[which]
    r = ks.size
    rows = np.repeat(np.arange(r), 2)
    cols = np.column_stack([pairs.m + ks, pairs.i[ks]]).ravel()
    vals = np.tile([1.0, -1.0], r)
    a = sp.csr_matrix((vals, (rows, cols)), shape=(r, model.num_col))
    model.add_rows("linking", a, -np.inf, 0.0)


def define_cover(model: SparseMilp, capacity: FloatArray, total_demand: float) -> None:
    """Row ``sum_i s_i y_i >= sum_j d_j``: enough capacity is opened (aggregate cover).

    Parameters
    ----------
    capacity : ndarray, shape (m,)
        Capacity [demand unit].
    total_demand : float
        Sum of demands [demand unit].
    """
    m = capacity.size
    a = sp.csr_matrix(
        (np.asarray(capacity, dtype=np.float64), (np.zeros(m, dtype=np.int64), np.arange(m))),
        shape=(1, model.num_col),
    )
    model.add_rows("cover", a, total_demand, np.inf)


def define_cardinality(model: SparseMilp, m: int, p: int) -> None:
    """Row ``sum_i y_i = p`` (exactly ``p`` facilities open; p-median)."""
    a = sp.csr_matrix(
        (np.ones(m), (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, model.num_col)
    )
    model.add_rows("cardinality", a, float(p), float(p))


def build_cflp_milp(
    inst: CflpInstance,
    variant: str = "multi-source",
    pairs: AssignmentPairs | None = None,
    linking: BoolArray | IntArray | str | None = "all",
    cover: bool = True,
    y_lower: FloatArray | None = None,
    y_upper: FloatArray | None = None,
) -> tuple[SparseMilp, AssignmentPairs]:
    """Assemble the facility-location MILP from the ``define_*`` families.

    Parameters
    ----------
    inst : CflpInstance
        The data.
    variant : str
        ``"multi-source"`` (splittable), ``"single-source"`` (binary ``x``) or
        ``"uncapacitated"`` (no capacity rows; linking rows for every pair).
    pairs : AssignmentPairs, optional
        Columns to create (default: every reachable pair of ``inst``).
    linking : "all", "none", mask or index array
        Which pairs get a ``x_k <= y_i`` row.
    cover : bool
        Add the aggregate capacity cover row (capacitated variants only).
    y_lower, y_upper : ndarray, optional
        Bounds fixing facilities open (lower 1) or closed (upper 0).

    Returns
    -------
    (SparseMilp, AssignmentPairs)
        The model and the pairs that index its ``x`` columns.

    Examples
    --------
    >>> inst = CflpInstance(np.array([3.0]), np.array([2.0]), np.array([1.0]), np.array([[1.0]]))
    >>> md, pr = build_cflp_milp(inst)
    >>> md.num_col, md.matrix()[0].shape[0]
    (2, 4)
    """
    pr = pairs if pairs is not None else AssignmentPairs.from_instance(inst)
    model = define_variables(pr, inst.fixed_cost_usd, variant, y_lower, y_upper)
    define_assignment(model, pr)
    if variant == "uncapacitated":
        define_linking(model, pr)
        return model, pr
    define_capacity(model, pr, inst.demand, inst.capacity)
    if isinstance(linking, str):
        if linking == "all":
            define_linking(model, pr)
        elif linking != "none":
            raise ValueError(f"linking={linking!r}")
    else:
        define_linking(model, pr, linking)
    if cover:
        define_cover(model, inst.capacity, inst.total_demand)
    return model, pr


def _linking_rows(
    pairs: AssignmentPairs, ks: IntArray
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
    r = ks.size
    starts = np.arange(0, 2 * r, 2, dtype=np.int32)
    index = np.column_stack([pairs.m + ks, pairs.i[ks]]).ravel().astype(np.int32)
    value = np.tile([1.0, -1.0], r).astype(np.float64)
    return starts, index, value


def separate_linking(
    model: SparseMilp,
    pairs: AssignmentPairs,
    initial: BoolArray,
    max_rounds: int = 50,
    tol: float = 1e-7,
    highs: highspy.Highs | None = None,
) -> tuple[BoolArray, float, bool]:
    """Find the linking rows ``x_k <= y_i`` the LP relaxation needs, by row generation.

    The LP relaxation of ``model`` (which should have no linking rows) is solved with the rows of
    ``initial`` added; rows violated by the LP solution are added and the LP re-solved, warm
    started, until none is violated. The LP optimum then equals that of the full strong
    formulation, with usually a small fraction of its ``K`` linking rows.

    Parameters
    ----------
    model : SparseMilp
        The model without linking rows.
    pairs : AssignmentPairs
        The pairs indexing the model's ``x`` columns.
    initial : ndarray of bool, shape (K,)
        Rows to start with (e.g. pairs with negative Lagrangian reduced cost).
    max_rounds : int
        Round limit.
    tol : float
        Violation tolerance.
    highs : highspy.Highs, optional
        A configured solver to use (options such as a time limit are kept).

    Returns
    -------
    (active, lp_bound, complete)
        Rows used, the last LP optimum (a valid bound on the MILP; ``-inf`` if none) and whether
        the separation finished (no violated row left).
    """
    from coredge.cflp.heuristics import new_highs

    h = highs if highs is not None else new_highs()
    h.passModel(model.to_highs_lp(relax=True))
    active = np.zeros(pairs.k, dtype=bool)
    add = np.asarray(initial, dtype=bool).copy()
    bound = -np.inf
    complete = False
    for _ in range(max_rounds):
        ks = np.nonzero(add)[0]
        if ks.size:
            st, ix, val = _linking_rows(pairs, ks)
            h.addRows(
                int(ks.size),
                np.full(ks.size, -highspy.kHighsInf),
                np.zeros(ks.size),
                int(ix.size),
                st,
                ix,
                val,
            )
            active |= add
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        bound = float(h.getInfo().objective_function_value)
        col = np.asarray(h.getSolution().col_value)
        viol = (col[pairs.m :] - col[pairs.i] > tol) & ~active
        if not viol.any():
            complete = True
            break
        add = viol
    return active, bound, complete
