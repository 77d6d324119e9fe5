"""Responses of training to curtailment events: pause, power cap, migration (training.curtail)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coredge.errors import InputError
from coredge.training.curtail import (
    CAP_THROUGHPUT_EXPONENT,
    capped_throughput,
    checkpoint_gb,
    compare_responses,
    respond,
    transfer_h,
)
from coredge.training.flex import FlexCampus, make_deadlines

H = 240
W = 1000.0  # W per GPU


def _campus(sid: str, gpus: int, price: float, events: list[tuple[int, int, float]] | None = None,
            carbon: float = 400.0) -> FlexCampus:
    avail = np.ones(H)
    for a, b, s in events or []:
        avail[a:b] = s
    return FlexCampus(sid, gpus, 1.2, np.full(H, price) + np.arange(H) % 24, np.full(H, carbon), avail)


def _jobs(n: int = 4) -> pd.DataFrame:
    rel = np.arange(n) * 5.0
    dur = np.full(n, 40.0)
    return pd.DataFrame({"job_id": [f"j{i}" for i in range(n)], "gpus": 100, "duration_h": dur,
                         "release_h": rel, "deadline_h": make_deadlines(rel, dur, 0.5), "home": "a",
                         "checkpoint_gb": 500.0})


def test_cap_throughput_and_transfer_time() -> None:
    assert capped_throughput(1.0) == pytest.approx(1.0)
    assert capped_throughput(0.75) == pytest.approx(0.75 ** CAP_THROUGHPUT_EXPONENT)
    # a cap keeps more throughput than it cuts power (work per MWh rises)
    assert capped_throughput(0.75) > 0.75
    assert transfer_h(3600.0, 8.0) == pytest.approx(1.0)  # 3.6 TB at 8 Gbit/s: one hour
    assert checkpoint_gb("frontier-pretrain", 8) == pytest.approx(405e9 * 16 / 1e9)


def test_pause_accounting_identities() -> None:
    a = _campus("a", 400, 50.0, [(20, 26, 0.5)])
    jobs = _jobs()
    jobs.loc[0, "deadline_h"] = 41.0  # j0 (always-on finish 40 h) has one hour of slack
    r = respond([a], jobs, W, "pause")
    s = r.summary
    mw = 100 * W * 1.2 / 1e6
    # 400 GPUs running, 200 allowed for 6 h: two jobs with slack pause (not j0), one restart each
    assert s["restarts"] == 2 and s["jobs_affected"] == 2
    assert set(r.jobs["job_id"]) == {"j1", "j2"}  # equal slack: by id
    assert s["curtailed_mwh"] == pytest.approx(2 * 6 * mw)
    # energy = always-on - not drawn in the event + the work and restarts done later
    later = float((r.jobs["later_h"] * r.jobs["gpus"]).sum()) * W * 1.2 / 1e6
    assert s["energy_mwh"] == pytest.approx(compare_responses([a], jobs, W)["always_on"]["energy_mwh"]
                                            - s["curtailed_mwh"] + later)
    assert r.jobs["lost_h"].tolist() == pytest.approx([0.25, 0.25])
    assert s["lost_gpu_h"] == pytest.approx(2 * 100 * 0.25)
    assert s["delayed_gpu_h"] == pytest.approx(2 * 100 * 6.25)
    assert s["late_jobs"] == 0


def test_cap_slows_everyone_without_restarts_and_uses_less_energy_than_pause() -> None:
    a = _campus("a", 400, 50.0, [(20, 26, 0.75)])
    pause, cap = respond([a], _jobs(), W, "pause"), respond([a], _jobs(), W, "cap")
    assert cap.summary["restarts"] == 0 and cap.summary["lost_gpu_h"] == 0.0
    assert cap.summary["jobs_affected"] == 4
    # every running job at 75 % power for 6 h: 6 x (1 - 0.75^k) h of work done later each
    assert cap.jobs["deferred_h"].tolist() == pytest.approx([6 * (1 - 0.75 ** CAP_THROUGHPUT_EXPONENT)] * 4)
    # the same energy cut in the event, but capped hours do more work per MWh
    assert cap.summary["curtailed_mwh"] == pytest.approx(pause.summary["curtailed_mwh"])
    mw = 100 * W * 1.2 / 1e6
    k = CAP_THROUGHPUT_EXPONENT
    assert cap.summary["extra_energy_mwh"] == pytest.approx(4 * 6 * mw * (0.75 - 0.75 ** k))
    assert pause.summary["extra_energy_mwh"] == pytest.approx(pause.summary["restarts"] * 0.25 * mw)
    assert cap.summary["extra_energy_mwh"] < 0.0 < pause.summary["extra_energy_mwh"]
    assert cap.summary["delayed_gpu_h"] < pause.summary["delayed_gpu_h"]
    assert cap.summary["late_jobs"] == pause.summary["late_jobs"] == 0


def test_migration_moves_the_paused_jobs_when_the_wan_and_a_free_campus_allow() -> None:
    a = _campus("a", 400, 50.0, [(20, 26, 0.5)])
    b = _campus("b", 400, 30.0, carbon=100.0)
    m = respond([a, b], _jobs(), W, "migrate", wan_gbps=400.0)
    assert m.summary["migrations"] == 2 and m.summary["restarts"] == 0
    over = 2 * (transfer_h(500.0, 400.0) + 0.25)
    assert m.jobs["lost_h"].tolist() == pytest.approx([over, over])
    p = respond([a, b], _jobs(), W, "pause")
    assert m.summary["delayed_gpu_h"] < p.summary["delayed_gpu_h"]
    # the event hours ran at the cleaner campus
    assert m.summary["co2_hourly_t"] < p.summary["co2_hourly_t"]
    # a slow WAN makes the move longer than the event: the jobs pause instead
    slow = respond([a, b], _jobs(), W, "migrate", wan_gbps=0.1)
    assert slow.summary["migrations"] == 0 and slow.summary["restarts"] == 2
    # no free campus: pause
    full = respond([a, _campus("b", 50, 30.0)], _jobs(), W, "migrate")
    assert full.summary["migrations"] == 0


def test_cap_spares_a_job_without_slack() -> None:
    a = _campus("a", 400, 50.0, [(20, 26, 0.75)])
    jobs = _jobs()
    jobs.loc[0, "deadline_h"] = 40.5  # j0 cannot finish later
    cap = respond([a], jobs, W, "cap")
    assert "j0" not in set(cap.jobs["job_id"]) and cap.summary["late_jobs"] == 0
    # the other three share 300 - 100 GPUs' worth of power: s = 2/3 each
    assert cap.jobs["deferred_h"].tolist() == pytest.approx([6 * (1 - (2 / 3) ** CAP_THROUGHPUT_EXPONENT)] * 3)


def test_every_deadline_met_and_bad_mode() -> None:
    a = _campus("a", 400, 50.0, [(20, 26, 0.5), (60, 70, 0.6)])
    out = compare_responses([a, _campus("b", 400, 40.0)], _jobs(), W)
    for mode in ("pause", "cap", "migrate"):
        assert out[mode]["late_jobs"] == 0
    with pytest.raises(InputError):
        respond([a], _jobs(), W, "stop")
    assert compare_responses([_campus("b", 400, 40.0)], _jobs().assign(home="b"), W) == {}
