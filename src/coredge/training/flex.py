"""Training as a flexible load: shift jobs across campuses and hours by price and carbon.

Model (hourly slots over one price year, tiled to two so that jobs arriving late still finish):

* **Campuses** (`FlexCampus`): a pool of GPUs with a PUE, an hourly energy price [USD/MWh], an
  hourly grid CO2 intensity [g/kWh] and an hourly *available share* of the pool, < 1 in the
  hours a flexible (curtailable) grid connection is curtailed (`coredge.power.headroom`). In such
  an hour the GPUs above the share must stop: jobs checkpoint and pause.
* **Jobs** (a frame: ``job_id, gpus, duration_h, release_h, deadline_h, home``): ``gpus`` GPUs for
  ``duration_h`` hours of work, released at ``release_h``, due by ``deadline_h``. A job runs
  whole on one campus, in hourly slots; every resume after a pause costs ``restart_h`` more
  hours on its GPUs (reload the checkpoint, `coredge.training.jobs.DEFAULT_RESTART_H`).
* **Always-on baseline** (`schedule_always_on`): in release order each job runs at its home
  campus in the first hours from its release in which its GPUs are free and not curtailed
  (the naive plan: start as soon as possible, run until done, pause only when curtailed).
* **Shifted schedule** (`schedule_flexible`): starting from the always-on schedule, in release
  order each job gives back its hours and takes, at the campus and in the hours of its window
  ``[release, deadline)`` where GPUs are free, the cheapest set of
  hours by ``price + carbon_usd_per_t x intensity``, ranked in blocks of `DEFAULT_BLOCK_H`
  hours, at its home campus or one of the `DEFAULT_CANDIDATES` cheapest others over its window
  (a greedy list scheduler with perfect
  foresight of the year's prices, carbon and curtailment: an upper bound on what a day-ahead
  scheduler would get), if that costs less than its hours before (or meets a deadline they
  miss); otherwise it keeps them. So no job ends later than its deadline if its always-on hours
  met it, and no job costs more than always-on at the weight.

Accounting (tested as identities): a job's run hours = ``duration_h + (segments - 1) x
restart_h``; its energy = GPUs x ``power_w_per_gpu`` x PUE x run hours; the campus hourly load
is the sum of its jobs' draws; energy cost = sum over hours of load x price; CO2 *hourly-matched*
= sum of load x hourly intensity; CO2 *annual-average* (the usual location-based inventory) =
energy x the campus's mean intensity over the year. GPU-hours delayed = GPUs x (finish - release
- duration); GPU-hours lost = GPUs x restart hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.training.jobs import DEFAULT_RESTART_H

F64 = npt.NDArray[np.float64]

DEFAULT_SLACK: float = 0.25
"""Deadline slack of a shifted job: deadline = release + duration x (1 + slack) [fraction].
Assumption: a pre-training run tolerates finishing a quarter later than flat out."""

DEFAULT_BLOCK_H: int = 6
"""Hours ranked together when a job is shifted [h]. Assumption: a job runs in stretches of
about six hours, so that restarts (`DEFAULT_RESTART_H` each) stay a small share of its time."""

DEFAULT_CANDIDATES: int = 2
"""Campuses besides its home one a shifted job is tried at: those of lowest mean price + carbon
over its window (a pruning of the search; the home campus is always tried)."""

DEFAULT_MIN_SLACK_H: float = 24.0
"""Smallest deadline slack of a job [h]. Assumption: a day, so a fine-tune can wait for the night."""


@dataclass(frozen=True)
class FlexCampus:
    """A campus that hosts shiftable training.

    Attributes
    ----------
    site_id : str
    gpus : int
        GPUs of the training pool.
    pue : float
        Power usage effectiveness [ratio].
    price_usd_per_mwh : numpy.ndarray
        Hourly energy price over one year [USD/MWh].
    carbon_g_per_kwh : numpy.ndarray
        Hourly grid intensity over the same hours [g CO2/kWh].
    available_frac : numpy.ndarray
        Share of the pool allowed to run in each hour [fraction] (1 = no curtailment).
    price_source, carbon_source : str
        Where the hourly series come from.
    """

    site_id: str
    gpus: int
    pue: float
    price_usd_per_mwh: F64
    carbon_g_per_kwh: F64
    available_frac: F64
    price_source: str = ""
    carbon_source: str = ""


@dataclass
class Schedule:
    """A schedule of training jobs over campuses and hours.

    Attributes
    ----------
    name : str
        ``"always-on"`` or ``"shifted"``.
    jobs : pandas.DataFrame
        Per job: job_id, site_id, gpus, duration_h, release_h, deadline_h, start_h, finish_h,
        segments, run_h, energy_mwh, cost_usd, co2_t, delay_h, late, shifted (placed by the
        price rule; False = the always-on rule).
    load_mw : numpy.ndarray
        Hourly facility draw per campus, shape (campuses, hours) [MW].
    summary : dict
        Totals (JSON-able): energy_mwh, cost_usd, co2_hourly_t, co2_annual_avg_t, useful_gpu_h,
        lost_gpu_h, delayed_gpu_h, late_jobs, jobs.
    """

    name: str
    jobs: pd.DataFrame
    load_mw: F64
    summary: dict[str, Any] = field(default_factory=dict)
    bookings: list[tuple[int, npt.NDArray[np.int64]]] = field(default_factory=list, repr=False)
    """(campus index, hours) of each job, in release order (to start another pass from)."""


def make_deadlines(release_h: npt.ArrayLike, duration_h: npt.ArrayLike,
                   slack: float = DEFAULT_SLACK, min_slack_h: float = DEFAULT_MIN_SLACK_H) -> F64:
    """Deadline of each job: release + duration + max(slack x duration, min_slack_h) [h].

    Examples
    --------
    >>> make_deadlines([0.0, 10.0], [100.0, 4.0]).tolist()
    [125.0, 38.0]
    """
    r = np.asarray(release_h, dtype=np.float64)
    d = np.asarray(duration_h, dtype=np.float64)
    return np.asarray(r + d + np.maximum(slack * d, min_slack_h), dtype=np.float64)


def segments(slots: npt.ArrayLike) -> int:
    """Number of runs of consecutive hours in a sorted array of hour indices.

    Examples
    --------
    >>> segments([3, 4, 5, 9, 10, 20])
    3
    """
    s = np.asarray(slots, dtype=np.int64)
    if s.size == 0:
        return 0
    return int(1 + np.count_nonzero((s[1:] - s[:-1]) > 1))  # np.diff, without its overhead (hot)


def run_hours(duration_h: float, n_segments: int, restart_h: float) -> float:
    """Hours a job holds its GPUs: work plus one restart per resume [h].

    Examples
    --------
    >>> run_hours(10.0, 3, 0.25)
    10.5
    """
    return float(duration_h + max(n_segments - 1, 0) * restart_h)


def _take(order: npt.NDArray[np.int64], duration_h: float, restart_h: float) -> npt.NDArray[np.int64] | None:
    """The first hours of ``order`` (candidate hours, best first) that cover the job's run hours."""
    n = math.ceil(duration_h - 1e-9)
    while n <= order.size:
        chosen = np.sort(order[:n])
        need = run_hours(duration_h, segments(chosen), restart_h)
        if n >= need - 1e-9:
            return chosen
        n = math.ceil(need - 1e-9)
    return None


