"""Geodesy and RTT model against known distances and measured round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coredge.geo import SpatialIndex, haversine_km, pairwise_km, world_zone
from coredge.latency import (
    CALIBRATED_FIXED_MS,
    CALIBRATED_INFLATION_EXCESS,
    CALIBRATED_INFLATION_SCALE_KM,
    CORRIDOR_FACTOR,
    access_rtt_range_ms,
    calibrated_rtt_ms,
    corridor_factor,
    fiber_rtt_ms,
    max_distance_km,
    pair_rtt_ms,
    reach_km,
    route_inflation,
    rtt_ms,
    user_rtt_ms,
)
from coredge.scenario.schema import NetworkSpec
from coredge_testing import run_cli

# (lat, lon) of well-known places (GeoNames / Wikipedia coordinates).
NYC = (40.7128, -74.0060)
LA = (34.0522, -118.2437)
LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)


def test_known_great_circle_distances() -> None:
    # New York - Los Angeles ~3,940 km great circle (issue text; Wikipedia ~3,936 km).
    assert haversine_km(*NYC, *LA) == pytest.approx(3940.0, rel=0.005)
    # London - Paris ~344 km (commonly quoted 343-344 km).
    assert haversine_km(*LONDON, *PARIS) == pytest.approx(344.0, rel=0.01)
    # A quarter meridian: pole to equator = pi/2 * R.
    assert haversine_km(90.0, 0.0, 0.0, 0.0) == pytest.approx(np.pi / 2 * 6371.0088, rel=1e-12)
    assert haversine_km(10.0, 20.0, 10.0, 20.0) == 0.0


def test_fiber_rtt_sourced_constants() -> None:
    # 1,000 km at 4.9 us/km one way, no inflation, no overhead -> 9.8 ms RTT (facts.md: ~10 ms).
    assert fiber_rtt_ms(1000.0, route_inflation=1.0, overhead_ms=0.0) == pytest.approx(9.8)
    # Inverse.
    for budget in (5.0, 10.0, 50.0):
        d = max_distance_km(budget)
        assert fiber_rtt_ms(d) == pytest.approx(budget)
    assert max_distance_km(0.5) == 0.0


# Measured data-center RTTs (shared/reference/latency.md §C): (from, to, measured ms).
MEASURED = [
    ((40.7128, -74.0060), (38.9072, -77.0369), 7.50),   # New York - Washington (WonderNetwork 2026)
    ((39.04, -77.49), (40.08, -82.81), 12.5),           # us-east-1 (Ashburn) - us-east-2 (Columbus)
    ((37.35, -121.96), (45.84, -119.70), 22.0),         # us-west-1 (N. Calif.) - us-west-2 (Oregon)
    ((39.04, -77.49), (45.84, -119.70), 63.5),          # us-east-1 - us-west-2
    ((40.08, -82.81), (45.84, -119.70), 51.5),          # us-east-2 - us-west-2
    ((32.78, -96.80), (37.55, -121.99), 44.0),          # Dallas - Fremont (WonderProxy 2011)
    ((40.7128, -74.0060), (37.55, -121.99), 78.0),      # New York - Fremont
]


def _calibrated_by_hand(d_km: float) -> float:
    """The calibrated formula written out: fixed + 2 d (1 + a / (1 + d / s)) x 4.9 us/km."""
    infl = 1.0 + CALIBRATED_INFLATION_EXCESS / (1.0 + d_km / CALIBRATED_INFLATION_SCALE_KM)
    return CALIBRATED_FIXED_MS + 2.0 * d_km * infl * 4.9 / 1000.0


def test_rtt_model_against_measured_pairs() -> None:
    """Both backbone models track measured US data-center RTTs that the calibration never saw
    (WonderNetwork, WonderProxy and a cloudping sample, latency.md §C): the median model/measured
    ratio is close to 1 and every pair is within 35%."""
    for net in (NetworkSpec(), NetworkSpec(model="fixed-inflation")):
        ratios = np.array([float(rtt_ms(net, haversine_km(*a, *b))) / m for a, b, m in MEASURED])
        assert 0.85 <= float(np.median(ratios)) <= 1.2, (net.model, ratios)
        assert np.all(np.abs(ratios - 1.0) <= 0.35), (net.model, ratios)


def test_calibrated_model_is_the_default_and_matches_its_formula() -> None:
    net = NetworkSpec()
    assert net.model == "calibrated"
    assert (net.fixed_ms, net.inflation_excess, net.inflation_scale_km) == (
        CALIBRATED_FIXED_MS, CALIBRATED_INFLATION_EXCESS, CALIBRATED_INFLATION_SCALE_KM
    )
    for d in (0.0, 50.0, 480.0, 1000.0, 3940.0, 12000.0):
        assert float(rtt_ms(net, d)) == pytest.approx(_calibrated_by_hand(d), rel=1e-12)
    # the old model stays available and unchanged
    old = NetworkSpec(model="fixed-inflation")
    assert float(rtt_ms(old, 1000.0)) == pytest.approx(2 * 1000 * 2.1 * 4.9 / 1000 + 1.0)


def test_route_inflation_falls_towards_the_straight_line() -> None:
    d = np.array([0.0, 100.0, 500.0, 1500.0, 4000.0, 20000.0, 1e7])
    infl = route_inflation(d)
    assert infl[0] == pytest.approx(1.0 + CALIBRATED_INFLATION_EXCESS)
    assert np.all(np.diff(infl) < 0) and infl[-1] > 1.0 and infl[-1] < 1.01
    # the RTT itself still rises with distance
    assert np.all(np.diff(calibrated_rtt_ms(d)) > 0)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.0, max_value=400.0), st.sampled_from(["calibrated", "fixed-inflation"]))
def test_reach_is_the_exact_inverse_of_rtt(budget_ms: float, model: str) -> None:
    net = NetworkSpec(model=model)  # type: ignore[arg-type]
    d = reach_km(net, budget_ms)
    floor = float(rtt_ms(net, 0.0))
    if budget_ms <= floor:
        assert d == 0.0
        return
    assert float(rtt_ms(net, d)) == pytest.approx(budget_ms, rel=1e-9, abs=1e-9)
    # monotone: a larger budget reaches at least as far
    assert reach_km(net, budget_ms + 1.0) > d


def test_world_zones_and_corridors() -> None:
    z = world_zone([40.7, -23.5, 51.5, -26.2, 25.2, 19.1, 35.7, -33.9], [-74.0, -46.6, -0.1, 28.0, 55.3, 72.9, 139.7, 151.2])
    assert z.tolist() == ["NA", "SA", "EU", "AF", "ME", "SAS", "EAS", "OC"]
    assert float(corridor_factor(40.7, -74.0, 34.05, -118.2)) == 1.0  # within a zone
    assert float(corridor_factor(40.7, -74.0, 51.5, -0.1)) == CORRIDOR_FACTOR["EU-NA"]
    assert float(corridor_factor(51.5, -0.1, 40.7, -74.0)) == CORRIDOR_FACTOR["EU-NA"]  # symmetric
    net = NetworkSpec()
    d, rtt = pair_rtt_ms(net, 40.7, -74.0, 51.5, -0.1)
    assert float(rtt) == pytest.approx(_calibrated_by_hand(float(d)) * CORRIDOR_FACTOR["EU-NA"])
    # the fixed-inflation model has no corridors
    _, rtt_old = pair_rtt_ms(NetworkSpec(model="fixed-inflation"), 40.7, -74.0, 51.5, -0.1)
    assert float(rtt_old) == pytest.approx(float(fiber_rtt_ms(d)))


def test_access_ranges_bracket_the_medians() -> None:
    for tech in ("fiber", "cable", "dsl", "fixed", "5g", "fwa"):
        lo_hi = access_rtt_range_ms(tech)
        assert lo_hi is not None
        assert lo_hi[0] <= float(user_rtt_ms(0.0, tech)) - 1.0 <= lo_hi[1]
    assert access_rtt_range_ms("leo") is None


def test_user_rtt_adds_access() -> None:
    assert user_rtt_ms(0.0, "5g") == pytest.approx(53.0 + 1.0)
    assert user_rtt_ms(500.0, "fiber") == pytest.approx(10.0 + float(fiber_rtt_ms(500.0)))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**31 - 1),
    st.floats(min_value=50.0, max_value=3000.0),
)
def test_spatial_index_matches_brute_force(seed: int, radius_km: float) -> None:
    rng = np.random.default_rng(seed)
    qa, qo = rng.uniform(25, 49, 40), rng.uniform(-124, -67, 40)
    sa, so = rng.uniform(25, 49, 60), rng.uniform(-124, -67, 60)
    nb = SpatialIndex(sa, so).within_km(qa, qo, radius_km)
    d = pairwise_km(qa, qo, sa, so)
    expect = set(zip(*np.nonzero(d <= radius_km), strict=True))
    got = set(zip(nb.a_index.tolist(), nb.b_index.tolist(), strict=True))
    assert got == expect
    assert np.allclose(nb.distance_km, d[nb.a_index, nb.b_index])


def test_spatial_index_nearest() -> None:
    idx = SpatialIndex([NYC[0], LA[0], LONDON[0]], [NYC[1], LA[1], LONDON[1]])
    dist, which = idx.nearest([PARIS[0]], [PARIS[1]], k=2)
    assert which[0].tolist() == [2, 0]
    assert dist[0, 0] == pytest.approx(344.0, rel=0.01)


def test_rtt_cli() -> None:
    r = run_cli("rtt", "New York", "Los Angeles", "--json")
    assert r.returncode == 0, r.stderr
    import json

    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["distance_km"] == pytest.approx(3940.0, rel=0.005)
    assert out["model"] == "calibrated"
    assert out["rtt_ms"] == pytest.approx(_calibrated_by_hand(out["distance_km"]))  # both in zone NA
    assert out["user_rtt_ms"] == pytest.approx(out["rtt_ms"] + 10.0)
    r2 = run_cli("rtt", "40.7128,-74.0060", "34.0522,-118.2437", "--access", "cable", "--json")
    out2 = json.loads(r2.stdout.strip().splitlines()[-1])
    assert out2["user_rtt_ms"] == pytest.approx(out2["rtt_ms"] + 18.0)
    bad = run_cli("rtt", "Atlantis Prime", "Los Angeles")
    assert bad.returncode == 2 and "FROM" in bad.stderr
    bad2 = run_cli("rtt", "New York", "Los Angeles", "--access", "pigeon")
    assert bad2.returncode == 2 and "access" in bad2.stderr
    old = run_cli("rtt", "New York", "Los Angeles", "--route-inflation", "2.1", "--json")
    out3 = json.loads(old.stdout.strip().splitlines()[-1])
    assert out3["model"] == "fixed-inflation"
    assert out3["rtt_ms"] == pytest.approx(float(fiber_rtt_ms(out3["distance_km"])))
