"""Every registered validation check, run once per test session."""

from __future__ import annotations

import pytest

from coredge.validation import ErrorStat


@pytest.fixture(scope="session")
def validation_stats() -> list[ErrorStat]:
    """`coredge.validation.run_checks()`: every check, in name order."""
    from coredge.validation import run_checks

    return run_checks()
