"""Monte Carlo risk over uncertain inputs: P10/P50/P90 NPV and IRR, probability of loss, tornado.

Uncertain inputs are declared as `UncertainVariable` s (a `Distribution` plus a scope: one draw
per trial for the whole portfolio, or independent draws per site; optionally restricted to some
tiers) in a `RiskSpec`. Each trial turns its draws into `coredge.finance.cashflow.Shocks` and
re-evaluates every site's cash flows with a compiled (numba, parallel) copy of
`coredge.finance.cashflow.evaluate`, trials in chunks so memory stays bounded.

Reproducibility: trials are drawn in blocks of `RNG_BLOCK_TRIALS`, block ``b`` from the ``b``-th
child of ``numpy.random.SeedSequence(seed)``; the same seed gives the same numbers whatever the
chunk size or the number of threads.

Variables (name: meaning of a draw, neutral value):

=====================  ================================================================  ========
name                   a draw is ...                                                     neutral
=====================  ================================================================  ========
demand_growth          extra growth of merchant volume, ``(1 + x) ** t`` [fraction/yr]    0
power_price            multiplier on every energy price [ratio]                           1
gpu_price_decline      merchant GPU-hour / token price decline [fraction/yr]              base
utilisation            multiplier on merchant volume (utilisation, occupancy) [ratio]     1
pre_leased_share       contracted share of capacity [fraction]                            base
interconnection_delay  years by which power, revenue and IT purchases slip [years]        0
capex_overrun          facility capex times ``1 + x`` [fraction]                          0
discount_rate          discount rate of the trial (portfolio scope only) [fraction/yr]    base
=====================  ================================================================  ========
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from coredge.distributions import Distribution
from coredge.errors import InputError
from coredge.finance.cashflow import SHOCK_NEUTRAL, Drivers, Shocks
from coredge.finance.mc_draws import fill
from coredge.finance.mc_kernel import SHOCK_FIELDS, kernel_args, run_kernel
from coredge.finance.metrics import irr_detail

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RNG_BLOCK_TRIALS: Final = 1024
"""Trials drawn from one child seed; chunks are whole multiples of it."""

CHUNK_CELLS: Final = 4_000_000
"""Most trial x site cells evaluated at once [count]: a chunk holds fewer trials than
``chunk_trials`` when the portfolio has many sites (at least one RNG block), so that its
draws are not copied block by block into arrays of hundreds of MB."""

VARIABLES: Final[dict[str, str]] = {
    "demand_growth": "demand_growth",
    "power_price": "power_price_mult",
    "gpu_price_decline": "gpu_price_decline",
    "utilisation": "utilisation_mult",
    "pre_leased_share": "pre_leased_share",
    "interconnection_delay": "delay_years",
    "capex_overrun": "capex_overrun",
    "discount_rate": "discount_rate",
}
"""Variable name -> `Shocks` field it sets (``discount_rate`` is per trial)."""

_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "demand_growth": (-0.99, np.inf),
    "power_price": (0.0, np.inf),
    "gpu_price_decline": (-np.inf, 0.99),
    "utilisation": (0.0, np.inf),
    "pre_leased_share": (0.0, 1.0),
    "interconnection_delay": (0.0, np.inf),
    "capex_overrun": (-0.99, np.inf),
    "discount_rate": (-0.99, np.inf),
}
"""Physical bounds every draw is clipped to."""

@dataclass(frozen=True)
class UncertainVariable:
    """One uncertain input.

    Attributes
    ----------
    name : str
        A key of `VARIABLES`.
    dist : Distribution
        Its distribution (draws are clipped to physical bounds).
    scope : {"portfolio", "site"}
        One draw per trial shared by all sites, or an independent draw per site.
    tiers : tuple of str or None
        Tiers it applies to (others keep the neutral value); None = all.
    """

    name: str
    dist: Distribution
    scope: Literal["portfolio", "site"] = "portfolio"
    tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.name not in VARIABLES:
            raise InputError.of("risk.variable", self.name, "one of: " + ", ".join(VARIABLES))
        if self.scope not in ("portfolio", "site"):
            raise InputError.of(f"risk.{self.name}.scope", self.scope, "portfolio or site")
        if self.name == "discount_rate" and (self.scope != "portfolio" or self.tiers):
            raise InputError.of(
                "risk.discount_rate.scope", self.scope, "portfolio scope, all tiers"
            )


@dataclass(frozen=True)
class RiskSpec:
    """Monte Carlo settings.

    Attributes
    ----------
    variables : tuple of UncertainVariable
        At most one per name.
    n_trials : int
        Trials [count].
    seed : int
        Seed of ``numpy.random.SeedSequence``.
    chunk_trials : int
        Trials evaluated at once (rounded up to a multiple of `RNG_BLOCK_TRIALS`); bounds memory.
        Fewer when trials x sites would exceed `CHUNK_CELLS`. NPVs, IRRs and loss probabilities
        do not depend on it.
    """

    variables: tuple[UncertainVariable, ...] = field(default_factory=lambda: default_variables())
    n_trials: int = 10_000
    seed: int = 0
    chunk_trials: int = 8192

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise InputError.of("risk.variables", names, "each variable at most once")
        if self.n_trials < 1:
            raise InputError.of("risk.n_trials", self.n_trials, ">= 1")
        if self.chunk_trials < 1:
            raise InputError.of("risk.chunk_trials", self.chunk_trials, ">= 1")


def default_variables() -> tuple[UncertainVariable, ...]:
    """Default uncertain inputs. All distributions are assumptions; the sources bracket them.

    - demand growth: normal(0, 0.05) per trial (assumption; McKinsey 2025 inference CAGR 35 %
      vs training 22 %, sites-and-demand.md B3, shows how wide forecasts are).
    - power price: lognormal(0, 0.2) per trial (assumption; EIA 2023 industrial prices span
      5.75-18.64 c/kWh across states, facts.md §4a).
    - GPU price decline: triangular(0, 0.05, 0.15) per trial (assumption; facts.md §1c).
    - utilisation: triangular(0.8, 1.0, 1.1) per site (assumption).
    - pre-leased share of core campuses: uniform(0.6, 0.9) per trial (assumption).
    - interconnection delay of core campuses: triangular(0, 0.5, 3) years per site (Dominion:
      loads > 100 MW wait 1-3 years more than the usual 3-4, facts.md §6).
    - capex overrun: triangular(-0.05, 0.05, 0.30) per site (assumption; C&W 2025 building
      cost CAGR 8.7 % 2021-23, facts.md §3a).
    - discount rate: uniform(0.06, 0.10) per trial (facts.md §3d: suggested 6-10 %).
    """
    return (
        UncertainVariable("demand_growth", Distribution("normal", (0.0, 0.05))),
        UncertainVariable("power_price", Distribution("lognormal", (0.0, 0.2))),
        UncertainVariable("gpu_price_decline", Distribution("triangular", (0.0, 0.05, 0.15))),
        UncertainVariable("utilisation", Distribution("triangular", (0.8, 1.0, 1.1)), "site"),
        UncertainVariable(
            "pre_leased_share", Distribution("uniform", (0.6, 0.9)), tiers=("core",)
        ),
        UncertainVariable(
            "interconnection_delay",
            Distribution("triangular", (0.0, 0.5, 3.0)),
            "site",
            tiers=("core",),
        ),
        UncertainVariable("capex_overrun", Distribution("triangular", (-0.05, 0.05, 0.30)), "site"),
        UncertainVariable("discount_rate", Distribution("uniform", (0.06, 0.10))),
    )


# ------------------------------------------------------------------ compiled evaluation


def _as_layout(arrays: list[FloatArray], n: int, S: int) -> tuple[list[FloatArray], IntArray]:
    """(n, S) / (n, 1) shock arrays as the kernel's draws and column map."""
    cols = np.empty((len(SHOCK_FIELDS), S), dtype=np.int64)
    full = []
    for f, arr in enumerate(arrays):
        if arr.shape[1] not in (1, S):
            raise InputError.of("shocks", arr.shape, f"broadcastable to (trials, {S})")
        cols[f] = 0 if arr.shape[1] == 1 else np.arange(S)
        full.append(np.ascontiguousarray(np.broadcast_to(arr, (n, arr.shape[1]))))
    return full, cols


