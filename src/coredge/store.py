"""The run directory: its format, written (`write_run_files`) and read back (`read_run`) here only.

A run directory holds ``summary.json``, ``plan.json``, ``sites.csv``, ``build_schedule.csv``,
Parquet tables, ``report.html`` and the marker `coredge.files.MARKER` (written last). It is
written through `coredge.files.atomic_dir`, so an interrupted or failed run never leaves a
half-written result, and an existing folder that is not a coredge output is never touched.
`read_run` checks the marker, the format version and every file it needs, and names the file that
is wrong and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coredge.errors import InputError
from coredge.files import FORMAT_VERSION, MARKER, read_marker, write_json
from coredge.finance.view_tables import InvestorTables
from coredge.formatting import site_display_name
from coredge.inputs.build import Inputs, build_inputs
from coredge.plan.result import Plan
from coredge.results import RunResult, build_schedule
from coredge.safeload import load_json
from coredge.scenario.schema import Scenario

RUN_KIND = "run"
"""The marker's ``kind`` for a run directory (``coredge run`` / ``coredge plan``)."""


def default_run_dir(scenario_name: str, variant: str | None = None, root: Path | None = None) -> Path:
    """``runs/<scenario>[-<variant>]-<UTC timestamp>`` under `root` (default: the current directory)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    label = scenario_name + (f"-{variant}" if variant else "")
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in label)
    safe = safe.lstrip(".-")[:80] or "run"  # never hidden, never '..', bounded length
    return (root or Path.cwd()) / "runs" / f"{safe}-{stamp}"


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a table to Parquet (pyarrow), without the pandas index."""
    df.to_parquet(path, index=False, engine="pyarrow")


def plan_json(res: RunResult) -> dict[str, Any]:
    """The plan as JSON: sites with yearly capacity, unmet load, solver report, scenario echo."""
    p = res.plan
    sites = p.sites.copy()
    sites["it_mw_by_year"] = [list(map(float, r)) for r in p.it_mw_by_year]
    sites["load_mw_by_year"] = [list(map(float, r)) for r in p.load_mw_by_year]
    return {
        "scenario": res.scenario.model_dump(mode="json"),
        "variant": res.variant,
        "years": [int(y) for y in p.years],
        "classes": res.inputs.classes,
        "method": p.method,
        "solver": p.solver,
        "sites": sites.to_dict(orient="records"),
        "unmet_mw": {
            **{c: list(map(float, p.unmet_mw[k])) for k, c in enumerate(res.inputs.classes)},
            "training": list(map(float, p.unmet_mw[-1])),
        },
    }


def write_run_files(res: RunResult, tmp: Path, tiers: pd.DataFrame) -> None:
    """Write every data file of a run directory into the (temporary) folder `tmp`.

    ``report.html``, ``summary.json`` and the marker are written by the caller after this.

    Raises
    ------
    ValueError
        A run computed without financials (a run directory always holds its cash flows).
    """
    if res.finance is None:
        raise ValueError("a run directory needs the run's financials (execute with Compute(finance=True))")
    write_json(tmp / "plan.json", plan_json(res))
    sites = res.plan.sites.copy()
    # for people ("Indianapolis, IN (regional)"); the ids stay the key everywhere
    sites.insert(1, "display_name", [site_display_name(r) for _, r in sites.iterrows()])
    sites["capex_usd"] = res.costs.capex_usd.sum(axis=1)
    sites["opex_usd_final_year"] = res.costs.opex_usd[:, -1] if len(sites) else []
    fs = res.finance.sites.set_index("site_id")
    for col in ("npv_usd", "irr", "payback_years", "lcoc_usd_per_gpu_hour"):
        sites[col] = sites["site_id"].map(fs[col]) if col in fs.columns else np.nan
    sites.to_csv(tmp / "sites.csv", index=False)
    write_parquet(tmp / "cashflows.parquet", res.finance.yearly)
    build_schedule(res.plan).to_csv(tmp / "build_schedule.csv", index=False)
    write_parquet(tmp / "assignments.parquet", res.plan.assignments)
    write_parquet(tmp / "demand.parquet", res.inputs.demand)
    write_parquet(tmp / "tiers.parquet", tiers)
    if res.sim is not None:
        write_parquet(tmp / "sim_classes.parquet", res.sim.classes)
        write_parquet(tmp / "sim_sites.parquet", res.sim.sites)
        write_parquet(tmp / "sim_timeseries.parquet", res.sim.timeseries)
    if res.training is not None:
        write_parquet(tmp / "training_campuses.parquet", res.training.campuses)
        write_parquet(tmp / "training_jobs.parquet", res.training.jobs)


INVESTOR_FILES: dict[str, str] = {
    "tier_flows": "view_cashflows.parquet",
    "site_flows": "view_cashflows_sites.parquet",
    "site_economics": "view_sites.parquet",
    "tornado": "sensitivity.parquet",
}
"""`InvestorTables` field -> Parquet file of the run directory."""


def write_investor_tables(tables: InvestorTables, tmp: Path) -> None:
    """Write both investor views' tables (`INVESTOR_FILES`) into the (temporary) folder `tmp`."""
    for field_name, name in INVESTOR_FILES.items():
        write_parquet(tmp / name, getattr(tables, field_name))


def read_investor_tables(run_dir: str | Path) -> InvestorTables:
    """The investor views' tables of a run directory, as written by `write_investor_tables`."""
    p = Path(run_dir)
    frames = {}
    for field_name, name in INVESTOR_FILES.items():
        f = p / name
        if not f.is_file():
            raise _bad(p, f"{name} is missing")
        frames[field_name] = pd.read_parquet(f)
    return InvestorTables(**frames)


