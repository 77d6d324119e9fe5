"""The facility-location engine (`coredge.cflp`) against published OR-Library optima.

Eight instances shipped in ``coredge/data/orlib/`` (cap71-74, cap131-134), solved as
multi-source capacitated (MS-CFLP) and uncapacitated (UFLP) problems; the error is the relative
gap of coredge's objective to the published optimum (0 when the engine proves the optimum).
"""

from __future__ import annotations

import math

import pandas as pd

from coredge.data import DATA_DIR
from coredge.validation import ErrorStat, error_stat, register

ORLIB_DIR = DATA_DIR / "orlib"
SOURCE = "J. E. Beasley, OR-Library capacitated warehouse location (capopt, uncapopt)"
VARIANTS = {"MS-CFLP": "multi-source", "UFLP": "uncapacitated"}
NODE_LIMIT = 1000
"""Branch-and-bound node limit per solve (the instances need fewer than 10 with HiGHS 1.16)."""


@register("cflp")
def cflp_checks() -> list[ErrorStat]:
    """coredge.cflp's optimum of each shipped instance against the published one."""
    from coredge.cflp import read_orlib_cap, solve_cflp

    optima = pd.read_csv(ORLIB_DIR / "optima.csv", comment="#")
    out: list[ErrorStat] = []
    for variant, name in VARIANTS.items():
        rows = optima[optima["variant"] == variant]
        pred, meas = [], []
        for inst_name, opt in zip(rows["instance"], rows["published_optimum"], strict=True):
            inst = read_orlib_cap(ORLIB_DIR / f"{inst_name}.txt")
            res = solve_cflp(inst, name, time_limit_s=math.inf,
                             highs_options={"mip_max_nodes": NODE_LIMIT})
            pred.append(float(res.objective))
            meas.append(float(opt))
        out.append(error_stat("facility-location engine", f"OR-Library {variant} optima", "all",
                              pred, meas, SOURCE, "1990", max_median_pct=1e-4, max_p90_pct=1e-4))
    return out