def evaluate_compiled(
    drivers: Drivers, shocks: Shocks, discount_rate: npt.ArrayLike | None = None
) -> tuple[FloatArray, npt.NDArray[np.float32]]:
    """Net flows summed per tier, and NPV per site, for N trials (compiled).

    Parameters
    ----------
    drivers : Drivers
    shocks : Shocks
        Fields broadcastable to (N, S).
    discount_rate : float or ndarray (N,), optional
        Discount rate per trial [fraction/year]; default ``drivers.discount_rate``.

    Returns
    -------
    tier_flows : ndarray (N, G, T)
        Net cash flow per trial, tier (``drivers.tiers``) and year [USD].
    site_npv : ndarray (N, S), float32
        NPV per trial and site [USD].
    """
    S, G = drivers.n_sites, len(drivers.tiers)
    arrays = [np.asarray(getattr(shocks, f), dtype=np.float64) for f in SHOCK_FIELDS]
    arrays = [a if a.ndim == 2 else np.atleast_2d(a) for a in arrays]
    n = max(a.shape[0] for a in arrays)
    if discount_rate is not None:
        n = max(n, np.atleast_1d(np.asarray(discount_rate)).shape[0])
    full, cols = _as_layout(arrays, n, S)
    if np.any(full[SHOCK_FIELDS.index("delay_years")] < 0):
        raise InputError.of("delay_years", float(full[5].min()), ">= 0 years")
    rate = np.broadcast_to(
        np.asarray(drivers.discount_rate if discount_rate is None else discount_rate, dtype=np.float64),
        (n,),
    )
    flows, _, _, site_npv = run_kernel(full, cols, rate, kernel_args(drivers), G, max(n, 1),
                                       keep_site_npv=True)
    return flows, site_npv


