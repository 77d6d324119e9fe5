"""Traffic: one superposed Poisson stream of requests, generated in chunks.

All demand points are merged into one Poisson process of total rate; each arrival picks its
demand point by a categorical draw with probabilities proportional to the rates, then its
workload class by the class shares, then its service time from the class's distribution. With
a ``diurnal`` profile the stream is generated at the peak rate and thinned: an arrival from
demand point ``d`` at UTC hour ``h`` is kept with probability ``m(h + offset_d) / max m``
(Lewis-Shedler thinning), where ``offset_d`` is ``utc_offset_h`` or ``lon / 15``.

With ``bursts`` (`coredge.sim.bursts`), the rate of the pairs a burst names is x its factor in
its periods: the candidates are generated at the peak rate x an upper bound of the burst
multiplier and thinned by ``m(h) / max m x B(t, d, k) / max B``. When a burst names classes, the
class of each candidate is drawn before thinning (from the same class stream).

Each random quantity has its own generator spawned from the seed (gaps, demand point,
thinning, class, and one per class for service), and each is drawn sequentially, so the
requests do not depend on the chunk size: same seed, same requests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError
from coredge.sim.bursts import BurstModel
from coredge.sim.spec import BurstSpec, DiurnalSpec, NetworkSpec, ServiceSpec

ServiceSampler = Callable[[np.random.Generator, int], npt.NDArray[np.float64]]
"""``sampler(rng, n) -> service times [ms]`` at a site of speed 1 (e.g. from the physics model)."""

MS_PER_S: float = 1000.0
MS_PER_H: float = 3_600_000.0
DEFAULT_CLASS: str = "default"
"""Class id used when the spec has no ``classes`` (one class with ``service`` and ``slo_ms``)."""


def sample_service_ms(
    svc: ServiceSpec, rng: np.random.Generator, n: int
) -> npt.NDArray[np.float64]:
    """Draw ``n`` service times from a `ServiceSpec`.

    Parameters
    ----------
    svc : ServiceSpec
        The distribution (validated: its required fields are set).
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of draws.

    Returns
    -------
    ndarray of float64
        Service times [ms].

    Examples
    --------
    >>> s = ServiceSpec(distribution="deterministic", mean_ms=20.0)
    >>> sample_service_ms(s, np.random.default_rng(0), 3).tolist()
    [20.0, 20.0, 20.0]
    """
    d = svc.distribution
    if d == "exponential":
        out = rng.standard_exponential(n)
        out *= float(svc.mean_ms or 0.0)
        return out
    if d == "deterministic":
        return np.full(n, float(svc.mean_ms or 0.0))
    if d == "lognormal":
        sigma = float(svc.sigma or 0.0)
        mu = math.log(float(svc.mean_ms or 1.0)) - 0.5 * sigma * sigma
        return np.exp(mu + sigma * rng.standard_normal(n))
    if d == "tokens":
        s = float(svc.tokens_sigma or 0.0)
        mu = math.log(float(svc.tokens_mean or 1.0)) - 0.5 * s * s
        tokens = np.maximum(1.0, np.rint(np.exp(mu + s * rng.standard_normal(n))))
        return float(svc.prefill_ms or 0.0) + tokens * float(svc.tpot_ms or 0.0)
    if d == "empirical":
        samples = np.asarray(svc.samples_ms, dtype=np.float64)
        return samples[rng.integers(0, len(samples), n)]
    raise ValueError(f"unknown distribution {d!r}")  # unreachable after validation


def service_mean_ms(svc: ServiceSpec) -> float:
    """Mean service time [ms] of a `ServiceSpec` (``tokens``: ignoring rounding of tokens).

    Examples
    --------
    >>> service_mean_ms(ServiceSpec(distribution="lognormal", mean_ms=30.0, sigma=1.0))
    30.0
    """
    if svc.distribution in ("exponential", "deterministic", "lognormal"):
        return float(svc.mean_ms or 0.0)
    if svc.distribution == "tokens":
        return float(svc.prefill_ms or 0.0) + float(svc.tokens_mean or 0.0) * float(svc.tpot_ms or 0.0)
    return float(np.mean(np.asarray(svc.samples_ms, dtype=np.float64)))


def alias_table(
    weights: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Walker/Vose alias table for O(1) categorical draws.

    Parameters
    ----------
    weights : array_like
        Non-negative weights with a positive sum.

    Returns
    -------
    prob, alias : ndarray
        Draw ``u ~ U[0, n)``, ``i = floor(u)``; pick ``i`` if ``u - i < prob[i]`` else
        ``alias[i]``.

    Examples
    --------
    >>> prob, alias = alias_table([1.0, 3.0])
    >>> prob.tolist(), alias.tolist()
    ([0.5, 1.0], [1, 1])
    """
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    scaled = w * (n / w.sum())
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


