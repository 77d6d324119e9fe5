"""A ready sweep task: one Monte Carlo chunk of a portfolio, for `coredge.studies.sweep.run_sweep`.

Parameters of a chunk (all JSON): ``site_table_path`` (Parquet or CSV file with the columns of
`coredge.finance.portfolio.REQUIRED_COLUMNS`, readable by the workers), ``assumptions`` (mapping
for `FinanceAssumptions.from_dict`, optional), ``risk`` (mapping for `risk_spec_from_dict`,
optional, without ``n_trials``/``seed``), ``seed`` (int), ``mc_chunk`` (int) and ``n_trials``
(int, as added by `coredge.studies.sweep.with_mc_chunks`); any other key of the form
``finance.<field>`` overrides one assumption (e.g. ``finance.discount_rate``), so a grid built by
``grid_from_vary(base, ["finance.discount_rate=0.06,0.08"])`` sweeps it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coredge.errors import InputError
from coredge.finance.assumptions import FinanceAssumptions
from coredge.finance.cashflow import build_drivers
from coredge.finance.montecarlo import risk_spec_from_dict, run_monte_carlo
from coredge.finance.portfolio import site_inputs_from_table

if TYPE_CHECKING:
    from coredge.finance.from_plan import PlanFinancials
    from coredge.scenario.schema import Scenario


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


# ------------------------------------------------------------------ scenario sweeps

RESERVED_KEYS = ("scenario", "scenario_sha256", "variant", "mc_seed", "mc_chunk", "n_trials")
"""Parameter names of a scenario sweep chunk that are not scenario keys."""


def scenario_file(source: str) -> Path:
    """The YAML file of a scenario given as a path or a built-in name (InputError if neither)."""
    from coredge.scenario.load import builtin_scenarios

    path = Path(source)
    if path.is_file():
        return path.resolve()
    builtin = builtin_scenarios()
    if source in builtin:
        return Path(builtin[source])
    raise InputError.of("SCENARIO", source, "a scenario YAML file or a built-in name: " + ", ".join(builtin))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), so a sweep never resumes onto a changed scenario."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def nested(dotted: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``.

    Examples
    --------
    >>> nested({"demand.growth_rate": 0.2, "seed": 3})
    {'demand': {'growth_rate': 0.2}, 'seed': 3}
    """
    out: dict[str, Any] = {}
    for key, value in dotted.items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise InputError.of(key, value, "a key that does not also set its parent")
            node = nxt
        node[parts[-1]] = value
    return out


def scenario_with_overrides(
    source: str, variant: str | None, overrides: Mapping[str, Any]
) -> Scenario:
    """Load a scenario (file or built-in, optional variant), deep-merge dotted-key overrides
    and validate; InputError names the overridden keys and values when the result is invalid."""
    from coredge.scenario.load import build_scenario, deep_merge, load_scenario, read_yaml

    path = scenario_file(source)
    if not overrides:
        return load_scenario(path, variant)
    raw = read_yaml(path)
    variants = raw.pop("variants", None) or {}
    if variant is not None:
        if not isinstance(variants, Mapping) or variant not in variants:
            raise InputError.of("--scenario-variant", variant, "one of the file's variants: " + ", ".join(variants or {}))
        raw = deep_merge(raw, variants[variant])
    raw = deep_merge(raw, nested(overrides))
    label = ", ".join(f"{k}={v}" for k, v in overrides.items())
    return build_scenario(copy.deepcopy(raw), path.parent, f" with {label}")


def scenario_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario overrides in a chunk's parameters (every non-reserved key)."""
    return {k: v for k, v in params.items() if k not in RESERVED_KEYS}


@functools.lru_cache(maxsize=8)
def _planned(source: str, variant: str | None, overrides_json: str) -> tuple[Scenario, PlanFinancials]:
    import json

    from coredge.pipeline import PLAN_AND_FINANCE, execute

    sc = scenario_with_overrides(source, variant, json.loads(overrides_json))
    res = execute(sc, variant, compute=PLAN_AND_FINANCE)  # a chunk uses the plan's money only
    assert res.finance is not None  # PLAN_AND_FINANCE computes it
    return sc, res.finance


