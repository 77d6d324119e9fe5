"""Benchmark: coredge's compiled simulator vs a plain SimPy peer, and memory vs request count.

Spec: 50 sites x 8 servers (queue_limit 16), 500 demand points with equal rates, load 0.8
(6,400 requests/s at 50 ms exponential service), RTT from random coordinates in a US-sized box
(fixed seed) with coredge's fibre model, nearest-available routing.

Run:  python benchmarks/bench_sim.py [--requests 1e6] [--rss 1e6,1e7,1e8] [--write]

* coredge: ``simulate`` end to end (traffic generation included), after one warm-up call so
  that numba's compiled kernel is loaded from its cache; best of ``--repeat`` runs.
* SimPy peer: `benchmarks/simpy_peer.py` on the very same requests (generation not timed, which
  favours the peer).
* agreement: share of requests sent to the same site with the same wait, and p50/p95/p99 of
  both (coredge's from its 1 % log histograms, the peer's exact).
* memory: peak RSS (VmHWM) of a fresh process simulating N requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coredge.geo import haversine_km
from coredge.latency import fiber_rtt_ms
from coredge.sim import simulate
from coredge.sim.spec import NetworkSpec, spec_from_arrays
from coredge.sim.traffic import TrafficSource

N_SITES, N_DEMAND, SERVERS, QUEUE_LIMIT, MEAN_MS, LOAD = 50, 500, 8, 16, 50.0, 0.8


def bench_spec() -> NetworkSpec:
    """The benchmark network (fixed seed; coordinates in a 30-45 N, 75-120 W box)."""
    rng = np.random.default_rng(2026)
    slat, slon = rng.uniform(30, 45, N_SITES), rng.uniform(-120, -75, N_SITES)
    dlat, dlon = rng.uniform(30, 45, N_DEMAND), rng.uniform(-120, -75, N_DEMAND)
    rtt = fiber_rtt_ms(haversine_km(dlat[:, None], dlon[:, None], slat[None, :], slon[None, :]))
    total_rate = LOAD * N_SITES * SERVERS / (MEAN_MS / 1000.0)
    return spec_from_arrays(
        site_ids=[f"s{i}" for i in range(N_SITES)], servers=[SERVERS] * N_SITES,
        queue_limit=QUEUE_LIMIT, demand_ids=[f"d{j}" for j in range(N_DEMAND)],
        rate_per_s=np.full(N_DEMAND, total_rate / N_DEMAND), rtt_ms=rtt,
        service={"distribution": "exponential", "mean_ms": MEAN_MS},
        routing={"policy": "nearest-available", "max_hops": None},
    )


def peak_rss_child(n: int, seed: int) -> tuple[float, float, float]:
    """Peak RSS [MiB], wall [s] and requests/s of a fresh process simulating n requests.

    Peak RSS is the child's ``VmHWM`` (/proc/self/status): ``ru_maxrss`` of a child on Linux can
    carry the parent's high-water mark over fork + exec.
    """
    here = str(Path(__file__).resolve().parent)
    code = (
        f"import json,resource,sys,time;sys.path.insert(0,{here!r});"
        "from bench_sim import bench_spec;from coredge.sim import simulate;"
        "s=bench_spec();simulate(s,requests=1000);"
        f"t=time.perf_counter();r=simulate(s,requests={n},seed={seed});w=time.perf_counter()-t;"
        "hwm=[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1];"
        "print(json.dumps([int(hwm)/1024,w,r.summary['requests_per_s']]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rss, wall, rps = json.loads(out.stdout.strip().splitlines()[-1])
    return float(rss), float(wall), float(rps)


def command_run(spec_path: Path, n: int, seed: int, workers: int | None = None) -> tuple[float, float, float]:
    """Wall [s], CPU [s] (user + system of the child and its worker processes, all threads) and
    requests/s (wall) of the whole ``python -m coredge simulate SPEC -n N --json [--workers W]``
    process: start-up, imports, reading and validating the spec, simulating (2 replications,
    the command's default) and printing."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    extra = [] if workers is None else ["--workers", str(workers)]
    out = subprocess.run([sys.executable, "-m", "coredge", "simulate", str(spec_path), "-n", str(n),
                          "--seed", str(seed), "--json", *extra], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["requests"] == n
    return wall, cpu, n / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rss", default="1e6,1e7,1e8", help="comma-separated request counts ('' = skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="write benchmarks/results_sim.md")
    ap.add_argument("--command-requests", type=float, default=1e7,
                    help="requests of the whole-process `coredge simulate` runs (0 = skip)")
    ap.add_argument("--command-workers", default="1,2",
                    help="comma-separated --workers of the whole-process runs")
    args = ap.parse_args()
    n = int(args.requests)
    spec = bench_spec()

    simulate(spec, requests=1000)  # warm-up: load the compiled kernel
    walls, cpus = [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        res = simulate(spec, requests=n, seed=args.seed)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    core_wall = min(walls)
    core_rps = n / core_wall
    core_cpu = min(cpus)
    rec = simulate(spec, requests=n, seed=args.seed, record=True).requests_table
    assert rec is not None

    from simpy_peer import run_peer

    src = TrafficSource(spec, args.seed)
    ch = src.next_chunk(n)
    rtt = np.array([[np.inf if v is None else v for v in r] for r in (spec.rtt_ms or [])])
    peer = run_peer(rtt, [s.servers or 0 for s in spec.sites], [s.queue_limit for s in spec.sites],
                    ch.arr_ms, ch.row.astype(np.int64), ch.svc_ms)
    peer_rps = n / peer.wall_s
    same_site = float(np.mean(rec["site"].to_numpy() == peer.site))
    served = peer.site >= 0
    same_wait = float(np.mean(np.abs(rec["wait_ms"].to_numpy()[served] - peer.wait_ms[served]) < 1e-6))
    q = [0.5, 0.95, 0.99]
    core_q = [res.summary["p50_ms"], res.summary["p95_ms"], res.summary["p99_ms"]]
    peer_q = np.quantile(peer.latency_ms[served], q).tolist()

    rss_rows = []
    for tok in [x for x in args.rss.split(",") if x.strip()]:
        m = int(float(tok))
        rss, wall, rps = peak_rss_child(m, args.seed)
        rss_rows.append((m, rss, wall, rps))
        print(f"rss n={m:.0e}: {rss:.0f} MiB, {wall:.1f} s, {rps / 1e6:.2f} M requests/s", flush=True)

    cmd_rows: dict[int, list[tuple[float, float, float]]] = {}
    n_cmd = int(args.command_requests)
    if n_cmd > 0:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            spec_path = Path(tmp) / "spec50.json"
            spec_path.write_text(spec.model_dump_json(), encoding="utf-8")
            command_run(spec_path, 1000, args.seed)  # numba cache and file cache warm
            for _ in range(args.repeat):
                for w in [int(x) for x in args.command_workers.split(",") if x.strip()]:
                    row = command_run(spec_path, n_cmd, args.seed, w)
                    cmd_rows.setdefault(w, []).append(row)
                    print(f"command n={n_cmd:.0e} workers={w}: {row[0]:.2f} s wall, {row[1]:.2f} s CPU",
                          flush=True)

    lines = [
        "## Simulator (coredge.sim) vs SimPy",
        "",
        f"- date: {dt.date.today().isoformat()}; machine: {platform.machine()}, {os.cpu_count()} cores "
        "shared with other engineers' jobs (figures may be noisy); Python "
        f"{platform.python_version()}; one core used by each simulator.",
        f"- command: `python benchmarks/bench_sim.py --requests {n:.0e} --rss {args.rss}`",
        f"- spec: {N_SITES} sites x {SERVERS} servers (queue_limit {QUEUE_LIMIT}), {N_DEMAND} demand points, "
        f"load {LOAD}, exponential service {MEAN_MS:.0f} ms, nearest-available, RTT from random coordinates; "
        f"{n:,} requests, seed {args.seed}.",
        "",
        "| simulator | wall [s] | requests/s (wall) | ratio (wall) | CPU [s] | requests/s (CPU) | ratio (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| coredge (numba, incl. traffic generation; best of {args.repeat}) | {core_wall:.3f} | {core_rps:,.0f} "
        f"| {core_rps / peer_rps:.0f}x | {core_cpu:.3f} | {n / core_cpu:,.0f} | {peer.cpu_s / core_cpu:.0f}x |",
        f"| SimPy peer (same requests, generation not timed) | {peer.wall_s:.2f} | {peer_rps:,.0f} | 1x "
        f"| {peer.cpu_s:.2f} | {n / peer.cpu_s:,.0f} | 1x |",
        "",
        f"coredge wall times of the {args.repeat} runs: {', '.join(f'{w:.3f}' for w in walls)} s "
        f"(CPU {', '.join(f'{c:.3f}' for c in cpus)} s).",
        "",
        f"Agreement on the same {n:,} requests: same site for {same_site:.4%} of requests, same wait "
        f"(|diff| < 1e-6 ms) for {same_wait:.4%} of served requests; dropped "
        f"{res.summary['dropped_frac']:.4%} (coredge) vs {1 - served.mean():.4%} (SimPy).",
        "",
        "| latency | coredge (1 % log histogram) [ms] | SimPy (exact) [ms] | rel. diff |",
        "|---|---:|---:|---:|",
    ]
    for name, a, b in zip(("p50", "p95", "p99"), core_q, peer_q, strict=True):
        lines.append(f"| {name} | {a:.2f} | {b:.2f} | {a / b - 1:+.3%} |")
    if rss_rows:
        lines += [
            "",
            "Memory: peak RSS of a fresh process (interpreter + numpy/pandas/numba + compiled kernel "
            "included) simulating N requests of the same spec:",
            "",
            "| requests | peak RSS [MiB] | wall [s] | requests/s |",
            "|---:|---:|---:|---:|",
        ]
        lines += [f"| {m:.0e} | {rss:.0f} | {wall:.1f} | {rps:,.0f} |" for m, rss, wall, rps in rss_rows]
    if cmd_rows:
        lines += [
            "",
            f"Whole process: `python -m coredge simulate spec50.json -n {n_cmd:.0e} --json --workers W` "
            "(start-up, imports, spec validation, 2 replications of half the requests each, the "
            f"command's default, output), {args.repeat} runs per W; the SimPy peer's rate is the "
            "in-process one above (measured in the same run, generation not timed). W = 1: both "
            "replications in the one process; W = 2: the second in a spawned worker process (same "
            "results). Ratio per core = ratio / W.",
            "",
            "| workers | run | wall [s] | CPU, all processes [s] | cores used (CPU / wall) | requests/s (wall) "
            "| ratio to SimPy (wall) | ratio per core |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for w, rows in cmd_rows.items():
            for i, (wall, c, r) in enumerate(rows, 1):
                lines.append(f"| {w} | {i} | {wall:.2f} | {c:.2f} | {c / wall:.2f} | {r:,.0f} | "
                             f"{r / peer_rps:.0f}x | {r / peer_rps / w:.0f}x |")
        for w, rows in cmd_rows.items():
            best = min(rows)
            lines += ["", f"Best whole-process rate with {w} worker(s): {best[2]:,.0f} requests/s = "
                      f"{best[2] / peer_rps:.0f}x the SimPy peer ({best[2] / peer_rps / w:.0f}x per core; "
                      f"{best[1] / best[0]:.2f} cores busy)."]
    lines += [
        "",
        f"Targets: >= 50x the SimPy peer -> {core_rps / peer_rps:.0f}x (wall), {peer.cpu_s / core_cpu:.0f}x (CPU); "
        f">= 2M requests/s on one core -> {core_rps / 1e6:.1f}M (wall), {n / core_cpu / 1e6:.1f}M (CPU); "
        "1e8 requests without memory growth -> see the RSS table.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (Path(__file__).resolve().parent / "results_sim.md").write_text(text, encoding="utf-8")
    # the peak RSS of this process, for the record
    print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
