"""The report's investor sections: both views' cash flows by year, per-site economics (sortable),
NPV tornados and, when asked for, the strategy comparison.

Everything here reads results (`coredge.finance.view_tables.InvestorTables`, the summary's
``finance_views``, a comparison table); nothing is computed but sums and formatting.
"""

from __future__ import annotations

import html
import math
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from coredge.finance.view_tables import CAPEX_COLUMNS, InvestorTables
from coredge.formatting import figure, num, pct, usd

VIEW_TITLES: Final[dict[str, str]] = {
    "landlord": "Landlord (powered shell leased per kW; the tenant owns the IT)",
    "operator": "Operator (owns and refreshes the GPUs, sells GPU-hours or tokens)",
}

CAPEX_COLOURS: Final[dict[str, str]] = {
    "capex_land_usd": "#8c510a", "capex_shell_usd": "#bf812d", "capex_electrical_mechanical_usd": "#dfc27d",
    "capex_cooling_usd": "#80cdc1", "capex_backup_power_usd": "#35978f", "capex_it_usd": "#01665e",
}  # fmt: skip

SORT_JS: Final[str] = """<script>
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.style.cursor = 'pointer'; th.title = 'sort';
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.from(body.rows), asc = th.dataset.dir !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.v, y = b.cells[i].dataset.v, fx = parseFloat(x), fy = parseFloat(y);
        var c = (isNaN(fx) || isNaN(fy)) ? String(x).localeCompare(String(y)) : fx - fy;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      t.querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = asc ? 'asc' : 'desc';
    });
  });
});
</script>"""
"""Client-side sorting of ``table.sortable`` by each cell's ``data-v`` (numbers numerically,
the rest as text; missing values sort as text ``"nan"``)."""


def _scale(values: np.ndarray) -> tuple[float, str]:
    m = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return (1e9, "USD billion") if m >= 1e9 else (1e6, "USD million")


def cash_flow_figure(tier_flows: pd.DataFrame, view: str, tier: str) -> go.Figure:
    """Yearly cash flows of one view and tier: capex by component and opex as negative bars,
    revenue and residual value as positive bars, net and cumulative net as lines."""
    f = tier_flows[(tier_flows["view"] == view) & (tier_flows["tier"] == tier)].sort_values("year")
    years = f["year"].astype(int).tolist()
    money = f[[*CAPEX_COLUMNS, "capex_it_usd", "revenue_usd", "energy_cost_usd", "opex_fixed_usd",
               "residual_value_usd", "net_usd", "cumulative_net_usd"]].to_numpy(dtype=np.float64)
    div, unit = _scale(money)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=years, y=f["revenue_usd"] / div, name="revenue", marker_color="#4393c3"))
    if float(f["residual_value_usd"].abs().sum()) > 0:
        fig.add_trace(go.Bar(x=years, y=f["residual_value_usd"] / div, name="residual value", marker_color="#92c5de"))
    for col in (*CAPEX_COLUMNS, "capex_it_usd"):
        if float(f[col].abs().sum()) > 0:
            label = "capex " + col.removeprefix("capex_").removesuffix("_usd").replace("_", " ")
            fig.add_trace(go.Bar(x=years, y=-f[col] / div, name=label, marker_color=CAPEX_COLOURS[col]))
    opex = f["energy_cost_usd"] + f["opex_fixed_usd"] + f["tax_usd"]
    fig.add_trace(go.Bar(x=years, y=-opex / div, name="opex (energy, fixed, tax)", marker_color="#d6604d"))
    fig.add_trace(go.Scatter(x=years, y=f["net_usd"] / div, name="net", mode="lines+markers",
                             line={"color": "#222222"}))
    fig.add_trace(go.Scatter(x=years, y=f["cumulative_net_usd"] / div, name="cumulative net",
                             mode="lines", line={"color": "#762a83", "dash": "dash"}))
    fig.update_layout(barmode="relative", height=340, yaxis={"title": unit},
                      margin={"l": 60, "r": 10, "t": 30, "b": 40}, title={"text": f"{view}: {tier}", "font": {"size": 13}},
                      legend={"font": {"size": 10}})
    return fig


