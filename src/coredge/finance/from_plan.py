"""Plan -> financials: a plan's staged build-out priced with the finance core.

`financials_from_plan(inputs, plan, costs)` turns every build phase of every site (the IT MW a
site adds in a plan year, as in `coredge.pipeline.build_schedule`) into one row of the finance
core's site table, with the facility and IT capex that `coredge.plan.costing.site_costs` booked for
that site and year, so that capex in finance equals capex in costing. Rows are valued by
`coredge.finance.cashflow.site_cash_flows`; metrics are computed for each site (its phases
summed), each tier and the portfolio.

Mapping of the scenario onto `FinanceAssumptions` (`assumptions_from_scenario`):

* ``economics.discount_rate`` -> discount rate; ``economics.power_price_escalator_rate`` ->
  power escalator; ``economics.gpu_hour_price_usd[tier]`` -> GPU-hour price (the single source
  of each);
* the scenario tier's ``opex_frac_of_facility_capex_per_year`` -> maintenance + insurance +
  property tax (split 1/2, 1/6, 1/3: assumption, only the sum matters) and its
  ``staff_usd_per_mw_year`` -> staff, as in costing;
* everything else from the scenario's ``finance`` section (`FinanceSpec`).

A phase added in plan year ``y`` comes online in ``y`` (the plan counts capacity from that
year); its construction starts ``floor((lead + 6) / 12)`` years earlier (the inverse of
`coredge.plan.result.online_year`), where ``lead`` is the tier's lead time plus, for a site's
first phase, its grid-interconnection wait (none for a site on a bridge or flexible power path,
`coredge.plan.power_paths`). The paths' charges before firm service (bridge units, fuel above
the grid, curtailed rent, batteries) are not in these cash flows: the planner's objective and
costing carry them, and the power study reports them per campus (``summary.power.planner``).

Token volumes (`served_mtok`): the requests a site serves (assignment shares of each demand
point's busy-hour request rate, divided by ``demand.peak_to_mean_ratio`` to get the mean rate)
times the class's ``tokens_in + tokens_out`` [tokens/request]; ``usd_per_mtok`` is the
levelised full-stack cost of the inference share of each site's load per million tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.distributions import Distribution
from coredge.finance.assumptions import FACILITY_COMPONENTS, FinanceAssumptions, TierFinance
from coredge.finance.breakeven import view_break_even
from coredge.finance.cashflow import CashFlows, tier_order
from coredge.finance.metrics import present_value
from coredge.finance.montecarlo import RiskResult, RiskSpec, UncertainVariable
from coredge.finance.portfolio import series_metrics, site_inputs_from_table
from coredge.finance.views import finance_views, finance_views_and_flows
from coredge.inputs.build import Inputs
from coredge.plan.costing import SiteCosts, capacity_additions, gpus_per_mw, whole_gpus
from coredge.plan.result import Plan
from coredge.scenario.schema import TIER_IDS, Scenario
from coredge.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

SECONDS_PER_YEAR = HOURS_PER_YEAR * SECONDS_PER_HOUR

OPEX_SPLIT = (0.5, 1.0 / 6.0, 1.0 / 3.0)
"""Share of a tier's ``opex_frac_of_facility_capex_per_year`` booked as maintenance, insurance
and property tax [fraction]. Assumption (the split of the finance core's core-tier defaults,
0.015/0.005/0.010 of 0.03); only the sum enters the cash flows."""

METRIC_KEYS = (
    "npv_usd",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "moic",
    "peak_funding_usd",
    "lcoc_usd_per_gpu_hour",
    "usd_per_mtok",
    "capex_usd",
)
"""Metrics reported per site, per tier and for the portfolio."""


# ------------------------------------------------------------------ scenario -> assumptions


def finance_years(sc: Scenario) -> int:
    """Valuation horizon [years]: ``finance.horizon_years``, at least the plan's years."""
    return max(sc.finance.horizon_years, len(sc.horizon.years))


