"""Traffic bursts: scheduled surges (counts inside/outside against factor x rate, Poisson
4-sigma), the MMPP against its stationary mean and asymptotic count variance, chunk-size
independence, same seed same results, validation, CLI ``--burst``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.sim import simulate, spec_from_dict
from coredge.sim.bursts import mmpp_count_variance, mmpp_mean_rate_per_s
from coredge.sim.spec import BurstSpec
from coredge.sim.traffic import TrafficSource
from coredge_testing import run_cli


def _spec(**extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "sites": [{"id": "s0", "servers": 10_000, "queue_limit": 0}],
        "demand": [{"id": "d0", "rate_per_s": 400.0}, {"id": "d1", "rate_per_s": 600.0}],
        "rtt_ms": [[1.0], [2.0]],
        "classes": [
            {"id": "a", "share": 1.0, "service": {"distribution": "deterministic", "mean_ms": 1.0}},
            {"id": "b", "share": 1.0, "service": {"distribution": "deterministic", "mean_ms": 1.0}},
        ],
    }
    d.update(extra)
    return d


def _all(src: TrafficSource, t_end_ms: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ts, ds, ks = [], [], []
    while True:
        ch = src.next_chunk(1 << 16, t_end_ms)
        if len(ch.arr_ms) == 0:
            break
        ts.append(ch.arr_ms)
        ds.append(ch.row // src.n_class)
        ks.append(ch.row % src.n_class)
    return np.concatenate(ts), np.concatenate(ds), np.concatenate(ks)


def _within(observed: float, expected: float, var: float, n_sd: float = 4.0) -> None:
    assert abs(observed - expected) <= n_sd * math.sqrt(var), (observed, expected, math.sqrt(var))


def test_scheduled_burst_counts_match_factor_times_rate() -> None:
    # burst x3 on d0 only during [100, 150) s of counted time; warm-up of 10 s shifts generator time
    spec = spec_from_dict(_spec(bursts=[{"at_s": 100.0, "for_s": 50.0, "factor": 3.0, "demand": ["d0"]}]))
    warm_ms = 10_000.0
    src = TrafficSource(spec, seed=3, offset_ms=warm_ms)
    t, d, _ = _all(src, warm_ms + 300_000.0)
    t = (t - warm_ms) / 1000.0
    t, d = t[t >= 0], d[t >= 0]
    inside = (t >= 100.0) & (t < 150.0)
    for dem, rate, factor in ((0, 400.0, 3.0), (1, 600.0, 1.0)):
        n_in = float(((d == dem) & inside).sum())
        n_out = float(((d == dem) & ~inside).sum())
        _within(n_in, factor * rate * 50.0, factor * rate * 50.0)
        _within(n_out, rate * 250.0, rate * 250.0)
    # a wrong factor (or a window not shifted by the warm-up) would be far outside 4 sd
    assert abs(float(((d == 0) & inside).sum()) - 400.0 * 50.0) > 100 * math.sqrt(20_000)


def test_burst_on_one_class_only() -> None:
    spec = spec_from_dict(_spec(bursts=[{"at_s": 50.0, "for_s": 50.0, "factor": 4.0, "classes": ["b"]}]))
    t, _, k = _all(TrafficSource(spec, seed=5), 200_000.0)
    inside = (t >= 50_000.0) & (t < 100_000.0)
    half = 500.0  # each class gets half of the 1000/s
    _within(float(((k == 1) & inside).sum()), 4.0 * half * 50.0, 4.0 * half * 50.0)
    _within(float(((k == 0) & inside).sum()), half * 50.0, half * 50.0)
    _within(float(((k == 1) & ~inside).sum()), half * 150.0, half * 150.0)


def test_mmpp_long_run_rate_and_burst_state_rate() -> None:
    rate, f, mb, mq, horizon_s = 1000.0, 3.0, 0.1, 0.4, 500.0
    spec = spec_from_dict(_spec(
        demand=[{"id": "d0", "rate_per_s": rate}], rtt_ms=[[1.0]],
        bursts=[{"kind": "random", "factor": f, "mean_burst_s": mb, "mean_quiet_s": mq}]))
    src = TrafficSource(spec, seed=11)
    t, _, _ = _all(src, horizon_s * 1000.0)
    mean = mmpp_mean_rate_per_s(rate, f, mb, mq)
    assert mean == pytest.approx(1400.0)
    _within(float(len(t)), mean * horizon_s, mmpp_count_variance(rate, f, mb, mq, horizon_s))
    # rate inside the path's burst periods is factor x rate, outside it is rate (Poisson given the path)
    assert src.bursts is not None
    periods = np.array(src.bursts.burst_periods_s(0, horizon_s))
    periods = np.clip(periods, 0.0, horizon_s)
    burst_time = float((periods[:, 1] - periods[:, 0]).sum())
    ts = t / 1000.0
    j = np.searchsorted(periods[:, 0], ts, side="right") - 1
    in_b = (j >= 0) & (ts < periods[np.maximum(j, 0), 1])
    _within(float(in_b.sum()), f * rate * burst_time, f * rate * burst_time)
    _within(float((~in_b).sum()), rate * (horizon_s - burst_time), rate * (horizon_s - burst_time))
    # the share of time in bursts approaches mb / (mb + mq) = 0.2 (~1,000 cycles: sd ~ 0.006)
    assert burst_time / horizon_s == pytest.approx(0.2, abs=0.03)


def test_mmpp_variance_formula_reduces_to_poisson() -> None:
    assert mmpp_count_variance(50.0, 1.0, 2.0, 3.0, 100.0) == pytest.approx(5000.0)
    assert mmpp_count_variance(50.0, 3.0, 2.0, 3.0, 100.0) > 50.0 * 1.8 * 100.0


def test_bursts_independent_of_chunk_size_and_seeded() -> None:
    spec = spec_from_dict(_spec(
        diurnal={"amplitude": 0.5, "peak_hour_local": 0.0},
        demand=[{"id": "d0", "rate_per_s": 400.0, "utc_offset_h": 0.0},
                {"id": "d1", "rate_per_s": 600.0, "utc_offset_h": -5.0}],
        bursts=[{"at_s": 2.0, "for_s": 3.0, "factor": 5.0, "classes": ["a"], "demand": ["d1"]},
                {"kind": "random", "factor": 2.5, "mean_burst_s": 0.3, "mean_quiet_s": 1.0}]))
    a = simulate(spec, requests=20_000, seed=7, record=True, warmup_s=1.0)
    b = simulate(spec, requests=20_000, seed=7, record=True, warmup_s=1.0, chunk_size=777)
    c = simulate(spec, requests=20_000, seed=8, record=True, warmup_s=1.0)
    assert a.requests_table is not None and b.requests_table is not None and c.requests_table is not None
    assert a.requests_table.equals(b.requests_table)
    assert not a.requests_table["arrival_ms"].equals(c.requests_table["arrival_ms"])
    assert a.summary["bursts"][0]["factor"] == 5.0


def test_burst_passed_to_simulate_and_summary() -> None:
    spec = spec_from_dict(_spec())
    burst = BurstSpec(at_s=1.0, for_s=1.0, factor=10.0)
    r = simulate(spec, hours=3.0 / 3600.0, seed=1, bursts=[burst])
    # 1000/s for 2 s + 10,000/s for 1 s = 12,000 expected
    _within(float(r.summary["requests"]), 12_000.0, 12_000.0)
    assert r.summary["bursts"] == [{"kind": "scheduled", "factor": 10.0, "at_s": 1.0, "for_s": 1.0}]


@pytest.mark.parametrize(("burst", "field"), [
    ({"factor": 2.0, "for_s": 1.0}, "bursts[0].at_s"),
    ({"factor": 2.0, "at_s": 1.0, "for_s": 1.0, "mean_burst_s": 1.0}, "bursts[0].mean_burst_s"),
    ({"kind": "random", "factor": 2.0, "mean_burst_s": 1.0}, "bursts[0].mean_quiet_s"),
    ({"factor": 2.0, "at_s": 1.0, "for_s": 1.0, "demand": ["nope"]}, "bursts[0].demand"),
    ({"factor": 2.0, "at_s": 1.0, "for_s": 1.0, "classes": []}, "bursts[0].classes"),
    ({"factor": -1.0, "at_s": 1.0, "for_s": 1.0}, "bursts[0].factor"),
])
def test_burst_validation(burst: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as e:
        spec_from_dict(_spec(bursts=[burst]))
    assert field in [p.field for p in e.value.problems]


def test_cli_burst(tmp_path: Path) -> None:
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(_spec()), encoding="utf-8")
    cmd = ["simulate", str(p), "--hours", str(3.0 / 3600.0), "--burst", "1,1,10", "--json"]
    out = run_cli(*cmd)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    _within(float(s["requests"]), 12_000.0, 12_000.0)
    assert s["bursts"][0]["factor"] == 10.0
    out = run_cli(*cmd[:-3], "--burst", "1,1,10,d0;d1")
    assert out.returncode == 0, out.stderr
    bad = run_cli(*cmd[:-3], "--burst", "1,x")
    assert bad.returncode == 2 and "--burst" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli(*cmd[:-3], "--burst", "1,1,2,zz")
    assert bad.returncode == 2 and "zz" in bad.stderr
