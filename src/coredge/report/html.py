"""The self-contained, offline HTML report of a run.

One file: plotly.js is embedded, maps are drawn from the vendored TopoJSON on Cartesian axes, and
nothing is fetched when the page is opened.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from coredge.formatting import pct, site_display_name, usd
from coredge.plan.resilience import explain
from coredge.report.maps import MapView, choose_view
from coredge.report.market import market_rows, range_rows

if TYPE_CHECKING:
    from coredge.finance.view_tables import InvestorTables
    from coredge.results import RunResult

TIER_COLOURS = {"core": "#b2182b", "regional": "#2166ac", "micro": "#1b9e77"}
"""Tier colours (ColorBrewer RdBu/Dark2, colour-blind safe)."""

LEGEND_BELOW: dict[str, object] = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.12,
                                   "yanchor": "top"}
"""Legend of the bar charts: a row under the plot, clear of the plotly toolbar (top right)."""


def _is_us(res: RunResult) -> bool:
    c = res.inputs.demand["country"].astype(str)
    return bool(len(c)) and bool(c.isin(["US", "USA"]).all())


def map_view(res: RunResult) -> MapView:
    """The map of a run: projection and extent from its demand points and candidate sites
    (`coredge.report.maps.choose_view`): the US map for a US scenario, the region the points
    cover elsewhere, the whole world when they span it."""
    d = res.inputs.demand
    lat = [d["lat"].to_numpy(dtype=np.float64)]
    lon = [d["lon"].to_numpy(dtype=np.float64)]
    for table in (res.inputs.candidates, res.plan.sites):
        if table is not None and len(table) and {"lat", "lon"} <= set(table.columns):
            lat.append(table["lat"].to_numpy(dtype=np.float64))
            lon.append(table["lon"].to_numpy(dtype=np.float64))
    return choose_view(np.concatenate(lat), np.concatenate(lon), all_us=_is_us(res))


def map_figure(res: RunResult) -> go.Figure:
    """Sites sized by IT MW and coloured by tier, over the outline of the region the scenario
    covers (`map_view`), with demand points."""
    from coredge.report.outlines import outline_lines

    view = map_view(res)
    project = view.project
    fig = go.Figure()
    xs: list[float | None] = []
    ys: list[float | None] = []
    for lon, lat in outline_lines(view.outline):
        for x, y in view.lines(lon, lat):
            xs.extend([*x.tolist(), None])
            ys.extend([*y.tolist(), None])
    fig.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#9e9e9e", "width": 0.7},
                     hoverinfo="skip", name="outline", showlegend=False)
    )
    d = res.inputs.demand
    dx, dy = project(d["lat"].to_numpy(), d["lon"].to_numpy())
    pop = d["population"].to_numpy(dtype=np.float64)
    fig.add_trace(
        go.Scatter(
            x=dx, y=dy, mode="markers", name=f"demand points ({len(d)})",
            marker={"size": np.clip(np.sqrt(np.maximum(pop, 1.0)) / 120.0, 2.0, 12.0),
                    "color": "#bdbdbd", "opacity": 0.6, "line": {"width": 0}},
            text=[f"{n} ({p:,.0f} people)" for n, p in zip(d["name"], pop, strict=True)],
            hoverinfo="text",
        )
    )
    s = res.plan.sites
    for tier in ("micro", "regional", "core"):
        m = s[s["tier"] == tier]
        if m.empty:
            continue
        x, y = project(m["lat"].to_numpy(), m["lon"].to_numpy())
        size = 6.0 + 10.0 * np.sqrt(m["it_mw"].to_numpy() / max(float(s["it_mw"].max()), 1e-9)) * 3.0
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="markers", name=f"{tier} ({len(m)})",
                marker={"size": size, "color": TIER_COLOURS[tier], "opacity": 0.85,
                        "line": {"width": 0.5, "color": "white"}},
                text=[
                    f"{r.name} [{r.state}] {tier}: {r.it_mw:,.1f} MW IT, {r.gpus:,} GPUs, online {r.online_year}"
                    + (f" on {p}, firm grid {int(f)}" if isinstance(p, str) and p != "firm" else "")
                    for r, p, f in zip(m.itertuples(index=False),
                                       m["power_path"] if "power_path" in m.columns else [None] * len(m),
                                       m["firm_from"] if "firm_from" in m.columns else [0] * len(m), strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_xaxes(visible=False, range=list(view.x_range) if view.x_range else None)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1,
                     range=list(view.y_range) if view.y_range else None)
    fig.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.02}, hovermode="closest",
    )
    return fig


def coverage_figure(res: RunResult) -> go.Figure:
    """Share of each class's demand served within its RTT budget (final plan year)."""
    cov = res.coverage
    names = list(cov)
    vals = [100.0 * cov[k]["coverage"] for k in names]
    labels = [
        f"{k}<br>({'no budget' if cov[k]['rtt_budget_ms'] is None else str(int(cov[k]['rtt_budget_ms'])) + ' ms'})"
        for k in names
    ]
    fig = go.Figure(go.Bar(x=labels, y=vals, marker_color="#4393c3",
                           text=[f"{v:.1f}%" for v in vals], textposition="outside",
                           hovertemplate="%{x}: %{y:.2f}% of the load within budget<extra></extra>"))
    fig.update_layout(height=380, yaxis={"title": "demand served within budget [%]", "range": [0, 109]},
                      margin={"l": 60, "r": 10, "t": 36, "b": 90})  # t: value labels clear of the toolbar
    return fig


