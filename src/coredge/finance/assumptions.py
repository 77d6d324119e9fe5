"""Typed finance assumptions: horizon, discounting, escalators, opex rates and revenue models.

Every default is either quoted from ``shared/reference/facts.md`` (section given) or labelled
"assumption". All money is in US dollars of the horizon's first year unless an escalator says
otherwise; rates are fractions per year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final, Literal

from coredge.errors import InputError, Problem

RevenueModel = Literal["lease", "gpu_hour", "tokens"]
REVENUE_MODELS: Final[tuple[str, ...]] = ("lease", "gpu_hour", "tokens")
CapexShape = Literal["s_curve", "linear"]

FACILITY_COMPONENTS: Final[tuple[str, ...]] = (
    "land",
    "shell",
    "electrical_mechanical",
    "cooling",
    "backup_power",
)
"""Facility capex components, in the order of every ``(..., component)`` axis."""

DEFAULT_FACILITY_SPLIT: Final[tuple[float, ...]] = (0.03, 0.20, 0.35, 0.32, 0.10)
"""Share of facility capex per component [fraction], in `FACILITY_COMPONENTS` order.

Assumption, informed by the modular split "power 25-35 %, cooling 30-45 %, structure 15-20 %,
controls 5-10 %" (Vertiv 2023 via hvac.best 2026, secondary; facts.md §3a) and land at
~$244k/acre for ~224-acre parcels (Cushman & Wakefield 2025; facts.md §3a), i.e. a few percent
of a multi-billion campus. Backup power is carved out of "power"."""


@dataclass(frozen=True)
class TierFinance:
    """Revenue and opex assumptions of one site tier.

    Attributes
    ----------
    revenue_model : {"lease", "gpu_hour", "tokens"}
        ``lease``: wholesale colocation rent on leased IT kW; the tenant owns the IT and pays
        the energy (pass-through), so neither is in the investor's cash flows.
        ``gpu_hour``: GPU-hours sold at ``gpu_hour_price_usd``. ``tokens``: million tokens sold
        at ``usd_per_mtok``. For both, the operator owns the IT and pays the energy.
    pre_leased_share : float
        Share of capacity contracted before opening (anchor tenants) [fraction]: billed from
        the online year at a locked price (lease rent still escalates by contract).
    absorption_years : float
        Years for the rest (merchant share) to ramp linearly to stabilised volume [years].
    stabilised_occupancy_frac : float
        Lease model: leased share of IT kW once absorbed [fraction].
    lease_usd_per_kw_month : float
        Wholesale rent [USD/kW-month].
    lease_escalator_rate : float
        Annual rent escalation [fraction/year].
    gpu_hour_price_usd : float
        Price of one GPU-hour in the first horizon year [USD/GPU-hour].
    usd_per_mtok : float
        Price of one million tokens in the first horizon year [USD/million tokens].
    tokens_per_gpu_s : float
        Tokens model: sustained output per busy GPU [tokens/s], used when the site table has no
        ``mtok_per_year``.
    price_decline_rate : float
        Annual decline of the merchant GPU-hour / token price [fraction/year].
    maintenance_frac_per_year, insurance_frac_per_year, property_tax_frac_per_year : float
        Yearly cost as a share of facility capex [fraction/year], from the online year.
    staff_usd_per_mw_year : float
        Staff cost per MW of IT [USD/MW/year].
    network_usd_per_mw_year : float
        Network / backhaul cost per MW of IT [USD/MW/year].
    opex_recovery_frac : float
        Landlord view only (`coredge.finance.views`): share of the fixed opex (maintenance,
        insurance, property tax, staff, network) the tenant reimburses [fraction]; 1 = triple-net.
    """

    revenue_model: RevenueModel = "gpu_hour"
    pre_leased_share: float = 0.0
    absorption_years: float = 3.0
    stabilised_occupancy_frac: float = 0.95
    lease_usd_per_kw_month: float = 184.06
    lease_escalator_rate: float = 0.03
    gpu_hour_price_usd: float = 2.4
    usd_per_mtok: float = 0.60
    tokens_per_gpu_s: float = 1000.0
    price_decline_rate: float = 0.05
    maintenance_frac_per_year: float = 0.015
    insurance_frac_per_year: float = 0.005
    property_tax_frac_per_year: float = 0.01
    staff_usd_per_mw_year: float = 50_000.0
    network_usd_per_mw_year: float = 20_000.0
    opex_recovery_frac: float = 0.0


# Sources of the TierFinance defaults (kept next to the numbers they explain):
# - lease_usd_per_kw_month 184.06: CBRE N.A. Data Center Trends H2 2024, avg asking rate,
#   250-500 kW, primary markets (facts.md §3c).
# - lease_escalator_rate 0.03: assumption (CBRE shows +12.6 % in 2024 after declines 2015-2021;
#   a 3 %/yr contract escalator is a common lease term, not a sourced figure).
# - stabilised_occupancy_frac 0.95: assumption (primary-market vacancy 1.9 % in 2024, CBRE).
# - gpu_hour_price_usd core 2.4 / regional 2.9 / micro 3.4: H100 cloud $1.90-2.94/GPU-h
#   (gpu.blog 2026; facts.md §1c) for core; the edge premia are assumptions (same as the
#   scenario schema's defaults).
# - usd_per_mtok 0.60 and tokens_per_gpu_s 1000: assumptions (H100 FP8 Llama-2-70B reaches
#   2,657 tok/s/GPU at batch 1024 in NVIDIA's TensorRT-LLM tables, facts.md §7a; latency
#   targets keep real serving well below that).
# - price_decline_rate 0.05: assumption (H100 rental fell from on-demand $3-4.5 to $1.65-2.94
#   by 2026, facts.md §1c; refreshed GPUs hold price better than one generation).
# - opex fractions: assumption; they sum to site_tiers.yaml's opex_frac_of_facility_capex
#   (core 0.03, regional 0.04, micro 0.05).
# - staff_usd_per_mw_year 50k / 120k / 150k: site_tiers.yaml (assumptions).
# - network_usd_per_mw_year 20k / 60k / 100k: assumption (metro backhaul and many small
#   circuits cost more per MW than a campus's few long-haul links).
# - pre_leased_share core 0.8: assumption (core campuses are pre-leased to anchor tenants, e.g.
#   Polaris Forge 1: 400 MW leased to CoreWeave before completion, sites-and-demand.md A1).


def default_tiers() -> dict[str, TierFinance]:
    """Default finance assumptions for the built-in tiers ``core``, ``regional``, ``micro``."""
    return {
        "core": TierFinance(
            revenue_model="gpu_hour",
            pre_leased_share=0.8,
            absorption_years=2.0,
            gpu_hour_price_usd=2.4,
            maintenance_frac_per_year=0.015,
            insurance_frac_per_year=0.005,
            property_tax_frac_per_year=0.010,
            staff_usd_per_mw_year=50_000.0,
            network_usd_per_mw_year=20_000.0,
        ),
        "regional": TierFinance(
            revenue_model="gpu_hour",
            pre_leased_share=0.3,
            absorption_years=3.0,
            gpu_hour_price_usd=2.9,
            maintenance_frac_per_year=0.020,
            insurance_frac_per_year=0.007,
            property_tax_frac_per_year=0.013,
            staff_usd_per_mw_year=120_000.0,
            network_usd_per_mw_year=60_000.0,
        ),
        "micro": TierFinance(
            revenue_model="gpu_hour",
            pre_leased_share=0.0,
            absorption_years=3.0,
            gpu_hour_price_usd=3.4,
            maintenance_frac_per_year=0.028,
            insurance_frac_per_year=0.008,
            property_tax_frac_per_year=0.014,
            staff_usd_per_mw_year=150_000.0,
            network_usd_per_mw_year=100_000.0,
        ),
    }


@dataclass(frozen=True)
class FinanceAssumptions:
    """Horizon, discounting, escalators, capex phasing, depreciation and tax.

    Attributes
    ----------
    start_year : int
        Calendar year of year index 0 (the valuation date, end-of-year convention) [year].
    horizon_years : int
        Number of years T in every cash-flow array [years].
    discount_rate : float
        Discount rate [fraction/year]. Default 0.08: assumption inside the 6-10 % range
        (Digital Realty WACC 6.2-6.3 %, valueinvesting.io; facts.md §3d).
    power_escalator_rate : float
        Annual change of every site's energy price from year 0 [fraction/year]. Assumption.
    inflation_rate : float
        Annual escalation of staff, network, maintenance, insurance and property tax
        [fraction/year]. Assumption.
    capex_shape : {"s_curve", "linear"}
        Facility capex phasing over construction (``s_curve``: smoothstep 3x^2 - 2x^3).
    facility_split : tuple of float
        Facility capex share per component in `FACILITY_COMPONENTS` order [fraction], used when
        the site table gives only ``capex_facility_usd``.
    it_refresh_years : int
        IT is bought in the online year and again every this many years [years]. Assumption: 5.
    it_cost_decline_rate : float
        Annual decline of the cost of a like-for-like IT refresh [fraction/year]. Assumption: 0.
    facility_life_years : float
        Straight-line depreciation life of the facility (land is not depreciated) [years].
        Assumption: 20.
    it_life_years : float
        Straight-line depreciation life of IT [years]. Assumption: 5 (= refresh cycle).
    tax_rate : float
        Income tax on (EBITDA - depreciation) [fraction]. 0 = pre-tax cash flows (default);
        0.21 is the US federal corporate rate (Tax Cuts and Jobs Act, 2017).
    tax_loss_carryforward : bool
        Losses offset later taxable income (unlimited, no expiry) when True.
    tiers : mapping of str to TierFinance
        Revenue model and opex assumptions per tier id.
    """

    start_year: int = 2026
    horizon_years: int = 15
    discount_rate: float = 0.08
    power_escalator_rate: float = 0.02
    inflation_rate: float = 0.025
    capex_shape: CapexShape = "s_curve"
    facility_split: tuple[float, ...] = DEFAULT_FACILITY_SPLIT
    it_refresh_years: int = 5
    it_cost_decline_rate: float = 0.0
    facility_life_years: float = 20.0
    it_life_years: float = 5.0
    tax_rate: float = 0.0
    tax_loss_carryforward: bool = True
    tiers: Mapping[str, TierFinance] = field(default_factory=default_tiers)

    def __post_init__(self) -> None:
        problems: list[Problem] = []

        def need(ok: bool, name: str, value: Any, allowed: str) -> None:
            if not ok:
                problems.append(Problem(f"finance.{name}", value, allowed))

        need(1 <= self.horizon_years <= 100, "horizon_years", self.horizon_years, "1 to 100 years")
        need(-1 < self.discount_rate < 10, "discount_rate", self.discount_rate, "a fraction in (-1, 10)")
        need(self.power_escalator_rate > -1, "power_escalator_rate", self.power_escalator_rate, "> -1")
        need(self.inflation_rate > -1, "inflation_rate", self.inflation_rate, "> -1")
        need(self.capex_shape in ("s_curve", "linear"), "capex_shape", self.capex_shape, "one of: s_curve, linear")
        need(
            len(self.facility_split) == len(FACILITY_COMPONENTS)
            and all(s >= 0 for s in self.facility_split)
            and abs(sum(self.facility_split) - 1.0) < 1e-9,
            "facility_split",
            self.facility_split,
            f"{len(FACILITY_COMPONENTS)} non-negative shares summing to 1 "
            f"({', '.join(FACILITY_COMPONENTS)})",
        )
        need(self.it_refresh_years >= 1, "it_refresh_years", self.it_refresh_years, "an integer >= 1")
        need(0 <= self.it_cost_decline_rate < 1, "it_cost_decline_rate", self.it_cost_decline_rate, "a fraction in [0, 1)")
        need(self.facility_life_years > 0, "facility_life_years", self.facility_life_years, "> 0 years")
        need(self.it_life_years > 0, "it_life_years", self.it_life_years, "> 0 years")
        need(0 <= self.tax_rate < 1, "tax_rate", self.tax_rate, "a fraction in [0, 1)")
        for tid, tf in self.tiers.items():
            p = f"tiers.{tid}"
            need(tf.revenue_model in REVENUE_MODELS, f"{p}.revenue_model", tf.revenue_model, "one of: " + ", ".join(REVENUE_MODELS))
            need(0 <= tf.pre_leased_share <= 1, f"{p}.pre_leased_share", tf.pre_leased_share, "a fraction in [0, 1]")
            need(tf.absorption_years >= 0, f"{p}.absorption_years", tf.absorption_years, ">= 0 years")
            need(0 < tf.stabilised_occupancy_frac <= 1, f"{p}.stabilised_occupancy_frac", tf.stabilised_occupancy_frac, "a fraction in (0, 1]")
            need(0 <= tf.price_decline_rate < 1, f"{p}.price_decline_rate", tf.price_decline_rate, "a fraction in [0, 1)")
            need(0 <= tf.opex_recovery_frac <= 1, f"{p}.opex_recovery_frac", tf.opex_recovery_frac, "a fraction in [0, 1]")
            need(tf.lease_escalator_rate > -1, f"{p}.lease_escalator_rate", tf.lease_escalator_rate, "> -1")
            for name in (
                "lease_usd_per_kw_month",
                "gpu_hour_price_usd",
                "usd_per_mtok",
                "tokens_per_gpu_s",
                "maintenance_frac_per_year",
                "insurance_frac_per_year",
                "property_tax_frac_per_year",
                "staff_usd_per_mw_year",
                "network_usd_per_mw_year",
            ):
                v = getattr(tf, name)
                need(v >= 0, f"{p}.{name}", v, ">= 0")
        if problems:
            raise InputError(problems, "invalid finance assumptions")

    def tier(self, tier_id: str) -> TierFinance:
        """Assumptions of one tier; an unknown tier is an `InputError`."""
        try:
            return self.tiers[tier_id]
        except KeyError:
            raise InputError.of(
                "tier", tier_id, "one of: " + ", ".join(sorted(self.tiers)) + " (finance.tiers)"
            ) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FinanceAssumptions:
        """Build from a plain mapping (e.g. a scenario section); tiers given as mappings are
        merged over the defaults of the same tier id. Unknown keys are an `InputError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError.of("finance", unknown, "known keys: " + ", ".join(sorted(known)))
        kwargs = {k: v for k, v in data.items() if k != "tiers"}
        if "facility_split" in kwargs:
            kwargs["facility_split"] = tuple(kwargs["facility_split"])
        tiers = default_tiers()
        tier_keys = {f.name for f in fields(TierFinance)}
        for tid, spec in dict(data.get("tiers", {})).items():
            if isinstance(spec, TierFinance):
                tiers[tid] = spec
                continue
            bad = sorted(set(spec) - tier_keys)
            if bad:
                raise InputError.of(f"finance.tiers.{tid}", bad, "known keys: " + ", ".join(sorted(tier_keys)))
            tiers[tid] = replace(tiers.get(tid, TierFinance()), **spec)
        return cls(**kwargs, tiers=tiers)


__all__ = [
    "DEFAULT_FACILITY_SPLIT",
    "FACILITY_COMPONENTS",
    "REVENUE_MODELS",
    "CapexShape",
    "FinanceAssumptions",
    "RevenueModel",
    "TierFinance",
    "default_tiers",
]
