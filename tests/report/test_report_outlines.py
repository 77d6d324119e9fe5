"""Hand-written TopoJSON decoding: synthetic topologies and the vendored outlines."""

from __future__ import annotations

import numpy as np
import pytest

import coredge.data as cd
import coredge.report.outlines as ro
from coredge.errors import InputError


def _bbox(lines: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float, float, float]:
    lon = np.concatenate([a for a, _ in lines])
    lat = np.concatenate([b for _, b in lines])
    return float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())


def test_decode_quantized_delta_arcs() -> None:
    # arc 0 absolute quantized positions (0,0) (2,4) (3,0) encoded as deltas
    topo = {
        "transform": {"scale": [0.5, 0.25], "translate": [10.0, 20.0]},
        "arcs": [[[0, 0], [2, 4], [1, -4]], [[3, 0], [0, 2]]],
    }
    arcs = ro.decode_arcs(topo)
    np.testing.assert_allclose(arcs[0], [[10.0, 20.0], [11.0, 21.0], [11.5, 20.0]])
    np.testing.assert_allclose(arcs[1], [[11.5, 20.0], [11.5, 20.5]])


def test_decode_unquantized_arcs_are_absolute() -> None:
    topo = {"arcs": [[[-100.5, 40.25], [-99.0, 41.0], [-98.0, 41.0]]]}
    arcs = ro.decode_arcs(topo)
    np.testing.assert_allclose(arcs[0], [[-100.5, 40.25], [-99.0, 41.0], [-98.0, 41.0]])


def test_decode_ignores_extra_dimensions() -> None:
    topo = {"arcs": [[[1.0, 2.0, 99.0], [3.0, 4.0, 98.0]]]}
    np.testing.assert_allclose(ro.decode_arcs(topo)[0], [[1.0, 2.0], [3.0, 4.0]])


def test_arc_indices_handles_reversed_and_nesting() -> None:
    geom = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Polygon", "arcs": [[0, ~1], [2]]},
            {"type": "MultiPolygon", "arcs": [[[~3, 4]], [[5]]]},
            {"type": "LineString", "arcs": [~6]},
            {"type": "MultiLineString", "arcs": [[7], [~8]]},
            {"type": "Point", "coordinates": [0, 0]},
            {"type": None},
        ],
    }
    assert sorted(ro._arc_indices(geom)) == list(range(9))


def _rings(geometry: dict) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return list(geometry["arcs"])
    if geometry["type"] == "MultiPolygon":
        return [ring for poly in geometry["arcs"] for ring in poly]
    return []


@pytest.mark.parametrize(
    ("file", "obj"),
    [("topo/us-states-10m.json", "states"), ("topo/world-countries-110m.json", "countries")],
)
def test_decoded_arcs_join_into_closed_rings(file: str, obj: str) -> None:
    # In a topology, consecutive arcs of a ring share their joint point and the ring closes.
    # A wrong delta decoding (no cumulative sum, wrong scale/translate order) breaks this.
    topo = cd.read_topo(file)
    arcs = ro.decode_arcs(topo)
    n_rings = 0
    for g in topo["objects"][obj]["geometries"]:
        for ring in _rings(g):
            ends = [
                (arcs[i][0], arcs[i][-1]) if i >= 0 else (arcs[~i][-1], arcs[~i][0]) for i in ring
            ]
            for (_, end), (start, _) in zip(ends, ends[1:] + ends[:1], strict=True):
                np.testing.assert_allclose(end, start, atol=1e-9)
            n_rings += 1
    assert n_rings > 100


def test_us_outline_bbox_is_the_contiguous_us() -> None:
    lines = ro.outline_lines("us")
    lon_min, lon_max, lat_min, lat_max = _bbox(lines)
    # Cape Alava WA -124.73; West Quoddy Head ME -66.95; Key West 24.5; Northwest Angle MN 49.38
    assert lon_min == pytest.approx(-124.7, abs=0.3)
    assert lon_max == pytest.approx(-66.95, abs=0.15)
    assert lat_min == pytest.approx(24.5, abs=0.15)
    assert lat_max == pytest.approx(49.38, abs=0.1)
    assert len(lines) > 100
    for lon, lat in lines:
        assert lon.shape == lat.shape and lon.ndim == 1 and len(lon) >= 2
        assert lon.dtype == np.float64


def test_us_outline_excludes_alaska_hawaii_territories() -> None:
    lines = ro.outline_lines("us")
    lon_min, _, lat_min, lat_max = _bbox(lines)
    assert lat_max < 50 and lat_min > 24 and lon_min > -125


def test_world_outline_bbox() -> None:
    lines = ro.outline_lines("world")
    lon_min, lon_max, lat_min, lat_max = _bbox(lines)
    assert lon_min == pytest.approx(-180.0, abs=1e-6)
    assert lon_max == pytest.approx(180.0, abs=1e-6)
    assert lat_min == pytest.approx(-85.6, abs=0.1)  # Antarctica in Natural Earth 110m
    assert lat_max == pytest.approx(83.6, abs=0.1)  # northern Greenland
    # no arc jumps across the map (the data is cut at the antimeridian)
    for lon, _ in lines:
        assert np.abs(np.diff(lon)).max(initial=0.0) < 180.0


def test_outline_lines_are_read_only_and_cached() -> None:
    a = ro.outline_lines("us")
    b = ro.outline_lines("us")
    assert a is not b  # a fresh list each call
    assert a[0][0] is b[0][0]
    with pytest.raises(ValueError):
        a[0][0][0] = 0.0


def test_outline_unknown_region() -> None:
    with pytest.raises(InputError) as exc:
        ro.outline_lines("mars")  # type: ignore[arg-type]
    assert exc.value.problems[0].field == "region"


def test_vectorised_decode_matches_point_by_point_reference() -> None:
    # reference: the TopoJSON spec's algorithm, one point at a time
    topo = cd.read_topo("topo/world-countries-110m.json")
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    got = ro.decode_arcs(topo)
    assert len(got) == len(topo["arcs"])
    for arc, dec in zip(topo["arcs"], got, strict=True):
        x = y = 0
        ref = []
        for dx, dy in arc:
            x += dx
            y += dy
            ref.append((x * sx + tx, y * sy + ty))
        np.testing.assert_allclose(dec, ref, rtol=0, atol=1e-9)


def test_decode_empty_topology() -> None:
    assert ro.decode_arcs({"arcs": []}) == []
