"""`coredge run`: scenario -> inputs -> plan -> costs and returns -> run directory with report.

Each stage is a function of the previous stage's typed output; this module only chains them,
times them, and writes the run directory atomically. `execute` takes what to compute
(`Compute`): a study that uses only the plan and its money (`PLAN_AND_FINANCE`) never pays for
the busy-hour simulation or the training-job year.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coredge.files import MARKER, atomic_dir, write_json
from coredge.finance.from_plan import financials_from_plan
from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.costing import site_costs
from coredge.plan.preflight import gate
from coredge.plan.result import Plan, coverage_by_class
from coredge.power.planner_paths import with_power_paths
from coredge.results import RunResult, run_warnings, sim_summary, summarise, tier_table
from coredge.scenario.schema import Scenario
from coredge.sim.engine import SimResult
from coredge.store import RUN_KIND, write_run_files

Progress = Callable[[str], None]


def make_plan(
    inputs: Inputs,
    progress: Progress | None = None,
    planner: str | None = None,
    time_limit_s: float | None = None,
    mip_rel_gap: float | None = None,
) -> Plan:
    """Plan with the scenario's planner (or `planner`): the greedy heuristic, or the MILP
    warm-started from it.
    """
    from coredge.plan.greedy import greedy_plan

    spec = inputs.scenario.planning
    which = planner or spec.planner
    greedy = greedy_plan(inputs)
    if which == "greedy":
        return greedy
    from coredge.plan.milp import milp_plan

    return milp_plan(
        inputs,
        time_limit_s=time_limit_s if time_limit_s is not None else spec.time_limit_s,
        mip_rel_gap=mip_rel_gap if mip_rel_gap is not None else spec.mip_rel_gap,
        warm_start=greedy,
        progress=progress,
    )


@dataclass(frozen=True)
class Compute:
    """What `execute` computes besides the plan (which is always made, costed and checked).

    Attributes
    ----------
    finance : bool
        Cash flows and returns (`coredge.finance.from_plan.financials_from_plan`) and the
        summary's money figures.
    simulation : bool
        The busy hour request by request and the site-failure what-if (when the scenario's
        ``simulation.enabled`` and the plan serves inference).
    training : bool
        A year of training jobs at the core campuses (when the scenario's
        ``simulation.training`` and the plan hosts training).
    power : bool
        The power study (`coredge.power.study`: power paths per core campus, the training year
        shifted by price and carbon) when the scenario's ``power.study`` and the plan has a core
        campus.
    failure_check : bool
        The summary's ``single_site_failure`` block (the plan's load re-homed with each site
        down in turn); None without it.
    investor_views : bool
        With ``finance``: the landlord and operator views and their break-even multipliers
        (`PlanFinancials.views` / ``break_even``, the summary's ``finance_views`` and
        ``break_even``); empty without them.
    """

    finance: bool = True
    simulation: bool = True
    training: bool = True
    power: bool = True
    failure_check: bool = True
    investor_views: bool = True


EVERYTHING = Compute()
"""`coredge run` / `coredge plan`: every stage."""

PLAN_AND_FINANCE = Compute(finance=True, simulation=False, training=False, power=False)
"""`finance` and sweeps: the plan and its money, nothing simulated."""

MONEY_ONLY = Compute(finance=True, simulation=False, training=False, power=False, failure_check=False)
"""`compare`: the plan and its money, without the summary's single-site-failure check (it does
not read it)."""

RISK_INPUTS = Compute(finance=True, simulation=False, training=False, power=False, failure_check=False,
                      investor_views=False)
"""`risk`: the plan and the cash-flow rows its Monte Carlo prices, without the investor views
and break-even multipliers (the risk command shows neither)."""


def execute(
    sc: Scenario,
    variant: str | None = None,
    progress: Progress | None = None,
    planner: str | None = None,
    time_limit_s: float | None = None,
    mip_rel_gap: float | None = None,
    compute: Compute = EVERYTHING,
    reuse_plan: bool = False,
) -> RunResult:
    """Run the stages `compute` asks for, in memory (no files).

    The plan is made once (`make_plan`) and every later stage uses it.

    Parameters
    ----------
    sc : Scenario
        The validated scenario.
    variant : str, optional
        Its variant's name (recorded in the summary).
    progress : callable, optional
        Receives one line per stage.
    planner, time_limit_s, mip_rel_gap
        Override the scenario's planner, its time limit [s] and relative gap [fraction].
    compute : Compute
        What to compute besides the plan (default: everything).
    reuse_plan : bool
        Take the plan from the plan store (`coredge.plan.cache`) when it holds one for this
        scenario, planner settings and code; the summary's ``plan_source`` then says where it
        came from. Every plan made is stored either way (unless ``COREDGE_PLAN_CACHE=off``).

    Returns
    -------
    RunResult
        ``finance`` is None without ``compute.finance``; ``sim``, ``whatif`` and ``training``
        are None when not asked for (or not applicable), and the summary then has no
        ``simulation`` / ``training_simulation`` entry.
    """
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("building demand points, candidates and loads")
    # every pre-solve check at once (`coredge validate` runs the same), on the inputs with the
    # power paths the planner may choose per core candidate (coredge.power.planner_paths)
    findings = gate(sc, with_power_paths)
    findings.raise_errors(f"scenario {sc.name} cannot be run")
    inputs = findings.inputs if findings.inputs is not None else with_power_paths(build_inputs(sc))
    timings["inputs_s"] = findings.seconds  # the gate builds the inputs (before `execute` in the CLI)
    say(f"planning {inputs.n_points} demand points x {inputs.n_classes} classes over {len(inputs.candidates)} candidates")
    t1 = time.perf_counter()
    plan, plan_source = _plan_once(inputs, say, progress, planner, time_limit_s, mip_rel_gap, reuse_plan)
    timings["plan_s"] = time.perf_counter() - t1
    say("costing sites" + (" and computing returns" if compute.finance else ""))
    costs = site_costs(inputs, plan)
    fin = financials_from_plan(inputs, plan, costs, views=compute.investor_views) if compute.finance else None
    coverage = coverage_by_class(inputs, plan)
    summary = summarise(sc, variant, inputs, plan, costs, fin, coverage, compute.failure_check)
    summary["plan_source"] = plan_source
    sim, whatif = None, None
    inference_final_mw = float(
        (plan.load_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1]).sum()
    ) if plan.n_sites else 0.0
    if compute.simulation and sc.simulation.enabled and inference_final_mw > 1e-9:
        t2 = time.perf_counter()
        sim, whatif = simulate_busy_hour(inputs, plan, say)
        timings["simulate_s"] = time.perf_counter() - t2
        summary["simulation"] = sim_summary(sim, whatif)
    training = None
    if (
        compute.training
        and sc.simulation.enabled
        and sc.simulation.training
        and plan.training_mw_by_year[:, -1].sum() > 0
    ):
        from coredge.training.jobs import training_from_plan

        t3 = time.perf_counter()
        say("simulating a year of training jobs at the core campuses")
        training = training_from_plan(inputs, plan, seed=sc.seed)
        timings["training_sim_s"] = time.perf_counter() - t3
        summary["training_simulation"] = training.summary
    power = None
    if compute.power and sc.power.study and bool((plan.sites["tier"].astype(str) == "core").any()):
        from coredge.power.study import power_study

        t4 = time.perf_counter()
        say("evaluating power paths per core campus" + (" and shifting the training year by price "
                                                         "and carbon" if training is not None else ""))
        power = power_study(inputs, plan, training, limit=sc.power.flexible_limit,
                            carbon_usd_per_t=sc.power.carbon_usd_per_t, slack=sc.power.deadline_slack)
        timings["power_s"] = time.perf_counter() - t4
        summary["power"] = power.summary
    summary["warnings"] = with_gate_warnings(run_warnings(inputs, plan, summary), findings.warnings)
    timings["total_s"] = time.perf_counter() - t0
    summary["timings_s"] = timings
    return RunResult(
        sc, variant, inputs, plan, costs, fin, coverage, summary, timings, sim, whatif, training,
        power=power,
    )


def with_gate_warnings(
    warnings: list[dict[str, Any]], gate_warnings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The run's warnings plus the gate's (`coredge.plan.preflight`) about a class or training
    the run's own warnings do not already report unserved."""
    told = {str(w.get("class")) for w in warnings if w.get("kind") == "unserved"}
    return [*warnings, *(w for w in gate_warnings if str(w.get("class")) not in told)]


