"""Facility, backup, carbon and site invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coredge.errors import InputError
from coredge.physics import facility as fac
from coredge.physics.carbon import emissions_t, kg_co2_per_million_tokens
from coredge.physics.site import site_report


@settings(max_examples=60, deadline=None)
@given(
    tier=st.sampled_from(fac.TIERS),
    cooling=st.sampled_from(list(fac.COOLING)),
    t=st.floats(-20, 35),
    dt=st.floats(0.1, 10),
    it_mw=st.floats(0.0, 500.0),
)
def test_pue_monotone_in_temperature_and_facility_ge_it(
    tier: str, cooling: str, t: float, dt: float, it_mw: float
) -> None:
    lo = fac.pue(tier, cooling, t)
    hi = fac.pue(tier, cooling, t + dt)
    assert 1.0 < lo <= hi
    assert float(fac.facility_mw(it_mw, lo)) >= it_mw


def test_liquid_cooling_lowers_pue_at_high_density() -> None:
    for t in (5.0, 15.0, 25.0):
        air = fac.pue("regional", "air", t, rack_kw=30.0)
        for liquid in ("rear-door", "direct-liquid", "immersion"):
            assert fac.pue("regional", liquid, t, rack_kw=30.0) < air
    # the density penalty only applies to air
    assert fac.pue("micro", "air", 15.0, rack_kw=30.0) > fac.pue("micro", "air", 15.0, rack_kw=10.0)
    dlc = fac.pue("core", "direct-liquid", 15.0, rack_kw=120.0)
    assert dlc == fac.pue("core", "direct-liquid", 15.0, rack_kw=40.0)
    with pytest.raises(InputError, match="kW/rack"):
        fac.pue("core", "air", 15.0, rack_kw=120.0)


def test_pue_ranges_match_published_anchors() -> None:
    # facts.md §3b: hyperscale ~1.1 (Google), new large <= 1.3, industry average 1.56;
    # tier archetypes: core 1.18, regional 1.35, micro 1.5
    for state in ("TX", "VA", "ND", "AZ", "GA", "OR"):
        t, lat = fac.state_climate(state)
        core = fac.pue("core", "direct-liquid", t, lat=lat)
        regional = fac.pue("regional", "rear-door", t, lat=lat)
        micro = fac.pue("micro", "air", t, lat=lat)
        assert 1.08 < core < 1.3
        assert core < regional < micro < 1.6
        assert abs(core - 1.18) < 0.1 and abs(regional - 1.35) < 0.1 and abs(micro - 1.5) < 0.15
    # a hot state costs more than a cold one
    assert fac.pue("regional", "air", *fac.state_climate("FL")[:1]) > fac.pue(
        "regional", "air", *fac.state_climate("MN")[:1]
    )


def test_climate_helpers() -> None:
    t = fac.monthly_temps_c(10.0, 45.0)
    assert t.mean() == pytest.approx(10.0)
    assert int(np.argmax(t)) == 6  # July
    assert int(np.argmax(fac.monthly_temps_c(10.0, -35.0))) == 0  # January south
    assert float(fac.mean_temp_from_lat(0.0)) == pytest.approx(27.0)
    assert float(fac.mean_temp_from_lat(60.0)) < float(fac.mean_temp_from_lat(30.0))
    with pytest.raises(InputError):
        fac.state_climate("XX")
    with pytest.raises(InputError):
        fac.pue("core", "air")


def test_cooling_choice_by_density() -> None:
    assert fac.cooling_for_density(8) == "air"
    assert fac.cooling_for_density(35) == "air"
    assert fac.cooling_for_density(36) == "rear-door"
    assert fac.cooling_for_density(120) == "direct-liquid"
    assert fac.cooling_for_density(200) == "immersion"
    costs = [fac.cooling_capex_usd_per_mw(c) for c in ("air", "rear-door", "direct-liquid")]
    assert costs == sorted(costs)
    assert costs[0] == pytest.approx(11.7e6 * 0.375)


@settings(max_examples=60, deadline=None)
@given(kw=st.floats(1.0, 2e6), tech=st.sampled_from(["diesel", "fuel-cell"]))
def test_backup_n_plus_1(kw: float, tech: str) -> None:
    b = fac.backup_cost(kw, tech)
    # with any one unit out the rest still carries the load; one fewer unit would not
    assert (b.units - 1) * b.unit_kw >= kw - 1e-6
    assert (b.units - 2) * b.unit_kw < kw
    assert b.capex_usd == pytest.approx(b.installed_kw * fac.BACKUP[tech].capex_usd_per_kw)


def test_backup_diesel_vs_fuel_cell() -> None:
    d = fac.backup_cost(13_000.0, "diesel")
    f = fac.backup_cost(13_000.0, "fuel-cell")
    assert d.units == math.ceil(13_000 / 2_000) + 1
    # diesel: 150 gal/h per 2 MW (facts.md §6) x 10.19 kg CO2/gal
    assert d.co2_t_per_run_hour == pytest.approx(13_000 * 0.075 * 10.19 / 1000)
    assert f.co2_t_per_run_hour == 0.0 and f.upstream_co2_t_per_run_hour > 0
    assert f.capex_usd > d.capex_usd
    assert f.permit_months < d.permit_months
    assert fac.backup_id("battery+diesel") == "diesel"
    with pytest.raises(InputError, match="--backup"):
        fac.backup_cost(100.0, "nuclear")


def test_interconnection_wait() -> None:
    waits = [fac.interconnection_wait_months(mw) for mw in (0.5, 10, 50, 300)]
    assert waits == sorted(waits)
    assert fac.interconnection_wait_months(300) == 48.0  # national average 4 years (JLL)
    assert fac.interconnection_wait_months(300, "VA") == 84.0  # ~7 years N. Virginia


def test_carbon_arithmetic() -> None:
    assert float(emissions_t(1000.0, 400.0)) == pytest.approx(400.0)
    # 1 J/token, 1e6 tokens = 1e6 J = 0.2778 kWh; x PUE 1.5 x 400 g/kWh = 0.1667 kg
    assert float(kg_co2_per_million_tokens(1.0, 400.0, 1.5)) == pytest.approx(
        1e6 / 3.6e6 * 1.5 * 0.4
    )


def test_site_report_invariants() -> None:
    r = site_report("regional", 10.0, "TX")
    assert r.facility_mw >= r.it_mw
    assert r.facility_mw == pytest.approx(r.it_mw * r.pue)
    assert r.capex_total_usd == pytest.approx(sum(r.capex_usd.values()))
    assert r.annual_energy_mwh == pytest.approx(10.0 * 0.8 * 8760 * r.pue)
    assert r.price_usd_per_mwh == pytest.approx(66.0)  # EIA 2023 Texas industrial 6.60 c/kWh
    assert r.annual_energy_cost_usd == pytest.approx(r.annual_energy_mwh * 66.0)
    # N+1 of units sized to the load: one unit out, the rest carries the facility load
    unit_kw = r.backup_installed_kw / r.backup_units
    assert r.backup_units == math.ceil(r.facility_mw * 1000 / unit_kw) + 1
    liquid = site_report("regional", 10.0, "TX", cooling="direct-liquid", backup="fuel-cell")
    assert liquid.pue < r.pue
    assert liquid.capex_usd["mechanical"] > r.capex_usd["mechanical"]
    assert liquid.backup_co2_t_per_run_hour == 0.0 < r.backup_co2_t_per_run_hour
    with pytest.raises(InputError, match="--it-mw"):
        site_report("micro", 50.0, "TX")
    with pytest.raises(InputError, match="--state"):
        site_report("regional", 10.0, "Atlantis")
    with pytest.raises(InputError, match="--tier"):
        site_report("mega", 10.0, "TX")
