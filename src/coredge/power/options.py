"""Power options per core campus: firm grid, flexible connection, bridge generation, batteries.

A campus of ``it_mw`` of IT (``facility_mw`` = IT x PUE at the meter) can be energised by:

* **firm** grid service after the build and the region's interconnection wait
  (``interconnect_wait_months``, data/core_regions.csv), the planner's online date: the
  reference every option is valued against;
* a **flexible** (curtailable) connection, available after `FLEX_WAIT_MONTHS` (study and
  energisation without network upgrades; assumption), in exchange for being curtailed in the
  hours the balancing area nears its peak (build + flexible wait) (`coredge.power.headroom`, at a share ``limit`` of the
  campus's energy, Norris et al. 2025); only where the campus fits in the BA's headroom at that
  limit. Curtailed energy abates the rent pro rata (assumption), unless a **battery** sized to
  the longest curtailment event carries the campus through it;
* **bridge** generation on site (reciprocating engines, aeroderivative gas turbines, fuel cells on
  natural gas; `BRIDGE_TECHS`) once the build is done and permits and units are in (they run
  during the build), until the grid arrives;
  afterwards the units serve as the campus's backup (credited with the avoided diesel backup,
  `coredge.physics.facility.BACKUP`).

Every path ends on firm service at the same month, so the value of a path is what it adds before
then (monthly cash flows discounted at the scenario's rate): the rent of the energised IT
(`coredge.data.market.market_rent_usd_per_kw_month`, core tier; power is a pass-through billed
to the tenant at grid price) minus the option's capex, fixed O&M, the fuel and O&M premium over
the grid price of the same energy (and, with ``carbon_usd_per_t``, the price of the CO2 above the
grid's), and curtailment losses. `evaluate_site` returns each path's
months to first capacity, NPV gain over firm and CO2; `best_path` picks the largest NPV.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from coredge.errors import InputError

GAS_PRICE_USD_PER_MMBTU: float = 2.21 + 1.50
"""Delivered natural-gas price [USD/MMBtu]: Henry Hub 2024 average 2.21 (EIA Today in Energy,
2025-01) plus 1.50 for pipeline delivery to a campus (assumption)."""

GAS_CO2_KG_PER_MMBTU: float = 53.06
"""CO2 of burning natural gas [kg/MMBtu] (EIA carbon dioxide emission coefficients)."""

MMBTU_PER_MWH: float = 3.412
"""Energy conversion: 1 MWh = 3.412 MMBtu."""

BUILD_MONTHS: float = 21.0
"""Campus build [months]: 18-24 months (JLL 2026, facts.md 6; data/site_tiers.yaml core tier)."""

FLEX_WAIT_MONTHS: float = 6.0
"""Months from the end of the build to a flexible connection (in the planner's convention, where
the firm wait follows the build). Assumption: the transmission-level study (>= 1 year for >50 MW
loads, facts.md 6) runs during the 21-month build, and without network upgrades (what
curtailability avoids: Norris et al. 2025) energising takes about six months."""

BRIDGE_RESERVE: float = 1.10
"""Bridge capacity / facility MW [ratio]: N+1 with ~10 % spare units (assumption)."""

LOAD_FACTOR: float = 0.80
"""Mean facility draw / facility MW while energised [fraction] (assumption)."""

BATTERY_CAPEX_USD_PER_KW_4H: float = 1842.0
"""Utility-scale 4-hour Li-ion battery, installed [USD/kW, 2022 USD]: NREL ATB 2024, moderate
(via PyPSA/technology-data outputs/US/costs_2025.csv)."""

BATTERY_FOM_FRAC: float = 0.0227
"""Battery fixed O&M [fraction of capex per year]: NREL ATB 2024 (same source)."""

BATTERY_MAX_H: float = 4.0
"""Longest event a battery is sized for [h] (the ATB 4-hour class); longer events curtail."""

REOPT_PRIME_FRACTION: float = 0.75
"""Power-only generator cost / CHP package cost: REopt's default prime-generator rule (NREL
REopt, CHP defaults update, 2026)."""


@dataclass(frozen=True)
class BridgeTech:
    """An on-site bridge generator.

    Attributes
    ----------
    name : str
    capex_usd_per_kw : float
        Installed cost [USD/kW].
    vom_usd_per_mwh : float
        Variable O&M [USD/MWh].
    efficiency : float
        Electric efficiency at full load, fuel LHV to electricity [fraction].
    permit_months, lead_months : float
        Air permit and equipment delivery [months] (they run in parallel).
    source : str
    """

    name: str
    capex_usd_per_kw: float
    vom_usd_per_mwh: float
    efficiency: float
    permit_months: float
    lead_months: float
    source: str

    @property
    def ready_months(self) -> float:
        """Months from decision to power: the longer of permit and delivery, plus a quarter to install."""
        return max(self.permit_months, self.lead_months) + 3.0

    @property
    def fuel_usd_per_mwh(self) -> float:
        """Fuel cost per MWh delivered [USD/MWh]."""
        return GAS_PRICE_USD_PER_MMBTU * MMBTU_PER_MWH / self.efficiency

    @property
    def co2_t_per_mwh(self) -> float:
        """Site CO2 per MWh delivered [t/MWh]."""
        return GAS_CO2_KG_PER_MMBTU * MMBTU_PER_MWH / self.efficiency / 1000.0

    def premium_usd_per_mwh(self, grid_price_usd_per_mwh: float, grid_gco2_per_kwh: float,
                            carbon_usd_per_t: float = 0.0) -> float:
        """Cost of a MWh from the units above the same MWh from the grid [USD/MWh]: fuel and VOM
        minus the grid price, plus (with ``carbon_usd_per_t``) the price of the CO2 above the grid's.

        Examples
        --------
        >>> t = BRIDGE_TECHS["recip-engine"]
        >>> round(t.premium_usd_per_mwh(60.0, 400.0), 2)  # fuel 31.26 + VOM 15 - grid 60
        -13.74
        """
        co2_delta = self.co2_t_per_mwh - grid_gco2_per_kwh / 1000.0  # [t/MWh]
        return (self.fuel_usd_per_mwh + self.vom_usd_per_mwh - grid_price_usd_per_mwh
                + carbon_usd_per_t * co2_delta)


_REOPT = ("NREL REopt.jl data/chp/chp_defaults.json (DOE CHP Technology Fact Sheets), largest size "
          "class, x 0.75 for power only (REopt prime-generator rule)")
BRIDGE_TECHS: dict[str, BridgeTech] = {
    "recip-engine": BridgeTech("recip-engine", 2305.0 * REOPT_PRIME_FRACTION, 15.0, 0.405, 12.0, 18.0,
                               _REOPT + "; permit 12 months: assumption (up to 24 in non-attainment "
                               "zones, facts.md 6); delivery 18 months: assumption (gensets 72-104 "
                               "weeks in 2026, facts.md 6)"),
    "gas-turbine": BridgeTech("gas-turbine", 1980.0 * REOPT_PRIME_FRACTION, 11.0, 0.332, 12.0, 24.0,
                              _REOPT + " (15-25 MW class); permit 12 months, delivery 24 months: "
                              "assumptions (turbine order backlogs)"),
    "fuel-cell": BridgeTech("fuel-cell", 4140.0 * REOPT_PRIME_FRACTION, 40.0, 0.413, 3.0, 12.0,
                            _REOPT + " (1.4-9.3 MW class, natural gas); permit 3 months (no "
                            "combustion permit, as physics.facility BACKUP); delivery 12 months: "
                            "assumption"),
}
"""Bridge generators by id (all on natural gas)."""


@dataclass(frozen=True)
class SiteGrid:
    """What the options of one campus depend on.

    Attributes
    ----------
    site_id : str
    it_mw, pue : float
        IT capacity [MW] and PUE [ratio].
    firm_wait_months : float
        Interconnection wait for firm service [months].
    grid_price_usd_per_mwh, grid_gco2_per_kwh : float
        Mean grid energy price [USD/MWh] and intensity [g/kWh].
    rent_usd_per_kw_month : float
        Value of a kW of energised IT per month [USD/kW-month].
    discount_rate : float
        Annual discount rate [fraction].
    flex_headroom_mw : float
        The balancing area's headroom at the flexible connection's limit [MW] (0 = no flexible
        connection: the region has no shipped load series).
    flex_limit : float
        Curtailment limit of the flexible connection [fraction of annual energy].
    longest_event_h : float
        Longest curtailment event in the reference year [h].
    curtailed_share : float
        Share of the campus's energy curtailed per year at the limit [fraction].
    build_months : float
        Campus build before the grid wait starts counting [months] (the planner's core lead
        time, data/site_tiers.yaml).
    carbon_usd_per_t : float
        Price of the CO2 a path emits above the grid's [USD/t] (0 = not priced).
    """

    site_id: str
    it_mw: float
    pue: float
    firm_wait_months: float
    grid_price_usd_per_mwh: float
    grid_gco2_per_kwh: float
    rent_usd_per_kw_month: float
    discount_rate: float
    flex_headroom_mw: float = 0.0
    flex_limit: float = 0.005
    longest_event_h: float = 0.0
    curtailed_share: float = 0.0
    build_months: float = BUILD_MONTHS
    carbon_usd_per_t: float = 0.0

    @property
    def facility_mw(self) -> float:
        """Facility draw at full IT load [MW]."""
        return self.it_mw * self.pue


@dataclass(frozen=True)
class PowerPath:
    """One way to energise a campus before its firm grid service.

    Attributes
    ----------
    site_id, path : str
        ``firm``, ``flexible``, ``flexible+battery``, ``bridge:<tech>``, ``bridge:<tech>+flexible``.
    first_power_month : float
        Months from the decision to first capacity [months].
    firm_month : float
        Months to firm service [months].
    months_earlier : float
        Firm month minus first-power month [months].
    capex_usd : float
        Option capex (bridge units, battery) [USD].
    npv_usd : float
        Present value gained over the firm path [USD].
    co2_t : float
        CO2 of the campus's energy before firm service, minus what the grid would have emitted
        for the same energy [t] (> 0 = the bridge emits more).
    curtailed_mwh : float
        Campus energy curtailed before firm service [MWh].
    feasible : bool
    note : str
    """

    site_id: str
    path: str
    first_power_month: float
    firm_month: float
    months_earlier: float
    capex_usd: float
    npv_usd: float
    co2_t: float
    curtailed_mwh: float
    feasible: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)


def lost_share(curtailed_share: float, longest_event_h: float, battery: bool) -> float:
    """Share of a flexible campus's energy (and rent) lost to curtailment [fraction].

    Without a battery the whole curtailed share is lost; a battery of `BATTERY_MAX_H` hours
    carries the campus through that fraction of the longest event (the rest is curtailed).

    Examples
    --------
    >>> lost_share(0.005, 8.0, battery=True), lost_share(0.005, 3.0, battery=True)
    (0.0025, 0.0)
    """
    if not battery:
        return curtailed_share
    carried = min(longest_event_h, BATTERY_MAX_H) / max(longest_event_h, 1e-9)
    return curtailed_share * (1.0 - min(carried, 1.0))


def bridge_backup_credit_usd_per_kw(tech: BridgeTech) -> float:
    """Credit per kW of bridge units once the grid arrives [USD/kW]: they become the campus's
    backup, so the diesel plant (`coredge.physics.facility.BACKUP`) is not bought; at most the
    units' own cost."""
    from coredge.physics.facility import BACKUP

    return min(tech.capex_usd_per_kw, BACKUP["diesel"].capex_usd_per_kw)


