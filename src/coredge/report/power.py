"""The report's power section: the power path of each core campus and the shifted training year.

Reads the run's `coredge.power.study.PowerStudy` (``RunResult.power``) and the summary's
``power`` entry; nothing is computed but sums and formatting.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coredge.formatting import num, usd

if TYPE_CHECKING:
    from coredge.results import RunResult

PATH_LABELS: dict[str, str] = {
    "firm": "firm grid (wait for the interconnection)",
    "flexible": "flexible connection, then firm",
    "flexible+battery": "flexible connection riding curtailment on a battery, then firm",
}
"""Plain-language names of the power paths (bridge paths are named from their technology)."""


def path_label(path: str) -> str:
    """Plain name of a power path.

    Examples
    --------
    >>> path_label("bridge:recip-engine+flexible")
    'bridge (recip-engine), then flexible, then firm'
    """
    if path in PATH_LABELS:
        return PATH_LABELS[path]
    if path.startswith("bridge:"):
        tech, _, then = path[len("bridge:"):].partition("+")
        return f"bridge ({tech}), then " + ("flexible, then firm" if then else "firm")
    return path


def _td(text: str) -> str:
    return f"<td>{html.escape(text)}</td>"


def site_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Table rows per campus: site, BA, IT MW, chosen path, first power, firm, months earlier, NPV, CO2."""
    rows = []
    for s in summary.get("sites", []):
        rows.append([
            str(s["site_id"]), str(s.get("ba") or "-"), num(float(s["it_mw"]), 0),
            path_label(str(s["path"])), f"month {float(s['first_power_month']):.0f}",
            f"month {float(s['firm_month']):.0f}", num(float(s["months_earlier"]), 0),
            usd(float(s["npv_usd"])), num(float(s["co2_t"]), 0),
            num(float(s["curtailment_h_per_year"]), 0) if s.get("ba") else "-",
        ])
    return rows


def planner_rows(pl: dict[str, Any]) -> list[list[str]]:
    """Rows of the planner's choice per campus (summary ``power.planner``)."""
    def yr(v: Any) -> str:
        return "-" if v is None else str(int(v))

    return [[str(r["site_id"]), path_label(str(r["path"])), yr(r["bridge_from"]), yr(r["flexible_from"]),
             yr(r["firm_from"]), str(int(r["years_earlier"])), num(float(r["training_mw_years_before_firm"]), 0),
             num(float(r["other_mw_years_before_firm"]), 0), usd(float(r["path_cost_usd"])),
             num(float(r["bridge_co2_t"]), 0)] for r in pl["campuses"]]


def shift_rows(ts: dict[str, Any]) -> list[list[str]]:
    """Always-on vs shifted: energy cost, CO2 both ways, GPU-hours delayed and lost, late jobs."""
    a, b, sv = ts["always_on"], ts["shifted"], ts["savings"]
    return [
        ["energy cost", usd(a["cost_usd"]), usd(b["cost_usd"]), f"{sv['cost_pct']:.1f}%"],
        ["CO2, hourly-matched [t]", num(a["co2_hourly_t"], 0), num(b["co2_hourly_t"], 0),
         f"{sv['co2_hourly_pct']:.1f}%"],
        ["CO2, annual-average location-based [t]", num(a["co2_annual_avg_t"], 0),
         num(b["co2_annual_avg_t"], 0), f"{sv['co2_annual_avg_pct']:.1f}%"],
        ["energy [MWh]", num(a["energy_mwh"], 0), num(b["energy_mwh"], 0), f"{sv['energy_pct']:.1f}%"],
        ["GPU-hours delayed", num(a["delayed_gpu_h"], 0), num(b["delayed_gpu_h"], 0), ""],
        ["GPU-hours lost to restarts", num(a["lost_gpu_h"], 0), num(b["lost_gpu_h"], 0), ""],
        ["jobs late / shifted", f"{a['late_jobs']}", f"{b['late_jobs']} / {b.get('shifted_jobs', 0)}", ""],
    ]


