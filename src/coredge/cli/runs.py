"""`coredge runs list|show|rm`: the catalogue of a ``coredge serve`` store, from the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from coredge.cli.app import JsonOpt, Table, app, console, emit_json
from coredge.errors import InputError
from coredge.formatting import usd

DEFAULT_STORE = "coredge-store"
"""The store folder when neither ``--store`` nor ``COREDGE_STORE`` names one (in the current folder)."""

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store folder of coredge serve (default: $COREDGE_STORE or ./coredge-store)."),
]

runs_app = typer.Typer(help="The runs of a coredge serve store: list, show, add, remove.", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(runs_app, name="runs")


def store_path(store: Path | None) -> Path:
    """The store folder: `store`, else ``$COREDGE_STORE``, else ``./coredge-store``."""
    return Path(store if store is not None else os.environ.get("COREDGE_STORE") or DEFAULT_STORE)


def _open(store: Path | None, must_exist: bool = True) -> Any:
    from coredge.service.catalogue import Store

    root = store_path(store)
    if must_exist and not root.is_dir():
        raise InputError.of("--store", str(root), "an existing coredge serve store folder")
    return Store.at(root)


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


@runs_app.command("list")
def list_cmd(
    store: StoreOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="Only runs of this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many runs (newest first).")] = 200,
    json_out: JsonOpt = False,
) -> None:
    """List the runs of the store (read from its DuckDB catalogue)."""
    from coredge.service.catalogue import STATUSES, CatalogueReader, list_runs

    if status is not None and status not in STATUSES:
        raise InputError.of("--status", status, f"one of: {', '.join(STATUSES)}")
    if limit < 1:
        raise InputError.of("--limit", limit, "at least 1")
    st = _open(store)
    reader = CatalogueReader(st)
    try:
        rows = list_runs(reader, status, limit)
    finally:
        reader.close()
    if json_out:
        emit_json({"store": str(st.root), "runs": rows})
        return
    t = Table(title=f"runs in {st.root}")
    for col in ("id", "scenario", "status", "created", "sites", "capex", "NPV", "lowest coverage"):
        t.add_column(col, justify="left" if col in ("id", "scenario", "status", "created") else "right",
                     no_wrap=col == "id")
    for r in rows:
        t.add_row(
            r["id"], str(r["name"]) + (f" ({r['variant']})" if r.get("variant") else ""), str(r["status"]),
            str(r["created"] or "")[:19].replace("T", " "), "–" if r["sites"] is None else str(r["sites"]),
            "–" if r["capex_usd"] is None else usd(r["capex_usd"]),
            "–" if r["npv_usd"] is None else usd(r["npv_usd"]), _pct(r["coverage_min"]),
        )
    console.print(t)


@runs_app.command("show")
def show_cmd(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run id (coredge runs list).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """One run: status, timings, options, error, headline figures and its run directory."""
    st = _open(store)
    job = st.read_job(run_id)
    if job is None:
        raise InputError.of("ID", run_id, f"a run of the store {st.root} (coredge runs list)")
    view = {k: v for k, v in job.items() if k != "scenario_text"}
    run_dir = st.run_dir(run_id)
    view["run_dir"] = str(run_dir) if (run_dir / "summary.json").is_file() else None
    if json_out:
        emit_json(view)
        return
    console.print(f"run {job['id']}: {job.get('name')}" + (f" ({job['variant']})" if job.get("variant") else "")
                  + f" · {job.get('status')}")
    for key in ("created", "started", "finished", "error", "scenario_sha256", "options", "run_dir"):
        if view.get(key) not in (None, {}):
            console.print(f"  {key}: {view[key]}")
    h = job.get("headline") or {}
    if h:
        console.print(
            f"  {h.get('sites')} sites, {h.get('it_mw') or 0:,.1f} MW IT, capex {usd(h.get('capex_usd') or 0)}, "
            f"NPV {usd(h.get('npv_usd') or 0)}, lowest coverage {_pct(h.get('coverage_min'))}"
        )


@runs_app.command("rm")
def rm_cmd(
    run_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Run ids to remove.")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove finished runs and their files (a queued or running run is cancelled through the service)."""
    from coredge.service.catalogue import FINAL

    st = _open(store)
    jobs = []
    for run_id in run_ids:
        job = st.read_job(run_id)
        if job is None:
            raise InputError.of("ID", run_id, f"a run of the store {st.root} (coredge runs list)")
        if job.get("status") not in FINAL:
            raise InputError.of("ID", run_id, f"a finished run; this one is {job.get('status')}: cancel it "
                                "through the service first (POST /api/runs/ID/cancel)")
        jobs.append(job)
    for job in jobs:
        st.remove(str(job["id"]))
    st.rebuild_catalogue()
    if json_out:
        emit_json({"removed": [j["id"] for j in jobs]})
        return
    console.print(f"removed {len(jobs)} run(s) from {st.root}")


@runs_app.command("add")
def add_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUN_DIR...", help="Run directories of coredge run or plan.")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Copy run directories written by coredge run / plan into the store (catalogued as done)."""
    st = _open(store, must_exist=False)
    from coredge.store import read_run

    for d in run_dirs:  # every directory is checked before anything is copied
        read_run(d)
    jobs = [st.import_run(d) for d in run_dirs]
    st.rebuild_catalogue()
    if json_out:
        emit_json({"added": [j["id"] for j in jobs]})
        return
    for d, j in zip(run_dirs, jobs, strict=True):
        console.print(f"{d} -> run {j['id']} ({j['name']})")
