"""``coredge simulate``: JSON summary on the last stdout line, exit code 2 for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from coredge.cli import main

CliCall = Callable[..., tuple[int, str, str]]

SPEC = {
    "sites": [{"id": "s0", "servers": 8, "queue_limit": 64}, {"id": "s1", "servers": 4, "queue_limit": 16}],
    "demand": [{"id": "d0", "rate_per_s": 60.0}, {"id": "d1", "rate_per_s": 150.0}],
    "rtt_ms": [[5.0, 12.0], [20.0, 3.0]],
    "service": {"distribution": "exponential", "mean_ms": 50.0},
    "routing": {"policy": "nearest-available", "max_hops": None},
}
KEYS = ("requests", "completed", "dropped", "p50_ms", "p95_ms", "p99_ms", "mean_wait_ms",
        "utilization", "sim_wall_s", "requests_per_s")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh interpreter (slow: used once)."""
    return subprocess.run([sys.executable, "-m", "coredge", "simulate", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliCall:
    """``coredge simulate ARGS`` in-process through `coredge.cli.main` -> (exit code, out, err)."""

    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["coredge", "simulate", *args])
        with pytest.raises(SystemExit) as info:
            main()
        captured = capsys.readouterr()
        code = info.value.code
        return (0 if code is None else int(code)), captured.out, captured.err

    return call


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(SPEC))
    return p


def test_json_summary_and_tables(spec_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = run(str(spec_file), "--requests", "2e4", "--seed", "4", "--json", "--out", str(out),
            "--fail-site", "s1", "--at", "10", "--for", "5")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    for key in KEYS:
        assert key in summary
    assert summary["requests"] == 20_000 == summary["completed"] + summary["dropped"]
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    assert summary["faults"]["windows"] == [{"site": "s1", "at_s": 10.0, "for_s": 5.0}]
    assert json.loads((out / "summary.json").read_text())["requests"] == 20_000
    sites = pd.read_parquet(out / "sites.parquet")
    assert sites["served"].sum() == summary["completed"]
    assert len(pd.read_parquet(out / "timeseries.parquet")) >= 1
    assert not list(tmp_path.glob(".*tmp"))


def test_hours_and_policy(spec_file: Path, cli: CliCall) -> None:
    code, out, err = cli(str(spec_file), "--hours", "0.01", "--policy", "least-expected-latency", "--json")
    assert code == 0, err
    s = json.loads(out.strip().splitlines()[-1])
    assert s["policy"] == "least-expected-latency"
    assert s["horizon_s"] == pytest.approx(36.0)
    # 210 requests/s for 36 s: Poisson count within 5 sigma
    assert abs(s["requests"] - 7560) < 5 * 7560**0.5


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--policy", "random"], "--policy"),
        (["--requests", "0"], "--requests"),
        (["--requests", "many"], "--requests"),
        (["--requests", "10", "--hours", "1"], "--hours"),
        (["--fail-site", "nope", "--at", "1", "--for", "1"], "--fail-site"),
        (["--fail-site", "s0"], "--at"),
    ],
)
def test_bad_options_exit_2(spec_file: Path, args: list[str], needle: str, cli: CliCall) -> None:
    code, _, err = cli(str(spec_file), *args)
    assert code == 2, err
    assert needle in err and "Traceback" not in err


def test_bad_spec_exit_2_names_path(tmp_path: Path, cli: CliCall) -> None:
    bad = dict(SPEC, sites=[{"id": "s0", "servers": -1, "queue_limit": 64}, SPEC["sites"][1]])
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    code, _, err = cli(str(p))
    assert code == 2
    assert "sites[0].servers" in err and "Traceback" not in err
    code, _, err = cli(str(tmp_path / "missing.json"))
    assert code == 2 and "PLAN_DIR_OR_SPEC" in err
    code, _, err = cli(str(tmp_path))
    assert code == 2 and "plan.json" in err  # a directory without a plan


def test_human_output_table(spec_file: Path, cli: CliCall) -> None:
    code, out, _ = cli(str(spec_file), "-n", "5000")
    assert code == 0
    assert "p99_ms" in out and "requests" in out


def test_link_and_derate_options(spec_file: Path, cli: CliCall) -> None:
    code, out, err = cli(str(spec_file), "--requests", "2e4", "--json", "--link", "s0,10,20,cut,d0",
                         "--derate", "s1,5,10,0.5", "--link", "s1,0,5,7.5")
    assert code == 0, err
    s = json.loads(out.strip().splitlines()[-1])
    w = s["faults"]["windows"]
    assert {"site": "s0", "at_s": 10.0, "for_s": 20.0, "kind": "link", "demand": ["d0"], "rtt_penalty_ms": None} in w
    assert {"site": "s1", "at_s": 5.0, "for_s": 10.0, "kind": "derate", "fraction": 0.5} in w
    assert {"site": "s1", "at_s": 0.0, "for_s": 5.0, "kind": "link", "demand": None, "rtt_penalty_ms": 7.5} in w
    assert s["faults"]["classes"]["default"]["requests_during"] == s["faults"]["requests_during"] > 0


@pytest.mark.parametrize(("args", "needle"), [
    (["--link", "s0,10"], "--link"),
    (["--link", "zz,1,2"], "site"),
    (["--link", "s0,1,2,cut,nope"], "demand"),
    (["--derate", "s0,1,2,1.5"], "--derate"),
    (["--derate", "s0,1,x,0.5"], "--derate"),
])
def test_bad_fault_options_exit_2(spec_file: Path, args: list[str], needle: str, cli: CliCall) -> None:
    code, _, err = cli(str(spec_file), "--requests", "1e3", *args)
    assert code == 2 and needle in err and "Traceback" not in err
