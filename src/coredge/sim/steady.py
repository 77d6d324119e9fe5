"""Pools started in steady state: the state of every site as if it had been running for long.

A site that starts empty under-states waits until its servers fill, which takes a few mean
service times; at full scale (millions of slots, services of tens of seconds) that warm-up would
cost billions of requests. `steady_start` instead fills each site's state with a draw of a
system already running at its offered load:

1. **Offered load per site and class** (`fluid_loads`): each (demand point, class) row sends its
   rate down its candidate list (the lists the kernel uses, with the ``plan-share`` draw
   probabilities); a site accepts what fits in its servers and passes the rest on in
   proportion (fluid flow: accepted = offered x min(1, servers / offered busy servers), found
   by fixed-point iteration). The load is in busy servers: rate x mean service / speed.
2. **Requests in the system** (`mmc_occupancy`): a draw of the stationary number in an M/M/c
   (with the site's queue limit) at that load: ``P(n) ~ a^n / n!`` up to ``c``, then
   geometric with ratio ``rho = a / c`` (cut where its mass is 1e-12). A site at saturation starts
   with nobody waiting (assumption: no stationary queue exists there; the run builds its own).
3. **Busy servers' free times**: each busy server serves a class drawn with probability
   proportional to that class's busy servers there, and is free after a draw of the
   equilibrium residual of the class's service time (density ``(1 - F(x)) / E[S]``, the
   remaining service seen at a random instant), tabulated by `residual_quantiles`. Idle
   servers are free at once. With Poisson arrivals and many servers this is the exact
   stationary state of an M/G/infinity pool (Poisson number busy, independent equilibrium
   residuals) and of M/M/c; for M/G/c with a queue it is an approximation, which a short
   warm-up corrects.
4. **Waiting requests**: each joins in FIFO order with a fresh service time of a class drawn by
   arrival share, taking the earliest server-free time as its start (the kernel's rule).

Every draw comes from its own generator spawned from the run's seed (`START_STREAM`), so the
start is reproducible and leaves the traffic streams untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numba import njit

from coredge.sim.kernel import HEAP_ARITY, _replace_min, _sift_down

START_STREAM: int = 1 << 21
"""Spawn key of the random streams of the steady start (apart from traffic and policy draws)."""

RESIDUAL_SAMPLES: int = 1 << 17
"""Service-time draws per class from which the residual distribution is tabulated [count]."""

RESIDUAL_GRID: int = 4096
"""Quantiles of the tabulated residual distribution [count] (linear between them)."""

FLUID_ITERATIONS: int = 60
"""Fixed-point iterations of the fluid routing estimate [count]."""


@njit(cache=True)
def _fluid(rate: np.ndarray, work: np.ndarray, order: np.ndarray, order_len: np.ndarray,
           row_map: np.ndarray, row_class: np.ndarray, servers: np.ndarray, speed: np.ndarray,
           n_class: int, iters: int) -> np.ndarray:
    n_site = servers.shape[0]
    acc = np.ones(n_site)
    load = np.zeros((n_site, n_class))
    for _ in range(iters):
        offered = np.zeros(n_site)
        load[:, :] = 0.0
        for r in range(rate.shape[0]):
            if rate[r] <= 0.0:
                continue
            c = row_map[r]
            k = row_class[r]
            left = rate[r]
            for p in range(order_len[c]):
                s = order[c, p]
                busy = left * work[k] / speed[s]
                offered[s] += busy
                take = left * acc[s]
                load[s, k] += take * work[k] / speed[s]
                left -= take
                if left <= 0.0:
                    break
        for s in range(n_site):
            acc[s] = 1.0 if offered[s] <= servers[s] else servers[s] / offered[s]
    return load


def fluid_loads(rate_row: npt.NDArray[np.float64], mean_svc_ms: npt.NDArray[np.float64],
                order: npt.NDArray[np.int32], order_len: npt.NDArray[np.int32],
                row_map: npt.NDArray[np.int64], row_class: npt.NDArray[np.int64],
                servers: npt.NDArray[np.int64], speed: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Offered load per site and class in busy servers, shape (S, K) [servers].

    Parameters
    ----------
    rate_row : ndarray, shape (rows,)
        Request rate of each kernel row [requests/ms].
    mean_svc_ms : ndarray, shape (K,)
        Mean service time per class at speed 1 [ms].
    order, order_len, row_map : ndarray
        Candidate lists of the policy (`coredge.sim.policies.Candidates`).
    row_class : ndarray, shape (rows,)
        Class of each kernel row.
    servers, speed : ndarray, shape (S,)
        Servers and speed factor per site.

    Examples
    --------
    >>> import numpy as np
    >>> ld = fluid_loads(np.array([0.3]), np.array([10.0]), np.array([[0, 1]], dtype=np.int32),
    ...                  np.array([2], dtype=np.int32), np.array([0]), np.array([0]),
    ...                  np.array([2, 8]), np.ones(2))
    >>> ld.round(3).tolist()  # 3 busy servers offered: 2 fit at the first site, 1 spills
    [[2.0], [1.0]]
    """
    return np.asarray(_fluid(np.asarray(rate_row, dtype=np.float64), np.asarray(mean_svc_ms, dtype=np.float64),
                             order, order_len, np.asarray(row_map, dtype=np.int64),
                             np.asarray(row_class, dtype=np.int64), servers.astype(np.float64),
                             speed, int(mean_svc_ms.shape[0]), FLUID_ITERATIONS), dtype=np.float64)


