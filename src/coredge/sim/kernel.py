"""The compiled request-level kernel (numba): arrays in, accumulators updated in place.

Model (FIFO c-server sites, service time drawn at arrival): because every site serves in
arrival order and a request's service time is known when it arrives, a site can be advanced at
arrival instants only. Per site the kernel keeps

* a min-heap of the ``c`` server-free times, `HEAP_ARITY` children per node (a pool of
  millions of slots then has 7 levels instead of 21, and each level's children share one or
  two cache lines): a request accepted at time ``t`` starts at ``max(t, earliest free time)``
  and replaces that earliest time by ``start + service``. Only the multiset of free times
  matters, so the arity changes no result;
* a ring buffer of the start times of accepted requests that have not started yet. Start times
  are nondecreasing in FIFO order, so the number waiting at ``t`` is the ring's length after
  popping entries with ``start <= t``.

Requests arrive in global time order (one superposed stream), so lazy popping is exact.

Everything is accounted at arrival: a request is either dropped (no candidate accepted it) or
served, exactly once. Times are in milliseconds inside the kernel.

Accumulator layouts (column indices) are the module constants below; `coredge.sim.engine` owns
the arrays and turns them into tables.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coredge.sim.hist import (
    COARSE,
    FREXP_E_MIN,
    HI_EDGE_MS,
    INNER_EDGES_MS,
    LO_MS,
    MANT_BITS,
    N_INNER,
    SUB_BUCKET_BIN,
)

# policy codes understood by the kernel
FIRST_ACCEPT: int = 0
"""Try candidates in list order; join the first with a free server or queue room."""
LEAST_EXPECTED: int = 1
"""Join the candidate with the least RTT + expected wait (ties: earlier in the list)."""

# per-site int64 columns
S_ACCEPTED, S_SPILLED, S_SLO_MET, S_FIRST_ARR, S_QSEEN, S_WAITED, S_REFUSED = range(7)
N_SITE_I = 7
# per-site float64 columns
S_BUSY_MS, S_LAT_SUM, S_WAIT_SUM = range(3)
N_SITE_F = 3
# per-class / per-demand int64 columns
G_ARR, G_DROP, G_SLO_MET, G_SPILLED, G_WAITED = range(5)
N_GROUP_I = 5
# per-class / per-demand float64 columns
G_LAT_SUM, G_WAIT_SUM = range(2)
N_GROUP_F = 2
# per-minute int64 columns
T_ARR, T_DROP, T_SPILLED, T_SLO_MET, T_WAITED = range(5)
N_TS_I = 5
# per-minute float64 columns
T_LAT_SUM, T_WAIT_SUM = range(2)
N_TS_F = 2
# fault windows: fault_i[w, k, col], w = 0 arrival outside every fault window (of any kind),
# 1 = inside one; k = class; int64 columns
F_ARR, F_DROP, F_SLO_MET = range(3)
N_FAULT_I = 3
# per (site, class) float64 columns: served requests, busy slot time [ms] (service at the
# site's speed), service time at speed 1 [ms] (tokens = (that - n x prefill) / tpot)
SC_N, SC_BUSY_MS, SC_SVC1_MS = range(3)
N_SC_F = 3

MS_PER_MINUTE: float = 60_000.0
_PER_MINUTE: float = 1.0 / MS_PER_MINUTE


_MANT_SCALE = float(1 << (MANT_BITS + 1))
_MANT_N = 1 << MANT_BITS


@njit(cache=True, inline="always")
def _bin(x: float) -> int:
    """Histogram bin of ``x`` [ms] (same result as `coredge.sim.hist.bin_index`)."""
    if x < LO_MS:
        return 0
    if x >= HI_EDGE_MS:
        return N_INNER + 1
    m, e = math.frexp(x)
    j = (e - FREXP_E_MIN) * _MANT_N + int((m - 0.5) * _MANT_SCALE)
    b = SUB_BUCKET_BIN[j]
    while x >= INNER_EDGES_MS[b]:
        b += 1
    return b


HEAP_ARITY: int = 8
"""Children per node of the server-free-time heaps (8 float64 = one 64-byte cache line)."""


@njit(cache=True, inline="always")
def _sift_down(heap: np.ndarray, off: int, n: int, i: int, value: float) -> None:
    """Put ``value`` at node ``i`` of the `HEAP_ARITY`-ary min-heap ``heap[off:off+n]`` and sift
    it down (the subtrees below ``i`` are heaps)."""
    while True:
        first = HEAP_ARITY * i + 1
        if first >= n:
            break
        last = first + HEAP_ARITY
        if last > n:
            last = n
        child = first
        cv = heap[off + first]
        for j in range(first + 1, last):
            v = heap[off + j]
            if v < cv:
                cv = v
                child = j
        if cv < value:
            heap[off + i] = cv
            i = child
        else:
            break
    heap[off + i] = value


@njit(cache=True, inline="always")
def _replace_min(heap: np.ndarray, off: int, n: int, value: float) -> None:
    """Replace the root of the `HEAP_ARITY`-ary min-heap ``heap[off:off+n]`` by ``value`` and
    sift down."""
    _sift_down(heap, off, n, 0, value)


@njit(cache=True, inline="always")
def _pop_started(
    ring: np.ndarray, head: np.ndarray, cnt: np.ndarray, s: int, t: float
) -> int:
    """Drop ring entries of site ``s`` that have started by ``t``; return how many wait."""
    cap = ring.shape[1]
    h = head[s]
    c = cnt[s]
    while c > 0 and ring[s, h] <= t:
        h += 1
        if h == cap:
            h = 0
        c -= 1
    head[s] = h
    cnt[s] = c
    return c


@njit(cache=True, inline="always")
def _faulted(s: int, t: float, f_site: np.ndarray, f_lo: np.ndarray, f_hi: np.ndarray) -> bool:
    for j in range(f_site.shape[0]):
        if f_site[j] == s and f_lo[j] <= t and t < f_hi[j]:
            return True
    return False


@njit(cache=True, nogil=True)
def run_chunk(
    start_i: int,
    arr_ms: np.ndarray,
    row: np.ndarray,
    svc_ms: np.ndarray,
    row_class: np.ndarray,
    row_dem: np.ndarray,
    row_cand: np.ndarray,
    policy: int,
    order: np.ndarray,
    order_len: np.ndarray,
    rtt_ord: np.ndarray,
    servers: np.ndarray,
    qlim: np.ndarray,
    speed: np.ndarray,
    mean_svc_ms: np.ndarray,
    slo_ms: np.ndarray,
    slo_fac: np.ndarray,
    f_site: np.ndarray,
    f_lo: np.ndarray,
    f_hi: np.ndarray,
    w_lo: np.ndarray,
    w_hi: np.ndarray,
    dr_site: np.ndarray,
    dr_t: np.ndarray,
    dr_end: np.ndarray,
    dr_block: np.ndarray,
    dr_ptr: np.ndarray,
    heap: np.ndarray,
    heap_off: np.ndarray,
    ring: np.ndarray,
    ring_head: np.ndarray,
    ring_cnt: np.ndarray,
    site_i: np.ndarray,
    site_f: np.ndarray,
    hist_site_lat: np.ndarray,
    hist_site_wait: np.ndarray,
    class_i: np.ndarray,
    class_f: np.ndarray,
    hist_class_lat: np.ndarray,
    hist_class_wait: np.ndarray,
    dem_i: np.ndarray,
    dem_f: np.ndarray,
    ts_i: np.ndarray,
    ts_f: np.ndarray,
    ts_hist: np.ndarray,
    fault_i: np.ndarray,
    sc_f: np.ndarray,
    account: bool,
    record: bool,
    rec_site: np.ndarray,
    rec_wait_ms: np.ndarray,
) -> int:
    """Simulate requests ``start_i ..`` of one chunk; return the index reached.

    Parameters
    ----------
    start_i : int
        First request of the chunk to process.
    arr_ms : ndarray of float64, shape (n,)
        Arrival times [ms], nondecreasing (also across chunks).
    row : ndarray of int32, shape (n,)
        Candidate-list row of each request: ``demand_index * n_class + class_index``.
    svc_ms : ndarray of float64, shape (n,)
        Service time at a site of speed 1 [ms]; divided by ``speed[site]``.
    row_class, row_dem, row_cand : ndarray of int64, shape (rows,)
        Class, demand point and candidate list of each row.
    policy : int
        `FIRST_ACCEPT` or `LEAST_EXPECTED`.
    order, order_len, rtt_ord : ndarray
        Candidate sites of list ``c = row_cand[r]``: ``order[c, :order_len[c]]``, with RTT [ms]
        ``rtt_ord[c, p]``.
    servers, qlim, speed : ndarray
        Per site: servers [-], queue limit [requests] (huge = unlimited), speed factor [-].
    mean_svc_ms, slo_ms : ndarray of float64, shape (n_class,)
        Mean service time at speed 1 [ms] (for `LEAST_EXPECTED`); latency SLO [ms] (inf = none).
    slo_fac : ndarray of float64, shape (n_class,)
        A request meets its SLO when ``latency <= slo_ms[k] + slo_fac[k] x svc_ms`` (service at
        speed 1): an SLO that grows with the request's work (0 = a fixed SLO).
    f_site, f_lo, f_hi : ndarray
        Fault windows: site index, start [ms], end [ms]; the site accepts nothing in [lo, hi).
    w_lo, w_hi : ndarray
        Windows of faults of every kind [ms]: an arrival inside one counts as "during".
    dr_site, dr_t, dr_end, dr_block, dr_ptr : ndarray
        Capacity derates sorted by start ``dr_t`` [ms]: from ``dr_t`` to ``dr_end`` site
        ``dr_site`` keeps ``dr_block`` fewer servers for new starts. Applied at the first
        arrival at or after ``dr_t`` (nothing changes between arrivals): ``dr_block`` blocker
        jobs join the site, each taking the earliest-free server until ``dr_end`` (heap root
        ``f`` becomes ``max(f, dr_end)``); so the next start is at the ``dr_block + 1``-th
        earliest free time, i.e. when fewer than ``servers - dr_block`` are in service.
        ``dr_ptr[0]``: next event to apply (state across calls).
    heap, heap_off, ring, ring_head, ring_cnt : ndarray
        Site state (see module docstring); updated in place.
    site_i ... fault_i, sc_f : ndarray
        Accumulators (layouts: module constants); updated in place. ``sc_f[s, k, col]``: served
        requests, busy slot time and speed-1 service time per site and class (energy). ``ts_*`` rows are minutes
        since time 0 and must cover every arrival of the chunk.
    account : bool
        False during a warm-up: requests change the sites' state (servers, queues) but are not
        counted anywhere.
    record : bool
        Whether to write each request's site (-1 = dropped) and wait [ms] to ``rec_*``.

    Returns
    -------
    int
        ``n`` when the chunk is done; otherwise the index of a request whose site's ring buffer
        is full: grow ``ring`` and call again from there (nothing of that request was counted).
    """
    n = arr_ms.shape[0]
    cap = ring.shape[1]
    n_fault = f_site.shape[0]
    n_win = w_lo.shape[0]
    n_der = dr_t.shape[0]
    for i in range(start_i, n):
        t = arr_ms[i]
        if n_der > 0:
            while dr_ptr[0] < n_der and dr_t[dr_ptr[0]] <= t:
                ev = dr_ptr[0]
                sd = dr_site[ev]
                for _b in range(dr_block[ev]):
                    if heap[heap_off[sd]] >= dr_end[ev]:
                        break
                    _replace_min(heap, heap_off[sd], servers[sd], dr_end[ev])
                dr_ptr[0] = ev + 1
        r = row[i]
        k = row_class[r]
        d = row_dem[r]
        r = row_cand[r]
        n_cand = order_len[r]
        chosen = -1
        pos = -1
        qseen = 0
        if n_cand > 0:
            qseen = _pop_started(ring, ring_head, ring_cnt, order[r, 0], t)
        if policy == FIRST_ACCEPT:
            for p in range(n_cand):
                s = order[r, p]
                if n_fault > 0 and _faulted(s, t, f_site, f_lo, f_hi):
                    continue
                w = _pop_started(ring, ring_head, ring_cnt, s, t)
                if heap[heap_off[s]] <= t or w < qlim[s]:
                    chosen = s
                    pos = p
                    break
        else:
            best = math.inf
            for p in range(n_cand):
                rt = rtt_ord[r, p]
                if rt >= best:
                    break
                s = order[r, p]
                if n_fault > 0 and _faulted(s, t, f_site, f_lo, f_hi):
                    continue
                w = _pop_started(ring, ring_head, ring_cnt, s, t)
                if heap[heap_off[s]] <= t:
                    e = rt
                elif w < qlim[s]:
                    e = rt + (w + 1.0) / servers[s] * mean_svc_ms[k] / speed[s]
                else:
                    continue
                if e < best:
                    best = e
                    chosen = s
                    pos = p
        in_fault = 0
        if n_win > 0:
            for j in range(n_win):
                if w_lo[j] <= t and t < w_hi[j]:
                    in_fault = 1
                    break
        if chosen >= 0:
            off = heap_off[chosen]
            st = heap[off]
            if st < t:
                st = t
            if st > t and ring_cnt[chosen] >= cap:
                return i  # ring full: caller grows it and resumes here
        if not account:
            if chosen >= 0:
                _replace_min(heap, off, servers[chosen], st + svc_ms[i] / speed[chosen])
                if st > t:
                    tail = ring_head[chosen] + ring_cnt[chosen]
                    if tail >= cap:
                        tail -= cap
                    ring[chosen, tail] = st
                    ring_cnt[chosen] += 1
            if record:
                rec_site[i] = chosen
                rec_wait_ms[i] = st - t if chosen >= 0 else math.nan
            continue
        minute = int(t * _PER_MINUTE)
        # ---- accounting (nothing above has been counted) ----
        if n_cand > 0:
            s0 = order[r, 0]
            site_i[s0, S_FIRST_ARR] += 1
            site_i[s0, S_QSEEN] += qseen
            if chosen != s0:
                site_i[s0, S_REFUSED] += 1
        class_i[k, G_ARR] += 1
        dem_i[d, G_ARR] += 1
        ts_i[minute, T_ARR] += 1
        fault_i[in_fault, k, F_ARR] += 1
        if chosen < 0:
            class_i[k, G_DROP] += 1
            dem_i[d, G_DROP] += 1
            ts_i[minute, T_DROP] += 1
            fault_i[in_fault, k, F_DROP] += 1
            if record:
                rec_site[i] = -1
                rec_wait_ms[i] = math.nan
            continue
        s = chosen
        sv = svc_ms[i] / speed[s]
        _replace_min(heap, off, servers[s], st + sv)
        wait = st - t
        if wait > 0.0:
            tail = ring_head[s] + ring_cnt[s]
            if tail >= cap:
                tail -= cap
            ring[s, tail] = st
            ring_cnt[s] += 1
        lat = rtt_ord[r, pos] + wait + sv
        lb = _bin(lat)
        wb = _bin(wait)
        met = lat <= slo_ms[k] + slo_fac[k] * svc_ms[i]
        site_i[s, S_ACCEPTED] += 1
        site_f[s, S_BUSY_MS] += sv
        sc_f[s, k, SC_N] += 1.0
        sc_f[s, k, SC_BUSY_MS] += sv
        sc_f[s, k, SC_SVC1_MS] += svc_ms[i]
        site_f[s, S_LAT_SUM] += lat
        site_f[s, S_WAIT_SUM] += wait
        hist_site_lat[s, lb] += 1
        hist_site_wait[s, wb] += 1
        class_f[k, G_LAT_SUM] += lat
        class_f[k, G_WAIT_SUM] += wait
        hist_class_lat[k, lb] += 1
        hist_class_wait[k, wb] += 1
        dem_f[d, G_LAT_SUM] += lat
        dem_f[d, G_WAIT_SUM] += wait
        ts_f[minute, T_LAT_SUM] += lat
        ts_f[minute, T_WAIT_SUM] += wait
        ts_hist[minute, lb // COARSE] += 1
        if wait > 0.0:
            site_i[s, S_WAITED] += 1
            class_i[k, G_WAITED] += 1
            dem_i[d, G_WAITED] += 1
            ts_i[minute, T_WAITED] += 1
        if pos > 0:
            site_i[s, S_SPILLED] += 1
            class_i[k, G_SPILLED] += 1
            dem_i[d, G_SPILLED] += 1
            ts_i[minute, T_SPILLED] += 1
        if met:
            site_i[s, S_SLO_MET] += 1
            class_i[k, G_SLO_MET] += 1
            dem_i[d, G_SLO_MET] += 1
            ts_i[minute, T_SLO_MET] += 1
            fault_i[in_fault, k, F_SLO_MET] += 1
        if record:
            rec_site[i] = s
            rec_wait_ms[i] = wait
    return n
