"""Network round-trip time model (pure functions).

Two legs are kept apart because planners reason about them separately:

* the **backbone** between a user's metro (where the access network hands traffic to the
  wider network) and a data center, or between two data centers: light in fiber over a route
  longer than the great circle, plus a fixed switching/queueing overhead;
* the **access network** (last mile) from the user's device to that metro: a constant per access
  technology, taken from national measurements.

Backbone models (``scenario.network.model``):

* ``"calibrated"`` (default): a fixed term plus light in fibre over a route whose length over the
  great circle falls with distance, fitted on measured inter-region RTTs (see `calibrated_rtt_ms`
  and docs/latency.md)::

      rtt_ms = fixed_ms + 2 * d * inflation(d) * fiber_us_per_km / 1000
      inflation(d) = 1 + inflation_excess / (1 + d / inflation_scale_km)

* ``"fixed-inflation"``: one route inflation at every distance (`fiber_rtt_ms`)::

      rtt_ms = 2 * distance_km * route_inflation * fiber_us_per_km / 1000 + overhead_ms

Between two points (`pair_rtt_ms`) the calibrated model also applies a factor per pair of world
zones (`CORRIDOR_FACTOR`): long-haul paths follow the submarine cable system, which is straighter
than the great circle on some corridors (North America - Oceania) and much longer on others
(Africa - Oceania, via Europe or Asia). Distance-only callers (the planner) get the within-zone
model, which is what a single-country plan uses.

Sources
-------
* 4.9 us/km one-way delay in single-mode fiber (n ~ 1.467 at 1550 nm): mapyourtech.com;
  Wikipedia "Latency (engineering)" (quoted in shared/reference/facts.md §5).
* Route inflation 2.1 (typical Internet paths) and 1.3 (median best-case conduits, 120 largest US
  metros): Bozkurt et al., "Dissecting Latency in the Internet's Fiber Infrastructure", 2018.
* Access RTTs: FCC Measuring Broadband America 13th report (data Sep-Oct 2022): fiber 7-14 ms,
  cable 12-24 ms, DSL 23-34 ms (idle median to the nearest test server); Ookla (2022) US fixed
  median 14 ms; Ookla 5G multi-server 47-59 ms (2023-24); 5G FWA 50-67 ms (Ookla Q3 2025);
  Starlink US median peak hour 25.7 ms (2025). See shared/reference/latency.md §B.
* Calibrated backbone: fitted by `coredge.validation.rtt.fit_backbone` on the Azure inter-region
  P50 table (Microsoft, 2023-07; ``data/rtt_measured.csv``, split ``fit``); AWS (cloudping P50,
  2023) and IBM Cloud (monthly mean, 2026-08) are held out.
"""

from __future__ import annotations

from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError
from coredge.geo import haversine_km, world_zone

FIBER_US_PER_KM: Final[float] = 4.9
"""One-way propagation delay in fiber [us/km] (mapyourtech.com; facts.md §5)."""

ROUTE_INFLATION_TYPICAL: Final[float] = 2.1
"""Measured RTT / great-circle fiber RTT on typical paths [ratio] (Bozkurt et al. 2018)."""

ROUTE_INFLATION_BEST: Final[float] = 1.3
"""Median best-case conduit inflation, 120 largest US metros [ratio] (Bozkurt et al. 2018)."""

OVERHEAD_MS: Final[float] = 1.0
"""Fixed switching, serialisation and in-facility round-trip [ms]. Assumption: same-AZ RTTs are
0.25-3.4 ms (xkyle.com ~2020, latency.md §C); 1 ms is taken as a typical value."""

ACCESS_RTT_MS: Final[dict[str, float]] = {
    # technology: median RTT to the first metro test server [ms]
    "fiber": 10.0,  # FCC MBA 13th report (2022 data): 7-14 ms; midpoint
    "cable": 18.0,  # FCC MBA 13th report (2022 data): 12-24 ms; midpoint
    "dsl": 28.0,  # FCC MBA 13th report (2022 data): 23-34 ms; midpoint
    "fixed": 14.0,  # Ookla US fixed median, mid/end 2022
    "5g": 53.0,  # Ookla 5G multi-server latency, Q1 2023 (Verizon/T-Mobile 53 ms)
    "fwa": 54.0,  # Ookla 5G fixed wireless, Verizon median, Q3 2025
    "leo": 25.7,  # Starlink US median peak-hour, The Register, July 2025
    "none": 0.0,  # data-center to data-center traffic, no access network
}
"""Last-mile RTT by access technology [ms]; sources in the module docstring."""

