"""A warm start that is feasible for the resilient (single-site-failure) planner model.

The greedy plan serves every demand group but keeps no spare capacity for the loss of a site, so
it violates the model's backup rows. `resilient_start` turns such a start into a feasible one:
every served group reserves its whole served share at one more facility (the nearest reachable
facility that the start already opens and that does not serve the group, else the nearest
reachable one on a site with no other tier open), and every facility gets the modules that its
load, reserve and training need in each year (never fewer than the start had, never shrinking).

With ``b_gh = B_g = s_g`` (``s_g`` the group's served share) at the backup facility ``h`` the
model's rows hold: ``x_gf + b_gf <= B_g`` (``x_gf <= s_g``; ``b_gh = s_g`` where ``x_gh = 0``) and
``B_g - b_gf >= x_gf`` after any failure. It is the plain "one spare per group" rule, dearer than
the N+1 split that the MILP then finds, but it gives HiGHS an incumbent from the first second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.plan import scenario_model as sm

FloatArray = npt.NDArray[np.float64]


def resilient_start(
    fac: sm.Facilities,
    groups: sm.Groups,
    full: sm.PairTable,
    years: npt.NDArray[np.int64],
    start: dict[str, Any],
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

    Returns
    -------
    dict
        The start with ``b`` ({(group, facility): backup share}) and padded ``n`` (F, Y) [modules];
        ``over`` counts facilities whose need exceeds their module limit (0 for a feasible start).

    Examples
    --------
    Used by `coredge.plan.milp.milp_plan` when ``planning.single_site_failure`` is on.
    """
    F = fac.count
    x: dict[tuple[int, int], float] = start["x"]
    n = np.asarray(start["n"], dtype=np.float64).copy()
    train = np.asarray(start["T"], dtype=np.float64)
    served = np.zeros(groups.count)
    used_key = np.array([g * F + f for (g, f) in x], dtype=np.int64)
    for (g, _f), s in x.items():
        served[g] += s
    key = full.group.astype(np.int64) * F + full.fac
    in_x = np.isin(key, used_key)
    open_f = n[:, -1] > 0
    # Sites whose one tier is already taken by an open facility.
    site_open_fac = -np.ones(int(fac.site.max()) + 1, dtype=np.int64)
    site_open_fac[fac.site[open_f]] = np.flatnonzero(open_f)
    taken = site_open_fac[fac.site[full.fac]]
    allowed = (~in_x) & ((taken < 0) | (taken == full.fac)) & (served[full.group] > 1e-12)
    # A site not yet open may take only one tier: its first facility (core, regional, micro).
    first_fac = np.full(site_open_fac.size, F, dtype=np.int64)
    np.minimum.at(first_fac, fac.site, np.arange(F))
    designated = (taken == full.fac) | ((taken < 0) & (first_fac[fac.site[full.fac]] == full.fac))
    pick = -np.ones(groups.count, dtype=np.int64)
    for pref in (allowed & open_f[full.fac], allowed & designated):
        q = np.flatnonzero(pref & (pick[full.group] < 0))
        if q.size == 0:
            continue
        g_u, first = np.unique(full.group[q], return_index=True)
        pick[g_u] = q[first]
    has = np.flatnonzero(pick >= 0)
    b = {(int(g), int(full.fac[pick[g]])): float(served[g]) for g in has}
    # Modules for load + reserve + training in every online year, never shrinking.
    need = train.copy()
    for (g, f), s in x.items():
        need[f] += s * groups.load_mw[g]
    for (g, f), s in b.items():
        need[f] += s * groups.load_mw[g]
    online = years[None, :] >= fac.online_year[:, None]
    req = np.where(online, np.ceil(need / fac.module_mw[:, None] - 1e-9), 0.0)
    req = np.maximum.accumulate(np.maximum(req, n), axis=1)
    req = np.maximum(req, np.where(online, fac.min_modules[:, None], 0))
    over = int((req[:, -1] > fac.max_modules).sum())
    return {"x": x, "b": b, "n": req, "T": train, "over": over}


__all__ = ["resilient_start"]
