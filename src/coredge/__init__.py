"""coredge: plan, simulate and price AI compute split between core campuses and edge sites."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
