"""Traffic bursts: scheduled surges and a two-state Markov-modulated Poisson process (MMPP).

A burst multiplies the request rate of the (demand point, class) pairs it names by ``factor``;
overlapping bursts multiply. The traffic generator (`coredge.sim.traffic.TrafficSource`)
produces candidate arrivals at an upper bound of the rate and keeps each with probability
``rate(t, d, k) / bound`` (Lewis-Shedler thinning), so bursts need no change to the kernel.

Random bursts: quiet and burst periods alternate with exponential durations (means
``mean_quiet_s`` and ``mean_burst_s``); the first state is drawn from the stationary law
(burst with probability ``mean_burst_s / (mean_burst_s + mean_quiet_s)``). Each random burst has
its own random stream, drawn sequentially as the simulated time advances, so its path does not
depend on how the traffic is chunked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from coredge.sim.spec import BurstSpec

MS_PER_S: float = 1000.0
BURST_STREAM: int = 1 << 21
"""Spawn key of the random streams of random bursts (apart from every traffic stream, so a
spec without random bursts draws exactly what it drew before bursts existed)."""


def mmpp_mean_rate_per_s(rate_per_s: float, factor: float, mean_burst_s: float,
                         mean_quiet_s: float) -> float:
    """Long-run mean rate of a two-state MMPP [requests/s].

    ``rate x (mean_quiet_s + factor x mean_burst_s) / (mean_quiet_s + mean_burst_s)``: the
    stationary probability of the burst state is ``mean_burst_s / (mean_burst_s +
    mean_quiet_s)``.

    Parameters
    ----------
    rate_per_s : float
        Rate in the quiet state [requests/s].
    factor : float
        Rate multiplier in the burst state [-].
    mean_burst_s, mean_quiet_s : float
        Mean durations of burst and quiet periods [s].

    Examples
    --------
    >>> mmpp_mean_rate_per_s(100.0, 3.0, 1.0, 4.0)
    140.0
    """
    return rate_per_s * (mean_quiet_s + factor * mean_burst_s) / (mean_quiet_s + mean_burst_s)


def mmpp_count_variance(rate_per_s: float, factor: float, mean_burst_s: float,
                        mean_quiet_s: float, t_s: float) -> float:
    """Asymptotic variance of the number of MMPP arrivals in ``t_s`` seconds [requests^2].

    ``Var N(T) ~ mean x T + 2 (delta)^2 pi_q pi_b T / (a + b)`` with ``delta = rate x (factor -
    1)``, ``a = 1 / mean_quiet_s``, ``b = 1 / mean_burst_s`` (Poisson noise plus the variance of
    the integrated rate of a two-state Markov chain; valid for ``T`` much longer than a cycle).

    Examples
    --------
    >>> mmpp_count_variance(100.0, 1.0, 1.0, 4.0, 10.0)  # factor 1: Poisson
    1000.0
    """
    a, b = 1.0 / mean_quiet_s, 1.0 / mean_burst_s
    pb = a / (a + b)
    delta = rate_per_s * (factor - 1.0)
    mean = mmpp_mean_rate_per_s(rate_per_s, factor, mean_burst_s, mean_quiet_s)
    return mean * t_s + 2.0 * delta * delta * pb * (1.0 - pb) * t_s / (a + b)


class _MarkovPath:
    """Switch times of one random burst, extended lazily and sequentially [ms]."""

    def __init__(self, burst: BurstSpec, rng: np.random.Generator) -> None:
        self.rng = rng
        self.mean_ms = (float(burst.mean_quiet_s or 1.0) * MS_PER_S,
                        float(burst.mean_burst_s or 1.0) * MS_PER_S)
        p_burst = self.mean_ms[1] / (self.mean_ms[0] + self.mean_ms[1])
        self.state0 = int(rng.random() < p_burst)  # 1 = burst at t = 0
        self.switch_ms = np.empty(0)
        self.t_ms = 0.0

    def extend(self, t_ms: float) -> None:
        """Draw switch times until the path covers ``[0, t_ms]``."""
        parts = [self.switch_ms]
        n = len(self.switch_ms)
        while self.t_ms <= t_ms:
            m = 64
            d = self.rng.standard_exponential(m)
            state = (self.state0 + n + np.arange(m)) % 2  # state of each period drawn
            d *= np.where(state == 1, self.mean_ms[1], self.mean_ms[0])
            d[0] += self.t_ms
            sw = np.cumsum(d)
            self.t_ms = float(sw[-1])
            parts.append(sw)
            n += m
        self.switch_ms = np.concatenate(parts)

    def in_burst(self, t_ms: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Whether each time [ms] is in a burst period."""
        if len(t_ms):
            self.extend(float(t_ms.max()))
        k = np.searchsorted(self.switch_ms, t_ms, side="right")
        return np.asarray((self.state0 + k) % 2 == 1)