def rtt_histogram(res: RunResult) -> go.Figure:
    """Backbone RTT of served load, weighted by load, per class (final plan year)."""
    a = res.plan.assignments
    fig = go.Figure()
    if not a.empty:
        w = res.inputs.load_mw[a["point_index"].to_numpy(), a["class_index"].to_numpy(), -1] * a["share"].to_numpy()
        for k, cid in enumerate(res.inputs.classes):
            m = (a["class_index"] == k).to_numpy()
            if m.any():
                fig.add_trace(go.Histogram(x=a["rtt_ms"].to_numpy()[m], y=w[m], histfunc="sum",
                                           name=cid, xbins={"size": 2.0}, opacity=0.75,
                                           hovertemplate=f"{cid}: %{{y:,.3f}} MW served at %{{x}} ms RTT<extra></extra>"))
    fig.update_layout(barmode="stack", height=360, xaxis={"title": "backbone RTT to serving site [ms]"},
                      yaxis={"title": "served IT load [MW]"}, margin={"l": 60, "r": 10, "t": 10, "b": 120},
                      legend={**LEGEND_BELOW, "y": -0.25})
    return fig


def buildout_figure(res: RunResult) -> go.Figure:
    """Installed IT MW by tier and year."""
    s = res.plan.sites
    years = [int(y) for y in res.plan.years]
    fig = go.Figure()
    for tier in ("core", "regional", "micro"):
        m = (s["tier"] == tier).to_numpy()
        fig.add_trace(go.Bar(x=years, y=res.plan.it_mw_by_year[m].sum(axis=0), name=tier,
                             marker_color=TIER_COLOURS[tier],
                             hovertemplate=f"{tier}: %{{y:,.1f}} MW IT installed in %{{x}}<extra></extra>"))
    fig.update_layout(barmode="stack", height=360, yaxis={"title": "installed IT [MW]"},
                      margin={"l": 60, "r": 10, "t": 10, "b": 70}, legend=LEGEND_BELOW)
    return fig


def unmet_figure(res: RunResult) -> go.Figure:
    """Load left unserved per workload class (and training) by year [MW]."""
    years = [int(y) for y in res.plan.years]
    fig = go.Figure()
    names = [*res.inputs.classes, "training"]
    for k, name in enumerate(names):
        vals = res.plan.unmet_mw[k]
        if float(vals.max()) > 1e-6:
            fig.add_trace(go.Bar(x=years, y=vals, name=name,
                                 hovertemplate=f"{name}: %{{y:,.3f}} MW unserved in %{{x}}<extra></extra>"))
    fig.update_layout(barmode="stack", height=320, yaxis={"title": "unserved IT load [MW]"},
                      margin={"l": 60, "r": 10, "t": 10, "b": 80}, legend=LEGEND_BELOW)
    return fig


def latency_cdf_figure(res: RunResult) -> go.Figure:
    """CDF of simulated end-to-end latency (all served requests), log time axis."""
    from coredge.sim.hist import bin_edges_ms

    fig = go.Figure()
    if res.sim is not None:
        counts = res.sim.hist_latency.astype(np.float64)
        total = counts.sum()
        if total > 0:
            edges = bin_edges_ms()[1:]
            cdf = np.cumsum(counts) / total
            keep = (counts > 0) & np.isfinite(edges)
            fig.add_trace(go.Scatter(x=edges[keep] / 1000.0, y=cdf[keep], mode="lines",
                                     name="all classes", line={"color": "#2166ac"},
                                     hovertemplate="%{y:.1%} of requests within %{x:.3g} s<extra></extra>"))
    fig.update_layout(height=340, xaxis={"title": "end-to-end latency [s]", "type": "log"},
                      yaxis={"title": "share of requests", "range": [0, 1.02]},
                      margin={"l": 60, "r": 10, "t": 10, "b": 50})
    return fig


