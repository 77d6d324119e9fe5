"""Curtailment headroom (Norris et al. 2025 method) on the shipped EIA-930 demand.

Truth from outside the code: the Duke study's published headroom per BA and its 22-BA totals
(data/grid/duke_headroom_norris2025.csv, report text); hand-worked curtailment cases; the
monotonicity and the definition of the limit (the solved load's mean annual rate equals it).
"""

from __future__ import annotations

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.power.grid import DUKE_TOTAL_GW, duke_headroom_gw
from coredge.power.headroom import (
    LIMITS,
    ba_headroom,
    curtailment_mw,
    curtailment_rate,
    headroom_table,
    seasonal_thresholds_mw,
    solve_headroom_mw,
    threshold_mw,
)


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return headroom_table(None, LIMITS)


@pytest.mark.parametrize("limit", LIMITS)
def test_22_ba_total_within_5pct_of_published(table, limit: float) -> None:  # type: ignore[no-untyped-def]
    total_gw = table.loc[table["limit"] == limit, "headroom_mw"].sum() / 1000.0
    assert total_gw == pytest.approx(DUKE_TOTAL_GW[limit], rel=0.05)


@pytest.mark.parametrize("limit", LIMITS)
def test_at_least_16_of_22_bas_within_10pct(table, limit: float) -> None:  # type: ignore[no-untyped-def]
    pub = duke_headroom_gw()
    rows = table[table["limit"] == limit].set_index("ba").loc[pub.index]
    err = rows["headroom_mw"].to_numpy() / 1000.0 / pub[limit].to_numpy() - 1.0
    assert len(err) == 22
    assert int(np.sum(np.abs(err) <= 0.10)) >= 16, dict(zip(pub.index, err.round(3), strict=True))


def test_headroom_grows_with_the_limit(table) -> None:  # type: ignore[no-untyped-def]
    wide = table.pivot(index="ba", columns="limit", values="headroom_mw")
    assert (wide[0.0025] < wide[0.005]).all() and (wide[0.005] < wide[0.01]).all()


def test_solved_load_meets_the_limit_exactly() -> None:
    rng = np.random.default_rng(1)
    d = 100.0 + 20.0 * rng.random(2 * 8760)
    month = np.tile(np.repeat(np.arange(1, 13), 730), 2)
    s, w = seasonal_thresholds_mw(d, month)
    t = threshold_mw(month, s, w)
    yi = np.repeat([0, 1], 8760)
    load = solve_headroom_mw(d, t, yi, 0.005)
    assert curtailment_rate(d, t, yi, load) == pytest.approx(0.005, rel=1e-6)
    assert curtailment_rate(d, t, yi, 1.1 * load) > 0.005 > curtailment_rate(d, t, yi, 0.9 * load)


def test_curtailment_keeps_the_system_under_its_threshold() -> None:
    d = np.array([80.0, 95.0, 101.0, 99.0])
    t = np.full(4, 100.0)
    c = curtailment_mw(d, t, 10.0)
    assert c.tolist() == [0.0, 5.0, 10.0, 9.0]
    # the system stays at its threshold, or at its own demand where that is above already
    assert np.all(d + 10.0 - c <= np.maximum(t, d) + 1e-12)


def test_summer_threshold_applies_april_to_october() -> None:
    t = threshold_mw(np.arange(1, 13), 200.0, 100.0)
    assert t.tolist() == [100.0] * 3 + [200.0] * 7 + [100.0] * 2


def test_pjm_record_fields() -> None:
    h = ba_headroom("pjm", [0.005])[0]
    assert h.ba == "PJM" and h.limit == 0.005
    assert h.summer_threshold_mw > h.winter_threshold_mw > 100_000  # PJM peaks in summer
    # the curtailed energy is the limit times the load's potential energy (mean year)
    assert h.curtailed_mwh_per_year == pytest.approx(0.005 * h.headroom_mw * 8766, rel=0.01)
    assert 0 < h.retain_50pct_h_per_year <= h.curtailment_h_per_year


@pytest.mark.parametrize("bad", [0.0, -0.1, 0.9, float("nan")])
def test_bad_limit_is_an_input_error(bad: float) -> None:
    with pytest.raises(InputError):
        ba_headroom("PJM", [bad])


def test_unknown_ba_is_an_input_error() -> None:
    with pytest.raises(InputError, match="shipped balancing areas"):
        ba_headroom("XYZ")
