"""CLI: coredge profile / train / site, JSON last line, bad input -> exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coredge.cli import _register
from coredge.cli.app import app
from coredge.physics.serving import decode_step_ms
from coredge_testing import run_cli

_register()
runner = CliRunner()


def _last_json(out: str) -> dict[str, object]:
    return json.loads(out.strip().splitlines()[-1])


def test_profile_json_point() -> None:
    args = [
        "profile",
        "--model",
        "llama3-70b",
        "--gpu",
        "h100",
        "--tp",
        "4",
        "--batch",
        "64",
        "--context",
        "4096",
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    for key in ("tokens_per_s", "ttft_ms", "tpot_ms", "power_w", "joules_per_token"):
        assert isinstance(d[key], float) and d[key] > 0
    assert d["tpot_ms"] == pytest.approx(float(decode_step_ms("llama3-70b", "h100", 64, 4096, 4)))
    assert d["tokens_per_s"] == pytest.approx(64 * 1000 / d["tpot_ms"])  # type: ignore[operator]
    assert d["joules_per_token"] == pytest.approx(d["power_w"] * 4 / d["tokens_per_s"])  # type: ignore[operator]


def test_profile_table_over_batches() -> None:
    res = runner.invoke(app, ["profile", "--model", "llama3-8b", "--gpu", "h100", "--json"])
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    rows = d["rows"]
    assert isinstance(rows, list) and len(rows) > 3
    assert rows[0]["batch"] == 1 and rows[-1]["batch"] == d["max_batch"]
    tps = [r["tokens_per_s"] for r in rows]
    assert tps == sorted(tps)
    human = runner.invoke(app, ["profile", "--model", "llama3-8b", "--gpu", "h100"])
    assert human.exit_code == 0 and "TPOT" in human.stdout


def test_profile_engine_max_throughput_and_load() -> None:
    base = ["profile", "--model", "llama3-70b", "--gpu", "h100", "--dtype", "fp8",
            "--isl", "2048", "--osl", "128"]  # fmt: skip
    res = runner.invoke(app, [*base, "--tp", "2", "--json"])
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    # published TensorRT-LLM 0.17 H100 figure for this row: 386.3 tok/s per GPU
    assert 386.3 * 0.8 < d["max_output_tok_s_per_gpu"] < 386.3 * 1.2
    assert d["tp"] == 2 and d["engine"] == "trtllm" and d["batch"] >= 1
    for key in ("model", "gpu", "dtype", "max_batch", "binding"):
        assert key in d
    res = runner.invoke(app, [*base, "--engine", "vllm", "--qps", "0.5", "--json"])
    assert res.exit_code == 0, res.output
    q = _last_json(res.stdout)
    assert q["engine"] == "vllm" and q["ttft_ms"] > 0 and q["tpot_ms"] > 0
    assert q["output_tok_s_per_gpu"] == pytest.approx(0.5 * 128 / q["tp"])
    assert "queueing model" in q["load_model"]


def test_train_json() -> None:
    args = [
        "train",
        "--params",
        "405e9",
        "--tokens",
        "15.6e12",
        "--gpu",
        "h100",
        "--gpus",
        "16384",
        "--mfu",
        "0.4",
        "--pue",
        "1.1",
        "--grid-gco2-per-kwh",
        "400",
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    assert d["flops"] == pytest.approx(6 * 405e9 * 15.6e12)
    assert d["gpu_hours"] == pytest.approx(30.84e6, rel=0.25)
    assert d["days"] == pytest.approx(d["gpu_hours"] / 16384 / 24)  # type: ignore[operator]
    assert d["co2_t"] == pytest.approx(d["energy_mwh"] * 0.4)  # type: ignore[operator]


def test_train_power_override_and_sources() -> None:
    base = ["train", "--params", "175e9", "--tokens", "300e9", "--gpu", "v100", "--gpus", "10000",
            "--mfu", "0.197", "--goodput", "1", "--pue", "1.1", "--grid-gco2-per-kwh", "429"]
    res = runner.invoke(app, [*base, "--json"])
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    # default: the measured V100 average (Patterson et al. 2021), not the nameplate
    assert str(d["power_source"]).startswith("measured")
    assert d["avg_power_w_per_gpu"] < d["nameplate_w_per_gpu"]  # type: ignore[operator]
    assert d["energy_mwh"] == pytest.approx(1287.0, rel=0.15)  # Patterson et al. 2021 Table 4
    res = runner.invoke(app, [*base, "--power-w", "330", "--json"])
    assert res.exit_code == 0, res.output
    o = _last_json(res.stdout)
    assert o["power_source"] == "given (--power-w)" and o["avg_power_w_per_gpu"] == 330.0
    assert o["energy_mwh"] == pytest.approx(o["gpu_hours"] * 330.0 / 1e6 * 1.1)  # type: ignore[operator]


def test_site_json() -> None:
    args = [
        "site",
        "--tier",
        "regional",
        "--it-mw",
        "10",
        "--state",
        "TX",
        "--cooling",
        "direct-liquid",
        "--backup",
        "fuel-cell",
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = _last_json(res.stdout)
    assert d["facility_mw"] >= 10.0  # type: ignore[operator]
    assert d["cooling"] == "direct-liquid" and d["backup"] == "fuel-cell"
    parts = {"shell", "electrical", "mechanical", "backup", "land", "soft", "it"}
    assert set(d["capex_usd"]) == parts == set(d["capex_usd_per_mw"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["profile", "--model", "llama3-70b", "--gpu", "h900"], "--gpu"),
        (["profile", "--model", "gpt5", "--gpu", "h100"], "--model"),
        (["profile", "--model", "llama3-8b", "--gpu", "h100", "--tp", "3"], "--tp"),
        (["profile", "--model", "llama3-8b", "--gpu", "h100", "--isl", "10"], "--osl"),
        (["profile", "--model", "llama3-8b", "--gpu", "l4", "--dtype", "fp4", "--isl", "9",
          "--osl", "9"], "FP4"),
        (["profile", "--model", "llama3-8b", "--gpu", "h100", "--isl", "9", "--osl", "9",
          "--engine", "tgi"], "--engine"),
        (["train", "--params", "1e9", "--tokens", "1e12", "--mfu", "2"], "--mfu"),
        (["train", "--params", "1e9", "--tokens", "1e12", "--gpu", "x"], "--gpu"),
        (["train", "--params", "1e9", "--tokens", "1e12", "--power-w", "0"], "--power-w"),
        (["site", "--tier", "mega", "--it-mw", "10", "--state", "TX"], "--tier"),
        (
            ["site", "--tier", "regional", "--it-mw", "10", "--state", "TX", "--cooling", "ice"],
            "--cooling",
        ),
        (
            ["site", "--tier", "regional", "--it-mw", "10", "--state", "TX", "--backup", "x"],
            "--backup",
        ),
    ],
)
def test_bad_input_exit_2(args: list[str], needle: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
