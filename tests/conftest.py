"""Root conftest: loading it puts ``tests/`` on ``sys.path`` (pytest's prepend import mode), so
every test folder can import the shared helpers in `coredge_testing`."""

from __future__ import annotations

from pathlib import Path

import pytest

from coredge_testing import tiny_path


@pytest.fixture()
def tiny_yaml(tmp_path: Path) -> Path:
    """The tiny scenario (`coredge_testing.TINY`) written to a fresh file."""
    return tiny_path(tmp_path)
