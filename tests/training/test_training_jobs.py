"""Training jobs at a core campus: gang scheduling (FIFO, EASY backfill), checkpoints, failures.

Truth from outside the code: schedules worked out by hand; the renewal argument for the work lost
per failure (``E[X | X < C]``, X exponential); Poisson failure counts; offered load = utilisation
for a stable pool; the training estimator for durations.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coredge.errors import InputError
from coredge.physics.training import estimate
from coredge.training.jobs import (
    DEFAULT_MIX,
    JobClass,
    expected_lost_per_failure_h,
    job_duration_h,
    poisson_jobs,
    simulate_training,
)

HAND = [  # pool of 10 GPUs
    {"job_id": "A", "arrival_h": 0.0, "gpus": 6, "duration_h": 10.0},
    {"job_id": "B", "arrival_h": 1.0, "gpus": 8, "duration_h": 5.0},
    {"job_id": "C", "arrival_h": 2.0, "gpus": 4, "duration_h": 8.0},
]


def _starts(r: object) -> dict[str, float]:
    jobs = r.jobs  # type: ignore[attr-defined]
    return dict(zip(jobs["job_id"], jobs["start_h"], strict=True))


def test_no_failures_no_queueing_wall_equals_duration_and_energy() -> None:
    jobs = [{"arrival_h": 0.0, "gpus": 8, "duration_h": 10.0}, {"arrival_h": 3.0, "gpus": 16, "duration_h": 2.5}]
    r = simulate_training(32, jobs, mtbf_gpu_h=None, pue=1.2, power_w_per_gpu=1000.0)
    assert r.jobs["wall_h"].tolist() == [10.0, 2.5]
    assert r.jobs["queue_delay_h"].tolist() == [0.0, 0.0]
    assert r.summary["lost_gpu_h"] == 0.0 and r.summary["failures"] == 0
    # (8 x 10 + 16 x 2.5) GPU-h x 1 kW x PUE 1.2 = 144 kWh
    assert r.summary["energy_mwh"] == pytest.approx(0.144)


def test_fifo_by_hand_and_easy_backfill_by_hand() -> None:
    fifo = simulate_training(10, HAND, mtbf_gpu_h=None)
    # A [0, 10); B needs 8: waits for A; C waits behind B (FIFO) until B ends at 15
    assert _starts(fifo) == {"A": 0.0, "B": 10.0, "C": 15.0}
    easy = simulate_training(10, HAND, mtbf_gpu_h=None, backfill=True)
    # B's reservation is t = 10 (A ends); C (4 GPUs, 8 h) fits in the 4 free GPUs and ends at 10
    assert _starts(easy) == {"A": 0.0, "B": 10.0, "C": 2.0}
    assert easy.backfills.to_dict(orient="records") == [
        {"t_h": 2.0, "job_id": "C", "head_job_id": "B", "reservation_h": 10.0}]
    # C one hour longer would end after the reservation and needs more than the 2 spare GPUs
    longer = [dict(j) for j in HAND]
    longer[2]["duration_h"] = 9.0
    assert _starts(simulate_training(10, longer, mtbf_gpu_h=None, backfill=True))["C"] == 15.0
    # ... but a 2-GPU job may run past the reservation on the GPUs B will not need
    small = [*HAND[:2], {"job_id": "D", "arrival_h": 2.0, "gpus": 2, "duration_h": 100.0}]
    assert _starts(simulate_training(10, small, mtbf_gpu_h=None, backfill=True)) == {"A": 0.0, "B": 10.0, "D": 2.0}


def _random_jobs(n: int, seed: int, pool: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"arrival_h": np.cumsum(rng.exponential(2.0, n)),
                         "gpus": rng.choice([8, 16, 32, 64, 128], n),
                         "duration_h": rng.lognormal(1.5, 1.0, n)})


def test_fifo_order_and_easy_never_delays_the_head() -> None:
    jobs = _random_jobs(600, 1, 128)
    fifo = simulate_training(128, jobs, mtbf_gpu_h=None)
    by_arrival = fifo.jobs.sort_values("arrival_h", kind="stable")
    assert (np.diff(by_arrival["start_h"].to_numpy()) >= 0).all()  # nobody overtakes
    easy = simulate_training(128, jobs, mtbf_gpu_h=None, backfill=True)
    bf = easy.backfills
    assert len(bf) > 50
    start = dict(zip(easy.jobs["job_id"], easy.jobs["start_h"], strict=True))
    # EASY: the head of the queue at each backfill starts no later than its reservation
    assert all(start[h] <= res + 1e-9 for h, res in zip(bf["head_job_id"], bf["reservation_h"], strict=True))
    assert easy.summary["mean_queue_delay_h"] < fifo.summary["mean_queue_delay_h"]


def test_lost_work_per_failure_follows_the_renewal_argument() -> None:
    """One 100-GPU job class, MTBF 500 GPU-h: lam = 0.2 /h, C = 1 h, ~4,400 failures."""
    jobs = [{"arrival_h": 0.0, "gpus": 100, "duration_h": 1000.0} for _ in range(20)]
    r = simulate_training(100, jobs, mtbf_gpu_h=500.0, checkpoint_h=1.0, restart_h=0.1, seed=3)
    lost = r.failures.loc[~r.failures["during_restart"], "lost_work_h"].to_numpy()
    exact = expected_lost_per_failure_h(0.2, 1.0)  # 0.4833 h
    se = lost.std() / math.sqrt(len(lost))
    assert len(lost) > 3000 and abs(lost.mean() - exact) < 4 * se
    assert abs(lost.mean() - 0.5) < 0.03  # ~ C / 2
    # failures are Poisson in held GPU-hours: count within 4 sd of GPU-h / MTBF
    held = float((r.jobs["gpus"] * r.jobs["wall_h"]).sum())
    assert abs(len(r.failures) - held / 500.0) < 4 * math.sqrt(held / 500.0)
    # accounting: wall = work + lost progress + restarts, per job
    j = r.jobs
    np.testing.assert_allclose(j["wall_h"], j["duration_h"] + j["lost_work_h"] + j["restart_h"], rtol=1e-9)
    assert r.summary["lost_gpu_h"] == pytest.approx(float((j["gpus"] * (j["lost_work_h"] + j["restart_h"])).sum()))


def test_utilisation_equals_offered_load_when_stable() -> None:
    pool, n = 256, 6000
    rng = np.random.default_rng(5)
    gpus = rng.choice([8, 16, 32], n)
    dur = rng.exponential(4.0, n)
    lam = 0.6 * pool / float(np.mean([8, 16, 32]) * 4.0)  # load 0.6 [jobs/h]
    arr = np.cumsum(rng.exponential(1.0 / lam, n))
    h = float(arr[-1])
    r = simulate_training(pool, pd.DataFrame({"arrival_h": arr, "gpus": gpus, "duration_h": dur}),
                          mtbf_gpu_h=None, horizon_h=h)
    assert r.summary["utilization"] == pytest.approx(r.summary["offered_load"], abs=0.005)
    assert r.summary["offered_load"] == pytest.approx(0.6, rel=0.05)


def test_durations_come_from_the_estimator_and_bad_input() -> None:
    e = estimate(70e9, 15e12, "h100", gpus=2048, goodput=1.0)
    assert job_duration_h(70e9, 15e12, 2048) == pytest.approx(e.days * 24.0)
    j = poisson_jobs(DEFAULT_MIX[:2], 4096, [0.01, 0.02], 1000.0, np.random.default_rng(0))
    assert set(j["gpus"]) == {2048, 1024} and (j["arrival_h"] < 1000.0).all()
    assert sum(c.gpu_hours_share for c in DEFAULT_MIX) == pytest.approx(1.0)
    with pytest.raises(InputError, match=r"jobs\.gpus"):
        simulate_training(8, [{"arrival_h": 0.0, "gpus": 16, "duration_h": 1.0}])
    with pytest.raises(InputError, match="checkpoint_h"):
        simulate_training(8, [{"arrival_h": 0.0, "gpus": 8, "duration_h": 1.0}], checkpoint_h=0.0)
    assert JobClass("x", 1e9, 1e9, 0.5, 1.0).max_gpus == 16_384
