"""``coredge solve-cflp``: solve a facility-location benchmark file with the planner engine."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from coredge.cflp.model import VARIANTS
from coredge.cflp.readers import FORMATS, read_instance
from coredge.cflp.solve import solve_cflp
from coredge.cli.app import app, console, emit_json, err_console
from coredge.errors import InputError


@app.command("solve-cflp")
def solve_cflp_cmd(
    file: Path = typer.Argument(..., help="Instance file (OR-Library cap* or Holmberg pN)."),
    variant: str = typer.Option(
        "multi-source", "--variant", help="multi-source | single-source | uncapacitated"
    ),
    capacity: float | None = typer.Option(
        None, "--capacity", help="Capacity of every facility (needed for capa/capb/capc)."
    ),
    fmt: str = typer.Option("orlib", "--format", help="orlib | holmberg"),
    time_limit: float = typer.Option(300.0, "--time-limit", help="Wall-time limit [s]."),
    gap: float = typer.Option(1e-9, "--gap", help="Relative optimality gap to stop at."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary as the last line."),
) -> None:
    """Solve a capacitated / single-source / uncapacitated facility-location instance."""
    if variant not in VARIANTS:
        raise InputError.of("--variant", variant, "one of: " + ", ".join(VARIANTS))
    if fmt not in FORMATS:
        raise InputError.of("--format", fmt, "one of: " + ", ".join(FORMATS))
    inst = read_instance(file, fmt, capacity)
    err_console.print(
        f"solving {inst.name}: {inst.m} facilities x {inst.n} customers, {variant}", highlight=False
    )
    res = solve_cflp(inst, variant=variant, time_limit_s=time_limit, mip_rel_gap=gap)
    summary = {"instance": inst.name, "file": str(file), **res.summary()}
    if as_json:
        emit_json(summary)
        return
    table = Table(title=escape(f"solve-cflp {inst.name} ({variant})"))
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in ("objective", "bound", "gap", "status", "seconds", "n_open"):
        val = summary[key]
        table.add_row(key, f"{val:.6f}" if isinstance(val, float) else str(val))
    console.print(table)
