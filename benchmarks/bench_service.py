"""Service read benchmark: ``coredge serve`` on loopback under a fixed request rate.

Usage::

    python benchmarks/bench_service.py [--rate 200] [--seconds 30] [--runs 200]

Builds a store: real tiny runs made by the service itself (``--real``, the greedy planner), whose
job records and summaries are then copied under new ids until the catalogue holds ``--runs`` runs
(every copy is a real run's data). Starts ``coredge serve`` in its own process on 127.0.0.1 and
sends requests open loop at ``--rate`` per second (each at its scheduled time, whatever the
previous answers did, from 16 client threads): half ``GET /api/runs`` (the catalogue, 200 rows), half
``GET /api/runs/{id}`` (one run with its summary, ids drawn at random). Latency is measured from
the scheduled send time to the end of the answer, so a client or server falling behind counts
against it. Prints a markdown section (benchmarks/results_service.md).

The target (issue 14): p99 under 100 ms at 200 requests/s, no errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
TOKEN = "bench-token-0123456789abcdef"

TINY = """
name: tiny
description: The largest US cities over five years.
horizon: {start_year: 2026, end_year: 2030}
demand:
  source: cities
  countries: [US]
  min_population: 1500000
candidates:
  core_regions: [dallas-fort-worth, northern-virginia, phoenix-mesa]
  regional_min_population: 1500000
  micro_min_population: 1500000
workloads:
  batch: {dtype: fp8}
training: {it_mw_start: 50.0}
variants:
  bigger:
    demand: {market_share: 0.5}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COREDGE_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coredge", "serve", "--port", str(port), "--store", str(store), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("coredge serve did not start")


def make_real_runs(base: str, n: int) -> list[str]:
    import httpx

    ids = []
    for k in range(n):
        r = httpx.post(f"{base}/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60, json={
            "scenario": TINY, "variant": "bigger" if k % 2 else None,
            "options": {"planner": "greedy", "simulation": k == 0, "training": False}})
        r.raise_for_status()
        ids.append(r.json()["id"])
    for run_id in ids:
        while httpx.get(f"{base}/api/runs/{run_id}", timeout=30).json()["status"] not in ("done", "failed"):
            time.sleep(0.5)
    return ids


def copy_runs(store: Path, real: list[str], total: int) -> None:
    """Copies of the real runs' job records and summaries under new ids (the catalogue's rows)."""
    import secrets

    from coredge.service.catalogue import Store

    st = Store.at(store)
    k = 0
    while len(st.ids()) < total:
        src = st.run_folder(real[k % len(real)])
        k += 1
        new = secrets.token_hex(8)
        dst = st.run_folder(new)
        (dst / "run").mkdir(parents=True)
        job = json.loads((src / "job.json").read_text())
        job["id"] = new
        (dst / "job.json").write_text(json.dumps(job))
        shutil.copy(src / "run" / "summary.json", dst / "run" / "summary.json")
    st.rebuild_catalogue()


def load(base: str, ids: list[str], rate: float, seconds: float, seed: int, threads: int = 16) -> dict[str, Any]:
    """Send ``rate * seconds`` requests, request i at ``t0 + i / rate``, from `threads` threads
    with a keep-alive connection each; a request whose time has come waits for a free thread
    (and that wait counts in its latency)."""
    import httpx

    rng = random.Random(seed)
    n = int(rate * seconds)
    paths = ["/api/runs" if i % 2 == 0 else f"/api/runs/{rng.choice(ids)}" for i in range(n)]
    lat = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int64)
    nxt = iter(range(n))
    lock = threading.Lock()
    t0 = time.perf_counter() + 0.5

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    return
                at = t0 + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                try:
                    r = client.get(paths[i])
                    status[i] = r.status_code
                except httpx.HTTPError:
                    status[i] = -1
                lat[i] = (time.perf_counter() - at) * 1000.0

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"requests": n, "wall_s": wall, "errors": int((status != 200).sum())}
    for name, sel in (("all", slice(None)), ("catalogue", slice(0, None, 2)), ("summary", slice(1, None, 2))):
        x = lat[sel]
        out[name] = {q: float(np.percentile(x, p)) for q, p in (("p50", 50), ("p95", 95), ("p99", 99))}
        out[name]["max"] = float(x.max())
    return out


