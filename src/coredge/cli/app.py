"""The Typer application and helpers shared by every command module.

Each command lives in a module of this package (``coredge.cli.run``, ``coredge.cli.physics`` ...)
that imports `app` from here and registers itself with ``@app.command()``. `coredge.cli.main`
imports them all.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table as RichTable
from rich.text import Text

from coredge.files import to_json_line

app = typer.Typer(
    name="coredge",
    help="Plan, simulate and price AI compute split between core campuses and edge sites.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: '[kW]' and '[s]' are units, not Rich markup
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

OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace --out if it is an existing coredge output (anything else is never touched).",
    ),
]
"""``--overwrite``: allow replacing an existing coredge output folder given as ``--out``."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON line last.")]
"""``--json``: the last stdout line is one JSON object."""


@app.callback()
def _root() -> None:
    """Plan, simulate and price AI compute split between core campuses and edge sites."""


console = Console(markup=False)
"""Tables and human-readable results (stdout). Markup is off, so a unit in brackets such as
``CO2 [t]`` or ``payback [years]`` prints as written (rich would take it for a style tag)."""

err_console = Console(stderr=True)
"""Progress, warnings and error messages (stderr), so that stdout stays parseable."""


SHORT_CELL = 12
"""Cells up to this many characters without a space (figures) are never folded [characters]."""


class Table(RichTable):
    """A Rich table for people: light borders, and a cell too long for its column folds onto the
    next line instead of being cut with an ellipsis (``$66…``), so no figure is lost at 80
    columns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key in ("title", "caption"):  # names in titles are text, never markup
            if isinstance(kwargs.get(key), str):
                kwargs[key] = Text(kwargs[key])
        kwargs.setdefault("box", box.SIMPLE_HEAD)
        kwargs.setdefault("pad_edge", False)
        kwargs.setdefault("padding", (0, 0))
        super().__init__(*args, **kwargs)

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # a short figure ("$13.35B", "-3.1%") keeps its whole width; headers and long text wrap
        for col in self.columns:
            widths = [len(c) for c in col._cells if isinstance(c, str) and " " not in c]
            short = max((w for w in widths if w <= SHORT_CELL), default=0)
            if short:
                col.min_width = max(col.min_width or 0, short)
        yield from super().__rich_console__(console, options)



def emit_json(obj: dict[str, Any]) -> None:
    """Print the summary object as the last line of stdout."""
    print(to_json_line(obj), flush=True)


BREAK_EVEN_LABELS = {"rent": "rent", "gpu_hour_price": "GPU-hour price", "utilisation": "utilisation",
                     "capex_per_mw": "capex per MW"}


def break_even_line(be: dict[str, Any]) -> str:
    """One line: each view's break-even multipliers at the hurdle rate."""
    parts = []
    for view in ("landlord", "operator"):
        v = be.get(view) or {}
        items = [f"{BREAK_EVEN_LABELS.get(k, k)} x{m:.2f}" if m is not None else f"{BREAK_EVEN_LABELS.get(k, k)}: none in x0-10"
                 for k, m in v.items() if k != "npv_at_hurdle_usd"]
        if items:
            parts.append(f"{view} " + ", ".join(items))
    return f"break-even at a {be.get('hurdle_rate', float('nan')):.1%} hurdle (one driver at a time): " + "; ".join(parts)
