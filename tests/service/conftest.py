"""Fixtures of the service tests: a store in a temporary folder, the app over it, and helpers
that wait for a run to end (a safety limit only: no test asserts how long a run takes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("duckdb")

TOKEN = "test-token-0123456789abcdef"
"""The bearer token the test apps require."""

AUTH = {"Authorization": f"Bearer {TOKEN}"}
"""Headers that carry it."""

FAST = {"planner": "greedy", "simulation": False, "training": False}
"""Run options that keep a tiny run to seconds: the greedy planner, nothing simulated."""

FINAL = ("done", "failed", "cancelled")

SAFETY_S = 600.0
"""Longest wait for a run to end before a test gives up [s] (a hang, not a slow machine)."""


def wait_final(client: Any, run_id: str) -> dict[str, Any]:
    """Poll ``GET /api/runs/{id}`` until the run has ended; returns the last answer."""
    deadline = time.monotonic() + SAFETY_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if job["status"] in FINAL:
            return job
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end within the safety limit")


def wait_status(client: Any, run_id: str, status: str) -> dict[str, Any]:
    """Poll until run `run_id` has `status` (or has ended)."""
    deadline = time.monotonic() + SAFETY_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if job["status"] == status or job["status"] in FINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {status}")


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
