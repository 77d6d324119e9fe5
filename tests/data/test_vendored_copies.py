"""The reference files vendored under tests/data/shared/ are exact copies of ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from coredge_testing import SHARED_DIR, VENDORED_SHARED


def _vendored() -> list[Path]:
    """Every vendored file except this folder's own README."""
    own = VENDORED_SHARED / "README.md"
    return sorted(p for p in VENDORED_SHARED.rglob("*") if p.is_file() and p != own)


def test_vendored_files_are_small_and_documented() -> None:
    files = _vendored()
    assert len(files) > 60
    assert sum(p.stat().st_size for p in files) < 2_000_000  # bytes: keep the clone light
    readme = (VENDORED_SHARED / "README.md").read_text(encoding="utf-8")
    for top in {p.relative_to(VENDORED_SHARED).parts[0] for p in files}:
        assert f"`{top}/" in readme, top


def test_vendored_files_equal_shared() -> None:
    if not SHARED_DIR.is_dir():
        pytest.skip("needs ../shared/: the originals of the vendored copies")
    for p in _vendored():
        rel = p.relative_to(VENDORED_SHARED)
        assert p.read_bytes() == (SHARED_DIR / rel).read_bytes(), rel
