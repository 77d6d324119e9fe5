"""The report's break-even table: per view and driver, the multiplier and the value it means."""

from __future__ import annotations

from coredge.report.finance_sections import break_even_table_html

VIEWS = {
    "landlord": {"assumptions": {"core": {"lease_usd_per_kw_month": 140.0}, "micro": {"lease_usd_per_kw_month": 200.0}}},
    "operator": {"assumptions": {"core": {"gpu_hour_price_usd": 2.4}}},
}
BE = {
    "hurdle_rate": 0.09,
    "landlord": {"npv_at_hurdle_usd": -1.0e9, "rent": 1.25, "capex_per_mw": 0.8},
    "operator": {"npv_at_hurdle_usd": -5.0e10, "gpu_hour_price": 1.5, "utilisation": None, "capex_per_mw": None},
}


def test_break_even_table_lists_every_driver_with_its_value() -> None:
    page = break_even_table_html(BE, VIEWS, {"utilisation": {"*": 0.6}, "capex_per_mw": {"core": 10e6}})
    assert 'id="break_even"' in page and "9.0% hurdle" in page
    assert "x1.25" in page and "core $175.00/kW-month" in page and "micro $250.00/kW-month" in page
    assert "core $3.60/GPU-hour" in page
    assert "core $8.0M/MW" in page  # capex x0.8
    assert page.count("none in x0-10") == 2
    assert page.count("<tr>") == 1 + 5  # header + one row per (view, driver)


def test_break_even_table_is_empty_without_results() -> None:
    assert break_even_table_html({"hurdle_rate": 0.08}, {}) == ""
