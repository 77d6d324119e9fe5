"""A ready sweep task: one Monte Carlo chunk of a portfolio, for `coredge.sweep.run_sweep`.

Parameters of a chunk (all JSON): ``site_table_path`` (Parquet or CSV file with the columns of
`coredge.finance.portfolio.REQUIRED_COLUMNS`, readable by the workers), ``assumptions`` (mapping
for `FinanceAssumptions.from_dict`, optional), ``risk`` (mapping for `risk_spec_from_dict`,
optional, without ``n_trials``/``seed``), ``seed`` (int), ``mc_chunk`` (int) and ``n_trials``
(int, as added by `coredge.sweep.with_mc_chunks`); any other key of the form
``finance.<field>`` overrides one assumption (e.g. ``finance.discount_rate``), so a grid built by
``grid_from_vary(base, ["finance.discount_rate=0.06,0.08"])`` sweeps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coredge.errors import InputError
from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import build_drivers
from coredge.finance.montecarlo import risk_spec_from_dict, run_monte_carlo
from coredge.finance.portfolio import site_inputs_from_table


def chunk_seed(seed: int, mc_chunk: int) -> int:
    """Independent, reproducible seed of one Monte Carlo chunk.

    Examples
    --------
    >>> chunk_seed(1, 0) != chunk_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([int(seed), int(mc_chunk)]).generate_state(1)[0])


def monte_carlo_chunk(params: dict[str, Any]) -> pd.DataFrame:
    """Run one Monte Carlo chunk; one row per trial.

    Returns
    -------
    pandas.DataFrame
        Columns ``trial`` (index within the chunk), ``npv_usd`` [USD], ``irr`` [fraction/year,
        NaN if none], and ``npv_<tier>_usd`` [USD] per tier.
    """
    for key in ("site_table_path", "n_trials"):
        if key not in params:
            raise InputError.of(f"sweep params.{key}", None, "required by monte_carlo_chunk")
    path = Path(str(params["site_table_path"]))
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    a_dict = dict(params.get("assumptions", {}))
    for k, v in params.items():
        if k.startswith("finance."):
            a_dict[k.removeprefix("finance.")] = v
    assumptions = FinanceAssumptions.from_dict(a_dict)
    risk = dict(params.get("risk", {}))
    risk["n_trials"] = int(params["n_trials"])
    risk["seed"] = chunk_seed(int(params.get("seed", 0)), int(params.get("mc_chunk", 0)))
    spec = risk_spec_from_dict(risk)
    dv = build_drivers(site_inputs_from_table(table, assumptions), assumptions)
    res = run_monte_carlo(dv, spec, with_tornado=False)
    out = pd.DataFrame({"trial": np.arange(res.n_trials), "npv_usd": res.npv_usd, "irr": res.irr})
    for g, tier in enumerate(res.tiers):
        out[f"npv_{tier}_usd"] = res.tier_npv_usd[:, g]
    return out


__all__ = ["chunk_seed", "monte_carlo_chunk"]