def assumptions_from_scenario(sc: Scenario) -> FinanceAssumptions:
    """The finance core's assumptions for a scenario (see the module docstring for the mapping).

    Parameters
    ----------
    sc : Scenario

    Returns
    -------
    FinanceAssumptions
    """
    f = sc.finance
    tiers: dict[str, TierFinance] = {}
    for tid in TIER_IDS:
        ts = f.tiers[tid]
        spec = sc.tiers[tid]
        frac = spec.opex_frac_of_facility_capex_per_year
        tiers[tid] = TierFinance(
            revenue_model=ts.revenue_model,
            pre_leased_share=ts.pre_leased_share,
            absorption_years=ts.absorption_years,
            stabilised_occupancy_frac=ts.stabilised_occupancy_frac,
            lease_usd_per_kw_month=ts.lease_usd_per_kw_month,
            lease_escalator_rate=ts.lease_escalator_rate,
            opex_recovery_frac=ts.opex_recovery_frac,
            gpu_hour_price_usd=float(sc.economics.gpu_hour_price_usd.get(tid, 0.0)),
            usd_per_mtok=ts.usd_per_mtok,
            price_decline_rate=ts.price_decline_rate,
            maintenance_frac_per_year=frac * OPEX_SPLIT[0],
            insurance_frac_per_year=frac * OPEX_SPLIT[1],
            property_tax_frac_per_year=frac * OPEX_SPLIT[2],
            staff_usd_per_mw_year=spec.staff_usd_per_mw_year,
            network_usd_per_mw_year=ts.network_usd_per_mw_year,
        )
    return FinanceAssumptions(
        start_year=sc.horizon.start_year,
        horizon_years=finance_years(sc),
        discount_rate=sc.economics.discount_rate,
        power_escalator_rate=sc.economics.power_price_escalator_rate,
        inflation_rate=f.inflation_rate,
        capex_shape=f.capex_shape,
        it_refresh_years=f.it_refresh_years,
        it_cost_decline_rate=f.it_cost_decline_rate,
        facility_life_years=f.facility_life_years,
        it_life_years=f.it_life_years,
        tax_rate=f.tax_rate,
        tax_loss_carryforward=f.tax_loss_carryforward,
        tiers=tiers,
    )


def risk_spec_from_scenario(sc: Scenario, n_trials: int | None = None, seed: int | None = None) -> RiskSpec:
    """Monte Carlo spec from ``finance.risk`` (discount-rate draws are offsets from
    ``economics.discount_rate``; `n_trials`/`seed` override the section, whose seed defaults to
    the scenario's)."""
    r = sc.finance.risk
    base = sc.economics.discount_rate
    variables: list[UncertainVariable] = []
    for name, v in r.variables.items():
        if v is None:
            continue
        params = tuple(float(x) for x in v.params)
        if name == "discount_rate":
            if v.dist == "normal":
                params = (params[0] + base, params[1])
            else:  # uniform, triangular, fixed: every parameter is a location
                params = tuple(p + base for p in params)
        variables.append(
            UncertainVariable(
                name, Distribution(v.dist, params), v.scope, tuple(v.tiers) if v.tiers else None
            )
        )
    return RiskSpec(
        variables=tuple(variables),
        n_trials=int(n_trials if n_trials is not None else r.n_trials),
        seed=int(seed if seed is not None else (r.seed if r.seed is not None else sc.seed)),
    )


# ------------------------------------------------------------------ plan -> volumes and rows


def served_mtok(inputs: Inputs, plan: Plan) -> FloatArray:
    """Million tokens served per site and plan year.

    ``sum over the site's assignments of share x requests_per_s[p, k, y] / peak_to_mean x
    (tokens_in + tokens_out)[k] x seconds per year / 1e6``, counted from the site's online year.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan

    Returns
    -------
    ndarray, shape (S, Y)
        Tokens (prompt + output) [million tokens/year].
    """
    sc = inputs.scenario
    S, Y = plan.n_sites, len(plan.years)
    out = np.zeros((S, Y))
    a = plan.assignments
    if S == 0 or a.empty:
        return out
    tok = np.array(
        [sc.workloads[c].tokens_in + sc.workloads[c].tokens_out for c in inputs.classes], dtype=np.float64
    )
    p = a["point_index"].to_numpy(dtype=np.int64)
    k = a["class_index"].to_numpy(dtype=np.int64)
    s = a["site_index"].to_numpy(dtype=np.int64)
    share = a["share"].to_numpy(dtype=np.float64)
    rate = inputs.requests_per_s[p, k, :] * share[:, None] * tok[k][:, None]  # (A, Y) tokens/s busy hour
    np.add.at(out, s, rate)
    online = plan.sites["online_year"].to_numpy(dtype=np.int64)
    out *= (plan.years[None, :] >= online[:, None])
    result: FloatArray = out / sc.demand.peak_to_mean_ratio * SECONDS_PER_YEAR / 1e6
    return result