@dataclass(frozen=True)
class StoredRun:
    """A run directory read back: the validated scenario, inputs rebuilt from it, and the plan."""

    path: Path
    scenario: Scenario
    variant: str | None
    inputs: Inputs
    plan: Plan
    summary: dict[str, Any]


def _bad(path: Path, why: str) -> InputError:
    return InputError.of("RUN_DIR", str(path), f"a valid coredge run directory; {why}")


def _read_object(run: Path, f: Path) -> dict[str, Any]:
    try:
        obj = load_json(f, "RUN_DIR")
    except InputError as exc:
        raise _bad(run, f"{f.name}: {exc.problems[0].allowed}") from None
    if not isinstance(obj, dict):
        raise _bad(run, f"{f.name} must hold one JSON object")
    return obj


_ASSIGNMENT_COLUMNS = ("point_index", "class_index", "site_index", "share")


def read_run(path: str | Path) -> StoredRun:
    """Read a run directory back (one reader for every command that takes ``RUN_DIR``).

    Checks the marker (kind and format version), ``plan.json`` (the stored scenario validated
    again, years, classes, sites with yearly capacity) and ``assignments.parquet``; inputs are
    rebuilt from the stored scenario, and training MW per site and year is the site's load minus
    the inference assigned to it (not stored).

    Raises
    ------
    InputError
        Naming the file that is missing or wrong and why (exit 2 from the CLI).
    """
    from pydantic import ValidationError

    from coredge.scenario.load import problems_from_validation

    p = Path(path)
    if not p.is_dir():
        raise _bad(p, "no such directory")
    if not (p / "plan.json").is_file():
        raise _bad(p, "plan.json is missing (`coredge run` or `coredge plan` writes run directories)")
    marker = read_marker(p)
    if marker is None:
        raise _bad(p, f"{MARKER} is missing or unreadable (written by an older coredge, or not "
                      "by coredge: run the scenario again)")
    if marker.get("kind") != RUN_KIND:
        raise _bad(p, f"it is a coredge {marker.get('kind')!r} output, not a run directory")
    if marker.get("format_version") != FORMAT_VERSION:
        raise _bad(
            p, f"format version {marker.get('format_version')!r}, this coredge reads {FORMAT_VERSION}"
        )
    pj, ap, sj = p / "plan.json", p / "assignments.parquet", p / "summary.json"
    for f in (pj, ap, sj):
        if not f.is_file():
            raise _bad(p, f"{f.name} is missing")
    doc, summary = _read_object(p, pj), _read_object(p, sj)
    for key in ("scenario", "years", "sites"):
        if key not in doc:
            raise _bad(p, f"plan.json: no {key!r}")
    try:
        sc = Scenario.model_validate(doc["scenario"])
    except ValidationError as err:
        raise InputError(
            problems_from_validation(err, "plan.json scenario."), context=f"invalid scenario in {pj}"
        ) from None
    inputs = build_inputs(sc)
    try:
        years = np.asarray(doc["years"], dtype=np.int64)
        recs = list(doc["sites"])
        n_y = len(years)
        if recs:
            sites = pd.DataFrame(recs)
            it = np.array([list(r) for r in sites.pop("it_mw_by_year")], dtype=np.float64).reshape(-1, n_y)
            load = np.array([list(r) for r in sites.pop("load_mw_by_year")], dtype=np.float64).reshape(-1, n_y)
        else:
            sites = pd.DataFrame(columns=["site_id", "tier", "lat", "lon", "online_year"])
            it = np.zeros((0, n_y))
            load = np.zeros((0, n_y))
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(p, f"plan.json sites: {type(exc).__name__}: {exc}") from None
    if list(years) != [int(y) for y in inputs.years]:
        raise _bad(p, "plan.json years do not match the stored scenario's horizon")
    classes = list(doc.get("classes", inputs.classes))
    if classes != list(inputs.classes):
        raise _bad(p, f"plan.json classes {classes} are not the scenario's classes {inputs.classes}")
    try:
        asg = pd.read_parquet(ap)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise _bad(p, f"assignments.parquet: {type(exc).__name__}: {exc}") from None
    missing = [c for c in _ASSIGNMENT_COLUMNS if c not in asg.columns]
    if missing:
        raise _bad(p, f"assignments.parquet lacks columns {missing}")
    n = len(sites)
    inf = np.zeros_like(load)
    if len(asg) and n:
        pi = asg["point_index"].to_numpy(dtype=np.int64)
        ki = asg["class_index"].to_numpy(dtype=np.int64)
        si = asg["site_index"].to_numpy(dtype=np.int64)
        if (
            pi.min() < 0 or pi.max() >= inputs.n_points or ki.min() < 0
            or ki.max() >= inputs.n_classes or si.min() < 0 or si.max() >= n
        ):
            raise _bad(p, "assignments.parquet indexes points, classes or sites that do not exist")
        online = sites["online_year"].to_numpy()[si][:, None] <= years[None, :]  # pairs count once online
        share = asg["share"].to_numpy(dtype=np.float64)[:, None]
        np.add.at(inf, si, inputs.load_mw[pi, ki, :] * share * online)
    training = np.maximum(load - inf, 0.0)
    training[np.abs(training) < 1e-9] = 0.0
    unmet_d = doc.get("unmet_mw") or {}
    try:
        unmet = np.array([unmet_d.get(c, [0.0] * n_y) for c in [*classes, "training"]], dtype=np.float64)
    except (TypeError, ValueError, AttributeError) as exc:
        raise _bad(p, f"plan.json unmet_mw: {exc}") from None
    plan = Plan(years, sites, it, load, training, asg, unmet, str(doc.get("method", "")),
                dict(doc.get("solver") or {}))
    return StoredRun(p, sc, doc.get("variant"), inputs, plan, summary)
