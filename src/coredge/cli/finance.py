"""`coredge finance`, `risk`, `compare` and `sweep`: the investment view of a plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from coredge.cli.app import (
    JsonOpt,
    OverwriteOpt,
    ScenarioArg,
    Table,
    VariantOpt,
    app,
    break_even_line,
    console,
    emit_json,
    err_console,
)
from coredge.errors import InputError
from coredge.formatting import figure, num, pct, usd

if TYPE_CHECKING:
    from coredge.finance.from_plan import PlanFinancials
    from coredge.inputs.build import Inputs
    from coredge.plan.costing import SiteCosts
    from coredge.plan.result import Plan
    from coredge.scenario.schema import Scenario

SourceArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[RUN_DIR|SCENARIO]",
        help="A run directory (with plan.json), a scenario YAML file or a built-in name (default 'us').",
    ),
]


ReplanOpt = Annotated[
    bool,
    typer.Option(
        "--replan",
        help="Plan the scenario again instead of taking the plan an earlier command made for the "
        "same scenario, planner settings and code (the plan store, docs/architecture.md).",
    ),
]


def _say(msg: str) -> None:
    err_console.print(f"[dim]·[/] {escape(msg)}", highlight=False)


# ------------------------------------------------------------------ loading a plan


@dataclass(frozen=True)
class PlannedSource:
    """A plan and its financials, from a run directory or planned from a scenario."""

    scenario: Scenario
    inputs: Inputs
    plan: Plan
    costs: SiteCosts
    finance: PlanFinancials
    label: str


def plan_from_source(
    source: str | None, variant: str | None, replan: bool = False, failure_check: bool = True,
    investor_views: bool = True,
) -> PlannedSource:
    """The plan of a run directory or a scenario, costed and priced once.

    A scenario is planned by `coredge.pipeline.execute` with
    `coredge.pipeline.PLAN_AND_FINANCE`: `finance` and `risk` use only the plan's money, so the
    busy-hour and training simulations are not run. Its plan comes from the plan store
    (`coredge.plan.cache`: the plan an earlier `run`, `finance`, `risk` or `compare` made for
    the same scenario, planner settings and code) unless `replan`; the label says which.
    Without `investor_views` the landlord and operator views and break-even are left empty
    (`coredge.pipeline.RISK_INPUTS`).
    """
    from coredge.finance.from_plan import financials_from_plan

    if source is not None and Path(source).is_dir():
        if variant is not None:
            raise InputError.of("--scenario-variant", variant, "no variant with a run directory (it holds one scenario)")
        from coredge.plan.costing import site_costs
        from coredge.store import read_run

        run = read_run(source)
        costs = site_costs(run.inputs, run.plan)
        pf = financials_from_plan(run.inputs, run.plan, costs, views=investor_views)
        return PlannedSource(run.scenario, run.inputs, run.plan, costs, pf, f"run {source}")
    from dataclasses import replace

    from coredge.pipeline import MONEY_ONLY, PLAN_AND_FINANCE, RISK_INPUTS, execute
    from coredge.plan.preflight import check_source

    sc, _ = check_source(source, variant)  # every problem at once, as `coredge validate` lists them
    _say(f"planning scenario {sc.name}" + (f" (variant {variant})" if variant else ""))
    if failure_check:
        compute = replace(PLAN_AND_FINANCE, investor_views=investor_views)
    else:
        compute = MONEY_ONLY if investor_views else RISK_INPUTS
    res = execute(sc, variant, progress=_say, compute=compute, reuse_plan=not replan)
    assert res.finance is not None  # both compute the financials
    label = f"scenario {sc.name}" + (f" ({variant})" if variant else "")
    if res.summary.get("plan_source", {}).get("reused"):
        label += ", stored plan"
    return PlannedSource(sc, res.inputs, res.plan, res.costs, res.finance, label)


# ------------------------------------------------------------------ finance


def _metrics_table(title: str, pf: PlanFinancials, tiers: dict[str, Any] | None = None) -> Table:
    trains = [k for k, v in (tiers or {}).items() if v.get("cost_basis") == "gpu_hour"]
    t = Table(title=title, caption=(f"$/Mtok n/a: {', '.join(trains)} mostly trains (read its $/GPU-h)"
                                    if trains else None))
    t.add_column("", no_wrap=True, min_width=9)
    for col in ("sites", "capex", "NPV", "IRR", "payback [y]", "MOIC", "peak funding", "$/GPU-h", "$/Mtok"):
        t.add_column(col, justify="right")
    rows = [(k, v) for k, v in (tiers or pf.tiers).items()] + [("portfolio", pf.portfolio)]
    for name, m in rows:
        t.add_row(
            name, str(m.get("n_sites", "")), usd(m["capex_usd"]), usd(m["npv_usd"]), pct(m["irr"]),
            num(m["payback_years"], 1), num(m["moic"], 2), usd(m["peak_funding_usd"]),
            num(m["lcoc_usd_per_gpu_hour"], 2),
            "n/a" if m.get("cost_basis") == "gpu_hour" else num(m["usd_per_mtok"], 2),
        )
    return t


def _views_table(pf: PlanFinancials) -> Table:
    """The landlord and operator views side by side (coredge.finance.views)."""
    t = Table(title="investor views: landlord (rent per kW, tenant owns IT) | operator (owns GPUs)")
    t.add_column("", no_wrap=True)
    for col in ("landlord NPV", "IRR", "yield on cost", "MOIC", "operator NPV", "IRR", "leased EBITDA margin"):
        t.add_column(col, justify="right")
    land, oper = pf.views.get("landlord", {}), pf.views.get("operator", {})
    for name in ("core", "regional", "micro", "portfolio"):
        lm, om = land.get(name, {}), oper.get(name, {})
        t.add_row(
            name, usd(lm.get("npv_usd")), pct(lm.get("irr")), pct(lm.get("yield_on_cost")),
            num(lm.get("moic"), 2), usd(om.get("npv_usd")), pct(om.get("irr")),
            pct(om.get("leased_ebitda_margin")),
        )
    return t


@app.command("finance")
def finance_cmd(
    source: SourceArg = None,
    scenario_variant: VariantOpt = None,
    json_out: JsonOpt = False,
    replan: ReplanOpt = False,
) -> None:
    """NPV, IRR, payback, MOIC, peak funding and levelised costs per tier and for the portfolio."""
    src = plan_from_source(source, scenario_variant, replan)
    sc, pf, label = src.scenario, src.finance, src.label
    from coredge.results import readable_finance

    fs = readable_finance(pf.summary(), src.plan.sites)
    out = {"scenario": sc.name, "variant": scenario_variant, "source": label, **fs,
           "break_even": pf.break_even}
    if json_out:
        emit_json(out)
        return
    console.print(_metrics_table(f"coredge finance: {label}", pf, fs["tiers"]))
    if pf.views:
        console.print(_views_table(pf))
    if pf.break_even.get("landlord") or pf.break_even.get("operator"):
        console.print(break_even_line(pf.break_even))
    if fs.get("edge_premium"):
        e = Table(title="edge vs nearest core campus (final plan year)",
                  caption="extra cost/yr: serving the class's edge load at the edge tier's cost per GPU-hour "
                  "instead of the core's; $/yr per ms: that extra cost per ms of RTT saved, only where the "
                  "edge costs more (where it is cheaper the latency comes with a saving)")
        for col in ("class", "budget", "edge MW", "extra cost/yr", "RTT saved", "$/yr per ms", "core within budget"):
            e.add_column(col, justify="left" if col == "class" else "right")
        for k, v in fs["edge_premium"].items():
            extra = (f"saves {usd(v['edge_saving_usd_per_year'])}" if v["edge_cheaper"]
                     else usd(v["extra_cost_usd_per_year"]))
            per_ms = "none (edge cheaper)" if v["edge_cheaper"] else usd(v["usd_per_ms_saved_per_year"])
            e.add_row(
                k, f"{v['rtt_budget_ms']:.0f} ms", num(v["edge_mw"], 3), extra,
                num(v["rtt_saved_ms"], 1) + " ms", per_ms, pct(v["core_within_budget_frac"]),
            )
        console.print(e)
    console.print(
        f"discount rate {pf.assumptions.discount_rate:.1%} · horizon {pf.assumptions.start_year}-"
        f"{pf.assumptions.start_year + pf.assumptions.horizon_years - 1} · {len(pf.rows)} build phases"
    )


# ------------------------------------------------------------------ risk


@app.command("risk")
def risk_cmd(
    source: SourceArg = None,
    scenario_variant: VariantOpt = None,
    trials: Annotated[int | None, typer.Option("--trials", "-n", help="Monte Carlo trials (default: finance.risk.n_trials).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (default: finance.risk.seed or the scenario's seed).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write risk.json and risk.html (NPV histogram, tornado chart) here.")] = None,
    overwrite: OverwriteOpt = False,
    json_out: JsonOpt = False,
    yes: Annotated[bool, typer.Option("--yes", help="Run past the trial limit (see docs/reliability.md) after the estimate.")] = False,
    replan: ReplanOpt = False,
    workers: Annotated[int | None, typer.Option("--workers", help="Threads running the trials (default: the cores available); the numbers do not depend on it.")] = None,
) -> None:
    """Monte Carlo risk of a plan: NPV and IRR quantiles, probability of loss, tornado."""
    from coredge.cli.limits import check_trials
    from coredge.finance.from_plan import risk_from_plan
    from coredge.finance.montecarlo import available_cores

    if workers is not None and workers < 1:
        raise InputError.of("--workers", workers, "an integer >= 1")
    n_workers = available_cores() if workers is None else workers
    if trials is not None:
        check_trials(trials, None, yes)
    if seed is not None and seed < 0:
        raise InputError.of("--seed", seed, "an integer >= 0")
    if out is not None:
        from coredge.files import check_out

        check_out(out, overwrite)
    src = plan_from_source(source, scenario_variant, replan, failure_check=False, investor_views=False)
    sc, pf, label = src.scenario, src.finance, src.label
    check_trials(trials or sc.finance.risk.n_trials, len(pf.rows), yes)
    _say(f"Monte Carlo: {trials or sc.finance.risk.n_trials:,} trials x {len(pf.rows)} build phases"
         f" on {n_workers} thread{'s' if n_workers > 1 else ''}")
    res = risk_from_plan(pf, sc, trials, seed, workers=n_workers)
    s = res.summary()
    port = s["portfolio"]
    result = {
        "scenario": sc.name,
        "variant": scenario_variant,
        "source": label,
        "n_trials": s["n_trials"],
        "seed": s["seed"],
        "base_npv_usd": s["base_npv_usd"],
        "npv_p10_usd": port["npv_usd"]["p10"],
        "npv_p50_usd": port["npv_usd"]["p50"],
        "npv_p90_usd": port["npv_usd"]["p90"],
        "npv_mean_usd": port["npv_usd"]["mean"],
        "prob_loss": port["prob_loss"],
        "irr_p10": port["irr"]["p10"],
        "irr_p50": port["irr"]["p50"],
        "irr_p90": port["irr"]["p90"],
        "irr_exists_frac": port["irr_exists_frac"],
        "tiers": s["tiers"],
        "tornado": s["tornado"],
    }
    if out is not None:
        from coredge.report.risk import write_risk

        written = write_risk(out, result, res.npv_usd, f"coredge risk: {label}", overwrite=overwrite)
        result["out_dir"] = str(written)
        _say(f"written: {written / 'risk.html'}")
    if json_out:
        emit_json(result)
        return
    t = Table(title=f"coredge risk: {label} ({s['n_trials']:,} trials, seed {s['seed']})")
    t.add_column("", no_wrap=True, min_width=9)
    for col in ("NPV P10", "NPV P50", "NPV P90", "P(loss)", "IRR P10", "IRR P50", "IRR P90"):
        t.add_column(col, justify="right")
    for name, b in [*s["tiers"].items(), ("portfolio", port)]:
        t.add_row(name, usd(b["npv_usd"]["p10"]), usd(b["npv_usd"]["p50"]), usd(b["npv_usd"]["p90"]),
                  pct(b["prob_loss"]), pct(b["irr"]["p10"]), pct(b["irr"]["p50"]), pct(b["irr"]["p90"]))
    console.print(t)
    tt = Table(title=f"tornado: portfolio NPV with one input at its P10 / P90 (base {usd(s['base_npv_usd'])})")
    for col in ("input", "P10 value", "P90 value", "NPV at P10", "NPV at P90", "swing"):
        tt.add_column(col, justify="left" if col == "input" else "right")
    for r in s["tornado"]:
        tt.add_row(r["variable"], num(r["low_value"], 3), num(r["high_value"], 3), usd(r["npv_low_usd"]),
                   usd(r["npv_high_usd"]), usd(r["swing_usd"]))
    console.print(tt)


# ------------------------------------------------------------------ compare


@app.command("compare")
def compare_cmd(
    scenario: ScenarioArg = None,
    scenario_variant: VariantOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: runs/<scenario>-compare-<time>).")] = None,
    overwrite: OverwriteOpt = False,
    json_out: JsonOpt = False,
    replan: ReplanOpt = False,
) -> None:
    """All-core vs edge-heavy vs blended on the same demand: money, SLO coverage, time, energy, carbon."""
    from coredge.files import check_out
    from coredge.plan.preflight import check_source
    from coredge.report.compare import COLUMNS, write_comparison
    from coredge.store import default_run_dir
    from coredge.studies.compare import compare_strategies, comparison_table

    sc, _ = check_source(scenario, scenario_variant)
    target = out if out is not None else default_run_dir(f"{sc.name}-compare", scenario_variant)
    check_out(target, overwrite)
    results = compare_strategies(sc, progress=_say, reuse_plans=not replan)
    table = comparison_table(results)
    table["scenario"] = sc.name
    table["variant"] = scenario_variant
    final = write_comparison(target, table, f"coredge compare: {sc.name}" + (f" ({scenario_variant})" if scenario_variant else ""),
                             overwrite=overwrite)
    table["out_dir"] = str(final)
    table["files"] = {n: str(final / n) for n in ("compare.json", "compare.csv", "compare.html")}
    if json_out:
        emit_json(table)
        return
    names = list(table["strategies"])
    t = Table(title=f"coredge compare: {sc.name}")
    t.add_column("")
    for n in names:
        t.add_column(n, justify="right")
    for key, label, kind in COLUMNS:
        t.add_row(label, *(figure(table["strategies"][n].get(key), kind) for n in names))
    for c, budget in table["classes"].items():
        b = "no budget" if budget is None else f"{budget:.0f} ms"
        t.add_row(f"coverage {c} ({b})", *(figure(table["strategies"][n]["coverage"].get(c), "pct") for n in names))
    console.print(t)
    console.print(f"written: {final}/compare.html, compare.json, compare.csv")


# ------------------------------------------------------------------ sweep


@app.command("sweep")
def sweep_cmd(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file or built-in name.")],
    vary: Annotated[list[str], typer.Option("--vary", help="dotted.scenario.key=v1,v2,... (repeatable).")],
    scenario_variant: VariantOpt = None,
    trials: Annotated[int, typer.Option("--trials", "-n", help="Monte Carlo trials per grid point.")] = 2000,
    chunks: Annotated[int, typer.Option("--chunks", help="Monte Carlo chunks per grid point (tasks).")] = 2,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws (default: the scenario's).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Existing Dask scheduler, tcp://HOST:PORT (default: a local cluster).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes of the local cluster.")] = 2,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Sweep folder; rerun with the same folder to resume.")] = None,
    json_out: JsonOpt = False,
    yes: Annotated[bool, typer.Option("--yes", help="Run past the trial limit per chunk (see docs/reliability.md).")] = False,
) -> None:
    """Grid over scenario keys x Monte Carlo chunks on Dask; Parquet + DuckDB, resumable."""
    from coredge.store import default_run_dir
    from coredge.studies.sweep import run_sweep
    from coredge.studies.sweep_task import (
        scenario_grid,
        scenario_risk_chunk,
        scenario_with_overrides,
    )

    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise InputError.of("--scheduler", scheduler, "a scheduler address such as tcp://HOST:8786")
    if workers < 1:
        raise InputError.of("--workers", workers, ">= 1")
    if seed is not None and seed < 0:
        raise InputError.of("--seed", seed, "an integer >= 0")
    if chunks >= 1:
        from coredge.cli.limits import check_trials

        check_trials(max(1, -(-trials // chunks)) if trials >= 1 else trials, None, yes)
    if scheduler is not None:
        from coredge.cli.limits import check_scheduler

        check_scheduler(scheduler)
    grid = scenario_grid(scenario, scenario_variant, vary, trials, chunks, seed)
    keys = [k for k in grid[0] if k not in ("scenario", "scenario_sha256", "variant", "mc_seed", "mc_chunk", "n_trials")]
    target = out if out is not None else default_run_dir(f"{scenario_with_overrides(scenario, scenario_variant, {}).name}-sweep", scenario_variant)
    _say(f"sweep: {len(grid) // chunks} grid points x {chunks} chunks of {grid[0]['n_trials']:,} trials -> {target}")
    res = run_sweep(scenario_risk_chunk, grid, target, scheduler=scheduler, n_workers=workers)
    points: list[dict[str, Any]] = []
    if set(res.chunk_ids) - set(res.failed):
        cols = ", ".join(f'"param_{k}"' for k in keys)
        q = (
            f"SELECT {cols}, count(*) AS n_trials, quantile_cont(npv_usd, 0.1) AS npv_p10_usd, "
            "quantile_cont(npv_usd, 0.5) AS npv_p50_usd, quantile_cont(npv_usd, 0.9) AS npv_p90_usd, "
            "avg(CASE WHEN npv_usd < 0 THEN 1.0 ELSE 0.0 END) AS prob_loss, "
            "quantile_cont(irr, 0.5) AS irr_p50, any_value(base_npv_usd) AS base_npv_usd, "
            "any_value(capex_usd) AS capex_usd "
            f"FROM results WHERE chunk_id IN ({', '.join(repr(c) for c in sorted(set(res.chunk_ids)))}) "
            f"GROUP BY {cols} ORDER BY {cols}"
        )
        df = res.sql(q)
        df.columns = [c.removeprefix("param_") for c in df.columns]
        points = [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
    summary = {
        "out_dir": str(res.out_dir.resolve()),
        "catalogue": str(res.catalogue_path.resolve()),
        "grid_points": len(grid) // chunks,
        "chunks": len(set(res.chunk_ids)),
        "computed": len(res.computed),
        "skipped": len(res.skipped),
        "failed": res.failed,
        "keys": keys,
        "points": points,
    }
    if json_out:
        emit_json(summary)
    else:
        t = Table(title=f"coredge sweep: {res.out_dir}")
        for col in [*keys, "trials", "NPV P10", "NPV P50", "NPV P90", "P(loss)", "IRR P50"]:
            t.add_column(col, justify="right")
        for p in points:
            t.add_row(*(str(p[k]) for k in keys), f"{p['n_trials']:,}", usd(p["npv_p10_usd"]), usd(p["npv_p50_usd"]),
                      usd(p["npv_p90_usd"]), pct(p["prob_loss"]), pct(p["irr_p50"]))
        console.print(t)
        console.print(f"{len(res.computed)} chunks computed, {len(res.skipped)} already done; catalogue {res.catalogue_path}")
    if res.failed:
        first = next(iter(res.failed.values()))
        raise RuntimeError(f"{len(res.failed)} sweep chunks failed (rerun to retry): {first}")
