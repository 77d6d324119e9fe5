"""The scenario planner's MILP: the sparse model over facilities and reachable pairs, built vectorised.

The index sets (facilities, groups, pairs) are built in `coredge.plan.facilities`.

A *facility* is one (candidate site, tier) the site may host; a city allowed to host a regional or a
micro site gives two facilities of which at most one may open. A *group* is one (demand point,
workload class) whose load must be served; classes without an RTT budget reach every site that
serves them, so all their points form one group (an exact aggregation: every point has the same
reachable set, and any split of the pooled load disaggregates to equal shares per point).
A *pair* is a (group, facility) within the class's RTT budget whose tier serves the class.

Columns (blocks in this order; see `ModelLayout`):

=====  ==============  =====================================================================
block  shape           meaning
=====  ==============  =====================================================================
x      (Q,)            share of the group's load served by the facility, constant over years
u      (G,)            unmet share of the group [fraction]
b      (Q,)            backup share reserved at the facility (single-site failure only)
B      (G,)            total backup share of the group (single-site failure only)
L      (F, P)          inference load on the facility in profile year(s) [MW]
R      (F, P)          backup load reserved on the facility [MW] (single-site failure only)
n      (F, Y)          installed modules (integer), never shrinking, 0 before the online year
T      (C, Y)          training load at core facility c [MW]
uT     (Y,)            unmet training load [MW]
z      (Z,)            open binary, only for sites with more than one possible tier
=====  ==============  =====================================================================

``P`` is 1 when every group's load grows by the same factor each year (load in year y =
``ratio[y] * L``), else ``Y`` (one load column per year).

Row families, one ``define_*`` function each: `define_demand` (sum_f x + u = 1),
`define_loads` (L and R definitions), `define_backup` (resilience), `define_capacity`
(load + backup + training <= modules x module MW), `define_monotone`, `define_training`,
`define_state_caps`, `define_capex_budget`, `define_one_tier`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.cflp.model import RowBlock, block_ranges, highs_lp, row_block
from coredge.inputs.build import Inputs
from coredge.plan.costing import (
    energy_usd_per_mw_year,
    gpu_hour_revenue_usd_per_mw_year,
    gpus_per_mw,
    grid_energy_mwh,
)
from coredge.plan.facilities import (
    TIERS,
    Facilities,
    Groups,
    PairTable,
    build_facilities,
    build_groups_and_pairs,
    nearest_per_tier,
    needs_backup,
    pair_load_mw,
    with_mw_factor,
)
from coredge.plan.power_paths import module_year_usd_per_mw, path_charges
from coredge.units import discount_factors, plan_year_offsets

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]



# Price of an unprotected share (served, but lost when its site fails) as a fraction of the
# unmet-demand penalty. Assumption: 1.0, so protection is never traded for cost; the unprotected
# share exists only so that the coverage target can be met where no affordable backup exists.
UNPROTECTED_PENALTY_FRAC = 1.0


@dataclass(frozen=True)
class Economics:
    """Unit costs for the objective, all discounted to the first plan year.

    Attributes
    ----------
    disc : ndarray (Y,)
        Discount factor per year.
    energy_usd_per_mw : ndarray (F, Y)
        Discounted energy cost of one MW of IT load at each facility and year [USD/MW].
    module_usd : ndarray (F, Y)
        Discounted cost of one module installed in year y (capex telescoped so that a module
        added in year y pays its capex once, plus fixed opex every year it stands) [USD/module].
    capex_per_module_usd : ndarray (F,)
        Undiscounted capex of one module (facility incl. land/soft + GPUs) [USD].
    penalty_usd_per_mw : ndarray (Y,)
        Discounted unmet-demand penalty per MW and year [USD/MW].
    offset_usd : float
        Constant term: brownfield capacity is sunk (no capex, no capex-linked opex), as in
        `coredge.plan.costing.site_costs` [USD].
    unmet_cap_mw : ndarray (K + 1,), optional
        Most final-year load of each workload class, then of training (last entry), that may be
        left unmet before the coverage shortfall is charged (`coverage_caps`, `define_coverage`)
        [MW]; None: no coverage rows.
    shortfall_usd_per_mw : ndarray (K + 1,), optional
        Cost of one MW of final-year load below the coverage target [USD/MW].
    """

    disc: FloatArray
    energy_usd_per_mw: FloatArray
    module_usd: FloatArray
    capex_per_module_usd: FloatArray
    penalty_usd_per_mw: FloatArray
    offset_usd: float = 0.0
    unmet_cap_mw: FloatArray | None = None
    shortfall_usd_per_mw: FloatArray | None = None


def build_economics(inputs: Inputs, fac: Facilities, objective: str = "cost") -> Economics:
    """Discounted unit costs matching `coredge.plan.costing.site_costs` (GPU count not floored).

    With ``objective="npv"`` the GPU-hour revenue of installed GPUs (as in
    `coredge.pipeline.economics`) is subtracted from each module's cost.
    """
    sc = inputs.scenario
    years = inputs.years
    disc = discount_factors(sc.economics.discount_rate, plan_year_offsets(years))
    util = sc.hardware.utilisation_frac
    # each facility's GPUs are its tier's accelerator (hardware.tiers; the same everywhere by default)
    energy = energy_usd_per_mw_year(
        util * inputs.site_energy_draw_frac(fac.tier), fac.pue, fac.price_usd_per_mwh, years,
        sc.economics.power_price_escalator_rate,
    ) * disc[None, :]
    kw = inputs.site_it_kw_per_gpu(fac.tier)
    gpu_per_mw = gpus_per_mw(kw)
    capex_mw = fac.fac_capex_usd_per_mw + gpu_per_mw * inputs.site_gpu_capex_usd(fac.tier)
    disc_next = np.r_[disc[1:], 0.0]
    per_mw = capex_mw[:, None] * (disc - disc_next)[None, :] + fac.fixed_opex_usd_per_mw_year[:, None] * disc[None, :]
    if objective == "npv":
        price = np.array([sc.economics.gpu_hour_price_usd.get(str(t), 0.0) for t in fac.tier])  # type: ignore[call-overload]
        revenue = gpu_hour_revenue_usd_per_mw_year(kw, util, price)
        per_mw = per_mw - revenue[:, None] * disc[None, :]
    if fac.power is not None:
        # power paths (coredge.plan.power_paths): bridge, curtailment and battery charges
        mwh = grid_energy_mwh(np.ones((fac.count, 1)), (util * inputs.site_energy_draw_frac(fac.tier))[:, None],
                              fac.pue[:, None])
        install, standing, extra = path_charges(fac.power, years, disc, np.broadcast_to(mwh, energy.shape))
        per_mw = per_mw + module_year_usd_per_mw(install, standing)
        energy = energy + extra
    module_usd = per_mw * fac.module_mw[:, None]
    pen = sc.economics.unmet_demand_penalty_usd_per_mw_year * disc
    # Brownfield: existing MW are installed from the first year but were paid for already.
    ex = fac.existing_it_mw
    sunk = ex * (capex_mw + fac.opex_frac * fac.fac_capex_usd_per_mw * float(disc.sum()))
    return Economics(disc, energy, module_usd, capex_mw * fac.module_mw, pen, -float(sunk.sum()))


@dataclass
class ModelLayout:
    """Column offsets of each block and the problem dimensions."""

    Q: int
    G: int
    F: int
    Y: int
    P: int
    C: int
    Z: int
    resilient: bool
    K: int = 0  # coverage shortfall columns (one per workload class, then one for training)
    offsets: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = [("x", self.Q), ("u", self.G), ("b", self.Q if self.resilient else 0),
                 ("B", self.G if self.resilient else 0), ("w", self.G if self.resilient else 0),
                 ("L", self.F * self.P),
                 ("R", self.F * self.P if self.resilient else 0), ("n", self.F * self.Y),
                 ("T", self.C * self.Y), ("uT", self.Y), ("z", self.Z),
                 ("s", self.K)]
        off = 0
        for name, size in sizes:
            self.offsets[name] = off
            off += size
        self.offsets["end"] = off

    @property
    def num_col(self) -> int:
        return self.offsets["end"]

    def block(self, name: str) -> slice:
        keys = list(self.offsets)
        i = keys.index(name)
        return slice(self.offsets[name], self.offsets[keys[i + 1]])


@dataclass
class PlannerModel:
    """The assembled MILP with enough bookkeeping to read a solution back."""

    layout: ModelLayout
    pairs: PairTable
    groups: Groups
    fac: Facilities
    econ: Economics
    years: IntArray
    ratio: FloatArray  # (Y,) load ratio to the profile year (uniform growth) or empty
    core: IntArray  # facility index of each training column block
    z_fac: IntArray  # facility index per z column
    z_site: IntArray
    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray
    offset_usd: float
    blocks: list[RowBlock] = field(default_factory=list)

    def add_rows(self, name: str, a: sp.spmatrix, lower: npt.ArrayLike, upper: npt.ArrayLike) -> None:
        """Append a block of rows ``lower <= a x <= upper``."""
        self.blocks.append(row_block(name, a, lower, upper))

    @property
    def num_row(self) -> int:
        """Number of rows."""
        return int(sum(b[1].shape[0] for b in self.blocks))

    def row_ranges(self) -> dict[str, tuple[int, int]]:
        """Row index range ``[start, stop)`` of each block."""
        return block_ranges(self.blocks)

    def to_highs(self, relax: bool = False) -> highspy.HighsLp:
        """The model as a `highspy.HighsLp` (integrality dropped when `relax`)."""
        return highs_lp(self.col_cost, self.col_lower, self.col_upper, self.integer, self.offset_usd,
                        self.blocks, relax)


def growth_ratio(load_mw: FloatArray) -> FloatArray:
    """Per-year ratio to the last year if every group grows alike, else an empty array.

    Examples
    --------
    >>> growth_ratio(np.array([[1.0, 2.0], [2.0, 4.0]])).tolist()
    [0.5, 1.0]
    >>> growth_ratio(np.array([[1.0, 2.0], [2.0, 2.0]])).size
    0
    """
    ref = load_mw[:, -1]
    pos = ref > 0
    if not pos.any():
        return np.ones(load_mw.shape[1])
    r = load_mw[pos] / ref[pos, None]
    if np.allclose(r, r[0], rtol=1e-9, atol=0.0) and np.allclose(load_mw[~pos], 0.0):
        return np.asarray(r[0], dtype=np.float64)
    return np.zeros(0)


def _coo(rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike, shape: tuple[int, int]) -> sp.csr_matrix:
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    v = np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape)
    return sp.csr_matrix(sp.coo_matrix((v, (r, c)), shape=shape))


def pair_penalty_usd(
    groups: Groups, pairs: PairTable, fac: Facilities, years: IntArray, penalty_usd_per_mw: FloatArray
) -> FloatArray:
    """Discounted penalty of a pair's share for the years before its facility is online [USD].

    Load placed on a facility that is not yet online is unmet in those years.
    """
    cum = np.concatenate(
        [np.zeros((groups.count, 1)), np.cumsum(groups.load_mw * penalty_usd_per_mw[None, :], axis=1)],
        axis=1,
    )
    k = np.clip(np.searchsorted(years, fac.online_year), 0, years.size)
    return np.asarray(cum[pairs.group, k[pairs.fac]], dtype=np.float64)


def define_variables(
    inputs: Inputs, fac: Facilities, groups: Groups, pairs: PairTable, econ: Economics, resilient: bool
) -> PlannerModel:
    """Columns with bounds, integrality and discounted costs (see the module table)."""
    Y = inputs.years.size
    F, G, Q = fac.count, groups.count, pairs.count
    ratio = growth_ratio(groups.load_mw)
    P = 1 if ratio.size else Y
    core = np.flatnonzero(fac.serves_training).astype(np.int64)
    C = core.size
    site_ids, counts = np.unique(fac.site, return_counts=True)
    multi = np.isin(fac.site, site_ids[counts > 1])
    z_fac = np.flatnonzero(multi).astype(np.int64)
    K = 0 if econ.unmet_cap_mw is None else int(econ.unmet_cap_mw.size)
    lay = ModelLayout(Q=Q, G=G, F=F, Y=Y, P=P, C=C, Z=int(z_fac.size), resilient=resilient, K=K)
    n = lay.num_col
    cost = np.zeros(n)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    integer = np.zeros(n, dtype=bool)
    years = inputs.years
    online = years[None, :] >= fac.online_year[:, None]  # (F, Y)
    pen = econ.penalty_usd_per_mw
    # x: penalty for the years before its facility is online.
    cost[lay.block("x")] = pair_penalty_usd(groups, pairs, fac, years, pen)
    hi[lay.block("x")] = 1.0
    cost[lay.block("u")] = (groups.load_mw * pen[None, :]).sum(axis=1)
    hi[lay.block("u")] = 1.0
    if resilient:
        hi[lay.block("b")] = 1.0
        hi[lay.block("B")] = 1.0
        # Unprotected share: priced like unmet demand (it is lost when its site fails), so it is
        # chosen only where the coverage target needs a load served that no affordable backup
        # protects (see define_backup).
        hi[lay.block("w")] = 1.0
        cost[lay.block("w")] = UNPROTECTED_PENALTY_FRAC * cost[lay.block("u")]
    e_on = econ.energy_usd_per_mw * online
    if P == 1:
        cost[lay.block("L")] = (e_on * ratio[None, :]).sum(axis=1)
    else:
        cost[lay.block("L")] = e_on.ravel()
    ns = lay.block("n")
    cost[ns] = econ.module_usd.ravel()
    integer[ns] = True
    ub_n = np.where(online, fac.max_modules[:, None], 0).astype(np.float64)
    lb_n = np.where(online, fac.min_modules[:, None], 0).astype(np.float64)
    hi[ns] = ub_n.ravel()
    lo[ns] = lb_n.ravel()
    ts = lay.block("T")
    cost[ts] = econ.energy_usd_per_mw[core].ravel()
    hi[ts] = np.where(online[core], np.inf, 0.0).ravel()
    cost[lay.block("uT")] = pen
    zs = lay.block("z")
    hi[zs] = 1.0
    integer[zs] = True
    if K:
        assert econ.shortfall_usd_per_mw is not None
        cost[lay.block("s")] = econ.shortfall_usd_per_mw
    return PlannerModel(
        layout=lay, pairs=pairs, groups=groups, fac=fac, econ=econ, years=years, ratio=ratio, core=core,
        z_fac=z_fac, z_site=fac.site[z_fac], col_cost=cost, col_lower=lo, col_upper=hi,
        integer=integer, offset_usd=econ.offset_usd,
    )


def define_demand(m: PlannerModel) -> None:
    """Each group's load is served or unmet: ``sum_f x_gf + u_g = 1``."""
    lay = m.layout
    q = np.arange(lay.Q)
    g = np.arange(lay.G)
    a = _coo(np.r_[m.pairs.group, g], np.r_[lay.offsets["x"] + q, lay.offsets["u"] + g], 1.0,
             (lay.G, lay.num_col))
    m.add_rows("demand", a, 1.0, 1.0)


