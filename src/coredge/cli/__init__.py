"""Command-line interface: a thin Typer layer over the public API.

Exit codes: 0 success, 2 bad input (one-paragraph message, no traceback), 1 internal error.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

from rich.markup import escape

from coredge.cli.app import app, err_console
from coredge.errors import InputError

_COMMAND_MODULES = ("run", "data", "physics", "cflp", "sim", "finance", "validation")


def _register() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"coredge.cli.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"coredge.cli.{name}":
                raise


def main() -> None:
    """Entry point of the ``coredge`` command."""
    _register()
    try:
        app(prog_name="coredge")
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.message())}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing was written")
        sys.exit(130)
    except Exception as exc:  # internal error: exit 1
        if os.environ.get("COREDGE_DEBUG"):
            traceback.print_exc()
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "(set COREDGE_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(1)


__all__ = ["app", "main"]