ACCESS_RTT_RANGE_MS: Final[dict[str, tuple[float, float] | None]] = {
    # technology: (lowest, highest) published median across ISPs, speed tiers or operators [ms]
    "fiber": (7.0, 14.0),  # FCC MBA 13th report (2022 data), by ISP and tier
    "cable": (12.0, 24.0),  # same
    "dsl": (23.0, 34.0),  # same
    "fixed": (8.0, 16.0),  # Ookla by ISP, 2022-23 (Verizon/Frontier 8 ... Spectrum 16 ms)
    "5g": (47.0, 59.0),  # Ookla 5G multi-server by operator, 2023-24
    "fwa": (50.0, 67.0),  # Ookla 5G FWA by operator, Q3 2025 (T-Mobile 50 ... AT&T 67 ms)
    "leo": None,  # one published median only (Starlink 25.7 ms, 2025)
    "none": (0.0, 0.0),
}
"""Spread of the published last-mile medians by technology [ms]: the range over ISPs, tiers and
operators, not a percentile over users (no public US source gives per-user P90 by technology;
FCC MBA and Ookla publish medians). ``None`` where only one median is published."""

# Calibrated backbone: fitted by coredge.validation.rtt.fit_backbone (scipy least squares on the
# relative error, soft-L1 loss) on the within-zone pairs of the Azure P50 table (Microsoft,
# June-July 2023; data/rtt_measured.csv split "fit"). Re-fitting reproduces these values
# (tests/validation/test_rtt.py).

CALIBRATED_FIXED_MS: Final[float] = 2.00
"""Fixed round-trip term of the calibrated model [ms]: switching, serialisation, queueing and the
hop from a host to the provider backbone at both ends. Fitted (Azure P50, 2023); consistent with
measured same-metro RTTs of 1-3 ms (IBM Cloud inter-AZ 0.8-2.9 ms, 2024-26; Azure Australia
Central - Central 2, both Canberra, 2 ms)."""

CALIBRATED_INFLATION_EXCESS: Final[float] = 1.161
"""Route inflation above the straight line at zero distance [ratio - 1] (fitted, Azure P50 2023)."""

CALIBRATED_INFLATION_SCALE_KM: Final[float] = 4382.0
"""Distance at which the excess route inflation has halved [km] (fitted, Azure P50 2023)."""

CORRIDOR_FACTOR: Final[dict[str, float]] = {
    "AF-EAS": 2.195, "AF-EU": 1.388, "AF-ME": 2.660, "AF-NA": 1.465, "AF-OC": 2.712,
    "AF-SAS": 2.654, "EAS-EU": 1.701, "EAS-ME": 1.393, "EAS-NA": 1.053, "EAS-OC": 1.147,
    "EAS-SA": 1.336, "EAS-SAS": 1.235, "EU-ME": 1.519, "EU-NA": 1.106, "EU-OC": 1.167,
    "EU-SA": 1.423, "EU-SAS": 1.380, "ME-NA": 1.428, "ME-OC": 1.094, "ME-SA": 1.849,
    "ME-SAS": 0.870, "NA-OC": 1.007, "NA-SA": 1.220, "NA-SAS": 1.303, "OC-SA": 1.906,
    "OC-SAS": 1.033, "SA-SAS": 1.736,
}  # fmt: skip
"""Measured / calibrated-model RTT between two world zones (`coredge.geo.world_zone`), keyed
``"A-B"`` with the zone codes sorted; the median over the Azure P50 pairs (2023) of the corridor,
for corridors with at least 3 pairs; 1.0 within a zone and on corridors without data."""


def fiber_rtt_ms(
    distance_km: npt.ArrayLike,
    route_inflation: float = ROUTE_INFLATION_TYPICAL,
    fiber_us_per_km: float = FIBER_US_PER_KM,
    overhead_ms: float = OVERHEAD_MS,
) -> npt.NDArray[np.float64]:
    """Backbone round-trip time over fiber for a great-circle distance.

    Parameters
    ----------
    distance_km : array_like
        Great-circle distance [km].
    route_inflation : float
        Fiber route length / great-circle length [ratio].
    fiber_us_per_km : float
        One-way propagation delay [us/km].
    overhead_ms : float
        Fixed round-trip overhead [ms].

    Returns
    -------
    ndarray
        Round-trip time [ms].

    Examples
    --------
    >>> round(float(fiber_rtt_ms(1000.0)), 2)
    21.58
    """
    d = np.asarray(distance_km, dtype=np.float64)
    return np.asarray(2.0 * d * route_inflation * fiber_us_per_km / 1000.0 + overhead_ms)


