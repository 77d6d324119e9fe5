"""Geodesy and spatial search: great-circle distances and neighbours within a radius.

Distances use the haversine formula on a sphere of the IUGG mean Earth radius. Neighbour queries use a
k-d tree (scipy ``cKDTree``) on unit-sphere Cartesian coordinates: a great-circle radius maps to a
chord length, so the query is exact on the sphere, and no all-pairs matrix is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM: float = 6371.0088
"""Mean Earth radius [km] (IUGG mean radius R1, Moritz 2000, Geodetic Reference System 1980)."""

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lat1_deg: npt.ArrayLike,
    lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike,
    lon2_deg: npt.ArrayLike,
) -> FloatArray:
    """Great-circle distance between points, broadcast over arrays.

    Parameters
    ----------
    lat1_deg, lon1_deg : array_like
        First point(s) [degrees].
    lat2_deg, lon2_deg : array_like
        Second point(s) [degrees].

    Returns
    -------
    ndarray
        Distance [km] on a sphere of radius `EARTH_RADIUS_KM`.

    Examples
    --------
    >>> round(float(haversine_km(40.7128, -74.0060, 34.0522, -118.2437)))
    3936
    """
    p1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg, dtype=np.float64))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def pairwise_km(
    lat_a_deg: npt.ArrayLike,
    lon_a_deg: npt.ArrayLike,
    lat_b_deg: npt.ArrayLike,
    lon_b_deg: npt.ArrayLike,
) -> FloatArray:
    """Distance matrix between two (small) point sets.

    Parameters
    ----------
    lat_a_deg, lon_a_deg : array_like, shape (n,)
        First set [degrees].
    lat_b_deg, lon_b_deg : array_like, shape (m,)
        Second set [degrees].

    Returns
    -------
    ndarray, shape (n, m)
        Distances [km]. Use `neighbours_within_km` for large sets.

    Examples
    --------
    >>> pairwise_km([0.0], [0.0], [0.0, 0.0], [0.0, 1.0]).round(1).tolist()
    [[0.0, 111.2]]
    """
    la = np.asarray(lat_a_deg, dtype=np.float64)[:, None]
    oa = np.asarray(lon_a_deg, dtype=np.float64)[:, None]
    lb = np.asarray(lat_b_deg, dtype=np.float64)[None, :]
    ob = np.asarray(lon_b_deg, dtype=np.float64)[None, :]
    return haversine_km(la, oa, lb, ob)


def to_unit_xyz(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> FloatArray:
    """Unit-sphere Cartesian coordinates.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n,)
        Points [degrees].

    Returns
    -------
    ndarray, shape (n, 3)
        x, y, z on the unit sphere [dimensionless].
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    c = np.cos(lat)
    return np.column_stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)])


def km_to_chord(distance_km: float) -> float:
    """Chord length on the unit sphere for a great-circle distance [km] (capped at the diameter)."""
    angle = min(distance_km / EARTH_RADIUS_KM, np.pi)
    return float(2.0 * np.sin(angle / 2.0))


@dataclass(frozen=True)
class Neighbours:
    """Sparse neighbour pairs: point ``a_index[k]`` lies within the radius of ``b_index[k]``.

    Attributes
    ----------
    a_index : ndarray of int64
        Index into the first point set.
    b_index : ndarray of int64
        Index into the second point set.
    distance_km : ndarray of float64
        Great-circle distance of each pair [km].
    """

    a_index: npt.NDArray[np.int64]
    b_index: npt.NDArray[np.int64]
    distance_km: FloatArray

    def __len__(self) -> int:
        return int(self.a_index.size)