class _Grid:
    """Campus arrays tiled over the horizon, and the GPUs still free in each hour."""

    def __init__(self, campuses: Sequence[FlexCampus], horizon_h: int,
                 carbon_usd_per_t: float = 0.0) -> None:
        self.campuses = list(campuses)
        self.ids = [c.site_id for c in campuses]
        self.h = horizon_h

        def tile(a: F64) -> F64:
            a = np.asarray(a, dtype=np.float64)
            return np.resize(a, horizon_h)

        self.price = np.vstack([tile(c.price_usd_per_mwh) for c in campuses])
        self.carbon = np.vstack([tile(c.carbon_g_per_kwh) for c in campuses])
        cap = np.vstack([np.floor(c.gpus * np.clip(tile(c.available_frac), 0.0, 1.0) + 1e-9)
                         for c in campuses])
        self.free = cap.astype(np.int64)
        self.mean_carbon = np.array([float(np.mean(c.carbon_g_per_kwh)) for c in campuses])
        self.load_mw = np.zeros((len(campuses), horizon_h))
        self.score = self.price + carbon_usd_per_t * self.carbon / 1000.0  # [USD/MWh]
        self.cum = np.concatenate([np.zeros((len(campuses), 1)), np.cumsum(self.score, axis=1)], axis=1)


