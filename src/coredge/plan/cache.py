"""A store of plans by what determines them, so that a scenario is planned once.

`coredge run` plans a scenario for up to ``planning.time_limit_s`` (60 s by default); `finance`,
`risk`, `compare` and sweeps used to plan the same scenario again each time. A plan is a
function of the scenario (every field, as validated), the planner's settings (planner, time
limit, gap) and coredge's own code and data; `plan_key` hashes all of those, and `store_plan` /
`load_plan` keep one plan per key under `cache_dir`.

Honesty rules:

* the key covers the code: any change to a file of the ``coredge`` package (source or data)
  gives new keys, so a plan made by older code is never served;
* a time-limited MILP is not repeatable to the bit (it depends on how much CPU it got); a cached
  plan is the one this machine made earlier for the same key, and the caller says so
  (``solver['cache']`` holds where and when it was made);
* ``COREDGE_PLAN_CACHE=off`` turns the store off; a path there moves it (default
  ``$XDG_CACHE_HOME/coredge/plans``, else ``~/.cache/coredge/plans``).

Files per plan: ``<key>.json`` (years, method, solver report, arrays) and ``<key>.sites.parquet``
/ ``<key>.assignments.parquet``. Writes go through a temporary name and a rename, so a reader
never sees half a plan; an unreadable entry is treated as absent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from coredge.plan.result import Plan
from coredge.scenario.schema import Scenario

ENV: Final = "COREDGE_PLAN_CACHE"
"""Environment variable: ``off`` (or ``0``, ``no``, ``false``) disables the store; any other
non-empty value is the folder to use."""

CACHE_FORMAT: Final = 1
"""Version of the stored layout (part of the key)."""


def cache_dir() -> Path | None:
    """The folder of the plan store, or None when ``COREDGE_PLAN_CACHE`` turns it off."""
    v = os.environ.get(ENV, "").strip()
    if v.lower() in {"off", "0", "no", "false"}:
        return None
    if v:
        return Path(v)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".cache"
    return root / "coredge" / "plans"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the path and bytes of every file of the installed ``coredge`` package."""
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".nbi", ".nbc"}:
            h.update(str(p.relative_to(pkg)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def plan_key(
    sc: Scenario, planner: str, time_limit_s: float | None, mip_rel_gap: float | None
) -> str:
    """Key of the plan of a scenario under the given planner settings (hex SHA-256).

    Parameters
    ----------
    sc : Scenario
        The validated scenario (every field enters the key).
    planner : str
        ``milp`` or ``greedy`` (after any override).
    time_limit_s : float or None
        Time limit override [s] (None: the scenario's).
    mip_rel_gap : float or None
        Gap override [fraction] (None: the scenario's).
    """
    doc = {
        "format": CACHE_FORMAT,
        "code": code_fingerprint(),
        "scenario": sc.model_dump(mode="json"),
        "planner": planner,
        "time_limit_s": time_limit_s,
        "mip_rel_gap": mip_rel_gap,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _paths(root: Path, key: str) -> tuple[Path, Path, Path]:
    return root / f"{key}.json", root / f"{key}.sites.parquet", root / f"{key}.assignments.parquet"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


def store_plan(key: str, plan: Plan) -> Path | None:
    """Keep `plan` under `key`; returns the JSON file written, or None (store off, or the
    folder cannot be written: the store is an optimisation, never a reason to fail)."""
    root = cache_dir()
    if root is None:
        return None
    meta, sites, asg = _paths(root, key)
    stamp = f".tmp-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        plan.sites.to_parquet(sites.with_name(sites.name + stamp), index=False)
        plan.assignments.to_parquet(asg.with_name(asg.name + stamp), index=False)
        doc = {
            "made_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "years": plan.years.tolist(),
            "it_mw_by_year": plan.it_mw_by_year.tolist(),
            "load_mw_by_year": plan.load_mw_by_year.tolist(),
            "training_mw_by_year": plan.training_mw_by_year.tolist(),
            "unmet_mw": plan.unmet_mw.tolist(),
            "shape": [int(plan.n_sites), len(plan.years)],
            "method": plan.method,
            "solver": _jsonable({k: v for k, v in plan.solver.items() if k != "cache"}),
        }
        tmp_meta = meta.with_name(meta.name + stamp)
        tmp_meta.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
        os.replace(sites.with_name(sites.name + stamp), sites)
        os.replace(asg.with_name(asg.name + stamp), asg)
        os.replace(tmp_meta, meta)  # last: the entry exists once its JSON does
    except (OSError, ValueError, TypeError):
        return None
    return meta


def has_plan(key: str) -> bool:
    """True if the store holds a complete entry under `key` (it may still prove unreadable)."""
    root = cache_dir()
    return root is not None and all(p.is_file() for p in _paths(root, key))


def load_plan(key: str) -> Plan | None:
    """The plan kept under `key`, or None (store off, absent or unreadable). Its ``solver``
    gains ``cache``: ``{"key", "path", "made_utc"}``."""
    root = cache_dir()
    if root is None:
        return None
    meta, sites_p, asg_p = _paths(root, key)
    if not (meta.is_file() and sites_p.is_file() and asg_p.is_file()):
        return None
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
        n_s, n_y = (int(v) for v in doc["shape"])

        def arr(name: str, rows: int) -> np.ndarray:
            return np.asarray(doc[name], dtype=np.float64).reshape(rows, n_y)

        sites = pd.read_parquet(sites_p)
        asg = pd.read_parquet(asg_p)
        unmet = np.asarray(doc["unmet_mw"], dtype=np.float64)
        plan = Plan(
            years=np.asarray(doc["years"], dtype=np.int64),
            sites=sites,
            it_mw_by_year=arr("it_mw_by_year", n_s),
            load_mw_by_year=arr("load_mw_by_year", n_s),
            training_mw_by_year=arr("training_mw_by_year", n_s),
            assignments=asg,
            unmet_mw=unmet.reshape(-1, n_y),
            method=str(doc["method"]),
            solver={
                **dict(doc["solver"]),
                "cache": {"key": key, "path": str(meta), "made_utc": doc.get("made_utc")},
            },
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(plan.sites) != n_s or plan.years.size != n_y:
        return None
    return plan


__all__ = [
    "CACHE_FORMAT",
    "ENV",
    "cache_dir",
    "code_fingerprint",
    "has_plan",
    "load_plan",
    "plan_key",
    "store_plan",
]
