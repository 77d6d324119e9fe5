"""Catalogs of hardware and models: accelerators (`coredge.catalog.accelerators`) and LLM shapes
(`coredge.catalog.llm_models`)."""

from __future__ import annotations

from coredge.catalog.accelerators import ACCELERATORS, Accelerator, get_accelerator
from coredge.catalog.llm_models import MODELS, LLMModel, get_model

__all__ = ["ACCELERATORS", "MODELS", "Accelerator", "LLMModel", "get_accelerator", "get_model"]
