"""The bad-input corpus (tests/data/bad/cases.yaml): every bad scenario, CSV, network spec,
OR-Library file, damaged run directory and CLI flag exits with its code (2) and a message holding
the expected substrings, never a traceback or an internal error. Every bad scenario file goes
through both `coredge validate` and `coredge run`, and they agree (one gate)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from coredge.safeload import load_yaml
from coredge_testing import TINY_BASE, run_cli

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES: list[dict[str, Any]] = load_yaml(BAD / "cases.yaml", "cases.yaml")


@pytest.fixture(scope="module")
def valid_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run directory of the tiny scenario (greedy planner), to be copied and damaged."""
    d = tmp_path_factory.mktemp("valid_run")
    src = d / "tiny.yaml"
    src.write_text(TINY_BASE + "planning: {planner: greedy}\nsimulation: {enabled: false}\n",
                   encoding="utf-8")
    res = run_cli("run", str(src), "--out", str(d / "run"))
    assert res.returncode == 0, res.stderr
    return d / "run"


def _damaged(valid: Path, damage: dict[str, Any], tmp: Path) -> Path:
    run = tmp / "run"
    shutil.copytree(valid, run)
    for name in damage.get("remove", []) if isinstance(damage.get("remove"), list) else [damage.get("remove")]:
        if name:
            (run / name).unlink()
    for name, text in (damage.get("write") or {}).items():
        (run / name).write_text(text, encoding="utf-8")
    return run


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)
    kinds = {i.split("-", 1)[0] for i in ids}
    assert kinds == {"scenario", "csv", "spec", "cli", "orlib", "run"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_case(case: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    subs = {"{bad}": str(BAD), "{tmp}": str(tmp_path)}
    if "run" in case:
        subs["{run}"] = str(_damaged(request.getfixturevalue("valid_run"), case["run"], tmp_path))
    argv = []
    for a in case["argv"]:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    res = run_cli(*argv)
    msg = res.stderr + res.stdout
    flat = " ".join(msg.replace("│", " ").split())
    assert res.returncode == case["exit"], msg
    assert "Traceback" not in msg and "internal error" not in msg, msg
    for s in case["expect"]:
        assert s in flat, (s, msg)
    assert not (tmp_path / "out").exists()  # nothing written for bad input


GATED = [c for c in CASES if c["id"].split("-", 1)[0] in ("scenario", "csv")
         and c["argv"][0] in ("validate", "run")]
"""Cases that are a bad scenario file: `validate` and `run` must reject each alike."""


def _problem_lines(text: str) -> list[str]:
    return sorted(" ".join(line.split()) for line in text.replace("│", " ").splitlines()
                  if line.strip().startswith("- "))


def test_every_scenario_case_goes_through_the_gate() -> None:
    assert len(GATED) >= 50


@pytest.mark.parametrize("case", GATED, ids=[c["id"] for c in GATED])
def test_validate_and_run_agree(case: dict[str, Any], tmp_path: Path) -> None:
    """The scenario file of the case is rejected by both commands with the same problems."""
    path = case["argv"][1].replace("{bad}", str(BAD)).replace("{tmp}", str(tmp_path))
    val = run_cli("validate", path)
    flagged = {line.split(".")[1].split(":")[0] for line in _problem_lines(val.stderr)
               if line.startswith("- variants.")}
    # a bad variant is rejected when it is the one run (validate checks them all)
    variant = ["--scenario-variant", flagged.pop()] if len(flagged) == 1 else []
    run = run_cli("run", path, *variant, "--out", str(tmp_path / "out"))
    for res in (val, run):
        msg = res.stderr + res.stdout
        flat = " ".join(msg.replace("│", " ").split())
        assert res.returncode == case["exit"], msg
        assert "Traceback" not in msg and "internal error" not in msg, msg
        for s in case["expect"]:
            assert s in flat, (s, msg)
    assert _problem_lines(val.stderr) == _problem_lines(run.stderr)
    assert not (tmp_path / "out").exists()
