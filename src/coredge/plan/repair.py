"""Exact single-site-failure repair of a plan: the independent check must report exactly zero.

The planner's resilience rows guarantee that *a* re-homing of every failed site's load exists;
`coredge.plan.result.single_site_failure_shortfall` computes the exact maximum re-homing (max
flow), so it reports zero wherever the model's reserves hold; what is left comes from the rebuilt
yearly modules and the unprotected/lone exemptions. `repair_single_site_failure` loops on the
sites that check fails, until it reports exactly zero for every site, within a wall-time cap; at
a failing site a greedy nearest-first re-homing picks the stranded pair to fix:

1. add final-year modules at the nearest site the stranded pair may move to that has room (site
   module limit, state cap, capex budget); else at a site an earlier pair of the same failure
   used before the contested ones (room there frees spare for the stranded pair);
2. else move the stranded MW of a pair served at a full contested site to another reachable site
   that is online no later and has room (`_move_off`);
3. else **open** a candidate facility that is not in the plan, within the stranded class's RTT
   budget of the stranded demand point, of a tier that serves the class and is online by the last
   plan year, with enough final-year modules for the stranded MW (tier module limit and grid power
   respected, state cap and capex budget respected, one tier per site), cheapest capex first; or
   **grow the tier** of a full plan site to a larger tier the site allows (e.g. micro -> regional),
   when no new candidate fits.

Every step only adds capacity (or moves load to sites with room), so what the model guaranteed
stays true. The cost of what it adds is in the plan and priced by costing.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs
from coredge.latency import rtt_ms
from coredge.plan import model as sm
from coredge.plan.power_paths import power_columns, take_terms
from coredge.plan.reach import reachable_pairs, tier_serves
from coredge.plan.result import (
    Plan,
    failed_site_needs,
    greedy_place,
    single_site_failure_shortfall,
    site_class_factor,
)

FloatArray = npt.NDArray[np.float64]

REPAIR_TIME_S = 20.0
"""Default wall time allowed to the repair; a shortfall left then is reported (tuning choice)."""


def site_frame(inputs: Inputs, fac: sm.Facilities, sel: npt.NDArray[np.int64], it_mw: FloatArray,
               inference_mw: FloatArray, training_mw: FloatArray) -> pd.DataFrame:
    """The `Plan.sites` rows of facilities `sel` with their final-year figures [MW].

    Parameters
    ----------
    inputs : Inputs
    fac : Facilities
    sel : ndarray of int
        Facility indices.
    it_mw, inference_mw, training_mw : ndarray, shape (len(sel),)
        Final-year installed IT, inference load and training load [MW].

    Returns
    -------
    DataFrame
        One row per facility, the columns `coredge.plan.result.Plan` documents.

    Examples
    --------
    Used by `coredge.plan.milp` to read a model solution and by the repair to open a site.
    """
    t = fac.table.iloc[sel].reset_index(drop=True)
    pue = fac.pue[sel]
    return pd.DataFrame(
        {
            "site_id": t["id"].astype(str),
            "name": t["name"].astype(str),
            "tier": fac.tier[sel].astype(str),
            "lat": t["lat"].astype(float),
            "lon": t["lon"].astype(float),
            "state": t["state"].astype(str),
            "country": t["country"].astype(str),
            "region_id": t["region_id"].fillna("").astype(str),
            "online_year": fac.online_year[sel],
            "pue": pue,
            "price_usd_per_mwh": fac.price_usd_per_mwh[sel],
            "gco2_per_kwh": t["gco2_per_kwh"].astype(float),
            "grid_available_mw": t["grid_available_mw"].astype(float),
            "interconnect_wait_months": t["interconnect_wait_months"].astype(float),
            "existing_it_mw": fac.existing_it_mw[sel],
            "it_mw": it_mw,
            "facility_mw": it_mw * pue,
            "gpus": np.floor(it_mw * 1000.0 / inputs.site_it_kw_per_gpu(fac.tier[sel])).astype(np.int64),
            "inference_mw": inference_mw,
            "training_mw": training_mw,
            **power_columns(take_terms(fac.terms, sel)),
        }
    )


def fac_keys(fac: sm.Facilities) -> dict[tuple[str, str, str], int]:
    """Facility index by (site id, tier, power path)."""
    return {(str(i), str(t), str(p)): k
            for k, (i, t, p) in enumerate(zip(fac.table["id"], fac.tier, fac.path, strict=True))}


def plan_keys(plan: Plan) -> list[tuple[str, str, str]]:
    """(site id, tier, power path) of each plan site (``firm`` without a ``power_path`` column)."""
    s = plan.sites
    path = s["power_path"].fillna("firm").astype(str) if "power_path" in s.columns else ["firm"] * len(s)
    return [(str(i), str(t), str(p)) for i, t, p in zip(s["site_id"], s["tier"], path, strict=True)]


def _plan_fac(plan: Plan, fac: sm.Facilities) -> npt.NDArray[np.int64]:
    f_of = fac_keys(fac)
    return np.array([f_of[k] for k in plan_keys(plan)], dtype=np.int64)


def _capex_per_mw(inputs: Inputs, tiers: npt.ArrayLike) -> FloatArray:
    sc = inputs.scenario
    t_arr = np.asarray(tiers)
    gpu = 1000.0 / inputs.site_it_kw_per_gpu(t_arr) * inputs.site_gpu_capex_usd(t_arr)  # each tier's accelerator
    return np.array([sc.tiers[str(t)].facility_capex_usd_per_mw * (1 + sc.tiers[str(t)].land_and_soft_cost_frac) + g  # type: ignore[index]
                     for t, g in zip(t_arr, gpu, strict=True)], dtype=np.float64)


def _open_site(inputs: Inputs, plan: Plan, fac: sm.Facilities, pi: int, ci: int,
               need_mw: float, failed: int) -> tuple[Plan, str] | None:
    """Open a candidate (or grow a plan site's tier) within class `ci`'s budget of point `pi`.

    Returns the new plan (capacity added in the last year only, no load) and what was done, or
    None when no candidate fits (module limits, grid power, state caps, capex budget, one tier
    per site, online by the last plan year, not at the failed plan site `failed`).
    """
    sc = inputs.scenario
    years = plan.years
    net = sc.network
    budget_ms = float(inputs.rtt_budget_ms[ci])
    cid = inputs.classes[ci]
    serves = np.array([tier_serves(inputs, str(t), cid) for t in fac.tier], dtype=bool)
    lat = fac.table["lat"].to_numpy(dtype=np.float64)
    lon = fac.table["lon"].to_numpy(dtype=np.float64)
    d = haversine_km(float(inputs.demand["lat"].to_numpy()[pi]), float(inputs.demand["lon"].to_numpy()[pi]), lat, lon)
    rtt = rtt_ms(net, d)
    in_plan = _plan_fac(plan, fac)
    ok = serves & (rtt <= budget_ms + 1e-9) & (fac.online_year <= int(years[-1]))
    plan_site = {int(s): i for i, s in enumerate(fac.site[in_plan])}
    # the stranded MW of load in each facility's IT MW (its tier's accelerator)
    need_f = need_mw * inputs.site_mw_factor(fac.tier)[:, ci] if sc.hardware.per_tier else np.full(fac.count, need_mw)
    k = np.maximum(np.ceil(need_f / fac.module_mw - 1e-9), 1.0)
    ok &= k <= fac.max_modules
    ok &= fac.site != fac.site[in_plan[failed]]
    inst = plan.it_mw_by_year
    pue_p = plan.sites["pue"].to_numpy(dtype=np.float64)
    states_p = plan.sites["state"].astype(str).to_numpy()
    caps = dict(sc.grid.state_caps_mw)
    budget = sc.planning.capex_budget_usd_per_year
    per_mw = _capex_per_mw(inputs, fac.tier)
    cand: list[tuple[float, int, int]] = []  # (capex, facility, plan row replaced or -1)
    for fi in np.flatnonzero(ok):
        f = int(fi)
        row = plan_site.get(int(fac.site[f]), -1)
        add_mw = float(k[f] * fac.module_mw[f])
        freed = 0.0
        if row >= 0:
            # Grow the tier: only to a larger tier whose module limit holds the site's capacity
            # and load plus the stranded MW; the site keeps its load.
            if str(plan.sites["tier"].iat[row]) == str(fac.tier[f]) or fac.module_mw[f] <= fac.module_mw[in_plan[row]]:
                continue
            if sc.hardware.for_tier(str(plan.sites["tier"].iat[row])) != sc.hardware.for_tier(str(fac.tier[f])):
                continue  # the site's load is in its own tier's accelerator: not kept by a regrade
            base = float(max(inst[row, -1], plan.load_mw_by_year[row, -1]))
            mods = math.ceil((base + float(need_f[f])) / fac.module_mw[f] - 1e-9)
            if mods > fac.max_modules[f] or (plan.load_mw_by_year[row][years < fac.online_year[f]] > 0).any():
                continue  # too small, or the larger tier comes online after load the site carries
            add_mw = mods * float(fac.module_mw[f])
            freed = float(inst[row, -1] * pue_p[row])
        st = str(fac.state[f])
        if st in caps and float((inst[states_p == st, -1] * pue_p[states_p == st]).sum()) - freed + add_mw * fac.pue[f] > caps[st] + 1e-9:
            continue
        if budget is not None:
            y_add = np.diff(inst, axis=1, prepend=0.0)[:, -1]
            if float((y_add * _capex_per_mw(inputs, plan.sites["tier"])).sum()) + add_mw * per_mw[f] > budget:
                continue
        cand.append((add_mw * float(per_mw[f]), int(f), row))
    if not cand:
        return None
    _, best, row = min(cand)
    f = best
    Y = years.size
    if row < 0:
        add = np.zeros(Y)
        add[-1] = float(k[f] * fac.module_mw[f])
        new = site_frame(inputs, fac, np.array([f]), add[-1:], np.zeros(1), np.zeros(1))
        return dataclasses.replace(
            plan, sites=pd.concat([plan.sites, new], ignore_index=True), it_mw_by_year=np.vstack([plan.it_mw_by_year, add[None, :]]),
            load_mw_by_year=np.vstack([plan.load_mw_by_year, np.zeros((1, Y))]),
            training_mw_by_year=np.vstack([plan.training_mw_by_year, np.zeros((1, Y))]),
        ), f"opened {fac.tier[f]} {fac.table['id'].iat[f]}"
    # Grow the tier of plan row `row` to facility f: capacity in years it is online, load kept.
    base = float(max(inst[row, -1], plan.load_mw_by_year[row, -1]))
    mods = math.ceil((base + float(need_f[f])) / fac.module_mw[f] - 1e-9)
    on = years >= fac.online_year[f]
    new_inst = np.where(on, np.maximum.accumulate(
        np.ceil(plan.load_mw_by_year[row] / fac.module_mw[f] - 1e-9) * fac.module_mw[f]), 0.0)
    new_inst[-1] = max(new_inst[-1], mods * float(fac.module_mw[f]))
    new_inst = np.maximum.accumulate(new_inst)
    new = site_frame(inputs, fac, np.array([f]), new_inst[-1:], plan.sites["inference_mw"].to_numpy()[row:row + 1],
                     plan.sites["training_mw"].to_numpy()[row:row + 1])
    sites: Any = plan.sites.copy()
    for c in new.columns:
        sites.loc[row, c] = new[c].iat[0]
    it = plan.it_mw_by_year.copy()
    it[row] = new_inst
    a = plan.assignments.copy()
    a.loc[a["site_index"] == row, "site_id"] = str(new["site_id"].iat[0])
    return dataclasses.replace(plan, sites=sites, it_mw_by_year=it, assignments=a), \
        f"grew {plan.sites['tier'].iat[row]} {plan.sites['site_id'].iat[row]} to {fac.tier[f]}"


def repair_single_site_failure(inputs: Inputs, plan: Plan, fac: sm.Facilities,
                               time_limit_s: float = REPAIR_TIME_S,
                               max_rounds: int = 2000,
                               exempt: set[tuple[int, int]] | None = None) -> tuple[Plan, dict[str, Any]]:
    """Add capacity until `single_site_failure_shortfall` is exactly zero for every site.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan
        The plan to repair; its arrays may be edited in place.
    fac : Facilities
        The planner's facilities (`coredge.plan.model.build_facilities`): the candidates
        the repair may open.
    time_limit_s : float
        Wall-time cap [s]; what is left then is reported.
    max_rounds : int
        Cap on repair rounds.
    exempt : set of (point index, class index), optional
        Pairs the plan serves unprotected on purpose (the MILP's ``w > 0``): the repair neither
        re-homes nor protects them (they still count in the reported check).

    Returns
    -------
    (Plan, dict)
        The repaired plan and a report: ``repair_modules`` (added at plan sites),
        ``repair_moves``, ``repair_opened`` (sites opened or grown), ``repair_s``,
        ``repair_exact`` (whether the check reports exactly 0 for every site) and
        ``single_site_failure_shortfall_mw`` (the check's worst site after the repair).

    Examples
    --------
    ``plan, rep = repair_single_site_failure(inputs, plan, sm.build_facilities(inputs))`` then
    ``single_site_failure_shortfall(inputs, plan).max() == 0.0`` when ``rep["repair_exact"]``.
    """
    t0 = time.perf_counter()
    sc = inputs.scenario
    caps = dict(sc.grid.state_caps_mw)
    budget = sc.planning.capex_budget_usd_per_year
    added = moved = 0
    opened: list[str] = []
    reach = reachable_pairs(inputs, plan.sites)
    skip: set[tuple[int, int, int]] = set()

    def failing() -> set[int]:
        # Sites whose loss the exact check (max flow) cannot absorb; the greedy re-homing below
        # only picks which stranded pair to fix there.
        short = single_site_failure_shortfall(inputs, plan, exempt=exempt, reach=reach)
        return {int(j) for j in np.flatnonzero(short > 0.0)}

    bad = failing()
    for _ in range(max_rounds):
        if time.perf_counter() - t0 > time_limit_s or not bad:
            break
        hit = _first_shortfall(inputs, plan, reach, skip, exempt, bad)
        if hit is None:
            bad = failing()  # fixes elsewhere may have changed spare capacity
            hit = _first_shortfall(inputs, plan, reach, skip, exempt, bad)
            if hit is None:
                break
        need, alts, extra, pi, ci, j = hit
        fidx = _plan_fac(plan, fac)
        max_modules = fac.max_modules[fidx]
        module_mw = fac.module_mw[fidx]
        inst = plan.it_mw_by_year
        pue = plan.sites["pue"].to_numpy(dtype=np.float64)
        states = plan.sites["state"].astype(str).to_numpy()
        per_mw = _capex_per_mw(inputs, plan.sites["tier"])
        done = False
        # Room at `extra` only helps when the stranded pair has a plan site to move to; with none
        # (a point whose only reachable plan site failed) adding modules elsewhere frees nothing.
        for s in (alts + extra if alts else []):
            k = max(math.ceil(need / module_mw[s] - 1e-9), 1)
            n_now = round(inst[s, -1] / module_mw[s])
            k = min(k, int(max_modules[s]) - n_now)
            if k <= 0:
                continue
            add_mw = k * module_mw[s]
            st = states[s]
            if st in caps and float((inst[states == st, -1] * pue[states == st]).sum()) + add_mw * pue[s] > caps[st] + 1e-9:
                continue
            if budget is not None:
                y_add = np.diff(inst, axis=1, prepend=0.0)[:, -1]
                if float((y_add * per_mw).sum()) + add_mw * per_mw[s] > budget:
                    continue
            inst[s, -1] += add_mw
            added += k
            done = True
            break
        if not done:
            got = _open_site(inputs, plan, fac, pi, ci, need, j)
            if got is not None:
                plan, what = got
                opened.append(what)
                reach = reachable_pairs(inputs, plan.sites)
                done = True
        if not done:
            moved_plan = _move_off(inputs, plan, reach, alts, need, max_modules, module_mw)
            if moved_plan is not None:
                plan, done = moved_plan, True
                moved += 1
        if not done:
            skip.add((j, pi, ci))  # nothing can absorb it: report it, go on with the others
        elif single_site_failure_shortfall(inputs, plan, exempt=exempt, sites=[j], reach=reach)[j] == 0.0:
            bad.discard(j)
    inst = plan.it_mw_by_year
    pue = plan.sites["pue"].to_numpy(dtype=np.float64)
    plan.sites["it_mw"] = inst[:, -1]
    plan.sites["facility_mw"] = inst[:, -1] * pue
    plan.sites["gpus"] = np.floor(inst[:, -1] * 1000.0 / inputs.site_it_kw_per_gpu(plan.sites["tier"].to_numpy())).astype(np.int64)
    plan.sites["inference_mw"] = plan.load_mw_by_year[:, -1] - plan.training_mw_by_year[:, -1]
    short = single_site_failure_shortfall(inputs, plan) if plan.n_sites else np.zeros(0)
    worst = float(short.max()) if short.size else 0.0
    return plan, {"repair_modules": added, "repair_moves": moved, "repair_opened": opened,
                  "repair_unfixable": len(skip), "repair_s": time.perf_counter() - t0, "repair_exact": worst == 0.0,
                  "single_site_failure_shortfall_mw": worst}


def _first_shortfall(
    inputs: Inputs, plan: Plan, reach: dict[tuple[int, int], list[tuple[int, float]]],
    skip: set[tuple[int, int, int]] | None = None,
    exempt: set[tuple[int, int]] | None = None,
    only: set[int] | None = None,
) -> tuple[float, list[int], list[int], int, int, int] | None:
    """Re-run `single_site_failure_shortfall`'s re-homing; the first unplaceable need.

    Returns the stranded MW, the sites the stranded pair may move to (nearest first), as a
    fallback the sites that earlier pairs of the same failure took spare from before reaching
    one of those (room there frees spare for the stranded pair), the pair (point, class) and the
    failed site. Stranded needs listed in `skip` as (failed site, point, class) are passed over;
    pairs in `exempt` (point, class) are not re-homed at all; only failed sites in `only` (all
    when None) are scanned.
    """
    spare = np.maximum(plan.it_mw_by_year[:, -1] - plan.load_mw_by_year[:, -1], 0.0)
    load = inputs.load_mw[:, :, -1]
    fk = site_class_factor(inputs, plan)
    for j in range(plan.n_sites):
        if only is not None and j not in only:
            continue
        cap = spare.copy()
        cap[j] = 0.0
        tried: list[list[int]] = []
        for pi, ci, need, alts in failed_site_needs(plan, load, reach, j, exempt):
            tried.append(alts)
            need = greedy_place(need, alts, cap, None if fk is None else fk[alts, ci])
            if need > 0.0 and (skip is None or (j, int(pi), int(ci)) not in skip):
                contested = set(alts)
                extra: list[int] = []
                for other in tried[:-1]:
                    for s in other:
                        if s in contested:
                            break
                        if s not in extra:
                            extra.append(s)
                return need, alts, extra, int(pi), int(ci), j
    return None


def _move_off(inputs: Inputs, plan: Plan, reach: dict[tuple[int, int], list[tuple[int, float]]],
              contested: list[int], need_mw: float, max_modules: npt.NDArray[np.int64],
              module_mw: FloatArray) -> Plan | None:
    """Move ``need_mw`` (final year) of one pair's load off a full contested site.

    Picks, at the first contested site with a movable pair, the pair whose load it serves can go
    to another reachable site that is online no later, has module room (site limit, state cap) and
    no capex budget applies; moves that share in every year and adds the modules the target needs
    each year (never shrinking). Returns the plan with the move (its capacity arrays edited in
    place, its assignments a new, sorted table), or None when nothing can move.
    """
    sc = inputs.scenario
    if sc.planning.capex_budget_usd_per_year is not None:
        return None
    a: Any = plan.assignments  # edited in place (pandas typing is too loose for iat/loc here)
    inst = plan.it_mw_by_year
    load = plan.load_mw_by_year
    oy = plan.sites["online_year"].to_numpy()
    pue = plan.sites["pue"].to_numpy(dtype=np.float64)
    states = plan.sites["state"].astype(str).to_numpy()
    caps = dict(sc.grid.state_caps_mw)
    online = plan.years[None, :] >= oy[:, None]
    fk = site_class_factor(inputs, plan)  # IT MW per MW of load at each site (its tier's accelerator)
    for c in contested:
        rows = np.flatnonzero(a["site_index"].to_numpy() == c)
        for r in (int(k) for k in rows):
            pi, ci = int(a["point_index"].iat[r]), int(a["class_index"].iat[r])
            pair_load = inputs.load_mw[pi, ci, :]
            if pair_load[-1] <= 0:
                continue
            d = min(float(a["share"].iat[r]), (need_mw * (1.0 + 1e-6) + 1e-9) / float(pair_load[-1]))
            for t, _rtt in reach.get((pi, ci), []):
                if t == c or oy[t] > oy[c]:
                    continue
                f_t = 1.0 if fk is None else float(fk[t, ci])
                new_load = load[t] + d * pair_load * f_t * online[t]
                req = np.maximum.accumulate(np.maximum(np.ceil(new_load / module_mw[t] - 1e-9) * module_mw[t], inst[t]))
                if req[-1] > max_modules[t] * module_mw[t] + 1e-9:
                    continue
                st = states[t]
                if st in caps and float((inst[states == st, -1] * pue[states == st]).sum()) + (req[-1] - inst[t, -1]) * pue[t] > caps[st] + 1e-9:
                    continue
                load[t] = new_load
                load[c] = np.maximum(load[c] - d * pair_load * (1.0 if fk is None else float(fk[c, ci])) * online[c], 0.0)
                inst[t] = np.where(online[t], req, 0.0)
                a.loc[a.index[r], "share"] = float(a["share"].iat[r]) - d
                hit = np.flatnonzero((a["point_index"].to_numpy() == pi) & (a["class_index"].to_numpy() == ci)
                                     & (a["site_index"].to_numpy() == t))
                if hit.size:
                    h0 = int(hit[0])
                    a.loc[a.index[h0], "share"] = float(a["share"].iat[h0]) + d
                else:
                    row = a.iloc[[r]].copy()
                    row["site_index"] = t
                    row["site_id"] = plan.sites["site_id"].iat[t]
                    row["share"] = d
                    row["rtt_ms"] = _rtt
                    dkm = haversine_km(float(inputs.demand["lat"].to_numpy()[pi]),
                                       float(inputs.demand["lon"].to_numpy()[pi]),
                                       float(plan.sites["lat"].to_numpy()[t]), float(plan.sites["lon"].to_numpy()[t]))
                    row["distance_km"] = float(dkm)
                    a.loc[len(a) + int(a.index.max()) + 1] = row.iloc[0]
                if float(a["share"].iat[r]) <= 1e-12:
                    a = a.drop(index=a.index[r])
                a = a.sort_values(["point_index", "class_index", "site_index"]).reset_index(drop=True)
                return dataclasses.replace(plan, assignments=a)
    return None



__all__ = ["REPAIR_TIME_S", "repair_single_site_failure", "site_frame"]
