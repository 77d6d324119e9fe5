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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numba
import numpy as np
import numpy.typing as npt

from coredge.distributions import Distribution
from coredge.errors import InputError
from coredge.finance.cashflow import SHOCK_NEUTRAL, Drivers, Shocks
from coredge.finance.metrics import irr_detail

FloatArray = npt.NDArray[np.float64]

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


@numba.njit(parallel=True, cache=True)
def _mc_kernel(
    g: FloatArray,
    pm: FloatArray,
    gd: FloatArray,
    um: FloatArray,
    sh: FloatArray,
    dl: FloatArray,
    ov: FloatArray,
    rate: FloatArray,
    on: FloatArray,
    ramp: FloatArray,
    share0: FloatArray,
    cap: FloatArray,
    usage: npt.NDArray[np.bool_],
    decline0: FloatArray,
    p_con: FloatArray,
    p_mer: FloatArray,
    e_inv: FloatArray,
    opex: FloatArray,
    capex_fac: FloatArray,
    capex_it: FloatArray,
    dep_fac: FloatArray,
    dep_it: FloatArray,
    residual_fac: FloatArray,
    tier_index: npt.NDArray[np.int64],
    tax_rate: float,
    carry: bool,
    tier_flows: FloatArray,
    site_npv: npt.NDArray[np.float32],
) -> None:
    n = rate.shape[0]
    S = on.shape[0]
    T = on.shape[1]
    # shock arrays are (n, S) or (n, 1) (one value per trial): column index s or 0
    cg = g.shape[1] > 1
    cpm = pm.shape[1] > 1
    cgd = gd.shape[1] > 1
    cum = um.shape[1] > 1
    csh = sh.shape[1] > 1
    cdl = dl.shape[1] > 1
    cov = ov.shape[1] > 1
    B = 64  # trials per block: a site's driver rows stay in cache while the block runs
    n_blocks = (n + B - 1) // B
    for blk in numba.prange(n_blocks):
        i0 = blk * B
        i1 = min(n, i0 + B)
        buf = np.empty(T)
        disc = np.empty((i1 - i0, T))
        for i in range(i0, i1):
            x = 1.0 / (1.0 + rate[i])
            d = 1.0
            for t in range(T):
                disc[i - i0, t] = d
                d *= x
        for s in range(S):
            ti = tier_index[s]
            for i in range(i0, i1):
                share = sh[i, s if csh else 0]
                if np.isnan(share):
                    share = share0[s]
                decl = gd[i, s if cgd else 0]
                if np.isnan(decl):
                    decl = decline0[s]
                gfac = (1.0 - decl) / (1.0 - decline0[s]) if usage[s] else 1.0
                delay = dl[i, s if cdl else 0]
                k = int(np.floor(delay))
                f = delay - k
                ovf = 1.0 + ov[i, s if cov else 0]
                grow = 1.0 + g[i, s if cg else 0]
                pmi = pm[i, s if cpm else 0]
                gpow = um[i, s if cum else 0]
                fpow = 1.0
                pool = 0.0
                sum_cit = 0.0
                sum_dit = 0.0
                for t in range(T):
                    a = t - k
                    b = a - 1
                    on_t = 0.0
                    ramp_t = 0.0
                    cit = 0.0
                    dit = 0.0
                    if a >= 0:
                        on_t += (1.0 - f) * on[s, a]
                        ramp_t += (1.0 - f) * ramp[s, a]
                        cit += (1.0 - f) * capex_it[s, a]
                        dit += (1.0 - f) * dep_it[s, a]
                    if b >= 0 and f > 0.0:
                        on_t += f * on[s, b]
                        ramp_t += f * ramp[s, b]
                        cit += f * capex_it[s, b]
                        dit += f * dep_it[s, b]
                    m = ramp_t * gpow
                    if m > cap[s]:
                        m = cap[s]
                    vol = share * on_t + (1.0 - share) * m
                    rev = share * on_t * p_con[s, t] + (1.0 - share) * m * p_mer[s, t] * fpow
                    ebitda = rev - e_inv[s, t] * pmi * vol - opex[s, t]
                    dep = dep_fac[s, t] * ovf + dit
                    tax = 0.0
                    if tax_rate != 0.0:
                        base = ebitda - dep
                        if carry:
                            base -= pool
                            pool = -base if base < 0.0 else 0.0
                        if base > 0.0:
                            tax = tax_rate * base
                    buf[t] = ebitda - capex_fac[s, t] * ovf - cit - tax
                    sum_cit += cit
                    sum_dit += dit
                    gpow *= grow
                    fpow *= gfac
                buf[T - 1] += residual_fac[s] * ovf + sum_cit - sum_dit
                acc = 0.0
                for t in range(T):
                    acc += buf[t] * disc[i - i0, t]
                    tier_flows[i, ti, t] += buf[t]
                site_npv[i, s] = acc


def _kernel_args(dv: Drivers) -> tuple[Any, ...]:
    c = np.ascontiguousarray
    return (
        c(dv.on),
        c(dv.ramp),
        c(dv.share),
        c(dv.cap),
        c(dv.usage_priced),
        c(dv.base_decline),
        c(dv.p_con),
        c(dv.p_mer),
        c(dv.e_inv),
        c(dv.opex_fixed),
        c(dv.capex_fac),
        c(dv.capex_it_inv),
        c(dv.dep_fac),
        c(dv.dep_it_inv),
        c(dv.residual_fac),
        c(dv.tier_index),
        float(dv.tax_rate),
        bool(dv.tax_loss_carryforward),
    )


