"""``model.xlsx``: the run's investor numbers as a workbook an analyst can audit and re-cut.

Sheets (numbers are numbers, units are in the headers):

``summary``
    The run (scenario, horizon, discount rate) and both views' metrics per tier and portfolio.
``assumptions``
    Every scenario ``economics`` and ``finance`` input (tiers and Monte Carlo variables
    included) and the per-tier values the finance stage used, each with unit and source.
``cash flows by tier`` / ``cash flows by site``
    Each view's line items per tier (and portfolio) or plan site and calendar year: the tables
    stored as ``view_cashflows.parquet`` and ``view_cashflows_sites.parquet``.
``site economics``, ``sensitivity``
    ``view_sites.parquet`` and ``sensitivity.parquet``.
``break-even``
    Per view and driver, the multiplier of the scenario's value at which the portfolio's IRR
    reaches the hurdle rate (summary.json ``break_even``; empty cell: none in 0-10).

Written with openpyxl (write-only mode) to memory, then to disk by
`coredge.files.atomic_write_bytes`.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from coredge.files import atomic_write_bytes

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from pydantic import BaseModel

    from coredge.finance.view_tables import InvestorTables
    from coredge.results import RunResult

SHEETS: Final[dict[str, str]] = {
    "tier_flows": "cash flows by tier",
    "site_flows": "cash flows by site",
    "site_economics": "site economics",
    "tornado": "sensitivity",
}
"""`InvestorTables` field -> sheet name."""

_UNIT_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("_usd_per_kw_month", "USD/kW-month"), ("_usd_per_mw_year", "USD/MW-year"),
    ("_usd_per_gpu_hour", "USD/GPU-hour"), ("_usd_per_mwh", "USD/MWh"), ("_usd_per_kw", "USD/kW"),
    ("_frac_per_year", "fraction/year"), ("_usd", "USD"), ("_mw", "MW"), ("_years", "years"),
    ("_frac", "fraction"), ("_share", "fraction"), ("_rate", "fraction/year"), ("_s", "s"),
)  # fmt: skip
_PLAIN_UNITS: Final[dict[str, str]] = {
    "year": "calendar year", "irr": "fraction/year", "moic": "multiple", "gpus": "count",
    "usd_per_mtok": "USD/million tokens", "tokens_per_gpu_s": "tokens/s per GPU",
    "yield_on_cost": "fraction/year", "ebitda_margin": "fraction", "noi_margin": "fraction",
}  # fmt: skip


def unit_of(name: str) -> str:
    """The unit a coredge column or field name carries (`_usd` -> USD ...); '' if none.

    Examples
    --------
    >>> unit_of("capex_usd_per_kw"), unit_of("irr"), unit_of("view")
    ('USD/kW', 'fraction/year', '')
    """
    if name in _PLAIN_UNITS:
        return _PLAIN_UNITS[name]
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def header(name: str) -> str:
    """A column's header in the workbook: its name with the unit in brackets.

    Examples
    --------
    >>> header("revenue_usd"), header("tier")
    ('revenue_usd [USD]', 'tier')
    """
    u = unit_of(name)
    return f"{name} [{u}]" if u else name


def _value(x: Any) -> Any:
    """A cell value: numbers as float/int (NaN and infinities as empty), the rest as text."""
    if x is None or isinstance(x, bool | str):
        return x
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    return str(x)


def _bold_row(ws: WriteOnlyWorksheet, values: list[Any]) -> None:
    row = []
    for v in values:
        c = WriteOnlyCell(ws, value=v)
        c.font = Font(bold=True)
        row.append(c)
    ws.append(row)


def _frame_sheet(wb: Workbook, title: str, df: pd.DataFrame) -> None:
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    _bold_row(ws, [header(str(c)) for c in df.columns])
    for rec in df.itertuples(index=False, name=None):
        ws.append([_value(v) for v in rec])


_BRACKET = re.compile(r"\[([^\]]+)\]")


def _model_rows(model: BaseModel, prefix: str) -> list[list[Any]]:
    """(parameter, value, unit, source) for every field of a pydantic model, nested models and
    mappings of them flattened with dotted names."""
    from pydantic import BaseModel as _Base

    out: list[list[Any]] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}.{name}"
        desc = " ".join((info.description or "").split())
        if isinstance(value, _Base):
            out.extend(_model_rows(value, key))
            continue
        if isinstance(value, dict) and value and all(isinstance(v, _Base) or v is None for v in value.values()):
            for k, v in value.items():
                if v is None:
                    out.append([f"{key}.{k}", "off", "", desc])
                else:
                    out.extend(_model_rows(v, f"{key}.{k}"))
            continue
        m = _BRACKET.search(desc)
        unit = m.group(1) if m else unit_of(name)
        if isinstance(value, dict):
            for k, v in value.items():
                out.append([f"{key}.{k}", _value(v), unit, desc])
        elif isinstance(value, list | tuple):
            out.append([key, ", ".join(str(v) for v in value), unit, desc])
        else:
            out.append([key, _value(value), unit, desc or "scenario field"])
    return out


def assumption_rows(res: RunResult, tables: InvestorTables | None = None) -> list[list[Any]]:
    """Rows (parameter, value, unit, source) of the assumptions sheet."""
    sc = res.scenario
    rows = _model_rows(sc.economics, "economics") + _model_rows(sc.finance, "finance")
    if res.finance is not None:
        a = res.finance.assumptions
        src = ("value used by the finance stage: the scenario's finance.tiers where given, else the "
               "built-in default (market tables data/market_*.csv and site_tiers.yaml; `coredge data` "
               "lists their sources)")
        for tid, tf in a.tiers.items():
            for f in fields(tf):
                rows.append([f"used.tiers.{tid}.{f.name}", _value(getattr(tf, f.name)), unit_of(f.name), src])
        for f in fields(a):
            if f.name != "tiers":
                v = getattr(a, f.name)
                v = ", ".join(str(x) for x in v) if isinstance(v, tuple) else v
                rows.append([f"used.{f.name}", _value(v), unit_of(f.name), src])
    if tables is not None and not tables.tornado.empty:
        t = tables.tornado[(tables.tornado["tier"] == "portfolio") & (tables.tornado["view"] == "landlord")]
        for r in t.to_dict(orient="records"):
            rows.append([f"sensitivity.{r['driver']}", str(r["range_text"]), str(r["unit"]), str(r["source"])])
    return rows


def summary_rows(res: RunResult) -> tuple[list[list[Any]], list[str], list[list[Any]]]:
    """The summary sheet: run facts, then a header and one row per view and tier."""
    s = res.summary
    facts: list[list[Any]] = [
        ["scenario", s.get("scenario")], ["variant", s.get("variant")],
        ["start year [calendar year]", s.get("start_year")], ["horizon [years]", s.get("horizon_years")],
        ["discount rate [fraction/year]", s.get("discount_rate")],
        ["sites [count]", s.get("sites")], ["capex, build [USD]", s.get("capex_usd")],
    ]
    views = s.get("finance_views") or {}
    if views.get("power"):
        facts.append(["power", views["power"]])
    keys = ["npv_usd", "irr", "payback_years", "moic", "peak_funding_usd", "capex_usd", "revenue_usd",
            "yield_on_cost", "noi_margin", "ebitda_margin", "leased_ebitda_margin", "leased_operating_margin"]
    head = ["view", "tier", *[header(k) for k in keys]]
    rows: list[list[Any]] = []
    for view in ("landlord", "operator"):
        for tier, m in (views.get(view) or {}).items():
            if tier == "assumptions" or not isinstance(m, dict):
                continue
            rows.append([view, tier, *[_value(m.get(k)) for k in keys]])
    return facts, head, rows


def break_even_rows(res: RunResult) -> list[list[Any]]:
    """The break-even sheet: a header, then one row per view and driver."""
    be = res.summary.get("break_even") or {}
    rows: list[list[Any]] = [["view", "driver", "break-even multiplier [ratio]", "NPV at the hurdle [USD]",
                              "hurdle rate [fraction/year]"]]
    for view in ("landlord", "operator"):
        res_v = be.get(view) or {}
        for driver, m in res_v.items():
            if driver == "npv_at_hurdle_usd":
                continue
            rows.append([view, driver, _value(m), _value(res_v.get("npv_at_hurdle_usd")), _value(be.get("hurdle_rate"))])
    return rows


def write_workbook(path: Path, res: RunResult, tables: InvestorTables) -> None:
    """Write ``model.xlsx`` (see the module docstring) atomically to `path`.

    Parameters
    ----------
    path : Path
        The workbook file.
    res : RunResult
        The run (scenario, summary with ``finance_views``, financials).
    tables : InvestorTables
        Both views' tables, as stored in the run directory's Parquet files.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("summary")
    facts, head, rows = summary_rows(res)
    for f in facts:
        ws.append([_value(v) for v in f])
    ws.append([])
    _bold_row(ws, head)
    for r in rows:
        ws.append(r)
    wa = wb.create_sheet("assumptions")
    _bold_row(wa, ["parameter", "value", "unit", "source"])
    for r in assumption_rows(res, tables):
        wa.append(r)
    for field_name, title in SHEETS.items():
        _frame_sheet(wb, title, getattr(tables, field_name))
    wbe = wb.create_sheet("break-even")
    head_be, *rows_be = break_even_rows(res)
    _bold_row(wbe, head_be)
    for r in rows_be:
        wbe.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(Path(path), buf.getvalue())


__all__ = ["SHEETS", "assumption_rows", "break_even_rows", "header", "summary_rows", "unit_of", "write_workbook"]
