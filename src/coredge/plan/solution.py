"""Between plans and the planner MILP's columns: a plan as a start, a solution as a plan.

`warm_start_columns` maps a plan (the greedy or the resilient start) onto model variables and the
pairs it uses; `start_vector` turns that into a full column vector for HiGHS; `extract_plan` reads
a solution back into a `Plan` (shares, modules, training, unmet) and `unprotected_pairs` lists the
(point, class) the solution serves without backup.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.geo import haversine_km
from coredge.inputs.build import Inputs
from coredge.latency import rtt_ms
from coredge.plan import model as sm
from coredge.plan.repair import fac_keys, plan_keys, site_frame
from coredge.plan.result import Plan

FloatArray = npt.NDArray[np.float64]


def pair_key(groups: sm.Groups, pairs: sm.PairTable, n_fac: int) -> npt.NDArray[np.int64]:
    return pairs.group.astype(np.int64) * n_fac + pairs.fac


def warm_start_columns(
    inputs: Inputs, plan: Plan, fac: sm.Facilities, groups: sm.Groups, full: sm.PairTable
) -> tuple[dict[str, Any], npt.NDArray[np.bool_]] | None:
    """Map a plan (e.g. the greedy one) onto model variables; also the pairs it uses.

    Returns None when the plan uses a (site, tier) the model does not have.
    """
    f_of = fac_keys(fac)
    s_fac = np.array([f_of.get(k, -1) for k in plan_keys(plan)], dtype=np.int64)
    if (s_fac < 0).any():
        return None
    a = plan.assignments
    n_pts = inputs.n_points
    g_of_class: dict[int, int] = {}
    pooled: dict[int, int] = {}
    for g, (p, k) in enumerate(zip(groups.point, groups.klass, strict=True)):
        if p < 0:
            pooled[int(k)] = g
        elif int(k) not in g_of_class:
            g_of_class[int(k)] = g - int(p)
    x: dict[tuple[int, int], float] = {}
    if not a.empty:
        pi = a["point_index"].to_numpy()
        ki = a["class_index"].to_numpy()
        fi = s_fac[a["site_index"].to_numpy()]
        share = a["share"].to_numpy(dtype=np.float64)
        ref = inputs.load_mw[:, :, -1]
        for p, k, f, s in zip(pi, ki, fi, share, strict=True):
            k = int(k)
            if k in pooled:
                g = pooled[k]
                tot = float(ref[:, k].sum())
                w = float(ref[p, k]) / tot if tot > 0 else 1.0 / n_pts
                x[(g, int(f))] = x.get((g, int(f)), 0.0) + s * w
            else:
                g = g_of_class[k] + int(p)
                x[(g, int(f))] = x.get((g, int(f)), 0.0) + s
    key_full = pair_key(groups, full, fac.count)
    used = np.array([g * fac.count + f for (g, f) in x], dtype=np.int64)
    in_full = np.isin(used, key_full)
    if not in_full.all():
        return None
    mask = np.isin(key_full, used)
    n = np.zeros((fac.count, plan.years.size))
    mod = fac.module_mw[s_fac]
    n[s_fac] = np.round(plan.it_mw_by_year / mod[:, None])
    t = np.zeros((fac.count, plan.years.size))
    t[s_fac] = plan.training_mw_by_year
    return {"x": x, "n": n, "T": t}, mask


def start_vector(m: sm.PlannerModel, ws: dict[str, Any], training_mw: FloatArray) -> FloatArray:
    lay = m.layout
    v = np.zeros(lay.num_col)
    key = m.pairs.group.astype(np.int64) * lay.F + m.pairs.fac
    pos = {int(k): i for i, k in enumerate(key)}
    xs = np.zeros(lay.Q)
    for (g, f), s in ws["x"].items():
        i = pos.get(g * lay.F + f)
        if i is not None:
            xs[i] = s
    v[lay.block("x")] = xs
    served = np.bincount(m.pairs.group, weights=xs, minlength=lay.G)
    v[lay.block("u")] = np.clip(1.0 - served, 0.0, 1.0)
    gl = sm.pair_load_mw(m.groups, m.pairs)
    if lay.P == 1:
        v[lay.block("L")] = np.bincount(m.pairs.fac, weights=xs * gl[:, -1], minlength=lay.F)
    else:
        lf = np.zeros((lay.F, lay.Y))
        np.add.at(lf, m.pairs.fac, xs[:, None] * gl)
        v[lay.block("L")] = lf.ravel()
    if lay.resilient and "b" in ws:
        bs = np.zeros(lay.Q)
        for (g, f), sh in ws["b"].items():
            i = pos.get(g * lay.F + f)
            if i is not None:
                bs[i] = sh
        v[lay.block("b")] = bs
        v[lay.block("B")] = np.bincount(m.pairs.group, weights=bs, minlength=lay.G)
        if lay.P == 1:
            v[lay.block("R")] = np.bincount(m.pairs.fac, weights=bs * gl[:, -1], minlength=lay.F)
        else:
            rf = np.zeros((lay.F, lay.Y))
            np.add.at(rf, m.pairs.fac, bs[:, None] * gl)
            v[lay.block("R")] = rf.ravel()
    # Modules the model fixes (e.g. the aggregated relaxation's dropped early years) take their
    # bounds, so the start stays a point of the model.
    ns = lay.block("n")
    v[ns] = np.clip(ws["n"].ravel(), m.col_lower[ns], m.col_upper[ns])
    t = ws["T"][m.core]
    v[lay.block("T")] = t.ravel()
    v[lay.block("uT")] = np.maximum(training_mw - t.sum(axis=0), 0.0)
    if lay.Z:
        v[lay.block("z")] = (ws["n"][m.z_fac, -1] > 0).astype(np.float64)
    if lay.resilient:
        # Whatever share the start leaves unprotected (the resilient start could not place its
        # backup) is the unprotected share w.
        x_, b_ = v[lay.block("x")], v[lay.block("b")]
        viol = x_ + b_ - v[lay.offsets["B"] + m.pairs.group]
        w = np.zeros(lay.G)
        np.maximum.at(w, m.pairs.group, viol)
        hi_w = m.col_upper[lay.block("w")]
        v[lay.block("w")] = np.minimum(np.maximum(w, 0.0), hi_w)
    if lay.K and m.econ.unmet_cap_mw is not None:
        unmet = np.bincount(m.groups.klass, weights=m.groups.load_mw[:, -1] * v[lay.block("u")],
                            minlength=lay.K)
        unmet[-1] = v[lay.offsets["uT"] + lay.Y - 1]
        v[lay.block("s")] = np.maximum(unmet - m.econ.unmet_cap_mw, 0.0)
    return v


def unprotected_pairs(inputs: Inputs, m: sm.PlannerModel, v: FloatArray) -> set[tuple[int, int]]:
    """(point, class) of the groups the model serves unprotected (``w > 0``): the repair leaves them."""
    lay = m.layout
    if not lay.resilient:
        return set()
    w = v[lay.block("w")]
    out: set[tuple[int, int]] = set()
    for g in np.flatnonzero(w > 1e-7):
        p, k = int(m.groups.point[g]), int(m.groups.klass[g])
        if p >= 0:
            out.add((p, k))
        else:
            out.update((i, k) for i in range(inputs.n_points))
    return out


def extract_plan(
    inputs: Inputs, m: sm.PlannerModel, v: FloatArray, solver: dict[str, Any]
) -> Plan:
    """Read a model solution back into a `Plan` (shares, modules, training, unmet)."""
    lay = m.layout
    fac = m.fac
    years = inputs.years
    n_cls = inputs.n_classes
    Y = lay.Y
    n = np.round(v[lay.block("n")].reshape(lay.F, Y))
    xs = v[lay.block("x")].copy()
    xs[xs < 1e-7] = 0.0
    # Shares of a group sum to at most 1 (solver tolerance).
    tot = np.bincount(m.pairs.group, weights=xs, minlength=lay.G)
    over = np.where(tot > 1.0, tot, 1.0)
    xs = xs / over[m.pairs.group]
    t_core = np.maximum(v[lay.block("T")].reshape(lay.C, Y), 0.0)
    t_core[t_core < 1e-9] = 0.0
    train = np.zeros((lay.F, Y))
    train[m.core] = t_core
    online = years[None, :] >= fac.online_year[:, None]
    gl = sm.pair_load_mw(m.groups, m.pairs)
    inf_load = np.zeros((lay.F, Y))
    np.add.at(inf_load, m.pairs.fac, xs[:, None] * gl)
    inf_load *= online
    used = (n[:, -1] > 0) | (inf_load.sum(axis=1) > 0) | (train.sum(axis=1) > 0)
    sel = np.flatnonzero(used)
    pos = -np.ones(lay.F, dtype=np.int64)
    pos[sel] = np.arange(sel.size)
    installed = n[sel] * fac.module_mw[sel, None]
    load = inf_load[sel] + train[sel]
    # Numerical slack: never report load above installed capacity.
    load = np.minimum(load, installed + 0.0)
    sites = site_frame(inputs, fac, sel, installed[:, -1], inf_load[sel][:, -1], train[sel][:, -1])
    # Assignments: pooled groups (classes without a budget) give every point the same share.
    keep = (xs > 0) & (pos[m.pairs.fac] >= 0)
    q = np.flatnonzero(keep)
    gp = m.groups.point[m.pairs.group[q]]
    gk = m.groups.klass[m.pairs.group[q]]
    pooled = gp < 0
    pt = [gp[~pooled]]
    kl = [gk[~pooled]]
    st = [pos[m.pairs.fac[q[~pooled]]]]
    sh = [xs[q[~pooled]]]
    if pooled.any():
        npts = inputs.n_points
        pt.append(np.tile(np.arange(npts), int(pooled.sum())))
        kl.append(np.repeat(gk[pooled], npts))
        st.append(np.repeat(pos[m.pairs.fac[q[pooled]]], npts))
        sh.append(np.repeat(xs[q[pooled]], npts))
    p_idx = np.concatenate(pt).astype(np.int64)
    k_idx = np.concatenate(kl).astype(np.int64)
    s_idx = np.concatenate(st).astype(np.int64)
    share = np.concatenate(sh)
    net = inputs.scenario.network
    plat = inputs.demand["lat"].to_numpy(dtype=np.float64)
    plon = inputs.demand["lon"].to_numpy(dtype=np.float64)
    slat = sites["lat"].to_numpy(dtype=np.float64)
    slon = sites["lon"].to_numpy(dtype=np.float64)
    dist = haversine_km(plat[p_idx], plon[p_idx], slat[s_idx], slon[s_idx]) if p_idx.size else np.zeros(0)
    rtt = rtt_ms(net, dist) if p_idx.size else np.zeros(0)
    order = np.lexsort((s_idx, k_idx, p_idx))
    asg = pd.DataFrame(
        {
            "point_id": inputs.demand["id"].to_numpy()[p_idx[order]],
            "point_index": p_idx[order],
            "class_id": np.asarray(inputs.classes, dtype=object)[k_idx[order]],
            "class_index": k_idx[order],
            "site_id": sites["site_id"].to_numpy()[s_idx[order]],
            "site_index": s_idx[order],
            "share": share[order],
            "rtt_ms": np.asarray(rtt)[order],
            "distance_km": np.asarray(dist)[order],
        }
    )
    # Unmet per class and year, from the shares at online sites.
    site_online = years[None, :] >= sites["online_year"].to_numpy()[:, None]
    served = np.zeros((n_cls, Y))
    if p_idx.size:
        contrib = inputs.load_mw[p_idx, k_idx, :] * share[:, None] * site_online[s_idx]
        np.add.at(served, k_idx, contrib)
    unmet = np.zeros((n_cls + 1, Y))
    unmet[:n_cls] = np.maximum(inputs.load_mw.sum(axis=0) - served, 0.0)
    unmet[n_cls] = np.maximum(inputs.training_mw - train.sum(axis=0), 0.0)
    return Plan(
        years=years,
        sites=sites,
        it_mw_by_year=installed,
        load_mw_by_year=load,
        training_mw_by_year=train[sel],
        assignments=asg,
        unmet_mw=unmet,
        method="milp",
        solver=solver,
    )
