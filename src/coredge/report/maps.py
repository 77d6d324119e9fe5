"""Map projections for offline maps drawn on plain Cartesian axes, and which map a scenario gets.

Plotly's geographic subplots download their base map at view time, so coredge projects the
vendored TopoJSON outlines and its points itself and draws them as ordinary x/y traces.
`choose_view` picks the projection and extent from the scenario's points: the Albers US map for
a US scenario, a regional map fitted to the points elsewhere (Europe for Germany + France), the
whole world when the points span it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def albers_usa(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    lat1_deg: float = 29.5,
    lat2_deg: float = 45.5,
    lat0_deg: float = 37.5,
    lon0_deg: float = -96.0,
) -> tuple[FloatArray, FloatArray]:
    """Albers equal-area conic projection on the unit sphere (the USGS contiguous-US parameters).

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Points [degrees].
    lat1_deg, lat2_deg : float
        Standard parallels [degrees] (USGS: 29.5 N and 45.5 N).
    lat0_deg, lon0_deg : float
        Origin [degrees].

    Returns
    -------
    (x, y) : ndarrays
        Projected coordinates [Earth radii].

    Examples
    --------
    >>> x, y = albers_usa([37.5], [-96.0])
    >>> float(x[0]), round(float(y[0]), 12)
    (0.0, 0.0)
    """
    phi = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lam = np.radians(np.asarray(lon_deg, dtype=np.float64))
    p1, p2, p0, l0 = (np.radians(v) for v in (lat1_deg, lat2_deg, lat0_deg, lon0_deg))
    n = (np.sin(p1) + np.sin(p2)) / 2.0
    c = np.cos(p1) ** 2 + 2.0 * n * np.sin(p1)
    rho = np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    rho0 = np.sqrt(c - 2.0 * n * np.sin(p0)) / n
    theta = n * (lam - l0)
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


def equirectangular(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Plate carree: x = longitude, y = latitude [degrees] (for maps outside the US)."""
    return np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Which map a scenario gets: projection and extent from its demand and candidate points

WORLD_LON_SPAN_DEG = 150.0
"""Points spread over more longitude than this get the whole-world map [degrees]."""

WORLD_LAT_SPAN_DEG = 90.0
"""Points spread over more latitude than this get the whole-world map [degrees]."""

PAD_FRAC = 0.08
"""Margin around the points of a regional map, as a share of their span on each axis [fraction]."""

MIN_PAD_DEG = 1.5
"""Smallest margin around the points of a regional map [degrees of latitude]."""


