"""Finance benchmarks: Monte Carlo throughput and vectorised IRR vs numpy-financial.

Usage::

    python benchmarks/bench_finance.py            # full sizes (100,000 trials x 300 sites x 15 y)
    python benchmarks/bench_finance.py --quick    # small sizes, for a smoke run

Prints a markdown section (paste into benchmarks/results_finance.md). Peers are measured in the
same run: the numpy reference `coredge.finance.cashflow.evaluate` for the Monte Carlo kernel and
a Python loop of ``numpy_financial.irr`` for IRR; slow peers are timed on a subset and
extrapolated linearly (stated in the output).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np
import numpy_financial as npf

from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import Shocks, SiteInputs, build_drivers, evaluate
from coredge.finance.metrics import irr_detail
from coredge.finance.montecarlo import RiskSpec, available_cores, run_monte_carlo


def portfolio(n_sites: int, seed: int = 0) -> SiteInputs:
    """Synthetic portfolio: 5 % core campuses, 25 % regional, 70 % micro sites."""
    rng = np.random.default_rng(seed)
    tiers = rng.choice(["core", "regional", "micro"], size=n_sites, p=[0.05, 0.25, 0.70])
    it = np.where(tiers == "core", 300.0, np.where(tiers == "regional", 10.0, 0.5))
    it = it * rng.uniform(0.5, 1.5, n_sites)
    gpus = np.round(it * 1000 / 1.3)
    build = 2026 + rng.integers(0, 4, n_sites)
    return SiteInputs.create(
        site_id=[f"s{i}" for i in range(n_sites)],
        tier=list(tiers),
        build_start_year=build,
        online_year=build + np.where(tiers == "core", 2, 1),
        it_mw=it,
        gpus=gpus,
        pue=np.where(tiers == "core", 1.18, np.where(tiers == "regional", 1.35, 1.5)),
        utilisation_frac=rng.uniform(0.4, 0.8, n_sites),
        energy_price_usd_per_mwh=rng.uniform(60, 120, n_sites),
        capex_it_usd=gpus * 40e3,
        capex_facility_usd=it * np.where(tiers == "core", 20e6, 12e6),
    )


def bench_monte_carlo(n_trials: int, n_sites: int, n_years: int, peer_trials: int) -> list[str]:
    a = FinanceAssumptions(horizon_years=n_years, tax_rate=0.21)
    dv = build_drivers(portfolio(n_sites), a)
    cores = available_cores()
    run_monte_carlo(dv, RiskSpec(n_trials=1024, seed=0))  # compile / warm up
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_monte_carlo(dv, RiskSpec(n_trials=n_trials, seed=1), workers=cores)
    t_mc, c_mc = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    res2 = run_monte_carlo(dv, RiskSpec(n_trials=n_trials, seed=1), workers=1)
    t_mc2, c_mc2 = time.perf_counter() - t0, time.process_time() - c0
    assert np.array_equal(res.npv_usd, res2.npv_usd)  # the workers change nothing
    assert np.array_equal(res.irr, res2.irr, equal_nan=True)
    # peer: numpy reference evaluation of the same model on a subset of trials
    rng = np.random.default_rng(2)
    S = dv.n_sites
    shocks = Shocks(
        demand_growth=rng.normal(0, 0.05, (peer_trials, 1)),
        power_price_mult=rng.lognormal(0, 0.2, (peer_trials, 1)),
        gpu_price_decline=rng.triangular(0, 0.05, 0.15, (peer_trials, 1)),
        utilisation_mult=rng.triangular(0.8, 1.0, 1.1, (peer_trials, S)),
        pre_leased_share=np.full((peer_trials, S), np.nan),
        delay_years=rng.triangular(0, 0.5, 3, (peer_trials, S)),
        capex_overrun=rng.triangular(-0.05, 0.05, 0.3, (peer_trials, S)),
    )
    t0, c0 = time.perf_counter(), time.process_time()
    ev = evaluate(dv, shocks)
    _ = ev.net_usd.sum(axis=1)
    t_np = (time.perf_counter() - t0) * n_trials / peer_trials
    c_np = (time.process_time() - c0) * n_trials / peer_trials
    cells = n_trials * n_sites * n_years
    s = res.summary()["portfolio"]
    return [
        f"**Monte Carlo**: {n_trials:,} trials x {n_sites} sites x {n_years} years "
        f"({cells / 1e9:.2f} G site-years), 8 uncertain variables (defaults), tax 21 %, "
        "incl. sampling, tier/portfolio NPV, portfolio and tier IRR, tornado.",
        "",
        "| implementation | wall time [s] | CPU time, all threads [s] | site-years / s (wall) |",
        "|---|---|---|---|",
        f"| coredge `run_monte_carlo` (numba kernel), {cores} worker threads | {t_mc:.2f} | {c_mc:.2f} | {cells / t_mc:.3g} |",
        f"| coredge `run_monte_carlo`, 1 worker (same seed: identical NPVs and IRRs) | {t_mc2:.2f} | {c_mc2:.2f} | {cells / t_mc2:.3g} |",
        f"| peer: numpy reference `evaluate` (same model), {peer_trials:,} trials extrapolated x{n_trials // peer_trials} | {t_np:.1f} | {c_np:.1f} | {cells / t_np:.3g} |",
        "",
        f"Ratio numpy / coredge (wall): {t_np / min(t_mc, t_mc2):.1f}x. "
        f"Portfolio NPV P10/P50/P90 = {s['npv_usd']['p10'] / 1e9:.1f} / "
        f"{s['npv_usd']['p50'] / 1e9:.1f} / {s['npv_usd']['p90'] / 1e9:.1f} G$ "
        f"(synthetic portfolio, default assumptions; not a forecast).",
    ]


def bench_irr(n_series: int, n_years: int, peer_series: int) -> list[str]:
    rng = np.random.default_rng(7)
    flows = np.concatenate(
        [-rng.uniform(50, 150, (n_series, 1)), rng.normal(15, 25, (n_series, n_years - 1))], axis=1
    )
    irr_detail(flows[:100])  # compile
    t0 = time.perf_counter()
    res = irr_detail(flows)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = np.array([npf.irr(f) for f in flows[:peer_series]])
    t_loop = (time.perf_counter() - t0) * n_series / peer_series
    got = res.irr[:peer_series]
    win = np.isfinite(ref) & (ref >= -0.99) & (ref <= 10)
    max_err = float(np.max(np.abs(got[win] - ref[win])))
    multi = float(np.mean(res.n_sign_changes > 1))
    return [
        f"**IRR**: {n_series:,} cash-flow series x {n_years} years "
        f"({multi:.0%} with several sign changes).",
        "",
        "| implementation | wall time [s] |",
        "|---|---|",
        f"| coredge `irr_detail` (grid scan + safeguarded Newton, numba, 2 threads) | {t_vec:.3f} |",
        f"| peer: loop of `numpy_financial.irr`, {peer_series:,} series timed, extrapolated x{n_series // peer_series} | {t_loop:.2f} |",
        "",
        f"Ratio: {t_loop / t_vec:.0f}x. Agreement on the {int(win.sum()):,} timed series whose "
        f"numpy-financial IRR lies in [-0.99, 10]: max |difference| = {max_err:.1e}.",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = ap.parse_args()
    if args.quick:
        mc = (4096, 50, 15, 512)
        ir = (10_000, 15, 2_000)
    else:
        mc = (100_000, 300, 15, 1_000)
        ir = (100_000, 15, 10_000)
    lines = [
        "## Finance (coredge.finance)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers "
        f"(figures may be noisy; load average at start {os.getloadavg()[0]:.1f}); Python {platform.python_version()}, numpy {np.__version__}. "
        f"Date: {dt.date.today().isoformat()}. Command: `python benchmarks/bench_finance.py"
        f"{' --quick' if args.quick else ''}`.",
        "",
        *bench_monte_carlo(*mc),
        "",
        *bench_irr(*ir),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
