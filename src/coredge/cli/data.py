"""``coredge data``: list the built-in datasets and their provenance."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from coredge.cli.app import Table, app, console, emit_json
from coredge.data import DATASETS, dataset_rows


def datasets_summary() -> list[dict[str, Any]]:
    """Every built-in dataset as a dict: `DatasetInfo` fields plus ``rows``."""
    return [{**asdict(info), "rows": dataset_rows(info.name)} for info in DATASETS]


@app.command("data")
def data_command(
    json_out: bool = typer.Option(
        False, "--json", help='Print one JSON object {"datasets": [...]} as the last line.'
    ),
) -> None:
    """List the built-in datasets: source, year, unit, licence and row count."""
    summary = datasets_summary()
    if json_out:
        emit_json({"datasets": summary})
        return
    table = Table(title="coredge built-in datasets", show_lines=False)
    table.add_column("name", no_wrap=True)
    for col in ("source", "year", "unit", "licence"):
        table.add_column(col, overflow="fold")
    table.add_column("rows", justify="right", no_wrap=True)
    for row in summary:
        table.add_row(
            row["name"], row["source"], row["year"], row["unit"], row["licence"], str(row["rows"])
        )
    console.print(table)