def evaluate_compiled(
    drivers: Drivers, shocks: Shocks, discount_rate: npt.ArrayLike | None = None
) -> tuple[FloatArray, npt.NDArray[np.float32]]:
    """Net flows summed per tier, and NPV per site, for N trials (compiled, parallel).

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
    S, T, G = drivers.n_sites, drivers.n_years, len(drivers.tiers)
    arrays = [np.asarray(getattr(shocks, f), dtype=np.float64) for f in SHOCK_NEUTRAL]
    arrays = [a if a.ndim == 2 else np.atleast_2d(a) for a in arrays]
    n = max(a.shape[0] for a in arrays)
    if discount_rate is not None:
        n = max(n, np.atleast_1d(np.asarray(discount_rate)).shape[0])
    full = []
    for arr in arrays:
        if arr.shape[1] not in (1, S):
            raise InputError.of("shocks", arr.shape, f"broadcastable to (trials, {S})")
        full.append(np.ascontiguousarray(np.broadcast_to(arr, (n, arr.shape[1]))))
    if np.any(full[5] < 0):
        raise InputError.of("delay_years", float(full[5].min()), ">= 0 years")
    rate = np.broadcast_to(
        np.asarray(drivers.discount_rate if discount_rate is None else discount_rate, dtype=np.float64),
        (n,),
    )
    tier_flows = np.zeros((n, G, T))
    site_npv = np.zeros((n, S), dtype=np.float32)
    kernel: Any = _mc_kernel  # numba dispatcher; argument types are checked at compile time
    kernel(*full, np.ascontiguousarray(rate), *_kernel_args(drivers), tier_flows, site_npv)
    return tier_flows, site_npv


# ------------------------------------------------------------------ sampling


def _draw_block(
    spec: RiskSpec, rng: np.random.Generator, n: int, site_tiers: npt.NDArray[np.str_]
) -> tuple[dict[str, FloatArray], FloatArray | None]:
    """Draws of every variable for ``n`` trials: Shocks fields, (n, S) where they differ by
    site and (n, 1) where one value per trial serves every site, and the rate (n,)."""
    S = site_tiers.size
    fields: dict[str, FloatArray] = {f: np.full((n, 1), v) for f, v in SHOCK_NEUTRAL.items()}
    rate: FloatArray | None = None
    for var in spec.variables:
        lo, hi = _BOUNDS[var.name]
        if var.name == "discount_rate":
            rate = np.clip(var.dist.sample(rng, n), lo, hi)
            continue
        mask = np.ones(S, dtype=bool) if var.tiers is None else np.isin(site_tiers, var.tiers)
        k = int(mask.sum())
        draws = np.clip(var.dist.sample(rng, (n, k) if var.scope == "site" else (n, 1)), lo, hi)
        name = VARIABLES[var.name]
        if k == S:
            fields[name] = draws if draws.shape[1] == S else draws.reshape(n, 1)
        else:
            target = np.full((n, S), SHOCK_NEUTRAL[name])
            target[:, mask] = np.broadcast_to(draws, (n, k))
            fields[name] = target
    return fields, rate


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


def run_monte_carlo(drivers: Drivers, spec: RiskSpec | None = None, with_tornado: bool = True) -> RiskResult:
    """Monte Carlo over ``spec.variables``: NPV/IRR distributions per tier and portfolio.

    Parameters
    ----------
    drivers : Drivers
        Base-case paths from `coredge.finance.cashflow.build_drivers`.
    spec : RiskSpec, optional
        Variables, trials, seed, chunk size (defaults: `default_variables`, 10,000 trials).
    with_tornado : bool
        Also compute the one-at-a-time tornado.

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
    S, T, G = drivers.n_sites, drivers.n_years, len(drivers.tiers)
    site_tiers = np.array([drivers.tiers[i] for i in drivers.tier_index])
    N = spec.n_trials
    n_blocks = -(-N // RNG_BLOCK_TRIALS)
    children = np.random.SeedSequence(spec.seed).spawn(n_blocks)
    per_chunk = max(1, -(-min(spec.chunk_trials, CHUNK_CELLS // max(S, 1)) // RNG_BLOCK_TRIALS))
    port_flows = np.empty((N, T))
    tier_flows_all = np.empty((N, G, T))
    rates = np.empty(N)
    site_sum = np.zeros(S)
    site_loss = np.zeros(S)
    for c0 in range(0, n_blocks, per_chunk):
        blocks = range(c0, min(n_blocks, c0 + per_chunk))
        parts: list[dict[str, FloatArray]] = []
        rate_parts: list[FloatArray] = []
        for b in blocks:
            nb = min(RNG_BLOCK_TRIALS, N - b * RNG_BLOCK_TRIALS)
            f, r = _draw_block(spec, np.random.default_rng(children[b]), nb, site_tiers)
            parts.append(f)
            rate_parts.append(r if r is not None else np.full(nb, drivers.discount_rate))
        if len(parts) == 1:  # one block: its draws as they are
            fields, rate = parts[0], rate_parts[0]
        else:
            fields = {k: np.concatenate([p[k] for p in parts]) for k in SHOCK_NEUTRAL}
            rate = np.concatenate(rate_parts)
        lo = blocks[0] * RNG_BLOCK_TRIALS
        hi = lo + rate.size
        tf, snpv = evaluate_compiled(drivers, Shocks(**fields), rate)
        tier_flows_all[lo:hi] = tf
        port_flows[lo:hi] = tf.sum(axis=1)
        rates[lo:hi] = rate
        site_sum += snpv.sum(axis=0, dtype=np.float64)
        site_loss += (snpv < 0).sum(axis=0)
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
    "default_variables",
    "evaluate_compiled",
    "risk_spec_from_dict",
    "run_monte_carlo",
    "tornado",
]
