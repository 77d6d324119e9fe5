"""Power paths in the planner: one core facility per way of energising a campus.

A core candidate gets, besides its firm facility (online after the build and the region's
interconnection wait), one facility per power path that `Inputs.power_paths` offers for it
(`coredge.power.planner_paths`: a flexible connection, bridge generation, bridge then flexible,
flexible with a battery; the figures and their sources are `coredge.power.options`). A path
facility is the same (site, core tier) with an earlier ``online_year`` and charges in the years
before firm service; from the firm year on it is the firm facility. The one-tier-per-site row of
`coredge.plan.model.define_one_tier` (a site's facilities share one open binary budget) makes the
choice of path exclusive.

Stages and charges per MW of IT, by plan year (the 1-July rule of
`coredge.plan.result.online_year`):

* bridge years ``[bridge_from, flexible_from or firm_from)``: each MW installed pays the bridge
  units (``bridge_capex_usd_per_mw``) and is credited the diesel backup they replace
  (``bridge_credit_usd_per_mw``) in the firm year (only when that falls in the horizon); each MWh
  drawn pays the bridge premium over the grid (``bridge_premium_usd_per_mwh``);
* flexible years ``[flexible_from, firm_from)``: each MW standing loses its curtailed rent
  (``curtail_usd_per_mw_year``) and pays battery O&M; each MW installed then pays the battery.

`path_charges` turns these into discounted per-MW arrays; `coredge.plan.model.build_economics`
adds them to the module and energy costs (a one-off per MW installed in year y, ``P_y``,
telescoped into the yearly module cost ``P_y - P_{y+1}``, exact because modules never shrink),
and `path_costs` prices a plan's sites with the same arrays, so the planner's objective and the
plan's certified objective (`coredge.plan.objective.plan_objective_usd`) agree. Every charge is
non-negative per module-year (``P`` falls over a stage), so the bounds' arguments hold as for
any other module cost: the bounds are computed on the same arrays of the model that is solved.
Firm facilities carry zero charges: with no paths the model is exactly the firm-only model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.plan.result import Plan, online_year

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NONE_YEAR = -1
"""Stage start year of a stage a path does not have."""

_TERMS = ("bridge_capex_usd_per_mw", "bridge_credit_usd_per_mw", "bridge_premium_usd_per_mwh",
          "co2_t_per_mwh", "curtail_usd_per_mw_year", "battery_capex_usd_per_mw",
          "battery_fom_usd_per_mw_year")


@dataclass(frozen=True)
class PathTerms:
    """Power path of each facility (or plan site), arrays of shape (F,).

    Attributes
    ----------
    path : ndarray of str
        ``firm`` or a path of `coredge.power.options` (``flexible``, ``bridge:recip-engine``...).
    bridge_from, flexible_from, firm_from : ndarray of int
        Plan year each stage starts [year] (`NONE_YEAR`: the path has no such stage).
    terms : dict of ndarray
        The per-MW charges of `coredge.power.options.planner_terms` (zero for firm).
    """

    path: npt.NDArray[np.str_]
    bridge_from: IntArray
    flexible_from: IntArray
    firm_from: IntArray
    terms: dict[str, FloatArray]

    @property
    def bridge_until(self) -> IntArray:
        """First year after the bridge stage [year]."""
        return np.where(self.flexible_from != NONE_YEAR, self.flexible_from, self.firm_from)

    @property
    def first_year(self) -> IntArray:
        """First year with capacity [year]."""
        y = np.where(self.flexible_from != NONE_YEAR, self.flexible_from, self.firm_from)
        return np.where(self.bridge_from != NONE_YEAR, self.bridge_from, y)


def firm_terms(firm_from: npt.ArrayLike) -> PathTerms:
    """Terms of firm facilities online in ``firm_from`` (no charges)."""
    f = np.asarray(firm_from, dtype=np.int64)
    n = f.size
    return PathTerms(np.full(n, "firm"), np.full(n, NONE_YEAR), np.full(n, NONE_YEAR), f.copy(),
                     {k: np.zeros(n) for k in _TERMS})


def table_terms(rows: pd.DataFrame, start_year: int) -> PathTerms:
    """Terms of path rows of `Inputs.power_paths` (`coredge.power.planner_paths.COLUMNS`)."""
    first = online_year(start_year, rows["first_month"].to_numpy(np.float64)).astype(np.int64)
    fm = rows["flex_month"].to_numpy(np.float64)
    flex = np.where(np.isfinite(fm), online_year(start_year, np.nan_to_num(fm)), NONE_YEAR).astype(np.int64)
    firm = online_year(start_year, rows["firm_month"].to_numpy(np.float64)).astype(np.int64)
    kind = rows["kind"].astype(str).to_numpy()
    is_bridge = np.char.startswith(kind.astype(str), "bridge")
    bridge = np.where(is_bridge, first, NONE_YEAR).astype(np.int64)
    # `coredge.power.planner_paths` keeps a bridge-then-flexible path only when its flexible
    # year follows its first year, so each stage here has at least one year
    return PathTerms(rows["path"].astype(str).to_numpy().astype(str), bridge, flex, firm,
                     {k: rows[k].to_numpy(np.float64).copy() for k in _TERMS})


def concat_terms(parts: list[PathTerms]) -> PathTerms:
    """One `PathTerms` of several, in order."""
    return PathTerms(np.concatenate([p.path for p in parts]).astype(str),
                     np.concatenate([p.bridge_from for p in parts]),
                     np.concatenate([p.flexible_from for p in parts]),
                     np.concatenate([p.firm_from for p in parts]),
                     {k: np.concatenate([p.terms[k] for p in parts]) for k in _TERMS})


def take_terms(t: PathTerms, idx: npt.ArrayLike) -> PathTerms:
    """Rows ``idx`` of ``t``."""
    i = np.asarray(idx, dtype=np.int64)
    return PathTerms(t.path[i], t.bridge_from[i], t.flexible_from[i], t.firm_from[i],
                     {k: v[i] for k, v in t.terms.items()})


def stage_masks(t: PathTerms, years: npt.ArrayLike) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(bridge, flexible) year masks, shape (F, Y)."""
    y = np.asarray(years, dtype=np.int64)[None, :]
    br = (t.bridge_from[:, None] != NONE_YEAR) & (y >= t.bridge_from[:, None]) & (y < t.bridge_until[:, None])
    fl = (t.flexible_from[:, None] != NONE_YEAR) & (y >= t.flexible_from[:, None]) & (y < t.firm_from[:, None])
    return br, fl


