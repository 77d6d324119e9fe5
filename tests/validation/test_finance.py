"""Validation "finance": every stat within its documented tolerance (docs/finance.md ## finance)."""

from __future__ import annotations

from coredge.validation import load_checks, run_checks


def test_finance_check_is_registered_and_within_tolerance() -> None:
    assert "finance" in load_checks()
    stats = run_checks(["finance"])
    assert len(stats) == 13  # 6 market comparables + 7 facility-cost rows
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


def test_facility_cost_rows_held_out_of_the_size_fit_lie_inside_their_ranges() -> None:
    stats = [s for s in run_checks(["finance"]) if s.subset == "held-out band" and s.model.startswith("prefab")]
    assert len(stats) == 2
    for s in stats:
        assert s.max_median_pct == 0.0 and s.median_pct == 0.0, s
    sized = {s.model: s for s in run_checks(["finance"]) if s.dataset == "published budget of known size"}
    assert len(sized) == 2
    dlr = next(s for m, s in sized.items() if "16 MW" in m)
    assert dlr.median_pct < 10.0  # the 16 MW Northern Virginia budget, not fitted on