def _lead_years(months: FloatArray) -> npt.NDArray[np.int64]:
    return np.floor((months + 6.0) / 12.0).astype(np.int64)


COMPONENT_COLUMNS: tuple[str, ...] = tuple(f"capex_{c}_usd" for c in FACILITY_COMPONENTS)
"""Facility capex by component per build phase: costing's facility capex split by the tier's
shares of the facility cost model (`coredge.physics.facility_cost.tier_finance_split`)."""


def _components(tier: str, capex_facility_usd: float) -> dict[str, float]:
    from coredge.physics.facility_cost import tier_finance_split

    split = tier_finance_split(tier)
    out = {c: capex_facility_usd * f for c, f in zip(COMPONENT_COLUMNS, split, strict=True)}
    out[COMPONENT_COLUMNS[-1]] = capex_facility_usd - sum(list(out.values())[:-1])  # sums exactly
    return out


def site_utilisation(inputs: Inputs, plan: Plan) -> tuple[FloatArray, FloatArray]:
    """Billed utilisation and energy draw share of each site, by the use of its load.

    Inference is billed and draws energy at ``hardware.utilisation_frac``; training capacity is
    billed at ``training.billed_utilisation_frac`` (take-or-pay: the contracted cluster is paid
    for whole) and draws energy at ``training.busy_frac``. A site's figures are the blend by its
    final-year training share of load. The finance core's energy is ``it_mw x utilisation x
    energy_draw_frac``, so the draw share carries the busy/billed ratio.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan

    Returns
    -------
    utilisation_frac, energy_draw_frac : ndarray, shape (S,)
        Billed utilisation [fraction] and energy draw of a billed GPU-hour [fraction].
    """
    sc = inputs.scenario
    u_inf = float(sc.hardware.utilisation_frac)
    load = plan.load_mw_by_year[:, -1] if plan.load_mw_by_year.size else np.zeros(plan.n_sites)
    train = plan.training_mw_by_year[:, -1] if plan.training_mw_by_year.size else np.zeros(plan.n_sites)
    f = np.clip(np.divide(train, load, out=np.zeros_like(load), where=load > 0), 0.0, 1.0)
    billed = f * sc.training.billed_utilisation_frac + (1.0 - f) * u_inf
    busy = f * sc.training.busy_frac + (1.0 - f) * u_inf
    # each tier's accelerator has its own measured draw at load (hardware.tiers)
    draw = inputs.site_energy_draw_frac(plan.sites["tier"].astype(str).to_numpy())
    return billed, draw * busy / billed