def tornado_view_figure(tornado: pd.DataFrame, view: str, tier: str = "portfolio") -> go.Figure:
    """NPV of one view with each driver at its low and high value, largest swing on top."""
    t = tornado[(tornado["view"] == view) & (tornado["tier"] == tier)].sort_values("swing_usd")
    fig = go.Figure()
    if t.empty:
        return fig
    base = float(t["npv_base_usd"].iloc[0])
    div, unit = _scale(t[["npv_low_usd", "npv_high_usd"]].to_numpy(dtype=np.float64))
    names = t["label"].tolist()
    fig.add_trace(go.Bar(y=names, x=(t["npv_low_usd"] - base) / div, base=base / div, orientation="h",
                         name="driver low", marker_color="#d6604d",
                         customdata=t["range_text"], hovertemplate="%{y}: %{customdata}<extra>low</extra>"))
    fig.add_trace(go.Bar(y=names, x=(t["npv_high_usd"] - base) / div, base=base / div, orientation="h",
                         name="driver high", marker_color="#4393c3",
                         customdata=t["range_text"], hovertemplate="%{y}: %{customdata}<extra>high</extra>"))
    fig.update_layout(barmode="overlay", height=80 + 36 * len(names), xaxis={"title": f"{tier} NPV [{unit}]"},
                      margin={"l": 210, "r": 20, "t": 30, "b": 50}, title={"text": view, "font": {"size": 13}})
    return fig


def _cell(value: Any, kind: str) -> str:
    v = value if isinstance(value, str) else (float(value) if value is not None else math.nan)
    sort = html.escape(v) if isinstance(v, str) else ("nan" if not math.isfinite(v) else repr(v))
    text = html.escape(v) if isinstance(v, str) else html.escape(figure(v, kind))
    return f'<td data-v="{sort}">{text}</td>'


SITE_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("site_id", "site", "text"), ("tier", "tier", "text"), ("it_mw", "IT MW", "mw"),
    ("capex_usd", "capex", "usd"), ("revenue_usd", "revenue (horizon)", "usd"),
    ("npv_usd", "NPV", "usd"), ("irr", "IRR", "pct"), ("payback_years", "payback [years]", "num"),
    ("capex_usd_per_kw", "capex per kW IT", "usd"),
    ("cost_usd_per_gpu_hour", "cost [$/GPU-h]", "num2"),
)  # fmt: skip


