"""Network round-trip time model (pure functions).

Two legs are kept apart because planners reason about them separately:

* the **backbone** between a user's metro (where the access network hands traffic to the
  wider network) and a data center, or between two data centers: light in fiber over a route
  longer than the great circle, plus a fixed switching/queueing overhead;
* the **access network** (last mile) from the user's device to that metro: a constant per access
  technology, taken from national measurements.

Backbone model::

    rtt_ms = 2 * distance_km * route_inflation * fiber_us_per_km / 1000 + overhead_ms

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
"""

from __future__ import annotations

from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

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
    module imports no scenario)."""

    @property
    def route_inflation(self) -> float: ...
    @property
    def fiber_us_per_km(self) -> float: ...
    @property
    def overhead_ms(self) -> float: ...


def rtt_ms(network: BackboneSettings, distance_km: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Backbone RTT for a great-circle distance under a scenario's network settings.

    The one RTT call of the planner and finance: `fiber_rtt_ms` with the route inflation, fiber
    delay and overhead of `network` (``scenario.network``).

    Parameters
    ----------
    network : object with ``route_inflation`` [ratio], ``fiber_us_per_km`` [us/km], ``overhead_ms`` [ms]
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
    >>> net = SimpleNamespace(route_inflation=2.1, fiber_us_per_km=4.9, overhead_ms=1.0)
    >>> round(float(rtt_ms(net, 1000.0)), 2)
    21.58
    """
    return fiber_rtt_ms(distance_km, network.route_inflation, network.fiber_us_per_km, network.overhead_ms)


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


def reach_km(network: BackboneSettings, rtt_budget_ms: float) -> float:
    """Largest great-circle distance whose backbone RTT under `network` fits a budget [km].

    The inverse of `rtt_ms`: `max_distance_km` with the settings of `network` (``scenario.network``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(route_inflation=2.1, fiber_us_per_km=4.9, overhead_ms=1.0)
    >>> round(reach_km(net, 10.0), 1)
    437.3
    """
    return max_distance_km(rtt_budget_ms, network.route_inflation, network.fiber_us_per_km, network.overhead_ms)


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
    """Round trip from a user's device to a data center: access network plus backbone.

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
