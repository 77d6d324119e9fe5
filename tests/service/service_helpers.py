"""Constants and waiting helpers shared by the service tests (a wait has a safety limit only: no
test asserts how long a run takes)."""

from __future__ import annotations

import time
from typing import Any

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
