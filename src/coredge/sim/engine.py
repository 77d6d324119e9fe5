"""Orchestration: spec -> compiled kernel, chunk by chunk -> `SimResult` (tables + summary).

Memory does not grow with the number of requests: requests are generated in chunks, and every
statistic is a fixed-size accumulator (log-spaced histograms, counts and sums). The per-minute
time series grows with simulated time (one row per minute), not with requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.sim import kernel as K
from coredge.sim.batch_means import slo_ci
from coredge.sim.policies import RoutingInputs, get_policy
from coredge.sim.spec import (
    BurstSpec,
    FaultSpec,
    NetworkSpec,
    rtt_matrix_ms,
    serves_matrix,
    share_rows,
    site_servers,
)
from coredge.sim.tables import (
    UNLIMITED_QUEUE,
    Accumulators,
    SimResult,
    add_energy,
    build_result,
    fault_arrays,
)
from coredge.sim.traffic import MS_PER_H, MS_PER_S, ServiceSampler, TrafficSource

DEFAULT_REQUESTS: int = 1_000_000
"""Requests simulated when neither a count nor a duration is given."""

CHUNK: int = 1 << 18
"""Requests per generated chunk (memory ~ 20 bytes x CHUNK)."""

RECORD_LIMIT: int = 5_000_000
"""Most requests for which a per-request table may be kept (it grows with requests)."""

REPLICA_STREAM: int = 1 << 22
"""Spawn key of the seeds of replications r >= 1 (`replication_seed`)."""
START_KINDS: tuple[str, ...] = ("empty", "steady")
"""States a run may start its sites in (`simulate` ``start``)."""
DRAW_STREAM: int = 1 << 20
"""Spawn key of the random stream of per-request policy draws (``plan-share``); apart from the
traffic streams, so adding a draw changes no arrival, class or service time."""


REPLICATIONS: int = 2
"""Replications of `coredge simulate` and of a plan's busy hour by default (one per core of a
2-core machine; results depend on it, never on the machine)."""

PARALLEL_MIN_REQUESTS: int = 50_000_000
"""Fewest requests for which `default_workers` uses more than one process on a small spec:
starting a worker costs about a second (imports), while a small spec runs ~1e7 requests a
second on one core, so below ~5e7 a second process costs more than it saves (measured:
benchmarks/results_sim.md, 1e7 requests on the 50-site spec, 1.45 s in one process, 1.92 s in
two) [requests]."""

PARALLEL_MIN_SLOTS: int = 1_000_000
"""Fewest servers (slots) for which `default_workers` uses more than one process whatever the
request count: each replication's start (heaps of every slot, steady state) then costs
seconds, more than starting a process [servers]."""


def default_workers(replications: int, requests: int | None, servers: int = 0) -> int:
    """Processes for a run: the cores this process may use, at most one per replication; one
    when the run has fewer than `PARALLEL_MIN_REQUESTS` requests and fewer than
    `PARALLEL_MIN_SLOTS` servers (``requests`` None = a duration: as many as the cores)."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    if requests is not None and requests < PARALLEL_MIN_REQUESTS and servers < PARALLEL_MIN_SLOTS:
        return 1
    return max(1, min(replications, cores))


def replication_seed(seed: int, r: int) -> int:
    """Seed of replication ``r`` of a run of seed ``seed`` (`simulate` ``replications``).

    Replication 0 uses ``seed`` itself, so a run of one replication is the run without any;
    replication r >= 1 a 63-bit seed spawned from it under `REPLICA_STREAM`.

    Examples
    --------
    >>> replication_seed(7, 0), replication_seed(7, 1) == replication_seed(7, 1) != 7
    (7, True)
    """
    if r == 0:
        return seed
    w = np.random.SeedSequence(seed, spawn_key=(REPLICA_STREAM, r)).generate_state(2, np.uint32)
    return (int(w[0]) << 31) ^ int(w[1])