def _check(campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float,
           restart_h: float) -> None:
    if not campuses:
        raise InputError.of("campuses", [], "at least one campus")
    n = {len(c.price_usd_per_mwh) for c in campuses} | {len(c.carbon_g_per_kwh) for c in campuses}
    n |= {len(c.available_frac) for c in campuses}
    if len(n) != 1:
        raise InputError.of("campuses", sorted(n), "hourly series of one common length")
    for col in ("job_id", "gpus", "duration_h", "release_h", "deadline_h", "home"):
        if col not in jobs.columns:
            raise InputError.of("jobs", list(jobs.columns), f"a frame with column {col!r}")
    ids = {c.site_id for c in campuses}
    bad = sorted(set(jobs["home"].astype(str)) - ids)
    if bad:
        raise InputError.of("jobs.home", bad[0], "a site_id of one of the campuses")
    if not (power_w_per_gpu > 0 and restart_h >= 0):
        raise InputError.of("power_w_per_gpu", power_w_per_gpu, "> 0 W (and restart_h >= 0)")
    big = {c.site_id: c.gpus for c in campuses}
    over = jobs[jobs["gpus"].to_numpy() > jobs["home"].astype(str).map(big).to_numpy()]
    if len(over):
        raise InputError.of("jobs.gpus", over["gpus"].tolist()[0], "at most its home campus's GPUs")


def _horizon(campuses: Sequence[FlexCampus], jobs: pd.DataFrame) -> int:
    year = len(campuses[0].price_usd_per_mwh)
    span = float((jobs["release_h"] + 3.0 * jobs["duration_h"]).max()) if len(jobs) else 0.0
    dls = jobs["deadline_h"].to_numpy(np.float64) if len(jobs) else np.zeros(1)
    dl = float(dls[np.isfinite(dls)].max()) if np.isfinite(dls).any() else 0.0
    return int(max(2, math.ceil(max(span, dl) / year) + 1) * year)


def _draw(slots: npt.NDArray[np.int64], duration_h: float, restart_h: float,
          mw_per_h: float) -> tuple[npt.NDArray[np.float64], int, float]:
    """Hourly draw of a job on ``slots`` [MWh per slot], its segments and run hours [h]."""
    segs = segments(slots)
    run_h = run_hours(duration_h, segs, restart_h)
    draw = np.full(slots.size, mw_per_h)
    draw[-1] = mw_per_h * (run_h - (slots.size - 1))
    return draw, segs, run_h


def _reserve(g: _Grid, ci: int, slots: npt.NDArray[np.int64], gpus: int, draw: npt.NDArray[np.float64],
             sign: int = 1) -> None:
    """Take (``sign`` 1) or give back (-1) a job's GPUs and draw at campus ``ci``."""
    g.free[ci, slots] -= sign * gpus
    g.load_mw[ci, slots] += sign * draw


def _account(g: _Grid, ci: int, slots: npt.NDArray[np.int64], draw: npt.NDArray[np.float64],
             segs: int, run_h: float) -> dict[str, float]:
    """A booked job's accounting."""
    return {
        "start_h": float(slots[0]), "finish_h": float(slots[-1] + run_h - (slots.size - 1)),
        "segments": segs, "run_h": run_h, "energy_mwh": float(draw.sum()),
        "cost_usd": float(np.dot(draw, g.price[ci, slots])),
        "co2_t": float(np.dot(draw, g.carbon[ci, slots]) / 1000.0),
    }