# ------------------------------------------------------------------ sampling


@dataclass(frozen=True)
class _Draw:
    """How one variable is drawn: the kernel field it sets (-1: the discount rate) and the
    number of columns of a trial's draw."""

    var: UncertainVariable
    field: int
    width: int


def _layout(spec: RiskSpec, site_tiers: npt.NDArray[np.str_]) -> tuple[list[_Draw], IntArray]:
    """The draws of a trial, in the order they consume the generator, and the kernel's column
    map: a portfolio-scope variable is one value per trial (column 0 for the sites of its
    tiers), a site-scope one a value per site of its tiers (the site's rank among them)."""
    S = site_tiers.size
    cols = np.full((len(SHOCK_FIELDS), S), -1, dtype=np.int64)
    draws: list[_Draw] = []
    for var in spec.variables:
        if var.name == "discount_rate":
            draws.append(_Draw(var, -1, 1))
            continue
        mask = np.ones(S, dtype=bool) if var.tiers is None else np.isin(site_tiers, var.tiers)
        f = SHOCK_FIELDS.index(VARIABLES[var.name])
        if var.scope == "site":
            cols[f, mask] = np.arange(int(mask.sum()))
            draws.append(_Draw(var, f, int(mask.sum())))
        else:
            cols[f, mask] = 0
            draws.append(_Draw(var, f, 1))
    return draws, cols


def _draw_block(
    draws: list[_Draw], rng: np.random.Generator, bufs: list[FloatArray], rate: FloatArray
) -> bool:
    """Fill one RNG block's rows of every variable's buffer (``bufs[field]`` (n, width), the
    rate (n,)) in the order of ``draws``; True if the discount rate was drawn."""
    drew_rate = False
    for d in draws:
        lo, hi = _BOUNDS[d.var.name]
        if d.field < 0:
            fill(d.var.dist, rng, rate, lo, hi)
            drew_rate = True
        else:
            fill(d.var.dist, rng, bufs[d.field], lo, hi)
    return drew_rate


