"""Fixtures of the service tests: a store in a temporary folder and the app over it (constants
and waiting helpers: `service_helpers`). Without the 'service' extra nothing here is collected."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import TOKEN

if any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn", "duckdb")):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture()
def store(tmp_path: Path) -> Any:
    from coredge.service.catalogue import Store

    return Store.at(tmp_path / "store")


@pytest.fixture()
def client(store: Any) -> Iterator[Any]:
    """A TestClient over a fresh store (one worker, a queue of 2)."""
    from fastapi.testclient import TestClient

    from coredge.service.app import create_app

    app = create_app(store, TOKEN, workers=1, queue_limit=2, max_body_bytes=64 * 1024)
    with TestClient(app) as c:
        yield c
