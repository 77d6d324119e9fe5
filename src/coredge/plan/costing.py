"""Site pricing: the one home of the formulas that price a site's capex, energy, opex and carbon.

Pure array arithmetic over (sites x years). The greedy planner's core ranking, the MILP's unit
costs (`coredge.plan.model.build_economics`) and its certified objective
(`coredge.plan.milp.plan_objective_usd`), the finance adaptor (`coredge.finance.from_plan`) and
the cash flows (`coredge.finance.cashflow`) all price a site with the functions below, so that a
MW costs the same wherever it is priced. `site_costs` applies them to a plan; the finance stage
turns its figures into cash flows and NPV/IRR, the report shows them per tier.

Discounting and escalation are `coredge.units.discount_factors` and
`coredge.units.escalation_factors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from coredge.inputs.build import Inputs
from coredge.plan.power_paths import path_costs
from coredge.plan.result import Plan
from coredge.units import HOURS_PER_YEAR, escalation_factors, plan_year_offsets

FloatArray = npt.NDArray[np.float64]


class TierPricing(Protocol):
    """The unit prices of a tier that site pricing reads (`coredge.scenario.schema.TierSpec`)."""

    @property
    def facility_capex_usd_per_mw(self) -> float: ...
    @property
    def land_and_soft_cost_frac(self) -> float: ...
    @property
    def opex_frac_of_facility_capex_per_year(self) -> float: ...
    @property
    def staff_usd_per_mw_year(self) -> float: ...


@dataclass(frozen=True)
class TierPrices:
    """Unit prices of each site's tier, arrays of shape (S,).

    Attributes
    ----------
    facility_capex_usd_per_mw : facility capex including land and soft costs [USD/MW IT].
    opex_frac : maintenance, insurance and taxes per year as a share of facility capex [fraction/year].
    staff_usd_per_mw_year : staff cost per MW of installed IT [USD/(MW year)].
    """

    facility_capex_usd_per_mw: FloatArray
    opex_frac: FloatArray
    staff_usd_per_mw_year: FloatArray

    @property
    def fixed_opex_usd_per_mw_year(self) -> FloatArray:
        """Fixed opex of one installed MW [USD/(MW year)]: opex share of its capex plus staff."""
        return np.asarray(self.opex_frac * self.facility_capex_usd_per_mw + self.staff_usd_per_mw_year)


def tier_prices(tiers: Mapping[Any, TierPricing], tier: Sequence[str] | npt.ArrayLike) -> TierPrices:
    """Unit prices per site from the scenario's tier specifications.

    Parameters
    ----------
    tiers : mapping
        Tier id -> tier spec (``scenario.tiers``); prices in [USD/MW], [fraction/year], [USD/(MW year)].
    tier : sequence of str, shape (S,)
        Tier id of each site.

    Returns
    -------
    TierPrices
    """
    spec = [tiers[str(t)] for t in np.asarray(tier).ravel()]
    return TierPrices(
        facility_capex_usd_per_mw=np.array(
            [s.facility_capex_usd_per_mw * (1.0 + s.land_and_soft_cost_frac) for s in spec], dtype=np.float64
        ),
        opex_frac=np.array([s.opex_frac_of_facility_capex_per_year for s in spec], dtype=np.float64),
        staff_usd_per_mw_year=np.array([s.staff_usd_per_mw_year for s in spec], dtype=np.float64),
    )


def gpus_per_mw(it_kw_per_gpu: Any) -> Any:
    """GPUs per MW of IT power [GPUs/MW] from the IT power of one GPU with its server share [kW].

    ``it_kw_per_gpu`` may be an array (one figure per site: each tier's accelerator).

    Examples
    --------
    >>> gpus_per_mw(1.25)
    800.0
    """
    return 1000.0 / it_kw_per_gpu


def whole_gpus(it_mw: npt.ArrayLike, it_kw_per_gpu: float | FloatArray) -> FloatArray:
    """Whole GPUs that fit in an IT power, as a site buys them [count].

    Parameters
    ----------
    it_mw : array_like
        Installed IT power [MW].
    it_kw_per_gpu : float or ndarray
        IT power of one GPU with its server share [kW], broadcast against `it_mw`.

    Examples
    --------
    >>> whole_gpus([1.0, 0.0019], 1.25).tolist()
    [800.0, 1.0]
    """
    return np.asarray(np.floor(np.asarray(it_mw, dtype=np.float64) * 1000.0 / it_kw_per_gpu))


def capacity_additions(
    it_mw_by_year: FloatArray, existing_it_mw: FloatArray, it_kw_per_gpu: float | FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IT MW and whole GPUs added each year above the brownfield capacity (which is sunk).

    Parameters
    ----------
    it_mw_by_year : ndarray, shape (S, Y)
        Installed IT power per site and year [MW].
    existing_it_mw : ndarray, shape (S,)
        Brownfield IT power already installed before the first year [MW].
    it_kw_per_gpu : float or ndarray, shape (S,)
        IT power of one GPU with its server share [kW] (per site: its tier's accelerator).

    Returns
    -------
    added_mw, gpus, gpus_added : ndarray, shape (S, Y)
        IT power added [MW], GPUs installed [count] and GPUs bought [count] each year.
    """
    ex = np.asarray(existing_it_mw, dtype=np.float64).reshape(-1, 1)
    added = np.diff(it_mw_by_year, axis=1, prepend=ex)
    kw = it_kw_per_gpu if np.ndim(it_kw_per_gpu) == 0 else np.asarray(it_kw_per_gpu, dtype=np.float64).reshape(-1, 1)
    gpus = whole_gpus(it_mw_by_year, kw)
    gpus_added = np.diff(gpus, axis=1, prepend=whole_gpus(ex, kw))
    return added, gpus, gpus_added


def grid_energy_mwh(it_load_mw: npt.ArrayLike, utilisation_frac: npt.ArrayLike, pue: npt.ArrayLike) -> FloatArray:
    """Energy a site draws from the grid in a year: IT load x utilisation x PUE x 8760 h [MWh].

    Parameters
    ----------
    it_load_mw : array_like
        IT power installed for load [MW].
    utilisation_frac : float or array_like
        Average GPU utilisation [fraction], broadcast against `it_load_mw`.
    pue : array_like
        Power usage effectiveness [ratio], broadcast against `it_load_mw`.

    Examples
    --------
    >>> float(grid_energy_mwh(1.0, 0.5, 1.2))
    5256.0
    """
    load = np.asarray(it_load_mw, dtype=np.float64)
    return np.asarray(load * np.asarray(utilisation_frac, dtype=np.float64) * np.asarray(pue, dtype=np.float64) * HOURS_PER_YEAR)


def energy_cost_usd(
    energy_mwh: npt.ArrayLike, price_usd_per_mwh: npt.ArrayLike, escalation: npt.ArrayLike
) -> FloatArray:
    """Cost of grid energy at an escalating tariff: energy x price x escalation [USD].

    Parameters
    ----------
    energy_mwh : array_like
        Grid energy [MWh].
    price_usd_per_mwh : array_like
        First-year tariff [USD/MWh].
    escalation : array_like
        Price multiplier of the year (`coredge.units.escalation_factors`) [ratio].
    """
    e = np.asarray(energy_mwh, dtype=np.float64)
    return np.asarray(e * np.asarray(price_usd_per_mwh, dtype=np.float64) * np.asarray(escalation, dtype=np.float64))


def energy_usd_per_mw_year(
    utilisation_frac: float | FloatArray,
    pue: npt.ArrayLike,
    price_usd_per_mwh: npt.ArrayLike,
    years: npt.ArrayLike,
    escalator_rate: float,
) -> FloatArray:
    """Energy cost of one MW of IT load per site and year, with the power-price escalator.

    Parameters
    ----------
    utilisation_frac : float or ndarray, shape (S,)
        Average GPU utilisation (times the average draw of a busy GPU) [fraction].
    pue : array_like, shape (S,)
        Power usage effectiveness [ratio].
    price_usd_per_mwh : array_like, shape (S,)
        First-year tariff [USD/MWh].
    years : array_like, shape (Y,)
        Plan years; the first is the escalator's base year [year].
    escalator_rate : float
        Power-price escalation [fraction/year].

    Returns
    -------
    ndarray, shape (S, Y)
        [USD/(MW year)], undiscounted.

    Examples
    --------
    >>> energy_usd_per_mw_year(0.5, [1.0], [100.0], [2026, 2027], 0.1).round(6).tolist()
    [[438000.0, 481800.0]]
    """
    esc = escalation_factors(escalator_rate, plan_year_offsets(years))
    e = grid_energy_mwh(1.0, utilisation_frac, np.asarray(pue, dtype=np.float64))
    return energy_cost_usd(e[:, None], np.asarray(price_usd_per_mwh, dtype=np.float64)[:, None], esc[None, :])


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
    co2_t : location-based emissions [t CO2], with bridge generation's CO2 above the grid's.
    gpus : installed GPUs [count].
    capex_power_usd, opex_power_usd : power-path capex and opex (bridge units, batteries, the
        backup credit; bridge fuel above the grid, curtailed rent, battery O&M;
        `coredge.plan.power_paths.path_costs`); None: no power paths.
    """

    capex_facility_usd: FloatArray
    capex_it_usd: FloatArray
    opex_fixed_usd: FloatArray
    energy_mwh: FloatArray
    energy_cost_usd: FloatArray
    co2_t: FloatArray
    gpus: FloatArray
    capex_power_usd: FloatArray | None = None
    opex_power_usd: FloatArray | None = None

    @property
    def capex_usd(self) -> FloatArray:
        c = self.capex_facility_usd + self.capex_it_usd
        return c if self.capex_power_usd is None else c + self.capex_power_usd

    @property
    def opex_usd(self) -> FloatArray:
        o = self.opex_fixed_usd + self.energy_cost_usd
        return o if self.opex_power_usd is None else o + self.opex_power_usd


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
    prices = tier_prices(sc.tiers, sites["tier"].to_numpy())
    fac_per_mw = prices.facility_capex_usd_per_mw.reshape(n_sites, 1)
    opex_frac = prices.opex_frac.reshape(n_sites, 1)
    staff = prices.staff_usd_per_mw_year.reshape(n_sites, 1)
    pue = sites["pue"].to_numpy(dtype=np.float64).reshape(n_sites, 1)
    price = sites["price_usd_per_mwh"].to_numpy(dtype=np.float64).reshape(n_sites, 1)
    carbon = sites["gco2_per_kwh"].to_numpy(dtype=np.float64).reshape(n_sites, 1)

    inst = plan.it_mw_by_year
    # Brownfield capacity is sunk: only capacity above it is bought.
    existing = (
        sites["existing_it_mw"].to_numpy(dtype=np.float64)
        if "existing_it_mw" in sites.columns
        else np.zeros(n_sites)
    )
    # each site's GPUs are its tier's accelerator (hardware.tiers; the same everywhere by default)
    tier = sites["tier"].to_numpy()
    added, gpus, gpus_added = capacity_additions(inst, existing, inputs.site_it_kw_per_gpu(tier))
    capex_fac = added * fac_per_mw
    capex_it = gpus_added * inputs.site_gpu_capex_usd(tier).reshape(n_sites, 1)
    fixed = np.cumsum(capex_fac, axis=1) * opex_frac + inst * staff
    # busy nameplate MW x the average draw of a busy GPU (not its nameplate) x PUE
    draw = inputs.site_energy_draw_frac(tier).reshape(n_sites, 1)
    energy = grid_energy_mwh(plan.load_mw_by_year, sc.hardware.utilisation_frac * draw, pue)
    esc = escalation_factors(sc.economics.power_price_escalator_rate, plan_year_offsets(plan.years))
    energy_cost = energy_cost_usd(energy, price, esc[None, :])
    co2 = energy * carbon / 1000.0  # MWh x kg/MWh -> kg; /1000 -> t
    # power paths (coredge.plan.power_paths): bridge units, fuel, curtailment, batteries
    pc = path_costs(plan, energy)
    return SiteCosts(capex_fac, capex_it, fixed, energy, energy_cost, co2 + pc.co2_t, gpus,
                     pc.capex_usd, pc.opex_usd)


def gpu_hour_revenue_usd_per_mw_year(
    it_kw_per_gpu: float | FloatArray, utilisation_frac: float, gpu_hour_price_usd: npt.ArrayLike
) -> FloatArray:
    """GPU-hour revenue of one installed MW of IT per year: GPUs/MW x 8760 h x utilisation x price.

    Parameters
    ----------
    it_kw_per_gpu : float or ndarray, shape (S,)
        IT power of one GPU with its server share [kW] (per site: its tier's accelerator).
    utilisation_frac : float
        Average GPU utilisation [fraction].
    gpu_hour_price_usd : array_like, shape (S,)
        Price of a GPU-hour at each site's tier [USD/GPU-hour].

    Returns
    -------
    ndarray, shape (S,)
        [USD/(MW year)].

    Examples
    --------
    >>> gpu_hour_revenue_usd_per_mw_year(1.25, 0.5, [2.0]).tolist()
    [7008000.0]
    """
    price = np.asarray(gpu_hour_price_usd, dtype=np.float64)
    return np.asarray(gpus_per_mw(it_kw_per_gpu) * HOURS_PER_YEAR * utilisation_frac * price)
