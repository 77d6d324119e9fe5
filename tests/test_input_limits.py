"""The input defects of the hardening issue, each through the CLI as a user meets it: every one
exits 2 with a message naming the file, field or option (never a traceback, MemoryError,
RecursionError or a job that runs until killed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coredge_testing import TINY_BASE, run_cli

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
"""The "billion laughs": 9^9 = 387 million strings from a few hundred bytes."""

SPEC = {"sites": [{"id": "s0", "servers": 4}], "demand": [{"id": "d0", "rate_per_s": 12.5}],
        "rtt_ms": [[3.0]], "service": {"distribution": "exponential", "mean_ms": 50}}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _refused(*args: str, expect: tuple[str, ...]) -> str:
    res = run_cli(*args)
    msg = res.stderr + res.stdout
    assert res.returncode == 2, msg
    assert "Traceback" not in msg and "internal error" not in msg, msg
    flat = " ".join(msg.split())
    for s in expect:
        assert s in flat, (s, msg)
    return flat


def test_alias_bomb_scenario(tmp_path: Path) -> None:
    p = _write(tmp_path, "bomb.yaml", "name: bomb\n" + LAUGHS)
    _refused("validate", str(p), expect=("bomb.yaml", "aliases are expanded"))


def test_deep_yaml_scenario(tmp_path: Path) -> None:
    p = _write(tmp_path, "deep.yaml", "name: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    _refused("run", str(p), expect=("deep.yaml", "nesting at most", "line 2"))


def test_deep_json_spec(tmp_path: Path) -> None:
    p = _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    _refused("simulate", str(p), expect=("deep.json", "nesting at most"))


def test_duplicate_keys_in_scenario_and_spec(tmp_path: Path) -> None:
    p = _write(tmp_path, "dup.yaml", TINY_BASE + "seed: 1\nseed: 2\n")
    _refused("validate", str(p), expect=("dup.yaml", "duplicate key 'seed'"))
    text = json.dumps(SPEC).replace('"servers": 4', '"servers": 4, "servers": 8')
    s = _write(tmp_path, "dup.json", text)
    _refused("simulate", str(s), expect=("dup.json", "'servers' appears twice"))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("demand: {requests_per_capita_per_day: .inf}", "demand.requests_per_capita_per_day"),
        ("economics: {electricity_price_usd_per_mwh: .inf}", "economics.electricity_price_usd_per_mwh"),
        ("planning: {time_limit_s: .inf}", "planning.time_limit_s"),
        ("demand: {market_share: .nan}", "demand.market_share"),
        ("training: {it_mw_start: 1.0e+308}", "training.it_mw_start"),
        ("demand: {market_share: yes}", "demand.market_share"),
        ("seed: true", "seed"),
        ("grid: {state_caps_mw: {TX: true}}", "grid.state_caps_mw"),
        ("grid: {state_caps_mw: {ZZ: 100}}", "grid.state_caps_mw.ZZ"),
        ("demand: {countries: [XX]}", "demand.countries[0]"),
    ],
)
def test_values_no_user_means(tmp_path: Path, extra: str, field: str) -> None:
    base = TINY_BASE.replace("training: {it_mw_start: 50.0}\n", "")
    if not extra.startswith("training"):
        base += "training: {it_mw_start: 50.0}\n"
    if "countries" in extra:
        base, extra = base.replace("countries: [US]", "countries: [XX]"), ""
    elif extra.startswith("demand"):  # merge into the demand block of the tiny scenario
        key_val = extra.removeprefix("demand: {").removesuffix("}")
        base = base.replace("demand:\n", f"demand:\n  {key_val}\n", 1)
        extra = ""
    p = _write(tmp_path, "s.yaml", base + extra + "\n")
    _refused("validate", str(p), expect=(field,))


def test_finance_numbers_refuse_booleans_and_inf(tmp_path: Path) -> None:
    p = _write(tmp_path, "f.yaml", TINY_BASE + "finance: {risk: {n_trials: yes}}\n")
    _refused("validate", str(p), expect=("finance.risk.n_trials", "not a boolean"))


@pytest.mark.parametrize("value", ["1e10", "1e300"])
def test_simulate_request_count_is_bounded(tmp_path: Path, value: str) -> None:
    s = _write(tmp_path, "spec.json", json.dumps(SPEC))
    _refused("simulate", str(s), "--requests", value, expect=("--requests", "at most"))


def test_simulate_request_estimate_and_yes(tmp_path: Path) -> None:
    s = _write(tmp_path, "spec.json", json.dumps(SPEC))
    msg = _refused("simulate", str(s), "--requests", "2e9", expect=("--yes", "would take about", "GiB"))
    assert "requests/s" in msg
    _refused("simulate", str(s), "--hours", "1e9", expect=("--hours", "at most"))


def test_seed_minus_one_is_an_input_error(tmp_path: Path) -> None:
    s = _write(tmp_path, "spec.json", json.dumps(SPEC))
    _refused("simulate", str(s), "--seed", "-1", expect=("--seed",))


def test_risk_trials_bounded_with_estimate(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.yaml", TINY_BASE)
    _refused("risk", str(p), "--trials", "5000000", expect=("--trials", "GiB", "--yes"))
    _refused("risk", str(p), "--trials", "100000000", "--yes", expect=("--trials", "10,000,000"))


def test_sweep_trials_and_seed_and_scheduler(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.yaml", TINY_BASE)
    out = tmp_path / "sw"
    _refused("sweep", str(p), "--vary", "seed=1,2", "--trials", "9000000", "--chunks", "2",
             "--out", str(out), expect=("--trials", "--yes"))
    _refused("sweep", str(p), "--vary", "seed=1,2", "--seed", "-1", "--out", str(out), expect=("--seed",))
    _refused("sweep", str(p), "--vary", "seed=1,2", "--scheduler", "tcp://127.0.0.1:1",
             "--out", str(out), expect=("--scheduler", "tcp://127.0.0.1:1", "cannot connect"))
    assert not out.exists()