def _plan_once(
    inputs: Inputs,
    say: Progress,
    progress: Progress | None,
    planner: str | None,
    time_limit_s: float | None,
    mip_rel_gap: float | None,
    reuse: bool,
) -> tuple[Plan, dict[str, Any]]:
    """The plan (from the plan store when `reuse` and it holds one, else made and stored) and
    where it came from: ``{"reused": bool, "key", "path", "made_utc"}``."""
    from coredge.plan.cache import load_plan, plan_key, store_plan

    which = planner or inputs.scenario.planning.planner
    key = plan_key(inputs.scenario, which, time_limit_s, mip_rel_gap)
    if reuse:
        kept = load_plan(key)
        if kept is not None:
            info = dict(kept.solver.get("cache") or {})
            say(
                f"plan: reused from the plan store ({info.get('path')}, made "
                f"{info.get('made_utc')} by the same code for the same scenario and planner "
                f"settings; {kept.method}, {kept.solver.get('status', '')}); --replan plans again"
            )
            return kept, {"reused": True, **info}
    plan = make_plan(inputs, progress, planner, time_limit_s, mip_rel_gap)
    path = store_plan(key, plan)
    return plan, {"reused": False, "key": key, "path": None if path is None else str(path)}


def simulate_busy_hour(
    inputs: Inputs, plan: Plan, say: Progress
) -> tuple[SimResult, dict[str, Any] | None]:
    """Simulate the final plan year's busy hour request by request, and a site-failure what-if."""
    from coredge.sim.from_plan import busy_hour

    spec = inputs.scenario.simulation
    seed = inputs.scenario.seed
    edge = plan.sites["tier"].isin(["micro", "regional"]).to_numpy()
    whatif = bool(spec.failure_whatif and edge.any() and plan.load_mw_by_year[edge, -1].sum() > 0)
    say(f"simulating the {int(plan.years[-1])} busy hour at full scale ({spec.requests:,} requests)"
        + (", then the loss of the largest edge site" if whatif else ""))
    sim, whatif_res = busy_hour(inputs, plan, requests=spec.requests, seed=seed, policy=spec.policy,
                                whatif=whatif)
    return sim, whatif_res