def define_loads(m: PlannerModel) -> None:
    """``L_fp = sum_g load_gp x_gf`` (and ``R`` from ``b`` when resilient)."""
    lay = m.layout
    P = lay.P
    gl = pair_load_mw(m.groups, m.pairs)  # (Q, Y)
    q = np.arange(lay.Q)
    for var, src in (("L", "x"), ("R", "b")):
        if var == "R" and not lay.resilient:
            continue
        if P == 1:
            rows = np.r_[m.pairs.fac, np.arange(lay.F)]
            cols = np.r_[lay.offsets[src] + q, lay.offsets[var] + np.arange(lay.F)]
            vals = np.r_[-gl[:, -1], np.ones(lay.F)]
        else:
            rr = (m.pairs.fac[:, None] * P + np.arange(P)[None, :]).ravel()
            cc = np.repeat(lay.offsets[src] + q, P)
            rows = np.r_[rr, np.arange(lay.F * P)]
            cols = np.r_[cc, lay.offsets[var] + np.arange(lay.F * P)]
            vals = np.r_[-gl.ravel(), np.ones(lay.F * P)]
        m.add_rows(f"load_{var}", _coo(rows, cols, vals, (lay.F * P, lay.num_col)), 0.0, 0.0)


def define_backup(m: PlannerModel) -> None:
    """Single-site failure: ``B_g = sum_f b_gf`` and ``x_gf + b_gf <= B_g + w_g``.

    With ``w_g = 0``, for any failed facility f the other facilities hold ``B_g - b_gf >= x_gf`` of
    the group's share in reserve, and each reserves ``R_f = sum_g load_g b_gf`` of spare capacity
    (`define_capacity`), so the failed load can always be re-homed within budget. ``w_g`` is the
    group's unprotected share (at most that much of it is lost when one of its sites fails),
    priced like unmet demand: the model serves a load unprotected only where the coverage target
    (`define_coverage`) needs it served and protecting it would cost more (e.g. a backup that
    needs a whole 50 MW core campus for a few kW).

    Groups with ``groups.backup`` False (every reachable facility on one site: no plan can
    re-home them) get no ``x + b <= B`` rows and ``b = B = 0``: served without a backup.
    """
    lay = m.layout
    if not lay.resilient:
        return
    q = np.arange(lay.Q)
    g = np.arange(lay.G)
    a = _coo(np.r_[m.pairs.group, g], np.r_[lay.offsets["b"] + q, lay.offsets["B"] + g],
             np.r_[np.ones(lay.Q), -np.ones(lay.G)], (lay.G, lay.num_col))
    m.add_rows("backup_total", a, 0.0, 0.0)
    if m.groups.backup is not None:
        need = m.groups.backup
        hi = m.col_upper.copy()
        hi[lay.offsets["B"] + np.flatnonzero(~need)] = 0.0
        hi[lay.offsets["w"] + np.flatnonzero(~need)] = 0.0
        hi[lay.offsets["b"] + np.flatnonzero(~need[m.pairs.group])] = 0.0
        m.col_upper = hi
        q = np.flatnonzero(need[m.pairs.group])
    r = np.arange(q.size)
    rows = np.r_[r, r, r, r]
    cols = np.r_[lay.offsets["x"] + q, lay.offsets["b"] + q, lay.offsets["B"] + m.pairs.group[q],
                 lay.offsets["w"] + m.pairs.group[q]]
    vals = np.r_[np.ones(q.size), np.ones(q.size), -np.ones(q.size), -np.ones(q.size)]
    m.add_rows("backup_link", _coo(rows, cols, vals, (q.size, lay.num_col)), -np.inf, 0.0)


