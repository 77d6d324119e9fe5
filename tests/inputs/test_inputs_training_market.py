"""Training tied to the market: training = inference x (1 - s) / s, s from published forecasts."""

from __future__ import annotations

import numpy as np
import pytest

from coredge.inputs.build import build_inputs
from coredge.inputs.market import inference_share_of_ai, share_range, training_market_it_mw
from coredge.results import market_block
from coredge.scenario.load import load_scenario


def test_share_path_follows_the_sources() -> None:
    # Deloitte TMT 2026: a third in 2023, half in 2025, two-thirds in 2026 (single figures)
    assert inference_share_of_ai([2023, 2025, 2026], "mid").round(2).tolist() == [0.33, 0.5, 0.67]
    years = np.arange(2026, 2036)
    lo, mid, hi = (inference_share_of_ai(years, b) for b in ("low", "mid", "high"))
    assert np.all(lo <= mid + 1e-12) and np.all(mid <= hi + 1e-12)
    assert np.all((lo >= 0.33) & (hi <= 0.85))
    # the geometric midpoint of each year's range
    for y, m in zip(years, mid, strict=True):
        a, b = share_range("inference_share_of_ai_compute", float(y))
        assert m == pytest.approx(np.sqrt(a * b))


@pytest.fixture(scope="module")
def pair() -> tuple:  # type: ignore[type-arg]
    fixed = build_inputs(load_scenario("us"))
    tied = build_inputs(load_scenario("us", "market-training"))
    return fixed, tied


def test_market_training_is_the_share_of_the_market(pair: tuple) -> None:  # type: ignore[type-arg]
    fixed, tied = pair
    # inference demand is the same; training becomes market x share
    assert np.allclose(fixed.load_mw, tied.load_mw)
    sc = tied.scenario
    expected = training_market_it_mw(tied.market) * sc.demand.market_share
    assert np.allclose(tied.training_mw, expected)
    s = inference_share_of_ai(tied.market.years, sc.demand.market_band)
    assert np.allclose(tied.training_mw, tied.market.it_mw * (1 - s) / s * sc.demand.market_share)
    # the fixed default keeps its 200 MW growing 22% a year
    assert fixed.training_mw[0] == pytest.approx(200.0)
    assert fixed.training_mw[1] / fixed.training_mw[0] == pytest.approx(1.22)


def test_market_block_reports_the_inference_share_of_ai(pair: tuple) -> None:  # type: ignore[type-arg]
    fixed, tied = pair
    for inp in (fixed, tied):
        mb = market_block(inp)
        assert mb is not None
        yrs = list(mb["inference_share_of_ai_by_year"])
        assert yrs == [str(y) for y in inp.market.years]
        assert set(mb["portfolio_inference_share_inside_range_by_year"]) == set(yrs)
        for y in yrs:
            lo, hi = mb["inference_share_of_ai_range_by_year"][y]
            assert lo <= mb["inference_share_of_ai_by_year"][y] <= hi
    # tied to the market, the portfolio's inference share of AI load sits on the published path
    # (its inference IT includes no training; only the share's rounding separates them)
    mt = market_block(tied)
    assert mt is not None
    assert all(mt["portfolio_inference_share_inside_range_by_year"].values())
    # the fixed default is far more inference-heavy than the market by 2035 and says so
    mf = market_block(fixed)
    assert mf is not None
    assert mf["portfolio_inference_share_of_ai_by_year"]["2035"] > 0.85
    assert mf["portfolio_inference_share_inside_range_by_year"]["2035"] is False
