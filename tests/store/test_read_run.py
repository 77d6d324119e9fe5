"""`coredge.store.read_run`, the one reader of a run directory: a damaged or foreign directory
gets an input error naming the file and why (exit 2 from the CLI), never a KeyError."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from coredge.errors import InputError
from coredge.files import MARKER
from coredge.pipeline import execute, write_run
from coredge.scenario.load import build_scenario
from coredge.store import read_run
from coredge_testing import TINY_BASE, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    raw = yaml.safe_load(TINY_BASE)
    raw["planning"] = {"planner": "greedy"}
    raw["simulation"] = {"enabled": False}
    res = execute(build_scenario(raw))
    out = write_run(res, tmp_path_factory.mktemp("store") / "run")
    return out, res


def _copy(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(run, dst)
    return dst


def test_round_trip(run_dir: tuple[Path, object]) -> None:
    out, res = run_dir
    got = read_run(out)
    plan = res.plan  # type: ignore[attr-defined]
    assert got.scenario == res.scenario  # type: ignore[attr-defined]
    assert np.array_equal(got.plan.it_mw_by_year, plan.it_mw_by_year)
    assert np.allclose(got.plan.training_mw_by_year, plan.training_mw_by_year, atol=1e-9)
    assert np.array_equal(got.plan.unmet_mw, plan.unmet_mw)
    assert list(got.plan.sites["site_id"]) == list(plan.sites["site_id"])
    assert got.summary["npv_usd"] == pytest.approx(res.summary["npv_usd"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "plan.json").write_text("{not json", encoding="utf-8"), "plan.json"),
        (lambda d: (d / "plan.json").write_text("[]", encoding="utf-8"), "one JSON object"),
        (lambda d: (d / "plan.json").write_text('{"years": [2026]}', encoding="utf-8"), "no 'scenario'"),
        (lambda d: (d / "assignments.parquet").write_bytes(b"PAR1 damaged"), "assignments.parquet"),
        (lambda d: (d / "assignments.parquet").unlink(), "assignments.parquet is missing"),
        (lambda d: (d / "plan.json").unlink(), "plan.json is missing"),
        (lambda d: (d / MARKER).unlink(), "older coredge"),
        (lambda d: (d / MARKER).write_text(json.dumps(
            {"format": "coredge-output", "kind": "run", "format_version": 99}), encoding="utf-8"),
         "format version 99"),
        (lambda d: (d / MARKER).write_text(json.dumps(
            {"format": "coredge-output", "kind": "compare", "format_version": 1}), encoding="utf-8"),
         "not a run directory"),
    ],
)
def test_damaged_run_directory(run_dir: tuple[Path, object], tmp_path: Path, damage: object, message: str) -> None:
    d = _copy(run_dir[0], tmp_path)
    damage(d)  # type: ignore[operator]
    with pytest.raises(InputError) as info:
        read_run(d)
    assert message in info.value.message()


def test_damaged_sites_and_indices(run_dir: tuple[Path, object], tmp_path: Path) -> None:
    d = _copy(run_dir[0], tmp_path)
    doc = json.loads((d / "plan.json").read_text(encoding="utf-8"))
    for s in doc["sites"]:
        del s["it_mw_by_year"]
    (d / "plan.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"plan\.json sites"):
        read_run(d)
    d2 = tmp_path / "copy2"
    shutil.copytree(run_dir[0], d2)
    import pandas as pd

    a = pd.read_parquet(d2 / "assignments.parquet")
    a.loc[0, "site_index"] = 10_000
    a.to_parquet(d2 / "assignments.parquet", index=False)
    with pytest.raises(InputError, match="do not exist"):
        read_run(d2)


def test_cli_names_the_file_with_exit_2(run_dir: tuple[Path, object], tmp_path: Path) -> None:
    d = _copy(run_dir[0], tmp_path)
    (d / "plan.json").write_text("{broken", encoding="utf-8")
    for cmd in (("finance",), ("risk", "--trials", "10"), ("simulate", "--requests", "100")):
        r = run_cli(cmd[0], str(d), *cmd[1:])
        text = " ".join(r.stderr.split())
        assert r.returncode == 2 and "plan.json" in text and "Traceback" not in text, (cmd, r.stderr)