def cpu_s(pid: int) -> float:
    """User + system CPU time of process `pid` so far [s] (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_up(base: str, ids: list[str]) -> dict[str, float]:
    """Read every run once, one after another (the server keeps answers of ended runs until their
    files change); returns the latency of these first reads [ms]."""
    import httpx

    lat = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/api/runs").raise_for_status()
        for run_id in ids:
            t = time.perf_counter()
            client.get(f"/api/runs/{run_id}").raise_for_status()
            lat.append((time.perf_counter() - t) * 1000.0)
    x = np.asarray(lat)
    return {"p50": float(np.percentile(x, 50)), "p99": float(np.percentile(x, 99)), "max": float(x.max())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the load [s]")
    ap.add_argument("--runs", type=int, default=200, help="runs in the catalogue")
    ap.add_argument("--real", type=int, default=4, help="real tiny runs made first")
    ap.add_argument("--repeat", type=int, default=3, help="load periods, one after another")
    args = ap.parse_args()
    sys.path.insert(0, str(SRC))
    tmp = Path(tempfile.mkdtemp(prefix="coredge-bench-service-"))
    store = tmp / "store"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(store, port)
    try:
        real = make_real_runs(base, args.real)
        copy_runs(store, real, args.runs)
        from coredge.service.catalogue import Store

        ids = Store.at(store).ids()
        cold = warm_up(base, ids)
        results = []
        for seed in range(args.repeat):
            c0, la0 = cpu_s(proc.pid), os.getloadavg()[0]
            r = load(base, ids, args.rate, args.seconds, seed)
            r["server_cpu_ms_per_request"] = (cpu_s(proc.pid) - c0) / r["requests"] * 1000.0
            r["load_avg"] = (la0, os.getloadavg()[0])
            results.append(r)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    today = dt.date.today().isoformat()
    print("## Service reads (coredge serve on loopback)\n")
    print(f"- date: {today}; machine: {platform.machine()}, {os.cpu_count()} cores shared with other "
          f"engineers' jobs (figures may be noisy); Python {platform.python_version()}; server "
          "(uvicorn, one process) and load generator (16 threads, one keep-alive httpx connection each) on the same machine.")
    print(f"- command: `python benchmarks/bench_service.py --rate {args.rate:g} --seconds {args.seconds:g} "
          f"--runs {args.runs} --repeat {args.repeat}`")
    print(f"- store: {args.runs} runs ({args.real} real tiny runs made by the service, copied under new ids); "
          "requests open loop at the rate, alternating `GET /api/runs` (catalogue, 200 rows) and "
          "`GET /api/runs/{id}` (one run with its summary, random ids); latency from the scheduled "
          "send time to the end of the answer.\n")
    print("| period | requests | errors | achieved [req/s] | catalogue p50 / p99 [ms] | summary p50 / p99 [ms] "
          "| all p99 / max [ms] | server CPU [ms/request] | load average (1 min) before / after |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, r in enumerate(results, 1):
        print(f"| {k} | {r['requests']:,} | {r['errors']} | {r['requests'] / r['wall_s']:.0f} | "
              f"{r['catalogue']['p50']:.1f} / {r['catalogue']['p99']:.1f} | "
              f"{r['summary']['p50']:.1f} / {r['summary']['p99']:.1f} | "
              f"{r['all']['p99']:.1f} / {r['all']['max']:.1f} | {r['server_cpu_ms_per_request']:.2f} | "
              f"{r['load_avg'][0]:.1f} / {r['load_avg'][1]:.1f} |")
    print(f"\nBefore the timed periods every run was read once, one request at a time (a first read "
          f"parses the run's job record and summary; the server keeps the answer until the files change): "
          f"p50 {cold['p50']:.1f} ms, p99 {cold['p99']:.1f} ms, max {cold['max']:.1f} ms.")
    worst = max(r["all"]["p99"] for r in results)
    errors = sum(r["errors"] for r in results)
    print(f"\nTarget: p99 < 100 ms at {args.rate:g} requests/s with no errors -> worst period p99 "
          f"{worst:.1f} ms, {errors} errors.")


if __name__ == "__main__":
    main()
