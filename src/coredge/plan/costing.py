"""Plan -> yearly physical and cost quantities per site: capex, opex, energy, carbon.

Pure array arithmetic over (sites x years). The finance stage turns these into cash flows and
NPV/IRR; the report shows them per tier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.inputs.build import Inputs
from coredge.plan.result import Plan
from coredge.units import HOURS_PER_YEAR

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SiteCosts:
    """Yearly quantities per site, arrays of shape (S, Y).

    Attributes
    ----------
    capex_facility_usd : facility (shell, power, cooling) plus land and soft costs spent each year.
    capex_it_usd : GPU servers and network bought each year (first fill and expansions).
    opex_fixed_usd : maintenance, insurance, taxes (fraction of facility capex) plus staff.
    energy_mwh : facility energy drawn from the grid [MWh].
    energy_cost_usd : energy at the site's tariff with the scenario's escalator.
    co2_t : location-based emissions [t CO2].
    gpus : installed GPUs [count].
    """

    capex_facility_usd: FloatArray
    capex_it_usd: FloatArray
    opex_fixed_usd: FloatArray
    energy_mwh: FloatArray
    energy_cost_usd: FloatArray
    co2_t: FloatArray
    gpus: FloatArray

    @property
    def capex_usd(self) -> FloatArray:
        return self.capex_facility_usd + self.capex_it_usd

    @property
    def opex_usd(self) -> FloatArray:
        return self.opex_fixed_usd + self.energy_cost_usd


def site_costs(inputs: Inputs, plan: Plan) -> SiteCosts:
    """Capex, opex, energy and emissions per site and year.

    Capex falls in the year capacity is added (the finance stage phases it over construction).
    Average IT power is installed-for-load IT MW times the scenario's GPU utilisation; the grid
    draws that times the site's PUE.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan

    Returns
    -------
    SiteCosts
    """
    sc = inputs.scenario
    sites = plan.sites
    n_sites = len(sites)
    years = plan.years
    tiers = sc.tiers
    tier = sites["tier"].to_numpy()
    fac_per_mw = np.array(
        [tiers[t].facility_capex_usd_per_mw * (1.0 + tiers[t].land_and_soft_cost_frac) for t in tier],
        dtype=np.float64,
    ).reshape(n_sites, 1)
    opex_frac = np.array([tiers[t].opex_frac_of_facility_capex_per_year for t in tier], dtype=np.float64).reshape(n_sites, 1)
    staff = np.array([tiers[t].staff_usd_per_mw_year for t in tier], dtype=np.float64).reshape(n_sites, 1)
    pue = sites["pue"].to_numpy(dtype=np.float64).reshape(n_sites, 1)
    price = sites["price_usd_per_mwh"].to_numpy(dtype=np.float64).reshape(n_sites, 1)
    carbon = sites["gco2_per_kwh"].to_numpy(dtype=np.float64).reshape(n_sites, 1)

    inst = plan.it_mw_by_year
    # Brownfield capacity is sunk: only capacity above it is bought.
    existing = (
        sites["existing_it_mw"].to_numpy(dtype=np.float64).reshape(n_sites, 1)
        if "existing_it_mw" in sites.columns
        else np.zeros((n_sites, 1))
    )
    added = np.diff(inst, axis=1, prepend=existing)
    gpus = np.floor(inst * 1000.0 / inputs.it_kw_per_gpu)
    gpus_added = np.diff(gpus, axis=1, prepend=np.floor(existing * 1000.0 / inputs.it_kw_per_gpu))
    capex_fac = added * fac_per_mw
    capex_it = gpus_added * inputs.gpu_capex_usd
    fixed = np.cumsum(capex_fac, axis=1) * opex_frac + inst * staff
    it_avg_mw = plan.load_mw_by_year * sc.hardware.utilisation_frac
    energy = it_avg_mw * pue * HOURS_PER_YEAR
    esc = (1.0 + sc.economics.power_price_escalator_rate) ** (years - years[0]).astype(np.float64)
    energy_cost = energy * price * esc[None, :]
    co2 = energy * carbon / 1000.0  # MWh x kg/MWh -> kg; /1000 -> t
    return SiteCosts(capex_fac, capex_it, fixed, energy, energy_cost, co2, gpus)
