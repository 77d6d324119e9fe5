"""Random faults: site outages with exponential times between failures and to repair.

Each site alternates up and down: up periods ~ Exponential(mean ``mtbf_s``), down periods ~
Exponential(mean ``mttr_s``), starting up. The long-run unavailable share is
``mttr / (mtbf + mttr)``. The windows are ordinary `FaultSpec` outages: the summary's ``faults``
block reports SLO attainment and drops for arrivals during and outside any outage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coredge.errors import InputError
from coredge.sim.spec import FaultSpec


def random_outages(
    site_ids: Sequence[str], mtbf_s: float, mttr_s: float, horizon_s: float, rng: np.random.Generator
) -> list[FaultSpec]:
    """Outage windows of each site over ``[0, horizon_s)`` (alternating renewal process).

    Parameters
    ----------
    site_ids : sequence of str
        Spec site ids that may fail (independently).
    mtbf_s, mttr_s : float
        Mean time between failures (up time) and mean time to repair [s].
    horizon_s : float
        Simulated time covered [s].
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    list of FaultSpec
        Windows ``[at_s, at_s + for_s)``, by site then time.

    Examples
    --------
    >>> fs = random_outages(["a"], 100.0, 10.0, 1000.0, np.random.default_rng(0))
    >>> all(f.site == "a" and f.at_s < 1000.0 for f in fs)
    True
    """
    if not (mtbf_s > 0 and mttr_s > 0 and horizon_s > 0):
        raise InputError.of("faults", (mtbf_s, mttr_s, horizon_s), "positive MTBF, MTTR and horizon [s]")
    out = []
    for site in site_ids:
        t = 0.0
        while True:
            t += float(rng.exponential(mtbf_s))
            if t >= horizon_s:
                break
            d = float(rng.exponential(mttr_s))
            out.append(FaultSpec(site=site, at_s=t, for_s=d))
            t += d
    return out
