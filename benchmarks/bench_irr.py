"""IRR benchmark: `irr_detail` (Newton + certificate, and the full grid scan) vs a loop of
``numpy_financial.irr`` over the same series, all in one run.

Usage::

    python benchmarks/bench_irr.py                 # 100,000 series x 16 years, 3 repeats
    python benchmarks/bench_irr.py --quick         # 10,000 series, 1 repeat

Prints a markdown section for benchmarks/results_finance.md. The peer loop runs over every
series (no extrapolation) once per repeat, interleaved with the coredge runs, so that each
ratio compares timings taken under the same machine load. Agreement: the Newton path against
the scan (max |difference| over all series; NaN where and only where the scan has NaN) and
against numpy_financial where its IRR lies in the window.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np
import numpy_financial as npf

from coredge.finance.metrics import IRR_RATE_MAX, IRR_RATE_MIN, irr_detail


def series(n_series: int, n_years: int, seed: int = 7) -> np.ndarray:
    """Investment of 50-150 then noisy yearly income N(15, 25): most series change sign
    several times (the same generator as bench_finance.py)."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [-rng.uniform(50, 150, (n_series, 1)), rng.normal(15, 25, (n_series, n_years - 1))],
        axis=1,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="10,000 series, one repeat")
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--years", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = 10_000 if args.quick else args.series
    repeat = 1 if args.quick else args.repeat
    flows = series(n, args.years)
    irr_detail(flows[:1000], count_roots=False)  # compile
    irr_detail(flows[:1000])
    rows = []
    for k in range(repeat):
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        fast = irr_detail(flows, count_roots=False)
        t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        scan = irr_detail(flows)
        t_scan = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        ref = np.array([npf.irr(f) for f in flows])
        t_npf, c_npf = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        fast2 = irr_detail(flows, count_roots=False)
        t_fast2, c_fast2 = time.perf_counter() - t0, time.process_time() - c0
        assert np.array_equal(fast.irr, fast2.irr, equal_nan=True)
        rows.append((k + 1, load, t_fast, t_fast2, t_scan, t_npf, min(c_fast, c_fast2), c_npf))
    same_nan = bool(np.array_equal(np.isnan(fast.irr), np.isnan(scan.irr)))
    both = np.isfinite(fast.irr)
    d_scan = float(np.max(np.abs(fast.irr[both] - scan.irr[both]))) if both.any() else 0.0
    win = np.isfinite(ref) & (ref >= IRR_RATE_MIN) & (ref <= IRR_RATE_MAX)
    both_npf = win & np.isfinite(fast.irr)
    d_npf = float(np.max(np.abs(fast.irr[both_npf] - ref[both_npf])))
    n_missed = int((win & ~np.isfinite(fast.irr)).sum())
    newton_share = float(np.mean(fast.n_roots_found[both] == 1)) * both.mean()
    multi = float(np.mean(fast.n_sign_changes > 1))
    lines = [
        "## IRR (coredge.finance.metrics.irr_detail)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' jobs "
        f"(figures are noisy, hence the ratios within each repeat); Python "
        f"{platform.python_version()}, numpy {np.__version__}. Date: {dt.date.today().isoformat()}. "
        f"Command: `python benchmarks/bench_irr.py{' --quick' if args.quick else ''}`.",
        "",
        f"{n:,} cash-flow series x {args.years} years ({multi:.0%} with several sign changes); "
        f"IRR found for {both.mean():.1%}.",
        "",
        "| repeat | load avg | Newton + certificate [s] | again [s] | grid scan [s] | "
        "numpy_financial loop [s] | ratio loop / Newton (wall) | ratio scan / Newton (wall) | "
        "CPU Newton, all threads [s] | CPU loop [s] | ratio (CPU) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, load, tf, tf2, ts, tn, cf, cn in rows:
        best = min(tf, tf2)
        lines.append(
            f"| {k} | {load:.1f} | {tf:.4f} | {tf2:.4f} | {ts:.4f} | {tn:.2f} | "
            f"**{tn / best:.0f}x** | {ts / best:.1f}x | {cf:.4f} | {cn:.2f} | {cn / cf:.0f}x |"
        )
    lines += [
        "",
        f"Agreement: the Newton path returns NaN exactly where the scan does ({same_nan}); "
        f"max |Newton - scan| = {d_scan:.1e} over the {int(both.sum()):,} IRRs found; "
        f"max |Newton - numpy_financial| = {d_npf:.1e} over the {int(both_npf.sum()):,} series "
        f"where both find one in [{IRR_RATE_MIN}, {IRR_RATE_MAX}] ({n_missed} series where only "
        "numpy_financial finds one there: a root the grid does not bracket, the scan's rule). "
        f"{newton_share:.1%} of the series were answered by Newton (the rest by the scan).",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
