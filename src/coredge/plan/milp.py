"""The optimising planner: a MILP over sites, tiers, modules per year, assignments and training.

`milp_plan` builds the model of `coredge.plan.model` over a *restricted* set of pairs
(the nearest few facilities of each tier for every demand group, plus every pair the greedy warm
start uses), solves it with HiGHS within the time limit and gap, and reads the solution back into
a `Plan`. It then certifies the result against the *full* model (every reachable pair):

* ``objective_usd``: the discounted cost of the returned plan, recomputed from the plan itself
  (`plan_objective_usd`), i.e. an upper bound on the full model's optimum.
* ``bound_usd``: a lower bound valid for the full model: the full model's LP relaxation (with
  MIR rounding cuts on the core modules) computed by column generation over all reachable pairs,
  stopped early with a Farley bound that stays valid; when the restricted model holds every
  reachable pair, HiGHS's MIP dual bound, which is then valid too, if higher.
* ``gap``: ``(objective - bound) / |objective|``, the certified relative gap.
* ``restricted_bound_usd`` / ``restricted_gap``: HiGHS's dual bound and gap on the restricted
  model; these bound only the restricted model.

See docs/planner.md for the model and the choices behind it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from coredge.cflp.heuristics import set_threads
from coredge.errors import Problem
from coredge.inputs.build import Inputs
from coredge.plan import model as sm
from coredge.plan.bound import separable_bound_usd
from coredge.plan.cluster import build_clusters, class_radius_km
from coredge.plan.multiyear import aggregation_applies, build_aggregate_model, exact_modules
from coredge.plan.objective import gpu_floor_slack_usd, plan_objective_usd
from coredge.plan.path_promote import path_twins, promote_paths
from coredge.plan.repair import repair_single_site_failure
from coredge.plan.resilient_start import resilient_start
from coredge.plan.result import Plan
from coredge.plan.solution import (
    extract_plan,
    pair_key,
    start_vector,
    unprotected_pairs,
    warm_start_columns,
)

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]

DEFAULT_PER_TIER = 4
"""Nearest facilities of each tier kept per demand group in the restricted model (tuning choice)."""

AGG_PER_TIER = 1
"""Nearest facilities of each tier per group in the restricted aggregated model (tuning choice:
with 2 the default US 10-year LP takes about 60 s on two shared cores, with 1 about 13 s)."""

AGG_SOLVE_FRAC = 0.55
"""Share of the time limit for the aggregated MILP; the bound gets what is left (tuning choice:
on the default US 10-year scenario 0.55 found a better plan than 0.4, 89.09 vs 89.22 G$, while
three column-generation rounds of the bound in ~16 s give what four gave in ~27 s; 0.7 gained
nothing more and ran past 60 s)."""

REPAIR_S = 10.0
"""Wall time allowed to the single-site-failure repair in `milp_plan` (tuning choice)."""

POLISH_S = 10.0
"""Time limit of the LP that re-optimises the shares with the modules fixed [s] (tuning choice)."""

CORE_REOPT_S = 5.0
"""Time limit of the core build-out and training re-optimisation (`reoptimise_core`) on the
multi-year path [s] (tuning choice)."""

CLUSTER_RADIUS_FRAC = 0.6
"""Cluster radius for the bound, as a share of each class's reach (tuning choice: on the default
US 10-year scenario, after 15 s of column generation, 0.6 (197 clusters) gave 85.50 G$ and 0.3
(477 clusters) 85.43 G$; the cluster LP at 0.6 solved to the end is 85.63 G$)."""

CLUSTER_BATCH = 5000
"""Pairs added per column-generation round of the cluster bound (tuning choice)."""

FULL_MODEL_MAX_PAIRS = 20_000
"""Up to this many reachable pairs the model keeps them all (tuning choice)."""

COVERAGE_SHORTFALL_USD_PER_MW = 1e12
"""Price of a MW of final-year load below the coverage targets (planning.min_coverage_frac)
[USD/MW]. Assumption, chosen to make the targets effectively hard: one kW short costs 1e9 USD,
more than any edge module, so a target holds wherever grid power allows; a priced slack rather
than a hard row keeps the model feasible (and the shortfall reported) where grid or state caps
forbid it."""


_BANNER_DONE = False


def _new_highs() -> highspy.Highs:
    """A `highspy.Highs` whose one-per-process banner goes to stderr, so ``--json`` stdout stays clean."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return highspy.Highs()
    import ctypes
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        h = highspy.Highs()
        try:
            ctypes.CDLL(None).fflush(None)
        except (OSError, AttributeError):  # pragma: no cover - libc without fflush lookup
            pass
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
    return h


