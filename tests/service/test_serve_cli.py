"""``coredge serve`` as a user starts it: a subprocess on a loopback port that generates and prints
its token, serves the API, runs a scenario in a worker, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from service_helpers import FAST, wait_final

from coredge_testing import TINY

SAFETY_S = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_a_token_serves_and_stops(tmp_path: Path) -> None:
    httpx = pytest.importorskip("httpx")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "COREDGE_TOKEN"}
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "coredge", "serve", "--port", str(port), "--store", str(store), "--workers", "1"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        lines = []
        assert proc.stderr is not None
        deadline = time.monotonic() + SAFETY_S
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("open http"):
                break
        m = re.search(r"#token=(\S+)", "".join(lines))
        assert m, "".join(lines)
        token = m.group(1)
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        body = {"scenario": TINY, "options": FAST}
        assert httpx.post(f"{base}/api/runs", json=body, timeout=60).status_code == 401
        r = httpx.post(f"{base}/api/runs", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]

        class _Client:
            def get(self, path: str) -> object:
                return httpx.get(base + path, timeout=30)

        assert wait_final(_Client(), run_id)["status"] == "done"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        if proc.stderr is not None:
            proc.stderr.close()
    assert code in (0, 128 + signal.SIGTERM)
    from coredge.service.catalogue import Store

    assert Store.at(store).read_job(run_id)["status"] == "done"  # kept across the stop
