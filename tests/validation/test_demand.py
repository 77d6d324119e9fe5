"""The calibrated market of the default scenario against every published range (validation "demand")."""

from __future__ import annotations

from coredge.validation import load_checks
from coredge.validation.demand import demand_check, market_vs_ranges, outside_ranges


def test_demand_check_is_registered() -> None:
    assert "demand" in load_checks()


def test_each_stat_is_within_its_documented_tolerance() -> None:
    stats = demand_check()
    assert {(s.dataset.split(" ")[0], s.subset) for s in stats} == {
        ("disclosed", "fit"), ("disclosed", "held-out"),
        ("data-center", "fit"), ("data-center", "held-out"),
    }  # fmt: skip
    for s in stats:
        assert s.n >= 1
        assert s.within_tolerance, s


def test_default_market_lies_inside_every_published_range() -> None:
    df = market_vs_ranges()
    # both views, fit and held-out sources, and every forecast year are compared
    assert set(df["view"]) == {"bottom-up", "top-down"}
    assert set(df["set"]) == {"fit", "held_out"}
    assert {int(t) for t in df.loc[df["view"] == "top-down", "t"]} == {2028, 2030, 2035}
    assert outside_ranges().empty, outside_ranges()[["id", "low", "high", "value"]]
