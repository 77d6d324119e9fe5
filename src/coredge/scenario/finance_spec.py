"""The scenario's ``finance`` section: revenue models, escalators, refresh, tax and risk.

Validated once at the boundary with the rest of the scenario (pydantic v2, unknown keys are
errors, values immutable). Three quantities are deliberately *not* here because the scenario's
``economics`` section already holds them and stays their single source:
``economics.discount_rate`` (discounting), ``economics.power_price_escalator_rate`` (energy
price escalation) and ``economics.gpu_hour_price_usd`` (GPU-hour price per tier).
`coredge.finance.from_plan.assumptions_from_scenario` maps both sections onto
`coredge.finance.assumptions.FinanceAssumptions`.

Example (YAML)::

    finance:
      horizon_years: 20
      tax_rate: 0.21
      tiers:
        core: {revenue_model: lease, pre_leased_share: 0.9}
        micro: {revenue_model: tokens, usd_per_mtok: 0.8}
      risk:
        n_trials: 20000
        variables:
          power_price: {dist: lognormal, params: [0.0, 0.3]}
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from coredge.data.market import market_exit_cap_rate, market_tier_defaults
from coredge.errors import NoBooleanNumbers

RiskVariableName = Literal[
    "demand_growth",
    "power_price",
    "gpu_price_decline",
    "utilisation",
    "pre_leased_share",
    "interconnection_delay",
    "capex_overrun",
    "discount_rate",
]

Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegFloat = Annotated[float, Field(ge=0)]


class _Strict(NoBooleanNumbers):
    """Unknown keys are errors, values immutable, numbers finite and never booleans."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


class TierFinanceSpec(_Strict):
    """How one tier earns money and what it costs beyond `costing` (per tier id).

    The GPU-hour price is ``economics.gpu_hour_price_usd[tier]``; maintenance/insurance/property
    tax come from the tier's ``opex_frac_of_facility_capex_per_year`` and staff from its
    ``staff_usd_per_mw_year`` (scenario ``tiers`` section), so finance and costing agree.
    """

    revenue_model: Literal["gpu_hour", "tokens", "lease"] = Field(
        "gpu_hour",
        description="'gpu_hour': GPU-hours sold at economics.gpu_hour_price_usd; 'tokens': "
        "million tokens sold at usd_per_mtok (volumes from the plan's served requests); 'lease': "
        "wholesale rent per kW of IT, the tenant owns the IT and pays the energy.",
    )
    pre_leased_share: Fraction = Field(
        0.0,
        description="Share of capacity contracted before opening, billed from the online year at "
        "a locked price [fraction]. Assumption (core 0.8: Polaris Forge 1 leased 400 MW to "
        "CoreWeave before completion, sites-and-demand.md A1; regional 0.3, micro 0: assumptions).",
    )
    absorption_years: NonNegFloat = Field(
        3.0,
        description="Years for the merchant (not pre-leased) share to ramp linearly to full "
        "volume [years]. Assumption (core 2, edge 3).",
    )
    usd_per_mtok: Annotated[float, Field(gt=0)] = Field(
        0.60,
        description="Price of one million tokens (input + output) in the first plan year "
        "[USD/million tokens]. Assumption.",
    )
    lease_usd_per_kw_month: Annotated[float, Field(gt=0)] = Field(
        184.06,
        description="Rent per kW of leased IT [USD/kW-month]. Built-in tiers default to the "
        "median of their rows in data/market_colocation_rent.csv (core: hyperscale campus leases, "
        "CBRE 2023 and Applied Digital 2025, 138.9; regional: CBRE 250-500 kW primary markets "
        "2024-2025, 184.06; micro: retail colocation, secondary, 225). 184.06 for other tiers.",
    )
    lease_escalator_rate: Annotated[float, Field(gt=-1, lt=1)] = Field(
        0.03,
        description="Annual rent escalation [fraction/year]. Core 0.02 (Digital Realty / Realty "
        "Income build-to-suit, 2023; data/market_lease_terms.csv); edge 0.03: assumption.",
    )
    opex_recovery_frac: Fraction = Field(
        0.0,
        description="Landlord view: share of fixed opex (maintenance, insurance, property tax, "
        "staff, network) reimbursed by the tenant [fraction]; 1 = triple-net. Core 1.0 "
        "(hyperscale leases are NNN, secondary), edge 0.0 (gross colocation rent, assumption); "
        "data/market_lease_terms.csv.",
    )
    stabilised_occupancy_frac: Annotated[float, Field(gt=0, le=1)] = Field(
        0.95,
        description="Lease model: leased share of IT kW once absorbed [fraction]. Assumption "
        "(primary-market vacancy 1.9 % in 2024, CBRE).",
    )
    price_decline_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.05,
        description="Annual decline of the merchant GPU-hour / token price [fraction/year]. "
        "Assumption (H100 rental fell from $3-4.5 to $1.65-2.94/h by 2026, facts.md §1c).",
    )
    network_usd_per_mw_year: NonNegFloat = Field(
        20_000.0,
        description="Network/backhaul cost per MW of IT per year [USD/MW/year]. Assumption "
        "(core 20k, regional 60k, micro 100k: many small metro circuits cost more per MW).",
    )


