"""The NPV tornado of both investor views: base case equal to the views, ranges sourced, and
monotone where the economics say it must be."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from coredge.finance.sensitivity import DRIVERS, market_ranges, risk_ranges, view_tornado

if TYPE_CHECKING:
    from coredge.results import RunResult


@pytest.fixture(scope="module")
def tornado(tiny_result: RunResult) -> pd.DataFrame:
    from coredge.finance.from_plan import risk_spec_from_scenario

    pf, sc = tiny_result.finance, tiny_result.scenario
    assert pf is not None
    return view_tornado(pf.rows, pf.assumptions, sc.finance.exit_cap_rate, risk_spec_from_scenario(sc), sc.hardware.gpu)


def _rows(t: pd.DataFrame, view: str, driver: str) -> pd.DataFrame:
    return t[(t["view"] == view) & (t["driver"] == driver)]


def test_base_case_is_the_views_npv(tornado: pd.DataFrame, tiny_result: RunResult) -> None:
    pf = tiny_result.finance
    assert pf is not None
    for view in ("landlord", "operator"):
        for tier, g in tornado[tornado["view"] == view].groupby("tier"):
            assert set(g["driver"]) == set(DRIVERS)
            want = pf.views[view][str(tier)]["npv_usd"]
            np.testing.assert_allclose(g["npv_base_usd"].to_numpy(), want, rtol=1e-9, atol=1.0)


def test_higher_rent_raises_landlord_npv(tornado: pd.DataFrame) -> None:
    r = _rows(tornado, "landlord", "rent")
    assert len(r) >= 2
    assert (r["npv_high_usd"] > r["npv_base_usd"]).all() and (r["npv_base_usd"] > r["npv_low_usd"]).all()
    # the operator owns its halls: rent does not move its NPV
    o = _rows(tornado, "operator", "rent")
    np.testing.assert_allclose(o["npv_low_usd"], o["npv_base_usd"], rtol=1e-12)
    np.testing.assert_allclose(o["npv_high_usd"], o["npv_base_usd"], rtol=1e-12)


def test_higher_capex_lowers_both_views(tornado: pd.DataFrame) -> None:
    for view in ("landlord", "operator"):
        r = _rows(tornado, view, "capex_per_mw")
        assert (r["npv_high_usd"] < r["npv_base_usd"]).all(), view
        assert (r["npv_base_usd"] < r["npv_low_usd"]).all(), view


def test_higher_gpu_price_and_lower_discount_rate_raise_operator_npv(tornado: pd.DataFrame) -> None:
    g = _rows(tornado, "operator", "gpu_hour_price")
    assert (g["npv_high_usd"] > g["npv_low_usd"]).all()
    d = _rows(tornado, "landlord", "discount_rate").set_index("tier")
    # a positive-NPV project is worth less at a higher rate (the portfolio of the tiny plan is)
    if d.loc["portfolio", "npv_base_usd"] > 0:
        assert d.loc["portfolio", "npv_high_usd"] < d.loc["portfolio", "npv_base_usd"]


def test_ranges_bracket_the_base_and_name_their_source() -> None:
    ranges = {**market_ranges(), **risk_ranges()}
    assert set(ranges) == set(DRIVERS)
    for r in ranges.values():
        assert r.source
        for tier in r.low:
            lo, hi = r.value("low", tier), r.value("high", tier)
            assert lo < hi, r
            if r.unit == "multiplier":
                assert lo < 1.0 < hi, r


def test_empty_table_gives_empty_tornado(tiny_result: RunResult) -> None:
    pf = tiny_result.finance
    assert pf is not None
    assert view_tornado(pf.rows.iloc[:0], pf.assumptions).empty
