"""Facility capex by tier and size: the cost-vs-size curve and its components.

Every figure comes from ``data/market_construction_cost.csv`` (`coredge data`), the one source of
facility cost in coredge; the tier archetypes (``data/site_tiers.yaml``) say only how a tier is
built (``build``: stick-built or prefab), cooled, sized and what its land and soft costs are.

Model
-----
Cost per MW of critical IT falls with size as a power law (a cost-capacity curve)::

    c(P) = c_ref (P / P_ref)^(beta - 1)              [USD/MW]

* ``beta`` (the cost-capacity exponent) is fitted by least squares on log cost against log size
  on the one published same-source cost-by-size series (Schneider Electric 2023 modular data
  centres, 50 kW to 2 MW; rows ``series = size-fit``); the 100-250 kW band and the DCF 250 kW
  unit are held out (`size_fit`). The fixed part of a site (site works, utility service,
  controls, security, design) spread over more MW is the mechanism.
* **prefab** tiers (micro): ``c_ref`` and ``P_ref`` are the fit itself, brought from 2023 to the
  2025 price level with C&W's construction-cost index growth (2021-2023 CAGR). A site larger than
  the largest module (2 MW) is priced at the module size: modules are repeated, not scaled.
* **stick-built** tiers (core, regional): anchored at the median of the published core rows
  (C&W's 19 markets, Turner & Townsend, JLL, gigaenergy; builds of campus scale) read as a
  typical core campus (the core tier's planning size) with the core tier's cooling premium
  removed; held out: the two published budgets of known size, Digital Realty / Realty Income's
  16 MW Northern Virginia build-to-suit ($25M/MW all-in, 2023) and Applied Digital's Polaris
  Forge 2 (280 MW, $10.7M/MW all-in, North Dakota, 2025) (`validation.finance`).
* cooling premium: Turner & Townsend's 7-10 % AI (liquid-cooled) premium (midpoint) for
  direct-liquid; other technologies by their cooling capex ratio (`facility.COOLING`) scaled so
  that direct-liquid gets the published premium (air 0).

Components: stick-built by C&W's breakdown (critical capacity + white space -> electrical and
mechanical in Vertiv's power : cooling ratio; shell + site + back of house + office -> shell);
prefab by Vertiv's split (power + controls -> electrical, cooling -> mechanical, structure + the
rest -> shell). The backup plant is sized N+1 on the facility load (`facility.backup_cost`) and
carved out of electrical; land is C&W's average price per acre times the tier's acres per MW and
soft costs the rest of the tier's land-and-soft share.

The planner prices a tier linearly (a cost per MW, `tier_planning_it_mw`): a fixed per-site cost
needs a site-open binary the MILP does not have, so the tier's curve is read at the size of a
typical site of the tier (the midpoint of its size range); `coredge site` prices any size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from coredge.errors import InputError

BUILD_TYPES: tuple[str, ...] = ("stick-built", "prefab")
"""How a tier is built: a conventional building, or factory-built modules."""

PRICE_YEAR: int = 2025
"""Price level of the curve [year]."""


@dataclass(frozen=True)
class SizeFit:
    """The cost-capacity fit on the published cost-by-size series.

    Attributes
    ----------
    beta : float
        Cost-capacity exponent [-]: capex grows as ``P^beta``.
    usd_per_mw_at_1mw : float
        Fitted cost per MW at 1 MW, at the series' price year [USD/MW].
    price_year : int
        Year of the series' prices [year].
    max_it_mw : float
        Largest size in the series (largest module) [MW].
    held_out : list of (str, float, float, float)
        (item, size [MW], published midpoint [USD/MW], predicted [USD/MW]) of each held-out row.
    """

    beta: float
    usd_per_mw_at_1mw: float
    price_year: int
    max_it_mw: float
    held_out: list[tuple[str, float, float, float]]

    def usd_per_mw(self, it_mw: float) -> float:
        """Fitted cost per MW at a size, at the series' price year [USD/MW]."""
        return self.usd_per_mw_at_1mw * float(it_mw) ** (self.beta - 1.0)


def _table() -> Any:
    from coredge.data.market import load_market

    return load_market("construction_cost")


def _size_mid(df: Any) -> np.ndarray:
    return np.sqrt(df["it_mw_low"].astype(float).to_numpy() * df["it_mw_high"].astype(float).to_numpy())


def _value_mid(df: Any) -> np.ndarray:
    return np.asarray((df["value_low"].astype(float) + df["value_high"].astype(float)) / 2.0)


