"""Site summary: a tier archetype of a given IT size in a US state, with its cooling and backup.

Orchestrates `coredge.physics.facility` and `coredge.physics.carbon` with the tier archetypes,
state electricity prices and grid intensities of `coredge.data`:

* PUE from tier, cooling, the state's climate and the tier's rack density;
* capex by component (shell, electrical, mechanical, backup, land, soft, IT) from the facility
  cost curve of `coredge.physics.facility_cost` at the site's size and cooling (economies of
  scale, cooling premium; ``data/market_construction_cost.csv``), the backup plant sized N+1 on
  the facility load with units sized to it, and the IT of the default accelerator;
* annual energy, its cost at the state's industrial price (EIA 2023) and its location-based
  emissions (eGRID2022), at a mean IT load ``it_load_frac`` (default 0.8: assumption);
* backup plant sized N+1 on the facility load; grid interconnection wait; water use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from coredge.errors import InputError
from coredge.physics import facility, facility_cost
from coredge.physics.carbon import emissions_t
from coredge.units import HOURS_PER_YEAR

DEFAULT_IT_LOAD_FRAC: float = 0.8
"""Mean IT load as a share of IT capacity (assumption: AI fleets run busy)."""

DEFAULT_GPU: str = "h100"
"""Accelerator whose servers price the IT component (the default scenario's ``hardware.gpu``)."""


@dataclass(frozen=True)
class SiteReport:
    """Result of `site_report` (units in names)."""

    tier: str
    state: str
    it_mw: float
    cooling: str
    backup: str
    rack_kw: float
    mean_temp_c: float
    pue: float
    facility_mw: float
    it_load_frac: float
    capex_usd: dict[str, float]
    capex_usd_per_mw: dict[str, float]
    facility_capex_usd_per_mw: float
    capex_total_usd: float
    annual_energy_mwh: float
    price_usd_per_mwh: float
    annual_energy_cost_usd: float
    grid_gco2_per_kwh: float
    annual_co2_t: float
    backup_units: int
    backup_installed_kw: float
    backup_capex_usd: float
    backup_annual_cost_usd: float
    backup_co2_t_per_run_hour: float
    backup_start_time_s: float
    backup_permit_months: float
    interconnection_wait_months: float
    water_m3_per_year: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON)."""
        return asdict(self)


def site_report(
    tier: str,
    it_mw: float,
    state: str,
    cooling: str | None = None,
    backup: str | None = None,
    *,
    rack_kw: float | None = None,
    it_load_frac: float = DEFAULT_IT_LOAD_FRAC,
    backup_run_hours_per_year: float = 20.0,
) -> SiteReport:
    """Facility power, PUE, capex, energy cost, backup and emissions of one site.

    Parameters
    ----------
    tier : str
        ``core``, ``regional`` or ``micro`` (`coredge.data.load_tiers`).
    it_mw : float
        IT capacity [MW], within the tier's range.
    state : str
        US state (USPS code or name).
    cooling : str, optional
        ``air``, ``rear-door``, ``direct-liquid``, ``immersion``; default the tier's.
    backup : str, optional
        ``diesel`` or ``fuel-cell``; default the tier's.
    rack_kw : float, optional
        Rack density [kW/rack]; default the tier's.
    it_load_frac : float
        Mean IT load [fraction of IT capacity].
    backup_run_hours_per_year : float
        Backup running hours per year [h].

    Examples
    --------
    >>> r = site_report("regional", 10.0, "TX")
    >>> r.facility_mw > r.it_mw, r.backup_units
    (True, 8)
    >>> core = site_report("core", 500.0, "TX")
    >>> core.facility_capex_usd_per_mw < r.facility_capex_usd_per_mw
    True
    """
    from coredge import data

    tiers = data.load_tiers()
    if tier not in tiers:
        raise InputError.of("--tier", tier, "one of: " + ", ".join(tiers))
    t = tiers[tier]
    lo, hi = float(t["it_mw_min"]), float(t["it_mw_max"])
    if not (lo <= it_mw <= hi):
        raise InputError.of("--it-mw", it_mw, f"{lo:g} to {hi:g} MW for the {tier} tier")
    if not (0.0 < it_load_frac <= 1.0):
        raise InputError.of("--it-load", it_load_frac, "a fraction in (0, 1]")
    code = data.normalize_state(state, "--state")
    cool = cooling or str(t["cooling"])
    if cool not in facility.COOLING:
        raise InputError.of("--cooling", cool, "one of: " + ", ".join(facility.COOLING))
    bk = facility.backup_id(backup or str(t["backup"]))
    rack = float(rack_kw if rack_kw is not None else t["rack_density_kw"])
    notes: list[str] = []
    if rack > facility.COOLING[cool].max_rack_kw:
        raise InputError.of(
            "--cooling",
            cool,
            f"{cool} handles at most {facility.COOLING[cool].max_rack_kw:g} kW/rack and the "
            f"{tier} tier runs {rack:g} kW/rack; use one of: "
            + ", ".join(n for n, c in facility.COOLING.items() if c.max_rack_kw >= rack),
        )
    if code in facility._state_climate():
        mean_t, lat = facility.state_climate(code)
    else:  # pragma: no cover - every state in the price table has a climate row
        lat, mean_t = 38.0, float(facility.mean_temp_from_lat(38.0))
        notes.append(f"no climate row for {code}: mean temperature from latitude 38")
    p = facility.pue(tier, cool, mean_t, lat=lat, rack_kw=rack)
    fac_mw = float(facility.facility_mw(it_mw, p))

    b = facility.backup_cost(fac_mw * 1000.0, bk, backup_run_hours_per_year)
    diesel_ref = facility.backup_cost(fac_mw * 1000.0, "diesel", backup_run_hours_per_year)
    fc = facility_cost.site_facility_capex(t, it_mw, cool, b.capex_usd, diesel_ref.capex_usd)
    from coredge.catalog.accelerators import get_accelerator

    acc = get_accelerator(DEFAULT_GPU)
    gpus = float(int(it_mw * 1e6 / (acc.tdp_w + acc.server_overhead_w)))
    base = {**fc.components_usd, "it": gpus * acc.system_price_usd_per_gpu}
    capex = {k: round(v, 2) for k, v in base.items()}
    per_mw = {k: round(v / it_mw, 2) for k, v in base.items()}

    energy = it_mw * it_load_frac * HOURS_PER_YEAR * p
    price = float(data.state_price_usd_per_mwh(code, "industrial"))
    g = float(data.state_gco2_per_kwh(code))
    co2 = float(emissions_t(energy, g)) + b.co2_t_per_run_hour * backup_run_hours_per_year
    return SiteReport(
        tier=tier,
        state=code,
        it_mw=float(it_mw),
        cooling=cool,
        backup=bk,
        rack_kw=rack,
        mean_temp_c=mean_t,
        pue=p,
        facility_mw=fac_mw,
        it_load_frac=it_load_frac,
        capex_usd=capex,
        capex_usd_per_mw=per_mw,
        facility_capex_usd_per_mw=fc.facility_usd_per_mw,
        capex_total_usd=float(sum(capex.values())),
        annual_energy_mwh=energy,
        price_usd_per_mwh=price,
        annual_energy_cost_usd=energy * price,
        grid_gco2_per_kwh=g,
        annual_co2_t=co2,
        backup_units=b.units,
        backup_installed_kw=b.installed_kw,
        backup_capex_usd=b.capex_usd,
        backup_annual_cost_usd=b.annual_cost_usd,
        backup_co2_t_per_run_hour=b.co2_t_per_run_hour,
        backup_start_time_s=b.start_time_s,
        backup_permit_months=b.permit_months,
        interconnection_wait_months=facility.interconnection_wait_months(fac_mw, code),
        water_m3_per_year=facility.water_m3_per_year(it_mw, cool, it_load_frac),
        notes=notes,
    )
