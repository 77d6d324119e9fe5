"""Energy of a simulated run from the sites' power models (``sites[].power``).

Every slot (server) of a site is, at each moment, either busy serving a request of class ``k``
(drawing ``busy_w_per_slot[k]``) or idle (drawing ``idle_w / servers``). Over the counted time
``T`` a site's

* busy slot time per class = the service times (at the site's speed) of the requests it served,
  accounted at arrival like the utilisation (a request served across the end of the run counts
  fully);
* idle slot time = ``max(0, servers x T - busy slot time)``;
* IT energy = busy slot time x busy power + idle slot time x idle power per slot; facility
  energy = IT energy x PUE.

Per workload class: the busy energy of its requests plus each site's idle energy split over the
classes in proportion to their busy slot time there (idle energy of a site that served nothing
is counted in the site and tier totals only). J per output token = energy / output tokens of the
served requests (``tokens`` service: tokens = (service at speed 1 - prefill) / tpot); J per
request = energy / served requests.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

J_PER_KWH: float = 3.6e6
"""Joules per kilowatt-hour (definition)."""
MS_PER_S: float = 1000.0


def slot_energy_j(busy_slot_ms: npt.ArrayLike, busy_w_per_slot: npt.ArrayLike,
                  idle_slot_ms: npt.ArrayLike, idle_w_per_slot: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """IT energy of slots that were busy and idle for the given times [J].

    Parameters
    ----------
    busy_slot_ms : array_like
        Busy slot time [ms].
    busy_w_per_slot : array_like
        Power of a busy slot [W].
    idle_slot_ms : array_like
        Idle slot time [ms].
    idle_w_per_slot : array_like
        Power of an idle slot [W].

    Returns
    -------
    ndarray
        Energy [J] (broadcast shape).

    Examples
    --------
    >>> float(slot_energy_j(1000.0, 500.0, 3000.0, 100.0))  # 1 s at 500 W + 3 s at 100 W
    800.0
    """
    b = np.asarray(busy_slot_ms, dtype=np.float64) * np.asarray(busy_w_per_slot, dtype=np.float64)
    i = np.asarray(idle_slot_ms, dtype=np.float64) * np.asarray(idle_w_per_slot, dtype=np.float64)
    return np.asarray((b + i) / MS_PER_S)


def idle_slot_ms(servers: npt.ArrayLike, horizon_ms: float, busy_slot_ms: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Idle slot time of sites over a horizon [ms]: ``max(0, servers x horizon - busy)``.

    Examples
    --------
    >>> idle_slot_ms([4, 2], 1000.0, [1000.0, 2500.0]).tolist()
    [3000.0, 0.0]
    """
    cap = np.asarray(servers, dtype=np.float64) * horizon_ms
    return np.asarray(np.maximum(0.0, cap - np.asarray(busy_slot_ms, dtype=np.float64)))


def site_class_energy_j(
    busy_ms: npt.NDArray[np.float64],
    busy_w: npt.NDArray[np.float64],
    servers: npt.NDArray[np.int64],
    idle_w: npt.NDArray[np.float64],
    horizon_ms: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """IT energy per site and class, and idle energy per site [J].

    Parameters
    ----------
    busy_ms : ndarray, shape (S, K)
        Busy slot time per site and class [ms].
    busy_w : ndarray, shape (S, K)
        Power of a slot busy with class k at site s [W].
    servers : ndarray of int, shape (S,)
        Slots per site [-].
    idle_w : ndarray, shape (S,)
        IT power of each site with every slot idle [W].
    horizon_ms : float
        Counted time [ms].

    Returns
    -------
    busy_j : ndarray, shape (S, K)
        Energy of busy slots per site and class [J].
    idle_j : ndarray, shape (S,)
        Energy of idle slots per site [J].
    class_j : ndarray, shape (S, K)
        ``busy_j`` plus each site's ``idle_j`` split over classes by busy time [J].

    Examples
    --------
    >>> b, i, c = site_class_energy_j(np.array([[500.0, 1500.0]]), np.array([[100.0, 200.0]]),
    ...                               np.array([2]), np.array([40.0]), 2000.0)
    >>> b.tolist(), i.tolist(), c.tolist()
    ([[50.0, 300.0]], [40.0], [[60.0, 330.0]])
    """
    busy_j = busy_ms * busy_w / MS_PER_S
    tot = busy_ms.sum(axis=1)
    idle = idle_slot_ms(servers, horizon_ms, tot)
    per_slot = np.divide(idle_w, servers, out=np.zeros(len(servers)), where=servers > 0)
    idle_j = idle * per_slot / MS_PER_S
    share = np.divide(busy_ms, tot[:, None], out=np.zeros_like(busy_ms), where=tot[:, None] > 0)
    return busy_j, idle_j, busy_j + share * idle_j[:, None]


def per_unit(energy_j: float, units: float) -> float:
    """``energy / units`` [J per unit]; NaN when there are no units.

    Examples
    --------
    >>> per_unit(10.0, 4.0), math.isnan(per_unit(1.0, 0.0))
    (2.5, True)
    """
    return float(energy_j) / float(units) if units > 0 and math.isfinite(units) else math.nan
