"""Helpers shared by the test folders: a tiny scenario, CLI runners and the shared reference files.

`tests/conftest.py` puts this folder on ``sys.path`` so every test module can import it.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
"""This folder (``tests/``)."""
VENDORED_SHARED = TESTS_DIR / "data" / "shared"
"""Copies of the ``../shared`` files the tests need most (see its README.md)."""
SHARED_DIR = TESTS_DIR.parent.parent / "shared"
"""The project's ``../shared`` folder beside the repository (absent on a plain clone)."""


def shared_file(rel: str, what: str) -> Path:
    """A file of ``../shared``: the vendored copy, else ``../shared/<rel>``, else skip the test.

    Parameters
    ----------
    rel : str
        Path below ``shared/``, e.g. ``"calibration/h100_sxm_profile.json"``.
    what : str
        What the test needs the file for (goes into the skip reason).

    Returns
    -------
    Path
        An existing file.
    """
    for base in (VENDORED_SHARED, SHARED_DIR):
        if (base / rel).exists():
            return base / rel
    pytest.skip(f"needs ../shared/{rel}: {what} (not vendored under tests/data/shared/)")

TINY_BASE = """
name: tiny
description: The largest US cities over five years.
horizon: {start_year: 2026, end_year: 2030}
demand:
  source: cities
  countries: [US]
  min_population: 1500000
candidates:
  core_regions: [dallas-fort-worth, northern-virginia, phoenix-mesa]
  regional_min_population: 1500000
  micro_min_population: 1500000
workloads:
  batch: {dtype: fp8}
training: {it_mw_start: 50.0}
"""
"""A small scenario: the 9 US cities of 1.5M people or more, 2026-2030, three core regions."""

TINY = TINY_BASE + """variants:
  bigger:
    demand: {market_share: 0.5}
"""
"""`TINY_BASE` with one named variant, as a scenario file would hold it."""


def tiny_path(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the coredge CLI in-process, as `coredge.cli.main` runs it for a user.

    The call goes through `coredge.cli.main` (so bad input exits 2 with its one-paragraph
    message, an internal error 1) inside Click's `CliRunner` isolation: stdin, stdout, stderr and
    the environment variables in ``env`` are swapped for the call, ``sys.argv`` is the command
    line, and ``cwd`` is the working directory. Returns what `subprocess.run` would.
    """
    import os

    from click.testing import CliRunner

    from coredge.cli import main

    argv = ["coredge", *args]
    old_argv, old_cwd = sys.argv, Path.cwd()
    code = 0
    with CliRunner().isolation(env=env) as (out, err, _mixed):
        sys.argv = argv
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = old_argv
            os.chdir(old_cwd)
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return subprocess.CompletedProcess(argv, code, stdout, stderr)


def run_cli_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the coredge CLI in a fresh interpreter (``python -m coredge``): for the tests whose
    point is the real entry point or a separate process (worker pools)."""
    return subprocess.run(
        [sys.executable, "-m", "coredge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


EXACT_CFLP: dict[str, Any] = {"time_limit_s": math.inf, "highs_options": {"mip_max_nodes": 1000}}
"""Keyword arguments of `coredge.cflp.solve_cflp` / `solve_pmedian` for a test that asserts an
optimum: no wall-clock limit (a slow machine cannot change the outcome) and a branch-and-bound
node limit instead, which stops a run-away solve the same way everywhere. The OR-Library
instances of the tests need at most 9 nodes with HiGHS 1.16; hitting the limit reports
``status == "time_limit"`` and fails the test's ``status == "optimal"`` check."""