class BurstModel:
    """Rate multiplier of every burst of a run, as a function of time, demand point and class.

    Parameters
    ----------
    bursts : sequence of BurstSpec
        Validated bursts (`coredge.sim.spec.check_bursts`).
    demand_ids, class_ids : sequence of str
        Ids in index order.
    seed : int
        Seed of the run (random bursts use streams spawned under `BURST_STREAM`).
    offset_ms : float
        Generator time of counted time 0 [ms] (the warm-up): scheduled windows are in counted
        time.
    """

    def __init__(self, bursts: Sequence[BurstSpec], demand_ids: Sequence[str],
                 class_ids: Sequence[str], seed: int, offset_ms: float = 0.0) -> None:
        self.bursts = list(bursts)
        d_of = {d: i for i, d in enumerate(demand_ids)}
        k_of = {k: i for i, k in enumerate(class_ids)}
        self.dem_mask: list[npt.NDArray[np.bool_] | None] = []
        self.cls_mask: list[npt.NDArray[np.bool_] | None] = []
        for b in self.bursts:
            dm = None
            if b.demand is not None:
                dm = np.zeros(len(demand_ids), dtype=np.bool_)
                dm[[d_of[x] for x in b.demand]] = True
            km = None
            if b.classes is not None:
                km = np.zeros(len(class_ids), dtype=np.bool_)
                km[[k_of[x] for x in b.classes]] = True
            self.dem_mask.append(dm)
            self.cls_mask.append(km)
        self.window_ms = [
            ((b.at_s or 0.0) * MS_PER_S + offset_ms, ((b.at_s or 0.0) + (b.for_s or 0.0)) * MS_PER_S + offset_ms)
            for b in self.bursts]
        self.paths: dict[int, _MarkovPath] = {}
        for i, b in enumerate(self.bursts):
            if b.kind == "random":
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(BURST_STREAM, i)))
                self.paths[i] = _MarkovPath(b, rng)
        self.needs_class = any(m is not None for m in self.cls_mask)
        self.bound = self._bound()

    def _bound(self) -> float:
        """An upper bound of the multiplier over time, demand points and classes [-]."""
        sched = [i for i, b in enumerate(self.bursts) if b.kind == "scheduled"]
        edges = sorted({t for i in sched for t in self.window_ms[i]})
        best = 1.0
        for t in edges:  # the product of scheduled factors is constant between edges
            f = 1.0
            for i in sched:
                lo, hi = self.window_ms[i]
                if lo <= t < hi:
                    f *= max(1.0, self.bursts[i].factor)
            best = max(best, f)
        for i in self.paths:
            best *= max(1.0, self.bursts[i].factor)
        return best

    def factor(self, t_ms: npt.NDArray[np.float64], dem: npt.NDArray[np.int64],
               cls: npt.NDArray[np.int64] | None) -> npt.NDArray[np.float64]:
        """Rate multiplier at generator times ``t_ms`` [ms] for demand/class indices [-].

        ``cls`` may be None when no burst names classes.
        """
        out = np.ones(len(t_ms))
        for i, b in enumerate(self.bursts):
            if b.kind == "scheduled":
                lo, hi = self.window_ms[i]
                sel = (t_ms >= lo) & (t_ms < hi)
            else:
                sel = self.paths[i].in_burst(t_ms)
            dm, km = self.dem_mask[i], self.cls_mask[i]
            if dm is not None:
                sel &= dm[dem]
            if km is not None:
                assert cls is not None
                sel &= km[cls]
            out[sel] *= b.factor
        return out

    def burst_periods_s(self, i: int, t_end_s: float, offset_ms: float = 0.0) -> list[tuple[float, float]]:
        """Burst periods ``[(start_s, end_s), ...]`` of random burst ``i`` up to ``t_end_s``.

        Times are generator time minus ``offset_ms`` [s] (for tests and reports).
        """
        p = self.paths[i]
        p.extend(t_end_s * MS_PER_S + offset_ms)
        edges = np.concatenate(([0.0], p.switch_ms))
        out = []
        for j in range(len(edges) - 1):
            if (p.state0 + j) % 2 == 1:
                lo, hi = edges[j], edges[j + 1]
                if lo > t_end_s * MS_PER_S + offset_ms:
                    break
                out.append(((lo - offset_ms) / MS_PER_S, (hi - offset_ms) / MS_PER_S))
        return out


def no_bursts(bursts: Sequence[BurstSpec]) -> bool:
    """True when no burst changes any rate (empty, or every factor is 1)."""
    return all(math.isclose(b.factor, 1.0) for b in bursts)
