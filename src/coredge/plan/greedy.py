"""Greedy latency-coverage planner: a fast, feasible plan (and the MILP's warm start).

1. Core campuses: candidate core regions ranked by discounted energy cost of the core load plus the
   unmet-demand penalty while they wait for grid and construction; opened until the final-year
   training and batch-inference load fits.
2. Coverage: for each latency-bound class, tightest budget first, edge candidates are opened by
   greedy weighted set cover (the candidate that reaches the most uncovered demand within the
   budget) until every coverable demand point is covered.
3. Assignment: every (point, class) load goes to the nearest open site within budget that has
   spare capacity (site size, grid power and state caps), splitting where one site fills up;
   batch inference goes to the cheapest core campus with room.
4. Sizing: each site's tier follows from its load (micro when it fits a micro site), capacity is
   rounded up to modules each year, never shrinks, and counts only from the site's online year.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs
from coredge.latency import rtt_ms
from coredge.plan.costing import energy_usd_per_mw_year
from coredge.plan.reach import class_pairs, tier_serves
from coredge.plan.result import Plan, modules_needed, online_year
from coredge.scenario.schema import TIER_IDS
from coredge.units import discount_factors, plan_year_offsets

FloatArray = npt.NDArray[np.float64]


def core_cost_usd(inputs: Inputs, core_idx: npt.NDArray[np.int64], core_series_mw: FloatArray) -> FloatArray:
    """What serving the core load from each core candidate costs, the greedy's ranking key [USD].

    Discounted energy of the core load once the campus is online, priced by
    `coredge.plan.costing.energy_usd_per_mw_year` (the site's tariff with the power-price
    escalator, as costing, the MILP and finance price it), plus the unmet-demand penalty on the
    load while the campus waits for grid and construction.

    Parameters
    ----------
    inputs : Inputs
    core_idx : ndarray of int, shape (C,)
        Candidate rows allowed to host a core campus.
    core_series_mw : ndarray, shape (Y,)
        Core IT load per plan year [MW].

    Returns
    -------
    ndarray, shape (C,)
        Discounted cost [USD].
    """
    sc = inputs.scenario
    cand = inputs.candidates
    t = sc.tiers["core"]
    years = inputs.years
    disc = discount_factors(sc.economics.discount_rate, plan_year_offsets(years))
    oy = online_year(int(years[0]), t.lead_time_months + cand["interconnect_wait_months"].to_numpy()[core_idx])
    price = cand["price_usd_per_mwh"].to_numpy(dtype=np.float64)[core_idx]
    pue = cand["pue_core"].to_numpy(dtype=np.float64)[core_idx]
    per_mw = energy_usd_per_mw_year(
        sc.hardware.utilisation_frac * float(inputs.site_energy_draw_frac(["core"])[0]), pue, price, years,
        sc.economics.power_price_escalator_rate,
    )
    energy = (core_series_mw * disc)[None, :] * (years[None, :] >= oy[:, None]) * per_mw
    wait = (core_series_mw * disc)[None, :] * (years[None, :] < oy[:, None]) * (
        sc.economics.unmet_demand_penalty_usd_per_mw_year
    )
    return np.asarray(energy.sum(axis=1) + wait.sum(axis=1), dtype=np.float64)


def _core_ranking(inputs: Inputs, core_idx: npt.NDArray[np.int64], core_series_mw: FloatArray) -> npt.NDArray[np.int64]:
    """Core candidates ordered by `core_cost_usd`, cheapest first (ties keep candidate order)."""
    cost = core_cost_usd(inputs, core_idx, core_series_mw)
    return np.asarray(core_idx[np.argsort(cost, kind="stable")])


def greedy_plan(inputs: Inputs) -> Plan:
    """Build a feasible plan quickly (see the module docstring).

    Where the plan serves less of a latency-bound class than the MILP's coverage target
    (``planning.min_coverage_frac``) because the sites that cover its points fill up (steps 2-3
    open sites for coverage, not for capacity), more sites are opened where the unserved
    load is (`coredge.plan.greedy_topup.top_up_sites`) and the plan is rebuilt, a few rounds at
    most; a plan that meets the target is returned as before.

    Parameters
    ----------
    inputs : Inputs
        Output of `coredge.inputs.build_inputs`.

    Returns
    -------
    Plan
        With ``method == "greedy"``.
    """
    from coredge.plan.greedy_topup import TOP_UP_ROUNDS, top_up_sites

    plan = _greedy_plan(inputs, None)
    extra = np.zeros(len(inputs.candidates), dtype=bool)
    for _ in range(TOP_UP_ROUNDS):
        add = top_up_sites(inputs, plan, extra)
        if not add.any():
            break
        extra |= add
        plan = _greedy_plan(inputs, extra)
    return plan


def _greedy_plan(inputs: Inputs, extra_open: npt.NDArray[np.bool_] | None) -> Plan:
    """`greedy_plan` with the candidates of ``extra_open`` opened after the coverage step."""
    sc = inputs.scenario
    cand = inputs.candidates
    tiers = sc.tiers
    n_pts, n_cls, _n_yrs = inputs.load_mw.shape
    n_cand = len(cand)
    # Size on the peak year of each (point, class) (the last year unless demand shrinks).
    final = inputs.load_mw.max(axis=2)
    budgets = inputs.rtt_budget_ms
    allow = {t: cand[f"allow_{t}"].to_numpy(dtype=bool) for t in TIER_IDS}
    lat = cand["lat"].to_numpy()
    lon = cand["lon"].to_numpy()
    plat = inputs.demand["lat"].to_numpy(dtype=np.float64)
    plon = inputs.demand["lon"].to_numpy(dtype=np.float64)
    grid = cand["grid_available_mw"].to_numpy()
    states = cand["state"].astype(str).to_numpy()

    # Capacity of each candidate if opened at its largest allowed tier that fits at least one of
    # its modules on the candidate's grid connection [IT MW] (a city candidate that allows the core
    # tier on an edge-sized connection is opened as a regional or micro site, not as a campus
    # that cannot hold one module).
    tier_of_cap = np.where(allow["core"], "core", np.where(allow["regional"], "regional", "micro"))
    fitted = np.zeros(n_cand, dtype=bool)
    for t in TIER_IDS:
        pue_t = cand[f"pue_{t}"].to_numpy(dtype=np.float64)
        fits = allow[t] & ~fitted & (np.minimum(tiers[t].it_mw_max, grid / pue_t) >= tiers[t].module_it_mw - 1e-9)
        tier_of_cap = np.where(fits, t, tier_of_cap)
        fitted |= fits
    pue_cap = np.array([cand[f"pue_{t}"].iat[j] for j, t in enumerate(tier_of_cap)], dtype=np.float64)
    max_cap = np.array([tiers[t].it_mw_max for t in tier_of_cap])
    site_cap = np.minimum(max_cap, grid / pue_cap)
    state_left = {s: float(v) for s, v in sc.grid.state_caps_mw.items()}  # facility MW

    existing = cand["existing_it_mw"].to_numpy(dtype=np.float64)
    opened = existing > 0  # brownfield sites are open from the start

    # 1. Core campuses for training and batch inference.
    batch = [k for k in range(n_cls) if math.isinf(budgets[k])]
    # the core tier's IT MW for batch load (its own accelerator: `Inputs.tier_mw_factor`)
    f_core = inputs.tier_mw_factor[TIER_IDS.index("core")]
    core_series = inputs.training_mw + (inputs.load_mw[:, batch, :] * f_core[batch][None, :, None]).sum(axis=(0, 1))
    core_idx = np.flatnonzero(allow["core"] & (tier_of_cap == "core"))
    need = float(core_series.max())
    if core_idx.size and need > 0:
        got = 0.0
        for j in _core_ranking(inputs, core_idx, core_series):
            if got >= need:
                break
            opened[j] = True
            got += site_cap[j]

    # 2. Coverage of latency-bound classes, tightest budget first.
    edge_ok = allow["regional"] | allow["micro"]
    pairs_by_class = {}
    for k in sorted(range(n_cls), key=lambda k: budgets[k]):
        if math.isinf(budgets[k]):
            continue
        cid = inputs.classes[k]
        serves = np.zeros(n_cand, dtype=bool)
        for t in TIER_IDS:
            if tier_serves(inputs, t, cid):
                serves |= allow[t]
        pr = class_pairs(inputs, lat, lon, k)
        m = serves[pr.site]
        pairs_by_class[k] = pr
        a = sp.csr_matrix(
            (np.ones(int(m.sum())), (pr.point[m], pr.site[m])), shape=(n_pts, n_cand)
        )
        w = final[:, k]
        covered = np.asarray(a[:, np.flatnonzero(opened)].sum(axis=1)).ravel() > 0
        # Coverage opens edge sites; core campuses only when no edge tier may serve the class
        # (e.g. an all-core strategy), since a campus is not built for a few MW of inference.
        edge_serves = any(tier_serves(inputs, t, cid) for t in ("regional", "micro"))
        openable = (edge_ok if edge_serves else allow["core"]) & serves
        at = a.T.tocsr()
        while True:
            unc = w * ~covered
            if unc.sum() <= 0:
                break
            score = at @ unc
            score[opened | ~openable] = 0.0
            j = int(np.argmax(score))
            if score[j] <= 0:
                break
            opened[j] = True
            covered |= np.asarray(a[:, j].toarray()).ravel() > 0

    if extra_open is not None:
        opened |= extra_open

    # 3. Assignment with capacities (final year), nearest first.
    open_idx = np.flatnonzero(opened)
    pos = {int(j): i for i, j in enumerate(open_idx)}
    mod_cap = np.array([tiers[t].module_it_mw for t in tier_of_cap[open_idx]])
    cap = _Capacity(site_cap[open_idx], mod_cap, pue_cap[open_idx], states[open_idx], state_left)
    for s_, j in enumerate(open_idx):
        if existing[j] > 0:
            cap.preinstall(s_, existing[j])
    # Training first, at the cheapest open core campuses.
    train_final = float(inputs.training_mw.max())
    core_open = [j for j in _core_ranking(inputs, core_idx, core_series) if opened[j]] if core_idx.size else []
    train_split = np.zeros(open_idx.size)
    rem = train_final
    for j in core_open:
        take = min(rem, cap.room(pos[j]))
        cap.use(pos[j], take)
        train_split[pos[j]] = take
        rem -= take
    rows: list[tuple[int, int, int, float, float, float]] = []
    cheap_core = [pos[j] for j in core_open]
    # IT MW a site installs per MW of load, per open site and class (its tier's accelerator)
    f_site = inputs.site_mw_factor(tier_of_cap[open_idx])
    for k in sorted(range(n_cls), key=lambda k: budgets[k]):
        cid = inputs.classes[k]
        if math.isinf(budgets[k]):
            # Batch: cheapest core campus first, then any serving site.
            order = cheap_core + [
                s for s in range(open_idx.size)
                if s not in cheap_core and tier_serves(inputs, str(tier_of_cap[open_idx[s]]), cid)
            ]
            for i in np.argsort(-final[:, k], kind="stable"):
                need_i = final[i, k]
                if need_i <= 0:
                    continue
                for s in order:
                    take = min(need_i, cap.room(s) / f_site[s, k])
                    if take <= 0:
                        continue
                    cap.use(s, take * f_site[s, k])
                    j = int(open_idx[s])
                    net = sc.network
                    d = float(haversine_km(plat[i], plon[i], lat[j], lon[j]))
                    r = float(rtt_ms(net, d))
                    rows.append((int(i), k, s, take / final[i, k], r, d))
                    need_i -= take
                    if need_i <= 1e-12:
                        break
            continue
        pr = pairs_by_class[k]
        m = opened[pr.site]
        p_arr, s_arr, r_arr, d_arr = pr.point[m], pr.site[m], pr.rtt_ms[m], pr.distance_km[m]
        starts = np.searchsorted(p_arr, np.arange(n_pts + 1))
        for i in np.argsort(-final[:, k], kind="stable"):
            need_i = final[i, k]
            if need_i <= 0:
                continue
            for q in range(starts[i], starts[i + 1]):
                s = pos[int(s_arr[q])]
                take = min(need_i, cap.room(s) / f_site[s, k])
                if take <= 0:
                    continue
                cap.use(s, take * f_site[s, k])
                rows.append((int(i), k, s, take / final[i, k], float(r_arr[q]), float(d_arr[q])))
                need_i -= take
                if need_i <= 1e-12:
                    break

    room_final = train_split + np.array([cap.room(s) for s in range(open_idx.size)])
    return _finish(inputs, open_idx, tier_of_cap, train_split, rows, core_open, room_final)


class _Capacity:
    """Installed modules and used IT MW of open sites, within site, grid and state limits.

    Capacity is added in whole modules; each module draws ``module x PUE`` facility MW from its
    state's cap, so rounding up to modules can never break a cap.
    """

    def __init__(
        self,
        cap_mw: np.ndarray,
        module_mw: np.ndarray,
        pue: np.ndarray,
        states: np.ndarray,
        state_caps_mw: dict[str, float],
    ) -> None:
        self.module = module_mw
        self.cap = np.floor(cap_mw / module_mw + 1e-9) * module_mw
        self.pue = pue
        self.states = [str(x) for x in states]
        self.state_left = dict(state_caps_mw)
        self.installed = np.zeros_like(cap_mw)
        self.used = np.zeros_like(cap_mw)

    def preinstall(self, s: int, mw: float) -> None:
        """Count existing (brownfield) capacity as installed, drawing on its state's cap."""
        self.installed[s] = mw
        self.cap[s] = max(self.cap[s], mw)
        st = self.states[s]
        if st in self.state_left:
            self.state_left[st] -= mw * self.pue[s]

    def room(self, s: int) -> float:
        """IT MW site `s` can still take [MW]."""
        free = self.installed[s] - self.used[s]
        extra = self.cap[s] - self.installed[s]
        st = self.states[s]
        if st in self.state_left:
            extra = min(extra, self.state_left[st] / self.pue[s])
        n = np.floor(max(extra, 0.0) / self.module[s] + 1e-9)
        return float(max(free + n * self.module[s], 0.0))

    def use(self, s: int, mw: float) -> None:
        """Place `mw` [MW] on site `s` (at most `room(s)`), adding modules as needed."""
        free = self.installed[s] - self.used[s]
        if mw > free + 1e-12:
            add = np.ceil((mw - free) / self.module[s] - 1e-9) * self.module[s]
            self.installed[s] += add
            st = self.states[s]
            if st in self.state_left:
                self.state_left[st] -= add * self.pue[s]
        self.used[s] += mw


