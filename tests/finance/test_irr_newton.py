"""The Newton path of `irr_detail` (count_roots=False) returns the grid scan's IRRs."""

from __future__ import annotations

import numpy as np
import pytest

from coredge.finance.metrics import count_sign_changes, irr, irr_detail

T = 16


def _adversarial(rng: np.random.Generator, n: int) -> np.ndarray:
    parts = [
        rng.normal(0, 1, (n, T)),  # random signs: many sign changes, often no root
        -np.abs(rng.normal(0, 1, (n, T))),  # all negative: no sign change
    ]
    f = rng.normal(0, 1, (n, T))
    f[:, 0] = -50.0  # small income: root far below zero or outside the window
    parts.append(f)
    end_cost = -rng.uniform(0, 400, (n, 1))  # decommissioning cost: a second sign change
    parts.append(
        np.concatenate([-rng.uniform(50, 150, (n, 1)), rng.normal(15, 25, (n, T - 2)), end_cost], 1)
    )
    f = np.zeros((n, T))
    f[:, 0] = -1.0
    f[:, 1] = rng.uniform(0.5, 12.0, n)  # IRR from -0.5 to 11: across and beyond the window
    parts.append(f)
    # two roots close together near zero (0.005-0.05 apart)
    r1 = rng.uniform(-0.3, 0.3, n)
    r2 = r1 + rng.uniform(0.005, 0.05, n)
    x1, x2 = 1 / (1 + r1), 1 / (1 + r2)
    f = np.zeros((n, T))
    f[:, 0], f[:, 1], f[:, 2] = x1 * x2, -(x1 + x2), 1.0
    parts.append(f)
    f = rng.normal(0, 1, (n, T))
    f[:, 0] = -f[:, 1:].sum(axis=1)  # a root at (about) zero
    parts.append(f)
    parts.append(np.round(rng.normal(0, 3, (n, T))))  # integers with zeros
    return np.concatenate(parts)


def _assert_same(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = np.isfinite(a)
    assert np.all(np.abs(a[ok] - b[ok]) < 1e-9)


def test_newton_matches_the_scan_on_random_series() -> None:
    rng = np.random.default_rng(11)
    flows = np.concatenate(
        [-rng.uniform(50, 150, (20_000, 1)), rng.normal(15, 25, (20_000, T - 1))], 1
    )
    scan = irr_detail(flows)
    fast = irr_detail(flows, count_roots=False)
    _assert_same(fast.irr, scan.irr)
    assert np.array_equal(fast.reason, scan.reason)
    assert np.array_equal(fast.n_sign_changes, scan.n_sign_changes)
    # most series are answered by Newton (one root counted), and they are not trivial ones
    newton = fast.exists & (fast.n_roots_found == 1)
    assert newton.mean() > 0.9
    assert (count_sign_changes(flows[newton]) > 1).mean() > 0.5


def test_newton_matches_the_scan_on_adversarial_series() -> None:
    rng = np.random.default_rng(12)
    flows = _adversarial(rng, 3000)
    scan = irr_detail(flows)
    fast = irr_detail(flows, count_roots=False)
    _assert_same(fast.irr, scan.irr)
    assert np.array_equal(fast.reason, scan.reason)
    # the sample has found, absent-in-window and no-sign-change series
    assert 0.2 < fast.exists.mean() < 0.9
    assert {0, 1, 2} <= set(np.unique(fast.reason).tolist())


@pytest.mark.parametrize(
    "flows",
    [
        [-1600, 10_000, -10_000],  # 25 % and 400 %
        [-100, 230, -132],  # 10 % and 20 %
        [-100, 0, 0, 74],
        [0.0, 0.0, 0.0],
        [-100, 100],  # exactly 0
        [1.0, -1.0 / 0.7 - 1.0 / 1.2, 1.0 / (0.7 * 1.2)],  # roots at -0.3 and +0.2 (x scaled)
    ],
)
def test_newton_matches_the_scan_on_textbook_cases(flows: list[float]) -> None:
    scan = irr_detail(flows)
    r, ok = irr(flows)
    _assert_same(np.atleast_1d(r), np.atleast_1d(scan.irr))
    assert bool(ok) == bool(scan.exists)


def test_newton_path_keeps_the_leading_shape() -> None:
    rng = np.random.default_rng(3)
    flows = np.concatenate([-rng.uniform(50, 150, (4, 5, 1)), rng.normal(15, 25, (4, 5, 9))], -1)
    fast = irr_detail(flows, count_roots=False)
    assert fast.irr.shape == (4, 5)
    _assert_same(fast.irr.ravel(), irr_detail(flows).irr.ravel())