class SpatialIndex:
    """A k-d tree over points on the sphere for radius queries by great-circle distance.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (m,)
        Indexed points [degrees].

    Examples
    --------
    >>> idx = SpatialIndex([40.71, 34.05], [-74.01, -118.24])
    >>> nb = idx.within_km([40.0], [-75.0], 500.0)
    >>> nb.b_index.tolist()
    [0]
    """

    def __init__(self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> None:
        self.lat_deg = np.asarray(lat_deg, dtype=np.float64)
        self.lon_deg = np.asarray(lon_deg, dtype=np.float64)
        from scipy.spatial import cKDTree  # imported when first needed (start-up time)

        self._tree = cKDTree(to_unit_xyz(self.lat_deg, self.lon_deg))

    def __len__(self) -> int:
        return int(self.lat_deg.size)

    def within_km(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, radius_km: float
    ) -> Neighbours:
        """All (query, indexed) pairs within `radius_km` [km] of each other, sorted by query then distance.

        Parameters
        ----------
        lat_deg, lon_deg : array_like, shape (n,)
            Query points [degrees].
        radius_km : float
            Great-circle radius [km].

        Returns
        -------
        Neighbours
            ``a_index`` into the query points, ``b_index`` into the indexed points.
        """
        qlat = np.asarray(lat_deg, dtype=np.float64)
        qlon = np.asarray(lon_deg, dtype=np.float64)
        from scipy.spatial import cKDTree

        other = cKDTree(to_unit_xyz(qlat, qlon))
        # A tiny slack on the chord so that pairs exactly at the radius are not lost to rounding;
        # the exact haversine filter below decides.
        pairs = other.sparse_distance_matrix(
            self._tree, km_to_chord(radius_km) * (1.0 + 1e-9) + 1e-12, output_type="ndarray"
        )
        a = np.asarray(pairs["i"], dtype=np.int64)
        b = np.asarray(pairs["j"], dtype=np.int64)
        d = haversine_km(qlat[a], qlon[a], self.lat_deg[b], self.lon_deg[b])
        keep = d <= radius_km
        a, b, d = a[keep], b[keep], d[keep]
        order = np.lexsort((d, a))
        return Neighbours(a[order], b[order], d[order])

    def nearest(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, k: int = 1
    ) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """The `k` nearest indexed points of each query point.

        Returns
        -------
        (distance_km, index) : ndarrays, shape (n, k)
            Great-circle distance [km] and index into the indexed points, nearest first.
        """
        qlat = np.asarray(lat_deg, dtype=np.float64)
        qlon = np.asarray(lon_deg, dtype=np.float64)
        k = min(k, len(self))
        _, idx = self._tree.query(to_unit_xyz(qlat, qlon), k=k)
        idx = np.asarray(idx, dtype=np.int64).reshape(qlat.size, k)
        d = haversine_km(qlat[:, None], qlon[:, None], self.lat_deg[idx], self.lon_deg[idx])
        return d, idx


WORLD_ZONES: tuple[str, ...] = ("NA", "SA", "EU", "AF", "ME", "SAS", "EAS", "OC")
"""Coarse world zones of `world_zone`: North America, South America, Europe, Africa, Middle East,
South Asia, East and Southeast Asia, Oceania."""


def world_zone(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Coarse world zone of points, by longitude and latitude bands (see `WORLD_ZONES`).

    The zones group places whose long-haul traffic shares the same terrestrial and submarine
    cable systems; they are boxes, not borders (a convention of coredge):

    * ``NA`` / ``SA``: west of 30 W, north / south of 12 N;
    * ``OC``: south of 10 S and east of 100 E;
    * ``EU``: 30 W to 45 E and north of 35 N;
    * ``ME``: 25-60 E between 12 N and 35 N; ``AF``: the rest of 30 W-60 E south of 35 N;
    * ``SAS``: 45-90 E north of 35 N, and 60-90 E south of it;
    * ``EAS``: east of 90 E (save ``OC``).

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Coordinates [degrees].

    Returns
    -------
    ndarray of str
        Zone code per point.

    Examples
    --------
    >>> world_zone([40.7, 51.5, -33.9, 35.7], [-74.0, -0.1, 151.2, 139.7]).tolist()
    ['NA', 'EU', 'OC', 'EAS']
    """
    lat, lon = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    )
    south_of_35 = lat < 35.0
    me = (lon > 25.0) & (lat > 12.0)
    conds = [
        lon < -30.0,
        (lat < -10.0) & (lon > 100.0),
        (lon < 60.0) & south_of_35,
        lon < 45.0,
        lon < 90.0,
    ]
    choices = [
        np.where(lat < 12.0, "SA", "NA"),
        np.full(lat.shape, "OC"),
        np.where(me, "ME", "AF"),
        np.full(lat.shape, "EU"),
        np.full(lat.shape, "SAS"),
    ]
    return np.asarray(np.select(conds, choices, default="EAS"), dtype=np.str_)
