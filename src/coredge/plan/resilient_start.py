"""A warm start that is feasible for the resilient (single-site-failure) planner model.

The greedy plan serves every demand group but keeps no spare capacity for the loss of a site, so
it violates the model's backup rows. `resilient_start` turns such a start into a feasible one:
every served group (largest first) reserves its whole served share ``s_g`` spread over reachable
facilities that do not serve it (nearest first, facilities the start opens before new ones, a new
one only on a site with no other tier open), each taking what fits under its module limit (and
its state's cap, `grid.state_caps_mw`); then
every facility gets the modules that its load, reserve and training need in each year (never
fewer than the start had, never shrinking).

With ``B_g = s_g = sum_h b_gh`` and ``b_gf = 0`` where the group is served, the model's rows hold:
``x_gf + b_gf <= B_g`` and, after any failure, ``B_g - b_gf >= x_gf`` (``s_g >= x_gf`` at a serving
facility, ``>= 0 = x_gh`` at a backup one). It is the plain "one spare share per group" rule,
dearer than an N+1 split, but it gives HiGHS a feasible incumbent from the first second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.plan import model as sm

FloatArray = npt.NDArray[np.float64]

MAX_SCAN = 400
"""Nearest reachable facilities scanned per group for backup room (tuning choice)."""


def resilient_start(
    fac: sm.Facilities,
    groups: sm.Groups,
    full: sm.PairTable,
    years: npt.NDArray[np.int64],
    start: dict[str, Any],
    state_caps_mw: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Add backup shares and modules to a start (``{"x", "n", "T"}``) so it survives any failure.

    Parameters
    ----------
    fac, groups, full
        Facilities, demand groups and every reachable pair (sorted by group, then RTT).
    years : ndarray of int
        Plan years [year].
    start : dict
        ``x``: {(group, facility): share}, ``n``: modules (F, Y), ``T``: training MW (F, Y).
    state_caps_mw : dict, optional
        Facility MW per capped state (``grid.state_caps_mw``): a backup share goes to a facility
        only as far as its state's final-year modules x PUE stay within the cap.

    Returns
    -------
    dict
        The start with ``b`` ({(group, facility): backup share}) and padded ``n`` (F, Y) [modules];
        ``over`` counts facilities whose need exceeds their module limit (0 for a feasible start).

    Examples
    --------
    Used by `coredge.plan.milp.milp_plan` when ``planning.single_site_failure`` is on.
    """
    x: dict[tuple[int, int], float] = start["x"]
    n = np.asarray(start["n"], dtype=np.float64).copy()
    train = np.asarray(start["T"], dtype=np.float64)
    online = years[None, :] >= fac.online_year[:, None]
    served = np.zeros(groups.count)
    serving: dict[int, set[int]] = {}
    need = train.copy()  # (F, Y) MW of load, reserve and training
    # IT MW per MW of load by facility and class (each tier's accelerator); None: 1 everywhere
    fk: FloatArray | None = None
    if full.mw_factor is not None and groups.count:
        fk = np.ones((fac.count, int(groups.klass.max()) + 1))
        fk[full.fac, groups.klass[full.group]] = full.mw_factor
    for (g, f), s in x.items():
        served[g] += s
        serving.setdefault(g, set()).add(f)
        need[f] += s * (groups.load_mw[g] if fk is None else groups.load_mw[g] * fk[f, groups.klass[g]])
    room = np.where(online, fac.max_modules[:, None] * fac.module_mw[:, None] - need, np.inf)
    site_open = -np.ones(int(fac.site.max()) + 1, dtype=np.int64)
    is_open = n[:, -1] > 0
    site_open[fac.site[is_open]] = np.flatnonzero(is_open)
    caps = dict(state_caps_mw or {})
    mod, pue = fac.module_mw, fac.pue

    def fac_mw(f: int) -> float:  # final-year facility MW of f at its need (whole modules)
        return float(max(math.ceil(need[f, -1] / mod[f] - 1e-9), n[f, -1]) * mod[f] * pue[f])

    state_mw = {st: sum(fac_mw(int(f)) for f in np.flatnonzero(fac.state == st)) for st in caps}
    start_of = np.searchsorted(full.group, np.arange(groups.count + 1))
    b: dict[tuple[int, int], float] = {}
    short = 0
    for g in np.argsort(-groups.load_mw[:, -1] * served, kind="stable"):
        s_g = float(served[g])
        if s_g <= 1e-12 or (groups.backup is not None and not groups.backup[g]):
            continue  # nothing served, or no second site to back it up (served without backup)
        load = groups.load_mw[g]
        lo, hi = int(start_of[g]), int(start_of[g + 1])
        cand = full.fac[lo:min(hi, lo + MAX_SCAN)]
        srv = serving.get(int(g), set())
        left = s_g
        for only_open in (True, False):
            for f in cand:
                if left <= 1e-12:
                    break
                f = int(f)
                taken = site_open[fac.site[f]]
                if f in srv or (taken >= 0 and taken != f) or (only_open and taken != f):
                    continue
                lf = load if fk is None else load * fk[f, groups.klass[g]]
                on = online[f] & (lf > 0)
                cap = float((room[f][on] / lf[on]).min()) if on.any() else left
                st = str(fac.state[f])
                if st in caps and lf[-1] > 0:
                    # what the state's cap leaves this facility in the final year, whole modules
                    others = state_mw[st] - fac_mw(f)
                    most = math.floor((caps[st] - others) / (mod[f] * pue[f]) + 1e-9) * mod[f]
                    cap = min(cap, (most - need[f, -1]) / float(lf[-1]))
                take = min(left, cap)
                if take <= 1e-9:
                    continue
                b[(int(g), f)] = b.get((int(g), f), 0.0) + take
                room[f] -= take * lf * online[f]
                if st in caps:
                    state_mw[st] -= fac_mw(f)
                need[f] += take * lf
                if st in caps:
                    state_mw[st] += fac_mw(f)
                site_open[fac.site[f]] = f
                left -= take
        if left > 1e-9:
            short += 1
    # Modules for load + reserve + training in every online year, never shrinking.
    req = np.where(online, np.ceil(need / fac.module_mw[:, None] - 1e-9), 0.0)
    req = np.maximum.accumulate(np.maximum(req, n), axis=1)
    req = np.maximum(req, np.where(online, fac.min_modules[:, None], 0))
    over = int((req[:, -1] > fac.max_modules).sum()) + short
    return {"x": x, "b": b, "n": req, "T": train, "over": over}


__all__ = ["resilient_start"]
