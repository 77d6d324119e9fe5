"""Studies benchmark: `coredge compare` and `coredge risk --trials 100000` on the default
scenario, this tree against an earlier one (the peer), run back to back on the same machine.

Usage::

    python benchmarks/bench_studies.py --peer-src /path/to/older/checkout/src [--repeat 1]

Each command runs in a subprocess with ``PYTHONPATH`` set to the tree being timed; wall time and
the CPU time of the child process (user + system, from ``resource.getrusage``) are recorded, the
two trees alternating so that a change in the machine's load hits both. Prints a markdown section
(benchmarks/results_studies.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1] / "src"

COMMANDS: dict[str, list[str]] = {
    "compare": ["compare", "--json"],
    "risk": ["risk", "--trials", "100000", "--json"],
}
"""Timed commands (arguments after ``python -m coredge``); `compare` also gets ``--out``."""


def _child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_command(src: Path, name: str, workdir: Path, store: Path | None = None) -> dict[str, object]:
    """Run one command with ``src`` first on the path; wall [s], child CPU [s], last JSON line.

    ``store`` is the plan store folder (``COREDGE_PLAN_CACHE``); None turns it off."""
    args = list(COMMANDS[name])
    if name == "compare":
        args += ["--out", str(workdir / f"compare-{src.parent.name}-{time.time_ns()}")]
    env = {**os.environ, "PYTHONPATH": str(src), "COREDGE_PLAN_CACHE": str(store) if store else "off"}
    cpu0, t0 = _child_cpu_s(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "coredge", *args], env=env, capture_output=True,
                          text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu_s() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{name} with {src} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    phases = re.search(r"trials x (\d+) build phases", proc.stderr)
    if phases:  # risk: the size of the plan priced (a time-limited MILP differs from run to run)
        last["build_phases"] = int(phases.group(1))
    return {"wall_s": wall, "cpu_s": cpu, "out": last}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-src", type=Path, required=True, help="src/ of the earlier tree")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--commands", default=",".join(COMMANDS),
                    help="comma-separated subset of: " + ", ".join(COMMANDS))
    ap.add_argument("--peer-store", action="store_true",
                    help="also time the peer with a warm plan store (a peer that has one)")
    ap.add_argument("--src", type=Path, default=HERE,
                    help="src/ of the tree timed as coredge (default: this one); use a frozen copy "
                    "(git archive) so that edits during the run do not change the code, and so "
                    "the plan store's keys, between its cold and warm runs")
    args = ap.parse_args()
    names = [n.strip() for n in args.commands.split(",") if n.strip()]
    bad = sorted(set(names) - set(COMMANDS))
    if bad:
        raise SystemExit(f"--commands: unknown {bad}; known: {', '.join(COMMANDS)}")
    load = os.getloadavg()[0]
    rows: list[tuple[str, str, float, float, float]] = []
    checks: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for rep in range(args.repeat):
                # peer; coredge with an empty plan store (cold: it plans); coredge again with the
                # plans the cold run stored (warm); with --peer-store the peer likewise
                store = Path(tmp) / f"plans-{name}-{rep}"
                peer_store = Path(tmp) / f"peer-plans-{name}-{rep}"
                runs: list[tuple[str, Path, Path | None]] = (
                    [("peer (cold)", args.peer_src.resolve(), peer_store)] if args.peer_store
                    else [("peer", args.peer_src.resolve(), None)])
                runs += [("coredge (cold)", args.src.resolve(), store)]
                if args.peer_store:
                    runs += [("peer (warm store)", args.peer_src.resolve(), peer_store)]
                runs += [("coredge (warm store)", args.src.resolve(), store)]
                for label, src, st in runs:
                    load_before = os.getloadavg()[0]
                    r = time_command(src, name, Path(tmp), st)
                    rows.append((name, label, float(r["wall_s"]), float(r["cpu_s"]), load_before))  # type: ignore[arg-type]
                    out: dict[str, Any] = r["out"]  # type: ignore[assignment]
                    if name == "risk":
                        checks.append(f"{label} risk base NPV {out['base_npv_usd']:.6e}, P50 "
                                      f"{out['npv_p50_usd']:.6e}, IRR P50 {out['irr_p50']:.6f}, "
                                      f"{out.get('build_phases')} build phases, "
                                      f"source {out.get('source')}")
                    else:
                        st_ = out.get("strategies", out)
                        checks.append(f"{label} compare NPV by strategy "
                                      + ", ".join(f"{k} {v['npv_usd']:.4e}" for k, v in st_.items()))
                    print(f"{name} {label}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU", file=sys.stderr)
    print("## Studies (`coredge compare`, `coredge risk`)\n")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores shared (load average at start "
          f"{load:.1f}; figures may be noisy); date {dt.date.today().isoformat()}; command "
          f"`python benchmarks/bench_studies.py --peer-src {args.peer_src} --src {args.src} "
          f"--repeat {args.repeat} --commands {','.join(names)}"
          f"{' --peer-store' if args.peer_store else ''}`.\n")
    print("Peer: the same commands on an earlier tree (`--peer-src`), alternating with this one.\n")
    print("| command | tree | wall [s] | CPU [s] | load before |\n|---|---|---|---|---|")
    for name, label, wall, cpu, ld in rows:
        print(f"| `coredge {' '.join(COMMANDS[name])}` | {label} | {wall:.1f} | {cpu:.1f} | {ld:.1f} |")
    print()
    for name in names:
        labs = sorted({r[1] for r in rows if r[0] == name}, key=[r[1] for r in rows].index)
        w = {lab: [r[2] for r in rows if r[0] == name and r[1] == lab] for lab in labs}
        c = {lab: [r[3] for r in rows if r[0] == name and r[1] == lab] for lab in labs}
        pairs = ([("peer (cold)", "coredge (cold)"), ("peer (warm store)", "coredge (warm store)")]
                 if args.peer_store else [("peer", "coredge (cold)"), ("peer", "coredge (warm store)")])
        for peer, lab in pairs:
            print(f"Ratio `{name}` {peer} / {lab}: {min(w[peer]) / min(w[lab]):.1f}x wall, "
                  f"{min(c[peer]) / min(c[lab]):.1f}x CPU (best of each).")
    print()
    for line in checks:
        print(f"- {line}")


if __name__ == "__main__":
    main()
