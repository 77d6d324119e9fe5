"""The multi-year planner model aggregated over the years: a one-period-sized relaxation and its plan.

Shares are constant over the years and, with uniform growth (``growth_ratio`` non-empty, the case
for `coredge.inputs.build_inputs`), each facility's yearly load is ``ratio[y] * (L_f + R_f)``
(inference plus backup reserve in the peak year) plus training at core campuses. The only
intertemporal choices are which facilities open and how load is split; the yearly modules of a
non-core facility follow from its peak-year load.

`build_aggregate_model` keeps the full model's columns and rows except, for every facility that
does not host training:

* the modules of the years before the last are dropped and their cost is charged on the load
  itself: each online year y costs ``module_usd[f, y] / module_mw[f] * ratio[y]`` per MW of
  ``L_f + R_f``; since every module cost is non-negative (cost objective) and the full model's
  capacity rows give ``module_mw * n[f, y] >= ratio[y] * (L_f + R_f)``, this never exceeds the
  full model's cost of those modules;
* the linking rows point at the last year's modules: ``x + b <= n[f, y*] <= n[f, last]`` by
  the full model's monotone rows.

Core campuses keep their yearly modules (continuous before the last year), capacity and
monotone rows, so yearly training stays exact. The last year's modules stay integer. Every plan
of the full model maps to a point of this model that costs no more, so this model's optimum, or
any valid lower bound on it (its LP relaxation over every reachable pair, by column generation),
is a lower bound on the full model's optimum. See docs/planner.md.

`exact_modules` turns a solution of it back into the exact yearly plan: modules =
``ceil(yearly need / module)`` from the online year, never shrinking.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from coredge.inputs.build import Inputs
from coredge.plan import model as sm

FloatArray = npt.NDArray[np.float64]


def aggregation_applies(inputs: Inputs, groups: sm.Groups, objective: str) -> bool:
    """Whether the aggregated relaxation is valid: uniform growth, cost objective, no capex budget.

    Examples
    --------
    A capex budget per year couples the years (capex in year y depends on the yearly modules), so
    the planner falls back to the full model then.
    """
    return (
        objective == "cost"
        and inputs.scenario.planning.capex_budget_usd_per_year is None
        and sm.growth_ratio(groups.load_mw).size > 0
    )


def build_aggregate_model(
    inputs: Inputs,
    fac: sm.Facilities,
    groups: sm.Groups,
    pairs: sm.PairTable,
    econ: sm.Economics,
    resilient: bool,
) -> sm.PlannerModel:
    """The aggregated relaxation of the planner model over the given pairs (see the module doc).

    Parameters
    ----------
    inputs : Inputs
    fac, groups, pairs
        Facilities, demand groups and the pairs to keep.
    econ : Economics
        Discounted unit costs; every module cost must be non-negative (cost objective).
    resilient : bool
        Single-site failure rows.

    Returns
    -------
    PlannerModel
        Same column layout as `coredge.plan.model.build_model`; non-core modules before
        the last year are fixed at 0 and only the last year's modules (and open binaries) are
        integer.
    """
    m = sm.define_variables(inputs, fac, groups, pairs, econ, resilient)
    lay = m.layout
    F, Y = lay.F, lay.Y
    if lay.P != 1:
        raise ValueError("aggregation needs uniform growth (one load column per facility)")
    if (econ.module_usd < 0).any():
        raise ValueError("aggregation needs non-negative module costs (cost objective)")
    years = np.asarray(inputs.years)
    online = years[None, :] >= fac.online_year[:, None]
    keep_years = fac.serves_training  # facilities whose yearly modules stay
    early = np.zeros((F, Y), dtype=bool)
    early[:, : Y - 1] = True
    drop = early & ~keep_years[:, None]  # non-core modules before the last year
    ns = lay.block("n")
    cost_n = m.col_cost[ns].reshape(F, Y)
    lo_n = m.col_lower[ns].reshape(F, Y)
    hi_n = m.col_upper[ns].reshape(F, Y)
    int_n = m.integer[ns].reshape(F, Y)
    fold = (np.where(drop & online, econ.module_usd, 0.0) / fac.module_mw[:, None] * m.ratio[None, :]).sum(axis=1)
    cost_n[drop] = 0.0
    lo_n[drop] = 0.0
    hi_n[drop] = 0.0
    int_n[:, : Y - 1] = False
    m.col_cost[ns] = cost_n.ravel()
    m.col_lower[ns] = lo_n.ravel()
    m.col_upper[ns] = hi_n.ravel()
    m.integer[ns] = int_n.ravel()
    m.col_cost[lay.block("L")] += fold
    if resilient:
        m.col_cost[lay.block("R")] += fold
    sm.define_demand(m)
    sm.define_loads(m)
    sm.define_backup(m)
    _define_linking(m, keep_years)
    _define_capacity(m, keep_years)
    _define_monotone(m, keep_years)
    sm.define_training(m, inputs.training_mw)
    sm.define_state_caps(m, dict(inputs.scenario.grid.state_caps_mw))
    sm.define_one_tier(m)
    sm.define_rounding_cuts(m, inputs.training_mw)
    sm.define_coverage(m)
    return m


def _define_linking(m: sm.PlannerModel, keep_years: npt.NDArray[np.bool_]) -> None:
    """``x + b <= n[f, y*]`` for facilities with yearly modules, ``<= n[f, last]`` for the others."""
    lay = m.layout
    y = sm.link_year(m)
    q = np.flatnonzero(y >= 0)
    y_use = np.where(keep_years[m.pairs.fac[q]], y[q], lay.Y - 1)
    r = np.arange(q.size)
    rows = [r, r]
    cols = [lay.offsets["x"] + q, lay.offsets["n"] + m.pairs.fac[q] * lay.Y + y_use]
    vals = [np.ones(q.size), -np.ones(q.size)]
    if lay.resilient:
        rows.append(r)
        cols.append(lay.offsets["b"] + q)
        vals.append(np.ones(q.size))
    a = sm._coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (q.size, lay.num_col))
    m.add_rows("link", a, -np.inf, 0.0)


def _define_capacity(m: sm.PlannerModel, keep_years: npt.NDArray[np.bool_]) -> None:
    """Capacity rows of the last year for every facility and of every online year for core ones."""
    Y = m.layout.Y
    years = np.asarray(m.years)
    use = (m.fac.online_year[:, None] <= years[None, :]) & (keep_years[:, None] | (np.arange(Y) == Y - 1)[None, :])
    sm.capacity_rows(m, use)


def _define_monotone(m: sm.PlannerModel, keep_years: npt.NDArray[np.bool_]) -> None:
    """``n[f, y] >= n[f, y-1]`` for the facilities that keep yearly modules."""
    lay = m.layout
    Y = lay.Y
    fs = np.flatnonzero(keep_years)
    if Y < 2 or fs.size == 0:
        return
    f_idx = np.repeat(fs, Y - 1)
    y_idx = np.tile(np.arange(1, Y), fs.size)
    r = np.arange(f_idx.size)
    base = lay.offsets["n"] + f_idx * Y + y_idx
    a = sm._coo(np.r_[r, r], np.r_[base, base - 1], np.r_[np.ones(r.size), -np.ones(r.size)],
                (r.size, lay.num_col))
    m.add_rows("monotone", a, 0.0, np.inf)


def exact_modules(m: sm.PlannerModel, v: FloatArray) -> FloatArray:
    """Exact yearly modules for a solution's shares, backup and training [modules], shape (F, Y).

    Each online year gets ``ceil((ratio[y] * (L_f + R_f) + T[f, y]) / module_mw)`` modules (at
    least the brownfield minimum), never shrinking; 0 before the online year.

    Parameters
    ----------
    m : PlannerModel
        A model with one load column per facility (uniform growth).
    v : ndarray
        A solution vector of `m` (shares, backup, training are read).

    Returns
    -------
    ndarray, shape (F, Y)
        Installed modules per facility and year.

    Examples
    --------
    Used by `coredge.plan.milp.milp_plan` on the aggregated model's solution.
    """
    lay = m.layout
    F, Y = lay.F, lay.Y
    gl = sm.pair_load_mw(m.groups, m.pairs)[:, -1]
    xs = np.clip(v[lay.block("x")], 0.0, 1.0)
    xs[xs < 1e-7] = 0.0
    peak = np.bincount(m.pairs.fac, weights=xs * gl, minlength=F)
    if lay.resilient:
        bs = np.clip(v[lay.block("b")], 0.0, 1.0)
        bs[bs < 1e-9] = 0.0
        peak = peak + np.bincount(m.pairs.fac, weights=bs * gl, minlength=F)
    need = peak[:, None] * m.ratio[None, :]
    t = np.maximum(v[lay.block("T")].reshape(lay.C, Y), 0.0)
    t[t < 1e-9] = 0.0
    need[m.core] += t
    online = np.asarray(m.years)[None, :] >= m.fac.online_year[:, None]
    n = np.where(online, np.ceil(need / m.fac.module_mw[:, None] - 1e-9), 0.0)
    n = np.where(online, np.maximum(n, m.fac.min_modules[:, None]), 0.0)
    return np.asarray(np.maximum.accumulate(n, axis=1), dtype=np.float64)


__all__ = ["aggregation_applies", "build_aggregate_model", "exact_modules"]
