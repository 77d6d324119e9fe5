"""`--out` never touches what is not coredge's (coredge.files.atomic_dir / claim_dir), and the
commands that write refuse a user's folder with exit 2 before doing any work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coredge.errors import InputError
from coredge.files import MARKER, atomic_dir, claim_dir, read_marker
from coredge_testing import run_cli, tiny_path

GREEDY = "planning: {planner: greedy}\nsimulation: {enabled: false}\n"


def _user_folder(tmp_path: Path) -> Path:
    d = tmp_path / "mydata"
    d.mkdir()
    (d / "thesis.txt").write_text("years of work", encoding="utf-8")
    return d


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def test_new_and_empty_folders_are_written_with_the_marker(tmp_path: Path) -> None:
    for final in (tmp_path / "new" / "deeper", tmp_path / "empty"):
        if final.name == "empty":
            final.mkdir()
        with atomic_dir(final, "run") as tmp:
            (tmp / "a.txt").write_text("x", encoding="utf-8")
        assert (final / "a.txt").read_text(encoding="utf-8") == "x"
        marker = read_marker(final)
        assert marker is not None and marker["kind"] == "run" and marker["format_version"] == 1
        assert _siblings(final) == []


def test_a_users_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    d = _user_folder(tmp_path)
    with pytest.raises(InputError, match="holds other files") as info:
        with atomic_dir(d, "run") as tmp:
            (tmp / "a.txt").write_text("x", encoding="utf-8")
    assert info.value.problems[0].field == "--out"
    assert sorted(p.name for p in d.iterdir()) == ["thesis.txt"]
    assert (d / "thesis.txt").read_text(encoding="utf-8") == "years of work"
    assert _siblings(d) == []
    # --overwrite does not change that: only coredge outputs are ever replaced
    with pytest.raises(InputError, match="holds other files"):
        with atomic_dir(d, "run", overwrite=True):
            pass
    assert sorted(p.name for p in d.iterdir()) == ["thesis.txt"]


def test_a_file_and_a_symlink_are_refused_and_untouched(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="existing file"):
        with atomic_dir(f, "run", overwrite=True):
            pass
    assert f.read_text(encoding="utf-8") == "mine" and _siblings(f) == []
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(InputError, match="symlink"):
        with atomic_dir(link, "run", overwrite=True):
            pass
    assert link.is_symlink() and list(target.iterdir()) == []


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with atomic_dir(final, "run") as tmp:
        (tmp / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="--overwrite"):
        with atomic_dir(final, "run") as tmp:
            (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert (final / "old.txt").exists() and not (final / "new.txt").exists()
    with atomic_dir(final, "run", overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in final.iterdir()) == sorted([MARKER, "new.txt"])
    assert _siblings(final) == []


def test_a_failure_inside_leaves_the_old_output_and_no_temporary(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with atomic_dir(final, "run") as tmp:
        (tmp / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_dir(final, "run", overwrite=True) as tmp:
            (tmp / "half.txt").write_text("half", encoding="utf-8")
            raise RuntimeError("killed half way")
    assert sorted(p.name for p in final.iterdir()) == sorted([MARKER, "old.txt"])
    assert _siblings(final) == []


def test_temporaries_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    final = tmp_path / "run"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".run.tmp-{pid}-abc"
    stale.mkdir()
    (stale / "partial").write_text("x", encoding="utf-8")
    live = tmp_path / f".run.tmp-{os.getpid()}-def"  # this process: still running, kept
    live.mkdir()
    with atomic_dir(final, "run"):
        pass
    assert not stale.exists() and live.exists()


def test_claim_dir_resumes_its_own_kind_only(tmp_path: Path) -> None:
    d = tmp_path / "sweep"
    assert claim_dir(d, "sweep") is False
    assert claim_dir(d, "sweep") is True
    with pytest.raises(InputError, match="'sweep'"):
        claim_dir(d, "run")
    u = _user_folder(tmp_path)
    with pytest.raises(InputError, match="holds other files"):
        claim_dir(u, "sweep")
    assert sorted(p.name for p in u.iterdir()) == ["thesis.txt"]


@pytest.mark.parametrize(
    "command",
    [
        ("run",),
        ("plan",),
        ("compare",),
        ("risk", "--trials", "100"),
    ],
)
def test_commands_refuse_a_users_folder(tmp_path: Path, command: tuple[str, ...]) -> None:
    d = _user_folder(tmp_path)
    r = run_cli(command[0], str(tiny_path(tmp_path)), *command[1:], "--out", str(d))
    assert r.returncode == 2, r.stderr
    assert "--out" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in d.iterdir()) == ["thesis.txt"]
    assert (d / "thesis.txt").read_text(encoding="utf-8") == "years of work"
    assert _siblings(d) == []


def test_simulate_and_sweep_refuse_a_users_folder(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "sites": [{"id": "s0", "servers": 2}],
        "demand": [{"id": "d0", "rate_per_s": 1.0}],
        "rtt_ms": [[5.0]],
        "service": {"distribution": "exponential", "mean_ms": 10.0},
    }), encoding="utf-8")
    d = _user_folder(tmp_path)
    r = run_cli("simulate", str(spec), "--requests", "1000", "--out", str(d))
    assert r.returncode == 2 and "--out" in r.stderr, r.stderr
    r = run_cli("sweep", str(tiny_path(tmp_path)), "--vary", "demand.market_share=0.1,0.2",
                "--trials", "10", "--chunks", "1", "--out", str(d))
    assert r.returncode == 2 and "--out" in r.stderr, r.stderr
    assert sorted(p.name for p in d.iterdir()) == ["thesis.txt"]


def test_run_twice_needs_overwrite(tmp_path: Path) -> None:
    scen = tmp_path / "g.yaml"
    scen.write_text(tiny_path(tmp_path).read_text(encoding="utf-8") + GREEDY, encoding="utf-8")
    out = tmp_path / "run"
    first = run_cli("run", str(scen), "--out", str(out), "--json")
    assert first.returncode == 0, first.stderr
    assert read_marker(out) is not None and (out / "summary.json").is_file()
    again = run_cli("run", str(scen), "--out", str(out), "--json")
    assert again.returncode == 2 and "--overwrite" in again.stderr
    replaced = run_cli("run", str(scen), "--out", str(out), "--overwrite", "--json")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(replaced.stdout.strip().splitlines()[-1])["run_dir"] == str(out.resolve())
    assert _siblings(out) == []
