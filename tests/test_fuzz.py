"""Fuzzing (hypothesis) of the YAML and JSON loaders, the scenario validator and the CLI's
argument parsers: whatever the input, the result is a value or an InputError (exit 0 or 2 at the
CLI), never another exception, a traceback or exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coredge import safeload
from coredge.errors import InputError
from coredge_testing import TINY_BASE, run_cli

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CLI = settings(max_examples=40, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

YAML_ALPHABET = st.sampled_from([*"ab:-[]{},&*!|>'\"#%@` \n\t.0123456789<=?", "\u00e9", "\x00", "\ufeff"])
yaml_texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=YAML_ALPHABET, max_size=200),
    st.lists(st.sampled_from(["a: ", "- ", "&x ", "*x", "[", "]", "{", "}", ", ", "\n", "  ", "<<: ",
                              "!!str ", "!!python/name:os.system ", ".inf", ".nan", "yes", "1e308",
                              "---\n", "? ", "b: c"]), max_size=60).map("".join),
)
json_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(['{', '}', '[', ']', '"a"', ':', ',', '1', '-0.5e9', 'NaN', 'Infinity',
                              'true', 'null', '"\\u0000"', '"\\"', ' ', '\n']), max_size=80).map("".join),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=30,
)


def _only_input_errors(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except InputError as exc:
        assert exc.message()  # a message, naming something


@FUZZ
@given(yaml_texts)
def test_yaml_loader_never_raises_anything_but_input_error(text: str) -> None:
    _only_input_errors(safeload.loads_yaml, text, "fuzz.yaml")


@FUZZ
@given(json_texts)
def test_json_loader_never_raises_anything_but_input_error(text: str) -> None:
    _only_input_errors(safeload.loads_json, text, "fuzz.json")


@FUZZ
@given(json_values)
def test_json_loader_reads_back_what_json_writes(value: Any) -> None:
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        return  # NaN/inf: not JSON
    assert safeload.loads_json(text) == json.loads(text)


SCENARIO_KEYS = ["name", "demand", "horizon", "training", "planning", "grid", "seed", "hardware",
                 "workloads", "tiers", "candidates", "economics", "simulation", "finance",
                 "existing_sites", "market_share", "start_year", "it_mw_start", "state_caps_mw"]
scenario_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["TX", "US", "greedy", "h100", ".inf", "yes"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(SCENARIO_KEYS), kids, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(SCENARIO_KEYS), scenario_values, max_size=6))
def test_scenario_validation_never_raises_anything_but_input_error(raw: dict[str, Any]) -> None:
    from coredge.scenario.load import build_scenario

    _only_input_errors(build_scenario, {"name": "fuzz", **raw})


@FUZZ
@given(st.text(max_size=40))
def test_simulate_option_parsers(text: str) -> None:
    from coredge.cli import sim

    for parse in (sim._parse_count, sim._parse_link, sim._parse_derate, sim._parse_burst):
        _only_input_errors(parse, text)


def _cli_ok(*args: str) -> None:
    res = run_cli(*args)
    msg = res.stderr + res.stdout
    assert res.returncode in (0, 2), (args, msg)
    assert "Traceback" not in msg and "internal error" not in msg, (args, msg)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("fuzz") / "spec.json"
    p.write_text(json.dumps({"sites": [{"id": "s0", "servers": 4}], "demand": [{"id": "d0", "rate_per_s": 12.5}],
                             "rtt_ms": [[3.0]], "service": {"distribution": "exponential", "mean_ms": 50}}),
                 encoding="utf-8")
    return p


args_text = st.one_of(st.text(max_size=20), st.sampled_from(["-1", "0", "1e300", "nan", "inf", "-inf", "--help",
                                                              "1e-300", "", "-", "s0,1,2", "1,2,3"]))


@CLI
@given(args_text, args_text, args_text)
def test_simulate_flags_never_crash(spec_file: Path, seed: str, link: str, burst: str) -> None:
    _cli_ok("simulate", str(spec_file), "--requests", "2000", "--seed", seed)
    _cli_ok("simulate", str(spec_file), "--requests", "2000", "--link", link, "--burst", burst)


@CLI
@given(args_text, args_text, args_text)
def test_site_and_rtt_flags_never_crash(tier: str, it_mw: str, state: str) -> None:
    _cli_ok("site", "--tier", tier, "--it-mw", it_mw, "--state", state)
    _cli_ok("rtt", tier or "x", state or "y", "--route-inflation", it_mw or "2")


@CLI
@given(yaml_texts)
def test_validate_never_crashes_on_a_fuzzed_scenario(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    p = tmp_path_factory.mktemp("fz") / "s.yaml"
    p.write_text(TINY_BASE + text, encoding="utf-8", errors="surrogatepass")
    _cli_ok("validate", str(p))


@CLI
@given(st.text(alphabet=st.sampled_from(list("0123456789 .-\nnaeE+")), max_size=120))
def test_solve_cflp_never_crashes_on_a_fuzzed_instance(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    p = tmp_path_factory.mktemp("fz") / "cap.txt"
    p.write_text(text, encoding="utf-8")
    _cli_ok("solve-cflp", str(p), "--time-limit", "5")


FAST_COMMANDS = ["validate", "site", "rtt", "profile", "train", "scenarios", "data", "solve-cflp"]
FLAGS = ["--tier", "--it-mw", "--state", "--model", "--gpu", "--params", "--tokens", "--json",
         "--access", "--route-inflation", "--variant", "--capacity", "--format", "--time-limit",
         "--scenario-variant", "--help", "-V", "--gpus", "--dtype"]


@CLI
@given(st.sampled_from(FAST_COMMANDS),
       st.lists(st.one_of(st.sampled_from(FLAGS), args_text, st.sampled_from(["h100", "micro", "TX", "us", "llama3-8b"])),
                max_size=8))
def test_argument_parsers_never_crash(command: str, argv: list[str]) -> None:
    _cli_ok(command, *argv)