def draw_categorical(
    rng: np.random.Generator, prob: npt.NDArray[np.float64], alias: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """``n`` categorical draws from an `alias_table` (one uniform per draw).

    Examples
    --------
    >>> prob, alias = alias_table([0.0, 1.0])
    >>> draw_categorical(np.random.default_rng(0), prob, alias, 4).tolist()
    [1, 1, 1, 1]
    """
    if len(prob) == 1:
        return np.zeros(n, dtype=np.int64)
    u = rng.random(n) * len(prob)
    i = u.astype(np.int64)
    np.minimum(i, len(prob) - 1, out=i)
    return np.where(u - i < prob[i], i, alias[i])


def diurnal_multiplier(profile: DiurnalSpec, local_hour: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Relative request rate at a local hour; mean 1 over a day.

    Parameters
    ----------
    profile : DiurnalSpec
        ``amplitude`` + ``peak_hour_local`` (cosine) or ``hourly`` (24 values, piecewise constant).
    local_hour : array_like
        Local time of day [h], any real (taken modulo 24).

    Returns
    -------
    ndarray
        Multiplier of the daily mean rate [-].

    Examples
    --------
    >>> p = DiurnalSpec(amplitude=0.5, peak_hour_local=20.0)
    >>> diurnal_multiplier(p, [20.0, 8.0]).round(3).tolist()
    [1.5, 0.5]
    """
    h = np.mod(np.asarray(local_hour, dtype=np.float64), 24.0)
    if profile.hourly is not None:
        w = np.asarray(profile.hourly, dtype=np.float64)
        w = w / w.mean()
        return np.asarray(w[np.minimum(h.astype(np.int64), 23)], dtype=np.float64)
    a = float(profile.amplitude or 0.0)
    return np.asarray(1.0 + a * np.cos(2.0 * math.pi * (h - profile.peak_hour_local) / 24.0))


def diurnal_peak(profile: DiurnalSpec) -> float:
    """Largest value of `diurnal_multiplier` over the day [-]."""
    if profile.hourly is not None:
        w = np.asarray(profile.hourly, dtype=np.float64)
        return float(w.max() / w.mean())
    return 1.0 + float(profile.amplitude or 0.0)


def _spec_sampler(svc: ServiceSpec) -> ServiceSampler:
    def draw(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return sample_service_ms(svc, rng, n)

    return draw


@dataclass
class Chunk:
    """A chunk of requests in arrival order.

    Attributes
    ----------
    arr_ms : ndarray of float64
        Arrival times [ms since the simulation start].
    row : ndarray of int32
        ``demand_index * n_class + class_index``.
    svc_ms : ndarray of float64
        Service time at speed 1 [ms].
    """

    arr_ms: npt.NDArray[np.float64]
    row: npt.NDArray[np.int32]
    svc_ms: npt.NDArray[np.float64]


class TrafficSource:
    """Generates the request stream of a spec chunk by chunk (see module docstring).

    Parameters
    ----------
    spec : NetworkSpec
        Validated spec.
    seed : int
        Seed of every random stream.
    samplers : mapping of class id to ServiceSampler, optional
        Replace the spec's service distribution of these classes (``"default"`` when the spec
        has no classes).
    bursts : sequence of BurstSpec
        Bursts in addition to ``spec.bursts`` (validated here against the spec).
    offset_ms : float
        Generator time of counted time 0 [ms] (the warm-up); scheduled bursts are in counted
        time.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        seed: int,
        samplers: Mapping[str, ServiceSampler] | None = None,
        bursts: Sequence[BurstSpec] = (),
        offset_ms: float = 0.0,
    ) -> None:
        rates = np.array([d.rate_per_s for d in spec.demand], dtype=np.float64)
        if spec.classes:
            self.class_ids = [c.id for c in spec.classes]
            services = [c.service for c in spec.classes]
            shares = np.array([c.share for c in spec.classes], dtype=np.float64)
        else:
            assert spec.service is not None
            self.class_ids = [DEFAULT_CLASS]
            services = [spec.service]
            shares = np.ones(1)
        samplers = dict(samplers or {})
        unknown = sorted(set(samplers) - set(self.class_ids))
        if unknown:
            raise InputError.of("samplers", unknown, "class ids of the spec: " + ", ".join(self.class_ids))
        self.n_class = len(self.class_ids)
        if bursts:
            from coredge.sim.spec import check_bursts

            problems = check_bursts(spec, bursts, "bursts(extra)")
            if problems:
                raise InputError(problems, "invalid burst")
        all_bursts = [*spec.bursts, *bursts]
        self.bursts = BurstModel(all_bursts, [d.id for d in spec.demand], self.class_ids, seed,
                                 offset_ms) if all_bursts else None
        self.profile = spec.diurnal
        peak = diurnal_peak(spec.diurnal) if spec.diurnal else 1.0
        self.total_rate_per_s = float(rates.sum())
        self.peak = peak * (self.bursts.bound if self.bursts is not None else 1.0)
        self.peak_rate_per_s = self.total_rate_per_s * self.peak
        self.demand_alias = alias_table(rates)
        self.class_share = shares / shares.sum()
        self.class_alias = alias_table(shares)
        self.offset_h = np.array(
            [
                d.utc_offset_h if d.utc_offset_h is not None else (d.lon or 0.0) / 15.0
                for d in spec.demand
            ],
            dtype=np.float64,
        )
        self.start_utc_h = spec.start_utc_h
        ss = np.random.SeedSequence(seed)
        kids = ss.spawn(4 + self.n_class)
        self.rng_gap, self.rng_dem, self.rng_thin, self.rng_cls = (
            np.random.default_rng(k) for k in kids[:4]
        )
        self.rng_svc = [np.random.default_rng(k) for k in kids[4:]]
        self._samplers: list[ServiceSampler] = []
        self.mean_svc_ms = np.empty(self.n_class)
        for k, (cid, svc) in enumerate(zip(self.class_ids, services, strict=True)):
            if cid in samplers:
                fn = samplers[cid]
                self._samplers.append(fn)
                pilot = np.asarray(fn(np.random.default_rng(0), 100_000), dtype=np.float64)
                self.mean_svc_ms[k] = float(pilot.mean())
            else:
                self._samplers.append(_spec_sampler(svc))
                self.mean_svc_ms[k] = service_mean_ms(svc)
        self.t_ms = 0.0
        self.generated = 0
        self._left_t: npt.NDArray[np.float64] = np.empty(0)
        self._left_d: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._left_k: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._pre_class = self.bursts is not None and self.bursts.needs_class

    def sample_service(self, k: int, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` service times of class ``k`` at speed 1 [ms] from ``rng`` (not the run's own
        streams: for draws apart from the traffic, such as a steady start)."""
        return np.asarray(self._samplers[k](rng, n), dtype=np.float64)

    def next_chunk(self, n: int, t_end_ms: float = math.inf) -> Chunk:
        """Up to ``n`` next requests with arrival before ``t_end_ms`` (empty = horizon reached).

        Parameters
        ----------
        n : int
            Largest number of requests to return.
        t_end_ms : float
            Horizon [ms]; requests at or after it are not generated.
        """
        out_t = [self._left_t]
        out_d = [self._left_d]
        out_k = [self._left_k]
        got = len(self._left_t)
        mean_gap_ms = MS_PER_S / self.peak_rate_per_s
        thin = self.profile is not None or self.bursts is not None
        while got < n and self.t_ms < t_end_ms:
            m = n - got if not thin else max(2 * (n - got), 1024)
            gaps = self.rng_gap.standard_exponential(m)
            gaps *= mean_gap_ms
            gaps[0] += self.t_ms
            t = np.cumsum(gaps, out=gaps)
            d = draw_categorical(self.rng_dem, *self.demand_alias, m)
            kc = draw_categorical(self.rng_cls, *self.class_alias, m) if self._pre_class else None
            self.t_ms = float(t[-1])
            if thin:
                level = np.ones(m)
                if self.profile is not None:
                    hour = self.start_utc_h + t / MS_PER_H + self.offset_h[d]
                    level = diurnal_multiplier(self.profile, hour)
                if self.bursts is not None:
                    level = level * self.bursts.factor(t, d, kc)
                keep = self.rng_thin.random(m) * self.peak < level
                t, d = t[keep], d[keep]
                if kc is not None:
                    kc = kc[keep]
            out_t.append(t)
            out_d.append(d)
            if kc is not None:
                out_k.append(kc)
            got += len(t)
        arr = np.concatenate(out_t)
        dem = np.concatenate(out_d)
        cut = min(n, int(np.searchsorted(arr, t_end_ms, side="left")))
        # accepted arrivals beyond n wait for the next call (chunk-size invariance)
        self._left_t, self._left_d = arr[cut:], dem[cut:]
        arr, dem = arr[:cut], dem[:cut]
        m = len(arr)
        if self._pre_class:
            kk = np.concatenate(out_k)
            self._left_k = kk[cut:]
            cls = kk[:cut]
        else:
            cls = draw_categorical(self.rng_cls, *self.class_alias, m)
        svc = np.empty(m)
        if self.n_class == 1:
            svc[:] = self._samplers[0](self.rng_svc[0], m)
        else:
            for k in range(self.n_class):
                idx = np.flatnonzero(cls == k)
                svc[idx] = self._samplers[k](self.rng_svc[k], len(idx))
        row = (dem * self.n_class + cls).astype(np.int32)
        self.generated += m
        return Chunk(np.ascontiguousarray(arr), row, svc)
