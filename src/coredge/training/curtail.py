"""How training answers a curtailment event: pause, cap its power, or migrate to another campus.

A campus on a flexible connection must cut its draw to a share ``a_h`` of its pool in the hours
its balancing area nears its peak (`coredge.power.headroom`). Three responses are compared with
the naive **always-on** schedule that ignores the events (`coredge.training.flex.schedule_always_on`
on uncurtailed campuses: the reference, which breaks the connection's terms):

* **pause** (checkpoint and pause): in a curtailed hour the jobs above the allowed GPUs stop,
  those paused the hour before first, then those with the most slack before their deadline;
  each run of paused hours costs one restart (`restart_h` on the job's
  GPUs, lost) and the paused work is done after the job's always-on finish;
* **cap** (power capping, the EPRI DCFlex / Emerald AI response): every running job at the campus
  keeps its GPUs at a power share ``s = allowed / running`` and progresses at
  `capped_throughput` ``(s)`` of full speed (a job with less than an hour of slack left keeps
  full power and the others share the rest, when that leaves them any); the work not done is
  done after its finish; no restart. Field anchor: the Phoenix trial (Colangelo et al. 2025, arXiv:2507.00909; EPRI
  DCFlex with Oracle, NVIDIA and SRP, 3 May 2025) cut a 256-GPU cluster's power by 25 % for
  three hours by slowing and pausing jobs within their throughput tolerances (flex tiers of
  0, 10, 25 and 50 % throughput reduction);
* **migrate**: a job that would pause moves for the event to another campus of the plan with
  free GPUs and no curtailment in those hours, if the WAN lets its checkpoint go out and come back
  (``2 x (checkpoint_gb x 8 / wan_gbps / 3600 + restart_h)``) in less than the event; otherwise
  it pauses. The transfers and restarts are lost GPU-hours and work done later.

Work done later runs at the home campus right after the job's always-on finish, priced at those
hours. Accounting (tested as identities): each response's energy = always-on energy - energy
not drawn in the events + energy of the work done later + energy of restarts and transfers;
cost and CO2 are those energies at the hourly price and intensity of the hours they fall in;
GPU-hours delayed = GPUs x (finish - always-on finish); a job is late when its finish passes its
deadline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.training.flex import FlexCampus, Schedule, schedule_always_on
from coredge.training.jobs import DEFAULT_MIX, DEFAULT_RESTART_H

F64 = npt.NDArray[np.float64]

CAP_THROUGHPUT_EXPONENT: float = 0.87
"""Exponent ``k`` of the throughput share under a power cap, ``share ** k`` [ratio].
Assumption (the repo has no GPU power-vs-clock model): fitted to one vendor figure, an H100 capped
from 700 to 600 W (-14 % power) losing 10-15 % of transformer pre-training step throughput
(factryze.ai, Power Capping, 2026): ``0.857 ** 0.87 = 0.875``. So a 25 % cut keeps about 78 % of
the throughput, and a capped hour does more work per MWh than a full one."""

CHECKPOINT_BYTES_PER_PARAM: float = 16.0
"""Checkpoint size per model parameter [bytes]: the model states of mixed-precision Adam
(fp16 weights 2 + fp32 master weights, momentum and variance 12 + fp16 gradients 2; Rajbhandari
et al., ZeRO, SC 2020). Assumption: the whole state is moved (an upper bound)."""

DEFAULT_WAN_GBPS: float = 400.0
"""Inter-campus WAN capacity a migrating job gets [Gbit/s]. Assumption: one 400G wave."""

MODES: tuple[str, ...] = ("pause", "cap", "migrate")


def capped_throughput(power_share: npt.ArrayLike, exponent: float = CAP_THROUGHPUT_EXPONENT) -> F64:
    """Throughput share of a job whose GPUs are capped at ``power_share`` of their draw [fraction].

    Examples
    --------
    >>> [round(float(x), 3) for x in capped_throughput([1.0, 0.75, 0.857])]
    [1.0, 0.779, 0.874]
    """
    s = np.clip(np.asarray(power_share, dtype=np.float64), 0.0, 1.0)
    return np.asarray(s ** exponent, dtype=np.float64)


def checkpoint_gb(job_class: str, gpus: int) -> float:
    """Checkpoint of a job of `coredge.training.jobs.DEFAULT_MIX` class ``job_class`` [GB]
    (`CHECKPOINT_BYTES_PER_PARAM` x its parameters; 80 GB per GPU for an unknown class: assumption,
    one H100's memory)."""
    for c in DEFAULT_MIX:
        if c.name == job_class:
            return c.params * CHECKPOINT_BYTES_PER_PARAM / 1e9
    return 80.0 * gpus


def transfer_h(ckpt_gb: float, wan_gbps: float) -> float:
    """Hours to move a checkpoint over the WAN [h].

    Examples
    --------
    >>> round(transfer_h(6480.0, 400.0), 4)  # 405B parameters x 16 bytes over 400 Gbit/s
    0.036
    """
    return float(ckpt_gb * 8.0 / wan_gbps / 3600.0)


@dataclass
class Response:
    """One response to the year's curtailment events.

    Attributes
    ----------
    mode : str
        ``pause``, ``cap`` or ``migrate``.
    jobs : pandas.DataFrame
        Per affected job: job_id, site_id, gpus, finish_h (always-on), new_finish_h, deadline_h,
        deferred_h (work not done in the events), lost_h (restarts and transfers on its GPUs),
        later_h (hours run after the always-on finish: deferred work and restarts after a pause;
        the transfers of a move fall in the event), restarts, migrations, late.
    summary : dict
        Totals and their differences with the always-on schedule (JSON-able).
    """

    mode: str
    jobs: pd.DataFrame
    summary: dict[str, Any]


def _events(avail: F64) -> list[npt.NDArray[np.int64]]:
    """Runs of consecutive hours with ``avail < 1``."""
    h = np.flatnonzero(avail < 1.0 - 1e-12)
    if h.size == 0:
        return []
    cut = np.flatnonzero(np.diff(h) > 1) + 1
    return [a.astype(np.int64) for a in np.split(h, cut)]


def respond(campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float,
            mode: str, *, restart_h: float = DEFAULT_RESTART_H, wan_gbps: float = DEFAULT_WAN_GBPS,
            base: Schedule | None = None, exponent: float = CAP_THROUGHPUT_EXPONENT,
            hosts: Sequence[tuple[FlexCampus, F64]] = ()) -> Response:
    """Answer every curtailment event of ``campuses`` with ``mode`` (see the module docstring).

    Parameters
    ----------
    campuses : sequence of FlexCampus
        With their curtailment (``available_frac``); campuses without events host migrants.
    jobs : pandas.DataFrame
        As `coredge.training.flex.schedule_always_on`, plus ``checkpoint_gb`` [GB] (optional:
        `checkpoint_gb` of ``job_class``, or 80 GB per GPU).
    power_w_per_gpu : float
        Average draw of a busy GPU (IT) [W].
    mode : str
        One of `MODES`.
    restart_h, wan_gbps : float
        Restart after a pause or a move [h]; WAN capacity of a move [Gbit/s].
    base : Schedule, optional
        The always-on schedule of the same jobs on the campuses *without* curtailment.
    exponent : float
        `capped_throughput` exponent.
    hosts : sequence of (FlexCampus, ndarray)
        More campuses a job may migrate to, each with its hourly training draw [MW] (their own
        jobs are not curtailed here: e.g. the campuses without a flexible connection).
    """
    if mode not in MODES:
        raise InputError.of("mode", mode, "one of " + ", ".join(MODES))
    if not (np.isfinite(wan_gbps) and wan_gbps > 0):
        raise InputError.of("wan_gbps", wan_gbps, "> 0 Gbit/s")
    free_campuses = [replace(c, available_frac=np.ones_like(np.asarray(c.available_frac, dtype=np.float64)))
                     for c in campuses]
    if base is None:
        base = schedule_always_on(free_campuses, jobs, power_w_per_gpu, restart_h)
    H = base.load_mw.shape[1]
    own = len(campuses)
    load_all = base.load_mw
    if hosts:
        campuses = [*campuses, *(c for c, _ in hosts)]
        load_all = np.vstack([base.load_mw, *(np.resize(np.asarray(x, dtype=np.float64), H) for _, x in hosts)])
    price = np.vstack([np.resize(np.asarray(c.price_usd_per_mwh, dtype=np.float64), H) for c in campuses])
    carbon = np.vstack([np.resize(np.asarray(c.carbon_g_per_kwh, dtype=np.float64), H) for c in campuses])
    avail = np.vstack([np.resize(np.asarray(c.available_frac, dtype=np.float64), H) for c in campuses])
    gpus_cap = np.array([c.gpus for c in campuses], dtype=np.int64)
    mw_gpu = np.array([power_w_per_gpu * c.pue / 1e6 for c in campuses])
    bj = base.jobs.reset_index(drop=True)
    gj = bj["gpus"].to_numpy(dtype=np.int64)
    fin_j = bj["finish_h"].to_numpy(dtype=np.float64)
    dl_j = bj["deadline_h"].to_numpy(dtype=np.float64)
    id_j = [str(x) for x in bj["job_id"]]
    site_j = [str(x) for x in bj["site_id"]]
    meta = jobs.set_index(jobs["job_id"].astype(str))
    ck = (meta["checkpoint_gb"] if "checkpoint_gb" in meta.columns else
          pd.Series([checkpoint_gb(str(k), int(g)) for k, g in zip(
              meta["job_class"] if "job_class" in meta.columns else [""] * len(meta), meta["gpus"], strict=True)],
              index=meta.index))
    # GPUs running per campus and hour in the always-on schedule (whole GPUs, partial last hours up)
    running = np.ceil(load_all / mw_gpu[:, None] - 1e-6)
    migrated_in = np.zeros_like(running)
    per_job: dict[int, dict[str, Any]] = {}
    e_saved = np.zeros(len(campuses))  # energy not drawn at the campus in its events [MWh]
    cost_d = 0.0
    co2_d = 0.0
    energy_d = 0.0
    events_n = 0
    def slack(k: int, stopped: dict[int, list[int]]) -> float:
        """Hours job k may still finish later before its deadline (this event's pauses counted)."""
        d = per_job.get(k)
        pend = len(stopped.get(k, ())) + (restart_h if k in stopped else 0.0)
        return float(dl_j[k] - fin_j[k] - (d["later_h"] if d else 0.0) - pend)

    for ci in range(own):
        evs = _events(avail[ci])
        if not evs:
            continue
        # jobs booked at this campus in event hours
        ev_hours = np.concatenate(evs)
        in_ev = np.zeros(H, dtype=bool)
        in_ev[ev_hours] = True
        at: dict[int, list[int]] = {}
        for k, (c_k, slots) in enumerate(base.bookings):
            if c_k != ci:
                continue
            hs = slots[in_ev[slots]]
            for h in hs.tolist():
                at.setdefault(int(h), []).append(k)
        for ev in evs:
            stopped: dict[int, list[int]] = {}  # job -> hours paused in this event
            acted = False
            for h in ev.tolist():
                ks = at.get(h, [])
                if not ks:
                    continue
                n_run = int(sum(int(gj[k]) for k in ks))
                allowed = math.floor(avail[ci, h] * gpus_cap[ci] + 1e-9)
                if n_run <= allowed:
                    continue
                acted = True
                if mode == "cap":
                    # jobs with less than an hour of slack left run at full power, the rest
                    # share what is left of the allowed draw (all capped alike if that is none)
                    tight = [k for k in ks if slack(k, stopped) < 1.0]
                    g_t = int(sum(int(gj[k]) for k in tight))
                    if tight and g_t < allowed:
                        ks = [k for k in ks if k not in set(tight)]
                        s = (allowed - g_t) / (n_run - g_t)
                    else:
                        s = allowed / n_run
                    thr = float(capped_throughput(s, exponent))
                    for k in ks:
                        g = int(gj[k])
                        d = per_job.setdefault(k, {"deferred_h": 0.0, "lost_h": 0.0, "later_h": 0.0, "restarts": 0,
                                               "migrations": 0})
                        d["deferred_h"] += 1.0 - thr
                        d["later_h"] += 1.0 - thr
                        saved = (1.0 - s) * g * mw_gpu[ci]
                        e_saved[ci] += saved
                        energy_d -= saved
                        cost_d -= saved * price[ci, h]
                        co2_d -= saved * carbon[ci, h] / 1000.0
                    continue
                # keep paused the jobs paused the hour before (one restart), then pause the jobs
                # with the most slack left
                prev = {k for k, hs in stopped.items() if hs and hs[-1] == h - 1}
                order = sorted(ks, key=lambda k: (k not in prev, -slack(k, stopped), id_j[k]))
                left = n_run
                for k in order:
                    if left <= allowed:
                        break
                    stopped.setdefault(k, []).append(h)
                    left -= int(gj[k])
            if not acted:
                continue
            events_n += 1
            for k, hours in stopped.items():
                g = int(gj[k])
                d = per_job.setdefault(k, {"deferred_h": 0.0, "lost_h": 0.0, "later_h": 0.0, "restarts": 0,
                                               "migrations": 0})
                hrs = np.asarray(hours, dtype=np.int64)
                moved = False
                if mode == "migrate":
                    tr = transfer_h(float(ck.loc[id_j[k]]), wan_gbps)
                    over = 2.0 * (tr + restart_h)
                    if over < hrs.size:
                        for dj in np.argsort(price[:, hrs].mean(axis=1), kind="stable"):
                            dj = int(dj)
                            if dj == ci or (avail[dj, hrs] < 1.0).any():
                                continue
                            if (gpus_cap[dj] - running[dj, hrs] - migrated_in[dj, hrs] >= g).all():
                                migrated_in[dj, hrs] += g
                                mw_d = g * mw_gpu[dj]
                                mw_h = g * mw_gpu[ci]
                                # the event hours run at the destination, less the transfers
                                e_saved[ci] += mw_h * hrs.size
                                energy_d += -mw_h * hrs.size + mw_d * hrs.size
                                cost_d += float(np.sum(mw_d * price[dj, hrs] - mw_h * price[ci, hrs]))
                                co2_d += float(np.sum(mw_d * carbon[dj, hrs] - mw_h * carbon[ci, hrs])) / 1000.0
                                d["deferred_h"] += over
                                d["lost_h"] += over
                                d["later_h"] += over
                                d["migrations"] += 1
                                moved = True
                                break
                if moved:
                    continue
                runs = 1 + int(np.count_nonzero(np.diff(hrs) > 1))
                mw_h = g * mw_gpu[ci]
                e_saved[ci] += mw_h * hrs.size
                energy_d -= mw_h * hrs.size
                cost_d -= float(np.sum(mw_h * price[ci, hrs]))
                co2_d -= float(np.sum(mw_h * carbon[ci, hrs])) / 1000.0
                d["deferred_h"] += float(hrs.size)
                d["lost_h"] += runs * restart_h
                d["later_h"] += float(hrs.size) + runs * restart_h
                d["restarts"] += runs
    # the work done later (and the restarts/transfers) at the home campus after the job's finish
    rows = []
    for k, d in sorted(per_job.items()):
        ci = next(i for i, c in enumerate(campuses) if c.site_id == site_j[k])
        g = int(gj[k])
        extra_h = d["later_h"]
        f0 = float(fin_j[k])
        hrs = (math.floor(f0) + np.arange(max(math.ceil(extra_h), 1))) % H
        w = np.ones(hrs.size)
        w[-1] = extra_h - (hrs.size - 1) if extra_h > 0 else 0.0
        mw = g * mw_gpu[ci]
        energy_d += float(mw * w.sum())
        cost_d += float(np.sum(mw * w * price[ci, hrs]))
        co2_d += float(np.sum(mw * w * carbon[ci, hrs])) / 1000.0
        fin = f0 + extra_h
        rows.append({"job_id": id_j[k], "site_id": site_j[k], "gpus": g,
                     "finish_h": f0, "new_finish_h": fin, "deadline_h": float(dl_j[k]),
                     "deferred_h": d["deferred_h"], "lost_h": d["lost_h"], "later_h": d["later_h"],
                     "restarts": d["restarts"],
                     "migrations": d["migrations"], "late": bool(fin > float(dl_j[k]) + 1e-9)})
    out = pd.DataFrame(rows, columns=["job_id", "site_id", "gpus", "finish_h", "new_finish_h", "deadline_h",
                                      "deferred_h", "lost_h", "later_h", "restarts", "migrations", "late"])
    b = base.summary
    summary = {
        "mode": mode, "events": events_n, "jobs_affected": len(out),
        "curtailed_mwh": float(e_saved.sum()),
        "energy_mwh": float(b["energy_mwh"]) + energy_d, "cost_usd": float(b["cost_usd"]) + cost_d,
        "co2_hourly_t": float(b["co2_hourly_t"]) + co2_d,
        "extra_energy_mwh": energy_d, "extra_cost_usd": cost_d, "extra_co2_t": co2_d,
        "lost_gpu_h": float((out["gpus"] * out["lost_h"]).sum()),
        "delayed_gpu_h": float((out["gpus"] * (out["new_finish_h"] - out["finish_h"])).sum()),
        "late_jobs": int(out["late"].sum()), "migrations": int(out["migrations"].sum()),
        "restarts": int(out["restarts"].sum()),
    }
    return Response(mode, out, summary)


def compare_responses(campuses: Sequence[FlexCampus], jobs: pd.DataFrame, power_w_per_gpu: float, *,
                      restart_h: float = DEFAULT_RESTART_H, wan_gbps: float = DEFAULT_WAN_GBPS,
                      exponent: float = CAP_THROUGHPUT_EXPONENT,
                      hosts: Sequence[tuple[FlexCampus, F64]] = ()) -> dict[str, Any]:
    """Every response of `MODES` against one always-on schedule (JSON-able; {} without events);
    ``hosts`` as `respond`."""
    if not any((np.asarray(c.available_frac) < 1.0).any() for c in campuses):
        return {}
    free = [replace(c, available_frac=np.ones_like(np.asarray(c.available_frac, dtype=np.float64)))
            for c in campuses]
    base = schedule_always_on(free, jobs, power_w_per_gpu, restart_h)
    out: dict[str, Any] = {"always_on": {k: base.summary[k] for k in ("energy_mwh", "cost_usd", "co2_hourly_t")}}
    for m in MODES:
        out[m] = respond(campuses, jobs, power_w_per_gpu, m, restart_h=restart_h, wan_gbps=wan_gbps,
                         base=base, exponent=exponent, hosts=hosts).summary
    out["assumptions"] = {
        "cap_throughput_exponent": exponent, "wan_gbps": wan_gbps, "restart_h": restart_h,
        "checkpoint_bytes_per_param": CHECKPOINT_BYTES_PER_PARAM,
        "anchor": "EPRI DCFlex / Emerald AI Phoenix trial, 3 May 2025: 256 GPUs, -25 % power for 3 h "
                  "(Colangelo et al. 2025, arXiv:2507.00909)",
    }
    return out
