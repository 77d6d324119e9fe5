"""The validation registry, its error statistics, the queueing and OR-Library checks, and
`coredge validation`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.validation import ErrorStat, error_stat, load_checks, relative_errors, run_checks
from coredge.validation.queueing import erlang_b, erlang_c, mmck_blocking
from coredge_testing import run_cli


def test_error_statistics_by_hand() -> None:
    pred, meas = [12.0, 9.0, 10.0, 20.0], [10.0, 10.0, 10.0, 10.0]
    s = error_stat("m", "d", "all", pred, meas, "src", "2025", max_median_pct=15.0, max_p90_pct=80.0)
    errs = np.array([0.2, -0.1, 0.0, 1.0])
    assert s.n == 4
    assert s.median_pct == pytest.approx(100 * np.median(np.abs(errs)))  # 15 %
    assert s.p90_pct == pytest.approx(100 * np.quantile(np.abs(errs), 0.9))
    assert s.bias_pct == pytest.approx(100 * np.median(errs))
    assert s.p90_pct == pytest.approx(76.0)  # numpy's linear quantile of 0, 0.1, 0.2, 1.0
    assert s.within_tolerance  # median 15 % on its limit, P90 76 % inside 80 %
    s2 = error_stat("m", "d", "all", pred, meas, "src", "2025", max_median_pct=14.9)
    assert not s2.within_tolerance
    assert s.as_dict()["within_tolerance"] == s.within_tolerance


def test_within_tolerance_is_inclusive() -> None:
    s = ErrorStat("m", "d", "all", 1, 15.0, 15.0, 15.0, "s", "2025", 15.0, 15.0)
    assert s.within_tolerance
    d = ErrorStat("m", "d", "all", 1, 1.0, 1.0, 1.0, "s", "2025").as_dict()
    assert d["max_median_pct"] is None and d["within_tolerance"] is True


def test_relative_errors_refuse_bad_measurements() -> None:
    with pytest.raises(ValueError, match="shape"):
        relative_errors([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="non-zero"):
        relative_errors([1.0], [0.0])


def test_queueing_formulas_against_known_values() -> None:
    # Erlang B(2, 1) = 0.2; Erlang C(2, 1) = 1/3; M/M/1/1 blocking at a = 1 is 1/2
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    assert mmck_blocking(1, 1, 1.0) == pytest.approx(0.5)
    # M/M/c/c: blocking = Erlang B
    assert mmck_blocking(4, 4, 3.0) == pytest.approx(erlang_b(4, 3.0))


def test_unknown_check_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        run_checks(["nope"])
    assert "--check" in str(info.value) and "queueing" in str(info.value)


def test_every_check_registered_and_within_its_tolerance(validation_stats: list[ErrorStat]) -> None:
    assert {"queueing", "cflp"} <= set(load_checks())
    assert validation_stats
    for s in validation_stats:
        assert s.n >= 1 and s.source and s.date, s
        assert math.isfinite(s.median_pct) and s.median_pct <= s.p90_pct + 1e-12, s
        assert s.within_tolerance, f"{s.model} / {s.dataset} / {s.subset}: {s.median_pct:.2f}% / {s.p90_pct:.2f}%"


def test_exact_checks_are_tight(validation_stats: list[ErrorStat]) -> None:
    orlib = [s for s in validation_stats if s.dataset.startswith("OR-Library")]
    assert {s.dataset for s in orlib} == {"OR-Library MS-CFLP optima", "OR-Library UFLP optima"}
    assert all(s.n == 8 and s.p90_pct < 1e-4 for s in orlib)
    queue = [s for s in validation_stats if s.dataset.startswith("queueing theory")]
    assert len(queue) == 3 and all(s.max_median_pct <= 5.0 for s in queue)


def test_cli_json_and_out(tmp_path: Path) -> None:
    out = tmp_path / "val"
    r = run_cli("validation", "--check", "queueing", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert [c["dataset"] for c in doc["checks"]] == [
        "queueing theory: mean wait", "queueing theory: P(wait)", "queueing theory: blocking"]
    assert doc["all_within_tolerance"] is True
    assert {Path(p).name for p in doc["files"].values()} == {"validation.html", "validation.json", "validation.csv"}
    assert "queueing theory: blocking" in (out / "validation.html").read_text(encoding="utf-8")
    assert json.loads((out / "validation.json").read_text(encoding="utf-8"))["checks"] == doc["checks"]
    assert (out / ".coredge-output.json").is_file()
    # a second run replaces it only with --overwrite
    again = run_cli("validation", "--check", "queueing", "--out", str(out))
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_cli_refuses_a_user_folder_and_an_unknown_check(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    r = run_cli("validation", "--check", "queueing", "--out", str(mine))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    bad = run_cli("validation", "--check", "nope")
    assert bad.returncode == 2 and "--check" in bad.stderr and "Traceback" not in bad.stderr
