"""`coredge rtt` takes southern and western coordinates written as they are ("-33.87,151.21")."""

from __future__ import annotations

import json

from coredge.geo import haversine_km
from coredge_testing import run_cli


def test_negative_latitude_is_a_place_not_an_option() -> None:
    r = run_cli("rtt", "-33.87,151.21", "-37.81,144.96", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    # Sydney - Melbourne, by the great-circle formula on the same coordinates
    assert out["distance_km"] == haversine_km(-33.87, 151.21, -37.81, 144.96)
    assert 700 < out["distance_km"] < 730


def test_unknown_options_are_still_refused() -> None:
    r = run_cli("rtt", "-33.87,151.21", "-37.81,144.96", "--bogus")
    assert r.returncode == 2 and "--bogus" in r.stderr