def link_year(m: PlannerModel) -> IntArray:
    """Per pair, the first year index at which its facility is online and its group has load (-1: none)."""
    fy = np.searchsorted(m.years, m.fac.online_year[m.pairs.fac])
    has = m.groups.load_mw[m.pairs.group] > 0  # (Q, Y)
    idx = np.arange(m.layout.Y)[None, :]
    ok = has & (idx >= fy[:, None])
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), -1)
    return np.asarray(first, dtype=np.int64)


def define_linking(m: PlannerModel) -> None:
    """Variable upper bounds: ``x_gf + b_gf <= n_f,y*`` (``y*`` from `link_year`).

    Valid for every integer solution: a positive share (served or reserved) of a load that is
    positive in year ``y*`` needs positive capacity there, i.e. at least one module, and
    ``x_gf + b_gf <= B_g <= 1`` (``x_gf <= 1`` without resilience). The LP relaxation then pays a
    whole module wherever it puts a whole group's load, instead of the group's fraction of a
    module (the strong formulation of facility location).
    """
    lay = m.layout
    y = link_year(m)
    q = np.flatnonzero(y >= 0)
    r = np.arange(q.size)
    rows = [r, r]
    cols = [lay.offsets["x"] + q, lay.offsets["n"] + m.pairs.fac[q] * lay.Y + y[q]]
    vals = [np.ones(q.size), -np.ones(q.size)]
    if lay.resilient:
        rows.append(r)
        cols.append(lay.offsets["b"] + q)
        vals.append(np.ones(q.size))
    a = _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (q.size, lay.num_col))
    m.add_rows("link", a, -np.inf, 0.0)


