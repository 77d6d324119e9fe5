"""``coredge headroom``: curtailment-enabled headroom of US balancing areas (docs/power.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from coredge.cli.app import JsonOpt, Table, app, console, emit_json
from coredge.formatting import num


@app.command("headroom")
def headroom_cmd(
    ba: Annotated[
        list[str] | None,
        typer.Option("--ba", help="Balancing area (EIA-930 code, repeatable; default: all 22)."),
    ] = None,
    limit: Annotated[
        list[float] | None,
        typer.Option("--limit", help="Curtailment limit, fraction of the new load's annual "
                     "energy [fraction] (repeatable; default: 0.0025, 0.005, 0.01)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Largest constant new load [GW] each balancing area can add if it curtails to stay under
    its historical peak (Norris et al. 2025 method, EIA-930 demand 2016-2024)."""
    from coredge.power.grid import check_ba, duke_headroom_gw
    from coredge.power.headroom import LIMITS, check_limit, headroom_table

    codes = [check_ba(b, "--ba") for b in ba] if ba else None
    limits = [check_limit(x, "--limit") for x in limit] if limit else list(LIMITS)
    table = headroom_table(codes, limits)
    pub = duke_headroom_gw()
    records = []
    for row in table.to_dict(orient="records"):
        lim = float(row["limit"])
        published = (float(pub[lim].loc[row["ba"]])
                     if row["ba"] in pub.index and lim in pub.columns else None)
        records.append({**row, "headroom_gw": row["headroom_mw"] / 1000.0,
                        "published_gw": published})
    if json_out:
        emit_json({"headroom": records, "source": "EIA-930 demand 2016-2024 (Ruggles et al. "
                   "cleaned, CC BY 4.0); published: Norris et al. 2025 Fig. 1"})
        return
    t = Table(title="curtailment-enabled headroom (EIA-930 2016-2024)")
    for col in ("BA", "limit", "headroom GW", "Duke GW", "error", "curtailed h/yr", "event h"):
        t.add_column(col, justify="left" if col == "BA" else "right")
    for r in records:
        pubv = r["published_gw"]
        err = "-" if pubv is None else num((r["headroom_gw"] / pubv - 1.0) * 100.0, 1) + "%"
        t.add_row(r["ba"], num(r["limit"] * 100.0, 2) + "%", num(r["headroom_gw"], 2),
                  "-" if pubv is None else num(pubv, 1), err,
                  num(r["curtailment_h_per_year"], 0), num(r["mean_event_h"], 1))
    if codes is None or len(codes) > 1:
        for lim in limits:
            total = sum(r["headroom_gw"] for r in records if r["limit"] == lim)
            t.add_row("total", num(lim * 100.0, 2) + "%", num(total, 1), "", "", "", "")
    console.print(t)


def power_line(summary: dict[str, Any]) -> str | None:
    """One terminal line of a run's power study (None without one)."""
    from coredge.formatting import usd

    p = summary.get("power")
    if not p:
        return None
    pl = p.get("planner") or {}
    if pl.get("campuses") and p.get("chosen_by") == "planner":
        early = [r for r in pl["campuses"] if r["path"] != "firm"]
        paths = ", ".join(f"{k} {v}" for k, v in sorted(pl["paths"].items()))
        line = (f"power: the planner energises {len(early)} of {len(pl['campuses'])} core campuses before firm "
                f"service ({paths}) · first core capacity {pl['first_core_year']} instead of "
                f"{pl['first_core_year_firm_dates']}, {pl['years_earlier_mean']:.1f} years earlier on average · "
                f"{pl['training_mw_years_before_firm']:,.0f} MW-years of training and "
                f"{pl['other_mw_years_before_firm']:,.0f} of inference/batch served before firm · path costs "
                f"{usd(pl['path_cost_usd'])} (discounted) · bridge CO2 {pl['bridge_co2_t']:+,.0f} t vs the grid")
        return line + _shift_text(p)
    paths = ", ".join(f"{k} {v}" for k, v in sorted(p["paths"].items()))
    line = (f"power: {p['campuses']} core campuses ({paths}) · NPV gain over waiting for firm grid "
            f"{usd(p['npv_gain_usd'])} · first capacity {p['months_earlier_mean']:.1f} months earlier on average")
    return line + _shift_text(p)


def _shift_text(p: dict[str, Any]) -> str:
    """The training-shift part of `power_line` ('' without a training year)."""
    from coredge.formatting import usd

    line = ""
    ts = p.get("training_shift")
    if ts:
        sv = ts["savings"]
        line += (f" · training shifted by price and carbon saves {usd(sv['cost_usd'])} ({sv['cost_pct']:.1f}%) "
                 f"energy cost and {sv['co2_hourly_pct']:.1f}% CO2 (hourly), "
                 f"{ts['shifted']['delayed_gpu_h'] - ts['always_on']['delayed_gpu_h']:+,.0f} GPU-h delayed")
        cr = ts.get("curtailment_responses") or {}
        if cr:
            line += " · curtailment: " + ", ".join(
                f"{m} {cr[m]['delayed_gpu_h']:,.0f} GPU-h delayed / {cr[m]['lost_gpu_h']:,.0f} lost"
                for m in ("pause", "cap", "migrate") if m in cr)
    return line
