"""Carbon: location-based emissions of sites, training runs and served tokens.

Grid intensity is location-based: the eGRID2022 subregion of a US state (dominant subregion,
`coredge.data.state_gco2_per_kwh`) or Ember's country average (`coredge.data.country_gco2_per_kwh`).
Intensities are in g CO2/kWh (= kg/MWh); masses in tonnes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]

J_PER_KWH: float = 3.6e6
"""Joules per kWh (exact)."""


def grid_gco2_per_kwh(state: str | None = None, iso3: str | None = None) -> float:
    """Location-based grid intensity of a US state or a country [g CO2/kWh].

    Parameters
    ----------
    state : str, optional
        USPS code or state name (eGRID2022 subregion rate).
    iso3 : str, optional
        ISO3 country code (Ember 2022/2023); used when ``state`` is not given.

    Examples
    --------
    >>> grid_gco2_per_kwh(iso3="FRA")
    56.04
    """
    from coredge import data

    if state is not None:
        return float(data.state_gco2_per_kwh(state))
    if iso3 is not None:
        return float(data.country_gco2_per_kwh(iso3))
    raise InputError.of("location", None, "a US state (--state) or an ISO3 country code")


def emissions_t(energy_mwh: float | FloatArray, gco2_per_kwh: float | FloatArray) -> FloatArray:
    """Emissions of an amount of grid energy [t CO2].

    Parameters
    ----------
    energy_mwh : float or ndarray
        Energy drawn from the grid [MWh].
    gco2_per_kwh : float or ndarray
        Grid intensity [g CO2/kWh] (= kg/MWh).

    Examples
    --------
    >>> round(float(emissions_t(1287.0, 429.0)), 1)
    552.1
    """
    e = np.asarray(energy_mwh, dtype=np.float64)
    g = np.asarray(gco2_per_kwh, dtype=np.float64)
    return np.asarray(e * g / 1000.0)


def kg_co2_per_million_tokens(
    joules_per_token: float | FloatArray,
    gco2_per_kwh: float | FloatArray,
    pue: float = 1.0,
    server_overhead_frac: float = 0.0,
) -> FloatArray:
    """Emissions of serving one million output tokens [kg CO2].

    Parameters
    ----------
    joules_per_token : float or ndarray
        Board energy per output token [J] (`coredge.physics.serving`).
    gco2_per_kwh : float or ndarray
        Grid intensity [g CO2/kWh].
    pue : float
        Facility PUE [ratio].
    server_overhead_frac : float
        Host energy on top of the boards [fraction of board energy].

    Examples
    --------
    >>> round(float(kg_co2_per_million_tokens(0.36, 400.0, 1.2)), 4)
    0.048
    """
    kwh = np.asarray(joules_per_token, dtype=np.float64) * 1e6 / J_PER_KWH
    kwh = kwh * (1.0 + server_overhead_frac) * pue
    return np.asarray(kwh * np.asarray(gco2_per_kwh, dtype=np.float64) / 1000.0)