def scenario_risk_chunk(params: dict[str, Any]) -> pd.DataFrame:
    """One Monte Carlo chunk of a scenario grid point (a task for `coredge.studies.sweep.run_sweep`).

    Parameters (JSON): ``scenario`` (file path or built-in name), ``variant`` (or None),
    ``mc_seed``, ``mc_chunk``, ``n_trials`` and any number of dotted scenario keys
    (``demand.growth_rate``) with their values. The plan is computed once per grid point and
    worker process (cached); the chunk's draws use ``chunk_seed(mc_seed, mc_chunk)``.

    Returns
    -------
    pandas.DataFrame
        One row per trial: ``trial``, ``npv_usd`` [USD], ``irr`` [fraction/year, NaN if none],
        ``npv_<tier>_usd`` per tier, and per grid point ``base_npv_usd``, ``base_irr``,
        ``capex_usd`` [USD], ``lcoc_usd_per_gpu_hour`` [USD/GPU-h].
    """
    from coredge.finance.from_plan import risk_from_plan
    from coredge.studies.sweep import canonical_json

    for key in ("scenario", "n_trials"):
        if key not in params:
            raise InputError.of(f"sweep params.{key}", None, "required by scenario_risk_chunk")
    over = scenario_params(params)
    sc, pf = _planned(str(params["scenario"]), params.get("variant"), canonical_json(over))
    seed = chunk_seed(int(params.get("mc_seed", 0)), int(params.get("mc_chunk", 0)))
    res = risk_from_plan(pf, sc, int(params["n_trials"]), seed, with_tornado=False)
    out = pd.DataFrame({"trial": np.arange(res.n_trials), "npv_usd": res.npv_usd, "irr": res.irr})
    for g, tier in enumerate(res.tiers):
        out[f"npv_{tier}_usd"] = res.tier_npv_usd[:, g]
    out["base_npv_usd"] = pf.portfolio["npv_usd"]
    out["base_irr"] = pf.portfolio["irr"]
    out["capex_usd"] = pf.portfolio["capex_usd"]
    out["lcoc_usd_per_gpu_hour"] = pf.portfolio["lcoc_usd_per_gpu_hour"]
    return out


def scenario_grid(
    source: str, variant: str | None, vary: Sequence[str], n_trials: int, n_chunks: int, mc_seed: int | None = None
) -> list[dict[str, Any]]:
    """Grid of scenario sweep chunks, every grid point validated up front.

    Parameters
    ----------
    source : str
        Scenario file or built-in name.
    variant : str or None
        Variant of the file.
    vary : sequence of str
        ``"dotted.key=v1,v2"`` items.
    n_trials : int
        Monte Carlo trials per grid point (split evenly over the chunks, rounded up).
    n_chunks : int
        Monte Carlo chunks per grid point.
    mc_seed : int, optional
        Seed of the draws; default: the base scenario's ``finance.risk.seed`` or ``seed``.

    Returns
    -------
    list of dict
        Chunk parameters for `coredge.studies.sweep.run_sweep` with `scenario_risk_chunk`.

    Raises
    ------
    InputError
        A reserved or unknown key, or a value that makes the scenario invalid (naming the key).
    """
    from coredge.studies.sweep import grid_from_vary, with_mc_chunks

    if n_trials < 1:
        raise InputError.of("--trials", n_trials, ">= 1")
    if n_chunks < 1:
        raise InputError.of("--chunks", n_chunks, ">= 1")
    if not vary:
        raise InputError.of("--vary", [], "at least one dotted.key=v1,v2,...")
    path = scenario_file(source)
    base_sc = scenario_with_overrides(str(path), variant, {})
    points = grid_from_vary({}, vary)
    for key in points[0]:
        if key in RESERVED_KEYS:
            raise InputError.of("--vary", key, "a scenario key (dotted path), not one of: " + ", ".join(RESERVED_KEYS))
    for point in points:
        try:
            scenario_with_overrides(str(path), variant, point)
        except InputError as exc:
            keys = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise InputError(exc.problems, context=f"--vary {keys} gives an invalid scenario") from None
    seed = mc_seed if mc_seed is not None else (
        base_sc.finance.risk.seed if base_sc.finance.risk.seed is not None else base_sc.seed
    )
    base = {"scenario": str(path), "scenario_sha256": file_sha256(path), "variant": variant, "mc_seed": int(seed)}
    per_chunk = -(-n_trials // n_chunks)
    return with_mc_chunks([{**base, **p} for p in points], n_chunks, per_chunk)


__all__ = [
    "RESERVED_KEYS",
    "chunk_seed",
    "file_sha256",
    "monte_carlo_chunk",
    "nested",
    "scenario_file",
    "scenario_grid",
    "scenario_params",
    "scenario_risk_chunk",
    "scenario_with_overrides",
]