def slo_figure(res: RunResult) -> go.Figure:
    """Simulated SLO attainment per workload class."""
    fig = go.Figure()
    if res.sim is not None:
        c = res.sim.summary.get("classes") or {}
        names = [k for k, v in c.items() if isinstance(v, dict)]
        vals = [100.0 * float(c[k].get("slo_attainment") or 0.0) for k in names]
        fig.add_trace(go.Bar(x=names, y=vals, marker_color="#5aae61",
                             text=[f"{v:.1f}%" for v in vals], textposition="outside",
                             hovertemplate="%{x}: %{y:.1f}% of requests within SLO<extra></extra>"))
    fig.update_layout(height=360, yaxis={"title": "requests within SLO [%]", "range": [0, 109]},
                      margin={"l": 60, "r": 10, "t": 36, "b": 90})  # t: value labels clear of the toolbar
    return fig


def sim_rows(res: RunResult) -> list[dict[str, str]]:
    """Per-class simulated latency table rows."""
    if res.sim is None:
        return []
    c = res.sim.summary.get("classes") or {}
    rows = []
    for k, v in c.items():
        if not isinstance(v, dict):
            continue
        rows.append({
            "cls": k, "requests": f"{int(v.get('requests') or 0):,}",
            "slo": f"{100 * float(v.get('slo_attainment') or 0):.1f}%",
            "p50": f"{float(v.get('p50_ms') or 0) / 1000:,.2f} s",
            "p95": f"{float(v.get('p95_ms') or 0) / 1000:,.2f} s",
            "p99": f"{float(v.get('p99_ms') or 0) / 1000:,.2f} s",
            "wait": f"{float(v.get('mean_wait_ms') or 0):,.0f} ms",
            "spilled": f"{100 * float(v.get('spilled_frac') or 0):.1f}%",
            "dropped": f"{100 * float(v.get('dropped_frac') or 0):.2f}%",
            "jtok": "n/a" if v.get("facility_j_per_token") is None else f"{float(v['facility_j_per_token']):.2f}",
        })
    return rows


def training_rows(res: RunResult) -> list[dict[str, str]]:
    """Per core campus: the simulated year of training jobs."""
    if res.training is None:
        return []
    rows = []
    names = {str(r["site_id"]): site_display_name(r) for _, r in res.plan.sites.iterrows()}
    for r in res.training.campuses.to_dict(orient="records"):
        rows.append({
            "site": names.get(str(r["site_id"]), str(r["site_id"])), "gpus": f"{int(r['campus_gpus']):,}", "jobs": f"{int(r['jobs']):,}",
            "util": f"{100 * float(r['utilization']):.1f}%",
            "queue": f"{float(r['mean_queue_delay_h']):,.1f} h",
            "lost": f"{100 * float(r['lost_frac']):.1f}%",
            "failures": f"{int(r['failures']):,}",
            "energy": f"{float(r['energy_mwh']):,.0f}",
        })
    return rows


def whatif_rows(res: RunResult) -> list[dict[str, str]]:
    """Per class: SLO attainment during and outside the simulated site failure."""
    w = res.whatif or {}
    rows = []
    for k, v in (w.get("classes") or {}).items():
        rows.append({
            "cls": k,
            "during": f"{100 * float(v.get('slo_attainment_during') or 0):.1f}%",
            "outside": f"{100 * float(v.get('slo_attainment_outside') or 0):.1f}%",
            "dropped": f"{100 * float(v.get('dropped_frac_during') or 0):.2f}%",
        })
    return rows


def _div(fig: go.Figure, div_id: str) -> str:
    out: str = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                           div_id=div_id, config={"displaylogo": False, "responsive": True})
    return out


def _training_line(res: RunResult) -> str:
    sc = res.inputs.scenario
    t, mw = sc.training, res.inputs.training_mw
    span = f"{mw[0]:,.0f} MW in {sc.horizon.start_year} to {mw[-1]:,.0f} MW in {sc.horizon.end_year}"
    if t.volume == "market":
        share = sc.demand.market_share if t.market_share is None else t.market_share
        return f"{share:.0%} of the market's training (inference share of AI compute, see Market): {span}"
    return f"{t.it_mw_start:,.0f} MW in {sc.horizon.start_year}, +{t.growth_rate:.0%}/yr ({span})"


