"""Values of the built-in tables against the shared source files and outside facts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import coredge.data as cd
import coredge.report.outlines as ro
from coredge.catalog.llm_models import get_model
from coredge.errors import InputError
from coredge_testing import shared_file

LB_PER_KG = 2.20462262185  # exact definition of the avoirdupois pound


def _shared(name: str) -> pd.DataFrame:
    path = shared_file(f"data/{name}", "source table the built-in copy is checked against")
    return pd.read_csv(path, comment="#")


# ------------------------------------------------------------------ electricity prices


def test_prices_match_eia_source_for_every_state_and_sector() -> None:
    src = _shared("eia_epa2023_avg_revenue_per_kwh_by_state.csv")
    ours = cd.load_state_prices().set_index("state_name")
    assert len(src) == 50  # 49 states + DC; Wyoming missing in the source
    for _, row in src.iterrows():
        for sector in ("residential", "commercial", "industrial", "total"):
            if pd.isna(row[sector]):
                continue  # Wisconsin total: a labelled fill
            assert ours.loc[row["state"], f"{sector}_usd_per_mwh"] == pytest.approx(
                row[sector] * 10.0, abs=1e-9
            ), (row["state"], sector)


def test_known_prices() -> None:
    assert cd.state_price_usd_per_mwh("TX") == 66.0  # EIA 2023 industrial 6.60 c/kWh
    assert cd.state_price_usd_per_mwh("Texas", "commercial") == pytest.approx(88.2)
    assert cd.state_price_usd_per_mwh("va", "industrial") == pytest.approx(89.2)
    assert cd.state_price_usd_per_mwh("HI", "industrial") == pytest.approx(352.8)


def test_wyoming_and_wisconsin_fills() -> None:
    # facts.md 4a: Wyoming commercial 9.55 c (2022), residential ~12 c (2024)
    assert cd.state_price_usd_per_mwh("WY", "commercial") == pytest.approx(95.5)
    assert cd.state_price_usd_per_mwh("WY", "residential") == pytest.approx(120.0)
    # industrial assumption: neighbouring-state mean lies between their min and max
    nb = [cd.state_price_usd_per_mwh(s) for s in ("MT", "SD", "NE", "CO", "UT", "ID")]
    assert cd.state_price_usd_per_mwh("WY") == pytest.approx(np.mean(nb), abs=0.05)
    # Wisconsin total: source shows "12.x" c/kWh -> 120-130 USD/MWh, inside the sector range
    wi_total = cd.state_price_usd_per_mwh("WI", "total")
    assert 120.0 <= wi_total < 130.0
    assert cd.state_price_usd_per_mwh("WI", "industrial") < wi_total
    assert wi_total < cd.state_price_usd_per_mwh("WI", "residential")


def test_every_contiguous_state_and_dc_has_a_price_and_subregion() -> None:
    prices = cd.load_state_prices()
    grid = cd.load_state_grid_intensity()
    egrid = set(cd.load_egrid_subregions()["subregion"])
    assert len(cd.CONTIGUOUS_US_STATES) == 49
    for s in cd.CONTIGUOUS_US_STATES:
        row = prices[prices.state == s]
        assert len(row) == 1, s
        vals = row[[f"{x}_usd_per_mwh" for x in cd.SECTORS]].to_numpy(dtype=float)
        assert np.isfinite(vals).all() and (vals > 30).all() and (vals < 500).all(), s
        g = grid[grid.state == s]
        assert len(g) == 1, s
        assert g["egrid_subregion"].iloc[0] in egrid
    assert set(grid["state"]) == set(cd.CONTIGUOUS_US_STATES) | {"AK", "HI"}
    assert set(prices["state"]) == set(cd.CONTIGUOUS_US_STATES) | {"AK", "HI"}


def test_price_lookup_errors() -> None:
    with pytest.raises(InputError) as exc:
        cd.state_price_usd_per_mwh("ZZ")
    assert exc.value.problems[0].field == "state"
    assert exc.value.problems[0].value == "ZZ"
    with pytest.raises(InputError) as exc:
        cd.state_price_usd_per_mwh("TX", "retail")
    assert exc.value.problems[0].field == "sector"
    assert "industrial" in exc.value.problems[0].allowed


def test_loaders_return_copies() -> None:
    df = cd.load_state_prices()
    df.loc[:, "industrial_usd_per_mwh"] = -1.0
    assert cd.state_price_usd_per_mwh("TX") == 66.0
    tiers = cd.load_tiers()
    tiers["core"]["pue"] = 9.0
    tiers["core"]["allowed_workloads"].append("x")
    assert cd.load_tiers()["core"]["pue"] == 1.18
    assert "x" not in cd.load_tiers()["core"]["allowed_workloads"]
    regions = cd.load_core_regions()
    regions.loc[:, "grid_available_mw"] = 0
    assert (cd.load_core_regions()["grid_available_mw"] > 0).all()


# ------------------------------------------------------------------ carbon


def test_egrid_matches_source_and_conversion() -> None:
    src = _shared("egrid2022_subregion_co2_lb_per_mwh.csv")
    src.columns = ["subregion", "lb", "year"]
    ours = cd.load_egrid_subregions().set_index("subregion")
    assert len(ours) == len(src) == 28  # 27 subregions (incl. PRMS) + the US average
    for _, row in src.iterrows():
        assert ours.loc[row["subregion"], "co2_lb_per_mwh"] == row["lb"]
        assert ours.loc[row["subregion"], "gco2_per_kwh"] == pytest.approx(
            row["lb"] / LB_PER_KG, abs=5e-4
        )
    assert ours.loc["ERCT", "co2_lb_per_mwh"] == 771.083
    assert round(float(ours.loc["ERCT", "gco2_per_kwh"]), 1) == 349.8
    assert round(float(ours.loc["US", "gco2_per_kwh"]), 1) == 373.4  # facts.md 4b: ~373


def test_state_intensity_known_states() -> None:
    assert cd.state_gco2_per_kwh("TX") == pytest.approx(771.083 / LB_PER_KG, abs=5e-4)
    assert cd.state_gco2_per_kwh("VA") == pytest.approx(622.987 / LB_PER_KG, abs=5e-4)  # SRVC
    assert cd.state_gco2_per_kwh("California") == pytest.approx(497.443 / LB_PER_KG, abs=5e-4)
    grid = cd.load_state_grid_intensity().set_index("state")
    # the worst straddlers say so in their provenance
    for s, other in (("TX", "SPSO"), ("IL", "SRMW"), ("NY", "NYCW")):
        assert other in grid.loc[s, "provenance"], s
    with pytest.raises(InputError):
        cd.state_gco2_per_kwh("Atlantis")


def test_country_intensity_matches_source() -> None:
    src = _shared("ember_grid_intensity_selected_countries.csv")
    ours = cd.load_country_intensity()
    assert len(ours) == len(src) == 38
    for _, row in src.iterrows():
        got = cd.country_gco2_per_kwh(row["country_code"])
        assert got == row["emissions_intensity_gco2_per_kwh"], row["country_code"]
    assert cd.country_gco2_per_kwh("fra") == 56.04
    assert cd.country_gco2_per_kwh("DE") == 380.95  # ISO2 accepted
    assert cd.country_gco2_per_kwh("world") == 485.99
    with pytest.raises(InputError) as exc:
        cd.country_gco2_per_kwh("XYZ")
    assert exc.value.problems[0].field == "country"


# ------------------------------------------------------------------ core regions


def _ring_lonlat(arcs: list[np.ndarray], ring: list[int]) -> np.ndarray:
    """Stitch a TopoJSON ring: reversed arcs for ~i, drop the repeated joint point."""
    parts = []
    for k, i in enumerate(ring):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def _inside(ring: np.ndarray, lon: float, lat: float) -> bool:
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    crosses = (y > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = x + (lat - y) * (x2 - x) / (y2 - y)
    return bool(np.count_nonzero(crosses & (lon < xi)) % 2)


def _state_polygons() -> dict[str, list[list[np.ndarray]]]:
    topo = cd.read_topo("topo/us-states-10m.json")
    arcs = ro.decode_arcs(topo)
    fips_to_usps = {v: k for k, v in cd.STATE_FIPS.items()}
    out: dict[str, list[list[np.ndarray]]] = {}
    for g in topo["objects"]["states"]["geometries"]:
        code = fips_to_usps.get(g["id"])
        if code is None:
            continue
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        out[code] = [[_ring_lonlat(arcs, r) for r in poly] for poly in polys]
    return out


def _in_state(polys: list[list[np.ndarray]], lon: float, lat: float) -> bool:
    # inside the outer ring and outside its holes, for any polygon
    return any(
        _inside(poly[0], lon, lat) and not any(_inside(h, lon, lat) for h in poly[1:])
        for poly in polys
    )


def test_state_rings_are_closed() -> None:
    polys = _state_polygons()
    assert set(polys) == set(cd.CONTIGUOUS_US_STATES) | {"AK", "HI"}
    for code, plist in polys.items():
        for poly in plist:
            for ring in poly:
                assert np.allclose(ring[0], ring[-1], atol=1e-9), code


def test_core_regions_lie_in_their_state() -> None:
    regions = cd.load_core_regions()
    assert 25 <= len(regions) <= 30
    assert regions["id"].is_unique
    assert regions["id"].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all()
    polys = _state_polygons()
    for _, r in regions.iterrows():
        assert r["state"] in cd.CONTIGUOUS_US_STATES, r["id"]
        assert _in_state(polys[r["state"]], r["lon"], r["lat"]), (r["id"], r["state"])
    # and a point the checker must reject: Dallas is not in Oklahoma
    assert not _in_state(polys["OK"], -96.80, 32.78)
    assert _in_state(polys["TX"], -96.80, 32.78)


def test_core_region_numbers() -> None:
    r = cd.load_core_regions().set_index("id")
    assert (r["grid_available_mw"] > 0).all()
    assert (r["grid_available_mw"] >= 100).all()  # at least one core campus
    assert r["interconnect_wait_months"].between(6, 96).all()
    # facts.md 6 / sites-and-demand A2: NoVA 48-84 months, Oncor ~18, APS 18-24
    assert 48 <= r.loc["northern-virginia", "interconnect_wait_months"] <= 84
    assert r.loc["dallas-fort-worth", "interconnect_wait_months"] == 18
    assert 18 <= r.loc["phoenix-mesa", "interconnect_wait_months"] <= 24
    assert r.loc["berwick-susquehanna", "grid_available_mw"] == 960  # AWS design, Mar 2024
    for needed in (
        "northern-virginia", "columbus-new-albany", "dallas-fort-worth", "abilene",
        "phoenix-mesa", "atlanta", "chicago", "council-bluffs", "omaha-papillion", "quincy",
        "the-dalles", "reno-storey", "eagle-mountain", "memphis", "richland-parish",
        "cheyenne", "mount-pleasant", "santa-teresa", "berwick-susquehanna", "homer-city",
        "ellendale", "new-carlisle", "canton-ms", "milam-county", "lordstown",
    ):  # fmt: skip
        assert needed in r.index, needed


# ------------------------------------------------------------------ tiers and workloads

TIER_FIELDS = {
    "description", "it_mw_min", "it_mw_max", "module_it_mw", "build", "land_acres_per_mw",
    "land_and_soft_cost_frac", "pue", "rack_density_kw", "cooling", "lead_time_months",
    "backup", "opex_frac_of_facility_capex_per_year", "staff_usd_per_mw_year",
    "allowed_workloads",
}  # fmt: skip


def test_tiers_are_consistent() -> None:
    t = cd.load_tiers()
    assert list(t) == ["core", "regional", "micro"]
    for name, tier in t.items():
        assert set(tier) == TIER_FIELDS, name
        assert 0 < tier["it_mw_min"] < tier["it_mw_max"], name
        assert 0 < tier["module_it_mw"] <= tier["it_mw_max"], name
        assert 1.0 < tier["pue"] < 2.0, name
        assert 0 <= tier["land_and_soft_cost_frac"] < 1, name
        assert 0 < tier["opex_frac_of_facility_capex_per_year"] < 0.2, name
        assert tier["backup"] in {"diesel", "fuel-cell", "battery+diesel"}, name
        assert tier["cooling"] in {"direct-liquid", "rear-door", "air"}, name
    # DESIGN.md size bands
    assert t["core"]["it_mw_min"] == 100 and t["regional"]["it_mw_max"] == 20
    assert (t["micro"]["it_mw_min"], t["micro"]["it_mw_max"]) == (0.1, 1)
    # facility cost is not an archetype figure: it comes from market_construction_cost.csv
    # through coredge.physics.facility_cost (tests/physics/test_physics_facility_cost.py)
    assert {tier["build"] for tier in t.values()} <= {"stick-built", "prefab"}
    assert t["micro"]["build"] == "prefab" and t["core"]["build"] == "stick-built"
    # denser and more efficient at the core; micro builds fastest (Vertiv 4-6 months)
    assert t["core"]["pue"] < t["regional"]["pue"] < t["micro"]["pue"]
    assert t["core"]["rack_density_kw"] > t["regional"]["rack_density_kw"]
    assert t["regional"]["rack_density_kw"] > t["micro"]["rack_density_kw"]
    assert 4 <= t["micro"]["lead_time_months"] <= 6
    assert 18 <= t["core"]["lead_time_months"] <= 24
    assert "training" in t["core"]["allowed_workloads"]
    assert "training" not in t["micro"]["allowed_workloads"]


def test_workload_classes() -> None:
    w = cd.load_workload_classes()
    assert len(w) >= 8
    shares = [c["demand_share"] for c in w.values()]
    assert all(0 < s < 1 for s in shares)
    assert math.isclose(sum(shares), 1.0, abs_tol=1e-12)
    kinds = set(cd.load_tiers()["core"]["allowed_workloads"])
    for cid, c in w.items():
        assert c["kind"] in kinds, cid
        assert c["model"] in {"llama3-8b", "llama3-70b", "llama3-405b"}, cid
        get_model(c["model"])  # exists in the catalog
        assert c["tokens_in"] > 0 and c["tokens_out"] > 0, cid
        if c["kind"] == "batch":
            assert c["rtt_budget_ms"] is None, cid
        else:
            assert c["rtt_budget_ms"] >= 10, cid
            assert c["ttft_target_ms"] > 0 and c["tpot_target_ms"] > 0, cid
            # a TTFT target below the network RTT budget could never be met
            assert c["ttft_target_ms"] > c["rtt_budget_ms"], cid
    # latency.md A: MLPerf interactive Llama2-70B TTFT 450 / TPOT 40; V2X 10 ms; voice ~30 ms
    assert w["consumer-assistant"]["ttft_target_ms"] == 450
    assert w["consumer-assistant"]["tpot_target_ms"] == 40
    assert w["autonomous-industrial"]["rtt_budget_ms"] == 10
    assert w["voice-agent"]["rtt_budget_ms"] == 30
    assert 10 <= w["gaming-xr"]["rtt_budget_ms"] <= 20
    assert any(c["rtt_budget_ms"] is None for c in w.values())
