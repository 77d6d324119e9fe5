"""Every command's --help shows its units: ``[s]``, ``[kW/rack]``, ``[fraction]`` are text, not
Rich markup (which would swallow them), at 80 columns."""

from __future__ import annotations

import re

import pytest

from coredge_testing import run_cli


def _commands() -> list[str]:
    from coredge.cli import _register
    from coredge.cli.app import app

    _register()
    return sorted(c.name for c in app.registered_commands if c.name)


@pytest.mark.parametrize("cmd", _commands())
def test_help_keeps_bracketed_units(cmd: str) -> None:
    r = run_cli(cmd, "--help", env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    assert "Usage: coredge " + cmd in r.stdout
    # no option description ends in a bare " ." where a unit was swallowed
    assert not re.search(r"\w \.(\s|$)", r.stdout), r.stdout


def test_units_visible_in_site_and_plan_help() -> None:
    site = run_cli("site", "--help", env={"COLUMNS": "80"}).stdout
    assert "[kW/rack]" in site and "[fraction of capacity]" in site
    plan = run_cli("plan", "--help", env={"COLUMNS": "80"}).stdout
    assert "Solver time limit [s]" in " ".join(plan.split())