def _scale_objective(h: highspy.Highs, cost: FloatArray) -> None:
    """Scale the objective inside HiGHS by a power of two so its largest cost is about 2**20.

    Planner costs reach 1e10 USD; unscaled, HiGHS warns of bad scaling and its simplex slows down.
    HiGHS reports objective values, bounds and duals in the original units.
    """
    top = float(np.max(np.abs(cost))) if cost.size else 0.0
    if top > 2.0**24:
        h.setOptionValue("user_objective_scale", -int(math.ceil(math.log2(top)) - 20))


def _highs(time_limit_s: float | None, gap: float | None, threads: int | None = None) -> highspy.Highs:
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.5)))
    if gap is not None:
        h.setOptionValue("mip_rel_gap", float(gap))
    set_threads(h, 0 if threads is None else int(threads))
    return h


def lp_bound_full(
    inputs: Inputs,
    fac: sm.Facilities,
    groups: sm.Groups,
    full: sm.PairTable,
    start_mask: npt.NDArray[np.bool_],
    econ: sm.Economics,
    resilient: bool,
    time_limit_s: float = 30.0,
    max_rounds: int = 30,
    batch: int = 20000,
    builder: Callable[..., sm.PlannerModel] = sm.build_model,
    lp_solver: str | None = None,
) -> dict[str, Any]:
    """A lower bound on the full MILP: its LP relaxation by column generation over all pairs.

    Starts from the pairs in `start_mask`, solves the LP relaxation, prices every other reachable
    pair with the row duals (rows of absent pairs have dual 0) and adds the most negative ones,
    until none is negative or the time/round limit is hit. The returned bound is the Lagrangian
    bound ``LP_restricted + sum over groups of min(0, least reduced cost of an absent share)``
    (plus the same for backup shares): every group's shares sum to at most one, so the absent
    pairs can lower the LP by no more than that. It is valid for the full LP, hence for the MILP,
    whether or not generation converged; the best over the rounds is kept. `builder` builds the
    model over a pair subset (`coredge.plan.model.build_model`, or the aggregated
    multi-year relaxation `coredge.plan.multiyear.build_aggregate_model`); `lp_solver` is passed
    to HiGHS's ``solver`` option (e.g. ``"ipm"``, with crossover, so the duals are a basis's).

    Returns
    -------
    dict
        bound_usd, lp_usd (restricted LP value), rounds, pairs (in the final LP), converged,
        seconds.
    """
    t0 = time.perf_counter()
    mask = start_mask.copy()
    last: dict[str, Any] = {"bound_usd": -math.inf, "lp_usd": math.nan, "rounds": 0,
                            "pairs": int(mask.sum()), "converged": False, "seconds": 0.0}
    pen = econ.penalty_usd_per_mw
    c_full = sm.pair_penalty_usd(groups, full, fac, inputs.years, pen)
    g_load = sm.pair_load_mw(groups, full)  # (Qf, Y) facility MW per pair, used for pricing
    for rnd in range(max_rounds):
        sub = full.subset(mask)
        m = builder(inputs, fac, groups, sub, econ, resilient)
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 1.0 and rnd > 0:
            break
        h = _highs(max(left, 5.0), None)
        if lp_solver is not None:
            h.setOptionValue("solver", lp_solver)
        h.passModel(m.to_highs(relax=True))
        _scale_objective(h, m.col_cost)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        info = h.getInfo()
        lp = float(info.objective_function_value)
        sol = h.getSolution()
        dual = np.asarray(sol.row_dual, dtype=np.float64)
        rr = m.row_ranges()
        lay = m.layout
        pi = dual[rr["demand"][0]:rr["demand"][1]]
        lam = dual[rr["load_L"][0]:rr["load_L"][1]].reshape(lay.F, lay.P)
        if lay.P == 1:
            ld = g_load[:, -1] * lam[full.fac, 0]
        else:
            ld = (g_load * lam[full.fac]).sum(axis=1)
        d_x = c_full - pi[full.group] + ld
        absent = ~mask
        # Per group, the absent shares sum to at most 1 (sum_f x_gf + u_g = 1) and so do the
        # absent backup shares (sum_f b_gf = B_g <= 1): a group adds at most its most negative
        # reduced cost (Lagrangian bound with the demand rows' convexity kept).
        gmin = np.zeros(lay.G)
        np.minimum.at(gmin, full.group[absent], d_x[absent])
        d = np.where(absent, np.minimum(d_x, 0.0), 0.0)
        if resilient:
            beta = dual[rr["backup_total"][0]:rr["backup_total"][1]]
            rho = dual[rr["load_R"][0]:rr["load_R"][1]].reshape(lay.F, lay.P)
            if lay.P == 1:
                lr = g_load[:, -1] * rho[full.fac, 0]
            else:
                lr = (g_load * rho[full.fac]).sum(axis=1)
            d_b = -beta[full.group] + lr
            if groups.backup is not None:  # exempt groups' backup shares are fixed at 0
                d_b = np.where(groups.backup[full.group], d_b, 0.0)
            bmin = np.zeros(lay.G)
            np.minimum.at(bmin, full.group[absent], d_b[absent])
            gmin += bmin
            d = d + np.where(absent, np.minimum(d_b, 0.0), 0.0)
        scale = max(abs(lp), 1.0)
        bound = lp + float(gmin.sum())
        last = {"bound_usd": max(bound, last["bound_usd"]), "lp_usd": lp, "rounds": rnd + 1,
                "pairs": int(mask.sum()), "converged": False, "seconds": time.perf_counter() - t0}
        neg = np.flatnonzero(d < -1e-9 * scale)
        if neg.size == 0:
            last["converged"] = True
            last["bound_usd"] = max(lp, last["bound_usd"])
            break
        pick = neg[np.argsort(d[neg])[:batch]]
        mask[pick] = True
    last["seconds"] = time.perf_counter() - t0
    return last