@cache
def size_fit() -> SizeFit:
    """Least-squares fit of log cost per MW on log size over the ``size-fit`` rows.

    Sizes are the geometric midpoints of each band, costs the midpoints of each range.

    Examples
    --------
    >>> f = size_fit()
    >>> round(f.beta, 3), round(f.usd_per_mw_at_1mw / 1e6, 2)
    (0.851, 7.25)
    """
    t = _table()
    fit = t[t["series"] == "size-fit"]
    x, y = np.log(_size_mid(fit)), np.log(_value_mid(fit))
    slope, intercept = np.polyfit(x, y, 1)
    years = fit["year"].astype(int).unique()
    if years.size != 1:  # pragma: no cover - the table's series is one publication
        raise InputError.of("market_construction_cost.csv size-fit year", list(years), "one year")
    held = t[t["series"] == "size-held-out"]
    f0 = SizeFit(float(slope + 1.0), float(math.exp(intercept)), int(years[0]),
                 float(fit["it_mw_high"].astype(float).max()), [])
    rows = [(str(r["item"]), float(p), float(v), f0.usd_per_mw(float(p)))
            for (_, r), p, v in zip(held.iterrows(), _size_mid(held), _value_mid(held), strict=True)]
    return SizeFit(f0.beta, f0.usd_per_mw_at_1mw, f0.price_year, f0.max_it_mw, rows)


def _row(series: str) -> Any:
    t = _table()
    rows = t[t["series"] == series]
    if rows.empty:  # pragma: no cover - the table ships with every series
        raise InputError.of("market_construction_cost.csv series", series, "a row of that series")
    return rows.iloc[0]


@cache
def escalation_rate() -> float:
    """Construction-cost index growth used to bring older prices to `PRICE_YEAR` [fraction/year]
    (C&W 2025: ENR construction cost index, 2021-2023 CAGR 5.1 %)."""
    return float(_row("escalation")["value_low"])


@cache
def liquid_premium_frac() -> float:
    """AI (direct-liquid) construction-cost premium over a traditional build [fraction]
    (Turner & Townsend 2025-2026: 7-10 %, midpoint)."""
    r = _row("premium")
    return float((float(r["value_low"]) + float(r["value_high"])) / 2.0)


def cooling_premium_frac(cooling: str) -> float:
    """Construction-cost premium of a cooling technology over air cooling [fraction].

    Direct-liquid gets the published AI premium; the others in proportion to their cooling capex
    ratio above air (`coredge.physics.facility.COOLING`).

    Examples
    --------
    >>> cooling_premium_frac("air"), round(cooling_premium_frac("direct-liquid"), 3)
    (0.0, 0.085)
    """
    from coredge.physics.facility import COOLING

    if cooling not in COOLING:
        raise InputError.of("cooling", cooling, "one of: " + ", ".join(COOLING))
    ref = COOLING["direct-liquid"].capex_mult - 1.0
    return liquid_premium_frac() * (COOLING[cooling].capex_mult - 1.0) / ref


@dataclass(frozen=True)
class Anchor:
    """The stick-built curve's anchor: a traditional (air-cooled) facility cost at a size.

    Attributes
    ----------
    it_mw : float
        Size of the anchor site [MW].
    usd_per_mw : float
        Traditional facility cost per MW, without land and soft costs [USD/MW].
    source : str
        Where it comes from.
    """

    it_mw: float
    usd_per_mw: float
    source: str


@cache
def stick_built_anchor() -> Anchor:
    """The core rows' level: the median of the midpoints of every core row priced per MW on a
    facility or shell-and-core basis (C&W 2025 markets, Turner & Townsend, JLL, gigaenergy),
    taken as a typical core campus (the core tier's planning size) with the core tier's cooling,
    whose premium is removed.

    Examples
    --------
    >>> a = stick_built_anchor()
    >>> a.it_mw, round(a.usd_per_mw / 1e6, 2)
    (550.0, 12.26)
    """
    from coredge.data import load_tiers

    t = _table()
    rows = t[(t["tier"] == "core") & t["basis"].isin(["facility", "shell_core"]) & (t["unit"] == "USD/MW")]
    core = load_tiers()["core"]
    level = float(np.median(_value_mid(rows)))
    usd = level / (1.0 + cooling_premium_frac(str(core["cooling"])))
    return Anchor(tier_planning_it_mw(core), usd,
                  f"median of {len(rows)} core rows of market_construction_cost.csv (facility / shell and core)")


