"""Command-line interface: a thin Typer layer over the public API.

Exit codes: 0 success, 2 bad input (one-paragraph message, no traceback), 1 internal error,
130 interrupted (Ctrl-C, SIGINT) and 143 terminated (SIGTERM): an interrupted command prints
"interrupted" and leaves no partial output (output folders are written under a hidden temporary
name and renamed into place only when complete; see `coredge.files.atomic_dir`).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import traceback

from rich.markup import escape

from coredge.cli.app import app, err_console
from coredge.errors import InputError

_COMMAND_MODULES = (
    "run", "data", "physics", "cflp", "sim", "finance", "validation", "power", "runs", "serve",
)


_FAST_COMMANDS = {"simulate": "sim"}
"""Commands whose module is imported alone when the command line names them (the rest of the
CLI imports planner, finance and report modules that a simulation never uses)."""


def _register(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    first = next((a for a in args if not a.startswith("-")), None)
    if first in _FAST_COMMANDS and not any(a in ("--help", "-h") for a in args[:1]):
        importlib.import_module(f"coredge.cli.{_FAST_COMMANDS[first]}")
        return
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"coredge.cli.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"coredge.cli.{name}":
                raise


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised in the main thread of the ``coredge`` command.

    A `BaseException` that is not a `KeyboardInterrupt`, so that the command-line framework does
    not turn it into its own exit; on the way out every temporary output folder is removed
    (`coredge.files.atomic_dir` cleans up on any exception).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _install() -> dict[int, object]:
    previous: dict[int, object] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, _on_signal)
        except ValueError:  # not the main thread (an embedding application): leave signals alone
            break
    return previous


def main() -> None:
    """Entry point of the ``coredge`` command."""
    _register()
    previous = _install()
    try:
        app(prog_name="coredge")
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.message())}", highlight=False)
        sys.exit(2)
    except (Interrupted, KeyboardInterrupt) as exc:
        err_console.print("interrupted; no partial output was left (a sweep resumes when run again)")
        sys.exit(128 + exc.signum if isinstance(exc, Interrupted) else 130)
    except Exception as exc:  # internal error: exit 1
        if os.environ.get("COREDGE_DEBUG"):
            traceback.print_exc()
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "(set COREDGE_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


__all__ = ["app", "main"]