def write_run(
    res: RunResult,
    out_dir: Path,
    progress: Progress | None = None,
    overwrite: bool = False,
    compare: dict[str, Any] | None = None,
) -> Path:
    """Write the run directory atomically (the ``--out`` rule of `coredge.files.atomic_dir`);
    returns its final path.

    Besides the stage outputs it holds both investor views' tables and NPV tornado
    (`coredge.finance.view_tables.investor_tables`, Parquet), ``report.html`` and ``model.xlsx``
    (`coredge.report.workbook`); with `compare` (`coredge.studies.compare.comparison_table`) also
    ``compare.json`` and ``compare.csv`` and the comparison section of the report. The summary
    gains ``files`` (name -> path) and the timings ``investor_tables_s``, ``report_s`` and
    ``workbook_s`` [s].
    """
    from coredge.finance.from_plan import risk_spec_from_scenario
    from coredge.finance.view_tables import investor_tables
    from coredge.report.compare import comparison_frame
    from coredge.report.html import write_report
    from coredge.report.workbook import write_workbook
    from coredge.store import write_investor_tables

    if res.finance is None:
        raise ValueError("a run directory needs the run's financials (execute with Compute(finance=True))")
    say = progress or (lambda _msg: None)
    final = Path(out_dir).resolve()
    pf, sc = res.finance, res.scenario
    timings = res.summary.setdefault("timings_s", {})
    with atomic_dir(final, RUN_KIND, overwrite=overwrite) as tmp:
        res.summary["run_dir"] = str(final)
        res.summary["report"] = str(final / "report.html")
        tiers = tier_table(res.plan, res.costs, res.finance)
        write_run_files(res, tmp, tiers)
        say("pricing both investor views and their NPV sensitivities")
        t0 = time.perf_counter()
        tables = investor_tables(pf.rows, pf.view_flows, pf.assumptions, sc.finance.exit_cap_rate,
                                 risk_spec_from_scenario(sc), sc.hardware.gpu)
        write_investor_tables(tables, tmp)
        timings["investor_tables_s"] = time.perf_counter() - t0
        if compare is not None:
            write_json(tmp / "compare.json", compare)
            comparison_frame(compare).to_csv(tmp / "compare.csv", index=False)
        say("rendering report.html")
        t1 = time.perf_counter()
        write_report(tmp / "report.html", res, tiers, tables, compare)
        timings["report_s"] = time.perf_counter() - t1
        say("writing model.xlsx")
        t2 = time.perf_counter()
        write_workbook(tmp / "model.xlsx", res, tables)
        timings["workbook_s"] = time.perf_counter() - t2
        names = sorted(f.name for f in tmp.iterdir() if f.is_file() and not f.name.startswith("."))
        res.summary["files"] = {n: str(final / n) for n in [*names, "summary.json"] if n != MARKER}
        write_json(tmp / "summary.json", res.summary)
    return final