def simulate(
    spec: NetworkSpec,
    *,
    requests: int | None = None,
    hours: float | None = None,
    seed: int = 0,
    policy: str | None = None,
    max_hops: int | None = None,
    faults: Sequence[FaultSpec] = (),
    samplers: Mapping[str, ServiceSampler] | None = None,
    chunk_size: int = CHUNK,
    bursts: Sequence[BurstSpec] = (),
    record: bool = False,
    progress: Callable[[int], None] | None = None,
    warmup_s: float = 0.0,
    slo_batches: int = 0,
    start: str = "empty",
    replications: int = 1,
    workers: int = 1,
) -> SimResult:
    """Simulate a network spec request by request.

    Parameters
    ----------
    spec : NetworkSpec
        Validated spec (`coredge.sim.spec`).
    requests : int, optional
        Number of requests to simulate (default 1e6 when ``hours`` is not given either).
    hours : float, optional
        Simulated duration [h] instead of a request count.
    seed : int
        Seed of all randomness; same seed, same results (independent of ``chunk_size``).
    policy : str, optional
        Routing policy name overriding ``spec.routing.policy``.
    max_hops : int, optional
        Overrides ``spec.routing.max_hops``.
    faults : sequence of FaultSpec
        Site outages in addition to ``spec.faults``.
    bursts : sequence of BurstSpec
        Traffic bursts in addition to ``spec.bursts`` (scheduled windows in counted time).
    samplers : mapping of class id to ServiceSampler, optional
        Service-time generators replacing the spec's distributions.
    chunk_size : int
        Requests per generated chunk.
    record : bool
        Keep a per-request table (at most `RECORD_LIMIT` requests).
    progress : callable, optional
        Called with the number of requests done after each chunk.
    warmup_s : float
        Simulated time [s] run before counting starts: requests arriving in the warm-up fill the
        servers and queues but are not counted, so a system that starts empty does not
        under-state waits. Times in the results (minutes, faults, ``horizon_s``) are measured
        from the end of the warm-up; ``requests`` and ``hours`` count after it.
    slo_batches : int
        With a request count and a finite SLO: split the counted requests into this many
        batches of consecutive arrivals (the generation chunks, which do not change the
        results; ``ceil(slo_batches / replications)`` per replication) and add ``slo_ci`` to
        the summary, the batch-means 95 % confidence interval of the SLO attainment overall and
        per class over the batches of every replication
        (`coredge.sim.batch_means.batch_means_ci`). 0: none.
    start : {"empty", "steady"}
        State of the sites at the start of the warm-up: every server free (``"empty"``), or a
        draw of the steady state at each site's offered load (``"steady"``,
        `coredge.sim.steady`: busy servers with residual services, waiting requests), so a
        short warm-up suffices.
    replications : int
        Independent runs, each with its own seed (`replication_seed`; replication 0 uses
        ``seed`` itself), its own start and warm-up, and an equal part of ``requests`` (or of
        ``hours``); their counts, sums and histograms are added into one result
        (``horizon_s`` = the sum of their counted times). The results depend on
        ``replications``, never on ``workers``.
    workers : int
        Processes the replications run in (this one included; replication r runs in worker
        ``r % workers``). With ``samplers`` (which need not pickle) they run here.

    Returns
    -------
    SimResult

    Examples
    --------
    >>> from coredge.sim.spec import spec_from_dict
    >>> s = spec_from_dict({"sites": [{"id": "s0", "servers": 1, "queue_limit": 1000}],
    ...     "demand": [{"id": "d0", "rate_per_s": 10.0}], "rtt_ms": [[0.0]],
    ...     "service": {"distribution": "exponential", "mean_ms": 50.0}})
    >>> r = simulate(s, requests=20_000, seed=1)
    >>> r.summary["completed"] + r.summary["dropped"]
    20000
    """
    return simulate_windows(
        spec, [Window(requests, hours, tuple(faults))], seed=seed, policy=policy,
        max_hops=max_hops, samplers=samplers, chunk_size=chunk_size, bursts=bursts, record=record,
        progress=progress, warmup_s=warmup_s, slo_batches=slo_batches, start=start,
        replications=replications, workers=workers)[0]


