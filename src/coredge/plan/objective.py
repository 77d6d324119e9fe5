"""The planner's certified objective: the discounted cost of a plan, priced by costing.

`plan_objective_usd` prices any plan (greedy or MILP) with `coredge.plan.costing.site_costs`, so
the MILP's reported objective is an upper bound on the full model's optimum in the same money as
costing and finance; `gpu_floor_slack_usd` is how far costing's whole-GPU count can fall below the
model's fractional GPUs.
"""

from __future__ import annotations

import numpy as np

from coredge.inputs.build import Inputs
from coredge.plan.costing import gpu_hour_revenue_usd_per_mw_year, site_costs
from coredge.plan.facilities import Facilities
from coredge.plan.result import Plan
from coredge.units import discount_factors, plan_year_offsets


def plan_objective_usd(inputs: Inputs, plan: Plan, objective: str = "cost") -> float:
    """Discounted total cost of a plan, priced by `coredge.plan.costing.site_costs` [USD].

    Capex when capacity is added (facility incl. land/soft costs, whole GPUs per site as costing
    counts them; brownfield capacity sunk), fixed opex and energy each year, discounted with the
    first plan year undiscounted, plus the unmet-demand penalty; with ``objective="npv"`` minus
    GPU-hour revenue on installed GPUs (as in `coredge.pipeline.economics`). A MILP plan adds
    its model charges (``plan.solver["model_charges_usd"]``: unprotected shares priced like
    unmet demand, and any shortfall below the coverage target), which are part of the objective
    its bound refers to.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan
    objective : str
        ``"cost"`` or ``"npv"``.

    Returns
    -------
    float
        Discounted cost [USD] (negative NPV plus penalty for ``"npv"``).
    """
    sc = inputs.scenario
    years = plan.years
    disc = discount_factors(sc.economics.discount_rate, plan_year_offsets(years))
    total = 0.0
    if plan.n_sites:
        c = site_costs(inputs, plan)
        total = float(((c.capex_usd + c.opex_usd) * disc[None, :]).sum())
        if objective == "npv":
            tier = plan.sites["tier"].to_numpy()
            price = np.array([sc.economics.gpu_hour_price_usd.get(t, 0.0) for t in tier])
            rev = gpu_hour_revenue_usd_per_mw_year(inputs.site_it_kw_per_gpu(tier), sc.hardware.utilisation_frac, price)
            total -= float((plan.it_mw_by_year * rev[:, None] * disc[None, :]).sum())
    total += float((plan.unmet_mw.sum(axis=0) * disc).sum() * sc.economics.unmet_demand_penalty_usd_per_mw_year)
    # The MILP's own charges (unprotected shares, coverage shortfall): part of its objective.
    total += float(plan.solver.get("model_charges_usd", 0.0)) if plan.solver else 0.0
    return total


def gpu_floor_slack_usd(inputs: Inputs, fac: Facilities) -> float:
    """How far costing's whole-GPU count can price a plan below the model's objective [USD].

    The model prices GPUs as IT MW x GPUs/MW; costing buys ``floor`` of that per site and year.
    Per site the discounted difference telescopes to ``sum_y frac_y (d_y - d_{y+1}) <= d_0 = 1``
    GPU, so a bound on the model minus one GPU's capex per candidate site bounds costing's figure.
    """
    return float(np.unique(fac.site).size) * float(inputs.site_gpu_capex_usd(fac.tier).max(initial=inputs.gpu_capex_usd))
