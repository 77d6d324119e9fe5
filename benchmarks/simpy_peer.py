"""Peer for the simulator benchmark: the nearest-available model written plainly in SimPy.

Each site is a ``simpy.Resource`` with ``servers`` capacity (FIFO); each request is a SimPy
process. On arrival, a request tries its demand point's sites in increasing RTT and joins the
first with a free server or fewer than ``queue_limit`` waiting (``len(resource.queue)``); after
``max_hops`` sites it is dropped. Latency = RTT + wait + service.

The peer is fed the very same request stream (arrival times, demand points, service times) as
coredge, so per-request outcomes can be compared, not just distributions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy


@dataclass
class PeerResult:
    """Per-request outcome of the SimPy peer: site (-1 = dropped), wait and latency [ms]."""

    site: npt.NDArray[np.int64]
    wait_ms: npt.NDArray[np.float64]
    latency_ms: npt.NDArray[np.float64]
    wall_s: float
    cpu_s: float


def run_peer(
    rtt_ms: npt.NDArray[np.float64],
    servers: list[int],
    queue_limit: list[int | None],
    arr_ms: npt.NDArray[np.float64],
    demand: npt.NDArray[np.int64],
    svc_ms: npt.NDArray[np.float64],
    max_hops: int | None = None,
) -> PeerResult:
    """Simulate the request stream with SimPy (times in ms).

    Parameters
    ----------
    rtt_ms : ndarray, shape (D, S)
        RTT [ms]; inf = unreachable.
    servers, queue_limit : list
        Per site; queue_limit None = unlimited.
    arr_ms, demand, svc_ms : ndarray, shape (n,)
        Arrival [ms] (nondecreasing), demand point index, service time [ms].
    max_hops : int or None
        Sites a request may try.
    """
    n = len(arr_ms)
    order = []
    for d in range(rtt_ms.shape[0]):
        reach = [s for s in np.argsort(rtt_ms[d], kind="stable").tolist() if math.isfinite(rtt_ms[d, s])]
        order.append(reach[:max_hops] if max_hops is not None else reach)
    site_out = np.full(n, -1, dtype=np.int64)
    wait_out = np.full(n, math.nan)
    lat_out = np.full(n, math.nan)

    env = simpy.Environment()
    res = [simpy.Resource(env, capacity=c) for c in servers]
    limits = [math.inf if q is None else q for q in queue_limit]

    def serve(i: int, s: int, rtt: float) -> Generator[Any, Any, None]:
        t0 = env.now
        with res[s].request() as req:
            yield req
            wait = env.now - t0
            yield env.timeout(svc_ms[i])
        site_out[i] = s
        wait_out[i] = wait
        lat_out[i] = rtt + wait + svc_ms[i]

    def source() -> Generator[Any, Any, None]:
        for i in range(n):
            delay = arr_ms[i] - env.now
            if delay > 0:
                yield env.timeout(delay)
            d = int(demand[i])
            for s in order[d]:
                r = res[s]
                if r.count < r.capacity or len(r.queue) < limits[s]:
                    env.process(serve(i, s, float(rtt_ms[d, s])))
                    break

    t, c = time.perf_counter(), time.process_time()
    env.process(source())
    env.run()
    return PeerResult(site_out, wait_out, lat_out, time.perf_counter() - t, time.process_time() - c)