@dataclass(frozen=True)
class Window:
    """One counted window of `simulate_windows`: a request count or a duration, and faults.

    Attributes
    ----------
    requests : int, optional
        Counted requests (over all replications; default 1e6 when ``hours`` is None too).
    hours : float, optional
        Counted simulated time [h] instead (over all replications).
    faults : tuple of FaultSpec
        Faults in addition to ``spec.faults``, in the window's own time (from its start).
    """

    requests: int | None = None
    hours: float | None = None
    faults: tuple[FaultSpec, ...] = ()


def simulate_windows(
    spec: NetworkSpec,
    windows: Sequence[Window],
    *,
    seed: int = 0,
    policy: str | None = None,
    max_hops: int | None = None,
    samplers: Mapping[str, ServiceSampler] | None = None,
    chunk_size: int = CHUNK,
    bursts: Sequence[BurstSpec] = (),
    record: bool = False,
    progress: Callable[[int], None] | None = None,
    warmup_s: float = 0.0,
    slo_batches: int = 0,
    start: str = "empty",
    replications: int = 1,
    workers: int = 1,
) -> list[SimResult]:
    """Consecutive counted windows of one run, one `SimResult` each (see `simulate`).

    Each replication starts (and warms up) once; its windows follow one another and the sites'
    state carries over from one window to the next (window w + 1 starts at the last arrival
    of window w), so a later window, such as a failure what-if, starts from the state the
    earlier one left instead of a new start. Each window's times (minutes, fault windows,
    ``horizon_s``) are measured from its own start. ``simulate(...)`` is the run of one window.

    Examples
    --------
    >>> from coredge.sim.spec import spec_from_dict
    >>> s = spec_from_dict({"sites": [{"id": "s0", "servers": 2, "queue_limit": 10}],
    ...     "demand": [{"id": "d0", "rate_per_s": 20.0}], "rtt_ms": [[0.0]],
    ...     "service": {"distribution": "exponential", "mean_ms": 50.0}})
    >>> a, b = simulate_windows(s, [Window(5_000), Window(3_000, faults=(
    ...     FaultSpec(site="s0", at_s=10.0, for_s=20.0),))], seed=1)
    >>> a.summary["requests"], b.summary["requests"], b.summary["faults"]["requests_during"] > 0
    (5000, 3000, True)
    """
    if not windows:
        raise InputError.of("windows", [], "at least one counted window")
    for w in windows:
        if w.requests is not None and w.hours is not None:
            raise InputError.of("--hours", w.hours, "give either --requests or --hours, not both")
        if w.requests is not None and w.requests < 1:
            raise InputError.of("--requests", w.requests, "an integer >= 1")
        if w.hours is not None and not (w.hours > 0 and math.isfinite(w.hours)):
            raise InputError.of("--hours", w.hours, "a positive number of hours")
    if max_hops is not None and max_hops < 1:
        raise InputError.of("--max-hops", max_hops, "an integer >= 1")
    if not (warmup_s >= 0 and math.isfinite(warmup_s)):
        raise InputError.of("warmup_s", warmup_s, "a duration >= 0 in seconds")
    if chunk_size < 1:
        raise InputError.of("chunk_size", chunk_size, "an integer >= 1")
    if start not in START_KINDS:
        raise InputError.of("start", start, "one of " + ", ".join(START_KINDS))
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise InputError.of("--replications", replications, "an integer >= 1")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError.of("--workers", workers, "an integer >= 1")
    n_rep = replications
    windows = [w if w.requests is not None or w.hours is not None else replace(w, requests=DEFAULT_REQUESTS)
               for w in windows]
    for w in windows:
        if w.requests is not None and w.requests < n_rep:
            raise InputError.of("--replications", n_rep, f"at most the requests ({w.requests})")
        if record and (w.requests is None or w.requests > RECORD_LIMIT):
            raise InputError.of("record", w.requests, f"record needs --requests <= {RECORD_LIMIT}")
    pol = get_policy(policy if policy is not None else spec.routing.policy,
                     "--policy" if policy is not None else "routing.policy")
    if pol.name == "tiered-spill" and any(s.tier is None for s in spec.sites):
        raise InputError.of("--policy", pol.name, "needs a tier on every site (sites[].tier)")
    opts = _Opts(policy, max_hops, tuple(bursts), chunk_size, record, warmup_s, start,
                 tuple(_Win(tuple(w.faults), None if w.hours is None else w.hours / n_rep) for w in windows),
                 -(-slo_batches // n_rep) if slo_batches > 0 else 0)
    targets = [[None if w.requests is None else w.requests // n_rep + (1 if r < w.requests % n_rep else 0)
                for w in windows] for r in range(n_rep)]
    seeds = [replication_seed(seed, r) for r in range(n_rep)]
    n_w = 1 if samplers else max(1, min(workers, n_rep))
    t_wall = time.perf_counter()
    st, outs = _run_replications(spec, opts, samplers, seed, seeds, targets, n_w, progress)
    wall_s = time.perf_counter() - t_wall
    results = []
    for i in range(len(windows)):
        res = _combine(st, [o[i] for o in outs], seed, wall_s, n_rep)
        res.summary.update(warmup_s=warmup_s if i == 0 else 0.0, start=start, replications=n_rep,
                           workers=n_w, window=i)
        all_bursts = [*spec.bursts, *bursts]
        if all_bursts:
            res.summary["bursts"] = [b.model_dump(exclude_none=True) for b in all_bursts]
        results.append(res)
    return results


def _combine(st: _Setup, outs: list[_RepOut], seed: int, wall_s: float, n_rep: int) -> SimResult:
    """One window's result from its replications (accumulators added in replication order)."""
    w = outs[0].window
    fa = st.win_fa[w]
    acc = outs[0].acc
    for o in outs[1:]:
        acc.add(o.acc)
    horizon_ms = float(sum(o.horizon_ms for o in outs))
    recs: list[pd.DataFrame] | None = None
    if st.o.record:
        recs = []
        for r, o in enumerate(outs):
            df = o.records if o.records is not None else pd.DataFrame()
            if n_rep > 1:
                df.insert(0, "replication", r)
            recs.append(df)
    res = build_result(st.spec, st.pol.name, seed, acc, st.servers, st.qlim, st.n_class, st.src,
                       horizon_ms, wall_s, st.has_slo, fa, recs)
    if n_rep > 1:  # per-minute rows: minutes since each replication's counted start
        n_min = max(1, math.ceil(max(o.horizon_ms for o in outs) / K.MS_PER_MINUTE))
        res.timeseries = res.timeseries.iloc[:n_min].reset_index(drop=True)
    batches = [b for o in outs for b in o.batches]
    if st.has_slo and len(batches) >= 2:
        res.summary["slo_ci"] = slo_ci(list(np.cumsum(np.stack(batches), axis=0)), st.src.class_ids)
    if st.spec.sites[0].power is not None:
        add_energy(res, st.spec, acc, st.servers, st.src, horizon_ms, set(st.samplers or {}))
    return res


@dataclass(frozen=True)
class _Win:
    """A counted window as one replication runs it."""

    faults: tuple[FaultSpec, ...]
    hours: float | None
    """Counted time of the window in one replication [h] (None: a request count)."""


@dataclass(frozen=True)
class _Opts:
    """The options of one replication (picklable: sent to worker processes)."""

    policy: str | None
    max_hops: int | None
    bursts: tuple[BurstSpec, ...]
    chunk_size: int
    record: bool
    warmup_s: float
    start: str
    windows: tuple[_Win, ...]
    slo_batches: int
    """Batches of one replication's window (0: none)."""


class _Setup:
    """What every replication of a run shares: arrays, candidate lists, faults of each window
    (built once per process from the spec and options)."""

    def __init__(self, spec: NetworkSpec, o: _Opts, samplers: Mapping[str, ServiceSampler] | None,
                 seed: int) -> None:
        self.spec, self.o, self.samplers, self.seed = spec, o, samplers, seed
        self.pol = get_policy(o.policy if o.policy is not None else spec.routing.policy)
        hops = o.max_hops if o.max_hops is not None else spec.routing.max_hops
        self.servers = site_servers(spec)
        self.qlim = np.array([UNLIMITED_QUEUE if s.queue_limit is None else s.queue_limit
                              for s in spec.sites], dtype=np.int64)
        self.speed = np.array([s.speed for s in spec.sites], dtype=np.float64)
        rtt = rtt_matrix_ms(spec)
        self.warm_ms = o.warmup_s * MS_PER_S
        self.src = TrafficSource(spec, seed, samplers, o.bursts, self.warm_ms)
        n_class = self.n_class = self.src.n_class
        if spec.classes:
            slo = np.array([c.slo_ms if c.slo_ms is not None else (spec.slo_ms or math.inf)
                            for c in spec.classes], dtype=np.float64)
            budget = np.array([c.rtt_budget_ms or math.inf for c in spec.classes], dtype=np.float64)
            # SLO growing with tokens: slo_ms + tokens x per_token, tokens = (svc - prefill) / tpot
            self.slo_fac = np.array([(c.slo_per_token_ms or 0.0) / (c.service.tpot_ms or 1.0)
                                     for c in spec.classes], dtype=np.float64)
            slo -= np.array([(c.service.prefill_ms or 0.0) for c in spec.classes]) * self.slo_fac
        else:
            slo = np.array([spec.slo_ms or math.inf], dtype=np.float64)
            budget = np.array([math.inf])
            self.slo_fac = np.zeros(1)
        self.slo = slo
        self.has_slo = bool(np.isfinite(slo).any())
        rinp = RoutingInputs(rtt, [s.tier for s in spec.sites], budget, hops, serves_matrix(spec),
                             share_rows(spec))
        self.base = base = self.pol.build(rinp)
        self.win_fa = [fault_arrays(spec, w.faults, self.servers, rtt) for w in o.windows]
        self.win_cands = [[base] + [base if m is rtt else self.pol.build(replace(rinp, rtt_ms=m))
                                    for m in fa.epoch_rtt[1:]] for fa in self.win_fa]
        rows_all = np.arange(len(spec.demand) * n_class, dtype=np.int64)
        self.n_choice = 1
        if base.draw_cum is not None:
            self.n_choice = base.draw_cum.shape[1]
            rows_all = np.repeat(rows_all, self.n_choice)
        self.row_class, self.row_dem = rows_all % n_class, rows_all // n_class

    def row_rates_per_ms(self, src: TrafficSource) -> npt.NDArray[np.float64]:
        """Mean request rate of each kernel row at the start of the warm-up [requests/ms]."""
        spec = self.spec
        rate = np.array([d.rate_per_s for d in spec.demand], dtype=np.float64) / MS_PER_S
        if spec.diurnal is not None:
            from coredge.sim.traffic import diurnal_multiplier

            rate = rate * diurnal_multiplier(spec.diurnal, (src.start_utc_h + src.offset_h) % 24.0)
        out = rate[self.row_dem] * src.class_share[self.row_class]
        cum = self.base.draw_cum
        if cum is not None:
            j = self.n_choice
            p = np.diff(np.minimum(cum, 1.0), axis=1, prepend=0.0)
            if j > 1:
                p[:, j - 1] = 1.0 - np.minimum(cum[:, j - 2], 1.0)
            else:
                p[:, 0] = 1.0
            out = out * np.maximum(p, 0.0).reshape(-1)
        return np.asarray(out, dtype=np.float64)

    def steady_state(self, src: TrafficSource, acc: Accumulators, seed: int, t0_ms: float) -> None:
        """Fill the sites' state with a draw of the steady state (`coredge.sim.steady`)."""
        from coredge.sim.steady import fluid_loads, steady_start

        b = self.base
        load = fluid_loads(self.row_rates_per_ms(src), src.mean_svc_ms, b.order, b.order_len,
                           b.row_map, self.row_class, self.servers, self.speed)
        arrivals = load * self.speed[:, None] / np.where(src.mean_svc_ms > 0, src.mean_svc_ms, 1.0)
        waiting, starts = steady_start(load, self.servers, self.qlim, self.speed, arrivals,
                                       src.sample_service, acc.heap, acc.heap_off, t0_ms, seed)
        while acc.ring.shape[1] < int(waiting.max(initial=0)):
            acc.grow_ring()
        for s_i in np.flatnonzero(waiting).tolist():
            acc.ring[s_i, : waiting[s_i]] = starts[s_i]
            acc.ring_head[s_i] = 0
            acc.ring_cnt[s_i] = waiting[s_i]


@dataclass
class _RepOut:
    """What one replication returns for one window: its accumulators (state arrays dropped
    when sent back), counted time, per-batch (class, [arrivals, SLO met]) counts and
    per-request records."""

    window: int
    acc: Accumulators
    horizon_ms: float
    batches: list[npt.NDArray[np.int64]]
    records: pd.DataFrame | None


def _run_replications(spec: NetworkSpec, o: _Opts, samplers: Mapping[str, ServiceSampler] | None,
                      seed: int, seeds: list[int], targets: list[list[int | None]], n_w: int,
                      progress: Callable[[int], None] | None) -> tuple[_Setup, list[list[_RepOut]]]:
    """Replication r in worker ``r % n_w`` (worker 0: this process); results in order. The
    worker processes are started first, so their start-up overlaps this one's set-up."""
    n_rep = len(seeds)
    outs: dict[int, list[_RepOut]] = {}
    pool = None
    futs: list[tuple[list[int], Any]] = []
    if n_w > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(n_w - 1, mp_context=mp.get_context("spawn"))
        for w in range(1, n_w):
            reps = list(range(w, n_rep, n_w))
            futs.append((reps, pool.submit(_worker, spec, o, seed, [(seeds[r], targets[r]) for r in reps])))
    try:
        st = _Setup(spec, o, samplers, seed)
        done = 0
        for r in range(0, n_rep, n_w):
            base_done = done

            def prog(n: int, base_done: int = base_done) -> None:
                if progress is not None:
                    progress(base_done + n)

            outs[r] = _replicate(st, seeds[r], targets[r], prog)
            done += sum(int(x.acc.class_i[:, K.G_ARR].sum()) for x in outs[r])
        for reps, fut in futs:
            for r, got in zip(reps, fut.result(), strict=True):
                outs[r] = got
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return st, [outs[r] for r in range(n_rep)]


def _worker(spec: NetworkSpec, o: _Opts, seed: int,
            jobs: list[tuple[int, list[int | None]]]) -> list[list[_RepOut]]:
    """Replications of a worker process (state arrays dropped before they are sent back)."""
    st = _Setup(spec, o, None, seed)
    outs = []
    for rep_seed, target in jobs:
        got = _replicate(st, rep_seed, target, None)
        for x in got:
            x.acc.drop_state()
        outs.append(got)
    return outs


def _replicate(st: _Setup, seed: int, targets: list[int | None],
               progress: Callable[[int], None] | None) -> list[_RepOut]:
    """One replication: start, warm-up, then each counted window in turn (see `simulate`)."""
    spec, o, pol = st.spec, st.o, st.pol
    slo, slo_fac = st.slo, st.slo_fac
    servers, qlim, speed, n_class = st.servers, st.qlim, st.speed, st.n_class
    record = o.record
    base, n_choice = st.base, st.n_choice
    warm_ms = st.warm_ms
    src = TrafficSource(spec, seed, st.samplers, o.bursts, warm_ms)
    state = Accumulators(len(spec.sites), n_class, len(spec.demand), servers, qlim)
    if base.draw_cum is not None:
        rng_draw = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM,)))
    row_class, row_dem = st.row_class, st.row_dem
    acc = state
    fa = st.win_fa[0]
    cands = st.win_cands[0]
    dr_ptr = np.zeros(1, dtype=np.int64)

    def kernel_rows(ch_row: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        if base.draw_cum is None:
            return ch_row
        u = rng_draw.random(len(ch_row))
        c = (u[:, None] >= base.draw_cum[ch_row]).sum(axis=1)
        np.minimum(c, n_choice - 1, out=c)
        return (ch_row.astype(np.int64) * n_choice + c).astype(np.int32)

    def run(arr: npt.NDArray[np.float64], ch_row: npt.NDArray[np.int32],
            ch_svc: npt.NDArray[np.float64], account: bool, rec_site: npt.NDArray[np.int64],
            rec_wait: npt.NDArray[np.float64]) -> None:
        krow = kernel_rows(ch_row)
        if len(fa.bounds_ms):
            cuts = np.searchsorted(arr, fa.bounds_ms, side="left")
            starts = np.concatenate(([0], cuts))
            ends = np.concatenate((cuts, [len(arr)]))
        else:
            starts, ends = np.zeros(1, dtype=np.int64), np.full(1, len(arr))
        for e, (p0, p1) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            if p1 <= p0:
                continue
            cand = cands[e]
            rs = rec_site[p0:p1] if record and account else rec_site
            rw = rec_wait[p0:p1] if record and account else rec_wait
            seg = (arr[p0:p1], krow[p0:p1], ch_svc[p0:p1])
            i, m = 0, p1 - p0
            while i < m:
                i = K.run_chunk(
                    i, seg[0], seg[1], seg[2], row_class, row_dem, cand.row_map, pol.kernel_rule,
                    cand.order, cand.order_len, cand.rtt_ord, servers, qlim, speed,
                    src.mean_svc_ms, slo, slo_fac, fa.f_site, fa.f_lo, fa.f_hi, fa.w_lo, fa.w_hi,
                    fa.dr_site, fa.dr_t, fa.dr_end, fa.dr_block, dr_ptr,
                    acc.heap, acc.heap_off, acc.ring, acc.ring_head, acc.ring_cnt,
                    acc.site_i, acc.site_f, acc.hist_site_lat, acc.hist_site_wait,
                    acc.class_i, acc.class_f, acc.hist_class_lat, acc.hist_class_wait,
                    acc.dem_i, acc.dem_f, acc.ts_i, acc.ts_f, acc.ts_hist, acc.fault_i, acc.sc_f,
                    account, record and account, rs, rw,
                )
                if i < m:
                    acc.grow_ring()

    no_rec_i, no_rec_f = np.empty(0, dtype=np.int64), np.empty(0)
    state.heap[:] = -warm_ms  # servers free from the start of the warm-up
    if o.start == "steady":
        st.steady_state(src, state, seed, -warm_ms)
    while warm_ms > 0:  # warm-up: state only, times shifted so counting starts at 0
        ch = src.next_chunk(o.chunk_size, warm_ms)
        if len(ch.arr_ms) == 0:
            break
        run(ch.arr_ms - warm_ms, ch.row, ch.svc_ms, False, no_rec_i, no_rec_f)
    outs: list[_RepOut] = []
    done = 0
    origin_ms = warm_ms  # generator time of the current window's counted time 0
    last_t_ms = 0.0
    for w, win in enumerate(o.windows):
        target = targets[w]
        fa, cands = st.win_fa[w], st.win_cands[w]
        dr_ptr[0] = 0
        if w > 0:  # the next window: a fresh account, the same sites (their times shifted)
            acc = Accumulators.fresh_like(state)
            acc.take_state(state, shift_ms=last_t_ms)
            state = acc
            origin_ms += last_t_ms
        t_end_ms = origin_ms + win.hours * MS_PER_H if win.hours is not None else math.inf
        rec_parts: list[pd.DataFrame] = []
        last_t_ms = 0.0
        chunk_size = o.chunk_size
        if o.slo_batches > 0 and target is not None:
            chunk_size = max(1, -(-target // o.slo_batches))
        batch_counts: list[npt.NDArray[np.int64]] = []  # (classes, 2): arrivals, SLO met, cumulative
        for ch in _prefetched(src, chunk_size, target, t_end_ms):
            m = len(ch.arr_ms)
            if origin_ms > 0:
                ch.arr_ms = ch.arr_ms - origin_ms
            last_t_ms = float(ch.arr_ms[-1])
            acc.ensure_minutes(int(last_t_ms / K.MS_PER_MINUTE) + 1)
            rec_site = np.empty(m if record else 0, dtype=np.int64)
            rec_wait = np.empty(m if record else 0, dtype=np.float64)
            run(ch.arr_ms, ch.row, ch.svc_ms, True, rec_site, rec_wait)
            if record:
                rows = ch.row.astype(np.int64)
                site_idx = rec_site
                sv = np.where(site_idx >= 0, ch.svc_ms / speed[np.maximum(site_idx, 0)], math.nan)
                d_idx, k_idx = rows // n_class, rows % n_class
                ep = np.searchsorted(fa.bounds_ms, ch.arr_ms, side="right")
                rt = np.full(m, math.nan)
                for e in np.unique(ep).tolist():
                    sel = (ep == e) & (site_idx >= 0)
                    rt[sel] = fa.epoch_rtt[e][d_idx[sel], site_idx[sel]]
                rec_parts.append(pd.DataFrame({
                    "arrival_ms": ch.arr_ms, "demand": d_idx, "class": k_idx, "site": site_idx,
                    "rtt_ms": rt, "wait_ms": rec_wait, "service_ms": sv,
                    "latency_ms": rt + rec_wait + sv,
                }))
            done += m
            if o.slo_batches > 0:
                batch_counts.append(acc.class_i[:, [K.G_ARR, K.G_SLO_MET]].copy())
            if progress is not None:
                progress(done)
        if win.hours is not None:
            last_t_ms = t_end_ms - origin_ms
        per_batch = list(np.diff(np.stack(batch_counts), axis=0, prepend=0)) if batch_counts else []
        records = pd.concat(rec_parts, ignore_index=True) if record and rec_parts else (
            pd.DataFrame() if record else None)
        outs.append(_RepOut(w, acc, last_t_ms, per_batch, records))
    return outs


def _prefetched(
    src: TrafficSource, chunk_size: int, target: int | None, t_end_ms: float
) -> Iterator[Any]:
    """The counted chunks of `src`, in order, generated one chunk ahead in a second thread.

    Generation (numpy, mostly outside the GIL) then overlaps the kernel (compiled without the
    GIL), so the two use both cores; the chunks and their order are exactly those of generating
    them in turn (the source is drawn by one thread only, in the same sequence of calls)."""
    import queue
    import threading

    q: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        done = 0
        try:
            while not stop.is_set():
                n = chunk_size if target is None else min(chunk_size, target - done)
                if n <= 0:
                    break
                ch = src.next_chunk(n, t_end_ms)
                if len(ch.arr_ms) == 0:
                    break
                done += len(ch.arr_ms)
                q.put(ch)
            q.put(None)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    worker = threading.Thread(target=produce, name="coredge-traffic", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.01)


