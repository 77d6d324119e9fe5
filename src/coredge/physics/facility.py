"""Facility model: PUE by tier, cooling and climate; cooling choice and capex; backup power;
grid interconnection wait; water use.

PUE model (documented approximation)
------------------------------------
``PUE = 1 + electrical_loss(tier) + mean over 12 months of cooling_overhead(cooling, T_month)
+ air_density_penalty(rack_kw)`` with

* ``electrical_loss``: UPS, transformer, distribution and lighting losses as a share of IT load:
  core 0.05, regional 0.08, micro 0.12 (assumption: large sites use higher-efficiency UPS and
  medium-voltage distribution).
* ``cooling_overhead(T) = base + slope * max(0, T - free_below_c)``: below ``free_below_c`` the
  site cools with outside air / dry coolers only; above it chillers (or evaporative assist) work
  harder per degree. Parameters per cooling type in `COOLING` (assumptions).
* ``T_month = T_mean + A cos(2 pi (month - 7) / 12)`` (peak in July; January south of the
  equator) with seasonal amplitude ``A = 2 + 0.28 |lat|`` deg C (assumption: a zonal fit that
  is right for continental US sites, e.g. Dallas ~11, Minneapolis ~15, and too large for
  maritime climates; pass ``seasonal_amplitude_c`` to override).
* ``T_mean``: given, or the US state's 1971-2000 normal (``state_climate.json``), or from
  latitude ``27 cos^2(lat)`` deg C (zonal approximation, within ~3 deg C for most US sites).
* air cooling above 20 kW/rack costs ``0.004`` PUE per extra kW (more fan and chiller work,
  colder supply air; assumption) and is refused above 35 kW/rack (air handles ~30-40 kW/rack).

With these, the tier archetypes' PUEs (core 1.18 liquid, regional 1.35 rear-door, micro 1.5 air;
`coredge.data.load_tiers`) are reproduced within ~0.1 across the continental US, and the
anchors of facts.md §3b hold: new large facilities 1.3 or better, Google fleet 1.1 (cool
climates, best practice), industry average 1.56 (older air-cooled stock).

Backup power (facts.md §6)
--------------------------
Diesel generators versus hydrogen PEM fuel cells, sized N+1 on the facility load: `BACKUP`.
Interconnection wait by size and state: `interconnection_wait_months`.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]

TIERS: tuple[str, ...] = ("core", "regional", "micro")

ELECTRICAL_LOSS_FRAC: dict[str, float] = {"core": 0.05, "regional": 0.08, "micro": 0.12}
"""UPS + distribution + lighting losses by tier [fraction of IT load] (assumption)."""


@dataclass(frozen=True)
class CoolingSpec:
    """One cooling technology.

    Attributes
    ----------
    base_frac : float
        Cooling energy per unit IT energy with free cooling [fraction].
    free_below_c : float
        Monthly mean outdoor temperature up to which free cooling suffices [deg C].
    slope_per_c : float
        Extra cooling energy per degree above ``free_below_c`` [fraction / deg C].
    max_rack_kw : float
        Highest rack density it handles [kW/rack].
    capex_mult : float
        Cooling capex relative to air cooling [ratio].
    wue_l_per_kwh : float
        Site water use per kWh of IT energy [L/kWh].
    """

    base_frac: float
    free_below_c: float
    slope_per_c: float
    max_rack_kw: float
    capex_mult: float
    wue_l_per_kwh: float


COOLING: dict[str, CoolingSpec] = {
    # All assumptions, anchored on facts.md §3b PUE ranges. Warmer supply water lets liquid
    # cooling run on dry coolers (free cooling) in warmer months. WUE: air with evaporative
    # assist ~1.8 L/kWh (commonly cited industry average, assumption); liquid loops with dry
    # coolers use little water.
    "air": CoolingSpec(0.22, 10.0, 0.012, 35.0, 1.00, 1.8),
    "rear-door": CoolingSpec(0.17, 14.0, 0.009, 60.0, 1.15, 1.0),
    "direct-liquid": CoolingSpec(0.10, 20.0, 0.006, 150.0, 1.35, 0.3),
    "immersion": CoolingSpec(0.05, 25.0, 0.005, 250.0, 1.50, 0.1),
}
"""Cooling technologies by id."""

AIR_DENSITY_PENALTY_FROM_KW: float = 20.0
AIR_DENSITY_PENALTY_PER_KW: float = 0.004

FACILITY_CAPEX_SPLIT: dict[str, float] = {
    # Vertiv 2023 split of modular data-center cost via hvac.best (facts.md §3a, secondary):
    # power 25-35%, cooling 30-45%, structure 15-20%, controls 5-10%; midpoints, the rest
    # (7.5%) "other" (fit-out, commissioning).
    "power": 0.30,
    "cooling": 0.375,
    "structure": 0.175,
    "controls": 0.075,
    "other": 0.075,
}
"""Share of facility capex by component, for air cooling and diesel backup [fraction]."""

AVG_FACILITY_CAPEX_USD_PER_MW: float = 11.7e6
"""US average shell+core capex per MW critical load [USD/MW] (Cushman & Wakefield 2025)."""


def _check(table: dict[str, Any], key: str, field: str) -> None:
    if key not in table:
        raise InputError.of(field, key, "one of: " + ", ".join(table))


@functools.cache
def _state_climate() -> dict[str, dict[str, float]]:
    text = resources.files("coredge.physics").joinpath("state_climate.json").read_text("utf-8")
    states: dict[str, dict[str, float]] = json.loads(text)["states"]
    return states


def state_climate(state: str) -> tuple[float, float]:
    """Mean annual temperature [deg C] and latitude [deg N] of a US state (USPS code).

    Examples
    --------
    >>> state_climate("TX")
    (18.22, 31.5)
    """
    table = _state_climate()
    key = state.strip().upper() if isinstance(state, str) else state
    if key not in table:
        raise InputError.of("--state", state, "a USPS state code (e.g. TX, VA, DC)")
    row = table[key]
    return float(row["mean_temp_c"]), float(row["lat"])


def mean_temp_from_lat(lat: float | FloatArray) -> FloatArray:
    """Zonal approximation of the mean annual temperature at a latitude [deg C].

    ``27 cos^2(lat)``: 27 at the equator, ~20 at 31 N (Dallas 19), ~13 at 45 N.

    Examples
    --------
    >>> round(float(mean_temp_from_lat(31.0)), 1)
    19.8
    """
    return np.asarray(27.0 * np.cos(np.radians(np.asarray(lat, dtype=np.float64))) ** 2)


def monthly_temps_c(
    mean_temp_c: float, lat: float = 38.0, seasonal_amplitude_c: float | None = None
) -> FloatArray:
    """Twelve monthly mean temperatures from an annual mean and latitude [deg C].

    Parameters
    ----------
    mean_temp_c : float
        Annual mean [deg C].
    lat : float
        Latitude [deg N; negative south]: sets the amplitude and the warm season.
    seasonal_amplitude_c : float, optional
        Half the warmest-coldest month difference [deg C]; default ``2 + 0.28 |lat|``.

    Examples
    --------
    >>> t = monthly_temps_c(15.0, 40.0)
    >>> round(float(t.mean()), 6), round(float(t.max() - t.min()), 1)
    (15.0, 26.4)
    """
    amp = 2.0 + 0.28 * abs(lat) if seasonal_amplitude_c is None else seasonal_amplitude_c
    months = np.arange(1, 13, dtype=np.float64)
    phase = 7.0 if lat >= 0 else 1.0
    return np.asarray(mean_temp_c + amp * np.cos(2.0 * np.pi * (months - phase) / 12.0))


def cooling_overhead_frac(cooling: str, temp_c: float | FloatArray) -> FloatArray:
    """Cooling energy per unit IT energy at an outdoor temperature [fraction].

    Examples
    --------
    >>> round(float(cooling_overhead_frac("air", 20.0)), 3)
    0.34
    """
    _check(COOLING, cooling, "--cooling")
    c = COOLING[cooling]
    t = np.asarray(temp_c, dtype=np.float64)
    return np.asarray(c.base_frac + c.slope_per_c * np.maximum(0.0, t - c.free_below_c))


def cooling_for_density(rack_kw: float) -> str:
    """Cooling technology for a rack density: air up to 35 kW, rear-door up to 60, else
    direct liquid (immersion only on request).

    Examples
    --------
    >>> cooling_for_density(15), cooling_for_density(45), cooling_for_density(120)
    ('air', 'rear-door', 'direct-liquid')
    """
    if not rack_kw > 0:
        raise InputError.of("rack_kw", rack_kw, "a positive rack density in kW")
    for name in ("air", "rear-door", "direct-liquid", "immersion"):
        if rack_kw <= COOLING[name].max_rack_kw:
            return name
    raise InputError.of("rack_kw", rack_kw, "at most 250 kW/rack")


def pue(
    tier: str,
    cooling: str,
    mean_temp_c: float | None = None,
    *,
    lat: float | None = None,
    rack_kw: float | None = None,
    seasonal_amplitude_c: float | None = None,
) -> float:
    """Annual PUE of a site (see the module docstring for the model).

    Parameters
    ----------
    tier : str
        ``core``, ``regional`` or ``micro``.
    cooling : str
        ``air``, ``rear-door``, ``direct-liquid`` or ``immersion``.
    mean_temp_c : float, optional
        Annual mean outdoor temperature [deg C]; from ``lat`` when omitted.
    lat : float, optional
        Latitude [deg N]: seasonal amplitude (default 38, the continental US middle) and, without
        ``mean_temp_c``, the mean temperature.
    rack_kw : float, optional
        Rack density [kW/rack]: air-cooling penalty above 20 kW; refused beyond a technology's
        limit.
    seasonal_amplitude_c : float, optional
        Override of the seasonal amplitude [deg C].

    Returns
    -------
    float
        PUE [ratio >= 1].

    Examples
    --------
    >>> round(pue("regional", "air", 15.0), 2)
    1.38
    >>> round(pue("core", "direct-liquid", lat=47.5), 2)
    1.16
    """
    _check(ELECTRICAL_LOSS_FRAC, tier, "--tier")
    _check(COOLING, cooling, "--cooling")
    if mean_temp_c is None and lat is None:
        raise InputError.of("mean_temp_c", None, "a mean temperature in deg C or a latitude")
    la = 38.0 if lat is None else float(lat)
    t_mean = float(mean_temp_from_lat(la)) if mean_temp_c is None else float(mean_temp_c)
    months = monthly_temps_c(t_mean, la, seasonal_amplitude_c)
    overhead = ELECTRICAL_LOSS_FRAC[tier] + float(cooling_overhead_frac(cooling, months).mean())
    if rack_kw is not None:
        if rack_kw > COOLING[cooling].max_rack_kw:
            raise InputError.of(
                "--cooling",
                cooling,
                f"{cooling} handles at most {COOLING[cooling].max_rack_kw:g} kW/rack "
                f"(got {rack_kw:g}); use one of: "
                + ", ".join(n for n, c in COOLING.items() if c.max_rack_kw >= rack_kw),
            )
        if cooling == "air":
            overhead += AIR_DENSITY_PENALTY_PER_KW * max(0.0, rack_kw - AIR_DENSITY_PENALTY_FROM_KW)
    return 1.0 + overhead


def facility_mw(it_mw: float | FloatArray, pue_: float | FloatArray) -> FloatArray:
    """Facility (grid) power from IT power and PUE [MW].

    Examples
    --------
    >>> float(facility_mw(10.0, 1.3))
    13.0
    """
    it = np.asarray(it_mw, dtype=np.float64)
    p = np.asarray(pue_, dtype=np.float64)
    if np.any(it < 0) or np.any(p < 1.0):
        raise InputError.of("it_mw/pue", (it_mw, pue_), "IT MW >= 0 and PUE >= 1")
    return np.asarray(it * p)


def cooling_capex_usd_per_mw(
    cooling: str, facility_capex_usd_per_mw: float = AVG_FACILITY_CAPEX_USD_PER_MW
) -> float:
    """Cooling capex per MW of IT capacity [USD/MW].

    The cooling share (37.5%, `FACILITY_CAPEX_SPLIT`) of an air-cooled facility's capex,
    times the technology's capex multiplier.

    Examples
    --------
    >>> round(cooling_capex_usd_per_mw("air") / 1e6, 2)
    4.39
    """
    _check(COOLING, cooling, "--cooling")
    return facility_capex_usd_per_mw * FACILITY_CAPEX_SPLIT["cooling"] * COOLING[cooling].capex_mult


@dataclass(frozen=True)
class BackupSpec:
    """A backup-power technology (see `BACKUP` for sources).

    Attributes
    ----------
    capex_usd_per_kw : float
        Installed cost [USD/kW].
    unit_kw : float
        Size of one unit (generator, fuel-cell module) [kW].
    fuel_per_kwh : float
        Fuel per kWh delivered [gal diesel or kg H2 per kWh].
    fuel_unit : str
        ``gal`` or ``kg``.
    fuel_price_usd : float
        Price per fuel unit [USD].
    co2_kg_per_fuel_unit : float
        Site (tailpipe) emissions per fuel unit [kg CO2].
    upstream_co2_kg_per_fuel_unit : float
        Emissions of making the fuel [kg CO2] (grey hydrogen for fuel cells).
    om_usd_per_kw_year : float
        Fixed maintenance [USD/kW-year].
    start_time_s : float
        Time to carry load [s].
    permit_months : float
        Typical air-permit time [months].
    lead_time_weeks : float
        Equipment lead time [weeks].
    unit_kw_options : tuple of float
        Unit sizes on offer [kW]; the plant takes the one that needs the least installed kW for
        N+1 (`backup_plant`). Empty: ``unit_kw`` only.
    """

    capex_usd_per_kw: float
    unit_kw: float
    fuel_per_kwh: float
    fuel_unit: str
    fuel_price_usd: float
    co2_kg_per_fuel_unit: float
    upstream_co2_kg_per_fuel_unit: float
    om_usd_per_kw_year: float
    start_time_s: float
    permit_months: float
    lead_time_weeks: float
    unit_kw_options: tuple[float, ...] = ()


BACKUP: dict[str, BackupSpec] = {
    "diesel": BackupSpec(
        capex_usd_per_kw=600.0,  # assumption: not in facts.md §6 (MW-class quotes "$1 M or more")
        unit_kw=2_000.0,  # 2,000 kW class unit (generatorsource.com)
        fuel_per_kwh=150.0 / 2_000.0,  # >150 gal/h at 2,000 kW full load (generatorsource.com)
        fuel_unit="gal",
        fuel_price_usd=3.90,  # assumption: US diesel ~$3.9/gal (2024)
        co2_kg_per_fuel_unit=10.19,  # EIA CO2 coefficient for diesel: 10.19 kg/gal
        upstream_co2_kg_per_fuel_unit=0.0,  # not counted (assumption)
        om_usd_per_kw_year=15.0,  # assumption
        start_time_s=10.0,  # NFPA 110 Type 10 (10 s to carry load)
        permit_months=12.0,  # assumption; up to 24 in non-attainment zones (secondwatt 2026)
        lead_time_weeks=34.0,  # 30-38 weeks (C&W Oct 2024); 72-104 weeks in 2026 (secondwatt)
        # standby ratings on offer from 100 kW to the 2,000 kW class (assumption: the common
        # standby genset ratings of the large manufacturers' product ranges)
        unit_kw_options=(100.0, 250.0, 500.0, 750.0, 1_000.0, 1_500.0, 2_000.0),
    ),
    "fuel-cell": BackupSpec(
        # assumption between DOE's $6,100/kW (2015 status) and $1,000/kW (2020 target) for
        # 1-10 kW systems; MW-scale PEM (Microsoft + Plug, 3 MW, 2022) price not published.
        capex_usd_per_kw=3_000.0,
        unit_kw=125.0,  # 125 kW modules (Microsoft/Plug 3 MW system: 18 x 125 kW per container)
        # H2 LHV 33.3 kWh/kg at 55% efficiency (DOE: 50 -> 60%): 1 / (33.3 x 0.55) kg/kWh
        fuel_per_kwh=1.0 / (33.3 * 0.55),
        fuel_unit="kg",
        fuel_price_usd=8.0,  # assumption: delivered H2 ~$8/kg
        co2_kg_per_fuel_unit=0.0,  # no combustion: water only at site
        upstream_co2_kg_per_fuel_unit=10.0,  # assumption: grey (SMR) hydrogen ~9-11 kg CO2/kg
        om_usd_per_kw_year=20.0,  # DOE 2020 target $20/kW-yr (2015 status $30)
        start_time_s=15.0,  # DOE target (60 s status); battery-hybridised for no-break
        permit_months=3.0,  # assumption: no combustion air permit
        lead_time_weeks=40.0,  # assumption
    ),
}
"""Backup technologies by id."""

BACKUP_ALIASES: dict[str, str] = {"battery+diesel": "diesel", "generator": "diesel"}


def backup_id(name: str, field: str = "--backup") -> str:
    """Canonical backup id (``diesel`` or ``fuel-cell``; tier names like ``battery+diesel``
    map to ``diesel``, UPS batteries being part of the electrical plant)."""
    key = BACKUP_ALIASES.get(name, name)
    _check(BACKUP, key, field)
    return key


@dataclass(frozen=True)
class BackupCost:
    """Backup plant sized N+1 and what it costs and emits.

    Attributes
    ----------
    technology : str
        ``diesel`` or ``fuel-cell``.
    units : int
        Units installed (N + 1).
    unit_kw, installed_kw : float
        Size of one unit and of the plant [kW].
    capex_usd : float
        Installed cost [USD].
    om_usd_per_year : float
        Fixed maintenance [USD/year].
    fuel_usd_per_run_hour : float
        Fuel cost per hour at the critical load [USD/h].
    co2_t_per_run_hour : float
        Site emissions per hour at the critical load [t CO2/h].
    upstream_co2_t_per_run_hour : float
        Fuel-production emissions per hour [t CO2/h].
    annual_cost_usd : float
        Maintenance + fuel for ``run_hours_per_year`` [USD/year].
    start_time_s, permit_months, lead_time_weeks : float
        As in `BackupSpec`.
    """

    technology: str
    units: int
    unit_kw: float
    installed_kw: float
    capex_usd: float
    om_usd_per_year: float
    fuel_usd_per_run_hour: float
    co2_t_per_run_hour: float
    upstream_co2_t_per_run_hour: float
    annual_cost_usd: float
    start_time_s: float
    permit_months: float
    lead_time_weeks: float


def backup_units(critical_kw: float, unit_kw: float) -> int:
    """Units for N+1 redundancy: enough to carry the load with one unit out [count].

    Examples
    --------
    >>> backup_units(10_000.0, 2_000.0), backup_units(10_001.0, 2_000.0)
    (6, 7)
    """
    if critical_kw < 0 or unit_kw <= 0:
        raise InputError.of("critical_kw", critical_kw, "a non-negative load in kW")
    return math.ceil(critical_kw / unit_kw - 1e-9) + 1


def backup_plant(critical_kw: float, technology: str = "diesel") -> tuple[float, int]:
    """Unit size and count of an N+1 plant sized to the load [kW], [count].

    The largest unit on offer that is at most half the load (at least two duty units, as few
    units as that allows), else the smallest; plus one spare (`backup_units`). A 1 MW site gets
    four 500 kW units, not two 2 MW ones.

    Examples
    --------
    >>> backup_plant(1_025.0), backup_plant(13_000.0), backup_plant(100.0)
    ((500.0, 4), (2000.0, 8), (100.0, 2))
    """
    s = BACKUP[backup_id(technology)]
    sizes = sorted(s.unit_kw_options or (s.unit_kw,))
    fit = [u for u in sizes if u <= critical_kw / 2.0]
    best = fit[-1] if fit else sizes[0]
    return best, backup_units(critical_kw, best)


def backup_cost(
    critical_kw: float, technology: str = "diesel", run_hours_per_year: float = 20.0
) -> BackupCost:
    """Size an N+1 backup plant for a critical load (`backup_plant`) and price it.

    Parameters
    ----------
    critical_kw : float
        Load the plant must carry (facility load incl. cooling) [kW].
    technology : str
        ``diesel`` or ``fuel-cell``.
    run_hours_per_year : float
        Hours of operation per year incl. tests [h] (assumption: 20 h of monthly tests +
        outages; ISO 8528 emergency standby allows up to 200 h/yr).

    Examples
    --------
    >>> b = backup_cost(13_000.0, "diesel")
    >>> b.units, b.installed_kw, round(b.co2_t_per_run_hour, 1)
    (8, 16000.0, 9.9)
    """
    tech = backup_id(technology)
    s = BACKUP[tech]
    unit_kw, n = backup_plant(critical_kw, tech)
    installed = n * unit_kw
    fuel_per_h = critical_kw * s.fuel_per_kwh
    fuel_usd = fuel_per_h * s.fuel_price_usd
    om = installed * s.om_usd_per_kw_year
    return BackupCost(
        technology=tech,
        units=n,
        unit_kw=unit_kw,
        installed_kw=installed,
        capex_usd=installed * s.capex_usd_per_kw,
        om_usd_per_year=om,
        fuel_usd_per_run_hour=fuel_usd,
        co2_t_per_run_hour=fuel_per_h * s.co2_kg_per_fuel_unit / 1000.0,
        upstream_co2_t_per_run_hour=fuel_per_h * s.upstream_co2_kg_per_fuel_unit / 1000.0,
        annual_cost_usd=om + fuel_usd * run_hours_per_year,
        start_time_s=s.start_time_s,
        permit_months=s.permit_months,
        lead_time_weeks=s.lead_time_weeks,
    )


INTERCONNECTION_BASE_MONTHS: tuple[tuple[float, float, str], ...] = (
    (1.0, 6.0, "assumption: distribution-level service"),
    (20.0, 18.0, "assumption: substation work"),
    (100.0, 36.0, "assumption; >50 MW often needs a transmission-level study >= 1 yr"),
    (math.inf, 48.0, "national average 4 years (JLL 2026 Global Data Center Outlook)"),
)
"""(upper MW bound, months, source) of the base wait by load size."""

INTERCONNECTION_STATE_FACTOR: dict[str, float] = {
    # Dominion (N. Virginia): loads > 100 MW wait 4-7 years; 100 MW ~7 years (JLL 2026,
    # Bloomberg 2024): 7 / 4 = 1.75 over the national average.
    "VA": 1.75,
}
"""Multiplier on the base wait by state (others 1.0: assumption)."""


def interconnection_wait_months(load_mw: float, state: str | None = None) -> float:
    """Expected wait for a grid connection of a new load [months].

    Examples
    --------
    >>> interconnection_wait_months(200.0), interconnection_wait_months(200.0, "VA")
    (48.0, 84.0)
    """
    if not load_mw > 0:
        raise InputError.of("load_mw", load_mw, "a positive load in MW")
    base = next(m for upper, m, _ in INTERCONNECTION_BASE_MONTHS if load_mw <= upper)
    factor = INTERCONNECTION_STATE_FACTOR.get(state.upper(), 1.0) if state else 1.0
    return base * factor


def water_m3_per_year(it_mw: float, cooling: str, utilisation_frac: float = 1.0) -> float:
    """Site water use of a year at a mean IT load [m3/year] (WUE x IT energy).

    Examples
    --------
    >>> round(water_m3_per_year(10.0, "air"))
    157680
    """
    _check(COOLING, cooling, "--cooling")
    it_kwh = it_mw * 1000.0 * 8760.0 * utilisation_frac
    return it_kwh * COOLING[cooling].wue_l_per_kwh / 1000.0
