from __future__ import annotations

from pathlib import Path

import pytest

from coredge_testing import tiny_path


@pytest.fixture()
def tiny_yaml(tmp_path: Path) -> Path:
    return tiny_path(tmp_path)