def site_table_html(site_economics: pd.DataFrame, view: str) -> str:
    """The sortable per-site table of one view (click a header to sort)."""
    f = site_economics[site_economics["view"] == view]
    rev = "rent (horizon)" if view == "landlord" else "revenue (horizon)"
    head = "".join(f"<th>{html.escape(rev if k == 'revenue_usd' else label)}</th>" for k, label, _ in SITE_COLUMNS)
    body = []
    for r in f.to_dict(orient="records"):
        body.append("<tr>" + "".join(_cell(r[k], kind) for k, _, kind in SITE_COLUMNS) + "</tr>")
    return (f'<table class="sortable" id="sites_{view}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def views_table_html(views: dict[str, Any]) -> str:
    """Both views per tier and for the portfolio: NPV, IRR, payback, MOIC, peak funding, capex."""
    head = ("<tr><th>view</th><th>tier</th><th>capex</th><th>revenue (horizon)</th><th>NPV</th><th>IRR</th>"
            "<th>payback</th><th>MOIC</th><th>peak funding</th><th>yield on cost / EBITDA margin</th></tr>")
    rows = []
    for view in ("landlord", "operator"):
        block = views.get(view) or {}
        for tier in ("core", "regional", "micro", "portfolio"):
            m = block.get(tier)
            if not isinstance(m, dict) or (tier != "portfolio" and not m.get("n_rows")):
                continue
            extra = pct(m.get("yield_on_cost")) if view == "landlord" else pct(m.get("ebitda_margin"))
            pb = m.get("payback_years")
            rows.append(
                f"<tr><td>{view}</td><td>{tier}</td><td>{usd(m.get('capex_usd'))}</td>"
                f"<td>{usd(m.get('revenue_usd'))}</td><td>{usd(m.get('npv_usd'))}</td>"
                f"<td>{pct(m.get('irr'), missing='none')}</td>"
                f"<td>{'never' if pb is None or not math.isfinite(float(pb)) else num(pb) + ' yr'}</td>"
                f"<td>{num(m.get('moic'), 2)}</td><td>{usd(m.get('peak_funding_usd'))}</td><td>{extra}</td></tr>"
            )
    return f'<table id="views">{head}{"".join(rows)}</table>'


def tornado_table_html(tornado: pd.DataFrame, view: str) -> str:
    """The tornado's portfolio rows of one view with ranges and sources."""
    t = tornado[(tornado["view"] == view) & (tornado["tier"] == "portfolio")].sort_values("swing_usd", ascending=False)
    rows = "".join(
        f"<tr><td>{html.escape(str(r['label']))}</td><td>{html.escape(str(r['range_text']))}</td>"
        f"<td>{usd(r['npv_low_usd'])}</td><td>{usd(r['npv_high_usd'])}</td><td>{usd(r['swing_usd'])}</td>"
        f"<td class=\"src\">{html.escape(str(r['source']))}</td></tr>"
        for r in t.to_dict(orient="records")
    )
    return (f'<table id="tornado_{view}_table"><tr><th>driver</th><th>low to high</th><th>NPV low</th>'
            f"<th>NPV high</th><th>swing</th><th>range source</th></tr>{rows}</table>")


BREAK_EVEN_LABELS: dict[str, str] = {"rent": "rent per kW-month", "gpu_hour_price": "GPU-hour price",
                                     "utilisation": "utilisation", "capex_per_mw": "facility capex per MW"}
"""Row labels of the break-even table, by driver."""


def _break_even_values(driver: str, m: float, view: str, views: dict[str, Any],
                       bases: dict[str, dict[str, float]]) -> str:
    """The driver's break-even value per tier, where the scenario's base value is known."""
    tiers = ("core", "regional", "micro")
    if driver in ("rent", "gpu_hour_price"):
        key = "lease_usd_per_kw_month" if driver == "rent" else "gpu_hour_price_usd"
        a = (views.get(view) or {}).get("assumptions") or {}
        vals = {t: float(a[t][key]) for t in tiers if isinstance(a.get(t), dict) and key in a[t]}
        unit = "/kW-month" if driver == "rent" else "/GPU-hour"
        return ", ".join(f"{t} ${v * m:,.2f}{unit}" for t, v in vals.items())
    base = bases.get(driver) or {}
    if driver == "utilisation" and "*" in base:
        return f"{base['*'] * m:.0%} (base {base['*']:.0%})"
    if driver == "capex_per_mw":
        return ", ".join(f"{t} ${v * m / 1e6:,.1f}M/MW" for t, v in base.items())
    return ""


CAPEX_PARTS: tuple[str, ...] = ("shell", "electrical", "mechanical", "backup", "land", "soft")
"""Facility components of the capex-per-MW table (`coredge.physics.facility_cost`)."""


def capex_per_mw_rows(res: Any) -> list[dict[str, float | str]]:
    """Capex per MW of IT by component for each tier of a run (`coredge.results.RunResult`):
    the scenario's tier price (facility with land and soft costs) split by the facility cost
    model's shares at the tier's planning size, plus IT (GPUs per MW x capex per GPU) [USD/MW]."""
    from coredge.physics.facility_cost import tier_capex_shares
    from coredge.plan.costing import gpus_per_mw

    sc, inp = res.scenario, res.inputs
    rows: list[dict[str, float | str]] = []
    for tier, spec in sc.tiers.items():
        # each tier's accelerator (hardware.tiers): its kW and capex per GPU
        kw = float(inp.site_it_kw_per_gpu([str(tier)])[0])
        it = gpus_per_mw(kw) * float(inp.site_gpu_capex_usd([str(tier)])[0])
        total = spec.facility_capex_usd_per_mw * (1.0 + spec.land_and_soft_cost_frac)
        shares = tier_capex_shares(str(tier))
        row: dict[str, float | str] = {"tier": str(tier)}
        row.update({k: total * shares[k] for k in CAPEX_PARTS})
        row["facility_total"] = total
        row["it"] = it
        rows.append(row)
    return rows


def capex_per_mw_table_html(res: Any) -> str:
    """The capex-per-MW-by-component table (id ``capex_per_mw``) for report.html."""
    rows = capex_per_mw_rows(res)
    cols = [*CAPEX_PARTS, "facility_total", "it"]
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))} [USD M/MW]</th>" for c in cols)
    body = "".join(
        "<tr><td>" + html.escape(str(r["tier"])) + "</td>"
        + "".join(f"<td>{float(r[c]) / 1e6:,.2f}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return ("<h2>Capex per MW by component</h2>"
            '<div class="muted">Per MW of IT, each tier at its planning size (the midpoint of its size range): '
            "the facility cost curve of coredge.physics.facility_cost on market_construction_cost.csv (economies "
            "of scale, liquid-cooling premium, backup sized N+1 to the site), land and soft costs, and the IT of "
            "the scenario's accelerator. `coredge site` prices any size. See docs/finance.md.</div>"
            f'<table id="capex_per_mw"><thead><tr><th>tier</th>{head}</tr></thead><tbody>{body}</tbody></table>')


def break_even_bases(res: Any) -> dict[str, dict[str, float]]:
    """Base values of the utilisation and capex-per-MW drivers of a run (`coredge.results.RunResult`):
    ``{"utilisation": {"*": u}, "capex_per_mw": {tier: facility capex with land and soft costs}}``
    [fraction], [USD/MW]."""
    sc = res.scenario
    tiers = {str(t): float(spec.facility_capex_usd_per_mw * (1.0 + spec.land_and_soft_cost_frac))
             for t, spec in sc.tiers.items()}
    return {"utilisation": {"*": float(sc.hardware.utilisation_frac)}, "capex_per_mw": tiers}


def break_even_table_html(break_even: dict[str, Any], views: dict[str, Any],
                          bases: dict[str, dict[str, float]] | None = None) -> str:
    """The break-even table (id ``break_even``): per view and driver, the multiplier of the
    scenario's value at which the portfolio's IRR reaches the hurdle rate, and the value it means.

    Parameters
    ----------
    break_even : dict
        `coredge.finance.breakeven.view_break_even` (summary.json ``break_even``).
    views : dict
        summary.json ``finance_views`` (their ``assumptions`` give rent and GPU-hour prices).
    bases : dict, optional
        ``{"utilisation": {"*": u}, "capex_per_mw": {tier: USD/MW}}``: base values of the other
        drivers [fraction], [USD/MW].
    """
    bases = bases or {}
    hurdle = break_even.get("hurdle_rate")
    rows = []
    for view in ("landlord", "operator"):
        res = break_even.get(view) or {}
        for driver, m in res.items():
            if driver == "npv_at_hurdle_usd":
                continue
            label = BREAK_EVEN_LABELS.get(driver, driver)
            if m is None:
                mult, value = "none in x0-10", "the hurdle is not crossed by this driver alone"
            else:
                mult, value = f"x{float(m):.2f}", _break_even_values(driver, float(m), view, views, bases)
            npv = usd(res.get("npv_at_hurdle_usd"), "n/a")
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in (view, label, mult, value, npv)) + "</tr>")
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("view", "driver", "break-even multiplier", "break-even value", "NPV at the hurdle"))
    title = "Break-even" + (f" at a {float(hurdle):.1%} hurdle" if isinstance(hurdle, int | float) else "")
    return (f"<h2>{html.escape(title)}</h2>"
            '<div class="muted">One driver at a time, everything else at the base case: the multiplier of the '
            "scenario's value at which the portfolio's IRR equals the hurdle rate (economics.hurdle_rate), the same "
            "plan re-priced, not re-planned (coredge.finance.breakeven).</div>"
            f'<table id="break_even"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _div(fig: go.Figure, div_id: str) -> str:
    out: str = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                           div_id=div_id, config={"displaylogo": False, "responsive": True})
    return out