def assumptions(res: RunResult) -> list[tuple[str, str]]:
    """Key scenario assumptions as (label, value) rows."""
    sc = res.scenario
    d, n, e, h = sc.demand, sc.network, sc.economics, sc.hardware
    rows = [
        ("Horizon", f"{sc.horizon.start_year}-{sc.horizon.end_year}"),
        ("Demand", f"{d.source}: {', '.join(d.countries)}; cities >= {d.min_population:,} people"
                   if d.source == "cities" else f"CSV {d.points_csv}"),
        *((("Demand volume", f"calibrated market ({d.market_band} of the published ranges; see Market)"),)
          if d.volume == "market" else
          (("Requests per person per day (start year)", f"{d.requests_per_capita_per_day}"),
           ("Demand growth", f"{d.growth_rate:.0%} per year"))),
        ("Portfolio market share", f"{d.market_share:.0%}"),
        ("Busy-hour / mean load", f"{d.peak_to_mean_ratio}"),
        ("Training IT load", _training_line(res)),
        ("Accelerator", f"{h.gpu}: {res.inputs.it_kw_per_gpu:.3f} kW IT per GPU, {usd(res.inputs.gpu_capex_usd, 'n/a')} per GPU"),
        *_tier_accelerator_rows(res),
        ("GPU utilisation (energy, revenue)", f"inference {h.utilisation_frac:.0%}; training billed "
         f"{sc.training.billed_utilisation_frac:.0%} (take-or-pay), busy {sc.training.busy_frac:.0%}"),
        ("Facility capex per MW (with land and soft costs)", ", ".join(
            f"{t} {usd(spec.facility_capex_usd_per_mw * (1 + spec.land_and_soft_cost_frac), 'n/a')}"
            for t, spec in sc.tiers.items()) + " (coredge.physics.facility_cost at each tier's planning size)"),
        ("RTT model", (f"calibrated: {n.fixed_ms} ms + 2 x distance x (1 + {n.inflation_excess} / (1 + distance / {n.inflation_scale_km:g} km)) x {n.fiber_us_per_km} us/km"
                       if n.model == "calibrated" else
                       f"fixed inflation: 2 x distance x {n.route_inflation} x {n.fiber_us_per_km} us/km + {n.overhead_ms} ms")
         + f"; access: {n.access_technology}"),
        ("Discount rate", f"{e.discount_rate:.1%}"),
        ("Electricity", f"EIA 2023 {e.electricity_sector} price by state, escalating {e.power_price_escalator_rate:.0%}/yr"),
        ("GPU-hour price", ", ".join(f"{k} ${v:.2f}" for k, v in e.gpu_hour_price_usd.items())),
    ]
    for k, cap in res.inputs.capacity.items():
        w = sc.workloads[k]
        rows.append((f"Class {k}", f"{w.model}, {w.tokens_in} in / {w.tokens_out} out tokens, "
                     f"{cap.output_tokens_per_s_per_gpu:,.0f} output tok/s per GPU at its targets, "
                     f"share {w.demand_share:.0%}"))
    return rows


def _tier_accelerator_rows(res: RunResult) -> list[tuple[str, str]]:
    """One row per tier naming its accelerator, when some tier has its own (hardware.tiers)."""
    inp = res.inputs
    if not res.scenario.hardware.per_tier:
        return []
    rows = []
    for t, th in inp.tier_hardware.items():
        gpus = int(res.plan.sites.loc[res.plan.sites["tier"] == t, "gpus"].sum())
        rows.append((f"Accelerator at {t} sites",
                     f"{th.gpu} ({th.engine}): {th.it_kw_per_gpu:.3f} kW IT per GPU, {usd(th.gpu_capex_usd, 'n/a')} "
                     f"per GPU; {gpus:,} GPUs in the final year"))
    return rows


