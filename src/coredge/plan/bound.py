"""A cheap lower bound on the full planner model, valid without solving any LP.

Drop from the full model (every reachable pair) the rows that couple facilities or years: the
single-site-failure rows, module integrality and limits, monotone modules, state caps, the capex
budget, one tier per site and the brownfield minimum. What remains separates: each demand group
is served at its cheapest reachable facility per MW (energy plus the module cost spread per MW
in each year, plus the penalty for years before the facility is online) or left unmet, and each
year's training runs at the cheapest online core campus per MW or is left unmet. Removing
constraints can only lower a minimum, so the value bounds the full model from below.

It ignores what makes plans expensive (whole modules, reserve capacity), so it is weak; the
planner reports it only when the LP bound (`coredge.plan.milp.lp_bound_full`) is weaker.
"""

from __future__ import annotations

import numpy as np

from coredge.plan import model as sm


def separable_bound_usd(
    fac: sm.Facilities,
    groups: sm.Groups,
    full: sm.PairTable,
    econ: sm.Economics,
    years: np.ndarray,
    training_mw: np.ndarray,
) -> float:
    """Lower bound on the planner model's objective from its separable relaxation [USD].

    Parameters
    ----------
    fac, groups, full
        Facilities, demand groups and every reachable pair.
    econ : Economics
        Discounted unit costs (`coredge.plan.model.build_economics`).
    years : ndarray of int
        Plan years [year].
    training_mw : ndarray, shape (Y,)
        Training IT load per year [MW].

    Returns
    -------
    float
        A lower bound in the model's terms (fractional GPUs) [USD].

    Examples
    --------
    Used by `coredge.plan.milp.milp_plan`; see the module docstring for the argument.
    """
    online = years[None, :] >= fac.online_year[:, None]  # (F, Y)
    mod_cost = econ.module_usd / fac.module_mw[:, None]  # discounted [USD per MW-year]
    # Negative module costs (npv mode) can be taken at every facility up to its limit.
    credit = float((np.minimum(econ.module_usd, 0.0) * fac.max_modules[:, None] * online).sum())
    per_mw = np.where(online, econ.energy_usd_per_mw + np.maximum(mod_cost, 0.0), 0.0)  # (F, Y)
    pen = econ.penalty_usd_per_mw
    c_pair = sm.pair_penalty_usd(groups, full, fac, years, pen)
    c_pair = c_pair + (sm.pair_load_mw(groups, full) * per_mw[full.fac]).sum(axis=1)
    best = (groups.load_mw * pen[None, :]).sum(axis=1)  # all unmet
    np.minimum.at(best, full.group, c_pair)
    core = np.flatnonzero(fac.serves_training)
    t_cost = 0.0
    for y in range(years.size):
        if training_mw[y] <= 0:
            continue
        on = core[online[core, y]]
        unit = float(pen[y])
        if on.size:
            unit = min(unit, float(per_mw[on, y].min()))
        t_cost += unit * float(training_mw[y])
    return float(best.sum()) + t_cost + credit + econ.offset_usd


__all__ = ["separable_bound_usd"]
