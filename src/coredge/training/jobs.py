"""Training jobs at core campuses: gang scheduling, checkpoints, failures, GPU-hours and energy.

Model (`simulate_training`, an event-driven simulation in plain Python: a campus year has tens
to thousands of jobs and thousands of failures, not millions of requests):

* **Jobs** arrive (a given list, or Poisson per job class: `poisson_jobs`) asking for ``gpus``
  GPUs for ``duration_h`` hours of failure-free work (from the training estimator:
  `job_duration_h` = `coredge.physics.training.estimate` days x 24 with goodput 1, since
  failures are simulated here instead of folded into a goodput).
* **Gang scheduling** on one campus pool of ``campus_gpus``: a job starts only with all its GPUs.
  FIFO: the queue's head starts as soon as enough GPUs are free; later jobs wait behind it.
  With ``backfill=True`` (EASY backfilling, Lifka 1995): when the head cannot start, its
  *reservation* is the earliest time enough GPUs free up if every running job ends at its
  estimated end (remaining failure-free work, plus the rest of a restart); a later job may
  start now if it fits in the free GPUs and either ends (by its estimate) before the
  reservation or uses only GPUs the head will not need then. Without failures estimates are
  exact and backfilling never delays the head (tested); with failures a job may overrun its
  estimate, as with user estimates in real EASY schedulers.
* **Checkpoints** every ``checkpoint_h`` hours of progress (writing one is taken as free:
  assumption; its cost belongs in the estimator's MFU).
* **Failures**: a Poisson process per GPU-hour: a running job of g GPUs fails at rate
  ``g / mtbf_gpu_h`` per hour, while computing or restarting. A failure loses the progress since
  the last checkpoint and costs ``restart_h`` (the job keeps its GPUs; a failure during a
  restart starts the restart again). By the renewal argument the loss per failure is ``X | X <
  C`` with ``X ~ Exp(g / mtbf)``: mean ``1 / lam - C / (exp(lam C) - 1)``, about ``C / 2`` when
  ``lam C`` is small (tested over many failures).
* **Outputs** per job: queueing delay (start - arrival), wall time (end - start), failures,
  useful GPU-hours (``gpus x duration_h``), lost GPU-hours (``gpus x`` (lost progress +
  restarts)), energy (GPU-hours held x ``power_w_per_gpu`` x ``pue``; idle GPUs are not
  counted). ``power_w_per_gpu`` is the *average* system draw of a busy GPU (in
  `training_from_plan`: the estimator's measured average at training load); the campus is
  sized in GPUs at the *nameplate* (``training MW x 1000 / it_kw_per_gpu``). Per campus: utilisation = GPU-hours held within ``[0, horizon_h)`` / (campus GPUs x
  horizon), offered load, useful and lost GPU-hours, energy, delays.

Defaults (`DEFAULT_MTBF_GPU_H`, `DEFAULT_CHECKPOINT_H`, `DEFAULT_RESTART_H`) and the job mix of
`training_from_plan` (`DEFAULT_MIX`) are documented where they are defined.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coredge.errors import InputError

DEFAULT_MTBF_GPU_H: float = 50_000.0
"""Mean GPU-hours between job-interrupting failures, per GPU [h]. Source: Llama 3 (Dubey et al.,
"The Llama 3 Herd of Models", 2024, Table 5): 419 unexpected interruptions in a 54-day snapshot
on 16,384 H100 GPUs = 16,384 x 54 x 24 / 419 = 50,677 GPU-h (rounded). Not in
shared/reference/facts.md."""

DEFAULT_CHECKPOINT_H: float = 0.25
"""Progress between checkpoints [h]. Assumption, chosen with `DEFAULT_RESTART_H` so that a
16,384-GPU run at `DEFAULT_MTBF_GPU_H` (a failure every ~3 h) keeps ~89 % of its time useful
(0.125 h lost + 0.25 h restart per failure), near Meta's ">90 % effective training time" for
Llama 3 (Meta 2024, facts.md section 2)."""

DEFAULT_RESTART_H: float = 0.25
"""Time to resume after a failure (detect, replace or cordon the host, reload the checkpoint)
[h]. Assumption: automated recovery in minutes to tens of minutes (Meta 2024 reports mostly
automated recovery; OPT-175B logs (Zhang et al. 2022) show manual restarts taking hours)."""

DEFAULT_LOAD: float = 0.85
"""Offered GPU-hours as a share of a campus's GPU-hours in `training_from_plan` [fraction].
Assumption: a campus is sized for its training demand with some headroom for failures and
gang-scheduling fragmentation."""


@dataclass(frozen=True)
class JobClass:
    """A kind of training job.

    Attributes
    ----------
    name : str
    params, tokens : float
        Model parameters and training tokens [count] (for the estimator).
    gpus_frac : float
        GPUs of a job as a share of the campus pool [fraction] (rounded down to a multiple of 8,
        at least 8, at most `max_gpus`).
    gpu_hours_share : float
        Share of the campus's offered GPU-hours spent on this class [fraction].
    max_gpus : int
        Largest job [GPUs].
    """

    name: str
    params: float
    tokens: float
    gpus_frac: float
    gpu_hours_share: float
    max_gpus: int = 16_384


DEFAULT_MIX: tuple[JobClass, ...] = (
    JobClass("frontier-pretrain", 405e9, 15.6e12, 0.50, 0.50),
    JobClass("large-pretrain", 70e9, 15e12, 0.25, 0.25),
    JobClass("small-pretrain", 8e9, 15e12, 1 / 16, 0.15),
    JobClass("fine-tune", 70e9, 20e9, 1 / 256, 0.10, max_gpus=512),
)
"""Job-size mix of `training_from_plan`. Assumption: model sizes and tokens after the published
Llama 3 / 3.1 runs (405B and 70B on 15-15.6T tokens, 8B; facts.md section 2), a fine-tune of
70B on 20B tokens; half of the campus GPU-hours go to one frontier run at a time on half the
campus, the rest to smaller pre-training and fine-tuning jobs."""


@dataclass
class TrainingResult:
    """What `simulate_training` produced.

    Attributes
    ----------
    jobs : pandas.DataFrame
        One row per job: job_id, job_class, arrival_h, gpus, duration_h, start_h, end_h,
        queue_delay_h, wall_h, failures, lost_work_h, restart_h, useful_gpu_h, lost_gpu_h,
        energy_mwh, backfilled.
    failures : pandas.DataFrame
        One row per failure: job_id, t_h, gpus, lost_work_h (progress lost), during_restart.
    backfills : pandas.DataFrame
        One row per backfill decision: t_h, job_id, head_job_id, reservation_h.
    summary : dict
        Campus figures (JSON-able).
    """

    jobs: pd.DataFrame
    failures: pd.DataFrame
    backfills: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def job_duration_h(params: float, tokens: float, gpus: int, gpu: str = "h100",
                   mfu: float | None = None) -> float:
    """Failure-free wall time of a training job [h] from the training estimator.

    ``estimate(params, tokens, gpu, gpus, mfu, goodput=1).days x 24``: goodput 1 because
    `simulate_training` simulates failures and restarts itself.

    Parameters
    ----------
    params, tokens : float
        Parameters and training tokens [count].
    gpus : int
        GPUs of the job [-].
    gpu : str
        Accelerator id.
    mfu : float, optional
        Model-FLOPs utilisation [fraction] (default: the estimator's per-accelerator default).

    Examples
    --------
    >>> round(job_duration_h(405e9, 15.6e12, 16384, "h100", mfu=0.40) / 24)
    68
    """
    from coredge.physics.training import estimate

    e = estimate(params, tokens, gpu, gpus=gpus, mfu=mfu, goodput=1.0)
    return float(e.days or 0.0) * 24.0


def poisson_jobs(classes: Sequence[JobClass], campus_gpus: int, rate_per_h: Sequence[float],
                 horizon_h: float, rng: np.random.Generator, gpu: str = "h100") -> pd.DataFrame:
    """Poisson arrivals of each job class over ``[0, horizon_h)``.

    Parameters
    ----------
    classes : sequence of JobClass
    campus_gpus : int
        Campus pool [GPUs] (sets each class's job size).
    rate_per_h : sequence of float
        Arrival rate of each class [jobs/h].
    horizon_h : float
        Arrivals window [h].
    rng : numpy.random.Generator
    gpu : str
        Accelerator id for the durations.

    Returns
    -------
    pandas.DataFrame
        job_id, job_class, arrival_h, gpus, duration_h; sorted by arrival.

    Examples
    --------
    >>> j = poisson_jobs([JobClass("ft", 8e9, 1e9, 0.5, 1.0)], 64, [0.1], 100.0,
    ...                  np.random.default_rng(0))
    >>> set(j["gpus"]) == {32}
    True
    """
    rows = []
    for c, rate in zip(classes, rate_per_h, strict=True):
        g = job_gpus(c, campus_gpus)
        dur = job_duration_h(c.params, c.tokens, g, gpu)
        n = int(rng.poisson(rate * horizon_h)) if rate > 0 else 0
        for t in np.sort(rng.uniform(0.0, horizon_h, n)):
            rows.append((c.name, float(t), g, dur))
    df = pd.DataFrame(rows, columns=["job_class", "arrival_h", "gpus", "duration_h"])
    df = df.sort_values("arrival_h", kind="stable").reset_index(drop=True)
    df.insert(0, "job_id", [f"j{i}" for i in range(len(df))])
    return df


def job_gpus(c: JobClass, campus_gpus: int) -> int:
    """GPUs of a job of class ``c`` on a campus: share of the pool, multiple of 8, >= 8 [GPUs]."""
    g = min(int(c.gpus_frac * campus_gpus) // 8 * 8, c.max_gpus)
    return max(8, min(g, campus_gpus))


@dataclass
class _Job:
    idx: int
    gpus: int
    work_h: float
    arrival_h: float
    start_h: float = math.nan
    end_h: float = math.nan
    progress_h: float = 0.0  # progress at the last checkpoint / phase start
    phase_t: float = 0.0  # start of the current phase
    restarting: bool = False
    restart_end: float = 0.0
    failures: int = 0
    lost_h: float = 0.0
    restart_total_h: float = 0.0
    backfilled: bool = False

    def est_end(self) -> float:
        """Estimated end assuming no further failure [h]."""
        if self.restarting:
            return self.restart_end + (self.work_h - self.progress_h)
        return self.phase_t + (self.work_h - self.progress_h)


def _as_jobs(jobs: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    df = jobs.copy() if isinstance(jobs, pd.DataFrame) else pd.DataFrame(list(jobs))
    for col in ("arrival_h", "gpus", "duration_h"):
        if col not in df.columns:
            raise InputError.of("jobs", list(df.columns), "columns arrival_h, gpus, duration_h (job_id, job_class optional)")
    if "job_id" not in df.columns:
        df["job_id"] = [f"j{i}" for i in range(len(df))]
    if "job_class" not in df.columns:
        df["job_class"] = ""
    return df.reset_index(drop=True)


def simulate_training(
    campus_gpus: int,
    jobs: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    mtbf_gpu_h: float | None = DEFAULT_MTBF_GPU_H,
    checkpoint_h: float = DEFAULT_CHECKPOINT_H,
    restart_h: float = DEFAULT_RESTART_H,
    pue: float = 1.1,
    power_w_per_gpu: float = 1000.0,
    seed: int = 0,
    backfill: bool = False,
    horizon_h: float | None = None,
) -> TrainingResult:
    """Gang-schedule training jobs on one campus with checkpoints and failures.

    Parameters
    ----------
    campus_gpus : int
        GPUs of the campus pool [-].
    jobs : DataFrame or sequence of mappings
        ``arrival_h`` [h], ``gpus`` [-], ``duration_h`` (failure-free work) [h]; optional
        ``job_id``, ``job_class``.
    mtbf_gpu_h : float or None
        Mean GPU-hours between failures per GPU [h]; None or inf = no failures.
    checkpoint_h : float
        Progress between checkpoints [h] (inf = none: a failure loses everything).
    restart_h : float
        Restart overhead after a failure [h].
    pue : float
        Campus PUE [ratio].
    power_w_per_gpu : float
        Average power per busy GPU incl. its host share, before PUE [W].
    seed : int
        Seed of the failure times.
    backfill : bool
        EASY backfilling (default: strict FIFO).
    horizon_h : float, optional
        Window for utilisation [h] (default: the last arrival).

    Returns
    -------
    TrainingResult

    Examples
    --------
    >>> r = simulate_training(16, [{"arrival_h": 0.0, "gpus": 8, "duration_h": 10.0}],
    ...                       mtbf_gpu_h=None)
    >>> r.jobs["wall_h"].tolist(), r.summary["useful_gpu_h"]
    ([10.0], 80.0)
    """
    df = _as_jobs(jobs)
    if not (isinstance(campus_gpus, (int, np.integer)) and campus_gpus >= 1):
        raise InputError.of("campus_gpus", campus_gpus, "an integer >= 1")
    gp = df["gpus"].to_numpy()
    if len(df) and (not np.all(np.isfinite(gp)) or gp.min() < 1 or gp.max() > campus_gpus or np.any(gp != np.round(gp))):
        raise InputError.of("jobs.gpus", gp[(gp < 1) | (gp > campus_gpus)][:5].tolist() or gp[:5].tolist(),
                            f"whole GPU counts in [1, campus_gpus = {campus_gpus}]")
    du = df["duration_h"].to_numpy(dtype=np.float64)
    if len(df) and not (np.all(np.isfinite(du)) and du.min() > 0):
        raise InputError.of("jobs.duration_h", du.min(), "positive finite durations [h]")
    ar = df["arrival_h"].to_numpy(dtype=np.float64)
    if len(df) and not (np.all(np.isfinite(ar)) and ar.min() >= 0):
        raise InputError.of("jobs.arrival_h", ar.min(), "arrival times >= 0 [h]")
    mtbf = math.inf if mtbf_gpu_h is None else float(mtbf_gpu_h)
    if not mtbf > 0:
        raise InputError.of("mtbf_gpu_h", mtbf_gpu_h, "a positive MTBF per GPU [h] (or None)")
    if not checkpoint_h > 0:
        raise InputError.of("checkpoint_h", checkpoint_h, "a positive interval [h] (inf = none)")
    if not (restart_h >= 0 and math.isfinite(restart_h)):
        raise InputError.of("restart_h", restart_h, "a restart overhead >= 0 [h]")
    if not pue >= 1.0:
        raise InputError.of("pue", pue, "a PUE >= 1")
    if not power_w_per_gpu > 0:
        raise InputError.of("power_w_per_gpu", power_w_per_gpu, "a positive power [W]")
    rng = np.random.default_rng(seed)
    order = np.argsort(ar, kind="stable")
    js = [_Job(int(i), int(gp[i]), float(du[i]), float(ar[i])) for i in range(len(df))]
    ev: list[tuple[float, int, int, int]] = []  # (time, seq, kind, job): 0 arrival, 1 done, 2 fail, 3 restart done
    seq = 0
    for i in order:
        ev.append((float(ar[i]), seq, 0, int(i)))
        seq += 1
    heapq.heapify(ev)
    free = int(campus_gpus)
    queue: list[int] = []
    queued_sizes: Counter[int] = Counter()  # GPUs per job -> queued jobs of that size
    running: set[int] = set()
    fail_rows: list[tuple[str, float, int, float, bool]] = []
    bf_rows: list[tuple[float, str, str, float]] = []
    ids = df["job_id"].astype(str).tolist()

    def push(t: float, kind: int, j: int) -> None:
        nonlocal seq
        heapq.heappush(ev, (t, seq, kind, j))
        seq += 1

    def next_fail(j: _Job, t: float) -> float:
        if not math.isfinite(mtbf):
            return math.inf
        return t + float(rng.exponential(mtbf / j.gpus))

    def begin_compute(j: _Job, t: float) -> None:
        j.restarting = False
        j.phase_t = t
        end = t + (j.work_h - j.progress_h)
        tf = next_fail(j, t)
        if tf < end:
            push(tf, 2, j.idx)
        else:
            push(end, 1, j.idx)

    def begin_restart(j: _Job, t: float) -> None:
        j.restarting = True
        j.phase_t = t
        j.restart_end = t + restart_h
        tf = next_fail(j, t)
        if tf < j.restart_end:
            push(tf, 2, j.idx)
        else:
            push(j.restart_end, 3, j.idx)

    def start(j: _Job, t: float) -> None:
        nonlocal free
        free -= j.gpus
        j.start_h = t
        running.add(j.idx)
        begin_compute(j, t)

    def schedule(t: float) -> None:
        while queue:
            head = js[queue[0]]
            if head.gpus <= free:
                queue.pop(0)
                queued_sizes[head.gpus] -= 1
                start(head, t)
                continue
            smallest = min(g for g, n in queued_sizes.items() if n > 0)
            if not backfill or free < smallest:
                return  # no queued job fits in what is free: nothing can be backfilled
            ends = sorted((js[r].est_end(), js[r].gpus) for r in running)
            avail, shadow, extra = free, math.inf, 0
            for e_t, g in ends:
                avail += g
                if avail >= head.gpus:
                    shadow, extra = e_t, avail - head.gpus
                    break
            k = 1
            while k < len(queue) and free >= smallest:
                j = js[queue[k]]
                ends_by = t + j.work_h <= shadow
                if j.gpus <= free and (ends_by or j.gpus <= extra):
                    queue.pop(k)
                    queued_sizes[j.gpus] -= 1
                    j.backfilled = True
                    if not ends_by:
                        extra -= j.gpus
                    bf_rows.append((t, ids[j.idx], ids[head.idx], shadow))
                    start(j, t)
                    continue
                k += 1
            return

    while ev:
        t, _, kind, i = heapq.heappop(ev)
        j = js[i]
        if kind == 0:
            queue.append(i)
            queued_sizes[j.gpus] += 1
        elif kind == 1:
            j.end_h = t
            j.progress_h = j.work_h
            running.discard(i)
            free += j.gpus
        elif kind == 2:
            j.failures += 1
            if j.restarting:
                j.restart_total_h += t - j.phase_t
                fail_rows.append((ids[i], t, j.gpus, 0.0, True))
            else:
                reached = j.progress_h + (t - j.phase_t)
                ckpt = math.floor(reached / checkpoint_h) * checkpoint_h if math.isfinite(checkpoint_h) else 0.0
                ckpt = max(ckpt, j.progress_h) if math.isfinite(checkpoint_h) else 0.0
                lost = reached - ckpt
                j.lost_h += lost
                j.progress_h = ckpt
                fail_rows.append((ids[i], t, j.gpus, lost, False))
            begin_restart(j, t)
            continue
        else:  # restart done
            j.restart_total_h += t - j.phase_t
            begin_compute(j, t)
            continue
        schedule(t)

    return _training_result(df, js, fail_rows, bf_rows, campus_gpus, pue, power_w_per_gpu,
                            horizon_h, backfill, mtbf, checkpoint_h, restart_h, seed)


def _training_result(df: pd.DataFrame, js: list[_Job], fail_rows: list[tuple[str, float, int, float, bool]],
                     bf_rows: list[tuple[float, str, str, float]], campus_gpus: int, pue: float,
                     power_w: float, horizon_h: float | None, backfill: bool, mtbf: float,
                     checkpoint_h: float, restart_h: float, seed: int) -> TrainingResult:
    out = df[["job_id", "job_class", "arrival_h", "gpus", "duration_h"]].copy()
    out["start_h"] = [j.start_h for j in js]
    out["end_h"] = [j.end_h for j in js]
    out["queue_delay_h"] = out["start_h"] - out["arrival_h"]
    out["wall_h"] = out["end_h"] - out["start_h"]
    out["failures"] = [j.failures for j in js]
    out["lost_work_h"] = [j.lost_h for j in js]
    out["restart_h"] = [j.restart_total_h for j in js]
    out["useful_gpu_h"] = out["gpus"] * out["duration_h"]
    out["lost_gpu_h"] = out["gpus"] * (out["lost_work_h"] + out["restart_h"])
    out["energy_mwh"] = out["gpus"] * out["wall_h"] * power_w * pue / 1e6
    out["backfilled"] = [j.backfilled for j in js]
    fails = pd.DataFrame(fail_rows, columns=["job_id", "t_h", "gpus", "lost_work_h", "during_restart"])
    bfs = pd.DataFrame(bf_rows, columns=["t_h", "job_id", "head_job_id", "reservation_h"])
    h = float(horizon_h) if horizon_h is not None else (float(out["arrival_h"].max()) if len(out) else 0.0)
    held = 0.0
    if h > 0 and len(out):
        lo = np.clip(out["start_h"].to_numpy(), 0.0, h)
        hi = np.clip(out["end_h"].to_numpy(), 0.0, h)
        held = float((out["gpus"].to_numpy() * (hi - lo)).sum())
    offered = float(out.loc[out["arrival_h"] < h, "useful_gpu_h"].sum()) if h > 0 else math.nan
    cap = campus_gpus * h
    lost_c = fails.loc[~fails["during_restart"], "lost_work_h"] if len(fails) else pd.Series(dtype=float)
    summary: dict[str, Any] = {
        "campus_gpus": int(campus_gpus),
        "jobs": len(out),
        "horizon_h": h,
        "backfill": backfill,
        "mtbf_gpu_h": mtbf if math.isfinite(mtbf) else None,
        "checkpoint_h": checkpoint_h if math.isfinite(checkpoint_h) else None,
        "restart_h": restart_h,
        "seed": seed,
        "utilization": held / cap if cap > 0 else math.nan,
        "offered_load": offered / cap if cap > 0 else math.nan,
        "useful_gpu_h": float(out["useful_gpu_h"].sum()),
        "lost_gpu_h": float(out["lost_gpu_h"].sum()),
        "lost_frac": float(out["lost_gpu_h"].sum() / max(out["useful_gpu_h"].sum() + out["lost_gpu_h"].sum(), 1e-300)),
        "failures": len(fails),
        "mean_lost_work_per_failure_h": float(lost_c.mean()) if len(lost_c) else math.nan,
        "mean_queue_delay_h": float(out["queue_delay_h"].mean()) if len(out) else math.nan,
        "p95_queue_delay_h": float(out["queue_delay_h"].quantile(0.95)) if len(out) else math.nan,
        "mean_wall_h": float(out["wall_h"].mean()) if len(out) else math.nan,
        "energy_mwh": float(out["energy_mwh"].sum()),
        "pue": pue,
        "power_w_per_gpu": power_w,
        "backfilled_jobs": int(out["backfilled"].sum()),
    }
    return TrainingResult(out, fails, bfs, summary)


def expected_lost_per_failure_h(rate_per_h: float, checkpoint_h: float) -> float:
    """Mean progress lost per failure (renewal argument): ``E[X | X < C]``, ``X ~ Exp(rate)`` [h].

    Examples
    --------
    >>> round(expected_lost_per_failure_h(1e-4, 1.0), 4)  # ~ C / 2 for rate x C small
    0.5
    """
    lc = rate_per_h * checkpoint_h
    return 1.0 / rate_per_h - checkpoint_h / math.expm1(lc)


HOURS_PER_YEAR: float = 8760.0


@dataclass
class PlanTraining:
    """A year of training jobs at each core campus of a plan.

    Attributes
    ----------
    year : int
        Plan year simulated.
    campuses : pandas.DataFrame
        One row per core campus with training load: site_id, training_mw, gpus, pue and the
        `simulate_training` summary figures.
    jobs : pandas.DataFrame
        Every job of every campus (`TrainingResult.jobs` plus ``site_id``).
    results : dict of site id to TrainingResult
    summary : dict
        Totals over campuses (JSON-able).
    """

    year: int
    campuses: pd.DataFrame
    jobs: pd.DataFrame
    results: dict[str, TrainingResult]
    summary: dict[str, Any]


def training_from_plan(
    inputs: Any,
    plan: Any,
    *,
    year_index: int = -1,
    mix: Sequence[JobClass] = DEFAULT_MIX,
    load: float = DEFAULT_LOAD,
    mtbf_gpu_h: float | None = DEFAULT_MTBF_GPU_H,
    checkpoint_h: float = DEFAULT_CHECKPOINT_H,
    restart_h: float = DEFAULT_RESTART_H,
    backfill: bool = True,
    seed: int = 0,
) -> PlanTraining:
    """Simulate a year of training jobs at each core campus of a plan.

    Campus GPUs = training MW of the year x 1000 / the core tier's IT kW per GPU (its own
    accelerator under ``hardware.tiers.core``, else ``inputs.it_kw_per_gpu``); jobs of the `mix`
    classes arrive as Poisson processes whose rates make the offered GPU-hours ``load`` x the
    campus GPU-hours of the year, split by ``gpu_hours_share``; durations from the training
    estimator on the scenario's accelerator; power per busy GPU = the average system draw at
    training load (`coredge.physics.training.training_power_w`, capped at the nameplate
    ``it_kw_per_gpu`` the campus is sized with: ``Inputs.energy_draw_frac`` x nameplate); PUE =
    the site's.

    Parameters
    ----------
    inputs : coredge.inputs.Inputs
    plan : coredge.plan.result.Plan
    year_index : int
        Index into ``plan.years`` (default: the last).
    mix : sequence of JobClass
        Job classes (default `DEFAULT_MIX`, an assumption).
    load : float
        Offered GPU-hours / campus GPU-hours [fraction] (default `DEFAULT_LOAD`, assumption).
    mtbf_gpu_h, checkpoint_h, restart_h, backfill, seed
        As in `simulate_training`; each campus draws from its own streams, children of
        ``numpy.random.SeedSequence(seed)`` (spawned in site order: one for arrivals, one for
        failures), so campuses are independent and adding one does not change the others.

    Returns
    -------
    PlanTraining

    Raises
    ------
    InputError
        Bad year index or load, or a plan year without training load on a core campus.
    """
    from coredge.physics.training import training_power_w

    n_y = len(plan.years)
    if not -n_y <= year_index < n_y:
        raise InputError.of("year_index", year_index, f"an index into the plan years (-{n_y}..{n_y - 1})")
    if not 0 < load < 1.5:
        raise InputError.of("load", load, "offered GPU-hours / campus GPU-hours in (0, 1.5)")
    if not mix or abs(sum(c.gpu_hours_share for c in mix) - 1.0) > 1e-6:
        raise InputError.of("mix", [c.name for c in mix], "job classes whose gpu_hours_share add up to 1")
    # training runs on the core tier's accelerator (hardware.tiers.core, else hardware.gpu):
    # sizing at its nameplate (it_kw_per_gpu), energy at the average draw of a busy GPU
    gpu = inputs.tier_gpu("core")
    kw_core = float(inputs.site_it_kw_per_gpu(["core"])[0])
    power_w = float(float(inputs.site_energy_draw_frac(["core"])[0]) * kw_core * 1000.0)
    power_source = training_power_w(gpu)[1]
    sites = plan.sites
    mw = plan.training_mw_by_year[:, year_index]
    tier = sites["tier"].astype(str).to_numpy()
    pue = sites["pue"].to_numpy(dtype=np.float64) if "pue" in sites.columns else np.full(len(sites), 1.1)
    rows: list[dict[str, Any]] = []
    results: dict[str, TrainingResult] = {}
    job_parts = []
    campuses_idx = np.flatnonzero((tier == "core") & (mw > 0))
    streams = np.random.SeedSequence(seed).spawn(len(campuses_idx))
    for i, stream in zip(campuses_idx, streams, strict=True):
        sid = str(sites["site_id"].iat[i])
        g = int(mw[i] * 1000.0 / kw_core)
        if g < 8:
            continue
        rates = []
        for c in mix:
            jg = job_gpus(c, g)
            dur = job_duration_h(c.params, c.tokens, jg, gpu)
            rates.append(load * g * c.gpu_hours_share / (jg * dur))  # jobs/h
        arrivals, failures = stream.spawn(2)
        jobs = poisson_jobs(mix, g, rates, HOURS_PER_YEAR, np.random.default_rng(arrivals), gpu)
        res = simulate_training(g, jobs, mtbf_gpu_h=mtbf_gpu_h, checkpoint_h=checkpoint_h,
                                restart_h=restart_h, pue=float(pue[i]), power_w_per_gpu=power_w,
                                seed=int(failures.generate_state(1)[0]), backfill=backfill,
                                horizon_h=HOURS_PER_YEAR)
        results[sid] = res
        rows.append({"site_id": sid, "training_mw": float(mw[i]), **res.summary})
        job_parts.append(res.jobs.assign(site_id=sid))
    if not rows:
        raise InputError.of("plan", f"year {int(plan.years[year_index])}",
                            "a plan year with training load on a core campus")
    campuses = pd.DataFrame(rows)
    jobs_all = pd.concat(job_parts, ignore_index=True)
    gpus_tot = float(campuses["campus_gpus"].sum())
    summary: dict[str, Any] = {
        "plan_year": int(plan.years[year_index]),
        "campuses": len(campuses),
        "gpus": int(gpus_tot),
        "jobs": len(jobs_all),
        "utilization": float((campuses["utilization"] * campuses["campus_gpus"]).sum() / gpus_tot),
        "offered_load": float((campuses["offered_load"] * campuses["campus_gpus"]).sum() / gpus_tot),
        "useful_gpu_h": float(campuses["useful_gpu_h"].sum()),
        "lost_gpu_h": float(campuses["lost_gpu_h"].sum()),
        "failures": int(campuses["failures"].sum()),
        "energy_mwh": float(campuses["energy_mwh"].sum()),
        "mean_queue_delay_h": float(jobs_all["queue_delay_h"].mean()),
        "load": load, "backfill": backfill, "mtbf_gpu_h": mtbf_gpu_h, "checkpoint_h": checkpoint_h,
        "restart_h": restart_h, "seed": seed, "power_w_per_gpu": power_w,
        "nameplate_w_per_gpu": float(kw_core * 1000.0), "power_source": power_source,
        "job_mix": [c.name for c in mix],
    }
    return PlanTraining(int(plan.years[year_index]), campuses, jobs_all, results, summary)
