"""``coredge validation``: every model against the public data it ships, with its error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coredge.cli.app import JsonOpt, OverwriteOpt, Table, app, console, emit_json, err_console
from coredge.formatting import num


@app.command("validation")
def validation_cmd(
    check: Annotated[
        list[str] | None,
        typer.Option("--check", help="Run only this check (repeatable): rtt, serving, training, "
                     "queueing, cflp, ... (default: all)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for validation.html, .json and .csv.")
    ] = None,
    overwrite: OverwriteOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Errors of coredge's models against public measurements (median and P90 per data set)."""
    from coredge.files import check_out
    from coredge.validation import load_checks

    if out is not None:
        check_out(out, overwrite)  # refuse a bad --out before any work
    from coredge.validation import run_checks

    checks = load_checks()
    names = sorted(checks) if not check else list(check)
    stats = []
    for name in names:
        err_console.print(f"[dim]·[/] check {name}", highlight=False)
        stats.extend(run_checks([name]))
    files: dict[str, str] = {}
    if out is not None:
        from coredge.validation.report import write_validation

        files = write_validation(stats, out, overwrite)
    if json_out:
        emit_json({"checks": [s.as_dict() for s in stats], "files": files,
                   "all_within_tolerance": all(s.within_tolerance for s in stats)})
        return
    t = Table(title="coredge validation: |predicted / measured - 1|")
    for col in ("model", "data set", "subset", "n", "median", "P90", "bias", "tolerance", "source (date)"):
        t.add_column(col, justify="right" if col in ("n", "median", "P90", "bias") else "left")
    for s in stats:
        tol = "-" if s.max_median_pct == float("inf") else f"{num(s.max_median_pct, 1)}% / {num(s.max_p90_pct, 1)}%"
        style = None if s.within_tolerance else "red"
        t.add_row(s.model, s.dataset, s.subset, str(s.n), num(s.median_pct, 1) + "%", num(s.p90_pct, 1) + "%",
                  num(s.bias_pct, 1) + "%", tol, f"{s.source} ({s.date})", style=style)
    console.print(t)
    for name, path in files.items():
        console.print(f"{name}: {path}")
