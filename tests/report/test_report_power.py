"""The report's power section and the run's power line: every core campus, the shift table."""

from __future__ import annotations

from coredge.cli.power import power_line
from coredge.report.power import path_label, power_section_html


def test_power_section_lists_every_campus_and_the_shift(tiny_result) -> None:  # type: ignore[no-untyped-def]
    html = power_section_html(tiny_result)
    s = tiny_result.summary["power"]
    assert 'id="power-paths"' in html
    for site in s["sites"]:
        assert site["site_id"] in html
        assert path_label(site["path"]) in html
    if "training_shift" in s:
        assert 'id="training-shift"' in html and "hourly-matched" in html
        assert 'id="power_week"' in html


def test_power_line_and_no_section_without_a_study(tiny_result) -> None:  # type: ignore[no-untyped-def]
    line = power_line(tiny_result.summary)
    p = tiny_result.summary["power"]
    planner = p.get("planner") or {}
    if planner.get("campuses") and p.get("chosen_by") == "planner":
        # the planner chose the paths: the line counts its campuses and the early ones
        early = sum(r["path"] != "firm" for r in planner["campuses"])
        assert line is not None and line.startswith(
            f"power: the planner energises {early} of {len(planner['campuses'])} core campuses")
    else:
        assert line is not None and line.startswith(f"power: {p['campuses']} core")
    study_only = {"power": {k: v for k, v in p.items() if k not in ("planner", "chosen_by")}}
    assert str(power_line(study_only)).startswith(f"power: {p['campuses']} core")
    assert power_line({}) is None
    bare = type(tiny_result)(**{**tiny_result.__dict__, "summary": {}})
    assert power_section_html(bare) == ""