def residual_quantiles(samples_ms: npt.NDArray[np.float64], grid: int = RESIDUAL_GRID) -> npt.NDArray[np.float64]:
    """Quantiles ``0, 1/grid, ..., 1`` of the equilibrium residual of a service-time sample [ms].

    The residual R of a service time S seen at a random instant has ``P(R <= x) = (1 / E[S])
    int_0^x P(S > u) du``; for the empirical distribution of the sample this CDF is piecewise
    linear between the sorted sample points, so the quantiles are exact for the sample.

    Examples
    --------
    >>> q = residual_quantiles(np.full(10, 8.0), grid=4)  # deterministic 8 ms: R ~ U(0, 8)
    >>> q.tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    x = np.sort(np.asarray(samples_ms, dtype=np.float64))
    n = x.size
    surv = 1.0 - np.arange(n) / n  # P(S > u) on [x_{i-1}, x_i): (n - i) / n
    steps = np.diff(np.concatenate(([0.0], x)))
    cdf = np.concatenate(([0.0], np.cumsum(surv * steps)))
    total = cdf[-1]
    pts = np.concatenate(([0.0], x))
    if not total > 0:
        return np.zeros(grid + 1)
    cdf /= total
    keep = np.concatenate(([True], np.diff(cdf) > 0))
    return np.asarray(np.interp(np.linspace(0.0, 1.0, grid + 1), cdf[keep], pts[keep]), dtype=np.float64)


def draw_residual(q: npt.NDArray[np.float64], u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Residual times [ms] at uniforms ``u`` in [0, 1) from the quantile grid ``q`` (linear)."""
    g = q.size - 1
    x = u * g
    i = np.minimum(x.astype(np.int64), g - 1)
    f = x - i
    return np.asarray(q[i] * (1.0 - f) + q[i + 1] * f, dtype=np.float64)


def mmc_occupancy(a: float, c: int, qlim: int, rng: np.random.Generator) -> int:
    """A draw of the stationary number of requests in an M/M/c/(c + qlim) system [requests].

    Parameters
    ----------
    a : float
        Offered load [busy servers] (arrival rate x mean service).
    c : int
        Servers.
    qlim : int
        Most waiting requests (a huge value = unlimited).
    rng : numpy.random.Generator

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> draws = [mmc_occupancy(2.0, 1000, 10, rng) for _ in range(4000)]
    >>> round(float(np.mean(draws)), 1)  # Poisson(2) far below the servers
    2.0
    """
    from scipy.special import gammaln

    if not a > 0 or c < 1:
        return 0
    rho = a / c
    # the part of n <= c that carries mass: a Poisson(a) window, cut at c
    sd = math.sqrt(a)
    lo = max(0, int(a - 12.0 * sd - 10.0))
    hi = min(c, int(a + 12.0 * sd + 10.0))
    lo = min(lo, hi)
    n1 = np.arange(lo, hi + 1, dtype=np.float64)
    logp1 = n1 * math.log(a) - gammaln(n1 + 1.0)
    # waiting: geometric tail up to where it carries 1e-12 of the mass (at most 10 c or 1e5
    # entries, whichever is more); none at
    # saturation (rho within 1e-9 of 1 or above: no stationary queue exists there, the run
    # builds its own; assumption)
    qcap = (min(qlim, max(10 * c, 100_000), math.ceil(math.log(1e-12) / math.log(rho)))
            if rho < 1.0 - 1e-9 else 0)
    if hi == c and qcap > 0:
        m = np.arange(1, qcap + 1, dtype=np.float64)
        logp2 = logp1[-1] + m * math.log(rho)
        logp = np.concatenate((logp1, logp2))
    else:
        logp = logp1
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return lo + int(rng.choice(p.size, p=p))