def _df(months: np.ndarray, rate: float) -> np.ndarray:
    return np.asarray((1.0 + rate) ** (-months / 12.0), dtype=np.float64)


def _stream(start: float, end: float, rate: float, usd_per_month: float) -> float:
    """Present value of a constant monthly amount from month ``start`` to ``end`` (mid-month)."""
    if end <= start:
        return 0.0
    m = np.arange(np.floor(start), np.ceil(end)) + 0.5
    w = np.clip(np.minimum(m + 0.5, end) - np.maximum(m - 0.5, start), 0.0, 1.0)
    return float(np.sum(w * usd_per_month * _df(m, rate)))


def _check_site(s: SiteGrid) -> None:
    for name in ("it_mw", "pue", "rent_usd_per_kw_month"):
        v = getattr(s, name)
        if not (np.isfinite(v) and v > 0):
            raise InputError.of(name, v, "> 0")
    if not (np.isfinite(s.firm_wait_months) and s.firm_wait_months >= 0):
        raise InputError.of("firm_wait_months", s.firm_wait_months, ">= 0 months")
    if not 0 <= s.discount_rate < 1:
        raise InputError.of("discount_rate", s.discount_rate, "a rate in [0, 1)")


def evaluate_site(site: SiteGrid) -> list[PowerPath]:
    """Every power path of one campus with its time to first capacity and NPV over firm.

    Examples
    --------
    >>> s = SiteGrid("a", 100.0, 1.2, 60.0, 60.0, 400.0, 138.9, 0.08, 5000.0, 0.005, 6.0, 0.005)
    >>> paths = {p.path: p for p in evaluate_site(s)}
    >>> paths["firm"].first_power_month, paths["flexible"].first_power_month
    (81.0, 27.0)
    >>> paths["flexible"].npv_usd > 0
    True
    """
    _check_site(site)
    build = site.build_months
    firm = build + site.firm_wait_months  # the planner's online date: lead time + grid wait
    r = site.discount_rate
    fac_mw = site.facility_mw
    rent_month = site.rent_usd_per_kw_month * site.it_mw * 1000.0
    mwh_month = fac_mw * LOAD_FACTOR * 730.0
    out = [PowerPath(site.site_id, "firm", firm, firm, 0.0, 0.0, 0.0, 0.0, 0.0, True, "reference")]

    flex_ok = site.flex_headroom_mw >= fac_mw > 0
    flex_start = build + min(FLEX_WAIT_MONTHS, site.firm_wait_months)
    flex_note = ("" if flex_ok else
                 "no shipped load series for the region" if site.flex_headroom_mw <= 0 else
                 f"campus {fac_mw:.0f} MW above the BA headroom {site.flex_headroom_mw:.0f} MW")
    curtailed_share = site.curtailed_share if flex_ok else 0.0

    def flex_value(start: float, battery: bool) -> tuple[float, float, float]:
        """(NPV, capex, curtailed MWh) of the flexible phase from ``start`` to firm."""
        if not flex_ok or start >= firm:
            return 0.0, 0.0, 0.0
        months = firm - start
        if battery:
            capex = fac_mw * 1000.0 * BATTERY_CAPEX_USD_PER_KW_4H
            fom = capex * BATTERY_FOM_FRAC / 12.0
            lost = lost_share(curtailed_share, site.longest_event_h, battery=True)
            v = _stream(start, firm, r, rent_month * (1.0 - lost) - fom) - capex * _df(np.array([start]), r)[0]
            return v, capex, lost * mwh_month * months
        v = _stream(start, firm, r, rent_month * (1.0 - curtailed_share))
        return v, 0.0, curtailed_share * mwh_month * months

    for battery in (False, True):
        v, capex, curt = flex_value(flex_start, battery)
        name = "flexible+battery" if battery else "flexible"
        out.append(PowerPath(site.site_id, name, flex_start if flex_ok else firm, firm,
                             max(firm - flex_start, 0.0) if flex_ok else 0.0, capex, v, 0.0, curt,
                             flex_ok and flex_start < firm, flex_note))

    for tech in BRIDGE_TECHS.values():
        start = max(tech.ready_months, build)  # permits and delivery run during the build
        for then_flex in (False, True):
            if then_flex and not (flex_ok and flex_start < firm and flex_start > start):
                continue
            bridge_end = flex_start if then_flex else firm
            feasible = start < bridge_end
            kw = fac_mw * 1000.0 * BRIDGE_RESERVE
            capex = kw * tech.capex_usd_per_kw
            co2_delta = tech.co2_t_per_mwh - site.grid_gco2_per_kwh / 1000.0  # [t/MWh]
            premium = tech.premium_usd_per_mwh(site.grid_price_usd_per_mwh, site.grid_gco2_per_kwh,
                                               site.carbon_usd_per_t)
            v = _stream(start, bridge_end, r, rent_month - premium * mwh_month)
            v -= capex * _df(np.array([start]), r)[0]
            # after the grid arrives the units are the campus's backup: the diesel plant not bought
            v += bridge_backup_credit_usd_per_kw(tech) * kw * _df(np.array([firm]), r)[0]
            months = max(bridge_end - start, 0.0)
            co2 = co2_delta * mwh_month * months
            curt = 0.0
            if then_flex:
                fv, _, curt = flex_value(flex_start, False)
                v += fv
            name = f"bridge:{tech.name}" + ("+flexible" if then_flex else "")
            out.append(PowerPath(site.site_id, name, start if feasible else firm, firm,
                                 max(firm - start, 0.0) if feasible else 0.0, capex if feasible else 0.0,
                                 v if feasible else 0.0, co2 if feasible else 0.0, curt, feasible,
                                 "" if feasible else "not ready before the grid"))
    return out