@dataclass(frozen=True)
class _Job:
    job_id: Any
    gpus: int
    duration_h: float
    release_h: float
    deadline_h: float
    home: str


def _job_list(jobs: pd.DataFrame) -> list[_Job]:
    order = jobs.sort_values(["release_h", "job_id"], kind="stable")
    cols = [order[c].tolist() for c in ("job_id", "gpus", "duration_h", "release_h", "deadline_h", "home")]
    return [_Job(j, int(g), float(d), float(r), float(dl), str(h)) for j, g, d, r, dl, h in zip(*cols, strict=True)]


def _asap(g: _Grid, ci: int, job: _Job, restart_h: float) -> npt.NDArray[np.int64] | None:
    r0 = math.ceil(job.release_h - 1e-9)
    width = int(2 * job.duration_h) + 48
    while True:
        r1 = min(r0 + width, g.h)
        ok = np.flatnonzero(g.free[ci, r0:r1] >= job.gpus) + r0
        chosen = _take(ok.astype(np.int64), job.duration_h, restart_h)
        if chosen is not None or r1 >= g.h:
            return chosen
        width *= 4


def _shift(g: _Grid, job: _Job, cands: Sequence[int], power_w_per_gpu: float, restart_h: float,
           block_h: int) -> tuple[int, npt.NDArray[np.int64]] | None:
    """The campus and hours of least price + carbon within the job's window (None: no fit).

    Hours are ranked by the mean score of their block of ``block_h`` hours (blocks aligned on
    the window's start), then by time, so a job runs in stretches rather than paying a restart
    for every isolated cheap hour.
    """
    r0 = math.ceil(job.release_h - 1e-9)
    r1 = min(math.floor(job.deadline_h), g.h)
    best: tuple[float, int, npt.NDArray[np.int64]] | None = None
    for ci in cands:
        if job.gpus > g.campuses[ci].gpus:
            continue
        mw = job.gpus * power_w_per_gpu * g.campuses[ci].pue / 1e6
        hours = np.flatnonzero(g.free[ci, r0:r1] >= job.gpus) + r0
        if hours.size < job.duration_h:
            continue
        score = g.score[ci, hours]
        block = (hours - r0) // block_h
        sums = np.bincount(block, weights=score)
        counts = np.bincount(block)
        bscore = (sums / np.maximum(counts, 1))[block]
        ranked = hours[np.argsort(bscore, kind="stable")].astype(np.int64)  # ties: earlier first
        chosen = _take(ranked, job.duration_h, restart_h)
        if chosen is None or chosen[-1] + 1 > job.deadline_h + 1e-9:
            continue
        total = mw * float(np.sum(g.score[ci, chosen]))
        if best is None or total < best[0] - 1e-9:
            best = (total, ci, chosen)
    return None if best is None else (best[1], best[2])


def _candidates(g: _Grid, job: _Job, home: int, migrate: bool, top: int) -> list[int]:
    """Home campus plus the ``top`` others of lowest mean score over the job's window."""
    if not migrate or len(g.ids) == 1:
        return [home]
    r0 = math.ceil(job.release_h - 1e-9)
    r1 = max(min(math.floor(job.deadline_h), g.h), r0 + 1)
    mean = (g.cum[:, r1] - g.cum[:, r0]) / (r1 - r0)
    order = [int(i) for i in np.argsort(mean, kind="stable") if int(i) != home]
    return [home, *order[:top]]


