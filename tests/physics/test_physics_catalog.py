"""Catalog figures: published shapes and datasheet values (facts.md §1)."""

from __future__ import annotations

import pytest

from coredge.catalog import ACCELERATORS, MODELS, get_accelerator, get_model
from coredge.errors import InputError


def test_ids() -> None:
    assert set(ACCELERATORS) == {"v100", "a100", "h100", "h200", "b200", "gb200", "l40s", "l4"}
    assert set(MODELS) == {"llama3-8b", "llama3-70b", "llama3-405b", "llama2-70b", "mixtral-8x7b"}


@pytest.mark.parametrize(
    ("model_id", "billions"),
    [
        ("llama3-8b", 8.03),
        ("llama3-70b", 70.6),
        ("llama3-405b", 405.9),
        ("llama2-70b", 68.98),
        ("mixtral-8x7b", 46.7),
    ],
)
def test_parameter_counts_match_published(model_id: str, billions: float) -> None:
    assert get_model(model_id).params_total / 1e9 == pytest.approx(billions, rel=0.01)


def test_calibration_weight_bytes() -> None:
    # shared/calibration: llama3-8b bf16 weights (layers + LM head) = 15,009,316,864 bytes
    m = get_model("llama3-8b")
    assert m.params_total * 2 - m.vocab * m.hidden * 2 == 15_009_316_864


def test_datasheet_figures() -> None:
    h = get_accelerator("H100")
    assert (h.tdp_w, h.bf16_tflops, h.fp8_tflops, h.hbm_gb, h.hbm_gb_s) == (
        700.0,
        989.0,
        1979.0,
        80.0,
        3350.0,
    )
    assert get_accelerator("v100").bf16_tflops == 125.0
    assert get_accelerator("a100").fp8_tflops is None
    gb = get_accelerator("gb200")
    assert gb.gpus_per_rack == 72
    assert 120.0 <= gb.rack_power_kw <= 132.0  # facts.md §1b: 120-132 kW
    assert gb.rack_price_usd == pytest.approx(3e6)
    # L40S datasheet (2023): BF16 362.05 / FP8 733 dense, the one card whose ratio is not 2.00
    l40s = get_accelerator("l40s")
    assert (l40s.bf16_tflops, l40s.fp8_tflops, l40s.form_factor, l40s.cooling) == (
        362.05, 733.0, "pcie", "air"
    )
    for a in ACCELERATORS.values():
        # dense figures: fp8 is 2x bf16 where present, fp4 2x fp8
        if a.fp4_tflops is not None:
            assert a.fp8_tflops is not None
            assert a.fp4_tflops == pytest.approx(2 * a.fp8_tflops, rel=0.01)
        if a.fp8_tflops is not None and a.id != "l40s":
            assert a.fp8_tflops == pytest.approx(2 * a.bf16_tflops, rel=0.01)
        assert a.server_overhead_w > 0


def test_unknown_ids() -> None:
    with pytest.raises(InputError, match="one of: v100"):
        get_accelerator("h900")
    with pytest.raises(InputError, match="llama3-8b"):
        get_model("llama9")
    with pytest.raises(InputError):
        get_model("llama3-8b").weight_gb("fp2")


def test_new_dtypes_memory_and_edge_cards() -> None:
    # NVFP4: 4-bit values + one FP8 scale per 16 (0.5625 bytes/param); KV cache in FP8
    m = get_model("llama3-70b")
    assert m.weight_gb("fp4") == pytest.approx(m.weight_gb("fp8") * 0.5625)
    assert m.kv_bytes_per_token("fp4") == m.kv_bytes_per_token("fp8")
    assert m.weight_gb("fp16") == m.weight_gb("bf16")
    # datasheets: dense FP4 peaks (DGX B200: 72 PF per 8 GPUs; NVL72: 1,440 PF sparse per 72)
    assert get_accelerator("b200").fp4_tflops == 9000.0
    assert get_accelerator("gb200").fp4_tflops == 10000.0
    assert get_accelerator("h100").fp4_tflops is None
    with pytest.raises(InputError, match="FP4"):
        get_accelerator("h200").peak_tflops("fp4")
    # memory the driver exposes: HBM figures are GiB; GDDR6 cards lose some to ECC
    assert get_accelerator("h100").memory_gib == 80.0
    assert get_accelerator("l40s").memory_gib == pytest.approx(44.99, abs=0.01)
    assert get_accelerator("l4").memory_gib == pytest.approx(22.49, abs=0.01)
    for gid in ("l40s", "l4"):
        a = get_accelerator(gid)
        assert (a.form_factor, a.cooling, a.nvlink_gb_s) == ("pcie", "air", 64.0)
        assert a.dtypes() == ("bf16", "fp16", "fp8", "int4")
    # Llama 2 70B: the Llama 3 70B body with a 32,000-token vocabulary
    l2 = get_model("llama2-70b")
    assert (l2.layers, l2.hidden, l2.kv_heads, l2.vocab) == (80, 8192, 8, 32000)