def path_charges(t: PathTerms, years: npt.ArrayLike, disc: FloatArray,
                 mwh_per_mw: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Discounted charges per MW of IT, each shape (F, Y) [USD/MW].

    Parameters
    ----------
    t : PathTerms
    years : array_like of int, shape (Y,)
    disc : ndarray, shape (Y,)
        Discount factor per year.
    mwh_per_mw : ndarray, shape (F, Y)
        Facility energy per MW of IT load per year [MWh/MW].

    Returns
    -------
    install : ndarray
        ``P_y``: what a MW installed in year y pays once (bridge units less the firm-year backup
        credit; the battery), discounted [USD/MW].
    standing : ndarray
        What each standing MW pays in year y (curtailed rent, battery O&M), discounted [USD/MW].
    energy : ndarray
        What each MW of load pays in year y above the grid (bridge premium), discounted [USD/MW].

    Examples
    --------
    >>> t = firm_terms([2029])
    >>> [float(a.sum()) for a in path_charges(t, [2028, 2029], np.array([1.0, 0.9]), np.ones((1, 2)))]
    [0.0, 0.0, 0.0]
    """
    y = np.asarray(years, dtype=np.int64)
    br, fl = stage_masks(t, y)
    d = disc[None, :]
    k = t.terms
    # the backup credit comes in the firm year, when that falls in the horizon
    fi = np.searchsorted(y, t.firm_from)
    d_firm = np.where((t.firm_from >= y[0]) & (t.firm_from <= y[-1]), disc[np.clip(fi, 0, y.size - 1)], 0.0)
    install = np.where(br, k["bridge_capex_usd_per_mw"][:, None] * d
                       - (k["bridge_credit_usd_per_mw"] * d_firm)[:, None], 0.0)
    install = install + np.where(fl, k["battery_capex_usd_per_mw"][:, None] * d, 0.0)
    standing = np.where(fl, (k["curtail_usd_per_mw_year"] + k["battery_fom_usd_per_mw_year"])[:, None] * d, 0.0)
    energy = np.where(br, k["bridge_premium_usd_per_mwh"][:, None] * mwh_per_mw * d, 0.0)
    return install, standing, energy


def module_year_usd_per_mw(install: FloatArray, standing: FloatArray) -> FloatArray:
    """The yearly module-cost form of the charges: ``P_y - P_{y+1} + standing_y`` [USD/MW].

    With modules never shrinking, ``sum_y (P_y - P_{y+1}) n_y = sum_y P_y (n_y - n_{y-1})``.

    Examples
    --------
    >>> module_year_usd_per_mw(np.array([[3.0, 2.0, 0.0]]), np.zeros((1, 3))).tolist()
    [[1.0, 2.0, 0.0]]
    """
    nxt = np.concatenate([install[:, 1:], np.zeros((install.shape[0], 1))], axis=1)
    return np.asarray(install - nxt + standing, dtype=np.float64)


def power_columns(t: PathTerms) -> dict[str, npt.NDArray[np.generic]]:
    """The sites-table columns of a plan's power paths: ``power_path``, ``bridge_from``,
    ``flexible_from``, ``firm_from`` (stage start years; `NONE_YEAR` where a path has no stage)
    and the per-MW charges (``path_<term>``), so that a stored plan prices itself."""
    return {"power_path": t.path.astype(str), "bridge_from": t.bridge_from.astype(np.int64),
            "flexible_from": t.flexible_from.astype(np.int64), "firm_from": t.firm_from.astype(np.int64),
            **{f"path_{k}": v.astype(np.float64) for k, v in t.terms.items()}}


def plan_terms(plan: Plan) -> PathTerms:
    """Power-path terms of a plan's sites from its `power_columns` (firm service for every site of
    a plan without them, e.g. the greedy plan's)."""
    s = plan.sites
    oy = s["online_year"].to_numpy(dtype=np.int64) if len(s) else np.zeros(0, dtype=np.int64)
    if "power_path" not in s.columns or not len(s):
        return firm_terms(oy)
    # rows added without the columns (a greedy plan's sites next to repaired ones) are firm
    firm = s["power_path"].isna().to_numpy()

    def year(col: str, default: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(firm, default, s[col].fillna(NONE_YEAR).to_numpy(dtype=np.float64)).astype(np.int64)

    none = np.full(len(s), NONE_YEAR, dtype=np.int64)
    return PathTerms(s["power_path"].fillna("firm").astype(str).to_numpy().astype(str), year("bridge_from", none),
                     year("flexible_from", none), year("firm_from", oy),
                     {k: s[f"path_{k}"].fillna(0.0).to_numpy(dtype=np.float64) for k in _TERMS})


@dataclass(frozen=True)
class PathCosts:
    """What a plan's power paths add per site and year, undiscounted, arrays of shape (S, Y).

    Attributes
    ----------
    capex_usd : bridge units and batteries when capacity is added, less the backup credit in
        the firm year [USD].
    opex_usd : bridge fuel and O&M above the grid, curtailed rent, battery O&M [USD].
    bridge_mwh : facility energy from bridge generation [MWh].
    co2_t : CO2 of bridge generation above the grid's for the same energy [t].
    flexible_mw_years : standing IT MW in flexible years [MW-year] (what curtailment applies to).
    """

    capex_usd: FloatArray
    opex_usd: FloatArray
    bridge_mwh: FloatArray
    co2_t: FloatArray
    flexible_mw_years: FloatArray


def path_costs(plan: Plan, energy_mwh: FloatArray) -> PathCosts:
    """Undiscounted power-path charges of a plan (the same terms `path_charges` gives the model).

    Parameters
    ----------
    plan : Plan
    energy_mwh : ndarray, shape (S, Y)
        Facility energy per site and year (`coredge.plan.costing.site_costs`) [MWh].
    """
    t = plan_terms(plan)
    y = plan.years
    S, Y = plan.it_mw_by_year.shape
    if S == 0 or not (t.path != "firm").any():
        z = np.zeros((S, Y))
        return PathCosts(z, z.copy(), z.copy(), z.copy(), z.copy())
    br, fl = stage_masks(t, y)
    k = t.terms
    inst = plan.it_mw_by_year
    inc = np.diff(inst, axis=1, prepend=0.0)
    capex = inc * (k["bridge_capex_usd_per_mw"][:, None] * br + k["battery_capex_usd_per_mw"][:, None] * fl)
    in_h = (t.firm_from >= y[0]) & (t.firm_from <= y[-1])
    bridged_mw = (inc * br).sum(axis=1)
    rows = np.flatnonzero(in_h & (bridged_mw > 0))
    capex[rows, np.searchsorted(y, t.firm_from[rows])] -= k["bridge_credit_usd_per_mw"][rows] * bridged_mw[rows]
    bridge_mwh = energy_mwh * br
    opex = (inst * (k["curtail_usd_per_mw_year"] + k["battery_fom_usd_per_mw_year"])[:, None] * fl
            + bridge_mwh * k["bridge_premium_usd_per_mwh"][:, None])
    return PathCosts(capex, opex, bridge_mwh, bridge_mwh * k["co2_t_per_mwh"][:, None], inst * fl)