def write_report(
    path: Path,
    res: RunResult,
    tiers: pd.DataFrame,
    investor: InvestorTables | None = None,
    compare: dict[str, Any] | None = None,
) -> None:
    """Render report.html for a run.

    Parameters
    ----------
    path : Path
        The file to write.
    res : RunResult
        The run.
    tiers : DataFrame
        `coredge.results.tier_table` of the run.
    investor : InvestorTables, optional
        Both investor views' tables (cash flows, site economics, tornado); their sections are
        left out without them.
    compare : dict, optional
        A strategy comparison (`coredge.studies.compare.comparison_table`) to include.
    """
    from coredge.report.finance_sections import (
        break_even_bases,
        capex_per_mw_table_html,
        compare_section_html,
        investor_sections_html,
    )
    from coredge.report.power import power_section_html

    # every value is escaped (the template is .html.j2, which select_autoescape(["html"]) missed);
    # the figures' and sections' HTML is marked | safe in the template
    env = Environment(loader=PackageLoader("coredge.report", "templates"),
                      autoescape=select_autoescape(["html", "html.j2"], default_for_string=True))
    tpl = env.get_template("report.html.j2")
    tier_rows = [
        {
            "tier": r["tier"], "sites": r["sites"], "it_mw": f"{r['it_mw']:,.1f}",
            "facility_mw": f"{r['facility_mw']:,.1f}", "gpus": f"{r['gpus']:,}",
            "capex": usd(r["capex_usd"], "n/a"), "opex": usd(r["opex_usd_per_year"], "n/a"),
            "npv": usd(r["npv_usd"], "n/a"),
            "irr": pct(r["irr"], missing="none"),
            "payback": "never" if r["payback_years"] is None or not math.isfinite(r["payback_years"])
            else f"{r['payback_years']:.1f} yr",
        }
        for r in tiers.to_dict(orient="records")
    ]
    s = res.summary
    cov_rows = [
        {"cls": k, "budget": "none" if v["rtt_budget_ms"] is None else f"{v['rtt_budget_ms']:.0f} ms",
         "coverage": f"{100 * v['coverage']:.2f}%", "demand": f"{v['demand_mw']:,.1f}"}
        for k, v in res.coverage.items()
    ]
    page = tpl.render(
        title=f"coredge: {res.scenario.name}" + (f" ({res.variant})" if res.variant else ""),
        description=res.scenario.description,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        plotly_js=get_plotlyjs(),
        headline=[
            ("Sites", ", ".join(f"{v} {k}" for k, v in s["sites_by_tier"].items())),
            ("IT load (final year)", f"{sum(s['it_mw_by_tier'].values()):,.0f} MW"),
            ("Capex over the horizon", usd(s["capex_usd"], "n/a")),
            ("NPV", usd(s["npv_usd"], "n/a")),
            ("IRR", pct(s["irr"], missing="none")),
            ("Cost per GPU-hour", f"${s['lcoc_usd_per_gpu_hour']:.2f}" if s["lcoc_usd_per_gpu_hour"] is not None else "n/a"),
            ("Planner", f"{s['planner']} ({s['status']})" + (
                f", certified gap {s['gap']:.2%} (cost {usd(s['objective_usd'], 'n/a')}, bound {usd(s['bound_usd'], 'n/a')})"
                if isinstance(s.get("gap"), float) else "")),
        ],
        map_div=_div(map_figure(res), "map"),
        coverage_div=_div(coverage_figure(res), "coverage"),
        rtt_div=_div(rtt_histogram(res), "rtt"),
        buildout_div=_div(buildout_figure(res), "buildout"),
        unmet_div=_div(unmet_figure(res), "unmet"),
        sim=s.get("simulation"),
        sim_rows=sim_rows(res),
        whatif_rows=whatif_rows(res),
        training=s.get("training_simulation"),
        training_rows=training_rows(res),
        cdf_div=_div(latency_cdf_figure(res), "latency_cdf") if res.sim is not None else "",
        slo_div=_div(slo_figure(res), "slo") if res.sim is not None else "",
        first_year=s["first_capacity_year_by_tier"],
        resilience=s["single_site_failure"],
        resilience_lines=explain(s["single_site_failure"]),
        tier_rows=tier_rows,
        cov_rows=cov_rows,
        assumptions=assumptions(res),
        market=s.get("market"),
        market_rows=market_rows(s.get("market")),
        range_rows=range_rows(s.get("market")),
        investor_html=capex_per_mw_table_html(res) + investor_sections_html(
            investor, s.get("finance_views") or {}, str((s.get("finance_views") or {}).get("power", "")),
            s.get("break_even") or {}, break_even_bases(res),
        ) if investor is not None else "",
        compare_html=compare_section_html(compare) if compare is not None else "",
        power_html=power_section_html(res),
    )
    path.write_text(page, encoding="utf-8")