def plan_site_table(inputs: Inputs, plan: Plan, costs: SiteCosts) -> pd.DataFrame:
    """The finance core's site table: one row per build phase of every site.

    A phase is a plan year in which a site's installed IT MW grows (above any brownfield
    capacity); its ``capex_facility_usd`` and ``capex_it_usd`` are exactly costing's for that
    site and year. Brownfield capacity becomes a row without capex, online from the first year.

    Columns: the finance core's required columns (``site_id`` is ``<site>#<year>``), plus
    ``site`` (the plan's site id), ``phase_year``, ``mtok_per_year`` and ``state``.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan
    costs : SiteCosts
        From `coredge.plan.costing.site_costs` for the same plan.

    Returns
    -------
    pandas.DataFrame
    """
    sc = inputs.scenario
    s = plan.sites
    S = len(s)
    years = plan.years
    cols = [
        "site_id", "site", "tier", "phase_year", "build_start_year", "online_year", "it_mw", "gpus",
        "pue", "capex_facility_usd", "capex_it_usd", "energy_price_usd_per_mwh", "utilisation_frac",
        "mtok_per_year", "state", "energy_draw_frac", *COMPONENT_COLUMNS,
    ]
    if S == 0:
        return pd.DataFrame(columns=cols)
    existing = (
        s["existing_it_mw"].to_numpy(dtype=np.float64) if "existing_it_mw" in s.columns else np.zeros(S)
    )
    inst = plan.it_mw_by_year
    tiers = s["tier"].astype(str).to_numpy()
    kw = inputs.site_it_kw_per_gpu(tiers)  # each tier's accelerator (hardware.tiers)
    added, _gpus, gpus_added = capacity_additions(inst, existing, kw)
    capex_f = costs.capex_facility_usd
    capex_i = costs.capex_it_usd
    mtok = served_mtok(inputs, plan)[:, -1]
    final_mw = np.maximum(inst[:, -1], 1e-12)
    lead = np.array([sc.tiers[t].lead_time_months for t in tiers], dtype=np.float64)
    # a site on a power path (coredge.plan.power_paths) is energised without the firm wait
    on_path = (s["power_path"].fillna("firm").astype(str).to_numpy() != "firm" if "power_path" in s.columns
               else np.zeros(S, dtype=bool))
    wait = (
        s["interconnect_wait_months"].to_numpy(dtype=np.float64)
        if "interconnect_wait_months" in s.columns
        else np.zeros(S)
    )
    util_site, draw_site = site_utilisation(inputs, plan)
    pue = s["pue"].to_numpy(dtype=np.float64)
    price = s["price_usd_per_mwh"].to_numpy(dtype=np.float64)
    rows: list[dict[str, Any]] = []
    for i in range(S):
        sid = str(s["site_id"].iat[i])
        base = {
            "site": sid,
            "tier": tiers[i],
            "pue": float(pue[i]),
            "energy_price_usd_per_mwh": float(price[i]),
            "utilisation_frac": float(util_site[i]),
            "energy_draw_frac": float(draw_site[i]),
            "state": str(s["state"].iat[i]) if "state" in s.columns else "",
        }
        if existing[i] > 0:
            rows.append(
                {
                    **base,
                    "site_id": f"{sid}#existing",
                    "phase_year": int(years[0]),
                    "build_start_year": int(years[0]),
                    "online_year": int(years[0]),
                    "it_mw": float(existing[i]),
                    "gpus": float(whole_gpus(existing[i], float(kw[i]))),
                    "capex_facility_usd": 0.0,
                    "capex_it_usd": 0.0,
                    **_components(tiers[i], 0.0),
                    "mtok_per_year": float(mtok[i] * existing[i] / final_mw[i]),
                }
            )
        first = True
        for j in range(len(years)):
            if added[i, j] <= 1e-12 and capex_f[i, j] <= 0 and capex_i[i, j] <= 0:
                continue
            months = lead[i] + (wait[i] if ((first and existing[i] <= 0) or sc.finance.expansion_grid_wait)
                                and not on_path[i] else 0.0)
            y = int(years[j])
            rows.append(
                {
                    **base,
                    "site_id": f"{sid}#{y}",
                    "phase_year": y,
                    "build_start_year": y - int(_lead_years(np.array([months]))[0]),
                    "online_year": y,
                    "it_mw": float(max(added[i, j], 0.0)),
                    "gpus": float(max(gpus_added[i, j], 0.0)),
                    "capex_facility_usd": float(capex_f[i, j]),
                    "capex_it_usd": float(capex_i[i, j]),
                    **_components(tiers[i], float(capex_f[i, j])),
                    "mtok_per_year": float(mtok[i] * max(added[i, j], 0.0) / final_mw[i]),
                }
            )
            first = False
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class PlanFinancials:
    """Financials of a plan.

    Attributes
    ----------
    assumptions : FinanceAssumptions
        What the cash flows were computed with.
    rows : DataFrame
        The site table, one row per build phase (`plan_site_table`).
    cash_flows : CashFlows or None
        Base-case line items per row and year (None when the plan has no site).
    sites : DataFrame
        One row per plan site: ``site_id``, ``tier``, ``n_phases`` and `METRIC_KEYS`.
    tiers : dict
        Tier id -> metrics (every built-in tier, NaN/0 where the tier has no site).
    portfolio : dict
        Portfolio metrics.
    yearly : DataFrame
        Line items per calendar year and tier, plus ``tier == "portfolio"`` rows [USD; MWh;
        GPU-hours; million tokens].
    edge_premium : dict
        Per latency-bound class: the cost per ms of latency saved by serving it from the edge
        (see `edge_premium`).
    views : dict
        The landlord and operator views of the same rows (`coredge.finance.views.finance_views`).
    view_flows : dict
        Each view's `CashFlows` per build phase and year (for charts and workbooks; not in the
        summary).
    break_even : dict
        `coredge.finance.breakeven.view_break_even` at the scenario's hurdle rate.
    """

    assumptions: FinanceAssumptions
    rows: pd.DataFrame
    cash_flows: CashFlows | None
    sites: pd.DataFrame
    tiers: dict[str, dict[str, Any]]
    portfolio: dict[str, Any]
    yearly: pd.DataFrame
    edge_premium: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, Any] = field(default_factory=dict)
    view_flows: dict[str, CashFlows] = field(default_factory=dict)
    break_even: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: portfolio metrics at the top level, plus ``tiers``, ``edge_premium``,
        ``finance_views``, ``discount_rate``, ``start_year``, ``horizon_years``, ``n_sites`` and
        ``n_phases``."""
        return {
            **{k: self.portfolio[k] for k in METRIC_KEYS},
            "irr_exists": self.portfolio.get("irr_exists"),
            "tiers": self.tiers,
            "edge_premium": self.edge_premium,
            "finance_views": self.views,
            "discount_rate": self.assumptions.discount_rate,
            "start_year": self.assumptions.start_year,
            "horizon_years": self.assumptions.horizon_years,
            "n_sites": len(self.sites),
            "n_phases": len(self.rows),
        }


def _group(x: FloatArray, onehot: FloatArray) -> FloatArray:
    out: FloatArray = onehot @ np.nan_to_num(x)
    return out


def _extend(x: FloatArray, T: int) -> FloatArray:
    """Plan-year series (S, Y) -> valuation years (S, T), holding the last plan year."""
    Y = x.shape[1]
    if T <= Y:
        return x[:, :T]
    return np.concatenate([x, np.repeat(x[:, -1:], T - Y, axis=1)], axis=1)


def _metrics_rows(
    net: FloatArray, full: FloatArray, gpu_h: FloatArray, tok_cost: FloatArray, mtok: FloatArray,
    capex: FloatArray, rate: float,
) -> list[dict[str, Any]]:
    """Metrics of G stacked series; usd_per_mtok = PV(inference cost) / PV(Mtok)."""
    m = series_metrics(net, full, gpu_h, np.full_like(net, np.nan), rate)
    pv_tok = present_value(rate, mtok)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_tok = np.where(pv_tok > 0, present_value(rate, tok_cost) / pv_tok, np.nan)
    out = []
    for g in range(net.shape[0]):
        row = {k: (v[g].item() if hasattr(v[g], "item") else v[g]) for k, v in m.items()}
        row["usd_per_mtok"] = float(per_tok[g])
        row["capex_usd"] = float(capex[g])
        out.append(row)
    return out


def financials_from_plan(
    inputs: Inputs, plan: Plan, costs: SiteCosts, views: bool = True
) -> PlanFinancials:
    """Cash flows and metrics of a plan per site, per tier and for the portfolio.

    Parameters
    ----------
    inputs : Inputs
        The scenario's inputs (scenario, loads, request rates, hardware).
    plan : Plan
        The planner's result.
    costs : SiteCosts
        `coredge.plan.costing.site_costs(inputs, plan)`.
    views : bool
        Also price the landlord and operator views and their break-even multipliers
        (``views``, ``view_flows``, ``break_even``; left empty otherwise).

    Returns
    -------
    PlanFinancials
        ``capex_usd`` is the build capex (facility + first IT fill, equal to costing's);
        IT refreshes inside the horizon are in the cash flows but not in ``capex_usd``.
        ``npv_usd`` [USD], ``irr`` [fraction/year], ``payback_years`` [years],
        ``moic`` [multiple], ``peak_funding_usd`` [USD], ``lcoc_usd_per_gpu_hour`` [USD/GPU-h],
        ``usd_per_mtok`` [USD/million tokens].

    Examples
    --------
    >>> from coredge.scenario.load import load_scenario      # doctest: +SKIP
    >>> from coredge.pipeline import execute                  # doctest: +SKIP
    >>> r = execute(load_scenario("us"))                      # doctest: +SKIP
    >>> pf = financials_from_plan(r.inputs, r.plan, r.costs)  # doctest: +SKIP
    >>> pf.portfolio["npv_usd"]                               # doctest: +SKIP
    """
    from coredge.finance.cashflow import site_cash_flows

    sc = inputs.scenario
    a = assumptions_from_scenario(sc)
    table = plan_site_table(inputs, plan, costs)
    T = a.horizon_years
    rate = a.discount_rate
    years = a.start_year + np.arange(T)
    S = plan.n_sites
    site_ids = [str(x) for x in plan.sites["site_id"]] if S else []
    site_tier = [str(x) for x in plan.sites["tier"]] if S else []
    if len(table) == 0:
        return _empty(a, table, site_ids, site_tier, years)
    cf = site_cash_flows(site_inputs_from_table(table, a), a)
    # rows -> sites
    idx = {sid: i for i, sid in enumerate(site_ids)}
    row_site = np.array([idx[x] for x in table["site"]], dtype=np.int64)
    R = len(table)
    onehot = np.zeros((S, R))
    onehot[row_site, np.arange(R)] = 1.0
    net_s = _group(cf.net_usd, onehot)
    full_s = _group(cf.full_cost_usd, onehot)
    gpuh_s = _group(cf.gpu_hours, onehot)
    capex_rows = table["capex_facility_usd"].to_numpy() + table["capex_it_usd"].to_numpy()
    capex_s = onehot @ capex_rows
    # tokens and the inference share of each site's cost
    mtok_s = _extend(served_mtok(inputs, plan), T)
    load = plan.load_mw_by_year
    with np.errstate(invalid="ignore", divide="ignore"):
        inf_share = np.where(load > 0, (load - plan.training_mw_by_year) / load, 1.0)
    inf_share = _extend(np.clip(inf_share, 0.0, 1.0), T)
    tokc_s = full_s * inf_share

    site_rows = _metrics_rows(net_s, full_s, gpuh_s, tokc_s, mtok_s, capex_s, rate)
    sites = pd.DataFrame(site_rows)
    sites.insert(0, "site_id", site_ids)
    sites.insert(1, "tier", site_tier)
    sites.insert(2, "n_phases", onehot.sum(axis=1).astype(int))

    tier_ids = list(tier_order([*TIER_IDS, *site_tier]))
    t_onehot = np.array([[1.0 if t == tid else 0.0 for t in site_tier] for tid in tier_ids])
    t_rows = _metrics_rows(
        t_onehot @ net_s, t_onehot @ full_s, t_onehot @ gpuh_s, t_onehot @ tokc_s, t_onehot @ mtok_s,
        t_onehot @ capex_s, rate,
    )
    tiers = {tid: {"n_sites": int(t_onehot[g].sum()), **t_rows[g]} for g, tid in enumerate(tier_ids)}
    for m in tiers.values():
        if m["n_sites"] == 0:  # a tier without sites has no returns, only zeros
            m.update({k: math.nan for k in m if k not in ("n_sites", "npv_usd", "capex_usd", "peak_funding_usd", "irr_exists", "irr_multiple", "irr_reason")})
            m.update({"npv_usd": 0.0, "capex_usd": 0.0, "peak_funding_usd": 0.0, "irr_exists": False, "irr_reason": "no sites"})
    p_row = _metrics_rows(
        net_s.sum(0)[None], full_s.sum(0)[None], gpuh_s.sum(0)[None], tokc_s.sum(0)[None],
        mtok_s.sum(0)[None], np.array([capex_s.sum()]), rate,
    )[0]
    portfolio = {"n_sites": S, **p_row}
    yearly = _yearly(cf, table, onehot, t_onehot, tier_ids, mtok_s, years)
    pf = PlanFinancials(a, table, cf, sites, tiers, portfolio, yearly)
    if not views:
        return PlanFinancials(a, table, cf, sites, tiers, portfolio, yearly, edge_premium(inputs, plan, pf))
    views_, flows = finance_views_and_flows(table, a, sc.finance.exit_cap_rate)
    hurdle = sc.economics.hurdle_rate if sc.economics.hurdle_rate is not None else sc.economics.discount_rate
    return PlanFinancials(
        a, table, cf, sites, tiers, portfolio, yearly, edge_premium(inputs, plan, pf), views_, flows,
        view_break_even(table, a, hurdle, sc.finance.exit_cap_rate),
    )


def _empty(
    a: FinanceAssumptions, table: pd.DataFrame, site_ids: list[str], site_tier: list[str], years: Any
) -> PlanFinancials:
    zero = {k: (0.0 if k in ("npv_usd", "capex_usd", "peak_funding_usd") else math.nan) for k in METRIC_KEYS}
    tiers: dict[str, dict[str, Any]] = {str(t): {"n_sites": 0, **zero} for t in TIER_IDS}
    sites = pd.DataFrame(columns=["site_id", "tier", "n_phases", *METRIC_KEYS])
    yearly = pd.DataFrame({"year": years, "tier": "portfolio", "net_usd": 0.0})
    return PlanFinancials(a, table, None, sites, tiers, {"n_sites": 0, **zero}, yearly, {}, finance_views(table, a))


_LINE_ITEMS = (
    "revenue_usd", "energy_cost_usd", "opex_fixed_usd", "capex_facility_usd", "capex_it_usd",
    "tax_usd", "residual_value_usd", "net_usd", "energy_mwh", "gpu_hours",
)


def _yearly(
    cf: CashFlows, table: pd.DataFrame, onehot: FloatArray, t_onehot: FloatArray, tier_ids: list[str],
    mtok_s: FloatArray, years: Any,
) -> pd.DataFrame:
    items = {name: np.asarray(getattr(cf, name), dtype=np.float64) for name in _LINE_ITEMS}
    frames = []
    to_tier = t_onehot @ onehot  # (G, R)
    for g, tid in enumerate(tier_ids):
        d: dict[str, Any] = {"year": years, "tier": tid}
        for name, arr in items.items():
            d[name] = to_tier[g] @ arr
        d["mtok"] = t_onehot[g] @ mtok_s
        frames.append(pd.DataFrame(d))
    d = {"year": years, "tier": "portfolio"}
    for name, arr in items.items():
        d[name] = arr.sum(axis=0)
    d["mtok"] = mtok_s.sum(axis=0)
    frames.append(pd.DataFrame(d))
    out = pd.concat(frames, ignore_index=True)
    out["cumulative_net_usd"] = out.groupby("tier")["net_usd"].cumsum()
    return out


# ------------------------------------------------------------------ edge vs core


def edge_premium(inputs: Inputs, plan: Plan, pf: PlanFinancials) -> dict[str, dict[str, Any]]:
    """Cost per ms of latency saved by serving each latency-bound class from the edge.

    Definition, per class with an RTT budget, over its load assigned to regional or micro sites
    in the final plan year (``edge_mw`` [MW busy-hour IT]):

    * ``extra_cost_usd_per_year`` = sum over that load of ``(LCOC of the edge tier - LCOC of
      the core tier) [USD/GPU-h] x GPU-hours a MW delivers in a year`` (1000 / it_kw_per_gpu x
      8760 x utilisation): what it costs more per year to serve it at edge rather than core
      prices of compute;
    * ``rtt_saved_ms`` = load-weighted mean of (RTT to the nearest core campus of the plan, or
      of the candidates when the plan has none) - (RTT to the serving edge site) [ms];
    * ``usd_per_ms_saved_per_year`` = extra cost / ms saved [USD/year/ms];
    * ``core_within_budget_frac`` = share of that load whose nearest core campus would meet the
      class's budget [fraction]: only there is the edge a choice; elsewhere it is the only way
      to meet the SLO.

    Returns
    -------
    dict
        class id -> the fields above (NaN where the plan has no core or no edge load).
    """
    from coredge.geo import pairwise_km
    from coredge.latency import rtt_ms

    sc = inputs.scenario
    net = sc.network
    s = plan.sites
    a = plan.assignments
    out: dict[str, dict[str, Any]] = {}
    if len(s) == 0 or a.empty:
        return out
    core_lcoc = pf.tiers.get("core", {}).get("lcoc_usd_per_gpu_hour", math.nan)
    core_sites = s[s["tier"] == "core"]
    if len(core_sites):
        clat, clon = core_sites["lat"].to_numpy(), core_sites["lon"].to_numpy()
    else:
        cand = inputs.candidates
        cc = cand[cand["allow_core"]] if "allow_core" in cand.columns else cand.iloc[0:0]
        clat, clon = cc["lat"].to_numpy(), cc["lon"].to_numpy()
    plat = inputs.demand["lat"].to_numpy(dtype=np.float64)
    plon = inputs.demand["lon"].to_numpy(dtype=np.float64)
    if len(clat):
        d = pairwise_km(plat, plon, clat, clon).min(axis=1)
        core_rtt = np.asarray(rtt_ms(net, d))
    else:
        core_rtt = np.full(len(plat), np.nan)
    # GPU-hours a MW of load delivers per year at each tier: its accelerator's GPUs per MW x its
    # IT MW per MW of load (`Inputs.tier_mw_factor`; both 1 x the reference figure by default)
    gpu_h_per_mw_year = gpus_per_mw(inputs.it_kw_per_gpu) * HOURS_PER_YEAR * sc.hardware.utilisation_frac
    tier_gpu_h = {
        t: gpus_per_mw(inputs.site_it_kw_per_gpu([t])[0]) * HOURS_PER_YEAR * sc.hardware.utilisation_frac
        for t in ("core", "regional", "micro")
    }
    factor = inputs.tier_mw_factor
    tier_of_site = s["tier"].astype(str).to_numpy()
    for k, cid in enumerate(inputs.classes):
        budget = float(inputs.rtt_budget_ms[k])
        if math.isinf(budget):
            continue
        rows = a[a["class_index"] == k]
        st = tier_of_site[rows["site_index"].to_numpy(dtype=np.int64)]
        edge = (st == "regional") | (st == "micro")
        rows = rows[edge]
        st = st[edge]
        p = rows["point_index"].to_numpy(dtype=np.int64)
        mw = inputs.load_mw[p, k, -1] * rows["share"].to_numpy(dtype=np.float64)
        total = float(mw.sum())
        if total <= 0:
            out[cid] = {
                "rtt_budget_ms": budget, "edge_mw": 0.0, "extra_cost_usd_per_year": 0.0,
                "rtt_saved_ms": math.nan, "usd_per_ms_saved_per_year": math.nan,
                "core_within_budget_frac": math.nan,
            }
            continue
        lcoc_t = np.array([pf.tiers.get(t, {}).get("lcoc_usd_per_gpu_hour", math.nan) for t in st])
        # GPU-hours per MW of this load at the edge tier and at the core (differ with hardware.tiers)
        gh_t = np.array([factor[("core", "regional", "micro").index(t), k] * tier_gpu_h[t] for t in st])
        gh_core = factor[0, k] * tier_gpu_h["core"]
        if sc.hardware.per_tier:
            extra = float(np.sum(mw * (lcoc_t * gh_t - core_lcoc * gh_core)))
        else:
            extra = float(np.sum(mw * (lcoc_t - core_lcoc) * gpu_h_per_mw_year))
        saved = float(np.sum(mw * (core_rtt[p] - rows["rtt_ms"].to_numpy(dtype=np.float64))) / total)
        within = float(np.sum(mw * (core_rtt[p] <= budget + 1e-9)) / total)
        out[cid] = {
            "rtt_budget_ms": budget,
            "edge_mw": total,
            "extra_cost_usd_per_year": extra,
            "rtt_saved_ms": saved,
            "usd_per_ms_saved_per_year": extra / saved if saved > 0 else math.nan,
            "core_within_budget_frac": within,
        }
    return out


# ------------------------------------------------------------------ risk


def risk_from_plan(
    pf: PlanFinancials, sc: Scenario, n_trials: int | None = None, seed: int | None = None,
    with_tornado: bool = True, workers: int = 1,
) -> RiskResult:
    """Monte Carlo of a plan's financials with the scenario's ``finance.risk`` section.

    Site-scope variables are drawn per build phase (row). Same seed, same numbers, whatever
    the number of ``workers`` (threads, `coredge.finance.montecarlo.run_monte_carlo`).
    """
    from coredge.finance.cashflow import build_drivers
    from coredge.finance.montecarlo import run_monte_carlo

    if len(pf.rows) == 0:
        from coredge.errors import InputError

        raise InputError.of("plan", "no sites", "a plan with at least one site to run risk on")
    spec = risk_spec_from_scenario(sc, n_trials, seed)
    dv = build_drivers(site_inputs_from_table(pf.rows, pf.assumptions), pf.assumptions)
    return run_monte_carlo(dv, spec, with_tornado=with_tornado, workers=workers)


__all__ = [
    "METRIC_KEYS",
    "OPEX_SPLIT",
    "PlanFinancials",
    "assumptions_from_scenario",
    "edge_premium",
    "finance_years",
    "financials_from_plan",
    "plan_site_table",
    "risk_from_plan",
    "risk_spec_from_scenario",
    "served_mtok",
]