@njit(cache=True)
def _fill_site(heap: np.ndarray, off: int, n: int, counts: np.ndarray, tables: np.ndarray,
               u: np.ndarray, inv_speed: float, t0: float) -> None:
    """Fill ``heap[off:off+n]`` with ``counts[k]`` busy servers of class k, each free at
    ``t0 + residual / speed`` (residual = the quantile table ``tables[k]`` at ``u``, linear),
    the rest free at ``t0``; then heapify (the kernel's `HEAP_ARITY`-ary min-heap)."""
    g = tables.shape[1] - 1
    i = 0
    for k in range(counts.shape[0]):
        for _ in range(counts[k]):
            x = u[i] * g
            j = int(x)
            if j >= g:
                j = g - 1
            f = x - j
            heap[off + i] = t0 + (tables[k, j] * (1.0 - f) + tables[k, j + 1] * f) * inv_speed
            i += 1
    for m in range(i, n):
        heap[off + m] = t0
    if n < 2:
        return
    for start in range((n - 2) // HEAP_ARITY, -1, -1):
        _sift_down(heap, off, n, start, heap[off + start])


@njit(cache=True)
def _queue_place(heap: np.ndarray, off: int, n: int, svc: np.ndarray, ring_row: np.ndarray) -> None:
    """Waiting requests join in FIFO order: start at the earliest free time; ring gets starts."""
    for j in range(svc.shape[0]):
        st = heap[off]
        ring_row[j] = st
        _replace_min(heap, off, n, st + svc[j])


SampleFn = Callable[[int, np.random.Generator, int], npt.NDArray[np.float64]]
"""``sample(class index, rng, n) -> service times at speed 1 [ms]``."""


def steady_start(
    load: npt.NDArray[np.float64],
    servers: npt.NDArray[np.int64],
    qlim: npt.NDArray[np.int64],
    speed: npt.NDArray[np.float64],
    arrival_share: npt.NDArray[np.float64],
    sample: SampleFn,
    heap: npt.NDArray[np.float64],
    heap_off: npt.NDArray[np.int64],
    t0_ms: float,
    seed: int,
) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.float64]]]:
    """Fill the kernel's heaps with a steady state at ``load``; return the waiting requests.

    Parameters
    ----------
    load : ndarray, shape (S, K)
        Offered load per site and class [busy servers] (`fluid_loads`).
    servers, qlim, speed : ndarray, shape (S,)
        Servers, queue limit (huge = unlimited) and speed per site.
    arrival_share : ndarray, shape (S, K)
        Share of each class in the site's arrivals (for the waiting requests' classes).
    sample : callable
        ``sample(k, rng, n)``: service times of class ``k`` at speed 1 [ms].
    heap, heap_off : ndarray
        The kernel's heaps (updated in place).
    t0_ms : float
        Time the state is for [ms] (the start of the warm-up).
    seed : int
        Seed of the start's random streams (spawned under `START_STREAM`).

    Returns
    -------
    (waiting, starts) : ndarray of int64, shape (S,), and list of ndarray
        Requests waiting per site and their start times [ms] in FIFO order (for the ring).
    """
    n_site, n_class = load.shape
    ss = np.random.SeedSequence(seed, spawn_key=(START_STREAM,))
    kids = ss.spawn(2 + n_class)
    rng_n, rng_u = np.random.default_rng(kids[0]), np.random.default_rng(kids[1])
    rng_tab = [np.random.default_rng(k) for k in kids[2:]]
    used = load.sum(axis=0) > 0
    tables = np.stack([residual_quantiles(sample(k, rng_tab[k], RESIDUAL_SAMPLES)) if used[k]
                       else np.zeros(RESIDUAL_GRID + 1) for k in range(n_class)])
    waiting = np.zeros(n_site, dtype=np.int64)
    starts: list[npt.NDArray[np.float64]] = []
    ubuf = np.empty(int(servers.max(initial=1)), dtype=np.float32)
    for s in range(n_site):
        c = int(servers[s])
        a = float(load[s].sum())
        n = mmc_occupancy(a, c, int(qlim[s]), rng_n)
        busy = min(n, c)
        w = load[s] / a if a > 0 else np.zeros(n_class)
        counts = rng_n.multinomial(busy, w) if busy > 0 else np.zeros(n_class, dtype=np.int64)
        u = rng_u.random(dtype=np.float32, out=ubuf[:busy])  # one buffer: no fresh pages per site
        _fill_site(heap, int(heap_off[s]), c, counts.astype(np.int64), tables, u,
                   1.0 / float(speed[s]), t0_ms)
        q = n - busy
        if q > 0:
            share = arrival_share[s] / arrival_share[s].sum()
            ks = rng_n.choice(n_class, size=q, p=share)
            svc = np.empty(q)
            for k in np.unique(ks).tolist():
                m = ks == k
                svc[m] = sample(int(k), rng_u, int(m.sum())) / speed[s]
            row = np.empty(q)
            _queue_place(heap, int(heap_off[s]), c, svc, row)
            waiting[s] = q
            starts.append(row)
        else:
            starts.append(np.empty(0))
    return waiting, starts


__all__ = ["START_STREAM", "draw_residual", "fluid_loads", "mmc_occupancy", "residual_quantiles",
           "steady_start"]
