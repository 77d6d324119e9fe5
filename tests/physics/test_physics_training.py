"""Training estimator against published runs (facts.md §2)."""

from __future__ import annotations

import pytest

from coredge.errors import InputError
from coredge.physics.training import (
    DEFAULT_GOODPUT,
    estimate,
    implied_utilisation,
    training_flops,
)

# (name, params, tokens, gpu, reported MFU or None, published GPU-hours)
# Llama 2: meta-llama/llama MODEL_CARD.md (2023), 2.0T tokens, A100-80GB; params are the
# published 6.74B / 13.0B / 69.0B. Llama 3.1: meta-llama/llama-models MODEL_CARD.md (2024),
# 15.6T tokens (paper); 405B MFU 38-43% (paper Table 4) -> 0.40.
RUNS = [
    ("llama2-7b", 6.74e9, 2.0e12, "a100", None, 184_320),
    ("llama2-13b", 13.0e9, 2.0e12, "a100", None, 368_640),
    ("llama2-70b", 69.0e9, 2.0e12, "a100", None, 1_720_320),
    ("llama3.1-70b", 70.6e9, 15.6e12, "h100", None, 7.0e6),
    ("llama3.1-405b", 405.9e9, 15.6e12, "h100", 0.40, 30.84e6),
]


@pytest.mark.parametrize(("name", "params", "tokens", "gpu", "mfu", "published"), RUNS)
def test_published_gpu_hours_within_25pct(
    name: str, params: float, tokens: float, gpu: str, mfu: float | None, published: float
) -> None:
    e = estimate(params, tokens, gpu, mfu=mfu)
    assert e.gpu_hours == pytest.approx(published, rel=0.25), name


def test_gpt3_energy_and_emissions() -> None:
    # Patterson et al. 2021: 10,000 V100, 24.6 of 125 TFLOPS (19.7%, a whole-run average, so
    # goodput 1), 330 W measured per chip, PUE 1.1, 0.429 kg/kWh -> 1,287 MWh, 552 tCO2e, 14.8 d
    e = estimate(
        175e9,
        300e9,
        "v100",
        gpus=10_000,
        mfu=0.197,
        goodput=1.0,
        pue=1.1,
        grid_gco2_per_kwh=429.0,
        avg_power_w_per_gpu=330.0,
    )
    assert e.power_source == "given (--power-w)"
    assert e.energy_mwh == pytest.approx(1287.0, rel=0.25)
    assert e.co2_t is not None and e.co2_t == pytest.approx(552.0, rel=0.25)
    assert e.days == pytest.approx(14.8, rel=0.25)
    assert e.flops == pytest.approx(3.14e23, rel=0.01)


def test_llama31_405b_emissions_by_meta_method() -> None:
    # Meta's cards: energy = GPU-hours x 700 W (no PUE); 414 g/kWh -> 8,930 t for 405B
    e = estimate(
        405.9e9,
        15.6e12,
        "h100",
        mfu=0.40,
        pue=1.0,
        grid_gco2_per_kwh=414.0,
        avg_power_w_per_gpu=700.0,
    )
    assert e.co2_t is not None and e.co2_t == pytest.approx(8930.0, rel=0.25)


def test_llama3_8b_card_is_inconsistent_and_not_fitted() -> None:
    # 1.46M GPU-h for 8B x 15T tokens implies ~14% utilisation; we do not fit it
    u = implied_utilisation(training_flops(8.03e9, 15e12), 1.46e6, 989.0)
    assert 0.12 < u < 0.16
    e = estimate(8.03e9, 15e12, "h100")
    assert e.gpu_hours < 0.6 * 1.46e6


def test_arithmetic_identities() -> None:
    e = estimate(
        1e9, 1e12, "h100", gpus=100, mfu=0.5, goodput=0.8, pue=1.2, grid_gco2_per_kwh=300.0
    )
    assert e.flops == 6e21
    assert e.gpu_hours == pytest.approx(6e21 / (989e12 * 0.5 * 0.8) / 3600)
    assert e.days == pytest.approx(e.gpu_hours / 100 / 24)
    assert e.energy_mwh == pytest.approx(e.gpu_hours * e.avg_power_w_per_gpu / 1e6 * 1.2)
    assert e.co2_t == pytest.approx(e.energy_mwh * 0.3)
    assert estimate(1e9, 1e12, "h100").goodput == DEFAULT_GOODPUT
    # fp8 halves GPU-hours at equal MFU; attention adds FLOPs
    assert estimate(1e9, 1e12, "h100", mfu=0.4, dtype="fp8").gpu_hours == pytest.approx(
        estimate(1e9, 1e12, "h100", mfu=0.4).gpu_hours * 989 / 1979
    )
    assert training_flops(1e9, 1e12, 32, 4096, 8192) > training_flops(1e9, 1e12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mfu": 0.0},
        {"mfu": 1.5},
        {"goodput": 0.0},
        {"pue": 0.9},
        {"gpus": 0},
        {"grid_gco2_per_kwh": -1.0},
        {"gpu": "tpu"},
    ],
)
def test_bad_inputs(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        estimate(1e9, 1e12, **kwargs)  # type: ignore[arg-type]
