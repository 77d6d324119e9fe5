"""The ``power`` validation check: the headroom model against the Duke study."""

from __future__ import annotations

from coredge.validation import load_checks
from coredge.validation.power import TOLERANCES, check_power


def test_power_check_is_registered_and_within_tolerance() -> None:
    assert "power" in load_checks()
    stats = check_power()
    by = {s.dataset: s for s in stats}
    assert set(TOLERANCES) <= set(by)
    assert by["headroom per BA"].n == 66 and by["22-BA total"].n == 3
    for name in TOLERANCES:
        assert by[name].within_tolerance, (name, by[name].median_pct, by[name].p90_pct)
    assert by["22-BA total"].p90_pct < 5.0