def define_capacity(m: PlannerModel) -> None:
    """Online years: ``load + backup + training <= module_mw x modules`` per facility and year."""
    capacity_rows(m, m.fac.online_year[:, None] <= np.asarray(m.years)[None, :])


def capacity_rows(m: PlannerModel, use: BoolArray) -> None:
    """Capacity rows ``ratio_y (L_f + R_f) + T_fy - module_mw_f n_fy <= 0`` for the (facility,
    year) cells of `use` (shape (F, Y); ``L``/``R`` per year when the load has no common profile).

    Shared by the full model (every online year, `define_capacity`) and the aggregated
    multi-year relaxation (`coredge.plan.multiyear`: the last year, and every online year at core
    campuses).

    Examples
    --------
    ``capacity_rows(m, online)`` adds one row per True cell, in row-major (facility, year) order.
    """
    lay = m.layout
    F, Y, P = lay.F, lay.Y, lay.P
    f_idx, y_idx = np.nonzero(use)
    row_of = -np.ones(F * Y, dtype=np.int64)
    row_of[f_idx * Y + y_idx] = np.arange(f_idx.size)
    row = row_of[f_idx * Y + y_idx]
    if P == 1:
        lcol = f_idx
        lval = m.ratio[y_idx]
    else:
        lcol = f_idx * P + y_idx
        lval = np.ones(f_idx.size)
    rows = [row, row]
    cols = [lay.offsets["L"] + lcol, lay.offsets["n"] + f_idx * Y + y_idx]
    vals = [lval, -m.fac.module_mw[f_idx]]
    if lay.resilient:
        rows.append(row)
        cols.append(lay.offsets["R"] + lcol)
        vals.append(lval)
    c = np.arange(lay.C)
    cf, cy = np.repeat(m.core, Y), np.tile(np.arange(Y), lay.C)
    ok = row_of[cf * Y + cy] >= 0
    rows.append(row_of[cf * Y + cy][ok])
    cols.append((lay.offsets["T"] + np.repeat(c, Y) * Y + cy)[ok])
    vals.append(np.ones(int(ok.sum())))
    a = _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (f_idx.size, lay.num_col))
    m.add_rows("capacity", a, -np.inf, 0.0)


