"""Geodesy and RTT model against known distances and measured round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coredge.geo import SpatialIndex, haversine_km, pairwise_km
from coredge.latency import fiber_rtt_ms, max_distance_km, user_rtt_ms
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


def test_rtt_model_against_measured_pairs() -> None:
    """The typical-route model (inflation 2.1) tracks measured US data-center RTTs.

    The median model/measured ratio is close to 1 and every pair is within 35%: short regional
    paths are a little slower than the model, long-haul paths a little faster (backbones are
    straighter over long distances), as the path-stretch spread 1.27-2.72 in latency.md §C says.
    """
    ratios = []
    for a, b, measured in MEASURED:
        model = float(fiber_rtt_ms(haversine_km(*a, *b)))
        ratios.append(model / measured)
    ratios_arr = np.array(ratios)
    assert 0.85 <= float(np.median(ratios_arr)) <= 1.2, ratios
    assert np.all(np.abs(ratios_arr - 1.0) <= 0.35), ratios


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
    assert out["rtt_ms"] == pytest.approx(float(fiber_rtt_ms(out["distance_km"])))
    assert out["user_rtt_ms"] == pytest.approx(out["rtt_ms"] + 10.0)
    r2 = run_cli("rtt", "40.7128,-74.0060", "34.0522,-118.2437", "--access", "cable", "--json")
    out2 = json.loads(r2.stdout.strip().splitlines()[-1])
    assert out2["user_rtt_ms"] == pytest.approx(out2["rtt_ms"] + 18.0)
    bad = run_cli("rtt", "Atlantis Prime", "Los Angeles")
    assert bad.returncode == 2 and "FROM" in bad.stderr
    bad2 = run_cli("rtt", "New York", "Los Angeles", "--access", "pigeon")
    assert bad2.returncode == 2 and "access" in bad2.stderr