_TIER_DEFAULTS: dict[str, dict[str, Any]] = {
    # assumptions; sources in TierFinanceSpec's field descriptions
    "core": {"pre_leased_share": 0.8, "absorption_years": 2.0, "network_usd_per_mw_year": 20_000.0},
    "regional": {"pre_leased_share": 0.3, "absorption_years": 3.0, "network_usd_per_mw_year": 60_000.0},
    "micro": {"pre_leased_share": 0.0, "absorption_years": 3.0, "network_usd_per_mw_year": 100_000.0},
}
for _tid, _market in market_tier_defaults().items():  # rent, escalator, opex recovery (data/market_*)
    _TIER_DEFAULTS[_tid].update(_market)


def default_tier_finance() -> dict[str, TierFinanceSpec]:
    """Built-in per-tier finance defaults (core, regional, micro)."""
    return {t: TierFinanceSpec(**v) for t, v in _TIER_DEFAULTS.items()}


class RiskVariableSpec(_Strict):
    """One uncertain input: a distribution, its scope and the tiers it applies to.

    Parameters by ``dist``: normal (mean, sd); lognormal (mu, sigma) of the underlying normal;
    uniform (low, high); triangular (low, mode, high); fixed (value). For ``discount_rate`` the
    parameters are *offsets* from ``economics.discount_rate`` (lognormal not allowed), so the
    scenario's discount rate stays the single base value.
    """

    dist: Literal["normal", "lognormal", "uniform", "triangular", "fixed"] = Field(
        ..., description="Distribution family."
    )
    params: list[float] = Field(..., description="Distribution parameters (see above), in the variable's unit.")
    scope: Literal["portfolio", "site"] = Field(
        "portfolio", description="'portfolio': one draw per trial; 'site': independent draws per site."
    )
    tiers: list[Literal["core", "regional", "micro"]] | None = Field(
        None, description="Tiers the variable applies to; null = all."
    )

    @model_validator(mode="after")
    def _valid_distribution(self) -> RiskVariableSpec:
        from coredge.distributions import Distribution
        from coredge.errors import InputError

        try:
            Distribution(self.dist, tuple(self.params))
        except InputError as exc:
            raise ValueError("; ".join(p.allowed for p in exc.problems)) from None
        return self


def default_risk_variables() -> dict[str, RiskVariableSpec]:
    """Default uncertain inputs (all distributions are assumptions; sources bracket them).

    demand_growth normal(0, 0.05) [fraction/yr] (McKinsey 2025 inference CAGR 35 % vs training
    22 %, sites-and-demand.md B3, shows how wide forecasts are); power_price lognormal(0, 0.2)
    [multiplier] (EIA 2023 industrial prices 5.75-18.64 c/kWh across states, facts.md §4a);
    gpu_price_decline triangular(0, 0.05, 0.15) [fraction/yr] (facts.md §1c); utilisation
    triangular(0.8, 1, 1.1) per site [multiplier]; pre_leased_share uniform(0.6, 0.9) at core
    [fraction]; interconnection_delay triangular(0, 0.5, 3) years per core site (Dominion: loads
    > 100 MW wait 1-3 years more, facts.md §6); capex_overrun triangular(-0.05, 0.05, 0.30) per
    site [fraction] (C&W 2025 building cost CAGR 8.7 % 2021-23, facts.md §3a); discount_rate
    uniform(-0.02, +0.02) around economics.discount_rate (facts.md §3d: 6-10 %).
    """
    R = RiskVariableSpec
    return {
        "demand_growth": R(dist="normal", params=[0.0, 0.05]),
        "power_price": R(dist="lognormal", params=[0.0, 0.2]),
        "gpu_price_decline": R(dist="triangular", params=[0.0, 0.05, 0.15]),
        "utilisation": R(dist="triangular", params=[0.8, 1.0, 1.1], scope="site"),
        "pre_leased_share": R(dist="uniform", params=[0.6, 0.9], tiers=["core"]),
        "interconnection_delay": R(dist="triangular", params=[0.0, 0.5, 3.0], scope="site", tiers=["core"]),
        "capex_overrun": R(dist="triangular", params=[-0.05, 0.05, 0.30], scope="site"),
        "discount_rate": R(dist="uniform", params=[-0.02, 0.02]),
    }


