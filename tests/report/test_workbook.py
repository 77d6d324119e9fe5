"""model.xlsx: opens with openpyxl, its cash flows equal the run directory's Parquet tables, every
number is a number and every header carries its unit; the files are listed in summary.json."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from coredge.finance.view_tables import LINE_ITEMS
from coredge.report.workbook import SHEETS, header

if TYPE_CHECKING:
    from coredge.results import RunResult

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def run_dir(tiny_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from coredge.pipeline import write_run
    from coredge.studies.compare import compare_strategies, comparison_table

    res = dataclasses.replace(tiny_result, summary=copy.deepcopy(tiny_result.summary))
    table = comparison_table(compare_strategies(res.scenario, reuse={"blended": res}))
    return write_run(res, tmp_path_factory.mktemp("workbook") / "run", compare=table)


def _sheet(path: Path, title: str) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[title].iter_rows(values_only=True))
    finally:
        wb.close()
    return pd.DataFrame(rows[1:], columns=list(rows[0]))


def _assert_equal_flows(sheet: pd.DataFrame, parquet: pd.DataFrame, keys: list[str], items: list[str]) -> None:
    assert len(sheet) == len(parquet) > 0
    key_cols = [header(k) for k in keys]
    s = sheet.set_index(key_cols).sort_index()
    p = parquet.set_index(keys).sort_index()
    assert [tuple(map(str, i)) for i in s.index] == [tuple(map(str, i)) for i in p.index]
    for item in items:
        got = s[header(item)].to_numpy(dtype=np.float64)
        want = p[item].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_workbook_tier_cash_flows_equal_parquet(run_dir: Path) -> None:
    sheet = _sheet(run_dir / "model.xlsx", SHEETS["tier_flows"])
    pq = pd.read_parquet(run_dir / "view_cashflows.parquet")
    assert set(pq["view"]) == {"landlord", "operator"}
    assert "portfolio" in set(pq["tier"])
    _assert_equal_flows(sheet, pq, ["view", "tier", "year"], [*LINE_ITEMS, "cumulative_net_usd"])


def test_workbook_site_cash_flows_equal_parquet(run_dir: Path) -> None:
    sheet = _sheet(run_dir / "model.xlsx", SHEETS["site_flows"])
    pq = pd.read_parquet(run_dir / "view_cashflows_sites.parquet")
    _assert_equal_flows(sheet, pq, ["view", "site_id", "year"], list(LINE_ITEMS))


def test_view_cash_flows_add_up_to_the_views(run_dir: Path) -> None:
    """The stored tables are the views' own numbers: portfolio NPV of each view's net flows at
    the discount rate equals finance_views' NPV, and the site table sums to the tier table."""
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    tiers = pd.read_parquet(run_dir / "view_cashflows.parquet")
    sites = pd.read_parquet(run_dir / "view_cashflows_sites.parquet")
    rate = summary["discount_rate"]
    for view in ("landlord", "operator"):
        port = tiers[(tiers["view"] == view) & (tiers["tier"] == "portfolio")].sort_values("year")
        t = np.arange(len(port))
        npv = float((port["net_usd"].to_numpy() * (1 + rate) ** -t).sum())
        want = summary["finance_views"][view]["portfolio"]["npv_usd"]
        assert npv == pytest.approx(want, rel=1e-9, abs=1.0)
        by_year = sites[sites["view"] == view].groupby("year")["net_usd"].sum().sort_index()
        np.testing.assert_allclose(by_year.to_numpy(), port["net_usd"].to_numpy(), rtol=1e-9, atol=1e-3)


def test_numbers_are_numbers_and_headers_have_units(run_dir: Path) -> None:
    wb = openpyxl.load_workbook(run_dir / "model.xlsx", read_only=True)
    try:
        assert set(wb.sheetnames) >= {"summary", "assumptions", *SHEETS.values()}
        rows = list(wb[SHEETS["tier_flows"]].iter_rows(values_only=True))
        head = rows[0]
        assert all("[USD]" in str(h) for h in head[3:]), head
        for r in rows[1:]:
            assert all(isinstance(v, int | float) for v in r[2:]), r
        assumptions = list(wb["assumptions"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert assumptions[0] == ("parameter", "value", "unit", "source")
    params: dict[str, Any] = {r[0]: r for r in assumptions[1:]}
    rate = params["economics.discount_rate"]
    assert isinstance(rate[1], float) and rate[2] == "fraction/year" and rate[3]
    rent = params["used.tiers.core.lease_usd_per_kw_month"]
    assert isinstance(rent[1], float) and rent[2] == "USD/kW-month"
    assert any(k.startswith("finance.tiers.") for k in params)
    assert any(k.startswith("sensitivity.") for k in params)


def test_summary_lists_the_files(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    files = summary["files"]
    for name in ("model.xlsx", "report.html", "summary.json", "sensitivity.parquet", "view_cashflows.parquet",
                 "view_cashflows_sites.parquet", "view_sites.parquet"):
        assert name in files and Path(files[name]).is_file(), name
    assert not any(n.startswith(".") for n in files)
    for key in ("investor_tables_s", "report_s", "workbook_s"):
        assert summary["timings_s"][key] >= 0.0


def test_read_investor_tables_round_trip(run_dir: Path) -> None:
    from coredge.store import read_investor_tables

    t = read_investor_tables(run_dir)
    assert set(t.site_economics["view"]) == {"landlord", "operator"}
    assert len(t.tornado) > 0


def test_report_has_the_investor_sections_and_the_comparison(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    for needle in ('id="cf_landlord_portfolio"', 'id="cf_operator_portfolio"', 'id="tornado_landlord"',
                   'id="tornado_operator"', 'id="sites_landlord"', 'id="sites_operator"', 'class="sortable"',
                   "Strategy comparison", 'id="compare"'):
        assert needle in page, needle
    cmp = json.loads((run_dir / "compare.json").read_text(encoding="utf-8"))
    assert list(cmp["strategies"]) == ["all-core", "edge-heavy", "blended"]
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    # blended is the run itself, not planned again
    assert cmp["strategies"]["blended"]["npv_usd"] == pytest.approx(summary["npv_usd"])


def test_break_even_sheet_equals_summary(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    be = summary["break_even"]
    wb = openpyxl.load_workbook(run_dir / "model.xlsx", read_only=True)
    try:
        rows = list(wb["break-even"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert rows[0][2] == "break-even multiplier [ratio]"
    got = {(r[0], r[1]): r[2] for r in rows[1:]}
    want = {(v, d): m for v in ("landlord", "operator") for d, m in (be.get(v) or {}).items() if d != "npv_at_hurdle_usd"}
    assert set(got) == set(want) and len(got) >= 2
    for k, m in want.items():
        assert got[k] == (pytest.approx(m) if m is not None else None), k


def test_report_shows_capex_per_mw_by_component(run_dir: Path, tiny_result: RunResult) -> None:
    from coredge.report.finance_sections import CAPEX_PARTS, capex_per_mw_rows

    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="capex_per_mw"' in page and "backup [USD M/MW]" in page
    rows = {str(r["tier"]): r for r in capex_per_mw_rows(tiny_result)}
    assert set(rows) == {"core", "regional", "micro"}
    for r in rows.values():
        assert sum(float(r[k]) for k in CAPEX_PARTS) == pytest.approx(float(r["facility_total"]))
        assert float(r["it"]) > float(r["facility_total"])  # GPUs dominate a MW's capex
    assert rows["core"]["facility_total"] < rows["regional"]["facility_total"]