def _finish(
    inputs: Inputs,
    open_idx: np.ndarray,
    tier_of_cap: np.ndarray,
    train_split: np.ndarray,
    rows: list[tuple[int, int, int, float, float, float]],
    core_open: list[int],
    train_room: np.ndarray,
) -> Plan:
    """Tiers, yearly sizing, online years and unmet load from an assignment.

    `train_room` is the IT MW each open site can give to training (its final-year training share
    plus its spare capacity after the final-year assignment), so yearly training never breaks a
    site, grid or state limit.
    """
    sc = inputs.scenario
    tiers = sc.tiers
    cand = inputs.candidates
    years = inputs.years
    _n_pts, n_cls, n_yrs = inputs.load_mw.shape
    asg = pd.DataFrame(rows, columns=["point_index", "class_index", "site_index", "share", "rtt_ms", "distance_km"])
    # Per-site yearly inference load from fixed shares, in IT MW of each tier's accelerator.
    n_open = open_idx.size
    inf_load = _site_load(inputs, asg, tier_of_cap[open_idx], n_open, n_yrs)
    # Tier per site from its final load.
    allow_micro = cand["allow_micro"].to_numpy()[open_idx]
    final_total = inf_load[:, -1] + train_split
    tier = tier_of_cap[open_idx].astype(object)
    micro_load = _site_load(inputs, asg, np.full(n_open, "micro"), n_open, n_yrs)
    micro_max = tiers["micro"].it_mw_max
    existing = cand["existing_it_mw"].to_numpy(dtype=np.float64)[open_idx]
    # A small regional site becomes micro only if the micro tier may serve every class it serves.
    micro_ok = np.ones(n_open, dtype=bool)
    for k, cid in enumerate(inputs.classes):
        if not asg.empty and not tier_serves(inputs, "micro", cid):
            micro_ok[asg.loc[asg["class_index"] == k, "site_index"].to_numpy()] = False
    # On the micro tier's accelerator (the same as the regional one's unless hardware.tiers
    # differ) the site's load must fit a micro site; where its IT MW would grow, a state cap
    # counted with the regional figure could break, so such a site stays regional.
    capped = np.isin(states_of(cand, open_idx), list(sc.grid.state_caps_mw))
    micro_fits = (micro_load[:, -1] + train_split <= micro_max) & (~capped | (micro_load[:, -1] <= inf_load[:, -1] + 1e-12))
    small = (tier == "regional") & allow_micro & micro_fits & (existing <= 0) & micro_ok
    tier[small] = "micro"
    inf_load[small] = micro_load[small]
    final_total = inf_load[:, -1] + train_split
    # Online years; a site that cannot come online within the horizon is not part of the plan.
    lead = np.array([tiers[t].lead_time_months for t in tier])
    wait = cand["interconnect_wait_months"].to_numpy()[open_idx]
    oy = online_year(int(years[0]), lead + wait)
    oy[existing > 0] = int(years[0])
    keep = ((final_total > 1e-9) & (oy <= years[-1])) | (existing > 0)
    online = years[None, :] >= oy[:, None]
    # Training per year at online core campuses in cost order.
    train = np.zeros((n_open, n_yrs))
    pos = {int(j): i for i, j in enumerate(open_idx)}
    for y in range(n_yrs):
        rem = float(inputs.training_mw[y])
        for j in core_open:
            s = pos[j]
            if online[s, y] and rem > 0:
                take = min(rem, float(train_room[s]))
                train[s, y] = take
                rem -= take
    served_inf = inf_load * online
    load = served_inf + train
    module = np.array([tiers[t].module_it_mw for t in tier])
    installed = np.maximum(modules_needed(load, module), existing[:, None])
    installed[~online] = 0.0
    # Unmet per class and year (inference shares at sites not yet online are unmet).
    unmet = np.zeros((n_cls + 1, n_yrs))
    demand_k = inputs.load_mw.sum(axis=0)  # (K, Y)
    served_k = np.zeros((n_cls, n_yrs))
    if not asg.empty:
        ok = online[asg["site_index"].to_numpy(), :]
        contrib = inputs.load_mw[asg["point_index"].to_numpy(), asg["class_index"].to_numpy(), :] * asg["share"].to_numpy()[:, None] * ok
        np.add.at(served_k, asg["class_index"].to_numpy(), contrib)
    unmet[:n_cls] = np.maximum(demand_k - served_k, 0.0)
    unmet[n_cls] = np.maximum(inputs.training_mw - train.sum(axis=0), 0.0)

    # Drop sites that ended up with no load, renumbering assignments.
    new_index = -np.ones(n_open, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    asg = asg[keep[asg["site_index"].to_numpy()]].copy() if not asg.empty else asg
    asg["site_index"] = new_index[asg["site_index"].to_numpy()] if not asg.empty else asg["site_index"]
    sel = open_idx[keep]
    c = cand.iloc[sel].reset_index(drop=True)
    tier_k = tier[keep]
    pue = np.array([c[f"pue_{t}"].iat[j] for j, t in enumerate(tier_k)], dtype=np.float64)
    inst_k = installed[keep]
    sites = pd.DataFrame(
        {
            "site_id": c["id"],
            "name": c["name"],
            "tier": tier_k.astype(str),
            "lat": c["lat"],
            "lon": c["lon"],
            "state": c["state"],
            "country": c["country"],
            "region_id": c["region_id"],
            "online_year": oy[keep],
            "pue": pue,
            "price_usd_per_mwh": c["price_usd_per_mwh"],
            "gco2_per_kwh": c["gco2_per_kwh"],
            "grid_available_mw": c["grid_available_mw"],
            "interconnect_wait_months": c["interconnect_wait_months"],
            "existing_it_mw": existing[keep],
            "it_mw": inst_k[:, -1],
            "facility_mw": inst_k[:, -1] * pue,
            "gpus": np.floor(inst_k[:, -1] * 1000.0 / inputs.site_it_kw_per_gpu(tier_k)).astype(np.int64),
            "inference_mw": served_inf[keep][:, -1],
            "training_mw": train[keep][:, -1],
        }
    )
    if not asg.empty:
        asg.insert(0, "point_id", inputs.demand["id"].to_numpy()[asg["point_index"].to_numpy()])
        asg.insert(2, "class_id", np.asarray(inputs.classes, dtype=object)[asg["class_index"].to_numpy()])
        asg.insert(4, "site_id", sites["site_id"].to_numpy()[asg["site_index"].to_numpy()])
    asg = asg.reset_index(drop=True)
    return Plan(
        years=years,
        sites=sites,
        it_mw_by_year=inst_k,
        load_mw_by_year=load[keep],
        training_mw_by_year=train[keep],
        assignments=asg,
        unmet_mw=unmet,
        method="greedy",
        solver={"status": "heuristic", "objective_usd": None, "bound_usd": None, "gap": None},
    )


def states_of(cand: pd.DataFrame, idx: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """USPS state of candidate rows `idx`."""
    return np.asarray(cand["state"].astype(str).to_numpy()[idx], dtype=str)


def _site_load(inputs: Inputs, asg: pd.DataFrame, tiers: npt.ArrayLike, n_sites: int, n_yrs: int) -> FloatArray:
    """Inference IT MW per site and year from fixed shares, each site at its tier's accelerator
    (`Inputs.site_mw_factor`), shape (S, Y) [MW]."""
    out = np.zeros((n_sites, n_yrs))
    if asg.empty:
        return out
    p, k, s = (asg[c].to_numpy() for c in ("point_index", "class_index", "site_index"))
    f = inputs.site_mw_factor(tiers)[s, k]
    contrib = inputs.load_mw[p, k, :] * (asg["share"].to_numpy() * f)[:, None]
    np.add.at(out, s, contrib)
    return out