def week_figure(res: RunResult) -> go.Figure | None:
    """Hourly price and carbon of the largest campus over its most curtailed (or priciest) week,
    with the always-on and shifted training load on top."""
    ps = getattr(res, "power", None)
    if ps is None or ps.hourly is None or ps.hourly.empty:
        return None
    h = ps.hourly
    big = str(h.groupby("site_id")["always_on_mw"].sum().idxmax())
    d = h[h["site_id"] == big].reset_index(drop=True)
    curtailed = 1.0 - d["available_frac"].to_numpy()
    score = curtailed if curtailed.sum() > 0 else d["price_usd_per_mwh"].to_numpy()
    week = np.convolve(score, np.ones(168), mode="valid")
    start = int(np.argmax(week))
    w = d.iloc[start:start + 168]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = w["hour"].to_numpy()
    fig.add_trace(go.Scatter(x=x, y=w["always_on_mw"], name="training load, always-on [MW]",
                             line={"color": "#636363"}), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=w["shifted_mw"], name="training load, shifted [MW]",
                             line={"color": "#b2182b"}), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=w["price_usd_per_mwh"], name="price [USD/MWh]",
                             line={"color": "#2166ac", "dash": "dot"}), secondary_y=True)
    fig.add_trace(go.Scatter(x=x, y=w["carbon_g_per_kwh"], name="carbon [g/kWh]",
                             line={"color": "#1b9e77", "dash": "dash"}), secondary_y=True)
    if curtailed[start:start + 168].any():
        fig.add_trace(go.Bar(x=x, y=curtailed[start:start + 168] * float(w["always_on_mw"].max() or 1.0),
                             name="curtailment (share of campus, scaled)", marker={"color": "#fdb863"},
                             opacity=0.5), secondary_y=False)
    fig.update_layout(height=360, margin={"l": 50, "r": 50, "t": 30, "b": 40},
                      title=f"{big}: hours {start}-{start + 167} of the price year",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(title="hour of the year (UTC)")
    fig.update_yaxes(title="MW", secondary_y=False)
    fig.update_yaxes(title="USD/MWh, g/kWh", secondary_y=True)
    return fig


def power_section_html(res: RunResult) -> str:
    """The power section of report.html ('' when the run has no power study)."""
    s = res.summary.get("power")
    if not s:
        return ""
    parts = ["<h2>Power paths of the core campuses</h2>",
             "<div class=\"muted\">" + html.escape(
                 "How each campus is energised before its firm grid service: a flexible (curtailable) "
                 f"connection at {100 * float(s['flexible_limit']):.2f}% of its energy (Norris et al. 2025 "
                 "method on EIA-930 demand 2016-2024), on-site bridge generation, a battery, or the "
                 "firm wait; value = rent of the energised IT (" + usd(float(s["rent_usd_per_kw_month"]))
                 + "/kW-month) minus the option's costs before firm service, discounted (docs/power.md).")
             + "</div>"]
    head = ["campus", "BA", "IT MW", "path", "first power", "firm", "months earlier", "NPV gain",
            "CO2 before firm [t]", "curtailed h/yr"]
    parts.append("<table id=\"power-paths\"><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>")
    for r in site_rows(s):
        parts.append("<tr>" + "".join(_td(c) for c in r) + "</tr>")
    parts.append("</table>")
    planned = s.get("chosen_by") == "planner"
    parts.append(f"<p>Total NPV gain over waiting for firm service: {html.escape(usd(float(s['npv_gain_usd'])))}; "
                 f"first capacity {html.escape(num(float(s['months_earlier_mean']), 1))} months earlier on average"
                 + (f"; the earliest core capacity could count in {int(s['first_core_year_with_paths'])} instead of "
                    f"{int(s['first_core_year_firm'])}" + ("" if planned else " (the planner planned the firm dates)")
                    if s.get("first_core_year_firm") is not None else "") + ".</p>")
    pl = s.get("planner") or {}
    if planned and pl.get("campuses"):
        parts.append("<h3>The planner's choice of power path</h3>")
        parts.append("<div class=\"muted\">" + html.escape(
            "The planner chooses per core campus between firm service and the power paths the evidence "
            "supports (power.paths; docs/power.md): the year each stage starts, the first year with capacity, "
            "the IT MW-years served before firm service, the path's charges in the planner's objective "
            "(discounted) and the CO2 of bridge generation above the grid's.") + "</div>")
        head2 = ["campus", "path", "bridge from", "flexible from", "firm from", "years earlier",
                 "training MW-yr before firm", "inference/batch MW-yr before firm", "path cost", "bridge CO2 [t]"]
        parts.append("<table id=\"power-planner\"><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head2) + "</tr>")
        for r in planner_rows(pl):
            parts.append("<tr>" + "".join(_td(c) for c in r) + "</tr>")
        parts.append("</table>")
        parts.append(f"<p>First core capacity in {int(pl['first_core_year'])} (firm dates: "
                     f"{int(pl['first_core_year_firm_dates'])}); path charges "
                     f"{html.escape(usd(float(pl['path_cost_usd'])))}; bridge CO2 "
                     f"{html.escape(num(float(pl['bridge_co2_t']), 0))} t above the grid's.</p>")
    ts = s.get("training_shift")
    if ts:
        parts.append(f"<h3>Training as a flexible load ({int(ts['price_year'])} prices and carbon)</h3>")
        parts.append("<div class=\"muted\">" + html.escape(
            f"{ts['jobs']:,} training jobs scheduled always-on at their home campus, then shifted across "
            f"campuses and hours by hourly price (and CO2 at {ts['carbon_usd_per_t']:.0f} USD/t) within "
            f"a deadline of the always-on finish + {100 * ts['deadline_slack']:.0f}% of the duration "
            "(at least 24 h); campuses on a flexible connection pause (checkpoint) in curtailment hours. "
            "Sources: " + "; ".join(f"{k}: {v['price']}, {v['carbon']}" for k, v in ts["sources"].items()))
            + "</div>")
        parts.append("<table id=\"training-shift\"><tr><th>figure</th><th>always-on</th><th>shifted</th>"
                     "<th>saved</th></tr>")
        for r in shift_rows(ts):
            parts.append("<tr>" + "".join(_td(c) for c in r) + "</tr>")
        parts.append("</table>")
        cr = ts.get("curtailment_responses") or {}
        if cr:
            parts.append("<h3>Answering curtailment: pause, power cap or migrate</h3>")
            parts.append("<div class=\"muted\">" + html.escape(
                "The curtailed campuses' training jobs against their always-on schedule without events; "
                "cap: every running job slowed to the allowed power (throughput = share^"
                f"{cr['assumptions']['cap_throughput_exponent']}, assumption); migrate: over a "
                f"{cr['assumptions']['wan_gbps']:.0f} Gbit/s WAN to a campus with free GPUs. Anchor: "
                + str(cr["assumptions"]["anchor"]) + ".") + "</div>")
            parts.append("<table id=\"curtailment-responses\"><tr><th>response</th><th>events</th>"
                         "<th>jobs affected</th><th>curtailed MWh</th><th>GPU-h delayed</th><th>GPU-h lost</th>"
                         "<th>extra energy cost</th><th>extra CO2 [t]</th><th>late jobs</th></tr>")
            for m in ("pause", "cap", "migrate"):
                r = cr[m]
                parts.append("<tr>" + "".join(_td(c) for c in [
                    m, f"{r['events']}", f"{r['jobs_affected']}", num(r["curtailed_mwh"], 0),
                    num(r["delayed_gpu_h"], 0), num(r["lost_gpu_h"], 0), usd(r["extra_cost_usd"]),
                    num(r["extra_co2_t"], 0), f"{r['late_jobs']}"]) + "</tr>")
            parts.append("</table>")
        fig = week_figure(res)
        if fig is not None:
            parts.append(fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                                     div_id="power_week", config={"displaylogo": False, "responsive": True}))
    return "\n".join(parts)
