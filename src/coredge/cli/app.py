"""The Typer application and helpers shared by every command module.

Each command lives in a module of this package (``coredge.cli.run``, ``coredge.cli.physics`` ...)
that imports `app` from here and registers itself with ``@app.command()``. `coredge.cli.main`
imports them all.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console

app = typer.Typer(
    name="coredge",
    help="Plan, simulate and price AI compute split between core campuses and edge sites.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Scenario YAML file or built-in name (default: the built-in 'us')."),
]
"""The optional SCENARIO argument shared by the commands."""

VariantOpt = Annotated[
    str | None,
    typer.Option("--scenario-variant", "-V", help="Name of a variant in the scenario's 'variants'."),
]
"""``--scenario-variant NAME``."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON line last.")]
"""``--json``: the last stdout line is one JSON object."""


@app.callback()
def _root() -> None:
    """Plan, simulate and price AI compute split between core campuses and edge sites."""


console = Console()
"""Tables and human-readable results (stdout)."""

err_console = Console(stderr=True)
"""Progress, warnings and error messages (stderr), so that stdout stays parseable."""


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def to_json_line(obj: dict[str, Any]) -> str:
    """Serialise a summary to one JSON line (NaN/inf become null; numpy scalars become Python)."""
    return json.dumps(_jsonable(obj), separators=(",", ":"), allow_nan=False)


def emit_json(obj: dict[str, Any]) -> None:
    """Print the summary object as the last line of stdout."""
    print(to_json_line(obj), flush=True)
