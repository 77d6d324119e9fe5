"""Move open core campuses onto their earlier power path when that lowers the model's objective.

The planner's MILP (`coredge.plan.milp`) starts from the greedy plan, which places every core
campus at its firm grid date, and within its time limit it rarely swaps a campus's facility for
the same site's power-path facility (`coredge.plan.power_paths`): the swap moves every share of
the campus at once. `promote_paths` tries that swap for each open firm core facility of a
solution of the full model: its shares, backup shares, loads and training move to the path
facility of the same site, whose yearly modules are rebuilt for the load from its earlier online
year (`coredge.plan.multiyear.exact_modules` rule); the swap is kept when the point stays feasible
(every row of the model within its bounds) and costs less. The result is a feasible point of
the same model, never more expensive, so the bounds of the model are unaffected.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coredge.plan import model as sm

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def path_twins(full: sm.PairTable, fac: sm.Facilities, mask: BoolArray) -> BoolArray:
    """``mask`` plus every pair of the same group at another facility of the same (site, tier)
    (the power paths of a kept campus), so a swap of path finds its pairs in the model."""
    if fac.power is None:
        return mask
    code = np.searchsorted(np.array(sm.TIERS), fac.tier)
    st = fac.site.astype(np.int64) * 4 + code
    key = full.group.astype(np.int64) * (int(st.max()) + 1) + st[full.fac]
    return np.asarray(mask | np.isin(key, key[mask]), dtype=bool)


def _feasible(m: sm.PlannerModel, v: FloatArray, tol: float = 1e-6) -> bool:
    if (v < m.col_lower - tol).any() or (v > m.col_upper + tol).any():
        return False
    for _name, a, lo, hi in m.blocks:
        act = sp.csr_matrix(a) @ v
        scale = np.maximum(1.0, np.abs(act))
        if (act < lo - tol * scale).any() or (act > hi + tol * scale).any():
            return False
    return True


def promote_paths(m: sm.PlannerModel, v: FloatArray) -> tuple[FloatArray, int, float]:
    """Swap open firm core facilities for their site's earlier power path where it pays.

    Parameters
    ----------
    m : PlannerModel
        The full multi-year model (`coredge.plan.model.build_model`).
    v : ndarray
        A feasible point of `m`.

    Returns
    -------
    (ndarray, int, float)
        The new point, the number of campuses moved and the objective decrease [USD, >= 0].
    """
    fac = m.fac
    if fac.power is None:
        return v, 0, 0.0
    lay = m.layout
    F, Y, P = lay.F, lay.Y, lay.P
    n = v[lay.block("n")].reshape(F, Y)
    core_pos = -np.ones(F, dtype=np.int64)
    core_pos[m.core] = np.arange(m.core.size)
    z_pos = -np.ones(F, dtype=np.int64)
    z_pos[m.z_fac] = np.arange(m.z_fac.size)
    path = fac.path
    years = np.asarray(m.years)
    pos = {(int(g), int(f)): i for i, (g, f) in enumerate(zip(m.pairs.group, m.pairs.fac, strict=True))}
    by_fac: dict[int, npt.NDArray[np.int64]] = {}
    order = np.argsort(m.pairs.fac, kind="stable")
    cut = np.searchsorted(m.pairs.fac[order], np.arange(F + 1))
    for i in range(F):
        by_fac[i] = order[cut[i]:cut[i + 1]]
    best = v.copy()
    best_cost = float(m.col_cost @ best)
    start_cost = best_cost
    moved = 0
    for f_ in np.flatnonzero((path == "firm") & fac.serves_training & (n[:, -1] > 0)):
        f = int(f_)
        cands = np.flatnonzero((fac.site == fac.site[f]) & (fac.tier == fac.tier[f]) & (path != "firm"))
        for p_ in cands[np.argsort(fac.online_year[cands], kind="stable")]:
            p = int(p_)
            if fac.online_year[p] >= fac.online_year[f]:
                continue
            w = best.copy()
            ok = True
            for q in by_fac[f]:
                tq = pos.get((int(m.pairs.group[q]), int(p)))
                xs = [w[lay.offsets["x"] + q]] + ([w[lay.offsets["b"] + q]] if lay.resilient else [])
                if tq is None:
                    if max(xs) > 0:
                        ok = False
                        break
                    continue
                for blk in ("x", "b") if lay.resilient else ("x",):
                    w[lay.offsets[blk] + tq] += w[lay.offsets[blk] + q]
                    w[lay.offsets[blk] + q] = 0.0
            if not ok:
                continue
            for blk in ("L", "R") if lay.resilient else ("L",):
                s = lay.offsets[blk]
                w[s + p * P:s + (p + 1) * P] += w[s + f * P:s + (f + 1) * P]
                w[s + f * P:s + (f + 1) * P] = 0.0
            t = lay.offsets["T"]
            cf, cp = int(core_pos[f]), int(core_pos[p])
            w[t + cp * Y:t + (cp + 1) * Y] += w[t + cf * Y:t + (cf + 1) * Y]
            w[t + cf * Y:t + (cf + 1) * Y] = 0.0
            # modules of p for its load from its own online year (as exact_modules), f closed
            load = w[lay.offsets["L"] + p * P:lay.offsets["L"] + (p + 1) * P]
            res = (w[lay.offsets["R"] + p * P:lay.offsets["R"] + (p + 1) * P] if lay.resilient
                   else np.zeros(P))
            need = (load + res) * (m.ratio if P == 1 else 1.0) + w[t + cp * Y:t + (cp + 1) * Y]
            on = years >= fac.online_year[p]
            mods = np.maximum.accumulate(np.where(on, np.ceil(need / fac.module_mw[p] - 1e-9), 0.0))
            if mods[-1] > fac.max_modules[p]:
                continue
            nb = lay.offsets["n"]
            w[nb + p * Y:nb + (p + 1) * Y] = mods
            w[nb + f * Y:nb + (f + 1) * Y] = 0.0
            if z_pos[f] >= 0:
                w[lay.offsets["z"] + z_pos[f]] = 0.0
            if z_pos[p] >= 0:
                w[lay.offsets["z"] + z_pos[p]] = 1.0 if mods[-1] > 0 else 0.0
            cost = float(m.col_cost @ w)
            if cost < best_cost - 1e-9 * max(abs(best_cost), 1.0) and _feasible(m, w):
                best, best_cost = w, cost
                moved += 1
                break
    return best, moved, start_cost - best_cost
