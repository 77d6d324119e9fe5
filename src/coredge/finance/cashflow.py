"""Yearly cash flows per site: capex phasing, IT refresh, opex, energy, revenue, depreciation, tax.

Arrays are ``(sites, years)`` (or ``(trials, sites, years)`` in `evaluate`), year index ``t = 0 ..
T-1`` with ``t = 0`` the horizon's first calendar year ``FinanceAssumptions.start_year``; every
flow falls at the end of its year (see `coredge.finance.metrics`). Costs are positive numbers in
the line items; `CashFlows.net_usd` applies the signs.

The model is built in two steps so that Monte Carlo can reuse it:

1. `build_drivers` turns `SiteInputs` and `FinanceAssumptions` into `Drivers`: capacity, price
   and cost paths per unit of "full volume" (all capacity sold at the base utilisation or
   stabilised occupancy), before any uncertainty.
2. `evaluate` combines the drivers with `Shocks` (demand growth, power price, GPU price decline,
   utilisation, pre-leased share, interconnection delay, capex overrun) into line items.
   `site_cash_flows` is `evaluate` at the neutral shock (the base case).

Volume: a share ``s`` of capacity is contracted (pre-leased) from the online year; the rest is
merchant and ramps up linearly over ``absorption_years``; a utilisation multiplier ``u`` and
demand growth ``g`` scale the merchant volume, capped at full physical capacity:
``volume_t = s * on_t + (1 - s) * min(cap, ramp_t * u * (1 + g) ** t)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError, Problem
from coredge.finance.accounting import (
    income_tax,
    phasing_weights,
    shift_years,
    straight_line_depreciation,
)
from coredge.finance.assumptions import FACILITY_COMPONENTS, FinanceAssumptions
from coredge.plan.costing import energy_cost_usd, grid_energy_mwh
from coredge.scenario.schema import TIER_IDS
from coredge.units import HOURS_PER_YEAR, SECONDS_PER_HOUR, escalation_factors

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TIER_ORDER: tuple[str, ...] = TIER_IDS
"""Canonical order of the built-in tiers in per-tier outputs (`coredge.scenario.schema.TIER_IDS`;
others follow, sorted)."""


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class SiteInputs:
    """Per-site inputs, one entry per site (arrays of shape (S,) unless stated).

    Attributes
    ----------
    site_id, tier : tuple of str
        Identifier and tier id of each site.
    build_start_year, online_year : ndarray of int
        Calendar year construction starts and the year the site first earns revenue [year].
    it_mw : ndarray
        IT capacity [MW].
    gpus : ndarray
        Installed GPUs [count].
    pue : ndarray
        Power usage effectiveness [ratio].
    utilisation_frac : ndarray
        Average GPU utilisation at full volume [fraction]; IT energy scales with it.
    energy_price_usd_per_mwh : ndarray
        Energy price in the first horizon year [USD/MWh].
    capex_facility_usd : ndarray, shape (S, 5)
        Facility capex per component in `FACILITY_COMPONENTS` order [USD].
    capex_it_usd : ndarray
        First IT purchase (servers, GPUs, network) [USD]; refreshed every ``it_refresh_years``.
    mtok_per_year : ndarray
        Tokens produced per year at full volume [million tokens/year]; NaN = derive from
        ``tokens_per_gpu_s`` for ``tokens`` sites, none otherwise.
    pre_leased_share, gpu_hour_price_usd, lease_usd_per_kw_month, usd_per_mtok : ndarray
        Per-site overrides of the tier assumptions; NaN = use the tier's value.
    energy_draw_frac : ndarray
        Average draw of a busy GPU over its nameplate IT power [fraction]; IT energy is
        ``it_mw x utilisation_frac x energy_draw_frac`` (1 = busy GPUs at nameplate).
    """

    site_id: tuple[str, ...]
    tier: tuple[str, ...]
    build_start_year: IntArray
    online_year: IntArray
    it_mw: FloatArray
    gpus: FloatArray
    pue: FloatArray
    utilisation_frac: FloatArray
    energy_price_usd_per_mwh: FloatArray
    capex_facility_usd: FloatArray
    capex_it_usd: FloatArray
    mtok_per_year: FloatArray
    pre_leased_share: FloatArray
    gpu_hour_price_usd: FloatArray
    lease_usd_per_kw_month: FloatArray
    usd_per_mtok: FloatArray
    energy_draw_frac: FloatArray | None = None

    @property
    def n_sites(self) -> int:
        """Number of sites S."""
        return len(self.site_id)

    @classmethod
    def create(
        cls,
        *,
        site_id: Sequence[str],
        tier: Sequence[str],
        build_start_year: npt.ArrayLike,
        online_year: npt.ArrayLike,
        it_mw: npt.ArrayLike,
        gpus: npt.ArrayLike,
        pue: npt.ArrayLike,
        utilisation_frac: npt.ArrayLike,
        energy_price_usd_per_mwh: npt.ArrayLike,
        capex_it_usd: npt.ArrayLike,
        capex_facility_usd: npt.ArrayLike | None = None,
        capex_facility_components_usd: npt.ArrayLike | None = None,
        facility_split: Sequence[float] | None = None,
        mtok_per_year: npt.ArrayLike | None = None,
        pre_leased_share: npt.ArrayLike | None = None,
        gpu_hour_price_usd: npt.ArrayLike | None = None,
        lease_usd_per_kw_month: npt.ArrayLike | None = None,
        usd_per_mtok: npt.ArrayLike | None = None,
        energy_draw_frac: npt.ArrayLike | None = None,
    ) -> SiteInputs:
        """Validate and build; give either total ``capex_facility_usd`` (split by
        ``facility_split``) or ``capex_facility_components_usd`` of shape (S, 5)."""
        n = len(site_id)
        problems: list[Problem] = []

        def arr(name: str, value: npt.ArrayLike | None, default: float = np.nan) -> FloatArray:
            a = np.full(n, default) if value is None else np.asarray(value, dtype=np.float64)
            a = np.broadcast_to(a, (n,)).astype(np.float64) if a.ndim == 0 else a.astype(np.float64)
            if a.shape != (n,):
                problems.append(Problem(name, a.shape, f"one value per site ({n})"))
                return np.full(n, np.nan)
            return a

        def check(name: str, a: FloatArray, ok: BoolArray, allowed: str, nan_ok: bool = False) -> None:
            bad = ~ok & ~(np.isnan(a) if nan_ok else np.zeros(n, dtype=bool))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                problems.append(Problem(f"{name}[{site_id[i]}]", float(a[i]), allowed))

        bsy = arr("build_start_year", build_start_year)
        oy = arr("online_year", online_year)
        it = arr("it_mw", it_mw)
        g = arr("gpus", gpus)
        pu = arr("pue", pue)
        ut = arr("utilisation_frac", utilisation_frac)
        ep = arr("energy_price_usd_per_mwh", energy_price_usd_per_mwh)
        cit = arr("capex_it_usd", capex_it_usd)
        with np.errstate(invalid="ignore"):
            check("build_start_year", bsy, np.isfinite(bsy) & (bsy == np.round(bsy)), "a whole calendar year")
            check("online_year", oy, np.isfinite(oy) & (oy == np.round(oy)) & (oy >= bsy), "a whole year >= build_start_year")
            check("it_mw", it, it >= 0, ">= 0 MW")
            check("gpus", g, g >= 0, ">= 0")
            check("pue", pu, pu >= 1, ">= 1")
            check("utilisation_frac", ut, (ut > 0) & (ut <= 1), "a fraction in (0, 1]")
            check("energy_price_usd_per_mwh", ep, ep >= 0, ">= 0 USD/MWh")
            check("capex_it_usd", cit, cit >= 0, ">= 0 USD")
        if len(tier) != n:
            problems.append(Problem("tier", len(tier), f"one tier per site ({n})"))
        if capex_facility_components_usd is not None:
            comp = np.asarray(capex_facility_components_usd, dtype=np.float64)
            if comp.shape != (n, len(FACILITY_COMPONENTS)):
                problems.append(
                    Problem("capex_facility_components_usd", comp.shape, f"shape ({n}, {len(FACILITY_COMPONENTS)})")
                )
                comp = np.zeros((n, len(FACILITY_COMPONENTS)))
        elif capex_facility_usd is not None:
            total = arr("capex_facility_usd", capex_facility_usd)
            split = np.asarray(facility_split if facility_split is not None else FinanceAssumptions().facility_split)
            comp = total[:, None] * split[None, :]
        else:
            problems.append(Problem("capex_facility_usd", None, "facility capex per site [USD]"))
            comp = np.zeros((n, len(FACILITY_COMPONENTS)))
        with np.errstate(invalid="ignore"):
            if not np.all(comp >= 0):
                problems.append(Problem("capex_facility_usd", "negative or NaN", ">= 0 USD"))
        shr = arr("pre_leased_share", pre_leased_share)
        with np.errstate(invalid="ignore"):
            check("pre_leased_share", shr, (shr >= 0) & (shr <= 1), "a fraction in [0, 1]", nan_ok=True)
        mt = arr("mtok_per_year", mtok_per_year)
        gp = arr("gpu_hour_price_usd", gpu_hour_price_usd)
        lr = arr("lease_usd_per_kw_month", lease_usd_per_kw_month)
        um = arr("usd_per_mtok", usd_per_mtok)
        dr = arr("energy_draw_frac", energy_draw_frac, 1.0)
        with np.errstate(invalid="ignore"):
            check("energy_draw_frac", dr, (dr > 0) & (dr <= 1), "a fraction in (0, 1]")
        with np.errstate(invalid="ignore"):
            for name, a in (("mtok_per_year", mt), ("gpu_hour_price_usd", gp), ("lease_usd_per_kw_month", lr), ("usd_per_mtok", um)):
                check(name, a, a >= 0, ">= 0", nan_ok=True)
        if problems:
            raise InputError(problems, "invalid site finance inputs")
        return cls(
            site_id=tuple(str(s) for s in site_id),
            tier=tuple(str(t) for t in tier),
            build_start_year=bsy.astype(np.int64),
            online_year=oy.astype(np.int64),
            it_mw=it,
            gpus=g,
            pue=pu,
            utilisation_frac=ut,
            energy_price_usd_per_mwh=ep,
            capex_facility_usd=comp,
            capex_it_usd=cit,
            mtok_per_year=mt,
            pre_leased_share=shr,
            gpu_hour_price_usd=gp,
            lease_usd_per_kw_month=lr,
            usd_per_mtok=um,
            energy_draw_frac=dr,
        )


# ------------------------------------------------------------------ drivers


@dataclass(frozen=True)
class Drivers:
    """Base-case paths per site, before uncertainty (arrays (S,) or (S, T)).

    Attributes
    ----------
    tiers : tuple of str
        Tier ids in output order; ``tier_index`` maps each site to one.
    tier_index : ndarray of int, shape (S,)
    on : (S, T) 1 from the online year, else 0 [fraction of contracted volume].
    ramp : (S, T) merchant absorption at base timing [fraction of full volume].
    share : (S,) base pre-leased share [fraction].
    cap : (S,) cap on the merchant volume multiplier (full physical capacity) [ratio].
    usage_priced : (S,) True for gpu_hour / tokens sites (merchant price declines).
    base_decline : (S,) base merchant price decline [fraction/year].
    p_con, p_mer : (S, T) revenue per year at full volume, contracted / merchant [USD].
    e_inv : (S, T) energy cost paid by the investor at full volume [USD].
    e_full : (S, T) energy cost at full volume whoever pays (for LCOC) [USD].
    energy_mwh_full : (S,) facility energy at full volume [MWh/year].
    gpu_hours_full : (S,) GPU-hours delivered at full volume [GPU-h/year].
    mtok_full : (S,) million tokens at full volume [Mtok/year], NaN when none.
    opex_items : dict of (S, T) maintenance, insurance, property_tax, staff, network [USD].
    capex_fac_comp : (S, C, T) phased facility capex by component [USD].
    capex_it_inv, capex_it_full : (S, T) IT purchases paid by the investor / by anyone [USD].
    dep_fac : (S, T) facility depreciation (land excluded) [USD].
    dep_it_inv, dep_it_full : (S, T) IT depreciation [USD].
    residual_fac : (S,) facility book value (land at cost) at the horizon end [USD].
    discount_rate, tax_rate : float
    tax_loss_carryforward : bool
    """

    tiers: tuple[str, ...]
    tier_index: IntArray
    on: FloatArray
    ramp: FloatArray
    share: FloatArray
    cap: FloatArray
    usage_priced: BoolArray
    base_decline: FloatArray
    p_con: FloatArray
    p_mer: FloatArray
    e_inv: FloatArray
    e_full: FloatArray
    energy_mwh_full: FloatArray
    gpu_hours_full: FloatArray
    mtok_full: FloatArray
    opex_items: dict[str, FloatArray]
    capex_fac_comp: FloatArray
    capex_it_inv: FloatArray
    capex_it_full: FloatArray
    dep_fac: FloatArray
    dep_it_inv: FloatArray
    dep_it_full: FloatArray
    residual_fac: FloatArray
    discount_rate: float
    tax_rate: float
    tax_loss_carryforward: bool

    @property
    def n_sites(self) -> int:
        """S."""
        return int(self.on.shape[0])

    @property
    def n_years(self) -> int:
        """T."""
        return int(self.on.shape[1])

    @property
    def opex_fixed(self) -> FloatArray:
        """Sum of the fixed opex items (S, T) [USD]."""
        out: FloatArray = sum(self.opex_items.values(), np.zeros_like(self.on))
        return out

    @property
    def capex_fac(self) -> FloatArray:
        """Phased facility capex, all components (S, T) [USD]."""
        out: FloatArray = self.capex_fac_comp.sum(axis=1)
        return out


def tier_order(tiers: Sequence[str]) -> tuple[str, ...]:
    """Unique tier ids: built-in tiers first in `TIER_ORDER`, then the rest sorted."""
    present = set(tiers)
    head = [t for t in TIER_ORDER if t in present]
    return tuple(head + sorted(present - set(head)))


def build_drivers(inputs: SiteInputs, assumptions: FinanceAssumptions) -> Drivers:
    """Turn site inputs and assumptions into base-case paths (see `Drivers`).

    Parameters
    ----------
    inputs : SiteInputs
    assumptions : FinanceAssumptions

    Returns
    -------
    Drivers
    """
    a = assumptions
    _S, T = inputs.n_sites, a.horizon_years
    t = np.arange(T, dtype=np.float64)[None, :]
    o = (inputs.online_year - a.start_year).astype(np.float64)[:, None]
    b = (inputs.build_start_year - a.start_year).astype(np.float64)[:, None]
    tf = [a.tier(x) for x in inputs.tier]
    tiers = tier_order(inputs.tier)
    tier_index = np.array([tiers.index(x) for x in inputs.tier], dtype=np.int64)

    def per_site(attr: str, override: FloatArray | None = None) -> FloatArray:
        base = np.array([getattr(x, attr) for x in tf], dtype=np.float64)
        if override is None:
            return base
        return np.where(np.isnan(override), base, override)

    model = np.array([x.revenue_model for x in tf])
    is_lease = model == "lease"
    is_tokens = model == "tokens"
    share = per_site("pre_leased_share", inputs.pre_leased_share)
    absorb = per_site("absorption_years")[:, None]
    occ = per_site("stabilised_occupancy_frac")
    decline = per_site("price_decline_rate")
    util = inputs.utilisation_frac

    on = (t >= o).astype(np.float64)
    age = t - o + 1.0  # 1 in the online year
    ramp = np.where(absorb > 0, np.clip(age / np.where(absorb > 0, absorb, 1.0), 0.0, 1.0), 1.0) * on

    # revenue per year at full volume
    gpu_hours_full = inputs.gpus * HOURS_PER_YEAR * util * np.where(is_lease, occ, 1.0)
    tok_s = per_site("tokens_per_gpu_s")
    derived_mtok = inputs.gpus * util * tok_s * HOURS_PER_YEAR * SECONDS_PER_HOUR / 1e6
    mtok_full = np.where(
        np.isnan(inputs.mtok_per_year), np.where(is_tokens, derived_mtok, np.nan), inputs.mtok_per_year
    )
    price0 = np.where(
        is_tokens,
        per_site("usd_per_mtok", inputs.usd_per_mtok) * np.nan_to_num(mtok_full),
        per_site("gpu_hour_price_usd", inputs.gpu_hour_price_usd) * gpu_hours_full,
    )[:, None]
    rent = per_site("lease_usd_per_kw_month", inputs.lease_usd_per_kw_month)[:, None]
    lease_esc = per_site("lease_escalator_rate")[:, None]
    lease_full = inputs.it_mw[:, None] * 1000.0 * occ[:, None] * 12.0 * rent * escalation_factors(lease_esc, t)
    d = decline[:, None]
    merchant_usage = price0 * (1.0 - d) ** t
    contract_usage = price0 * (1.0 - d) ** np.maximum(o, 0.0) * np.ones_like(t)
    lease_col = is_lease[:, None]
    p_mer = np.where(lease_col, lease_full, merchant_usage)
    p_con = np.where(lease_col, lease_full, contract_usage)
    cap = np.where(is_lease, 1.0 / occ, 1.0 / util)

    # energy at full volume
    # (lease: full volume is the stabilised occupancy of the IT capacity)
    draw = np.ones_like(util) if inputs.energy_draw_frac is None else inputs.energy_draw_frac
    energy_mwh_full = grid_energy_mwh(inputs.it_mw, util * draw, inputs.pue) * np.where(is_lease, occ, 1.0)
    e_full = energy_cost_usd(
        energy_mwh_full[:, None],
        inputs.energy_price_usd_per_mwh[:, None],
        escalation_factors(a.power_escalator_rate, t),
    )
    e_inv = np.where(lease_col, 0.0, e_full)

    # facility capex phased over construction; land bought at the start
    comp = inputs.capex_facility_usd
    lead = np.maximum(o - b, 1.0)[:, 0]
    w = phasing_weights(b[:, 0], lead, T, a.capex_shape)
    w_land = phasing_weights(b[:, 0], 1, T, "linear")
    capex_fac_comp = comp[:, :, None] * w[:, None, :]
    land_i = FACILITY_COMPONENTS.index("land")
    capex_fac_comp[:, land_i, :] = comp[:, land_i, None] * w_land

    # opex from the online year, escalated with inflation; not shifted by interconnection delay
    fac_total = comp.sum(axis=1)[:, None]
    infl = escalation_factors(a.inflation_rate, t) * on
    opex_items = {
        "maintenance_usd": per_site("maintenance_frac_per_year")[:, None] * fac_total * infl,
        "insurance_usd": per_site("insurance_frac_per_year")[:, None] * fac_total * infl,
        "property_tax_usd": per_site("property_tax_frac_per_year")[:, None] * fac_total * infl,
        "staff_usd": per_site("staff_usd_per_mw_year")[:, None] * inputs.it_mw[:, None] * infl,
        "network_usd": per_site("network_usd_per_mw_year")[:, None] * inputs.it_mw[:, None] * infl,
    }

    # IT bought in the online year and refreshed every it_refresh_years
    since = t - o
    refresh = (since >= 0) & (np.mod(since, a.it_refresh_years) == 0)
    capex_it_full = np.where(
        refresh, inputs.capex_it_usd[:, None] * (1.0 - a.it_cost_decline_rate) ** np.maximum(since, 0.0), 0.0
    )
    capex_it_inv = np.where(lease_col, 0.0, capex_it_full)
    dep_it_full = straight_line_depreciation(capex_it_full, a.it_life_years)
    dep_it_inv = np.where(lease_col, 0.0, dep_it_full)

    # facility (without land) depreciated from the online year on what was spent by then
    depreciable = capex_fac_comp.sum(axis=1) - capex_fac_comp[:, land_i, :]
    in_service = np.zeros_like(depreciable)
    oi = o[:, 0].astype(np.int64)
    cum = np.cumsum(depreciable, axis=1)
    rows = np.flatnonzero((oi >= 0) & (oi < T))
    in_service[rows, oi[rows]] = cum[rows, oi[rows]]
    # spend after the online year (none with the default phasing) enters service when spent
    after = np.where(t > o, depreciable, 0.0)
    in_service += after
    if np.any(oi < 0):  # online before the horizon: everything in service from year 0
        early = np.flatnonzero(oi < 0)
        in_service[early] = 0.0
        in_service[early, 0] = depreciable[early].sum(axis=1)
    dep_fac = straight_line_depreciation(in_service, a.facility_life_years)
    residual_fac = capex_fac_comp.sum(axis=(1, 2)) - dep_fac.sum(axis=1)

    return Drivers(
        tiers=tiers,
        tier_index=tier_index,
        on=on,
        ramp=ramp,
        share=share,
        cap=cap,
        usage_priced=~is_lease,
        base_decline=decline,
        p_con=p_con,
        p_mer=p_mer,
        e_inv=e_inv,
        e_full=e_full,
        energy_mwh_full=energy_mwh_full,
        gpu_hours_full=gpu_hours_full,
        mtok_full=mtok_full,
        opex_items=opex_items,
        capex_fac_comp=capex_fac_comp,
        capex_it_inv=capex_it_inv,
        capex_it_full=capex_it_full,
        dep_fac=dep_fac,
        dep_it_inv=dep_it_inv,
        dep_it_full=dep_it_full,
        residual_fac=residual_fac,
        discount_rate=a.discount_rate,
        tax_rate=a.tax_rate,
        tax_loss_carryforward=a.tax_loss_carryforward,
    )


# ------------------------------------------------------------------ shocks and evaluation


@dataclass(frozen=True)
class Shocks:
    """Uncertain inputs, each broadcastable to (N, S) (trials x sites); see module docstring.

    Attributes
    ----------
    demand_growth : additive growth of merchant volume, ``(1 + g) ** t`` [fraction/year]; base 0.
    power_price_mult : multiplier on energy prices [ratio]; base 1.
    gpu_price_decline : merchant GPU-hour / token price decline replacing the base rate
        [fraction/year]; NaN = base.
    utilisation_mult : multiplier on merchant volume (utilisation / occupancy) [ratio]; base 1.
    pre_leased_share : contracted share replacing the base [fraction]; NaN = base.
    delay_years : interconnection delay shifting revenue, energy and IT purchases [years]; base 0.
    capex_overrun : facility capex (and its depreciation) times ``1 + x`` [fraction]; base 0.
    """

    demand_growth: FloatArray
    power_price_mult: FloatArray
    gpu_price_decline: FloatArray
    utilisation_mult: FloatArray
    pre_leased_share: FloatArray
    delay_years: FloatArray
    capex_overrun: FloatArray

    @classmethod
    def neutral(cls, n_trials: int = 1, n_sites: int = 1) -> Shocks:
        """The base case: every shock at its neutral value."""
        z = np.zeros((n_trials, n_sites))
        nan = np.full((n_trials, n_sites), np.nan)
        return cls(z, z + 1.0, nan, z + 1.0, nan, z.copy(), z.copy())


SHOCK_NEUTRAL: dict[str, float] = {
    "demand_growth": 0.0,
    "power_price_mult": 1.0,
    "gpu_price_decline": np.nan,
    "utilisation_mult": 1.0,
    "pre_leased_share": np.nan,
    "delay_years": 0.0,
    "capex_overrun": 0.0,
}
"""Neutral value of each `Shocks` field (NaN = keep each site's base value)."""


@dataclass(frozen=True)
class Evaluated:
    """Line items of `evaluate`, arrays (N, S, T) [USD unless stated]."""

    revenue_usd: FloatArray
    energy_cost_usd: FloatArray
    opex_fixed_usd: FloatArray
    capex_facility_usd: FloatArray
    capex_it_usd: FloatArray
    depreciation_usd: FloatArray
    tax_usd: FloatArray
    residual_value_usd: FloatArray
    volume_frac: FloatArray
    """Sold volume as a share of full volume [fraction]."""

    @property
    def ebitda_usd(self) -> FloatArray:
        """Revenue minus energy and fixed opex [USD]."""
        out: FloatArray = self.revenue_usd - self.energy_cost_usd - self.opex_fixed_usd
        return out

    @property
    def net_usd(self) -> FloatArray:
        """Net cash flow to the investor [USD]."""
        out: FloatArray = (
            self.ebitda_usd
            - self.capex_facility_usd
            - self.capex_it_usd
            - self.tax_usd
            + self.residual_value_usd
        )
        return out


def evaluate(drivers: Drivers, shocks: Shocks) -> Evaluated:
    """Line items for N trials at once (numpy reference; Monte Carlo uses a compiled copy).

    Parameters
    ----------
    drivers : Drivers
        Base-case paths from `build_drivers`.
    shocks : Shocks
        Each field broadcastable to (N, S).

    Returns
    -------
    Evaluated
        Line items, arrays (N, S, T).
    """
    dv = drivers
    S, T = dv.n_sites, dv.n_years
    t = np.arange(T, dtype=np.float64)

    def field_(x: FloatArray) -> FloatArray:
        arr = np.asarray(x, dtype=np.float64)
        return arr if arr.ndim == 2 else np.atleast_2d(arr)

    g = field_(shocks.demand_growth)
    n = max(field_(getattr(shocks, f)).shape[0] for f in SHOCK_NEUTRAL)
    shp = (n, S)
    g = np.broadcast_to(g, shp)
    pm = np.broadcast_to(field_(shocks.power_price_mult), shp)
    gd = np.broadcast_to(field_(shocks.gpu_price_decline), shp)
    um = np.broadcast_to(field_(shocks.utilisation_mult), shp)
    sh = np.broadcast_to(field_(shocks.pre_leased_share), shp)
    dl = np.broadcast_to(field_(shocks.delay_years), shp)
    ov = np.broadcast_to(field_(shocks.capex_overrun), shp)

    share = np.where(np.isnan(sh), dv.share[None, :], sh)[..., None]
    decl = np.where(np.isnan(gd), dv.base_decline[None, :], gd)
    gf = np.where(
        dv.usage_priced[None, :, None],
        ((1.0 - decl[..., None]) / (1.0 - dv.base_decline[None, :, None])) ** t,
        1.0,
    )
    on = shift_years(np.broadcast_to(dv.on, (n, S, T)), dl)
    ramp = shift_years(np.broadcast_to(dv.ramp, (n, S, T)), dl)
    merchant = np.minimum(dv.cap[None, :, None], ramp * um[..., None] * (1.0 + g[..., None]) ** t)
    volume = share * on + (1.0 - share) * merchant
    revenue = share * on * dv.p_con + (1.0 - share) * merchant * dv.p_mer * gf
    energy = dv.e_inv * pm[..., None] * volume
    opex = np.broadcast_to(dv.opex_fixed, (n, S, T))
    ovf = (1.0 + ov)[..., None]
    capex_fac = dv.capex_fac[None] * ovf
    capex_it = shift_years(np.broadcast_to(dv.capex_it_inv, (n, S, T)), dl)
    dep_it = shift_years(np.broadcast_to(dv.dep_it_inv, (n, S, T)), dl)
    dep = dv.dep_fac[None] * ovf + dep_it
    ebitda = revenue - energy - opex
    tax = income_tax(ebitda - dep, dv.tax_rate, dv.tax_loss_carryforward)
    residual = np.zeros((n, S, T))
    residual[..., -1] = dv.residual_fac[None] * (1.0 + ov) + capex_it.sum(-1) - dep_it.sum(-1)
    return Evaluated(
        revenue_usd=revenue,
        energy_cost_usd=energy,
        opex_fixed_usd=np.array(opex),
        capex_facility_usd=capex_fac,
        capex_it_usd=capex_it,
        depreciation_usd=dep,
        tax_usd=tax,
        residual_value_usd=residual,
        volume_frac=volume,
    )


# ------------------------------------------------------------------ deterministic cash flows


@dataclass(frozen=True)
class CashFlows:
    """Base-case line items per site and year, arrays (S, T) [USD unless stated].

    ``net_usd = revenue - energy - opex - capex_facility - capex_it - tax + residual``.
    The investor view follows each tier's revenue model (``lease``: no IT capex, no energy);
    ``full_cost_usd`` is the full-stack cost of delivering the compute (facility + IT + energy +
    fixed opex - residual value, whoever pays), used for levelised costs.
    """

    site_id: tuple[str, ...]
    tier: tuple[str, ...]
    tiers: tuple[str, ...]
    tier_index: IntArray
    years: IntArray
    revenue_usd: FloatArray
    energy_cost_usd: FloatArray
    opex_items_usd: dict[str, FloatArray]
    capex_by_component_usd: FloatArray
    """(S, C, T) facility capex by component (`FACILITY_COMPONENTS`)."""
    capex_facility_usd: FloatArray
    capex_it_usd: FloatArray
    depreciation_usd: FloatArray
    tax_usd: FloatArray
    residual_value_usd: FloatArray
    energy_mwh: FloatArray
    gpu_hours: FloatArray
    mtok: FloatArray
    """Million tokens delivered; NaN for sites without token volumes."""
    full_cost_usd: FloatArray
    discount_rate: float

    @property
    def opex_fixed_usd(self) -> FloatArray:
        """Maintenance + insurance + property tax + staff + network [USD]."""
        out: FloatArray = sum(self.opex_items_usd.values(), np.zeros_like(self.revenue_usd))
        return out

    @property
    def opex_usd(self) -> FloatArray:
        """Fixed opex plus energy [USD]."""
        return self.opex_fixed_usd + self.energy_cost_usd

    @property
    def ebitda_usd(self) -> FloatArray:
        """Revenue minus opex [USD]."""
        return self.revenue_usd - self.opex_usd

    @property
    def capex_usd(self) -> FloatArray:
        """Facility plus IT capex [USD]."""
        return self.capex_facility_usd + self.capex_it_usd

    @property
    def net_usd(self) -> FloatArray:
        """Net cash flow to the investor [USD]."""
        out: FloatArray = self.ebitda_usd - self.capex_usd - self.tax_usd + self.residual_value_usd
        return out


def site_cash_flows(inputs: SiteInputs, assumptions: FinanceAssumptions) -> CashFlows:
    """Base-case cash flows per site and year.

    Parameters
    ----------
    inputs : SiteInputs
        Per-site capacity, prices and capex.
    assumptions : FinanceAssumptions
        Horizon, discounting, escalators, tiers.

    Returns
    -------
    CashFlows
        Line items (S, T).

    Examples
    --------
    >>> si = SiteInputs.create(site_id=["a"], tier=["micro"], build_start_year=[2026],
    ...     online_year=[2027], it_mw=[0.5], gpus=[350], pue=[1.5], utilisation_frac=[0.6],
    ...     energy_price_usd_per_mwh=[80.0], capex_it_usd=[15e6], capex_facility_usd=[5e6])
    >>> cf = site_cash_flows(si, FinanceAssumptions(horizon_years=6))
    >>> round(float(cf.capex_facility_usd.sum()))
    5000000
    """
    dv = build_drivers(inputs, assumptions)
    ev = evaluate(dv, Shocks.neutral(1, dv.n_sites))
    vol = ev.volume_frac[0]
    with np.errstate(invalid="ignore"):
        mtok = dv.mtok_full[:, None] * vol
    residual_full = np.zeros_like(vol)
    residual_full[:, -1] = dv.residual_fac + dv.capex_it_full.sum(1) - dv.dep_it_full.sum(1)
    full_cost = (
        dv.capex_fac + dv.capex_it_full + dv.opex_fixed + dv.e_full * vol - residual_full
    )
    return CashFlows(
        site_id=inputs.site_id,
        tier=inputs.tier,
        tiers=dv.tiers,
        tier_index=dv.tier_index,
        years=assumptions.start_year + np.arange(dv.n_years, dtype=np.int64),
        revenue_usd=ev.revenue_usd[0],
        energy_cost_usd=ev.energy_cost_usd[0],
        opex_items_usd={k: v.copy() for k, v in dv.opex_items.items()},
        capex_by_component_usd=dv.capex_fac_comp.copy(),
        capex_facility_usd=ev.capex_facility_usd[0],
        capex_it_usd=ev.capex_it_usd[0],
        depreciation_usd=ev.depreciation_usd[0],
        tax_usd=ev.tax_usd[0],
        residual_value_usd=ev.residual_value_usd[0],
        energy_mwh=dv.energy_mwh_full[:, None] * vol,
        gpu_hours=dv.gpu_hours_full[:, None] * vol,
        mtok=mtok,
        full_cost_usd=full_cost,
        discount_rate=assumptions.discount_rate,
    )


__all__ = [
    "SHOCK_NEUTRAL",
    "TIER_ORDER",
    "CashFlows",
    "Drivers",
    "Evaluated",
    "Shocks",
    "SiteInputs",
    "build_drivers",
    "evaluate",
    "site_cash_flows",
    "tier_order",
]
