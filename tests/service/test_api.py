"""The JSON API with FastAPI's TestClient: scenarios, validation (the problems of ``coredge
validate``), runs from queue to report, tables, comparison, events, cancel, crash and restart."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from service_helpers import AUTH, FAST, TOKEN, wait_final, wait_status

from coredge.errors import InputError
from coredge_testing import TINY


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[str]]]:
    """A client over a store holding two finished tiny runs (the base and variant 'bigger')."""
    from fastapi.testclient import TestClient

    from coredge.service.app import create_app
    from coredge.service.catalogue import Store

    store = Store.at(tmp_path_factory.mktemp("svc") / "store")
    with TestClient(create_app(store, TOKEN, workers=2, queue_limit=4)) as c:
        ids = []
        for variant in (None, "bigger"):
            r = c.post("/api/runs", json={"scenario": TINY, "variant": variant, "options": FAST}, headers=AUTH)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        for run_id in ids:
            assert wait_final(c, run_id)["status"] == "done"
        yield c, ids


def test_health_and_openapi(client: Any) -> None:
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["workers"] == 1 and h["queue_limit"] == 2
    spec = client.get("/openapi.json").json()
    for path in ("/api/health", "/api/scenarios", "/api/validate", "/api/runs", "/api/runs/{run_id}",
                 "/api/runs/{run_id}/report", "/api/runs/{run_id}/tables/{name}", "/api/compare"):
        assert path in spec["paths"], path


def test_builtin_scenarios_listed_with_variants(client: Any) -> None:
    from coredge.scenario.load import builtin_scenarios

    rows = client.get("/api/scenarios").json()["scenarios"]
    assert [r["name"] for r in rows] == list(builtin_scenarios())
    us = client.get("/api/scenarios/us").json()
    assert us["variants"] and "horizon" in us["text"]
    assert client.get("/api/scenarios/nope").status_code == 404


def test_validate_accepts_a_good_scenario(client: Any) -> None:
    r = client.post("/api/validate", json={"scenario": TINY})
    assert r.status_code == 200
    assert r.json() == {"valid": True, "name": "tiny", "variants": ["bigger"]}
    r = client.post("/api/validate", json={"scenario_name": "us", "variant": "high-growth"})
    assert r.status_code == 200 and r.json()["name"] == "us"


def test_validation_is_bounded(client: Any) -> None:
    from coredge.service.app import MAX_VALIDATIONS

    sem = client.app.state.checking
    for _ in range(MAX_VALIDATIONS):  # as if that many checks were running
        assert sem.acquire(blocking=False)
    try:
        r = client.post("/api/validate", json={"scenario": TINY})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
    finally:
        for _ in range(MAX_VALIDATIONS):
            sem.release()
    assert client.post("/api/validate", json={"scenario": TINY}).status_code == 200


BAD = TINY.replace("end_year: 2030", "end_year: 1990").replace("it_mw_start: 50.0", "it_mw_start: -5")


def test_validate_gives_the_problems_of_coredge_validate(client: Any, tmp_path: Path) -> None:
    from coredge.scenario.load import validate_file

    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    with pytest.raises(InputError) as info:
        validate_file(f)
    expected = [(p.field, p.value, p.allowed) for p in info.value.problems]
    assert len(expected) >= 2
    r = client.post("/api/validate", json={"scenario": BAD})
    assert r.status_code == 422
    got = [(p["field"], p["value"], p["allowed"]) for p in r.json()["problems"]]
    assert got == expected
    # the same 422 when a run is submitted, and nothing is queued
    r = client.post("/api/runs", json={"scenario": BAD, "options": FAST}, headers=AUTH)
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == [e[0] for e in expected]
    assert client.get("/api/runs").json()["runs"] == []


@pytest.mark.parametrize("body,field", [
    ({"scenario": "a: [1, 2"}, "scenario"),
    ({"scenario": "- 1\n- 2\n"}, "scenario"),
    ({"scenario": TINY, "variant": "nope"}, "variant"),
    ({"scenario": TINY, "scenario_name": "us"}, "scenario"),
    ({}, "scenario"),
    ({"scenario_name": "nope"}, "scenario_name"),
    ({"scenario": TINY, "extra": 1}, "extra"),
    ({"scenario": TINY.replace("  source: cities", "  source: csv\n  points_csv: /etc/passwd")}, "demand.points_csv"),
    ({"scenario": TINY + "  other:\n    demand: {points_csv: ../x.csv}\n"}, "variants.other.demand.points_csv"),
])
def test_bad_requests_get_422_with_problems(client: Any, body: dict[str, Any], field: str) -> None:
    r = client.post("/api/validate", json=body)
    assert r.status_code == 422, r.text
    fields = [p["field"] for p in r.json()["problems"]]
    assert any(f.startswith(field) for f in fields), fields


def test_bad_run_options_get_422(client: Any) -> None:
    for opts in ({"planner": "fastest"}, {"time_limit_s": -1}, {"mip_rel_gap": 2}, {"colour": "red"}):
        r = client.post("/api/runs", json={"scenario": TINY, "options": opts}, headers=AUTH)
        assert r.status_code == 422, opts
        assert r.json()["problems"][0]["field"].startswith("options")


def test_runs_are_catalogued_with_headline_figures(finished: tuple[Any, list[str]]) -> None:
    c, ids = finished
    rows = c.get("/api/runs").json()["runs"]
    assert {r["id"] for r in rows} == set(ids)
    assert [r["created"] for r in rows] == sorted((r["created"] for r in rows), reverse=True)
    for r in rows:
        assert r["status"] == "done" and r["planner"] == "greedy"
        assert r["sites"] > 0 and r["capex_usd"] > 0 and 0 <= r["coverage_min"] <= 1
        assert "scenario_text" not in r
    assert c.get("/api/runs?status=failed").json()["runs"] == []
    assert c.get("/api/runs?status=bogus").status_code == 422


def test_run_detail_matches_its_run_directory(finished: tuple[Any, list[str]]) -> None:
    from coredge.store import read_run

    c, ids = finished
    job = c.get(f"/api/runs/{ids[0]}").json()
    assert job["status"] == "done" and job["error"] is None
    assert job["started"] <= job["finished"]
    assert job["scenario_text"] == TINY and job["options"]["planner"] == "greedy"
    s = job["summary"]
    assert s["scenario"] == "tiny" and "run_dir" not in s and "files" not in s  # no server paths
    stored = read_run(c.app.state.store.run_dir(ids[0]))  # a run directory like `coredge run --out`
    assert stored.summary["capex_usd"] == pytest.approx(s["capex_usd"])
    assert job["headline"]["capex_usd"] == pytest.approx(s["capex_usd"])
    assert c.get(f"/api/runs/{ids[1]}").json()["variant"] == "bigger"


def test_tables_as_json_and_csv(finished: tuple[Any, list[str]]) -> None:
    c, ids = finished
    names = c.get(f"/api/runs/{ids[0]}/tables").json()["tables"]
    assert {"tiers", "cashflows", "assignments"} <= set(names)
    d = c.app.state.store.run_dir(ids[0])
    want = pd.read_parquet(d / "tiers.parquet")
    got = pd.DataFrame(c.get(f"/api/runs/{ids[0]}/tables/tiers").json())
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    assert got["capex_usd"].sum() == pytest.approx(want["capex_usd"].sum())
    r = c.get(f"/api/runs/{ids[0]}/tables/tiers?format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert pd.read_csv(io.StringIO(r.text))["capex_usd"].sum() == pytest.approx(want["capex_usd"].sum())
    assert len(c.get(f"/api/runs/{ids[0]}/tables/assignments?limit=2").json()) == 2
    for bad in ("plan", "summary", "..%2fjob", "Tiers", "tiers.parquet"):
        assert c.get(f"/api/runs/{ids[0]}/tables/{bad}").status_code in (400, 404), bad


def test_report_is_the_run_report(finished: tuple[Any, list[str]]) -> None:
    c, ids = finished
    r = c.get(f"/api/runs/{ids[0]}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.text == (c.app.state.store.run_dir(ids[0]) / "report.html").read_text(encoding="utf-8")


def test_compare_two_runs(finished: tuple[Any, list[str]]) -> None:
    c, ids = finished
    r = c.get(f"/api/compare?ids={ids[0]},{ids[1]}")
    assert r.status_code == 200
    out = r.json()
    assert [x["id"] for x in out["runs"]] == ids
    a, b = out["runs"]
    for x in (a, b):
        assert set(x["views"]) >= {"landlord", "operator"}
        assert set(x["coverage_by_class"]) == set(out["classes"])
        assert x["landlord_npv_usd"] == pytest.approx(x["views"]["landlord"]["npv_usd"])
    # variant 'bigger' doubles the market share: it needs at least as much IT power
    assert b["it_mw"] >= a["it_mw"]
    assert c.get(f"/api/compare?ids={ids[0]}").status_code == 400
    assert c.get(f"/api/compare?ids={ids[0]},../etc").status_code == 400
    assert c.get(f"/api/compare?ids={ids[0]},{'0' * 16}").status_code == 404


def test_events_stream_ends_with_the_final_status(finished: tuple[Any, list[str]]) -> None:
    c, ids = finished
    with c.stream("GET", f"/api/runs/{ids[0]}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        data = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]
    assert data[-1]["status"] == "done"


def test_a_run_reports_progress_then_its_result(client: Any) -> None:
    r = client.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH)
    run_id = r.json()["id"]
    seen: list[dict[str, Any]] = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
    assert seen[-1]["status"] == "done"
    steps = [e["progress"]["message"] for e in seen if e.get("progress")]
    assert all(isinstance(m, str) and m for m in steps)
    assert wait_final(client, run_id)["status"] == "done"


def test_queue_limit_gives_429_and_cancel(store: Any) -> None:
    """One worker, a queue of two: a third waiting run is refused; queued and running runs can be
    cancelled, a finished one cannot."""
    from fastapi.testclient import TestClient
    from service_targets import sleep_forever

    from coredge.service.app import create_app
    from coredge.service.jobs import JobManager

    jobs = JobManager(store, workers=1, queue_limit=2, target=sleep_forever)
    with TestClient(create_app(store, TOKEN, manager=jobs)) as c:
        post = lambda: c.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH)  # noqa: E731
        first = post().json()["id"]
        assert wait_status(c, first, "running")["status"] == "running"
        queued = [post(), post()]
        assert [q.status_code for q in queued] == [202, 202]
        full = post()
        assert full.status_code == 429 and "queue" in full.json()["detail"]
        q1 = queued[0].json()["id"]
        assert c.post(f"/api/runs/{q1}/cancel", headers=AUTH).json()["status"] == "cancelled"
        assert post().status_code == 202  # room again
        assert c.post(f"/api/runs/{first}/cancel", headers=AUTH).status_code == 200
        job = wait_final(c, first)
        assert job["status"] == "cancelled" and "cancelled" in job["error"]
        assert c.post(f"/api/runs/{first}/cancel", headers=AUTH).status_code == 409
        # DELETE of a live run cancels it, then removes it
        q2 = queued[1].json()["id"]
        assert c.delete(f"/api/runs/{q2}", headers=AUTH).status_code == 200
        assert c.get(f"/api/runs/{q2}").status_code == 404
        assert q2 not in {r["id"] for r in c.get("/api/runs").json()["runs"]}


def test_a_crashed_worker_fails_its_run_not_the_server(store: Any) -> None:
    from fastapi.testclient import TestClient
    from service_targets import crash

    from coredge.service.app import create_app
    from coredge.service.jobs import JobManager

    jobs = JobManager(store, workers=1, queue_limit=2, target=crash)
    with TestClient(create_app(store, TOKEN, manager=jobs)) as c:
        run_id = c.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH).json()["id"]
        job = wait_final(c, run_id)
        assert job["status"] == "failed" and "exit code 3" in job["error"]
        assert c.get("/api/health").json()["status"] == "ok"


def test_a_failing_run_records_its_error(client: Any) -> None:
    """A run whose scenario the worker cannot load (queued past the API's checks) fails with the
    problem's message; the server goes on."""
    jobs = client.app.state.jobs
    job = jobs.submit(BAD, "bad", None, FAST)
    out = wait_final(client, job["id"])
    assert out["status"] == "failed"
    assert "horizon.end_year" in out["error"] and "1990" in out["error"]
    assert client.get(f"/api/runs/{job['id']}/report").status_code == 409


def test_restart_keeps_finished_runs_and_fails_interrupted_ones(store: Any) -> None:
    from fastapi.testclient import TestClient
    from service_targets import sleep_forever

    from coredge.service.app import create_app
    from coredge.service.jobs import INTERRUPTED, JobManager

    jobs = JobManager(store, workers=1, queue_limit=4, target=sleep_forever)
    with TestClient(create_app(store, TOKEN, manager=jobs)) as c:
        running = c.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH).json()["id"]
        wait_status(c, running, "running")
        queued = c.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH).json()["id"]
    # the first server is gone; a record left 'running' by a killed server looks the same
    job = store.read_job(running)
    job["status"] = "running"
    store.write_job(job)
    with TestClient(create_app(store, TOKEN, workers=1)) as c:
        for run_id in (running, queued):
            j = c.get(f"/api/runs/{run_id}").json()
            assert j["status"] == "failed" and j["error"] == INTERRUPTED
        rows = {r["id"]: r for r in c.get("/api/runs").json()["runs"]}
        assert rows[running]["status"] == "failed"
        done = c.post("/api/runs", json={"scenario": TINY, "options": FAST}, headers=AUTH).json()["id"]
        assert wait_final(c, done)["status"] == "done"
    with TestClient(create_app(store, TOKEN, workers=1)) as c:
        assert c.get(f"/api/runs/{done}").json()["status"] == "done"  # a finished run is never lost
        assert c.get(f"/api/runs/{done}/report").status_code == 200