def _check_build(build: str) -> None:
    if build not in BUILD_TYPES:
        raise InputError.of("build", build, "one of: " + ", ".join(BUILD_TYPES))


def facility_usd_per_mw(build: str, it_mw: float, cooling: str = "air") -> float:
    """Facility capex per MW of IT at a size: shell, electrical (incl. backup), mechanical;
    without land, soft costs and IT [USD/MW, 2025 prices].

    Parameters
    ----------
    build : {"stick-built", "prefab"}
    it_mw : float
        IT capacity of the site [MW], > 0.
    cooling : str
        Cooling technology (`coredge.physics.facility.COOLING`).

    Examples
    --------
    >>> core = facility_usd_per_mw("stick-built", 500.0, "direct-liquid")
    >>> regional = facility_usd_per_mw("stick-built", 10.0, "rear-door")
    >>> round(core / 1e6, 2), round(regional / 1e6, 2), core < regional
    (13.49, 23.1, True)
    """
    _check_build(build)
    if not it_mw > 0:
        raise InputError.of("it_mw", it_mw, "a positive IT capacity in MW")
    f = size_fit()
    if build == "prefab":
        base = f.usd_per_mw(min(it_mw, f.max_it_mw)) * (1.0 + escalation_rate()) ** (PRICE_YEAR - f.price_year)
    else:
        a = stick_built_anchor()
        base = a.usd_per_mw * (it_mw / a.it_mw) ** (f.beta - 1.0)
    return base * (1.0 + cooling_premium_frac(cooling))


def tier_planning_it_mw(tier: dict[str, Any]) -> float:
    """Size at which the planner prices a tier: a typical site, the midpoint of its range [MW].

    Examples
    --------
    >>> tier_planning_it_mw({"it_mw_min": 1, "it_mw_max": 20})
    10.5
    """
    return (float(tier["it_mw_min"]) + float(tier["it_mw_max"])) / 2.0


def tier_facility_usd_per_mw(tier_id: str, it_mw: float | None = None, cooling: str | None = None) -> float:
    """Facility capex per MW of a built-in tier at a size (default its planning size) [USD/MW].

    Examples
    --------
    >>> round(tier_facility_usd_per_mw("micro", 0.71) / 1e6, 2)
    8.43
    """
    from coredge.data import load_tiers

    tiers = load_tiers()
    if tier_id not in tiers:
        raise InputError.of("tier", tier_id, "one of: " + ", ".join(tiers))
    t = tiers[tier_id]
    size = tier_planning_it_mw(t) if it_mw is None else it_mw
    return facility_usd_per_mw(str(t["build"]), size, cooling or str(t["cooling"]))


@cache
def component_shares(build: str) -> dict[str, float]:
    """Shares of facility capex by component (``shell``, ``electrical``, ``mechanical``) of a
    traditional (air-cooled) build, from C&W 2025 (stick-built) or Vertiv 2023 (prefab) [fraction].

    Examples
    --------
    >>> {k: round(v, 3) for k, v in component_shares("stick-built").items()}
    {'shell': 0.37, 'electrical': 0.28, 'mechanical': 0.35}
    """
    _check_build(build)
    t = _table()
    mid = dict(zip(t["series"], _value_mid(t), strict=True))
    power, cooling = mid["prefab:power"], mid["prefab:cooling"]
    if build == "stick-built":
        plant = mid["component:critical_capacity"] + mid["component:white_space"]
        shell = mid["component:shell"] + mid["component:site"] + mid["component:back_of_house"] + mid["component:office"]
        total = plant + shell
        el = plant * power / (power + cooling)
        return {"shell": float(shell / total), "electrical": float(el / total),
                "mechanical": float((plant - el) / total)}
    controls = mid["prefab:controls"]
    el = power + controls
    shell = max(0.0, 1.0 - el - cooling)
    return {"shell": float(shell), "electrical": float(el), "mechanical": float(cooling)}


@cache
def land_usd_per_acre() -> float:
    """Average US data-center land price [USD/acre] (C&W 2025, through Oct 2024)."""
    return float(_row("land")["value_low"])


@dataclass(frozen=True)
class FacilityCapex:
    """Capex of one site by component [USD] (units in names).

    Attributes
    ----------
    components_usd : dict
        ``shell``, ``electrical``, ``mechanical``, ``backup``, ``land``, ``soft`` [USD].
    facility_usd_per_mw : float
        Facility (shell, electrical, mechanical, backup) per MW of IT [USD/MW].
    """

    components_usd: dict[str, float]
    facility_usd_per_mw: float

    @property
    def total_usd(self) -> float:
        return float(sum(self.components_usd.values()))