class RiskSection(_Strict):
    """Monte Carlo settings and the uncertain inputs."""

    n_trials: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        10_000, description="Monte Carlo trials [count] (the CLI's --trials overrides it)."
    )
    seed: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Seed of the Monte Carlo draws; null = the scenario's seed."
    )
    variables: dict[RiskVariableName, RiskVariableSpec | None] = Field(
        default_factory=lambda: dict(default_risk_variables()),  # type: ignore[arg-type]
        description="Uncertain inputs by name, merged over the defaults; null removes one.",
    )

    @field_validator("variables", mode="before")
    @classmethod
    def _merge_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = dict(default_risk_variables())
        out.update(value)
        return out

    @model_validator(mode="after")
    def _no_lognormal_discount(self) -> RiskSection:
        v = self.variables.get("discount_rate")
        if v is not None and v.dist == "lognormal":
            raise ValueError("variables.discount_rate: offsets from economics.discount_rate cannot be lognormal")
        return self


class FinanceSpec(_Strict):
    """Investment assumptions of a scenario (see the module docstring)."""

    horizon_years: Annotated[int, Field(ge=1, le=100)] = Field(
        15,
        description="Valuation horizon from the first plan year [years]; at least the plan's "
        "years are always valued. Assumption (15: three IT refresh cycles).",
    )
    inflation_rate: Annotated[float, Field(gt=-1, lt=1)] = Field(
        0.025,
        description="Escalation of staff, network, maintenance, insurance and property tax "
        "[fraction/year]. Assumption.",
    )
    it_refresh_years: Annotated[int, Field(ge=1, le=50)] = Field(
        5, description="IT is bought when a phase comes online and again every this many years [years]. Assumption."
    )
    it_cost_decline_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, description="Annual decline of the cost of a like-for-like IT refresh [fraction/year]. Assumption."
    )
    facility_life_years: Annotated[float, Field(gt=0)] = Field(
        20.0, description="Straight-line depreciation life of facilities (land excluded) [years]. Assumption."
    )
    it_life_years: Annotated[float, Field(gt=0)] = Field(
        5.0, description="Straight-line depreciation life of IT [years]. Assumption (= refresh cycle)."
    )
    capex_shape: Literal["s_curve", "linear"] = Field(
        "s_curve", description="Facility capex phasing over each phase's construction years."
    )
    tax_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0,
        description="Income tax on EBITDA minus depreciation [fraction]; 0 = pre-tax (default); "
        "0.21 = US federal corporate rate (Tax Cuts and Jobs Act, 2017).",
    )
    tax_loss_carryforward: bool = Field(True, description="Losses offset later taxable income (unlimited).")
    expansion_grid_wait: bool = Field(
        False,
        description="Whether expansions of an open site wait for grid interconnection again "
        "(False: only the first phase does; assumption).",
    )
    exit_cap_rate: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        round(market_exit_cap_rate(), 4),
        description="Landlord view: residual value at the horizon end = final-year NOI / this "
        "rate [fraction]; null = book value. Default: median of the published exit cap rates "
        "of stabilised hyperscale campuses (JLL 2026 5.5-6.5 %, secondary 5-6 %; "
        "data/market_returns.csv).",
    )
    tiers: dict[Literal["core", "regional", "micro"], TierFinanceSpec] = Field(
        default_factory=lambda: dict(default_tier_finance()),  # type: ignore[arg-type]
        description="Revenue model and market assumptions per tier, merged over the built-in defaults.",
    )
    risk: RiskSection = Field(default_factory=RiskSection, description="Monte Carlo settings.")

    @field_validator("tiers", mode="before")
    @classmethod
    def _merge_tiers(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {t: dict(v) for t, v in _TIER_DEFAULTS.items()}
        for tid, entry in value.items():
            if isinstance(entry, TierFinanceSpec):
                out[tid] = entry
            elif isinstance(entry, dict) and isinstance(out.get(tid), dict):
                out[tid] = {**copy.deepcopy(out[tid]), **entry}
            else:
                out[tid] = entry
        return out


__all__ = [
    "FinanceSpec",
    "RiskSection",
    "RiskVariableName",
    "RiskVariableSpec",
    "TierFinanceSpec",
    "default_risk_variables",
    "default_tier_finance",
]