class BackboneSettings(Protocol):
    """The backbone parameters `rtt_ms` reads (``scenario.network``, duck-typed so that this bottom
    module imports no scenario). An object without ``model`` is read as ``"fixed-inflation"``
    (the settings of coredge before the calibrated model)."""

    @property
    def route_inflation(self) -> float: ...
    @property
    def fiber_us_per_km(self) -> float: ...
    @property
    def overhead_ms(self) -> float: ...


MODELS: Final[tuple[str, ...]] = ("calibrated", "fixed-inflation")
"""Backbone models `rtt_ms` knows (``scenario.network.model``)."""


def route_inflation(
    distance_km: npt.ArrayLike,
    inflation_excess: float = CALIBRATED_INFLATION_EXCESS,
    inflation_scale_km: float = CALIBRATED_INFLATION_SCALE_KM,
) -> npt.NDArray[np.float64]:
    """Route length / great-circle length of the calibrated model [ratio].

    ``1 + inflation_excess / (1 + d / inflation_scale_km)``: short paths detour through metro
    rings, regional hubs and the exchange points where networks meet, a detour of roughly fixed
    size that weighs less on a long path; long paths run on trunk and submarine routes that
    approach the great circle.

    Parameters
    ----------
    distance_km : array_like
        Great-circle distance [km].
    inflation_excess : float
        Inflation above 1 at zero distance [ratio].
    inflation_scale_km : float
        Distance at which the excess has halved [km].

    Returns
    -------
    ndarray
        Route inflation [ratio], falling from ``1 + inflation_excess`` towards 1.

    Examples
    --------
    >>> float(route_inflation(0.0, 1.0, 1000.0)), float(route_inflation(1000.0, 1.0, 1000.0))
    (2.0, 1.5)
    """
    d = np.asarray(distance_km, dtype=np.float64)
    return np.asarray(1.0 + inflation_excess / (1.0 + d / inflation_scale_km))


def calibrated_rtt_ms(
    distance_km: npt.ArrayLike,
    fixed_ms: float = CALIBRATED_FIXED_MS,
    inflation_excess: float = CALIBRATED_INFLATION_EXCESS,
    inflation_scale_km: float = CALIBRATED_INFLATION_SCALE_KM,
    fiber_us_per_km: float = FIBER_US_PER_KM,
) -> npt.NDArray[np.float64]:
    """Backbone round trip of the calibrated model (within one world zone).

    ``fixed_ms + 2 * d * route_inflation(d) * fiber_us_per_km / 1000``.

    Parameters
    ----------
    distance_km : array_like
        Great-circle distance [km].
    fixed_ms : float
        Fixed round-trip term [ms].
    inflation_excess, inflation_scale_km : float
        As in `route_inflation` [ratio], [km].
    fiber_us_per_km : float
        One-way propagation delay in fibre [us/km].

    Returns
    -------
    ndarray
        Round-trip time [ms].

    Examples
    --------
    >>> round(float(calibrated_rtt_ms(1000.0, 2.0, 1.0, 1000.0, 5.0)), 2)
    17.0
    """
    d = np.asarray(distance_km, dtype=np.float64)
    infl = route_inflation(d, inflation_excess, inflation_scale_km)
    return np.asarray(fixed_ms + 2.0 * d * infl * fiber_us_per_km / 1000.0)


def calibrated_distance_km(
    rtt_budget_ms: float,
    fixed_ms: float = CALIBRATED_FIXED_MS,
    inflation_excess: float = CALIBRATED_INFLATION_EXCESS,
    inflation_scale_km: float = CALIBRATED_INFLATION_SCALE_KM,
    fiber_us_per_km: float = FIBER_US_PER_KM,
) -> float:
    """Largest great-circle distance whose calibrated RTT fits a budget (exact inverse).

    With ``k = 2 fiber_us_per_km / 1000`` [ms/km], ``u = budget - fixed_ms`` and
    ``s = inflation_scale_km``, ``k d (1 + a / (1 + d/s)) = u`` is the quadratic
    ``(k/s) d^2 + (k (1 + a) - u/s) d - u = 0``; its positive root, in the cancellation-free form
    ``d = 2u / (B + sqrt(B^2 + 4 (k/s) u))``, is the answer. The RTT rises strictly with distance
    (its derivative is ``k (1 + a / (1 + d/s)^2) > 0``), so the inverse is unique.

    Parameters
    ----------
    rtt_budget_ms : float
        Round-trip budget [ms].
    fixed_ms, inflation_excess, inflation_scale_km, fiber_us_per_km : float
        As in `calibrated_rtt_ms`.

    Returns
    -------
    float
        Distance [km]; 0 when the budget does not cover the fixed term.

    Examples
    --------
    >>> round(calibrated_distance_km(17.0, 2.0, 1.0, 1000.0, 5.0), 6)
    1000.0
    """
    u = float(rtt_budget_ms) - fixed_ms
    if u <= 0:
        return 0.0
    k = 2.0 * fiber_us_per_km / 1000.0
    a_coef = k / inflation_scale_km
    b_coef = k * (1.0 + inflation_excess) - u / inflation_scale_km
    return float(2.0 * u / (b_coef + np.sqrt(b_coef * b_coef + 4.0 * a_coef * u)))