def milp_plan(
    inputs: Inputs,
    time_limit_s: float | None = None,
    mip_rel_gap: float | None = None,
    warm_start: Plan | None = None,
    progress: Progress | None = None,
    *,
    objective: str = "cost",
    per_tier: int = DEFAULT_PER_TIER,
    bound: bool = True,
    bound_time_s: float | None = None,
) -> Plan:
    """Optimal siting, sizing and build-out by MILP (HiGHS), with a certified gap.

    Parameters
    ----------
    inputs : Inputs
        Output of `coredge.inputs.build_inputs`.
    time_limit_s : float, optional
        HiGHS time limit for the MILP [s]; default ``planning.time_limit_s``.
    mip_rel_gap : float, optional
        Relative gap at which HiGHS stops [fraction]; default ``planning.mip_rel_gap``.
    warm_start : Plan, optional
        A feasible plan to start from; default the greedy plan. Its pairs join the model.
    progress : callable, optional
        Receives one-line progress messages.
    objective : str
        ``"cost"`` (minimise discounted cost) or ``"npv"`` (maximise NPV with GPU-hour revenue).
    per_tier : int
        Nearest facilities of each tier kept per demand group in the restricted model.
    bound : bool
        Compute the full-model lower bound (column generation); otherwise ``bound_usd`` is only
        reported when the restricted model holds every pair.
    bound_time_s : float, optional
        Time for the bound [s]; default what the MILP left of the time limit (at least 5 s).

    Returns
    -------
    Plan
        ``method="milp"``; ``solver`` holds objective_usd, bound_usd, gap, status, solve_s,
        restricted_bound_usd, restricted_gap, pairs, pairs_full, columns, rows, bound_converged.
    """
    from coredge.errors import InputError
    from coredge.plan.greedy import greedy_plan

    if objective not in ("cost", "npv"):
        raise InputError.of("objective", objective, "one of: cost, npv")
    say = progress or (lambda _m: None)
    sc = inputs.scenario
    tl = float(time_limit_s if time_limit_s is not None else sc.planning.time_limit_s)
    gap = float(mip_rel_gap if mip_rel_gap is not None else sc.planning.mip_rel_gap)
    resilient = bool(sc.planning.single_site_failure)
    t0 = time.perf_counter()
    fac = sm.build_facilities(inputs)
    groups, full = sm.build_groups_and_pairs(inputs, fac)
    econ = sm.build_economics(inputs, fac, objective)
    cap, price = sm.coverage_caps(inputs, groups, full, sc.planning.min_coverage_frac,
                                  COVERAGE_SHORTFALL_USD_PER_MW, fac)
    econ = replace(econ, unmet_cap_mw=cap, shortfall_usd_per_mw=price)
    # Small scenarios keep every reachable pair: the MILP's own dual bound is then valid for the
    # full model.
    # Several years with uniform growth and no capex budget: solve the aggregated one-period-sized
    # relaxation (coredge.plan.multiyear) and rebuild the exact yearly modules from its solution.
    # Small scenarios (every pair fits) solve the full multi-year model exactly instead.
    agg = (inputs.years.size > 1 and full.count > FULL_MODEL_MAX_PAIRS
           and aggregation_applies(inputs, groups, objective))
    builder = build_aggregate_model if agg else sm.build_model
    tier_keep = min(per_tier, AGG_PER_TIER) if agg else per_tier
    mask = (np.ones(full.count, dtype=bool) if full.count <= FULL_MODEL_MAX_PAIRS
            else sm.nearest_per_tier(full, fac, tier_keep))
    ws_plan = warm_start if warm_start is not None else greedy_plan(inputs)
    ws = warm_start_columns(inputs, ws_plan, fac, groups, full)
    start_over = 0
    if ws is not None:
        mask |= ws[1]
        if resilient:
            rs = resilient_start(fac, groups, full, inputs.years, ws[0], dict(sc.grid.state_caps_mw))
            start_over = int(rs["over"])
            bkey = np.array([g * fac.count + f for (g, f) in rs["b"]], dtype=np.int64)
            mask |= np.isin(pair_key(groups, full, fac.count), bkey)
            ws = (rs, ws[1])
    mask = path_twins(full, fac, mask)  # a kept campus keeps its power paths' pairs
    sub = full.subset(mask)
    m = builder(inputs, fac, groups, sub, econ, resilient)
    say(f"MILP: {m.layout.num_col} columns, {m.num_row} rows, {sub.count} of {full.count} pairs"
        + (" (aggregated multi-year relaxation)" if agg else ""))
    complete = bool(mask.all())
    # The MILP and the bound share the time limit (the bound only runs on restricted models).
    solve_tl = tl if (complete or not bound) else tl * AGG_SOLVE_FRAC
    h = _highs(solve_tl, gap)
    h.passModel(m.to_highs())
    _scale_objective(h, m.col_cost)
    if ws is not None:
        start = start_vector(m, ws[0], inputs.training_mw)
        s = highspy.HighsSolution()
        s.col_value = start
        s.value_valid = True
        h.setSolution(s)
    t_solve = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t_solve
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if info.primal_solution_status < 2:
        raise RuntimeError(f"HiGHS found no feasible plan ({status})")
    v = np.asarray(h.getSolution().col_value, dtype=np.float64)
    restricted_bound = float(info.mip_dual_bound)
    restricted_obj = float(info.objective_function_value)
    v, polish_gain = polish_shares(m, v, restricted_obj, POLISH_S)
    restricted_obj -= polish_gain
    relaxation_obj = None
    if agg:
        # The exact yearly plan: whole modules for each year's load, reserve and training, priced
        # by the full model's own cost vector (same column layout).
        v[m.layout.block("n")] = exact_modules(m, v).ravel()
        relaxation_obj = restricted_obj
        full_m = sm.build_model(inputs, fac, groups, sub, econ, resilient)
        v, promoted, promote_gain = promote_paths(full_m, v)
        v, core_gain = reoptimise_core(full_m, v, CORE_REOPT_S)
        restricted_obj = float(full_m.col_cost @ v) + m.offset_usd
    solver: dict[str, Any] = {
        "status": status,
        "solve_s": solve_s,
        "objective_model_usd": restricted_obj,
        "restricted_bound_usd": restricted_bound,
        "restricted_gap": _gap(relaxation_obj if relaxation_obj is not None else restricted_obj, restricted_bound),
        "objective_relaxation_usd": relaxation_obj,
        "pairs": int(sub.count),
        "pairs_full": int(full.count),
        "columns": int(m.layout.num_col),
        "rows": int(m.num_row),
        "integer_columns": int(m.integer.sum()),
        "single_site_failure": resilient,
        "objective": objective,
        "per_tier": per_tier,
        "warm_start": "none" if ws is None else ("resilient" if resilient else "plan"),
        "warm_start_over_limit": start_over,
        "model": "aggregated multi-year relaxation" if agg else "full",
        "polish_gain_usd": polish_gain,
        "core_reopt_gain_usd": core_gain if agg else 0.0,
        "power_paths_promoted": promoted if agg else 0,
        "power_paths_promote_gain_usd": promote_gain if agg else 0.0,
        "min_coverage_frac": float(sc.planning.min_coverage_frac),
        "coverage_shortfall_mw": {
            name: float(val)
            for name, val in zip([*map(str, inputs.classes), "training"], v[m.layout.block("s")], strict=True)
            if val > 1e-9
        },
        "unprotected_mw": float(m.groups.load_mw[:, -1] @ v[m.layout.block("w")]) if resilient else 0.0,
        "coverage_cap_mw": {c: float(x) for c, x in zip([*map(str, inputs.classes), "training"], cap, strict=True)},
        "unprotected_pairs": [],
    }
    lay_ = m.layout
    solver["unprotected_usd"] = float(m.col_cost[lay_.block("w")] @ v[lay_.block("w")]) if resilient else 0.0
    solver["coverage_shortfall_usd"] = float(m.col_cost[lay_.block("s")] @ v[lay_.block("s")])
    solver["model_charges_usd"] = solver["unprotected_usd"] + solver["coverage_shortfall_usd"]
    if inputs.years.size > 1 and not agg:
        solver["model_note"] = "full multi-year model: " + (
            "every reachable pair fits" if full.count <= FULL_MODEL_MAX_PAIRS else
            "a capex budget per year couples the years" if sc.planning.capex_budget_usd_per_year is not None
            else "non-uniform growth or npv objective")
    plan = extract_plan(inputs, m, v, solver)
    if resilient and plan.n_sites:
        unprotected = unprotected_pairs(inputs, m, v)
        solver["unprotected_pairs"] = sorted([p, k] for p, k in unprotected)
        plan, rep = repair_single_site_failure(inputs, plan, fac, time_limit_s=REPAIR_S,
                                               exempt=unprotected)
        solver.update(rep)
    obj = plan_objective_usd(inputs, plan, objective)
    solver["objective_usd"] = obj
    lb = restricted_bound if complete else -math.inf
    if bound and not complete:
        say("bounding: LP relaxation of the " + ("aggregated" if agg else "full") + " model by column generation")
        if bound_time_s is not None:
            bt = bound_time_s
        else:
            bt = max(tl - (time.perf_counter() - t0) - 3.0, 5.0)
        b_mask = mask
        b_groups, b_full = groups, full
        if agg:
            # Demand aggregation with a bound (coredge.plan.cluster): the LP of the cluster
            # relaxation of the aggregated model, by column generation from the nearest facility
            # of each tier plus the pairs the plan uses (mapped to clusters). Few groups keep the
            # LP small and the Lagrangian correction (one term per group) small.
            lay = m.layout
            used = (v[lay.block("x")] > 1e-9) | (v[lay.block("b")] > 1e-9 if resilient else False)
            cl = build_clusters(inputs, fac, groups, full, class_radius_km(inputs, CLUSTER_RADIUS_FRAC))
            b_groups, b_full = cl.groups, cl.pairs
            uk = pair_key(groups, sub, fac.count)[used]
            cg = cl.of_group[uk // fac.count]
            ck = (cg * fac.count + uk % fac.count)[cg >= 0]
            b_mask = sm.nearest_per_tier(b_full, fac, 1)
            b_mask |= np.isin(pair_key(b_groups, b_full, fac.count), ck)
            solver["bound_clusters"] = int(b_groups.count)
            solver["bound_cluster_pairs"] = int(b_full.count)
        res = lp_bound_full(inputs, fac, b_groups, b_full, b_mask, econ, resilient, time_limit_s=bt,
                            builder=builder, lp_solver="ipm" if agg else None,
                            batch=CLUSTER_BATCH if agg else 20000)
        solver["bound_lp_usd"] = res["bound_usd"]
        solver["bound_converged"] = res["converged"]
        solver["bound_rounds"] = res["rounds"]
        solver["bound_s"] = res["seconds"]
        lb = max(lb, float(res["bound_usd"]))
    sep = separable_bound_usd(fac, groups, full, econ, inputs.years, inputs.training_mw)
    solver["bound_separable_usd"] = sep
    solver["bound_method"] = ("MILP dual bound (all pairs)" if complete else (
        "Lagrangian/LP (column generation)" if bound else "none")) + (
        " of the aggregated multi-year relaxation" if agg and complete else "") + (
        " of the cluster relaxation of the aggregated multi-year relaxation" if agg and bound and not complete else "")
    if sep > lb:
        lb = sep
        solver["bound_method"] = "separable relaxation"
    if math.isfinite(lb):
        # The model prices fractional GPUs; costing floors them per site (see gpu_floor_slack_usd).
        slack = gpu_floor_slack_usd(inputs, fac)
        solver["gpu_floor_slack_usd"] = slack
        lb -= slack
    if objective == "cost":
        lb = max(lb, 0.0)  # every cost coefficient is non-negative
    solver["bound_usd"] = lb if math.isfinite(lb) else None
    solver["bound_scope"] = "full model" if math.isfinite(lb) else "none"
    solver["gap"] = _gap(obj, lb) if math.isfinite(lb) else None
    solver["total_s"] = time.perf_counter() - t0
    say(f"MILP {status}: objective {obj:.4g} USD, bound {lb:.4g}, gap {solver['gap']}")
    return plan


def reoptimise_core(m: sm.PlannerModel, v: FloatArray, time_limit_s: float = 10.0) -> tuple[FloatArray, float]:
    """Re-solve the core campuses' yearly modules and the training split, everything else fixed.

    `m` is the full multi-year model (`coredge.plan.model.build_model`) and `v` a
    feasible point of it (e.g. the aggregated relaxation's shares with `exact_modules`). Shares,
    backup, unmet, non-core modules and loads are fixed at `v`; core modules (integer, every
    year), training per campus and year, unmet training and the core sites' open binaries are
    re-optimised by HiGHS from `v` as the start. Splitting training so that campuses fill whole
    50 MW modules, and choosing when the last modules are worth buying, is a small MILP (core
    campuses x years integers) that the per-campus rounding of `exact_modules` does not do.
    The result is a point of the full model no more expensive than `v`.

    Returns
    -------
    (ndarray, float)
        The new point and the objective decrease [USD, >= 0] (`v` unchanged when no better point
        is found in the time).
    """
    lay = m.layout
    if lay.C == 0:
        return v, 0.0
    free = np.zeros(lay.num_col, dtype=bool)
    n_idx = (m.core[:, None] * lay.Y + np.arange(lay.Y)[None, :]).ravel() + lay.offsets["n"]
    free[n_idx] = True
    free[lay.block("T")] = True
    free[lay.block("uT")] = True
    if lay.Z:
        zc = np.flatnonzero(np.isin(m.z_fac, m.core))
        free[lay.offsets["z"] + zc] = True
    lp = m.to_highs()
    lo = np.asarray(lp.col_lower_, dtype=np.float64).copy()
    hi = np.asarray(lp.col_upper_, dtype=np.float64).copy()
    val = np.clip(v, lo, hi)
    lo[~free] = val[~free]
    hi[~free] = val[~free]
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    h = _highs(time_limit_s, 1e-6)
    h.passModel(lp)
    _scale_objective(h, m.col_cost)
    start = highspy.HighsSolution()
    start.col_value = val
    start.value_valid = True
    h.setSolution(start)
    h.run()
    info = h.getInfo()
    if info.primal_solution_status < 2:
        return v, 0.0
    w = np.asarray(h.getSolution().col_value, dtype=np.float64)
    w[m.integer] = np.round(w[m.integer])
    old = float(m.col_cost @ v)
    new = float(m.col_cost @ w)
    if not new < old - 1e-9 * max(abs(old), 1.0):
        return v, 0.0
    return w, old - new


def polish_shares(m: sm.PlannerModel, v: FloatArray, obj_usd: float,
                  time_limit_s: float = 10.0) -> tuple[FloatArray, float]:
    """Re-optimise the continuous columns (shares, unmet, backup, training) with the modules fixed.

    HiGHS stops at ``mip_rel_gap`` of the whole objective. Latency-bound classes are a tiny
    part of it (TINY edge-heavy: about 0.1 of 120 MW, their whole penalty about 0.03 % of the
    cost), so a solution within the gap may leave them unmet next to idle modules. With every
    integer column fixed at its value the rest is an LP, solved to optimality here: it can only
    lower the objective (the MILP solution is feasible for it) and it serves every load that
    fits in the installed modules whenever that is cheaper than the penalty.

    Parameters
    ----------
    m : PlannerModel
        The solved model.
    v : ndarray
        Its solution (column values).
    obj_usd : float
        Its objective [USD].
    time_limit_s : float
        LP time limit [s].

    Returns
    -------
    (ndarray, float)
        The polished solution (or `v` when the LP fails or does not improve) and the
        objective decrease [USD, >= 0].

    Examples
    --------
    ``v, gain = polish_shares(m, v, obj)`` right after the MILP solve.
    """
    lp = m.to_highs(relax=True)
    fixed = np.round(v[m.integer])
    lo = np.asarray(lp.col_lower_, dtype=np.float64).copy()
    hi = np.asarray(lp.col_upper_, dtype=np.float64).copy()
    lo[m.integer] = fixed
    hi[m.integer] = fixed
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    h = _highs(time_limit_s, None)
    h.passModel(lp)
    _scale_objective(h, m.col_cost)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return v, 0.0
    new = float(h.getInfo().objective_function_value)
    if not new < obj_usd - 1e-9 * max(abs(obj_usd), 1.0):
        return v, 0.0
    w = np.asarray(h.getSolution().col_value, dtype=np.float64)
    w[m.integer] = fixed
    return w, obj_usd - new


def _gap(obj: float, bound: float) -> float | None:
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return None
    return max(obj - bound, 0.0) / max(abs(obj), 1e-9)


def explain_infeasibility(inputs: Inputs) -> list[Problem]:
    """Why some demand cannot be served: one `Problem` per cause.

    * a demand point and class with no candidate of a tier serving the class within its budget
      (field ``demand.<point id>.<class>``);
    * a candidate whose grid power cannot host one module of any tier it allows
      (``candidates.<id>.grid_available_mw``);
    * a capped state whose cap cannot host one module of any tier allowed there while some
      demand can only be reached from that state (``grid.state_caps_mw.<state>``);
    * training larger than all core campuses together can host (``training.it_mw_start``).
    """
    out: list[Problem] = []
    sc = inputs.scenario
    fac = sm.build_facilities(inputs)
    groups, full = sm.build_groups_and_pairs(inputs, fac)
    reached = np.bincount(full.group, minlength=groups.count) > 0
    pos_load = groups.load_mw.max(axis=1) > 0
    for g in np.flatnonzero(~reached & pos_load):
        k = int(groups.klass[g])
        p = int(groups.point[g])
        cid = inputs.classes[k]
        name = str(inputs.demand["id"].iloc[p]) if p >= 0 else "all"
        budget = inputs.rtt_budget_ms[k]
        out.append(Problem(
            f"demand.{name}.{cid}",
            float(groups.load_mw[g].max()),
            f"a candidate site of a tier serving '{cid}' within {budget:g} ms RTT (none reachable)",
        ))
    # Candidates too weak for one module of any allowed tier.
    cand = inputs.candidates
    has_fac = np.zeros(len(cand), dtype=bool)
    has_fac[fac.site[fac.site < len(cand)]] = True
    ids = cand["id"].astype(str).to_numpy()
    grid_mw = cand["grid_available_mw"].to_numpy(dtype=np.float64)
    for j in np.flatnonzero(~has_fac):
        out.append(Problem(
            f"candidates.{ids[j]}.grid_available_mw",
            float(grid_mw[j]),
            "at least one module x PUE of facility power for a tier it allows, online within the horizon",
        ))
    # State caps below one module of every tier present, while demand depends on that state.
    caps = dict(sc.grid.state_caps_mw)
    for st, cap in caps.items():
        fs = np.flatnonzero(fac.state == st)
        if fs.size == 0:
            continue
        smallest = float((fac.module_mw[fs] * fac.pue[fs]).min())
        if cap >= smallest:
            continue
        only_here = np.ones(groups.count, dtype=bool)
        out_state = fac.state[full.fac] != st
        only_here[full.group[out_state]] = False
        only_here &= reached & pos_load
        if only_here.any():
            out.append(Problem(
                f"grid.state_caps_mw.{st}", cap,
                f"at least {smallest:g} MW (one module x PUE) for {int(only_here.sum())} demand "
                f"group(s) that only sites in {st} can reach",
            ))
    # Training beyond all core capacity (site and state caps).
    core = np.flatnonzero(fac.serves_training)
    cap_mw = fac.max_modules[core] * fac.module_mw[core]
    total = float(cap_mw.sum())
    for st, cap in caps.items():
        m = fac.state[core] == st
        if m.any():
            total -= max(float(cap_mw[m].sum()) - cap / float(fac.pue[core][m].min()), 0.0)
    need = float(inputs.training_mw.max()) if inputs.training_mw.size else 0.0
    if need > total + 1e-9:
        out.append(Problem("training.it_mw_start", sc.training.it_mw_start,
                           f"training that fits the core campuses' {total:g} MW IT (needs {need:g} MW)"))
    return out


__all__ = ["explain_infeasibility", "lp_bound_full", "milp_plan", "plan_objective_usd"]
