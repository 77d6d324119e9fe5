"""LLM shapes: the transformer dimensions that set serving memory, bandwidth and FLOPs.

Shapes are the published model configurations (Hugging Face ``config.json`` of
``meta-llama/Meta-Llama-3-8B``, ``-70B``, ``meta-llama/Llama-3.1-405B`` (2024) and
``mistralai/Mixtral-8x7B-v0.1`` (2023); the Llama 3 8B/70B shapes are also the ones in
``shared/calibration/README.md``). All are Llama-architecture decoders: grouped-query attention,
SwiGLU FFN (three matrices), untied input embedding and LM head.

Bytes per parameter: ``bf16`` and ``fp16`` 2, ``fp8`` 1, ``int4`` 0.5 (weight-only, W4A16),
``fp4`` 0.5625 (NVFP4: 4-bit values plus one FP8 scale per 16 values, NVIDIA TensorRT Model
Optimizer docs, 2025). The KV cache is stored in 16 bits for bf16/fp16 weights and in fp8 for
fp8, fp4 and int4 weights (assumption: what NVIDIA's published FP8/FP4 checkpoints and serving
stacks such as TensorRT-LLM do by default when quantising).

Ids: ``llama3-8b`` (Llama 3 / 3.1 8B: the same shape), ``llama3-70b`` (3 / 3.1 / 3.3 70B),
``llama3-405b``, ``llama2-70b``, ``mixtral-8x7b`` (MoE: ``params_active`` vs ``params_total``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError

BYTES_PER_PARAM: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "fp4": 0.5 + 1.0 / 16.0,
    "int4": 0.5,
}
"""Weight bytes per parameter by dtype [bytes]."""

KV_BYTES_PER_ELEMENT: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "fp4": 1.0,
    "int4": 1.0,
}
"""KV-cache bytes per element by weight dtype [bytes] (int4 weights keep an fp8 cache: assumption)."""


@dataclass(frozen=True)
class LLMModel:
    """Shape of one decoder-only LLM.

    Attributes
    ----------
    id, name : str
        Catalog id and display name.
    layers : int
        Decoder layers.
    hidden : int
        Model width d_model.
    heads, kv_heads : int
        Query heads and key/value heads (GQA).
    ffn : int
        FFN inner size (per expert for MoE).
    vocab : int
        Vocabulary size.
    experts, experts_active : int
        MoE experts per layer and experts used per token (1, 1 for dense models).
    source : str
        Where the shape comes from.
    """

    id: str
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int
    vocab: int
    experts: int = 1
    experts_active: int = 1
    source: str = ""

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden // self.heads

    @property
    def attn_params_per_layer(self) -> int:
        """Q, K, V, O projection parameters of one layer."""
        kv = self.kv_heads * self.head_dim
        return 2 * self.hidden * self.hidden + 2 * self.hidden * kv

    @property
    def expert_params(self) -> int:
        """Parameters of one SwiGLU FFN (one expert)."""
        return 3 * self.hidden * self.ffn

    @property
    def layer_params(self) -> int:
        """All parameters of one layer (every expert; router and norms ignored)."""
        return self.attn_params_per_layer + self.experts * self.expert_params

    @property
    def params_total(self) -> int:
        """All parameters: layers + input embedding + LM head."""
        return self.layers * self.layer_params + 2 * self.vocab * self.hidden

    @property
    def params_active(self) -> int:
        """Parameters used per token (the N of 2N FLOPs per token), embedding excluded."""
        per_layer = self.attn_params_per_layer + self.experts_active * self.expert_params
        return self.layers * per_layer + self.vocab * self.hidden

    def weight_gb(self, dtype: str = "bf16") -> float:
        """Memory the weights occupy [GB].

        Examples
        --------
        >>> round(get_model("llama3-8b").weight_gb("bf16"), 1)
        16.1
        """
        return self.params_total * _bytes(dtype) / 1e9

    def kv_bytes_per_token(self, dtype: str = "bf16") -> float:
        """KV-cache bytes per token of context, all layers [bytes].

        Examples
        --------
        >>> get_model("llama3-70b").kv_bytes_per_token("bf16")
        327680.0
        """
        _bytes(dtype)
        return 2.0 * self.layers * self.kv_heads * self.head_dim * KV_BYTES_PER_ELEMENT[dtype]

    def decode_weight_bytes(
        self, batch: float | npt.NDArray[np.float64], dtype: str = "bf16"
    ) -> npt.NDArray[np.float64]:
        """Weight bytes read in one decode step for a batch [bytes].

        Dense models read every layer and the LM head once (the input embedding is a lookup of
        ``batch`` rows, negligible). An MoE layer reads the experts that at least one sequence
        routes to: with uniform routing ``E * (1 - (1 - k/E)**batch)`` experts in expectation.

        Parameters
        ----------
        batch : float or ndarray
            Sequences in the batch [count].
        dtype : str
            Weight dtype.
        """
        b = np.asarray(batch, dtype=np.float64)
        e, k = float(self.experts), float(self.experts_active)
        experts_read = e * (1.0 - (1.0 - k / e) ** b) if self.experts > 1 else np.ones_like(b)
        per_layer = self.attn_params_per_layer + experts_read * self.expert_params
        params = self.layers * per_layer + self.vocab * self.hidden
        return np.asarray(params * _bytes(dtype), dtype=np.float64)


def _bytes(dtype: str) -> float:
    try:
        return BYTES_PER_PARAM[dtype]
    except KeyError:
        raise InputError.of("dtype", dtype, "one of: " + ", ".join(BYTES_PER_PARAM)) from None


_LLAMA_SRC = "Hugging Face config.json, meta-llama (2024)"

MODELS: dict[str, LLMModel] = {
    m.id: m
    for m in (
        LLMModel(
            "llama3-8b", "Llama 3.1 8B", 32, 4096, 32, 8, 14336, 128256, source=_LLAMA_SRC
        ),
        LLMModel(
            "llama3-70b", "Llama 3.1 70B", 80, 8192, 64, 8, 28672, 128256, source=_LLAMA_SRC
        ),
        LLMModel(
            "llama2-70b",
            "Llama 2 70B",
            80,
            8192,
            64,
            8,
            28672,
            32000,
            source="Hugging Face config.json, meta-llama/Llama-2-70b-hf (2023)",
        ),
        LLMModel(
            "llama3-405b", "Llama 3.1 405B", 126, 16384, 128, 8, 53248, 128256, source=_LLAMA_SRC
        ),
        LLMModel(
            "mixtral-8x7b",
            "Mixtral 8x7B (MoE, top-2 of 8)",
            32,
            4096,
            32,
            8,
            14336,
            32000,
            experts=8,
            experts_active=2,
            source="Hugging Face config.json, mistralai/Mixtral-8x7B-v0.1 (2023)",
        ),
    )
}
"""All LLM shapes by id."""


def get_model(model_id: str, field: str = "--model") -> LLMModel:
    """Look up an LLM shape by id.

    Raises
    ------
    InputError
        For an unknown id, naming the field, the value and the allowed ids.

    Examples
    --------
    >>> round(get_model("llama3-405b").params_total / 1e9)
    406
    """
    try:
        return MODELS[model_id.lower()]
    except (KeyError, AttributeError):
        raise InputError.of(field, model_id, "one of: " + ", ".join(MODELS)) from None
