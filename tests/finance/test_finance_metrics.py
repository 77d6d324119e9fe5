"""NPV / IRR / payback / MOIC / peak funding / LCOC against numpy-financial and textbook cases."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coredge.errors import InputError
from coredge.finance.metrics import (
    IRR_NO_ROOT_IN_WINDOW,
    IRR_NO_SIGN_CHANGE,
    IRR_OK,
    count_sign_changes,
    irr,
    irr_detail,
    lcoc,
    moic,
    npv,
    payback_years,
    peak_funding_usd,
)


def _random_flows(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
    """Investment then noisy income; many series have several sign changes."""
    first = -rng.uniform(50, 150, (n, 1))
    rest = rng.normal(15, 25, (n, t - 1))
    return np.concatenate([first, rest], axis=1)


# ---------------------------------------------------------------- NPV


def test_npv_matches_numpy_financial_docs_example() -> None:
    # numpy-financial docstring: 3065.22267 at 8 %
    assert npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]) == pytest.approx(3065.22267, abs=1e-5)


def test_npv_vectorised_matches_numpy_financial_per_row() -> None:
    rng = np.random.default_rng(1)
    flows = _random_flows(rng, 200, 12)
    rates = rng.uniform(-0.2, 0.5, 200)
    got = npv(rates, flows)
    ref = np.array([npf.npv(r, f) for r, f in zip(rates, flows, strict=True)])
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-9)
    # one scalar rate over a 3-D stack (trials x sites x years)
    stack = flows.reshape(10, 20, 12)
    np.testing.assert_allclose(
        npv(0.07, stack).ravel(), [npf.npv(0.07, f) for f in flows], rtol=1e-12, atol=1e-9
    )


def test_npv_textbook_annuity() -> None:
    # 100 a year for 10 years (t=1..10) at 10 % = 100 * (1 - 1.1**-10) / 0.1 = 614.4567
    flows = np.r_[0.0, np.full(10, 100.0)]
    assert npv(0.10, flows) == pytest.approx(614.4567106, abs=1e-6)


def test_npv_rejects_rate_at_or_below_minus_one() -> None:
    with pytest.raises(InputError, match="rate"):
        npv(-1.0, [1.0, 2.0])


def test_npv_falls_as_rate_rises_for_conventional_flows() -> None:
    rates = np.linspace(-0.5, 2.0, 60)
    flows = np.array([-1000.0, 300, 300, 300, 300, 300])
    values = npv(rates, np.broadcast_to(flows, (60, 6)))
    assert np.all(np.diff(values) < 0)


# ---------------------------------------------------------------- IRR


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        ([-100, 39, 59, 55, 20], 0.28095),  # numpy-financial docstring cases
        ([-100, 0, 0, 74], -0.0955),
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
    ],
)
def test_irr_numpy_financial_doc_cases(flows: list[float], expected: float) -> None:
    r, ok = irr(flows)
    assert bool(ok)
    assert round(float(r), 5) == expected
    assert abs(float(r) - npf.irr(flows)) < 1e-9


def test_irr_matches_numpy_financial_on_random_series() -> None:
    rng = np.random.default_rng(7)
    flows = _random_flows(rng, 3000, 15)
    res = irr_detail(flows)
    ref = np.array([npf.irr(f) for f in flows])
    in_window = np.isfinite(ref) & (ref >= -0.99) & (ref <= 10.0)
    # every IRR numpy-financial finds in the window is found, to 1e-6
    assert np.all(res.exists[in_window])
    assert np.max(np.abs(res.irr[in_window] - ref[in_window])) < 1e-6
    # where numpy-financial finds none, neither do we
    assert not np.any(res.exists[np.isnan(ref)])
    # the sample really contains series with several sign changes, and they agree too
    multi = in_window & (res.n_sign_changes > 1)
    assert multi.sum() > 1000
    assert np.max(np.abs(res.irr[multi] - ref[multi])) < 1e-6
    # NPV at the IRR is zero (relative to the discounted gross flows)
    found = res.exists
    scale = npv(res.irr[found], np.abs(flows[found]))
    assert np.max(np.abs(npv(res.irr[found], flows[found])) / scale) < 1e-9


def test_irr_multiple_roots_returns_the_one_closest_to_zero() -> None:
    # Lorie-Savage "pump" problem: IRRs 25 % and 400 %
    res = irr_detail([-1600, 10_000, -10_000])
    assert float(res.irr) == pytest.approx(0.25, abs=1e-12)
    assert int(res.n_roots_found) == 2 and bool(res.multiple)
    assert int(res.n_sign_changes) == 2
    # -100 + 230/(1+r) - 132/(1+r)^2 = 0 at r = 10 % and 20 %
    res = irr_detail([-100, 230, -132])
    assert float(res.irr) == pytest.approx(0.10, abs=1e-12)
    assert float(res.irr) == pytest.approx(npf.irr([-100, 230, -132]), abs=1e-12)
    assert int(res.n_roots_found) == 2


def test_irr_multiple_roots_either_side_of_zero() -> None:
    # roots at r = -0.3 and r = +0.2: (x - 1/0.7)(x - 1/1.2) in x = 1/(1+r), scaled
    x1, x2 = 1 / 0.7, 1 / 1.2
    flows = [x1 * x2, -(x1 + x2), 1.0]  # v0 + v1 x + v2 x^2
    res = irr_detail(flows)
    assert float(res.irr) == pytest.approx(0.2, abs=1e-10)
    assert float(res.irr) == pytest.approx(npf.irr(flows), abs=1e-9)


def test_irr_absent_with_reasons() -> None:
    res = irr_detail(
        [
            [100.0, 10.0, 10.0],  # no sign change
            [0.0, 0.0, 0.0],  # nothing at all
            [100.0, -300.0, 250.0],  # sign changes but complex roots only
            [-1.0, 20.0, 0.0],  # IRR = 1900 %, outside the window
        ]
    )
    assert np.all(np.isnan(res.irr))
    assert not res.exists.any()
    assert res.reason.tolist() == [
        IRR_NO_SIGN_CHANGE,
        IRR_NO_SIGN_CHANGE,
        IRR_NO_ROOT_IN_WINDOW,
        IRR_NO_ROOT_IN_WINDOW,
    ]
    assert np.isnan(npf.irr([100.0, -300.0, 250.0]))
    # numpy-financial has no window and returns 19.0 for the last one: documented difference
    assert npf.irr([-1.0, 20.0]) == pytest.approx(19.0)
    # a wider window finds it
    wide = irr_detail([-1.0, 20.0], rate_max=30.0)
    assert float(wide.irr) == pytest.approx(19.0, rel=1e-12)
    assert int(wide.reason) == IRR_OK


def test_irr_tangent_root_on_grid() -> None:
    # NPV = -(1 - x)^2 touches zero at r = 0 (double root); 0 is a grid point so it is found
    r, ok = irr([-1.0, 2.0, -1.0])
    assert bool(ok) and float(r) == 0.0
    assert npf.irr([-1.0, 2.0, -1.0]) == 0.0


def test_irr_shapes_broadcast() -> None:
    rng = np.random.default_rng(3)
    flows = _random_flows(rng, 24, 8).reshape(2, 3, 4, 8)
    r, ok = irr(flows)
    assert r.shape == (2, 3, 4) and ok.shape == (2, 3, 4)
    r_flat, _ = irr(flows.reshape(-1, 8))
    np.testing.assert_array_equal(r.ravel(), r_flat)


def test_count_sign_changes_skips_zeros() -> None:
    assert count_sign_changes([[-1, 0, 0, 2, 0, -3], [0, 0, 1, 1, 0, 0]]).tolist() == [2, 0]


@settings(max_examples=200, deadline=None)
@given(
    # whole dollars: numpy-financial's np.roots breaks down on denormal coefficients
    st.lists(st.integers(-(10**6), 10**6).map(float), min_size=2, max_size=20).filter(
        lambda v: max(abs(x) for x in v) > 1.0
    )
)
def test_irr_property_npv_zero_and_closest_to_zero(values: list[float]) -> None:
    res = irr_detail(values)
    arr = np.asarray(values)
    if bool(res.exists):
        r = float(res.irr)
        assert -0.99 <= r <= 10.0
        assert abs(float(npv(r, arr))) <= 1e-8 * float(npv(r, np.abs(arr)))
        ref = npf.irr(arr)
        if np.isfinite(ref) and -0.99 <= ref <= 10.0:
            # numpy-financial's root is the closest to zero overall; ours can only match it
            # or (if two roots share a grid interval) be farther from zero
            assert abs(r) >= abs(ref) - 1e-6
    else:
        assert int(res.reason) in (IRR_NO_SIGN_CHANGE, IRR_NO_ROOT_IN_WINDOW)
        if int(count_sign_changes(arr)) == 0:
            assert int(res.reason) == IRR_NO_SIGN_CHANGE


# ---------------------------------------------------------------- payback, MOIC, funding, LCOC


def test_payback_simple_textbook() -> None:
    # cumulative -100, -60, -20, +20: pays back half-way through year 3 -> 2.5 years
    assert float(payback_years([-100, 40, 40, 40])) == 2.5
    assert float(payback_years([-100, 50, 50, 50])) == 2.0
    assert np.isnan(payback_years([-100, 10, 10]))
    assert float(payback_years([10, -5, 1])) == 0.0


def test_payback_discounted_textbook() -> None:
    # at 10 %: discounted 45.45, 41.32, 37.57; cumulative -54.55, -13.22, +24.34
    expected = 2 + (100 - 50 / 1.1 - 50 / 1.21) / (50 / 1.331)
    assert float(payback_years([-100, 50, 50, 50], rate=0.10)) == pytest.approx(expected, 1e-12)
    assert expected == pytest.approx(2.352, abs=1e-3)
    # discounted payback never shorter than simple payback
    rng = np.random.default_rng(5)
    flows = np.concatenate([-rng.uniform(50, 150, (500, 1)), rng.uniform(0, 40, (500, 14))], 1)
    simple = payback_years(flows)
    disc = payback_years(flows, rate=0.08)
    both = np.isfinite(simple) & np.isfinite(disc)
    assert np.all(disc[both] >= simple[both])
    assert np.all(np.isfinite(simple[np.isfinite(disc)]))


def test_moic_and_peak_funding() -> None:
    assert float(moic([-100, 60, 90])) == 1.5
    assert np.isnan(moic([10, 20]))
    assert float(peak_funding_usd([-100, -50, 80, 200])) == 150.0
    assert float(peak_funding_usd([10, 20])) == 0.0
    np.testing.assert_array_equal(
        peak_funding_usd([[-1, -1, 5], [-3, 1, -4]]), [2.0, 6.0]
    )


def test_lcoc_price_at_lcoc_breaks_even() -> None:
    """Selling every unit at the levelised cost gives NPV zero (definition of a levelised cost)."""
    rng = np.random.default_rng(11)
    costs = rng.uniform(0, 100, (50, 10))
    units = rng.uniform(1, 10, (50, 10))
    rate = 0.07
    price = lcoc(costs, units, rate)
    np.testing.assert_allclose(npv(rate, price[:, None] * units - costs), 0.0, atol=1e-9)
    assert np.isnan(lcoc([1.0, 1.0], [0.0, 0.0], 0.05))