def site_facility_capex(
    tier: dict[str, Any],
    it_mw: float,
    cooling: str,
    backup_capex_usd: float,
    reference_backup_capex_usd: float,
) -> FacilityCapex:
    """Capex of a site by component (IT excluded).

    Parameters
    ----------
    tier : dict
        The tier archetype (``data.load_tiers()[tier]``): ``build``, ``cooling``,
        ``land_and_soft_cost_frac``, ``land_acres_per_mw``.
    it_mw : float
        IT capacity [MW].
    cooling : str
        Cooling technology chosen [-].
    backup_capex_usd : float
        Capex of the chosen backup plant, sized to the facility [USD].
    reference_backup_capex_usd : float
        Capex of the diesel plant the curve's electrical share includes, sized the same way [USD].
    """
    build = str(tier["build"])
    per_mw = facility_usd_per_mw(build, it_mw, cooling)
    trad = facility_usd_per_mw(build, it_mw, "air")
    shares = component_shares(build)
    fac = trad * it_mw
    comp = {k: v * fac for k, v in shares.items()}
    comp["mechanical"] += (per_mw - trad) * it_mw  # the cooling premium is mechanical plant
    ref = min(reference_backup_capex_usd, comp["electrical"])
    comp["electrical"] -= ref
    comp["backup"] = backup_capex_usd
    land_soft = float(tier.get("land_and_soft_cost_frac", 0.0)) * per_mw * it_mw
    land = min(land_soft, land_usd_per_acre() * float(tier.get("land_acres_per_mw", 0.0)) * it_mw)
    comp["land"] = land
    comp["soft"] = land_soft - land
    total_fac = comp["shell"] + comp["electrical"] + comp["mechanical"] + comp["backup"]
    return FacilityCapex(comp, total_fac / it_mw)


FINANCE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "land": ("land",),
    "shell": ("shell", "soft"),
    "electrical_mechanical": ("electrical",),
    "cooling": ("mechanical",),
    "backup_power": ("backup",),
}
"""The finance core's facility components (`coredge.finance.assumptions.FACILITY_COMPONENTS`)
as sums of this model's: soft costs (design, permits, fees) are booked with the shell."""


@cache
def tier_capex_shares(tier_id: str) -> dict[str, float]:
    """Shares of a built-in tier's facility capex with land and soft costs, by component, at its
    planning size with its cooling and backup (``shell``, ``electrical``, ``mechanical``,
    ``backup``, ``land``, ``soft``) [fraction]; they sum to 1.

    Examples
    --------
    >>> sh = tier_capex_shares("micro")
    >>> round(sum(sh.values()), 12), sh["land"]
    (1.0, 0.0)
    """
    from coredge.data import load_tiers
    from coredge.physics import facility

    tiers = load_tiers()
    if tier_id not in tiers:
        raise InputError.of("tier", tier_id, "one of: " + ", ".join(tiers))
    t = tiers[tier_id]
    size = tier_planning_it_mw(t)
    kw = size * float(t["pue"]) * 1000.0
    b = facility.backup_cost(kw, str(t["backup"]))
    ref = facility.backup_cost(kw, "diesel")
    comp = site_facility_capex(t, size, str(t["cooling"]), b.capex_usd, ref.capex_usd).components_usd
    total = sum(comp.values())
    return {k: float(v / total) for k, v in comp.items()}


def tier_finance_split(tier_id: str) -> tuple[float, ...]:
    """`tier_capex_shares` in the finance core's component order (`FINANCE_COMPONENTS`) [fraction].

    Examples
    --------
    >>> round(sum(tier_finance_split("core")), 12)
    1.0
    """
    sh = tier_capex_shares(tier_id)
    return tuple(sum(sh[k] for k in parts) for parts in FINANCE_COMPONENTS.values())


__all__ = [
    "BUILD_TYPES",
    "FINANCE_COMPONENTS",
    "PRICE_YEAR",
    "Anchor",
    "FacilityCapex",
    "SizeFit",
    "component_shares",
    "cooling_premium_frac",
    "escalation_rate",
    "facility_usd_per_mw",
    "land_usd_per_acre",
    "liquid_premium_frac",
    "site_facility_capex",
    "size_fit",
    "stick_built_anchor",
    "tier_capex_shares",
    "tier_facility_usd_per_mw",
    "tier_finance_split",
    "tier_planning_it_mw",
]