def _summary(values: FloatArray) -> dict[str, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return {"p10": np.nan, "p50": np.nan, "p90": np.nan, "mean": np.nan}
    p10, p50, p90 = np.percentile(v, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(v.mean())}


@dataclass(frozen=True)
class RiskResult:
    """Monte Carlo outcome.

    Attributes
    ----------
    tiers : tuple of str
    npv_usd : ndarray (N,)
        Portfolio NPV per trial [USD].
    irr : ndarray (N,)
        Portfolio IRR per trial [fraction/year]; NaN where none.
    tier_npv_usd : ndarray (N, G)
        NPV per trial and tier [USD].
    tier_irr : ndarray (N, G)
        IRR per trial and tier [fraction/year].
    site_mean_npv_usd, site_prob_loss : ndarray (S,)
        Mean NPV [USD] and probability of NPV < 0 [fraction] per site.
    tornado : list of dict
        One-at-a-time swings, largest first: ``variable``, ``low_value``/``high_value`` (the
        variable at its P10/P90), ``npv_low_usd``/``npv_high_usd`` (portfolio NPV with it there,
        everything else at the base case) and ``swing_usd`` = ``|high - low|``.
    base_npv_usd : float
        Portfolio NPV of the base case (no shocks) [USD].
    seed, n_trials : int
    """

    tiers: tuple[str, ...]
    npv_usd: FloatArray
    irr: FloatArray
    tier_npv_usd: FloatArray
    tier_irr: FloatArray
    site_mean_npv_usd: FloatArray
    site_prob_loss: FloatArray
    tornado: list[dict[str, Any]]
    base_npv_usd: float
    seed: int
    n_trials: int

    def summary(self) -> dict[str, Any]:
        """JSON-ready P10/P50/P90 of NPV [USD] and IRR [fraction], probability of loss
        [fraction] and the share of trials with an IRR, for the portfolio and each tier."""
        def block(npv_: FloatArray, irr_: FloatArray) -> dict[str, Any]:
            return {
                "npv_usd": _summary(npv_),
                "irr": _summary(irr_),
                "prob_loss": float(np.mean(npv_ < 0)),
                "irr_exists_frac": float(np.mean(np.isfinite(irr_))),
            }

        return {
            "n_trials": self.n_trials,
            "seed": self.seed,
            "base_npv_usd": self.base_npv_usd,
            "portfolio": block(self.npv_usd, self.irr),
            "tiers": {
                t: block(self.tier_npv_usd[:, g], self.tier_irr[:, g])
                for g, t in enumerate(self.tiers)
            },
            "tornado": self.tornado,
        }


def tornado(drivers: Drivers, spec: RiskSpec, low_q: float = 0.10, high_q: float = 0.90) -> list[dict[str, Any]]:
    """One-at-a-time sensitivities: portfolio NPV with each variable at its P10 and P90.

    Every other input stays at the base case (neutral shock, base discount rate); a site-scope
    variable is set to the quantile at every site it applies to.

    Parameters
    ----------
    drivers : Drivers
    spec : RiskSpec
    low_q, high_q : float
        Quantiles [probability].

    Returns
    -------
    list of dict
        Sorted by ``swing_usd``, largest first.
    """
    S = drivers.n_sites
    site_tiers = np.array([drivers.tiers[i] for i in drivers.tier_index])
    V = len(spec.variables)
    n = 2 * V
    fields = {f: np.full((n, S), v) for f, v in SHOCK_NEUTRAL.items()}
    rate = np.full(n, drivers.discount_rate)
    values = []
    for j, var in enumerate(spec.variables):
        lo_b, hi_b = _BOUNDS[var.name]
        lo = float(np.clip(var.dist.ppf(low_q), lo_b, hi_b))
        hi = float(np.clip(var.dist.ppf(high_q), lo_b, hi_b))
        values.append((lo, hi))
        if var.name == "discount_rate":
            rate[2 * j], rate[2 * j + 1] = lo, hi
            continue
        mask = np.ones(S, dtype=bool) if var.tiers is None else np.isin(site_tiers, var.tiers)
        fields[VARIABLES[var.name]][2 * j, mask] = lo
        fields[VARIABLES[var.name]][2 * j + 1, mask] = hi
    flows, _ = evaluate_compiled(drivers, Shocks(**fields), rate)
    t = np.arange(drivers.n_years)
    npv_ = (flows.sum(axis=1) * (1.0 + rate[:, None]) ** -t).sum(axis=1)
    rows: list[dict[str, Any]] = []
    for j, var in enumerate(spec.variables):
        rows.append(
            {
                "variable": var.name,
                "low_value": values[j][0],
                "high_value": values[j][1],
                "npv_low_usd": float(npv_[2 * j]),
                "npv_high_usd": float(npv_[2 * j + 1]),
                "swing_usd": float(abs(npv_[2 * j + 1] - npv_[2 * j])),
            }
        )
    rows.sort(key=lambda r: -r["swing_usd"])
    return rows


def available_cores() -> int:
    """CPU cores this process may run on [count] (the default number of Monte Carlo workers
    of `coredge risk`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not every platform has CPU affinity
        return max(1, os.cpu_count() or 1)


def _chunks(n_blocks: int, per_chunk: int, workers: int) -> list[range]:
    """RNG blocks grouped into chunks of at most ``per_chunk``; with several workers, at
    least about four chunks per worker where there are blocks enough (load balance)."""
    if workers > 1:
        per_chunk = max(1, min(per_chunk, -(-n_blocks // (4 * workers))))
    return [range(c0, min(n_blocks, c0 + per_chunk)) for c0 in range(0, n_blocks, per_chunk)]


def run_monte_carlo(
    drivers: Drivers, spec: RiskSpec | None = None, with_tornado: bool = True, workers: int = 1
) -> RiskResult:
    """Monte Carlo over ``spec.variables``: NPV/IRR distributions per tier and portfolio.

    Parameters
    ----------
    drivers : Drivers
        Base-case paths from `coredge.finance.cashflow.build_drivers`.
    spec : RiskSpec, optional
        Variables, trials, seed, chunk size (defaults: `default_variables`, 10,000 trials).
    with_tornado : bool
        Also compute the one-at-a-time tornado.
    workers : int
        Threads evaluating chunks of trials at once (the draws and the compiled kernel release
        the GIL). Every trial's numbers, and the per-site sums, are the same whatever the
        number of workers (and the chunk size): each RNG block is drawn from its own child
        seed and its per-site sums are kept apart until they are added in block order.

    Returns
    -------
    RiskResult

    Examples
    --------
    >>> from coredge.finance.cashflow import SiteInputs, build_drivers
    >>> from coredge.finance.assumptions import FinanceAssumptions
    >>> si = SiteInputs.create(site_id=["a"], tier=["micro"], build_start_year=[2026],
    ...     online_year=[2027], it_mw=[0.5], gpus=[350], pue=[1.5], utilisation_frac=[0.6],
    ...     energy_price_usd_per_mwh=[80.0], capex_it_usd=[1.4e7], capex_facility_usd=[5e6])
    >>> res = run_monte_carlo(build_drivers(si, FinanceAssumptions()), RiskSpec(n_trials=2000))
    >>> 0.0 <= res.summary()["portfolio"]["prob_loss"] <= 1.0
    True
    """
    spec = spec or RiskSpec()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError.of("workers", workers, "an integer >= 1")
    S, T, G = drivers.n_sites, drivers.n_years, len(drivers.tiers)
    site_tiers = np.array([drivers.tiers[i] for i in drivers.tier_index])
    N = spec.n_trials
    B = RNG_BLOCK_TRIALS
    n_blocks = -(-N // B)
    children = np.random.SeedSequence(spec.seed).spawn(n_blocks)
    draws, cols = _layout(spec, site_tiers)
    widths = {d.field: d.width for d in draws if d.field >= 0}
    args = kernel_args(drivers)
    per_chunk = max(1, -(-spec.chunk_trials // B))
    per_chunk = min(per_chunk, max(1, CHUNK_CELLS // max(S, 1) // B))
    port_flows = np.empty((N, T))
    tier_flows_all = np.empty((N, G, T))
    rates = np.empty(N)
    site_sums = np.empty((n_blocks, S))
    site_losses = np.empty((n_blocks, S))
    dummy = np.zeros((1, 1))

    local = threading.local()  # each worker's draw buffers, reused chunk after chunk

    def run_chunk(blocks: range) -> None:
        lo = blocks[0] * B
        hi = min(N, (blocks[-1] + 1) * B)
        if getattr(local, "rows", 0) < hi - lo:
            local.rows = hi - lo
            local.bufs = [np.empty((hi - lo, widths[f])) if f in widths else dummy
                          for f in range(len(SHOCK_FIELDS))]
        bufs = [x[: hi - lo] if f in widths else x for f, x in enumerate(local.bufs)]
        rate = rates[lo:hi]
        for b in blocks:
            r0, r1 = b * B - lo, min(N, (b + 1) * B) - lo
            rows = [x[r0:r1] if f in widths else x for f, x in enumerate(bufs)]
            if not _draw_block(draws, np.random.default_rng(children[b]), rows, rate[r0:r1]):
                rate[r0:r1] = drivers.discount_rate
        tf = tier_flows_all[lo:hi]
        _, ssum, sloss, _ = run_kernel(bufs, cols, rate, args, G, B, tier_flows=tf)
        port_flows[lo:hi] = tf.sum(axis=1)
        site_sums[blocks[0]: blocks[-1] + 1] = ssum
        site_losses[blocks[0]: blocks[-1] + 1] = sloss

    chunks = _chunks(n_blocks, per_chunk, workers)
    if workers == 1 or len(chunks) == 1:
        for ch in chunks:
            run_chunk(ch)
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            list(pool.map(run_chunk, chunks))
    site_sum = site_sums.sum(axis=0)
    site_loss = site_losses.sum(axis=0)
    t = np.arange(T)
    disc = (1.0 + rates[:, None]) ** -t
    npv_ = (port_flows * disc).sum(axis=1)
    tier_npv = (tier_flows_all * disc[:, None, :]).sum(axis=2)
    irr_ = irr_detail(port_flows, count_roots=False).irr
    tier_irr = irr_detail(tier_flows_all, count_roots=False).irr
    base_flows, _ = evaluate_compiled(drivers, Shocks.neutral(1, S))
    base_npv = float((base_flows.sum(axis=1)[0] * (1.0 + drivers.discount_rate) ** -t).sum())
    return RiskResult(
        tiers=drivers.tiers,
        npv_usd=npv_,
        irr=irr_,
        tier_npv_usd=tier_npv,
        tier_irr=tier_irr,
        site_mean_npv_usd=site_sum / N,
        site_prob_loss=site_loss / N,
        tornado=tornado(drivers, spec) if with_tornado else [],
        base_npv_usd=base_npv,
        seed=spec.seed,
        n_trials=N,
    )


def risk_spec_from_dict(data: dict[str, Any]) -> RiskSpec:
    """Build a `RiskSpec` from a plain mapping, e.g.
    ``{"n_trials": 1000, "seed": 1, "variables": {"power_price": {"dist": "lognormal",
    "params": [0, 0.2], "scope": "portfolio", "tiers": ["core"]}}}``; omitted ``variables``
    means the defaults."""
    known = {"n_trials", "seed", "chunk_trials", "variables"}
    bad = sorted(set(data) - known)
    if bad:
        raise InputError.of("risk", bad, "known keys: " + ", ".join(sorted(known)))
    kwargs: dict[str, Any] = {k: data[k] for k in ("n_trials", "seed", "chunk_trials") if k in data}
    if "variables" in data:
        vars_: list[UncertainVariable] = []
        for name, v in dict(data["variables"]).items():
            extra = sorted(set(v) - {"dist", "params", "scope", "tiers"})
            if extra:
                raise InputError.of(f"risk.variables.{name}", extra, "keys dist, params, scope, tiers")
            tiers: Sequence[str] | None = v.get("tiers")
            vars_.append(
                UncertainVariable(
                    name,
                    Distribution(v.get("dist", "fixed"), tuple(v.get("params", ()))),
                    v.get("scope", "portfolio"),
                    tuple(tiers) if tiers is not None else None,
                )
            )
        kwargs["variables"] = tuple(vars_)
    return RiskSpec(**kwargs)


__all__ = [
    "RNG_BLOCK_TRIALS",
    "VARIABLES",
    "Distribution",
    "RiskResult",
    "RiskSpec",
    "UncertainVariable",
    "available_cores",
    "default_variables",
    "evaluate_compiled",
    "risk_spec_from_dict",
    "run_monte_carlo",
    "tornado",
]