def _run(name: str, campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float,
         restart_h: float, carbon_usd_per_t: float | None, migrate: bool,
         start: Schedule | None = None) -> Schedule:
    """Book every job always-on; with a carbon weight, then move each job (in release order) to
    cheaper hours or another campus when that costs less (or meets a deadline its always-on
    hours miss): its own hours are given back first, so its always-on placement stays possible
    and the pass never makes a job late that was on time."""
    _check(campuses, jobs, power_w_per_gpu, restart_h)
    g = _Grid(campuses, _horizon(campuses, jobs), carbon_usd_per_t or 0.0)
    home_idx = {sid: i for i, sid in enumerate(g.ids)}
    job_list = _job_list(jobs)

    def mw_at(ci: int, job: _Job) -> float:
        return job.gpus * power_w_per_gpu * g.campuses[ci].pue / 1e6

    book: list[tuple[int, npt.NDArray[np.int64]]] = []
    reuse = (start is not None and len(start.bookings) == len(job_list)
             and start.load_mw.shape[0] == len(g.ids) and start.load_mw.shape[1] <= g.h)
    for k, job in enumerate(job_list):
        if reuse and start is not None:
            ci, chosen = start.bookings[k]
        else:
            ci = home_idx[job.home]
            found_asap = _asap(g, ci, job, restart_h)
            if found_asap is None:
                raise InputError.of("jobs", str(job.job_id), "jobs that fit within the horizon")
            chosen = found_asap
        _reserve(g, ci, chosen, job.gpus, _draw(chosen, job.duration_h, restart_h, mw_at(ci, job))[0])
        book.append((ci, chosen))
    moved = [False] * len(job_list)
    if carbon_usd_per_t is not None:
        for k, job in enumerate(job_list):
            ci0, slots0 = book[k]
            draw0, _, run0 = _draw(slots0, job.duration_h, restart_h, mw_at(ci0, job))
            cost0 = float(np.dot(draw0, g.score[ci0, slots0]))
            late0 = slots0[-1] + run0 - (slots0.size - 1) > job.deadline_h + 1e-9
            _reserve(g, ci0, slots0, job.gpus, draw0, -1)
            found = _shift(g, job, _candidates(g, job, ci0, migrate, DEFAULT_CANDIDATES),
                           power_w_per_gpu, restart_h, DEFAULT_BLOCK_H)
            if found is not None:
                ci, chosen = found
                draw = _draw(chosen, job.duration_h, restart_h, mw_at(ci, job))[0]
                if late0 or float(np.dot(draw, g.score[ci, chosen])) < cost0 - 1e-9:
                    book[k] = (ci, chosen)
                    moved[k] = True
            ci, chosen = book[k]
            _reserve(g, ci, chosen, job.gpus, _draw(chosen, job.duration_h, restart_h, mw_at(ci, job))[0])
    rows = []
    for k, job in enumerate(job_list):
        ci, chosen = book[k]
        draw, segs, run_h = _draw(chosen, job.duration_h, restart_h, mw_at(ci, job))
        acc = _account(g, ci, chosen, draw, segs, run_h)
        rows.append({"job_id": job.job_id, "site_id": g.ids[ci], "home": job.home, "gpus": job.gpus,
                     "duration_h": job.duration_h, "release_h": job.release_h,
                     "deadline_h": job.deadline_h, **acc,
                     "delay_h": acc["finish_h"] - job.release_h - job.duration_h,
                     "late": bool(acc["finish_h"] > job.deadline_h + 1e-9), "shifted": moved[k]})
    out = pd.DataFrame(rows)
    return Schedule(name, out, g.load_mw, _summary(out, g, restart_h), book)


def _summary(jobs: pd.DataFrame, g: _Grid, restart_h: float) -> dict[str, Any]:
    if jobs.empty:
        return {"jobs": 0, "energy_mwh": 0.0, "cost_usd": 0.0, "co2_hourly_t": 0.0,
                "co2_annual_avg_t": 0.0, "useful_gpu_h": 0.0, "lost_gpu_h": 0.0,
                "delayed_gpu_h": 0.0, "late_jobs": 0, "shifted_jobs": 0}
    energy_by_campus = g.load_mw.sum(axis=1)
    return {
        "jobs": len(jobs),
        "energy_mwh": float(energy_by_campus.sum()),
        "cost_usd": float(np.sum(g.load_mw * g.price)),
        "co2_hourly_t": float(np.sum(g.load_mw * g.carbon) / 1000.0),
        "co2_annual_avg_t": float(np.dot(energy_by_campus, g.mean_carbon) / 1000.0),
        "useful_gpu_h": float((jobs["gpus"] * jobs["duration_h"]).sum()),
        "lost_gpu_h": float((jobs["gpus"] * (jobs["run_h"] - jobs["duration_h"])).sum()),
        "delayed_gpu_h": float((jobs["gpus"] * jobs["delay_h"]).sum()),
        "late_jobs": int(jobs["late"].sum()),
        "shifted_jobs": int(jobs["shifted"].sum()),
        "mean_delay_h": float(jobs["delay_h"].mean()),
        "restart_h": restart_h,
    }