def best_path(paths: list[PowerPath]) -> PowerPath:
    """The feasible path of largest NPV (the firm path when none adds value)."""
    ok = [p for p in paths if p.feasible]
    return max(ok, key=lambda p: (p.npv_usd, -p.first_power_month))


PATH_KINDS: tuple[str, ...] = ("flexible", "flexible+battery", "bridge", "bridge+flexible")
"""The kinds of path the planner may choose besides firm service (``power.paths``)."""


def path_kind(path: str) -> str:
    """The kind of a path name (``bridge:recip-engine+flexible`` -> ``bridge+flexible``)."""
    if path.startswith("bridge:"):
        return "bridge+flexible" if path.endswith("+flexible") else "bridge"
    return path


def planner_terms(site: SiteGrid, kinds: tuple[str, ...] = PATH_KINDS) -> list[dict[str, Any]]:
    """What the planner needs of each feasible path of one campus, per MW of IT.

    One record per feasible non-firm path whose kind is in ``kinds``, with the stage months
    (``first_month``: first power; ``flex_month``: start of the flexible connection, NaN when
    none; ``firm_month``) and the per-MW terms the planner charges (`coredge.plan.power_paths`):

    * ``bridge_capex_usd_per_mw``: bridge units (N+1 reserve x facility MW / IT MW) [USD/MW IT],
      paid for capacity installed before the bridge ends; ``bridge_credit_usd_per_mw``: the
      avoided diesel backup, credited at firm service [USD/MW IT];
    * ``bridge_premium_usd_per_mwh``: fuel, VOM (and priced CO2) above the grid
      (`BridgeTech.premium_usd_per_mwh`) per facility MWh in the bridge years [USD/MWh];
    * ``curtail_usd_per_mw_year``: rent lost to curtailment in the flexible years
      (`lost_share` x rent x 12,000) [USD/(MW IT year)];
    * ``battery_capex_usd_per_mw``, ``battery_fom_usd_per_mw_year``: the battery at facility MW
      [USD/MW IT, USD/(MW IT year)];
    * ``co2_t_per_mwh``: bridge CO2 above the grid's per facility MWh [t/MWh];
    * ``max_it_mw``: largest campus the path allows (flexible: the BA headroom / PUE) [MW];
    * ``npv_usd_per_mw``: `evaluate_site`'s NPV gain over firm per MW of ``site.it_mw``, used to
      keep one path per first-power year (`coredge.power.planner_paths`).

    Examples
    --------
    >>> s = SiteGrid("a", 100.0, 1.2, 60.0, 60.0, 400.0, 138.9, 0.08, 5000.0, 0.005, 6.0, 0.005)
    >>> sorted(t["path"] for t in planner_terms(s))[:3]
    ['bridge:fuel-cell', 'bridge:fuel-cell+flexible', 'bridge:gas-turbine']
    """
    paths = {p.path: p for p in evaluate_site(site) if p.feasible and p.path != "firm"}
    fac_per_it = site.pue
    rent_mw_year = site.rent_usd_per_kw_month * 1000.0 * 12.0
    flex_month = site.build_months + min(FLEX_WAIT_MONTHS, site.firm_wait_months)
    firm = site.build_months + site.firm_wait_months
    out: list[dict[str, Any]] = []
    for name, p in paths.items():
        kind = path_kind(name)
        if kind not in kinds:
            continue
        t: dict[str, Any] = {
            "site_id": site.site_id, "path": name, "kind": kind, "first_month": p.first_power_month,
            "flex_month": flex_month if "flexible" in kind else float("nan"), "firm_month": firm,
            "bridge_capex_usd_per_mw": 0.0, "bridge_credit_usd_per_mw": 0.0,
            "bridge_premium_usd_per_mwh": 0.0, "co2_t_per_mwh": 0.0,
            "curtail_usd_per_mw_year": 0.0, "battery_capex_usd_per_mw": 0.0,
            "battery_fom_usd_per_mw_year": 0.0,
            "max_it_mw": site.flex_headroom_mw / site.pue if "flexible" in kind else float("inf"),
            "npv_usd_per_mw": p.npv_usd / site.it_mw,
        }
        if kind.startswith("bridge"):
            tech = BRIDGE_TECHS[name.split(":", 1)[1].removesuffix("+flexible")]
            kw_per_mw = 1000.0 * fac_per_it * BRIDGE_RESERVE
            t["bridge_capex_usd_per_mw"] = kw_per_mw * tech.capex_usd_per_kw
            t["bridge_credit_usd_per_mw"] = kw_per_mw * bridge_backup_credit_usd_per_kw(tech)
            t["bridge_premium_usd_per_mwh"] = tech.premium_usd_per_mwh(
                site.grid_price_usd_per_mwh, site.grid_gco2_per_kwh, site.carbon_usd_per_t)
            t["co2_t_per_mwh"] = tech.co2_t_per_mwh - site.grid_gco2_per_kwh / 1000.0
        if "flexible" in kind:
            battery = kind == "flexible+battery"
            t["curtail_usd_per_mw_year"] = lost_share(site.curtailed_share, site.longest_event_h, battery) * rent_mw_year
            if battery:
                t["battery_capex_usd_per_mw"] = 1000.0 * fac_per_it * BATTERY_CAPEX_USD_PER_KW_4H
                t["battery_fom_usd_per_mw_year"] = t["battery_capex_usd_per_mw"] * BATTERY_FOM_FRAC
        out.append(t)
    return out
