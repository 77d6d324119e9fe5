"""Validation "finance": every stat within its documented tolerance (docs/finance.md ## finance)."""

from __future__ import annotations

from coredge.validation import load_checks, run_checks


def test_finance_check_is_registered_and_within_tolerance() -> None:
    assert "finance" in load_checks()
    stats = run_checks(["finance"])
    assert len(stats) == 9
    for s in stats:
        assert s.n >= 1 and s.source and s.date
        assert s.within_tolerance, s
    by_model = {(s.model, s.subset): s for s in stats}
    yoc = by_model[("landlord yield on cost (pre-leased core campus)", "held-out band")]
    assert yoc.max_median_pct == 0.0 and yoc.median_pct == 0.0  # inside the published band
    irr = by_model[("landlord unlevered IRR (pre-leased core campus)", "derived band")]
    assert irr.median_pct == 0.0
    margin = by_model[("operator leased ebitda margin (core campus)", "held-out (Q2/Q3 2024-2025)")]
    assert margin.n == 4 and margin.max_median_pct == 15.0 and margin.max_p90_pct == 20.0
