"""Validation of the curtailment-headroom model against the Duke study (registered as ``power``).

Norris, Profeta, Patino-Echeverri & Cowie-Haskell (2025), "Rethinking Load Growth", NI R 25-01,
Duke University: per-BA headroom of 22 US balancing areas at 0.25 / 0.5 / 1 % curtailment
(Figure 1, ``data/grid/duke_headroom_norris2025.csv``), their totals (76 / 98 / 126 GW), the mean
curtailment hours per year (Figure 10) and event durations (text). coredge recomputes them with
`coredge.power.headroom` from the cleaned EIA-930 demand it ships (Ruggles et al.), the same
public data the study used (it cleaned the raw EIA-930 itself). Nothing is fitted: the method is
the study's, the data public, so every subset is ``held-out``.

Stats: ``headroom per BA`` (22 values per limit), ``22-BA total`` (3 limits), ``curtailment
hours per year`` (3 limits) and ``mean event duration`` (3 limits; no tolerance: the study's
event definition is not published and coredge's runs of consecutive curtailed hours come out
about twice as long, docs/power.md).
"""

from __future__ import annotations

import numpy as np

from coredge.validation import ErrorStat, error_stat, register

SOURCE = "Norris et al. 2025, Rethinking Load Growth (Duke NI R 25-01), Fig. 1, 8, 10"
DATE = "2025-02"

TOLERANCES: dict[str, tuple[float, float]] = {
    "headroom per BA": (5.0, 30.0),
    "22-BA total": (5.0, 5.0),
    "curtailment hours per year": (10.0, 10.0),
}
"""Documented tolerances (median %, P90 %); docs/power.md."""


def headroom_predictions() -> dict[float, tuple[list[str], list[float], list[float]]]:
    """Per limit: BA codes, coredge headroom and published headroom [GW]."""
    from coredge.power.grid import duke_headroom_gw
    from coredge.power.headroom import LIMITS, headroom_table

    pub = duke_headroom_gw()
    table = headroom_table(list(pub.index), LIMITS)
    out: dict[float, tuple[list[str], list[float], list[float]]] = {}
    for lim in LIMITS:
        rows = table[table["limit"] == lim].set_index("ba").loc[list(pub.index)]
        out[lim] = (list(pub.index), list(rows["headroom_mw"] / 1000.0), list(pub[lim]))
    return out


@register("power")
def check_power() -> list[ErrorStat]:
    """The headroom model against the study's per-BA, total and hour figures."""
    from coredge.power.grid import DUKE_CURTAILMENT_H_PER_YEAR, DUKE_EVENT_H, DUKE_TOTAL_GW
    from coredge.power.headroom import LIMITS, headroom_table

    pred = headroom_predictions()
    stats: list[ErrorStat] = []
    per_ba_p: list[float] = []
    per_ba_m: list[float] = []
    for lim in LIMITS:
        per_ba_p += pred[lim][1]
        per_ba_m += pred[lim][2]
    med, p90 = TOLERANCES["headroom per BA"]
    stats.append(error_stat("curtailment headroom", "headroom per BA", "held-out", per_ba_p,
                            per_ba_m, SOURCE, DATE, med, p90))
    med, p90 = TOLERANCES["22-BA total"]
    stats.append(error_stat("curtailment headroom", "22-BA total", "held-out",
                            [float(np.sum(pred[lim][1])) for lim in LIMITS],
                            [DUKE_TOTAL_GW[lim] for lim in LIMITS], SOURCE, DATE, med, p90))
    table = headroom_table(None, LIMITS)
    by = table.groupby("limit")
    hours = [float(by.get_group(lim)["curtailment_h_per_year"].mean()) for lim in LIMITS]
    med, p90 = TOLERANCES["curtailment hours per year"]
    stats.append(error_stat("curtailment headroom", "curtailment hours per year", "held-out",
                            hours, [DUKE_CURTAILMENT_H_PER_YEAR[lim] for lim in LIMITS],
                            SOURCE, DATE, med, p90))
    events = [float(by.get_group(lim)["mean_event_h"].mean()) for lim in LIMITS]
    stats.append(error_stat("curtailment headroom", "mean event duration", "held-out", events,
                            [DUKE_EVENT_H[lim] for lim in LIMITS], SOURCE, DATE))
    return stats