def investor_sections_html(tables: InvestorTables, views: dict[str, Any], power_note: str = "",
                           break_even: dict[str, Any] | None = None,
                           bases: dict[str, dict[str, float]] | None = None) -> str:
    """HTML of the investor sections (views, break-even, cash flows, site economics, tornados)
    for report.html.

    Chart ids: ``cf_<view>_<tier>`` (each tier with sites, and ``portfolio``) and
    ``tornado_<view>``; tables ``views``, ``break_even`` (`break_even_table_html`), ``sites_<view>``
    (sortable), ``tornado_<view>_table``.
    """
    tf = tables.tier_flows
    parts = ["<h2>Two investor views</h2>",
             '<div class="muted">The same plan valued twice. '
             + html.escape(f"{VIEW_TITLES['landlord']}; {VIEW_TITLES['operator']}. {power_note}")
             + " See docs/finance.md.</div>", views_table_html(views)]
    if break_even:
        parts.append(break_even_table_html(break_even, views, bases))
    tiers = [t for t in ("core", "regional", "micro") if t in set(tf["tier"])] + ["portfolio"]
    parts.append("<h2>Cash flows by year</h2>")
    parts.append('<div class="muted">Capex by component and opex below zero, revenue and residual value above; '
                 "net and cumulative net as lines. Landlord on the left, operator on the right.</div>")
    for tier in tiers:
        cells = "".join(f"<div>{_div(cash_flow_figure(tf, v, tier), f'cf_{v}_{tier}')}</div>"
                        for v in ("landlord", "operator"))
        parts.append(f'<div class="grid2">{cells}</div>')
    parts.append("<h2>Per-site economics</h2>")
    parts.append('<div class="muted">Click a column header to sort. Capex includes every purchase inside the horizon '
                 "(operator: IT and its refreshes); cost per GPU-hour is this view's full cost levelised over the "
                 "GPU-hours delivered (landlord: without the tenant's IT).</div>")
    for v in ("landlord", "operator"):
        parts.append(f"<h3>{html.escape(VIEW_TITLES[v])}</h3>")
        parts.append('<div class="scroll">' + site_table_html(tables.site_economics, v) + "</div>")
    parts.append("<h2>NPV sensitivity</h2>")
    parts.append('<div class="muted">One driver at a time at its low and high value, everything else at the base case; '
                 "the same plan re-priced (not re-planned). Ranges and their sources in the tables.</div>")
    parts.append('<div class="grid2">' + "".join(
        f"<div>{_div(tornado_view_figure(tables.tornado, v), f'tornado_{v}')}</div>" for v in ("landlord", "operator")
    ) + "</div>")
    for v in ("landlord", "operator"):
        parts.append(f"<h3>{v}</h3>" + tornado_table_html(tables.tornado, v))
    parts.append(SORT_JS)
    return "\n".join(parts)


def compare_section_html(table: dict[str, Any]) -> str:
    """The strategy comparison (all-core, edge-heavy, blended) as a report section."""
    from coredge.report.compare import comparison_body

    table_html, figs = comparison_body(table)
    divs = "".join(_div(f, f"compare_{i}") for i, f in enumerate(figs))
    return ("<h2>Strategy comparison</h2>"
            '<div class="muted">Same demand, prices and hardware in every strategy. <b>all-core</b>: regional and '
            "micro sites serve nothing; <b>edge-heavy</b>: core campuses serve only training and batch; "
            "<b>blended</b>: the planner's free choice.</div>" + table_html + divs)


__all__ = [
    "CAPEX_PARTS",
    "SITE_COLUMNS",
    "SORT_JS",
    "break_even_bases",
    "break_even_table_html",
    "capex_per_mw_rows",
    "capex_per_mw_table_html",
    "cash_flow_figure",
    "compare_section_html",
    "investor_sections_html",
    "site_table_html",
    "tornado_table_html",
    "tornado_view_figure",
    "views_table_html",
]
