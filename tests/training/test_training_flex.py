"""Training as a flexible load: accounting identities, deadlines, curtailment, the baseline.

Truth from outside the code: schedules worked out by hand on two-price days; energy and cost
identities (energy = sum of the hourly load; cost = load x price; work conserved between the
baseline and the shifted schedule); every shifted job meets its deadline; no campus runs more GPUs
than a curtailment event leaves it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coredge.errors import InputError
from coredge.power.grid import region_hourly
from coredge.training.flex import (
    FlexCampus,
    make_deadlines,
    savings,
    schedule_always_on,
    schedule_flexible,
    segments,
)

H = 8760


def _campus(sid: str, price: np.ndarray, gpus: int = 100, avail: np.ndarray | None = None,
            carbon: np.ndarray | None = None) -> FlexCampus:
    return FlexCampus(sid, gpus, 1.25, price, np.full(H, 400.0) if carbon is None else carbon,
                      np.ones(H) if avail is None else avail)


def _jobs(n: int, seed: int, homes: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rel = np.sort(rng.uniform(0, H - 500, n))
    dur = rng.uniform(2, 150, n)
    return pd.DataFrame({"job_id": np.arange(n), "gpus": rng.choice([8, 16, 32, 64], n),
                         "duration_h": dur, "release_h": rel,
                         "deadline_h": make_deadlines(rel, dur), "home": rng.choice(homes, n)})


@pytest.fixture(scope="module")
def real() -> tuple[list[FlexCampus], pd.DataFrame]:
    a = region_hourly("dallas-fort-worth", "TX")
    b = region_hourly("new-carlisle", "IN")
    avail = np.ones(H)
    avail[5000:5012] = 0.25  # a 12-hour curtailment event at the first campus
    cs = [FlexCampus("dfw", 200, 1.2, a.price_usd_per_mwh, a.carbon_g_per_kwh, avail),
          FlexCampus("nc", 200, 1.2, b.price_usd_per_mwh, b.carbon_g_per_kwh, np.ones(H))]
    return cs, _jobs(250, 3, ["dfw", "nc"])


@pytest.mark.parametrize("which", ["always-on", "shifted"])
def test_accounting_identities(real, which: str) -> None:  # type: ignore[no-untyped-def]
    cs, jobs = real
    s = (schedule_always_on(cs, jobs, 700.0) if which == "always-on"
         else schedule_flexible(cs, jobs, 700.0, carbon_usd_per_t=50.0))
    j = s.jobs
    # energy of each job = GPUs x W x PUE x run hours; run hours = work + restarts per resume
    pue = j["site_id"].map({c.site_id: c.pue for c in cs})
    assert np.allclose(j["energy_mwh"], j["gpus"] * 700.0 * pue * j["run_h"] / 1e6)
    assert np.allclose(j["run_h"], j["duration_h"] + (j["segments"] - 1) * 0.25)
    # the hourly load adds up to the jobs' energy; cost and CO2 likewise
    assert s.load_mw.sum() == pytest.approx(j["energy_mwh"].sum(), rel=1e-9)
    assert s.summary["energy_mwh"] == pytest.approx(j["energy_mwh"].sum(), rel=1e-9)
    assert s.summary["cost_usd"] == pytest.approx(j["cost_usd"].sum(), rel=1e-9)
    assert s.summary["co2_hourly_t"] == pytest.approx(j["co2_t"].sum(), rel=1e-9)
    # the work is the jobs' work
    assert s.summary["useful_gpu_h"] == pytest.approx((jobs["gpus"] * jobs["duration_h"]).sum())
    # never above the GPUs a curtailment event leaves
    for ci, c in enumerate(cs):
        cap_mw = np.resize(np.floor(c.gpus * c.available_frac), s.load_mw.shape[1]) * 700.0 * c.pue / 1e6
        assert np.all(s.load_mw[ci] <= cap_mw + 1e-9)
    assert (j["start_h"] >= j["release_h"] - 1.0 + 1e-9).all()


def test_every_shifted_job_meets_its_deadline(real) -> None:  # type: ignore[no-untyped-def]
    cs, jobs = real
    s = schedule_flexible(cs, jobs, 700.0)
    shifted = s.jobs[s.jobs["shifted"]]
    assert len(shifted) > 0.5 * len(jobs)
    assert (shifted["finish_h"] <= shifted["deadline_h"] + 1e-9).all()


def test_deadlines_from_the_always_on_finish_are_all_met(real) -> None:  # type: ignore[no-untyped-def]
    # the run's rule (coredge.power.study): deadline = always-on finish + slack; the shifting pass
    # gives a job's own hours back before moving it, so it can always stay where it was
    cs, jobs = real
    base = schedule_always_on(cs, jobs, 700.0)
    fin = base.jobs.set_index("job_id")["finish_h"].reindex(jobs["job_id"]).to_numpy()
    timed = jobs.assign(deadline_h=make_deadlines(fin - jobs["duration_h"].to_numpy(), jobs["duration_h"]))
    s = schedule_flexible(cs, timed, 700.0, carbon_usd_per_t=30.0)
    # starting from the always-on schedule's bookings gives the same schedule
    again = schedule_flexible(cs, timed, 700.0, carbon_usd_per_t=30.0,
                              start=schedule_always_on(cs, timed, 700.0))
    assert again.summary == s.summary
    assert s.summary["late_jobs"] == int(s.jobs["late"].sum()) == 0
    assert (s.jobs["finish_h"] <= s.jobs["deadline_h"] + 1e-9).all()
    assert s.summary["shifted_jobs"] > 0
    # each job was moved only when it scored cheaper, so the schedule scores no more than always-on
    score = [c.price_usd_per_mwh + 30.0 * c.carbon_g_per_kwh / 1000.0 for c in cs]
    def scored(x):  # type: ignore[no-untyped-def]
        return sum(float(np.dot(x.load_mw[i], np.resize(score[i], x.load_mw.shape[1]))) for i in range(len(cs)))
    assert scored(s) <= scored(base) + 1e-6


def test_shifting_saves_money_against_the_baseline_on_real_prices(real) -> None:  # type: ignore[no-untyped-def]
    cs, jobs = real
    base = schedule_always_on(cs, jobs, 700.0)
    shifted = schedule_flexible(cs, jobs, 700.0)
    sv = savings(base, shifted)
    assert sv["cost_usd"] > 0
    assert base.summary["useful_gpu_h"] == pytest.approx(shifted.summary["useful_gpu_h"])


def test_hand_worked_two_price_day() -> None:
    # one campus, price 100 in hours 0-11 of each day and 10 in hours 12-23: a 6-h job released
    # at hour 0 runs 0-5 always-on and 12-17 shifted
    price = np.tile(np.r_[np.full(12, 100.0), np.full(12, 10.0)], H // 24)
    jobs = pd.DataFrame({"job_id": [0], "gpus": [10], "duration_h": [6.0], "release_h": [0.0],
                         "deadline_h": [24.0], "home": ["a"]})
    cs = [_campus("a", price)]
    base = schedule_always_on(cs, jobs, 1000.0)
    sh = schedule_flexible(cs, jobs, 1000.0)
    mwh = 10 * 1000.0 * 1.25 * 6 / 1e6
    assert base.jobs["start_h"].iat[0] == 0.0 and sh.jobs["start_h"].iat[0] == 12.0
    assert base.summary["cost_usd"] == pytest.approx(mwh * 100.0)
    assert sh.summary["cost_usd"] == pytest.approx(mwh * 10.0)
    assert sh.jobs["delay_h"].iat[0] == pytest.approx(12.0)
    assert sh.summary["delayed_gpu_h"] == pytest.approx(120.0)


def test_curtailment_pauses_the_baseline_and_costs_a_restart() -> None:
    avail = np.ones(H)
    avail[3:5] = 0.0
    jobs = pd.DataFrame({"job_id": [0], "gpus": [10], "duration_h": [6.0], "release_h": [0.0],
                         "deadline_h": [48.0], "home": ["a"]})
    base = schedule_always_on([_campus("a", np.full(H, 50.0), avail=avail)], jobs, 1000.0)
    j = base.jobs.iloc[0]
    assert j["segments"] == 2 and j["run_h"] == pytest.approx(6.25)
    assert j["finish_h"] == pytest.approx(8.25)  # 0-2, pause 3-4, 5-8.25
    assert base.summary["lost_gpu_h"] == pytest.approx(2.5)


def test_carbon_weight_moves_a_job_to_the_cleaner_campus() -> None:
    jobs = pd.DataFrame({"job_id": [0], "gpus": [10], "duration_h": [5.0], "release_h": [0.0],
                         "deadline_h": [30.0], "home": ["dirty"]})
    cs = [_campus("dirty", np.full(H, 40.0), carbon=np.full(H, 800.0)),
          _campus("clean", np.full(H, 45.0), carbon=np.full(H, 50.0))]
    assert schedule_flexible(cs, jobs, 1000.0, carbon_usd_per_t=0.0).jobs["site_id"].iat[0] == "dirty"
    moved = schedule_flexible(cs, jobs, 1000.0, carbon_usd_per_t=100.0)
    assert moved.jobs["site_id"].iat[0] == "clean"
    assert schedule_flexible(cs, jobs, 1000.0, carbon_usd_per_t=100.0, migrate=False).jobs["site_id"].iat[0] == "dirty"


def test_annual_average_and_hourly_co2_agree_on_flat_carbon() -> None:
    jobs = _jobs(30, 1, ["a"])
    s = schedule_flexible([_campus("a", np.tile(np.arange(24.0), H // 24))], jobs, 700.0)
    assert s.summary["co2_hourly_t"] == pytest.approx(s.summary["co2_annual_avg_t"], rel=1e-9)


def test_segments_and_bad_input() -> None:
    assert segments([]) == 0 and segments([1, 2, 3]) == 1
    jobs = _jobs(3, 0, ["a"])
    with pytest.raises(InputError):
        schedule_flexible([_campus("a", np.full(H, 1.0))], jobs.assign(home="zz"), 700.0)
    with pytest.raises(InputError):
        schedule_flexible([_campus("a", np.full(H, 1.0))], jobs, 700.0, carbon_usd_per_t=-1.0)
    with pytest.raises(InputError):
        schedule_always_on([_campus("a", np.full(H, 1.0), gpus=4)], jobs, 700.0)
