"""Measured inter-region round-trip times and the coordinates of their endpoints.

`load_rtt_measured` joins ``rtt_measured.csv`` (one row per pair of regions, with its source,
statistic, date and fit / held-out split) with ``rtt_region_coordinates.csv`` and adds the
great-circle distance; sources and conditions are in both files' headers.

Examples
--------
>>> df = load_rtt_measured()
>>> sorted(df["source"].unique())
['aws', 'azure', 'ibm']
>>> sorted(df["split"].unique())
['fit', 'held-out']
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from coredge.data import DATA_DIR
from coredge.geo import haversine_km

RTT_SOURCES: dict[str, tuple[str, str]] = {
    "azure": ("Microsoft, Azure network round-trip latency statistics (P50 of 30 days)", "2023-07"),
    "aws": ("cloudping.co AWS inter-region grid (P50), via libp2p/jvm-libp2p", "2023-03"),
    "ibm": ("IBM Cloud VPC network latency dashboard (monthly mean)", "2026-08"),
}
"""Source label and date of each data set of ``rtt_measured.csv`` (details in its header)."""


@lru_cache(maxsize=1)
def _joined() -> pd.DataFrame:
    m = pd.read_csv(DATA_DIR / "rtt_measured.csv", comment="#")
    c = pd.read_csv(DATA_DIR / "rtt_region_coordinates.csv", comment="#")
    c = c.rename(columns={"provider": "source"})
    for end in ("a", "b"):
        m = m.merge(
            c[["source", "region", "lat", "lon"]].rename(
                columns={"region": f"region_{end}", "lat": f"{end}_lat", "lon": f"{end}_lon"}
            ),
            on=["source", f"region_{end}"],
            how="left",
            validate="many_to_one",
        )
    if m[["a_lat", "b_lat"]].isna().any().any():
        missing = m.loc[m["a_lat"].isna() | m["b_lat"].isna(), ["source", "region_a", "region_b"]]
        raise ValueError(f"regions without coordinates: {missing.head().to_dict('records')}")
    m["distance_km"] = haversine_km(m["a_lat"], m["a_lon"], m["b_lat"], m["b_lon"])
    return m


def load_rtt_measured() -> pd.DataFrame:
    """Measured RTTs with endpoint coordinates and distance.

    Returns
    -------
    DataFrame
        ``source``, ``region_a``, ``region_b``, ``rtt_ms`` [ms], ``statistic`` (``p50`` or
        ``mean``), ``date``, ``split`` (``fit`` / ``held-out``), ``a_lat``, ``a_lon``, ``b_lat``,
        ``b_lon`` [degrees], ``distance_km`` [km]; a copy.
    """
    return _joined().copy()


__all__ = ["RTT_SOURCES", "load_rtt_measured"]
