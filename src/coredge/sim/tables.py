"""Kernel state and statistics arrays, fault arrays, and the result tables built from them.

`coredge.sim.engine` runs the kernel; this module owns what it fills (`Accumulators`), the
faults as kernel arrays (`fault_arrays`) and the turning of accumulators into a `SimResult`
(`build_result`, `add_energy`). Accumulators of independent replications add up
(`Accumulators.add`): every statistic is a count, a sum or a histogram.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.sim import kernel as K
from coredge.sim.energy import J_PER_KWH, per_unit, site_class_energy_j
from coredge.sim.hist import COARSE, N_BINS, N_COARSE, quantiles_ms
from coredge.sim.spec import FaultSpec, NetworkSpec
from coredge.sim.traffic import MS_PER_S, TrafficSource

UNLIMITED_QUEUE: int = 1 << 62
"""Queue limit of a site without one (the kernel compares against it)."""
QS = (0.5, 0.95, 0.99)
"""Quantiles reported for latency and wait."""


@dataclass
class SimResult:
    """What a simulation produced.

    Attributes
    ----------
    summary : dict
        Overall figures (JSON-able): ``requests``, ``completed``, ``dropped``, ``p50_ms`` ...
    sites, classes, demand, tiers, timeseries : pandas.DataFrame
        Per-site, per-class, per-demand-point, per-tier and per-minute tables.
    hist_latency, hist_wait : ndarray of int64, shape (N_BINS,)
        Overall histograms of served requests' latency and wait on the `coredge.sim.hist` grid.
    requests_table : pandas.DataFrame or None
        One row per request when run with ``record=True``.
    """

    summary: dict[str, Any]
    sites: pd.DataFrame
    classes: pd.DataFrame
    demand: pd.DataFrame
    tiers: pd.DataFrame
    timeseries: pd.DataFrame
    hist_latency: npt.NDArray[np.int64]
    hist_wait: npt.NDArray[np.int64]
    requests_table: pd.DataFrame | None = None
    spec: NetworkSpec | None = field(default=None, repr=False)

    def write(self, out_dir: str | Path, overwrite: bool = False) -> Path:
        """Write ``summary.json``, ``spec.json`` and Parquet tables to ``out_dir`` atomically.

        Through `coredge.files.atomic_dir`: a hidden temporary sibling renamed into place, so an
        interrupted write leaves nothing half-written; an existing folder that is not a coredge
        output is refused, an existing output replaced only with `overwrite`.
        """
        from coredge.files import atomic_dir, to_json_line

        out = Path(out_dir)
        with atomic_dir(out, "simulate", overwrite=overwrite) as tmp:
            (tmp / "summary.json").write_text(to_json_line(self.summary) + "\n", encoding="utf-8")
            if self.spec is not None:
                (tmp / "spec.json").write_text(json.dumps(self.spec.to_dict()), encoding="utf-8")
            tables = {
                "sites": self.sites,
                "classes": self.classes,
                "demand": self.demand,
                "tiers": self.tiers,
                "timeseries": self.timeseries,
            }
            if self.requests_table is not None:
                tables["requests"] = self.requests_table
            for name, df in tables.items():
                df.to_parquet(tmp / f"{name}.parquet", index=False)
        return out


class Accumulators:
    """Fixed-size state and statistics arrays handed to the kernel."""

    def __init__(self, n_sites: int, n_class: int, n_dem: int, servers: npt.NDArray[np.int64],
                 qlim: npt.NDArray[np.int64]) -> None:
        self.shape_args = (n_sites, n_class, n_dem, servers, qlim)
        # each site's heap placed so that the children of every node (indices a x i + 1 ..
        # a x i + a, a = 8) fill one 64-byte cache line: its first child block starts on a
        # line boundary (at most 7 unused entries per site)
        a = K.HEAP_ARITY
        self.heap = np.zeros(int(servers.sum()) + a * (n_sites + 1), dtype=np.float64)
        e0 = (self.heap.ctypes.data // 8) % a  # element 0's position within its cache line
        want = (a - 1 - e0) % a  # offsets o with (e0 + o + 1) % a == 0
        self.heap_off = np.zeros(n_sites + 1, dtype=np.int64)
        cur = want
        for s_i in range(n_sites):
            self.heap_off[s_i] = cur
            cur += int(servers[s_i])
            cur += (want - cur) % a
        self.heap_off[n_sites] = cur
        cap = int(max(1, min(int(qlim.max()), 256)))
        self.ring = np.zeros((n_sites, cap), dtype=np.float64)
        self.ring_head = np.zeros(n_sites, dtype=np.int64)
        self.ring_cnt = np.zeros(n_sites, dtype=np.int64)
        self.site_i = np.zeros((n_sites, K.N_SITE_I), dtype=np.int64)
        self.site_f = np.zeros((n_sites, K.N_SITE_F), dtype=np.float64)
        self.hist_site_lat = np.zeros((n_sites, N_BINS), dtype=np.int64)
        self.hist_site_wait = np.zeros((n_sites, N_BINS), dtype=np.int64)
        self.class_i = np.zeros((n_class, K.N_GROUP_I), dtype=np.int64)
        self.class_f = np.zeros((n_class, K.N_GROUP_F), dtype=np.float64)
        self.hist_class_lat = np.zeros((n_class, N_BINS), dtype=np.int64)
        self.hist_class_wait = np.zeros((n_class, N_BINS), dtype=np.int64)
        self.dem_i = np.zeros((n_dem, K.N_GROUP_I), dtype=np.int64)
        self.dem_f = np.zeros((n_dem, K.N_GROUP_F), dtype=np.float64)
        self.ts_i = np.zeros((64, K.N_TS_I), dtype=np.int64)
        self.ts_f = np.zeros((64, K.N_TS_F), dtype=np.float64)
        self.ts_hist = np.zeros((64, N_COARSE), dtype=np.int64)
        self.fault_i = np.zeros((2, n_class, K.N_FAULT_I), dtype=np.int64)
        self.sc_f = np.zeros((n_sites, n_class, K.N_SC_F), dtype=np.float64)

    STATS = ("site_i", "site_f", "hist_site_lat", "hist_site_wait", "class_i", "class_f",
             "hist_class_lat", "hist_class_wait", "dem_i", "dem_f", "fault_i", "sc_f")
    """Statistics of fixed shape (the per-minute arrays grow with simulated time)."""

    def add(self, other: Accumulators) -> None:
        """Add the statistics of an independent run of the same spec (counts, sums and
        histograms add; per-minute rows by minute since each run's counted start)."""
        for name in self.STATS:
            getattr(self, name)[...] += getattr(other, name)
        self.ensure_minutes(other.ts_i.shape[0])
        for name in ("ts_i", "ts_f", "ts_hist"):
            o = getattr(other, name)
            getattr(self, name)[: o.shape[0]] += o

    @classmethod
    def fresh_like(cls, other: Accumulators) -> Accumulators:
        """Zero statistics of the same shapes as ``other`` (site state still to be taken)."""
        n_sites, n_class, n_dem, servers, qlim = other.shape_args
        return cls(n_sites, n_class, n_dem, np.zeros_like(servers), qlim)

    def take_state(self, other: Accumulators, shift_ms: float) -> None:
        """Take over the site state (heaps, rings) of ``other`` with its times moved back by
        ``shift_ms`` (the start of a next counted window becomes time 0)."""
        self.shape_args = other.shape_args
        self.heap, self.heap_off = other.heap, other.heap_off
        self.heap -= shift_ms
        self.ring, self.ring_head, self.ring_cnt = other.ring, other.ring_head, other.ring_cnt
        self.ring -= shift_ms

    def drop_state(self) -> None:
        """Free the site state (heaps, rings): what a finished run sends back is statistics."""
        self.heap = np.empty(0)
        self.ring = np.empty((self.ring.shape[0], 0))

    def grow_ring(self) -> None:
        """Double the ring capacity, unrolling each site's ring to start at 0."""
        n_sites, cap = self.ring.shape
        new = np.zeros((n_sites, 2 * cap), dtype=np.float64)
        for s in range(n_sites):
            idx = (self.ring_head[s] + np.arange(self.ring_cnt[s])) % cap
            new[s, : len(idx)] = self.ring[s, idx]
        self.ring = new
        self.ring_head[:] = 0

    def ensure_minutes(self, n_min: int) -> None:
        """Make the per-minute arrays cover minutes ``0 .. n_min - 1``."""
        have = self.ts_i.shape[0]
        if n_min <= have:
            return
        rows = max(n_min, 2 * have)
        for name in ("ts_i", "ts_f", "ts_hist"):
            old = getattr(self, name)
            new = np.zeros((rows, old.shape[1]), dtype=old.dtype)
            new[:have] = old
            setattr(self, name, new)


@dataclass
class FaultArrays:
    """Faults of a run as kernel arrays (see `coredge.sim.kernel.run_chunk`)."""

    faults: list[FaultSpec]
    f_site: npt.NDArray[np.int64]
    f_lo: npt.NDArray[np.float64]
    f_hi: npt.NDArray[np.float64]
    w_lo: npt.NDArray[np.float64]
    w_hi: npt.NDArray[np.float64]
    dr_site: npt.NDArray[np.int64]
    dr_t: npt.NDArray[np.float64]
    dr_end: npt.NDArray[np.float64]
    dr_block: npt.NDArray[np.int64]
    bounds_ms: npt.NDArray[np.float64]
    """Times at which the set of active link faults changes [ms], sorted."""
    epoch_rtt: list[npt.NDArray[np.float64]]
    """RTT matrix [ms] of epoch ``e`` = arrivals in ``[bounds[e-1], bounds[e])`` (0 = base)."""


def fault_arrays(spec: NetworkSpec, extra: Sequence[FaultSpec], servers: npt.NDArray[np.int64],
            rtt: npt.NDArray[np.float64]) -> FaultArrays:
    from coredge.sim.spec import check_faults

    ids = {s.id: i for i, s in enumerate(spec.sites)}
    dem = {d.id: i for i, d in enumerate(spec.demand)}
    fs = [*spec.faults, *extra]
    for f in extra:
        if f.site not in ids and f.kind == "site":
            raise InputError.of("--fail-site", f.site, "the id of a site in the spec: " + ", ".join(list(ids)[:10]) + ("..." if len(ids) > 10 else ""))
    problems = check_faults(spec, extra, "faults(extra)")
    if problems:
        raise InputError(problems, "invalid fault")
    lo_all = np.array([f.at_s * MS_PER_S for f in fs], dtype=np.float64)
    hi_all = np.array([(f.at_s + f.for_s) * MS_PER_S for f in fs], dtype=np.float64)
    outage = [i for i, f in enumerate(fs) if f.kind == "site"]
    f_site = np.array([ids[fs[i].site] for i in outage], dtype=np.int64)
    derates = sorted((i for i, f in enumerate(fs) if f.kind == "derate"), key=lambda i: lo_all[i])
    dr_site = np.array([ids[fs[i].site] for i in derates], dtype=np.int64)
    blocked = [int(servers[ids[fs[i].site]]) - round(int(servers[ids[fs[i].site]]) * float(fs[i].fraction or 0.0))
               for i in derates]
    links = [i for i, f in enumerate(fs) if f.kind == "link"]
    bounds = np.unique(np.concatenate([lo_all[links], hi_all[links]])) if links else np.empty(0)
    epoch_rtt = [rtt]
    for e in range(1, len(bounds) + 1):
        t0 = bounds[e - 1]
        m = rtt
        for i in links:
            if lo_all[i] <= t0 < hi_all[i]:
                if m is rtt:
                    m = rtt.copy()
                f = fs[i]
                rows = [dem[d] for d in f.demand] if f.demand is not None else slice(None)
                col = ids[f.site]
                if f.rtt_penalty_ms is None:
                    m[rows, col] = math.inf
                else:
                    m[rows, col] += f.rtt_penalty_ms
        epoch_rtt.append(m)
    return FaultArrays(
        fs, f_site, lo_all[outage], hi_all[outage], lo_all, hi_all,
        dr_site, lo_all[derates], hi_all[derates], np.array(blocked, dtype=np.int64),
        np.asarray(bounds, dtype=np.float64), epoch_rtt)


def _fault_window(f: FaultSpec) -> dict[str, Any]:
    w: dict[str, Any] = {"site": f.site, "at_s": f.at_s, "for_s": f.for_s}
    if f.kind == "link":
        w.update(kind="link", demand=f.demand, rtt_penalty_ms=f.rtt_penalty_ms)
    elif f.kind == "derate":
        w.update(kind="derate", fraction=f.fraction)
    return w


def _fault_figures(fi: npt.NDArray[np.int64], has_slo: bool) -> dict[str, Any]:
    """Figures during / outside fault windows from ``fi[w, col]`` (w: 0 outside, 1 during)."""
    return {
        "requests_during": int(fi[1, K.F_ARR]),
        "requests_outside": int(fi[0, K.F_ARR]),
        "dropped_frac_during": _frac(fi[1, K.F_DROP], fi[1, K.F_ARR]),
        "dropped_frac_outside": _frac(fi[0, K.F_DROP], fi[0, K.F_ARR]),
        "slo_attainment_during": _frac(fi[1, K.F_SLO_MET], fi[1, K.F_ARR]) if has_slo else math.nan,
        "slo_attainment_outside": _frac(fi[0, K.F_SLO_MET], fi[0, K.F_ARR]) if has_slo else math.nan,
    }


def _fault_block(fa: FaultArrays, fault_i: npt.NDArray[np.int64], class_ids: Sequence[str],
                 has_slo: bool) -> dict[str, Any]:
    """The summary's ``faults`` block: windows, overall and per-class figures during / outside."""
    block: dict[str, Any] = {"windows": [_fault_window(f) for f in fa.faults]}
    block.update(_fault_figures(fault_i.sum(axis=1), has_slo))
    block["classes"] = {cid: _fault_figures(fault_i[:, k, :], has_slo)
                        for k, cid in enumerate(class_ids)}
    return block


def _frac(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


def _group_stats(arr: int, drop: int, slo_met: int, spilled: int, waited: int, lat_sum: float,
                 wait_sum: float, h_lat: npt.NDArray[np.int64], h_wait: npt.NDArray[np.int64],
                 has_slo: bool) -> dict[str, Any]:
    done = arr - drop
    ql = quantiles_ms(h_lat, QS)
    qw = quantiles_ms(h_wait, QS)
    return {
        "requests": int(arr),
        "completed": int(done),
        "dropped": int(drop),
        "dropped_frac": _frac(drop, arr),
        "spilled_frac": _frac(spilled, done),
        "p50_ms": float(ql[0]),
        "p95_ms": float(ql[1]),
        "p99_ms": float(ql[2]),
        "mean_latency_ms": _frac(lat_sum, done),
        "mean_wait_ms": _frac(wait_sum, done),
        "p50_wait_ms": float(qw[0]),
        "p95_wait_ms": float(qw[1]),
        "p99_wait_ms": float(qw[2]),
        "wait_prob": _frac(waited, done),
        "slo_attainment": _frac(slo_met, arr) if has_slo else math.nan,
    }


def add_energy(res: SimResult, spec: NetworkSpec, acc: Accumulators,
                servers: npt.NDArray[np.int64], src: TrafficSource, horizon_ms: float,
                overridden: set[str]) -> None:
    """Energy and J/token columns and the summary's ``energy`` block (`coredge.sim.energy`)."""
    n_s, n_k = len(spec.sites), src.n_class
    busy_w = np.zeros((n_s, n_k))
    idle_w = np.zeros(n_s)
    pue = np.ones(n_s)
    for i, site in enumerate(spec.sites):
        pw = site.power
        assert pw is not None
        idle_w[i] = pw.idle_w
        pue[i] = pw.pue
        bw = pw.busy_w_per_slot
        busy_w[i] = [bw.get(c, 0.0) for c in src.class_ids] if isinstance(bw, dict) else bw
    sc = acc.sc_f
    busy_ms, n_req = sc[:, :, K.SC_BUSY_MS], sc[:, :, K.SC_N]
    busy_j, idle_j, class_j = site_class_energy_j(busy_ms, busy_w, servers, idle_w, horizon_ms)
    # output tokens per site and class (tokens service only): (svc at speed 1 - prefill) / tpot
    tokens = np.full((n_s, n_k), math.nan)
    svcs = [c.service for c in spec.classes] if spec.classes else [spec.service]
    for k, (cid, svc) in enumerate(zip(src.class_ids, svcs, strict=True)):
        if svc is not None and svc.distribution == "tokens" and (svc.tpot_ms or 0) > 0 and cid not in overridden:
            tokens[:, k] = np.rint((sc[:, k, K.SC_SVC1_MS] - n_req[:, k] * float(svc.prefill_ms or 0.0))
                                   / float(svc.tpot_ms or 1.0))
    it_site = busy_j.sum(axis=1) + idle_j
    fac_site = it_site * pue
    served_k = n_req > 0

    def tok(mask_s: npt.NDArray[np.bool_] | slice, mask_k: npt.NDArray[np.bool_] | slice) -> float:
        """Tokens served in a block; NaN when a served class there has no token count."""
        t = tokens[mask_s][:, mask_k] if not isinstance(mask_k, slice) else tokens[mask_s]
        sv = served_k[mask_s][:, mask_k] if not isinstance(mask_k, slice) else served_k[mask_s]
        if np.isnan(t[sv]).any():
            return math.nan
        return float(np.nansum(t))

    def figures(it_j: float, fac_j: float, n_tok: float, n_served: float) -> dict[str, float]:
        return {
            "it_energy_kwh": it_j / J_PER_KWH,
            "facility_energy_kwh": fac_j / J_PER_KWH,
            "tokens": n_tok,
            "it_j_per_token": per_unit(it_j, n_tok),
            "facility_j_per_token": per_unit(fac_j, n_tok),
            "it_j_per_request": per_unit(it_j, n_served),
            "facility_j_per_request": per_unit(fac_j, n_served),
        }

    h_s = horizon_ms / MS_PER_S
    site_rows = [figures(float(it_site[i]), float(fac_site[i]), tok(slice(i, i + 1), slice(None)),
                         float(n_req[i].sum())) for i in range(n_s)]
    for col in site_rows[0]:
        res.sites[col] = [r[col] for r in site_rows]
    res.sites["idle_it_energy_kwh"] = idle_j / J_PER_KWH
    res.sites["mean_it_power_kw"] = it_site / 1000.0 / h_s if h_s > 0 else math.nan
    class_fac = class_j * pue[:, None]
    class_blocks: dict[str, dict[str, float]] = {}
    for k, cid in enumerate(src.class_ids):
        f = figures(float(class_j[:, k].sum()), float(class_fac[:, k].sum()),
                    tok(slice(None), np.arange(n_k) == k), float(n_req[:, k].sum()))
        class_blocks[cid] = f
    for col in next(iter(class_blocks.values())):
        res.classes[col] = [class_blocks[c][col] for c in src.class_ids]
    if "classes" in res.summary:
        for cid, f in class_blocks.items():
            res.summary["classes"][cid].update(f)
    tier_blocks: dict[str, dict[str, float]] = {}
    for tier in res.tiers["tier"].tolist() if len(res.tiers) else []:
        m = np.array([s.tier == tier for s in spec.sites])
        tier_blocks[tier] = figures(float(it_site[m].sum()), float(fac_site[m].sum()),
                                    tok(m, slice(None)), float(n_req[m].sum()))
    if tier_blocks:
        for col in next(iter(tier_blocks.values())):
            res.tiers[col] = [tier_blocks[t][col] for t in res.tiers["tier"]]
        for t, f in tier_blocks.items():
            res.summary["tiers"][t].update(f)
    it_all, fac_all = float(it_site.sum()), float(fac_site.sum())
    block: dict[str, Any] = figures(it_all, fac_all, tok(slice(None), slice(None)), float(n_req.sum()))
    block.update({
        "idle_it_energy_kwh": float(idle_j.sum()) / J_PER_KWH,
        "mean_it_power_kw": it_all / 1000.0 / h_s if h_s > 0 else math.nan,
        "mean_facility_power_kw": fac_all / 1000.0 / h_s if h_s > 0 else math.nan,
        "horizon_s": h_s,
        "classes": class_blocks,
    })
    if tier_blocks:
        block["tiers"] = tier_blocks
    res.summary["energy"] = block


def build_result(spec: NetworkSpec, policy: str, seed: int, acc: Accumulators,
            servers: npt.NDArray[np.int64], qlim: npt.NDArray[np.int64], n_class: int,
            src: TrafficSource, horizon_ms: float, wall_s: float, has_slo: bool,
            fa: FaultArrays, rec_parts: list[pd.DataFrame] | None) -> SimResult:
    si, sf = acc.site_i, acc.site_f
    ci, cf = acc.class_i, acc.class_f
    h_lat = acc.hist_site_lat.sum(axis=0)
    h_wait = acc.hist_site_wait.sum(axis=0)
    arr = int(ci[:, K.G_ARR].sum())
    overall = _group_stats(
        arr, int(ci[:, K.G_DROP].sum()), int(ci[:, K.G_SLO_MET].sum()),
        int(ci[:, K.G_SPILLED].sum()), int(ci[:, K.G_WAITED].sum()),
        float(cf[:, K.G_LAT_SUM].sum()), float(cf[:, K.G_WAIT_SUM].sum()), h_lat, h_wait, has_slo)
    cap_ms = servers.astype(np.float64) * horizon_ms
    util_site = np.where(cap_ms > 0, sf[:, K.S_BUSY_MS] / np.where(cap_ms > 0, cap_ms, 1.0), math.nan)
    total_cap = float(cap_ms.sum())
    utilization = _frac(float(sf[:, K.S_BUSY_MS].sum()), total_cap)

    # sites
    ql = quantiles_ms(acc.hist_site_lat, QS)
    qw = quantiles_ms(acc.hist_site_wait, QS)
    acc_n = si[:, K.S_ACCEPTED].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sites = pd.DataFrame({
            "site": [s.id for s in spec.sites],
            "tier": [s.tier or "" for s in spec.sites],
            "servers": servers,
            "queue_limit": np.where(qlim >= UNLIMITED_QUEUE, -1, qlim),
            "speed": [s.speed for s in spec.sites],
            "served": si[:, K.S_ACCEPTED],
            "spilled_in": si[:, K.S_SPILLED],
            "first_choice_arrivals": si[:, K.S_FIRST_ARR],
            "refused_frac": si[:, K.S_REFUSED] / si[:, K.S_FIRST_ARR],
            "utilization": util_site,
            "mean_latency_ms": sf[:, K.S_LAT_SUM] / acc_n,
            "mean_wait_ms": sf[:, K.S_WAIT_SUM] / acc_n,
            "wait_prob": si[:, K.S_WAITED] / acc_n,
            "mean_waiting_seen": si[:, K.S_QSEEN] / si[:, K.S_FIRST_ARR],
            "p50_ms": ql[:, 0], "p95_ms": ql[:, 1], "p99_ms": ql[:, 2],
            "p50_wait_ms": qw[:, 0], "p95_wait_ms": qw[:, 1], "p99_wait_ms": qw[:, 2],
            "slo_attainment_served": si[:, K.S_SLO_MET] / acc_n if has_slo else math.nan,
        })

    # classes
    class_rows = []
    for k, cid in enumerate(src.class_ids):
        g = _group_stats(int(ci[k, K.G_ARR]), int(ci[k, K.G_DROP]), int(ci[k, K.G_SLO_MET]),
                         int(ci[k, K.G_SPILLED]), int(ci[k, K.G_WAITED]), float(cf[k, K.G_LAT_SUM]),
                         float(cf[k, K.G_WAIT_SUM]), acc.hist_class_lat[k], acc.hist_class_wait[k],
                         has_slo)
        class_rows.append({"class": cid, **g})
    classes = pd.DataFrame(class_rows)

    # demand points
    di, dfl = acc.dem_i, acc.dem_f
    with np.errstate(invalid="ignore", divide="ignore"):
        done_d = (di[:, K.G_ARR] - di[:, K.G_DROP]).astype(np.float64)
        demand = pd.DataFrame({
            "demand": [d.id for d in spec.demand],
            "rate_per_s": [d.rate_per_s for d in spec.demand],
            "requests": di[:, K.G_ARR],
            "dropped_frac": di[:, K.G_DROP] / di[:, K.G_ARR],
            "spilled_frac": di[:, K.G_SPILLED] / done_d,
            "mean_latency_ms": dfl[:, K.G_LAT_SUM] / done_d,
            "mean_wait_ms": dfl[:, K.G_WAIT_SUM] / done_d,
            "slo_attainment": di[:, K.G_SLO_MET] / di[:, K.G_ARR] if has_slo else math.nan,
        })

    # tiers
    tier_rows = []
    tier_names = sorted({s.tier for s in spec.sites if s.tier is not None})
    for tier in tier_names:
        mask = np.array([s.tier == tier for s in spec.sites])
        served = int(si[mask, K.S_ACCEPTED].sum())
        qlt = quantiles_ms(acc.hist_site_lat[mask].sum(axis=0), QS)
        tier_rows.append({
            "tier": tier, "sites": int(mask.sum()), "servers": int(servers[mask].sum()),
            "served": served, "served_frac": _frac(served, arr - overall["dropped"]),
            "spilled_in": int(si[mask, K.S_SPILLED].sum()),
            "utilization": _frac(float(sf[mask, K.S_BUSY_MS].sum()), float(cap_ms[mask].sum())),
            "mean_latency_ms": _frac(float(sf[mask, K.S_LAT_SUM].sum()), served),
            "p50_ms": float(qlt[0]), "p95_ms": float(qlt[1]), "p99_ms": float(qlt[2]),
        })
    tiers = pd.DataFrame(tier_rows, columns=["tier", "sites", "servers", "served", "served_frac",
                                             "spilled_in", "utilization", "mean_latency_ms",
                                             "p50_ms", "p95_ms", "p99_ms"])

    # time series (one row per minute up to the horizon)
    n_min = max(1, min(acc.ts_i.shape[0], math.ceil(horizon_ms / K.MS_PER_MINUTE)))
    ti, tf = acc.ts_i[:n_min], acc.ts_f[:n_min]
    qt = quantiles_ms(acc.ts_hist[:n_min], (0.5, 0.99), coarse=COARSE)
    with np.errstate(invalid="ignore", divide="ignore"):
        done_t = (ti[:, K.T_ARR] - ti[:, K.T_DROP]).astype(np.float64)
        timeseries = pd.DataFrame({
            "minute": np.arange(n_min),
            "requests": ti[:, K.T_ARR],
            "completed": ti[:, K.T_ARR] - ti[:, K.T_DROP],
            "dropped": ti[:, K.T_DROP],
            "spilled": ti[:, K.T_SPILLED],
            "waited": ti[:, K.T_WAITED],
            "wait_sum_ms": tf[:, K.T_WAIT_SUM],
            "slo_attainment": ti[:, K.T_SLO_MET] / ti[:, K.T_ARR] if has_slo else math.nan,
            "mean_latency_ms": tf[:, K.T_LAT_SUM] / done_t,
            "mean_wait_ms": tf[:, K.T_WAIT_SUM] / done_t,
            "p50_ms_approx": qt[:, 0],
            "p99_ms_approx": qt[:, 1],
        })

    summary: dict[str, Any] = {
        **overall,
        "spilled": int(ci[:, K.G_SPILLED].sum()),
        "utilization": utilization,
        "policy": policy,
        "seed": seed,
        "horizon_s": horizon_ms / MS_PER_S,
        "arrival_rate_per_s": _frac(arr, horizon_ms / MS_PER_S),
        "offered_load": _frac(src.total_rate_per_s * float(
            (src.mean_svc_ms * src.class_share).sum()) / MS_PER_S, float(servers.sum())),
        "sites": len(spec.sites),
        "demand_points": len(spec.demand),
        "servers": int(servers.sum()),
        "sim_wall_s": wall_s,
        "requests_per_s": _frac(arr, wall_s),
    }
    if n_class > 1 or spec.classes:
        summary["classes"] = {r["class"]: {k: v for k, v in r.items() if k != "class"}
                              for r in class_rows}
    if tier_rows:
        summary["tiers"] = {r["tier"]: {k: v for k, v in r.items() if k != "tier"} for r in tier_rows}
    if fa.faults:
        summary["faults"] = _fault_block(fa, acc.fault_i, src.class_ids, has_slo)
    req_table = pd.concat(rec_parts, ignore_index=True) if rec_parts else (
        pd.DataFrame() if rec_parts is not None else None)
    return SimResult(summary, sites, classes, demand, tiers, timeseries, h_lat, h_wait,
                     req_table, spec)

