"""Worker bodies for the job-manager tests (run in worker processes, so defined at module level)."""

from __future__ import annotations

import os
import time


def sleep_forever(store_root: str, run_id: str) -> None:
    """A run that never ends by itself (cancelled or stopped by the test)."""
    while True:
        time.sleep(1.0)


def crash(store_root: str, run_id: str) -> None:
    """A worker process that dies without a result."""
    os._exit(3)
