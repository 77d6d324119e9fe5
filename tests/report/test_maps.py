"""Maps fit the scenario (`coredge.report.maps.choose_view`, `coredge.report.html.map_figure`):
Europe for a Germany + France scenario, the world for a world-spanning one, the US as before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from coredge.inputs.demand import city_demand_points
from coredge.report.html import map_figure, map_view
from coredge.report.maps import MIN_PAD_DEG, choose_view, lon_arc, regional_equirectangular

WORLD_WIDTH = 360.0  # plate carree [degrees]


def _covers(view: object, lat: np.ndarray, lon: np.ndarray) -> bool:
    x, y = view.project(lat, lon)  # type: ignore[attr-defined]
    (x0, x1), (y0, y1) = view.x_range, view.y_range  # type: ignore[attr-defined]
    return bool((x >= x0).all() and (x <= x1).all() and (y >= y0).all() and (y <= y1).all())


@pytest.fixture(scope="module")
def europe() -> pd.DataFrame:
    return city_demand_points(("DE", "FR"), min_population=100_000)


def test_germany_france_gets_a_map_of_europe(europe: pd.DataFrame) -> None:
    lat, lon = europe["lat"].to_numpy(), europe["lon"].to_numpy()
    view = choose_view(lat, lon)
    assert view.kind == "region" and view.outline == "world"
    assert _covers(view, lat, lon)
    width = view.x_range[1] - view.x_range[0]
    height = view.y_range[1] - view.y_range[0]
    assert width < 0.1 * WORLD_WIDTH and height < 25.0  # Europe, not the whole world
    # centred on the points: standard parallel between Marseille and Hamburg
    assert 43.0 < view.lat0_deg < 54.0 and -5.0 < view.lon0_deg < 15.0
    # the margin is at least MIN_PAD_DEG on every side
    x, y = view.project(lat, lon)
    assert x.min() - view.x_range[0] >= MIN_PAD_DEG - 1e-9
    assert view.y_range[1] - y.max() >= MIN_PAD_DEG - 1e-9


def test_world_spanning_points_get_the_world() -> None:
    pts = city_demand_points(("DE", "US", "JP", "BR", "AU"), min_population=1_000_000)
    view = choose_view(pts["lat"], pts["lon"])
    assert view.kind == "world"
    assert view.x_range == (-180.0, 180.0)


def test_us_scenarios_keep_the_albers_map() -> None:
    view = choose_view([40.7, 34.05], [-74.0, -118.2], all_us=True)
    assert view.kind == "us" and view.outline == "us" and view.x_range is None


def test_points_across_the_antimeridian_get_a_narrow_map() -> None:
    lat, lon = np.array([-18.1, -17.8, -13.8]), np.array([178.4, -178.0, -171.8])  # Fiji, Samoa
    centre, span = lon_arc(lon)
    assert span == pytest.approx(360.0 - 178.4 - 171.8, abs=1e-9) and (centre > 170.0 or centre < -170.0)
    view = choose_view(lat, lon)
    assert view.kind == "region" and _covers(view, lat, lon)
    assert view.x_range[1] - view.x_range[0] < 20.0


def test_regional_projection_is_true_to_scale_on_its_parallel() -> None:
    x, _ = regional_equirectangular([50.0, 50.0], [0.0, 1.0], 50.0, 0.5)
    assert x[1] - x[0] == pytest.approx(np.cos(np.radians(50.0)))


def _fake_run(demand: pd.DataFrame) -> SimpleNamespace:
    sites = pd.DataFrame({
        "tier": ["regional", "micro"], "lat": demand["lat"].to_numpy()[:2], "lon": demand["lon"].to_numpy()[:2],
        "it_mw": [10.0, 0.5], "name": demand["name"].to_numpy()[:2], "state": ["", ""], "gpus": [8000, 400],
        "online_year": [2027, 2026],
    })
    cand = demand[["lat", "lon"]].copy()
    return SimpleNamespace(inputs=SimpleNamespace(demand=demand, candidates=cand),
                           plan=SimpleNamespace(sites=sites))


def test_the_report_map_of_germany_france_covers_its_points_and_not_the_world(europe: pd.DataFrame) -> None:
    res = _fake_run(europe)
    fig = map_figure(res)  # type: ignore[arg-type]
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert xr is not None and yr is not None
    view = map_view(res)  # type: ignore[arg-type]
    x, y = view.project(europe["lat"].to_numpy(), europe["lon"].to_numpy())
    assert xr[0] <= x.min() and x.max() <= xr[1] and yr[0] <= y.min() and y.max() <= yr[1]
    assert xr[1] - xr[0] < 0.1 * WORLD_WIDTH
    demand = next(t for t in fig.data if str(t.name).startswith("demand points"))
    assert np.allclose(np.asarray(demand.x), x)


def test_the_report_map_of_a_us_run_is_unchanged() -> None:
    us = city_demand_points(("US",), min_population=1_000_000)
    fig = map_figure(_fake_run(us))  # type: ignore[arg-type]
    assert fig.layout.xaxis.range is None  # fitted to the US outline, as before
    assert map_view(_fake_run(us)).kind == "us"  # type: ignore[arg-type]