def _model(network: BackboneSettings) -> str:
    model = str(getattr(network, "model", "fixed-inflation"))
    if model not in MODELS:
        raise InputError.of("network.model", model, f"one of: {', '.join(MODELS)}")
    return model


def _calibrated_params(network: BackboneSettings) -> tuple[float, float, float, float]:
    return (
        float(getattr(network, "fixed_ms", CALIBRATED_FIXED_MS)),
        float(getattr(network, "inflation_excess", CALIBRATED_INFLATION_EXCESS)),
        float(getattr(network, "inflation_scale_km", CALIBRATED_INFLATION_SCALE_KM)),
        float(network.fiber_us_per_km),
    )


def rtt_ms(network: BackboneSettings, distance_km: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Backbone RTT for a great-circle distance under a scenario's network settings.

    The one RTT call of the planner, simulator and finance: `calibrated_rtt_ms` (``model:
    calibrated``, with ``fixed_ms``, ``inflation_excess``, ``inflation_scale_km`` and
    ``fiber_us_per_km`` of `network`) or `fiber_rtt_ms` (``model: fixed-inflation``, with
    ``route_inflation``, ``fiber_us_per_km`` and ``overhead_ms``).

    Parameters
    ----------
    network : object with the fields above (``scenario.network``)
        The scenario's network settings.
    distance_km : array_like
        Great-circle distance [km].

    Returns
    -------
    ndarray
        Round-trip time [ms].

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> old = SimpleNamespace(model="fixed-inflation", route_inflation=2.1, fiber_us_per_km=4.9,
    ...                       overhead_ms=1.0)
    >>> round(float(rtt_ms(old, 1000.0)), 2)  # 2 x 1000 x 2.1 x 4.9 / 1000 + 1
    21.58
    >>> new = SimpleNamespace(model="calibrated", fixed_ms=2.0, inflation_excess=1.0,
    ...                       inflation_scale_km=1000.0, fiber_us_per_km=5.0)
    >>> round(float(rtt_ms(new, 1000.0)), 2)  # 2 + 2 x 1000 x 1.5 x 5 / 1000
    17.0
    """
    if _model(network) == "calibrated":
        return calibrated_rtt_ms(distance_km, *_calibrated_params(network))
    return fiber_rtt_ms(distance_km, network.route_inflation, network.fiber_us_per_km, network.overhead_ms)


def reach_km(network: BackboneSettings, rtt_budget_ms: float) -> float:
    """Largest great-circle distance whose backbone RTT under `network` fits a budget [km].

    The exact inverse of `rtt_ms` (`calibrated_distance_km` or `max_distance_km`, by model).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(model="fixed-inflation", route_inflation=2.1, fiber_us_per_km=4.9,
    ...                       overhead_ms=1.0)
    >>> round(reach_km(net, 10.0), 1)
    437.3
    >>> new = SimpleNamespace(model="calibrated", fixed_ms=2.0, inflation_excess=1.0,
    ...                       inflation_scale_km=1000.0, fiber_us_per_km=5.0)
    >>> round(reach_km(new, 17.0), 6)
    1000.0
    """
    if _model(network) == "calibrated":
        return calibrated_distance_km(rtt_budget_ms, *_calibrated_params(network))
    return max_distance_km(rtt_budget_ms, network.route_inflation, network.fiber_us_per_km, network.overhead_ms)


def corridor_factor(
    a_lat_deg: npt.ArrayLike, a_lon_deg: npt.ArrayLike, b_lat_deg: npt.ArrayLike, b_lon_deg: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """`CORRIDOR_FACTOR` of the world zones of two points (1.0 within a zone) [ratio].

    Examples
    --------
    >>> float(corridor_factor(40.7, -74.0, 41.9, -87.6))
    1.0
    """
    za = world_zone(a_lat_deg, a_lon_deg)
    zb = world_zone(b_lat_deg, b_lon_deg)
    za, zb = np.broadcast_arrays(za, zb)
    keys = np.where(za <= zb, np.char.add(np.char.add(za, "-"), zb), np.char.add(np.char.add(zb, "-"), za))
    unique, inverse = np.unique(keys, return_inverse=True)
    per_key = np.array([CORRIDOR_FACTOR.get(str(k), 1.0) for k in unique], dtype=np.float64)
    out = per_key[inverse.reshape(keys.shape)] if unique.size else np.ones(keys.shape)
    return np.asarray(np.where(za == zb, 1.0, out), dtype=np.float64)


def pair_rtt_ms(
    network: BackboneSettings,
    a_lat_deg: npt.ArrayLike,
    a_lon_deg: npt.ArrayLike,
    b_lat_deg: npt.ArrayLike,
    b_lon_deg: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Great-circle distance and backbone RTT between points, with the corridor factor.

    `rtt_ms` of the distance, times `corridor_factor` under the calibrated model (the
    fixed-inflation model has no corridors).

    Parameters
    ----------
    network : BackboneSettings
        The network settings (``scenario.network``).
    a_lat_deg, a_lon_deg, b_lat_deg, b_lon_deg : array_like
        Coordinates of both ends [degrees].

    Returns
    -------
    (ndarray, ndarray)
        Distance [km] and round-trip time [ms].
    """
    d = haversine_km(a_lat_deg, a_lon_deg, b_lat_deg, b_lon_deg)
    rtt = rtt_ms(network, d)
    if _model(network) == "calibrated":
        rtt = np.asarray(rtt * corridor_factor(a_lat_deg, a_lon_deg, b_lat_deg, b_lon_deg))
    return d, rtt


def max_distance_km(
    rtt_budget_ms: float,
    route_inflation: float = ROUTE_INFLATION_TYPICAL,
    fiber_us_per_km: float = FIBER_US_PER_KM,
    overhead_ms: float = OVERHEAD_MS,
) -> float:
    """Largest great-circle distance whose backbone RTT fits a budget (inverse of `fiber_rtt_ms`).

    Parameters
    ----------
    rtt_budget_ms : float
        Round-trip budget [ms].
    route_inflation, fiber_us_per_km, overhead_ms : float
        As in `fiber_rtt_ms`.

    Returns
    -------
    float
        Distance [km]; 0 when the budget does not even cover the overhead.

    Examples
    --------
    >>> round(max_distance_km(10.0), 1)
    437.3
    """
    usable = rtt_budget_ms - overhead_ms
    if usable <= 0:
        return 0.0
    return float(usable * 1000.0 / (2.0 * route_inflation * fiber_us_per_km))


def access_rtt_range_ms(technology: str) -> tuple[float, float] | None:
    """Lowest and highest published median last-mile RTT of a technology [ms], or None where one
    median only is published (see `ACCESS_RTT_RANGE_MS`).

    Examples
    --------
    >>> access_rtt_range_ms("cable")
    (12.0, 24.0)
    """
    access_rtt_ms(technology)  # validates the name
    return ACCESS_RTT_RANGE_MS[technology.lower()]


def access_rtt_ms(technology: str) -> float:
    """Last-mile RTT of an access technology [ms] (see `ACCESS_RTT_MS`).

    Raises
    ------
    InputError
        If the technology is unknown.
    """
    key = technology.lower()
    if key not in ACCESS_RTT_MS:
        raise InputError.of(
            "access_technology", technology, f"one of: {', '.join(ACCESS_RTT_MS)}"
        )
    return ACCESS_RTT_MS[key]


def user_rtt_ms(
    distance_km: npt.ArrayLike,
    access_technology: str = "fiber",
    route_inflation: float = ROUTE_INFLATION_TYPICAL,
    fiber_us_per_km: float = FIBER_US_PER_KM,
    overhead_ms: float = OVERHEAD_MS,
) -> npt.NDArray[np.float64]:
    """Round trip from a user's device to a data center: access network plus the fixed-inflation
    backbone (`fiber_rtt_ms`; the calibrated model's user RTT is ``access_rtt_ms(tech) +
    rtt_ms(network, km)``).

    Parameters
    ----------
    distance_km : array_like
        Great-circle distance from the user's metro to the site [km].
    access_technology : str
        Key of `ACCESS_RTT_MS` (``fiber``, ``cable``, ``dsl``, ``fixed``, ``5g``, ``fwa``, ``leo``).
    route_inflation, fiber_us_per_km, overhead_ms : float
        As in `fiber_rtt_ms`.

    Returns
    -------
    ndarray
        Round-trip time [ms].

    Examples
    --------
    >>> round(float(user_rtt_ms(0.0, "cable")), 1)
    19.0
    """
    return access_rtt_ms(access_technology) + fiber_rtt_ms(
        distance_km, route_inflation, fiber_us_per_km, overhead_ms
    )
