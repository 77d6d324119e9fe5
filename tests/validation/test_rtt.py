"""The calibrated backbone RTT model against measured inter-region RTTs (check "rtt")."""

from __future__ import annotations

import pytest

from coredge import latency
from coredge.data.rtt import load_rtt_measured
from coredge.validation import load_checks
from coredge.validation.rtt import check_rtt, fit_backbone


def test_rtt_check_is_registered() -> None:
    assert "rtt" in load_checks()


def test_every_calibrated_stat_is_within_its_documented_tolerance() -> None:
    stats = [s for s in check_rtt() if s.model.startswith("backbone RTT (calibrated)")]
    assert {s.dataset for s in stats} == {"azure (fit)", "aws (held-out)", "ibm (held-out)"}
    for s in stats:
        assert s.within_tolerance, s
    # the promises of issue 10 on held-out data
    for s in stats:
        if s.dataset.endswith("(held-out)") and s.subset == "all":
            assert s.median_pct <= 12.0, s
        if s.dataset.endswith("(held-out)") and s.subset == "< 1,500 km":
            assert s.median_pct <= 15.0, s


def test_calibrated_model_beats_fixed_inflation_on_held_out_data() -> None:
    by = {(s.model, s.dataset, s.subset): s for s in check_rtt()}
    for ds in ("aws (held-out)", "ibm (held-out)"):
        new = by[("backbone RTT (calibrated)", ds, "all")]
        old = by[("backbone RTT (fixed inflation 2.1)", ds, "all")]
        assert new.median_pct < old.median_pct and new.p90_pct < old.p90_pct


def test_held_out_rows_are_not_in_the_fit() -> None:
    df = load_rtt_measured()
    assert set(df.loc[df["split"] == "fit", "source"]) == {"azure"}
    assert set(df.loc[df["split"] == "held-out", "source"]) == {"aws", "ibm"}


def test_shipped_constants_are_the_fit() -> None:
    df = load_rtt_measured()
    fit = fit_backbone(df[df["split"] == "fit"])
    assert latency.CALIBRATED_FIXED_MS == pytest.approx(fit.fixed_ms, abs=0.005)
    assert latency.CALIBRATED_INFLATION_EXCESS == pytest.approx(fit.inflation_excess, abs=0.0005)
    assert latency.CALIBRATED_INFLATION_SCALE_KM == pytest.approx(fit.inflation_scale_km, abs=0.5)
    assert set(latency.CORRIDOR_FACTOR) == set(fit.corridor_factor)
    for k, v in fit.corridor_factor.items():
        assert latency.CORRIDOR_FACTOR[k] == pytest.approx(v, abs=0.0005), k
