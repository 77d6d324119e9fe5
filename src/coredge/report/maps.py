"""Map projections for offline maps drawn on plain Cartesian axes.

Plotly's geographic subplots download their base map at view time, so coredge projects the
vendored TopoJSON outlines and its points itself and draws them as ordinary x/y traces.
"""

from __future__ import annotations

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