def coverage_caps(
    inputs: Inputs, groups: Groups, pairs: PairTable, min_coverage_frac: float, price_usd_per_mw: float,
    fac: Facilities | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per class (then training), the final-year load that may go unmet, and the shortfall price.

    The target is a share of the load that some facility can reach (`pairs` must be the full
    table): ``cap_k = load_k - min_coverage_frac x reachable_load_k`` [MW, final year]; for
    training (last entry) ``cap = training - min_coverage_frac x hostable training``, hostable
    being at most what the core campuses online in the last year can hold at their module limits
    (`fac`; all of it when `fac` is None). Each MW below the target costs `price_usd_per_mw`
    [USD/MW] (a feasibility price, not discounted).

    Without the training entry the horizon end would leave the last year's training growth
    unmet: a module bought in the last year pays its whole capex (no residual value is counted)
    for one year of use, more than a year of the unmet-demand penalty.

    Examples
    --------
    ``econ = replace(econ, unmet_cap_mw=cap, shortfall_usd_per_mw=price)`` before building a model.
    """
    K = inputs.n_classes
    last = groups.load_mw[:, -1]
    reach = np.zeros(groups.count, dtype=bool)
    reach[pairs.group] = True
    load_k = np.bincount(groups.klass, weights=last, minlength=K)
    reach_k = np.bincount(groups.klass, weights=np.where(reach, last, 0.0), minlength=K)
    cap = np.maximum(load_k - min_coverage_frac * reach_k, 0.0)
    d_t = float(inputs.training_mw[-1])
    host = d_t
    if fac is not None:
        core = fac.serves_training & (fac.online_year <= inputs.years[-1])
        host = min(d_t, float((fac.max_modules[core] * fac.module_mw[core]).sum()))
    cap_t = d_t - min_coverage_frac * host
    return np.r_[cap, cap_t], np.full(K + 1, float(price_usd_per_mw))


def define_coverage(m: PlannerModel) -> None:
    """Coverage targets: ``sum_g load_g,last x u_g - s_k <= cap_k`` per class, and
    ``uT_last - s_T <= cap_T`` for training.

    ``u_g`` is group g's unmet share, ``s >= 0`` the priced shortfall below the target
    (`coverage_caps`). The rows hold only unmet columns and the shortfall columns, so pair columns
    price out as before (`coredge.plan.milp.lp_bound_full`), and a cluster relaxation maps them
    exactly (a cluster's unmet share is its members' load-weighted mean).
    """
    lay = m.layout
    if not lay.K or m.econ.unmet_cap_mw is None:
        return
    g = np.arange(lay.G)
    k = np.arange(lay.K)
    nk = lay.K - 1
    a = _coo(np.r_[m.groups.klass, nk, k],
             np.r_[lay.offsets["u"] + g, lay.offsets["uT"] + lay.Y - 1, lay.offsets["s"] + k],
             np.r_[m.groups.load_mw[:, -1], 1.0, -np.ones(lay.K)], (lay.K, lay.num_col))
    m.add_rows("coverage", a, -np.inf, m.econ.unmet_cap_mw)


def define_monotone(m: PlannerModel) -> None:
    """Installed modules never shrink: ``n_fy - n_f,y-1 >= 0``."""
    lay = m.layout
    F, Y = lay.F, lay.Y
    if Y < 2:
        return
    f_idx = np.repeat(np.arange(F), Y - 1)
    y_idx = np.tile(np.arange(1, Y), F)
    r = np.arange(F * (Y - 1))
    base = lay.offsets["n"] + f_idx * Y + y_idx
    a = _coo(np.r_[r, r], np.r_[base, base - 1], np.r_[np.ones(r.size), -np.ones(r.size)],
             (r.size, lay.num_col))
    m.add_rows("monotone", a, 0.0, np.inf)


def define_training(m: PlannerModel, training_mw: FloatArray) -> None:
    """Training runs only at core campuses: ``sum_c T_cy + uT_y = training_y``."""
    lay = m.layout
    Y = lay.Y
    c_idx = np.repeat(np.arange(lay.C), Y)
    y_idx = np.tile(np.arange(Y), lay.C)
    a = _coo(np.r_[y_idx, np.arange(Y)],
             np.r_[lay.offsets["T"] + c_idx * Y + y_idx, lay.offsets["uT"] + np.arange(Y)],
             1.0, (Y, lay.num_col))
    m.add_rows("training", a, training_mw, training_mw)


def define_state_caps(m: PlannerModel, state_caps_mw: dict[str, float]) -> None:
    """Facility MW per capped state in the final year (modules never shrink, so every year)."""
    lay = m.layout
    caps = [(s, v) for s, v in state_caps_mw.items()]
    if not caps:
        return
    rows, cols, vals, ub = [], [], [], []
    for i, (s, v) in enumerate(caps):
        fs = np.flatnonzero(m.fac.state == s)
        rows.append(np.full(fs.size, i))
        cols.append(lay.offsets["n"] + fs * lay.Y + lay.Y - 1)
        vals.append(m.fac.pue[fs] * m.fac.module_mw[fs])
        ub.append(v)
    a = _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (len(caps), lay.num_col))
    m.add_rows("state_caps", a, -np.inf, np.array(ub))


def define_capex_budget(m: PlannerModel, budget_usd_per_year: float | None) -> None:
    """Capex of modules added each year (facility + GPUs) within the yearly budget."""
    if budget_usd_per_year is None:
        return
    lay = m.layout
    F, Y = lay.F, lay.Y
    cap = m.econ.capex_per_module_usd
    rows, cols, vals = [], [], []
    f = np.arange(F)
    for y in range(Y):
        rows.append(np.full(F, y))
        cols.append(lay.offsets["n"] + f * Y + y)
        vals.append(cap)
        if y > 0:
            rows.append(np.full(F, y))
            cols.append(lay.offsets["n"] + f * Y + y - 1)
            vals.append(-cap)
    a = _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (Y, lay.num_col))
    # Brownfield modules stand from the first year at no capex.
    sunk = np.zeros(Y)
    sunk[0] = float((m.fac.existing_it_mw / m.fac.module_mw * cap).sum())
    m.add_rows("capex_budget", a, -np.inf, budget_usd_per_year + sunk)


def define_one_tier(m: PlannerModel) -> None:
    """A site hosts one tier: ``n_f,last <= max_f z_f`` and ``sum_{f at site} z_f <= 1``."""
    lay = m.layout
    if lay.Z == 0:
        return
    z = np.arange(lay.Z)
    f = m.z_fac
    a = _coo(np.r_[z, z], np.r_[lay.offsets["n"] + f * lay.Y + lay.Y - 1, lay.offsets["z"] + z],
             np.r_[np.ones(lay.Z), -m.fac.max_modules[f].astype(np.float64)], (lay.Z, lay.num_col))
    m.add_rows("open", a, -np.inf, 0.0)
    _, site_row = np.unique(m.z_site, return_inverse=True)
    a = _coo(site_row, lay.offsets["z"] + z, 1.0, (int(site_row.max()) + 1, lay.num_col))
    m.add_rows("one_tier", a, -np.inf, 1.0)


def build_model(
    inputs: Inputs,
    fac: Facilities,
    groups: Groups,
    pairs: PairTable,
    econ: Economics,
    resilient: bool,
) -> PlannerModel:
    """Assemble the whole MILP over the given pairs."""
    sc = inputs.scenario
    m = define_variables(inputs, fac, groups, pairs, econ, resilient)
    define_demand(m)
    define_loads(m)
    define_backup(m)
    define_linking(m)
    define_capacity(m)
    define_monotone(m)
    define_training(m, inputs.training_mw)
    define_state_caps(m, dict(sc.grid.state_caps_mw))
    define_capex_budget(m, sc.planning.capex_budget_usd_per_year)
    define_one_tier(m)
    define_rounding_cuts(m, inputs.training_mw)
    define_coverage(m)
    return m


def define_rounding_cuts(m: PlannerModel, training_mw: FloatArray) -> None:
    """Mixed-integer rounding cuts on the core modules that training needs, per year.

    From the capacity and training rows, ``a * sum_c n_cy + uT_y >= D_y`` (``a`` the core module,
    ``D_y`` the training load); with ``beta = D_y / a`` and ``f = beta - floor(beta) > 0`` the MIR
    inequality ``sum_c n_cy + uT_y / (a f) >= ceil(beta)`` is valid for every integer solution
    and cuts off the LP's fractional modules. Skipped when core modules differ in size.
    """
    lay = m.layout
    if lay.C == 0:
        return
    mod = m.fac.module_mw[m.core]
    if not np.allclose(mod, mod[0]):
        return
    a = float(mod[0])
    rows, cols, vals, lb = [], [], [], []
    i = 0
    for y in range(lay.Y):
        beta = float(training_mw[y]) / a
        f = beta - math.floor(beta)
        if beta <= 0 or f < 1e-6:
            continue
        rows.append(np.full(lay.C + 1, i))
        cols.append(np.r_[lay.offsets["n"] + m.core * lay.Y + y, lay.offsets["uT"] + y])
        vals.append(np.r_[np.ones(lay.C), 1.0 / (a * f)])
        lb.append(math.ceil(beta))
        i += 1
    if i == 0:
        return
    a_mat = _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (i, lay.num_col))
    m.add_rows("mir_training", a_mat, np.array(lb, dtype=np.float64), np.inf)


__all__ = [
    "TIERS",
    "UNPROTECTED_PENALTY_FRAC",
    "Economics",
    "Facilities",
    "Groups",
    "ModelLayout",
    "PairTable",
    "PlannerModel",
    "build_economics",
    "build_facilities",
    "build_groups_and_pairs",
    "build_model",
    "capacity_rows",
    "coverage_caps",
    "define_backup",
    "define_capacity",
    "define_capex_budget",
    "define_coverage",
    "define_demand",
    "define_linking",
    "define_loads",
    "define_monotone",
    "define_one_tier",
    "define_rounding_cuts",
    "define_state_caps",
    "define_training",
    "define_variables",
    "growth_ratio",
    "link_year",
    "nearest_per_tier",
    "needs_backup",
    "pair_load_mw",
    "pair_penalty_usd",
    "with_mw_factor",
]