@dataclass(frozen=True)
class MapView:
    """How one report map is drawn.

    Attributes
    ----------
    kind : {"us", "region", "world"}
        ``"us"``: Albers equal-area over the contiguous US (all points there); ``"region"``:
        equirectangular with its standard parallel at the points' middle latitude and the extent
        of the points; ``"world"``: plate carree over the whole world.
    outline : {"us", "world"}
        Which vendored outline to draw (`coredge.report.outlines.outline_lines`).
    lon0_deg, lat0_deg : float
        Central meridian and standard parallel [degrees] (regional maps).
    x_range, y_range : tuple of float or None
        Axis ranges in projected units (None: fit the outline).
    """

    kind: Literal["us", "region", "world"]
    outline: Literal["us", "world"]
    lon0_deg: float = 0.0
    lat0_deg: float = 0.0
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None

    def project(self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Projected (x, y) of points [Earth radii for ``us``, degrees otherwise]."""
        if self.kind == "us":
            return albers_usa(lat_deg, lon_deg)
        if self.kind == "world":
            return equirectangular(lat_deg, lon_deg)
        return regional_equirectangular(lat_deg, lon_deg, self.lat0_deg, self.lon0_deg)

    def lines(self, lon_deg: npt.ArrayLike, lat_deg: npt.ArrayLike) -> list[tuple[FloatArray, FloatArray]]:
        """An outline polyline projected, split where a regional map's wrap-around would streak."""
        x, y = self.project(lat_deg, lon_deg)
        if self.kind != "region" or x.size < 2:
            return [(x, y)]
        jump = np.abs(np.diff(x)) > 180.0 * np.cos(np.radians(self.lat0_deg))
        cuts = np.flatnonzero(jump) + 1
        return [(a, b) for a, b in zip(np.split(x, cuts), np.split(y, cuts), strict=True) if a.size >= 2]


def regional_equirectangular(
    lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, lat0_deg: float, lon0_deg: float
) -> tuple[FloatArray, FloatArray]:
    """Equirectangular projection with standard parallel `lat0_deg` and central meridian `lon0_deg`.

    ``x = wrap(lon - lon0) cos(lat0)``, ``y = lat``: true to scale along the standard parallel, so
    a map of Europe is not stretched east-west as plate carree would stretch it.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Points [degrees].
    lat0_deg, lon0_deg : float
        Standard parallel and central meridian [degrees].

    Returns
    -------
    (x, y) : ndarrays
        [degrees of latitude].

    Examples
    --------
    >>> x, y = regional_equirectangular([60.0], [10.0], 60.0, 0.0)
    >>> round(float(x[0]), 9), float(y[0])
    (5.0, 60.0)
    """
    lam = (np.asarray(lon_deg, dtype=np.float64) - lon0_deg + 180.0) % 360.0 - 180.0
    return lam * np.cos(np.radians(lat0_deg)), np.asarray(lat_deg, dtype=np.float64)


def lon_arc(lon_deg: npt.ArrayLike) -> tuple[float, float]:
    """The shortest arc of longitude holding every point: (centre, span) [degrees].

    It leaves out the widest gap between neighbouring longitudes, so points on both sides of the
    antimeridian (Fiji, Alaska and Siberia) get a narrow arc, not a 360 deg one.

    Examples
    --------
    >>> lon_arc([170.0, -170.0])
    (-180.0, 20.0)
    """
    lon = np.unique((np.asarray(lon_deg, dtype=np.float64) + 180.0) % 360.0 - 180.0)
    if lon.size == 0:
        return 0.0, 0.0
    if lon.size == 1:
        return float(lon[0]), 0.0
    gaps = np.diff(np.r_[lon, lon[0] + 360.0])
    k = int(np.argmax(gaps))
    start = lon[(k + 1) % lon.size]
    span = 360.0 - float(gaps[k])
    centre = (start + span / 2.0 + 180.0) % 360.0 - 180.0
    return float(centre), span


def choose_view(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, all_us: bool = False) -> MapView:
    """The map for a set of points (demand points and candidate sites of a scenario).

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        The points [degrees].
    all_us : bool
        Every point is in the contiguous US: the Albers US map (as coredge has always drawn it).

    Returns
    -------
    MapView
        ``us`` for US scenarios; ``world`` when the points span more than `WORLD_LON_SPAN_DEG` of
        longitude or `WORLD_LAT_SPAN_DEG` of latitude; otherwise a ``region`` map fitted to the
        points with a margin (`PAD_FRAC`, at least `MIN_PAD_DEG`).

    Examples
    --------
    >>> choose_view([52.5, 48.9, 43.3], [13.4, 2.35, 5.4]).kind  # Berlin, Paris, Marseille
    'region'
    >>> choose_view([52.5, 40.7, 35.7], [13.4, -74.0, 139.7]).kind  # Berlin, New York, Tokyo
    'world'
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    if all_us:
        return MapView("us", "us")
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    world = MapView("world", "world", x_range=(-180.0, 180.0), y_range=(-60.0, 85.0))
    if lat.size == 0:
        return world
    lon0, lon_span = lon_arc(lon)
    lat_span = float(lat.max() - lat.min())
    if lon_span > WORLD_LON_SPAN_DEG or lat_span > WORLD_LAT_SPAN_DEG:
        return world
    lat0 = float((lat.max() + lat.min()) / 2.0)
    view = MapView("region", "world", lon0, lat0)
    x, y = view.project(lat, lon)
    pad_x = max(PAD_FRAC * float(x.max() - x.min()), MIN_PAD_DEG)
    pad_y = max(PAD_FRAC * float(y.max() - y.min()), MIN_PAD_DEG)
    return MapView(
        "region", "world", lon0, lat0,
        x_range=(float(x.min()) - pad_x, float(x.max()) + pad_x),
        y_range=(max(float(y.min()) - pad_y, -90.0), min(float(y.max()) + pad_y, 90.0)),
    )
