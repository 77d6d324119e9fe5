"""The planner MILP's index sets: facilities, demand groups and reachable pairs.

A *facility* is one (candidate site, tier) the site may host; a city allowed to host a regional or a
micro site gives two facilities of which at most one may open. A *group* is one (demand point,
workload class) whose load must be served; classes without an RTT budget reach every site that
serves them, so all their points form one group (an exact aggregation: every point has the same
reachable set, and any split of the pooled load disaggregates to equal shares per point).
A *pair* is a (group, facility) within the class's RTT budget whose tier serves the class.
`coredge.plan.model` builds the MILP over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.inputs.build import Inputs
from coredge.plan.costing import tier_prices
from coredge.plan.power_paths import PathTerms, concat_terms, firm_terms, table_terms, take_terms
from coredge.plan.reach import class_pairs, tier_serves
from coredge.plan.result import online_year
from coredge.scenario.schema import TIER_IDS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TIERS: tuple[str, ...] = TIER_IDS
"""Tier ids in their one order (`coredge.scenario.schema.TIER_IDS`)."""


@dataclass(frozen=True)
class Facilities:
    """Candidate (site, tier) facilities with their limits and unit costs, arrays of shape (F,).

    `site` indexes `inputs.candidates` (brownfield sites are candidates with ``existing_it_mw``);
    the `table` DataFrame holds the per-site columns a `Plan` needs.
    """

    site: IntArray
    tier: npt.NDArray[np.str_]
    module_mw: FloatArray
    max_modules: IntArray
    min_modules: IntArray
    pue: FloatArray
    price_usd_per_mwh: FloatArray
    online_year: IntArray
    state: npt.NDArray[np.str_]
    fac_capex_usd_per_mw: FloatArray
    fixed_opex_usd_per_mw_year: FloatArray
    serves_training: BoolArray
    table: pd.DataFrame
    existing_it_mw: FloatArray
    opex_frac: FloatArray
    power: PathTerms | None = None

    @property
    def count(self) -> int:
        return int(self.site.size)

    @property
    def path(self) -> npt.NDArray[np.str_]:
        """Power path of each facility (``firm`` unless `coredge.plan.power_paths` added it)."""
        return self.power.path if self.power is not None else np.full(self.count, "firm")

    @property
    def terms(self) -> PathTerms:
        """Power-path terms of every facility (`coredge.plan.power_paths.PathTerms`)."""
        return self.power if self.power is not None else firm_terms(self.online_year)


@dataclass(frozen=True)
class Groups:
    """Demand groups: one (point, class), or one pooled group per class without budget.

    Attributes
    ----------
    point : ndarray of int, shape (G,)
        Demand point index, or -1 for a pooled group.
    klass : ndarray of int, shape (G,)
    load_mw : ndarray, shape (G, Y)
        IT load of the group per year [MW].
    backup : ndarray of bool, shape (G,), optional
        Whether the group must keep a backup share under single-site failure: it reaches
        facilities on at least two sites (`needs_backup`). A group whose every reachable facility
        stands on one site cannot be re-homed by any plan, so it is served without a backup
        (the resilience check then reports its load as stranded, for every planner alike).
        ``None``: every group needs one.
    """

    point: IntArray
    klass: IntArray
    load_mw: FloatArray
    backup: BoolArray | None = None

    @property
    def count(self) -> int:
        return int(self.point.size)


@dataclass(frozen=True)
class PairTable:
    """Reachable (group, facility) pairs, sorted by group then RTT.

    ``mw_factor`` (Q,): IT MW the facility installs per MW of the group's load (its tier's
    accelerator, `coredge.inputs.build.Inputs.tier_mw_factor`); None: 1 everywhere (no
    per-tier hardware). Read loads through `pair_load_mw`.
    """

    group: IntArray
    fac: IntArray
    rtt_ms: FloatArray
    mw_factor: FloatArray | None = None

    @property
    def count(self) -> int:
        return int(self.group.size)

    def subset(self, mask: BoolArray | IntArray) -> PairTable:
        f = None if self.mw_factor is None else self.mw_factor[mask]
        return PairTable(self.group[mask], self.fac[mask], self.rtt_ms[mask], f)


def pair_load_mw(groups: Groups, pairs: PairTable) -> FloatArray:
    """IT load each pair puts on its facility if it served the whole group, per year, shape
    (Q, Y) [MW]: the group's load x the pair's `PairTable.mw_factor`."""
    gl = groups.load_mw[pairs.group]
    return gl if pairs.mw_factor is None else gl * pairs.mw_factor[:, None]


def with_mw_factor(inputs: Inputs, fac: Facilities, groups: Groups, pairs: PairTable) -> PairTable:
    """`pairs` with the `PairTable.mw_factor` of each facility's tier and group's class (None
    when no tier has its own accelerator, so the model is built exactly as without)."""
    if not inputs.scenario.hardware.per_tier:
        return pairs
    f = inputs.site_mw_factor(fac.tier)  # (F, K)
    return PairTable(pairs.group, pairs.fac, pairs.rtt_ms, f[pairs.fac, groups.klass[pairs.group]])


def build_facilities(inputs: Inputs) -> Facilities:
    """Facilities of every candidate and tier it allows (brownfield sites included).

    A facility whose tier lead time plus grid wait brings it online after the horizon is dropped:
    it could never serve. Module counts are capped by the tier's largest site and the site's grid
    power (facility MW = IT MW x the site's climate-adjusted PUE, column ``pue_<tier>`` of
    `inputs.candidates`, the same PUE the greedy planner and costing use). A brownfield candidate
    (``existing_it_mw > 0``, from ``scenario.existing_sites``) is online from the first year with at
    least ``ceil(existing_it_mw / module)`` modules.
    """
    sc = inputs.scenario
    tiers = sc.tiers
    cand = inputs.candidates
    y0, y_last = int(inputs.years[0]), int(inputs.years[-1])
    existing = (cand["existing_it_mw"].to_numpy(dtype=np.float64) if "existing_it_mw" in cand.columns
                else np.zeros(len(cand)))
    parts: list[pd.DataFrame] = []
    for t in TIERS:
        if t not in tiers:
            continue
        spec = tiers[t]
        idx = np.flatnonzero(cand[f"allow_{t}"].to_numpy(dtype=bool))
        if idx.size == 0:
            continue
        grid = cand["grid_available_mw"].to_numpy(dtype=np.float64)[idx]
        wait = cand["interconnect_wait_months"].to_numpy(dtype=np.float64)[idx]
        pue = (cand[f"pue_{t}"].to_numpy(dtype=np.float64)[idx] if f"pue_{t}" in cand.columns
               else np.full(idx.size, float(spec.pue)))
        ex = existing[idx]
        need = np.ceil(ex / spec.module_it_mw - 1e-9).astype(np.int64)
        cap_mw = np.minimum(spec.it_mw_max, grid / pue)
        max_mod = np.maximum(np.floor(cap_mw / spec.module_it_mw + 1e-9).astype(np.int64), need)
        oy = np.where(ex > 0, y0, online_year(y0, spec.lead_time_months + wait)).astype(np.int64)
        parts.append(pd.DataFrame({"site": idx.astype(np.int64), "tier": t, "max_modules": max_mod,
                                   "min_modules": need, "online_year": oy, "pue": pue,
                                   "existing_it_mw": ex, "path_row": -1}))
        pp = inputs.power_paths
        if t == "core" and pp is not None and len(pp):
            # one more facility per power path of the candidate (coredge.plan.power_paths)
            pos = -np.ones(len(cand), dtype=np.int64)
            pos[idx] = np.arange(idx.size)
            rows = np.flatnonzero(pos[pp["candidate"].to_numpy(dtype=np.int64)] >= 0)
            at = pos[pp["candidate"].to_numpy(dtype=np.int64)[rows]]
            cap = np.floor(pp["max_it_mw"].to_numpy(np.float64)[rows].clip(max=1e9) / spec.module_it_mw + 1e-9)
            parts.append(pd.DataFrame({
                "site": idx[at].astype(np.int64), "tier": t,
                "max_modules": np.minimum(max_mod[at], cap.astype(np.int64)), "min_modules": 0,
                "online_year": online_year(y0, pp["first_month"].to_numpy(np.float64)[rows]).astype(np.int64),
                "pue": pue[at], "existing_it_mw": 0.0, "path_row": rows}))
    f = pd.concat(parts, ignore_index=True)
    f = f[(f["online_year"] <= y_last) & (f["max_modules"] > 0)].reset_index(drop=True)
    power = None
    prow = f["path_row"].to_numpy(dtype=np.int64)
    if (prow >= 0).any():
        assert inputs.power_paths is not None
        both = concat_terms([firm_terms(f["online_year"].to_numpy(dtype=np.int64)),
                             table_terms(inputs.power_paths, y0)])
        power = take_terms(both, np.where(prow >= 0, len(f) + prow, np.arange(len(f))))
    site = f["site"].to_numpy(dtype=np.int64)
    tier = f["tier"].to_numpy().astype(str)
    spec_of = [tiers[t] for t in tier]
    prices = tier_prices(tiers, tier)
    table = cand.iloc[site].reset_index(drop=True).copy()
    table["existing_it_mw"] = f["existing_it_mw"].to_numpy(dtype=np.float64)
    return Facilities(
        site=site,
        tier=tier,
        module_mw=np.array([s.module_it_mw for s in spec_of], dtype=np.float64),
        max_modules=f["max_modules"].to_numpy(dtype=np.int64),
        min_modules=f["min_modules"].to_numpy(dtype=np.int64),
        pue=f["pue"].to_numpy(dtype=np.float64),
        price_usd_per_mwh=table["price_usd_per_mwh"].to_numpy(dtype=np.float64),
        online_year=f["online_year"].to_numpy(dtype=np.int64),
        state=table["state"].astype(str).to_numpy().astype(str),
        fac_capex_usd_per_mw=prices.facility_capex_usd_per_mw,
        fixed_opex_usd_per_mw_year=prices.fixed_opex_usd_per_mw_year,
        serves_training=np.array([s.serves_training for s in spec_of], dtype=bool),
        table=table,
        existing_it_mw=f["existing_it_mw"].to_numpy(dtype=np.float64),
        opex_frac=prices.opex_frac,
        power=power,
    )


def build_groups_and_pairs(inputs: Inputs, fac: Facilities) -> tuple[Groups, PairTable]:
    """All demand groups and every reachable (group, facility) pair (the full model's pairs).

    Pairs come from `coredge.plan.reach.class_pairs` (k-d tree within the RTT budget) over the
    facilities' coordinates; only tiers that serve the class are kept.
    """
    n_pts, _n_cls, _ = inputs.load_mw.shape
    lat = fac.table["lat"].to_numpy(dtype=np.float64)
    lon = fac.table["lon"].to_numpy(dtype=np.float64)
    g_point: list[IntArray] = []
    g_class: list[IntArray] = []
    g_load: list[FloatArray] = []
    p_group: list[IntArray] = []
    p_fac: list[IntArray] = []
    p_rtt: list[FloatArray] = []
    n_groups = 0
    for k, cid in enumerate(inputs.classes):
        serves = np.array([tier_serves(inputs, str(t), cid) for t in fac.tier], dtype=bool)
        if math.isinf(inputs.rtt_budget_ms[k]):
            g_point.append(np.array([-1], dtype=np.int64))
            g_class.append(np.array([k], dtype=np.int64))
            g_load.append(inputs.load_mw[:, k, :].sum(axis=0, keepdims=True))
            fs = np.flatnonzero(serves).astype(np.int64)
            p_group.append(np.full(fs.size, n_groups, dtype=np.int64))
            p_fac.append(fs)
            p_rtt.append(np.zeros(fs.size))
            n_groups += 1
            continue
        pr = class_pairs(inputs, lat, lon, k)
        m = serves[pr.site]
        g_point.append(np.arange(n_pts, dtype=np.int64))
        g_class.append(np.full(n_pts, k, dtype=np.int64))
        g_load.append(inputs.load_mw[:, k, :])
        p_group.append(pr.point[m] + n_groups)
        p_fac.append(pr.site[m].astype(np.int64))
        p_rtt.append(pr.rtt_ms[m])
        n_groups += n_pts
    groups = Groups(np.concatenate(g_point), np.concatenate(g_class), np.concatenate(g_load, axis=0))
    pairs = PairTable(np.concatenate(p_group), np.concatenate(p_fac), np.concatenate(p_rtt))
    order = np.lexsort((pairs.rtt_ms, pairs.group))
    pairs = pairs.subset(order)
    groups = Groups(groups.point, groups.klass, groups.load_mw, needs_backup(groups.count, pairs, fac))
    return groups, with_mw_factor(inputs, fac, groups, pairs)


def needs_backup(n_groups: int, pairs: PairTable, fac: Facilities) -> BoolArray:
    """Per group, whether its reachable facilities stand on at least two distinct sites.

    Only such a group can be re-homed after a site fails; the backup rows of `define_backup`
    apply to it alone (a group with one reachable site would otherwise be forced unmet).

    Parameters
    ----------
    n_groups : int
        Number of groups.
    pairs : PairTable
        Every reachable pair (the full table, so that a restricted model agrees with it).
    fac : Facilities

    Examples
    --------
    A group reaching a micro and a regional facility on the same city site needs none.
    """
    site = fac.site[pairs.fac]
    lo = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n_groups, -1, dtype=np.int64)
    np.minimum.at(lo, pairs.group, site)
    np.maximum.at(hi, pairs.group, site)
    return np.asarray((hi >= 0) & (hi != lo), dtype=bool)


def nearest_per_tier(pairs: PairTable, fac: Facilities, per_tier: int) -> BoolArray:
    """Mask of the `per_tier` nearest facilities of each tier for every group (pairs sorted).

    Examples
    --------
    The restricted model keeps these pairs; see `coredge.plan.milp` for how the bound stays valid.
    """
    tier_code = np.searchsorted(np.array(TIERS), fac.tier[pairs.fac])
    tier_code = np.where(np.isin(fac.tier[pairs.fac], TIERS), tier_code, 3)
    key = pairs.group * 4 + tier_code
    order = np.lexsort((pairs.rtt_ms, key))
    ks = key[order]
    start = np.r_[0, np.flatnonzero(np.diff(ks)) + 1]
    # the facilities of one site (its power paths) share the rank of its first: sites are counted
    site = fac.site[pairs.fac][order].astype(np.int64)
    _, first, inv = np.unique(ks * (int(site.max(initial=0)) + 1) + site, return_index=True, return_inverse=True)
    is_first = np.zeros(ks.size, dtype=bool)
    is_first[first] = True
    seq = np.cumsum(is_first) - 1
    run = np.repeat(seq[start], np.diff(np.r_[start, ks.size]))
    r_sorted = (seq - run)[first[inv]]
    rank = np.empty(ks.size, dtype=np.int64)
    rank[order] = r_sorted
    return np.asarray(rank < per_tier)