def schedule_always_on(campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float,
                       restart_h: float = DEFAULT_RESTART_H) -> Schedule:
    """The naive baseline: every job at its home campus, as soon as its GPUs are free.

    Parameters
    ----------
    campuses : sequence of FlexCampus
    jobs : pandas.DataFrame
        ``job_id, gpus, duration_h [h], release_h [h], deadline_h [h], home`` (a campus site_id).
    power_w_per_gpu : float
        Average system draw of a busy GPU (IT, before PUE) [W].
    restart_h : float
        Extra hours on the GPUs per resume after a pause [h].
    """
    return _run("always-on", campuses, jobs, power_w_per_gpu, restart_h, None, False)


def schedule_flexible(campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float,
                      restart_h: float = DEFAULT_RESTART_H, carbon_usd_per_t: float = 0.0,
                      migrate: bool = True, start: Schedule | None = None) -> Schedule:
    """Jobs placed and shifted to the cheapest hours (price + carbon) within their deadlines.

    Parameters
    ----------
    campuses, jobs, power_w_per_gpu, restart_h
        As `schedule_always_on`.
    carbon_usd_per_t : float
        Weight of CO2 in the choice [USD/t] (0 = price only; the accounting is unchanged).
    migrate : bool
        Whether a job may run at another campus than its home one (placement across campuses;
        a job never moves once started).
    start : Schedule, optional
        The always-on schedule of the same campuses and jobs (saves computing it again).
    """
    if not (np.isfinite(carbon_usd_per_t) and carbon_usd_per_t >= 0):
        raise InputError.of("carbon_usd_per_t", carbon_usd_per_t, ">= 0 USD/t")
    return _run("shifted", campuses, jobs, power_w_per_gpu, restart_h, float(carbon_usd_per_t), migrate,
                start)


def savings(baseline: Schedule, shifted: Schedule) -> dict[str, float]:
    """Baseline minus shifted for money, energy, CO2 (both accountings) and delays.

    Examples
    --------
    >>> a = Schedule("a", pd.DataFrame(), np.zeros((1, 1)), {"cost_usd": 10.0, "energy_mwh": 2.0,
    ...     "co2_hourly_t": 1.0, "co2_annual_avg_t": 1.0, "delayed_gpu_h": 0.0, "lost_gpu_h": 0.0})
    >>> b = Schedule("b", pd.DataFrame(), np.zeros((1, 1)), {"cost_usd": 8.0, "energy_mwh": 2.0,
    ...     "co2_hourly_t": 0.9, "co2_annual_avg_t": 1.0, "delayed_gpu_h": 5.0, "lost_gpu_h": 1.0})
    >>> savings(a, b)["cost_usd"], savings(a, b)["cost_pct"]
    (2.0, 20.0)
    """
    out: dict[str, float] = {}
    for k in ("cost_usd", "energy_mwh", "co2_hourly_t", "co2_annual_avg_t"):
        a, b = float(baseline.summary[k]), float(shifted.summary[k])
        out[k] = a - b
        out[k.rsplit("_", 1)[0] + "_pct" if k != "cost_usd" else "cost_pct"] = (
            100.0 * (a - b) / a if a else 0.0)
    out["extra_delayed_gpu_h"] = float(shifted.summary["delayed_gpu_h"] - baseline.summary["delayed_gpu_h"])
    out["extra_lost_gpu_h"] = float(shifted.summary["lost_gpu_h"] - baseline.summary["lost_gpu_h"])
    return out
