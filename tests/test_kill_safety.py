"""Kills and interrupts: ``coredge run`` killed (SIGKILL) at random moments leaves its output
folder absent or complete, never half-written, and no visible stray folders (hidden leftovers
are cleaned by the next run); SIGINT exits 130 saying "interrupted" with no partial output; a
sweep killed mid-way resumes with no chunk lost or duplicated (checked in its DuckDB catalogue).

The outcome asserted never depends on when the kill lands: whatever the moment, the folder is
absent or complete.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coredge.files import MARKER, atomic_dir, clean_stale, read_marker
from coredge.store import read_run
from coredge_testing import TINY_BASE

pytestmark = pytest.mark.slow

SCENARIO = TINY_BASE + "planning: {planner: greedy}\n"


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """``coredge ARGS`` in its own process group, stderr to ``cwd/../stderr.txt``."""
    with (cwd.parent / "stderr.txt").open("w", encoding="utf-8") as err:
        return subprocess.Popen([sys.executable, "-m", "coredge", *args], cwd=cwd, text=True,
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def _stderr(cwd: Path) -> str:
    return (cwd.parent / "stderr.txt").read_text(encoding="utf-8")


def _wait_for(cond: object, proc: subprocess.Popen[str], limit_s: float = 300.0) -> bool:
    """Poll until `cond()` or the process ends; True if the condition was met."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if cond():  # type: ignore[operator]
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _visible(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))


def _hidden_leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def _absent_or_complete(out: Path) -> str:
    if not out.exists():
        return "absent"
    assert read_marker(out) is not None, sorted(p.name for p in out.iterdir())
    run = read_run(out)  # every file it needs is there and valid
    assert run.scenario.name == "tiny" and (out / "report.html").is_file()
    return "complete"


def test_run_killed_at_random_moments_leaves_nothing_half_written(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "tiny.yaml").write_text(SCENARIO, encoding="utf-8")
    out = work / "out"
    rng = random.Random(15)
    seen: list[str] = []
    # moments: when the hidden temporary folder appears, once it holds plan.json, and two
    # random delays after it appears (planning, simulation, report writing)
    moments: list[tuple[str, float]] = [("tmp", 0.0), ("plan", 0.0),
                                        ("tmp", rng.uniform(0.0, 3.0)), ("tmp", rng.uniform(0.0, 8.0))]
    for what, delay in moments:
        args = ["run", "tiny.yaml", "--out", "out"] + (["--overwrite"] if out.exists() else [])
        proc = _start(args, work)

        def ready(what: str = what) -> bool:
            tmps = [p for p in work.glob(".out.tmp-*") if p.is_dir()]
            return bool(tmps) if what == "tmp" else any((p / "plan.json").exists() for p in tmps)

        _wait_for(ready, proc)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        seen.append(_absent_or_complete(out))
        assert _visible(work) in (["tiny.yaml"], ["out", "tiny.yaml"])
    # the next run cleans the hidden leftovers of the killed ones and completes
    args = ["run", "tiny.yaml", "--out", "out"] + (["--overwrite"] if out.exists() else [])
    done = subprocess.run([sys.executable, "-m", "coredge", *args], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _absent_or_complete(out) == "complete"
    assert _hidden_leftovers(work, "out") == []
    assert _visible(work) == ["out", "tiny.yaml"]
    assert "absent" in seen  # at least one kill landed before the rename


def test_sigint_exits_130_with_no_partial_output(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "tiny.yaml").write_text(SCENARIO, encoding="utf-8")
    proc = _start(["run", "tiny.yaml", "--out", "out"], work)
    assert _wait_for(lambda: any(work.glob(".out.tmp-*")), proc)
    os.kill(proc.pid, signal.SIGINT)
    proc.wait(timeout=120)
    err = _stderr(work)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (work / "out").exists() and _hidden_leftovers(work, "out") == []


def test_sigterm_exits_143_with_no_partial_output(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "tiny.yaml").write_text(SCENARIO, encoding="utf-8")
    proc = _start(["run", "tiny.yaml", "--out", "out"], work)
    assert _wait_for(lambda: any(work.glob(".out.tmp-*")), proc)
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=120)
    err = _stderr(work)
    assert proc.returncode == 143, err
    assert "interrupted" in err
    assert not (work / "out").exists() and _hidden_leftovers(work, "out") == []


def test_kill_between_the_two_renames_keeps_the_old_output(tmp_path: Path) -> None:
    """Killed after the old output was moved aside but before the new one was renamed in: the
    next write puts the old one back first (it was complete), then replaces it as asked."""
    final = tmp_path / "out"
    with atomic_dir(final, "run") as tmp:
        (tmp / "a.txt").write_text("old", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    os.replace(final, tmp_path / f".out.old-{pid}-abcd1234")
    (tmp_path / f".out.tmp-{pid}-xyz").mkdir()
    clean_stale(final)
    assert (final / "a.txt").read_text(encoding="utf-8") == "old" and (final / MARKER).is_file()
    assert _hidden_leftovers(tmp_path, "out") == []


TASK = '''
import os, time
import pandas as pd

def task(params):
    time.sleep(0.3)
    x = int(params["x"])
    return pd.DataFrame({"trial": [0, 1, 2], "value": [x, x + 1, x + 2]})
'''

DRIVER = '''
import sys
from sweeptask import task
from coredge.studies.sweep import run_sweep

if __name__ == "__main__":
    res = run_sweep(task, [{"x": x} for x in range(12)], sys.argv[1], n_workers=2, progress=False)
    print("ok" if res.ok else "failed", len(res.computed), len(res.skipped))
'''


def test_sweep_killed_midway_resumes_with_no_chunk_lost_or_duplicated(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from coredge.studies.sweep import query_catalogue

    (tmp_path / "sweeptask.py").write_text(TASK, encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "sweep"
    cmd = [sys.executable, "driver.py", str(out)]
    with (tmp_path / "log.txt").open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, text=True, stdout=log, stderr=log,
                                start_new_session=True)
    started = _wait_for(lambda: len(list((out / "chunks").glob("*.parquet"))) >= 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its workers
    proc.wait(timeout=60)
    done_before = len(list((out / "chunks").glob("*.parquet")))
    assert started and done_before < 12, (tmp_path / "log.txt").read_text(encoding="utf-8")
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    ok, computed, skipped = again.stdout.split()[-3:]
    assert ok == "ok" and int(skipped) == done_before and int(computed) == 12 - done_before
    rows = query_catalogue(out, "SELECT param_x, count(*) AS n FROM results GROUP BY 1 ORDER BY 1")
    assert rows["param_x"].tolist() == list(range(12)) and set(rows["n"]) == {3}
    chunks = query_catalogue(out, "SELECT count(*) AS n, count(DISTINCT chunk_id) AS d FROM chunks")
    assert int(chunks["n"][0]) == int(chunks["d"][0]) == 12
    assert not list(out.rglob("*.tmp"))
