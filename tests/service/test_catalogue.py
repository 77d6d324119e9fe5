"""The store and its DuckDB catalogue: ids, atomic rebuilds, readers during rebuilds, the CLI."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from coredge.errors import InputError
from coredge_testing import run_cli


def _job(run_id: str, status: str = "done", **extra: Any) -> dict[str, Any]:
    return {"id": run_id, "name": "tiny", "variant": None, "status": status,
            "created": "2026-01-02T03:04:05.000001+00:00", "started": None, "finished": None,
            "error": None, "scenario_sha256": "ab", "scenario_text": "name: tiny\n",
            "options": {"planner": "greedy"}, "headline": None, **extra}


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..", "0123456789ABCDEF", "0123456789abcde",
                                 "0123456789abcdef0", "0123456789abcde/", "%2e%2e", "", "0123456789abcdeg"])
def test_malformed_run_ids_are_refused(store: Any, bad: str) -> None:
    from coredge.service.catalogue import check_run_id

    with pytest.raises(InputError):
        check_run_id(bad)
    with pytest.raises(InputError):
        store.run_folder(bad)


def test_new_ids_are_well_formed_and_distinct() -> None:
    from coredge.service.catalogue import check_run_id, new_run_id

    ids = {new_run_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(check_run_id(i) == i for i in ids)


def test_headline_from_a_summary(tiny_result: Any) -> None:
    from coredge.service.catalogue import headline

    s = tiny_result.summary
    h = headline(json.loads(json.dumps(s, default=float)))
    assert h["sites"] == sum(s["sites_by_tier"].values())
    assert h["it_mw"] == pytest.approx(sum(s["it_mw_by_tier"].values()))
    assert h["capex_usd"] == pytest.approx(s["capex_usd"])
    assert h["landlord_npv_usd"] == pytest.approx(s["finance_views"]["landlord"]["portfolio"]["npv_usd"])
    assert h["coverage_min"] == pytest.approx(min(v["coverage"] for v in s["coverage_by_class"].values()))
    if "simulation" in s:
        assert h["slo_attainment"] == pytest.approx(s["simulation"]["slo_attainment"])


def test_catalogue_has_one_row_per_run(store: Any) -> None:
    import duckdb

    from coredge.service.catalogue import CATALOGUE_COLUMNS, new_run_id

    ids = [new_run_id() for _ in range(3)]
    for i, run_id in enumerate(ids):
        store.write_job(_job(run_id, status=["done", "failed", "queued"][i],
                             headline={"sites": 4 + i, "capex_usd": 1e9 * (i + 1)}))
    path = store.rebuild_catalogue()
    with duckdb.connect(str(path), read_only=True) as con:
        cols = [r[0] for r in con.execute("DESCRIBE runs").fetchall()]
        rows = con.execute("SELECT id, status, sites, capex_usd, options FROM runs ORDER BY sites").fetchall()
    assert cols == [n for n, _ in CATALOGUE_COLUMNS]
    assert [r[0] for r in rows] == ids
    assert [r[1] for r in rows] == ["done", "failed", "queued"]
    assert [r[3] for r in rows] == [1e9, 2e9, 3e9]
    assert json.loads(rows[0][4]) == {"planner": "greedy"}
    assert not list(store.root.glob(".*.tmp*"))  # no temporary database left behind


def test_readers_see_every_rebuild_whole(store: Any) -> None:
    """Threads query the catalogue while another rebuilds it over and over: every answer is a
    complete catalogue (never an error, never a partial row count)."""
    from coredge.service.catalogue import CatalogueReader, new_run_id

    for _ in range(5):
        store.write_job(_job(new_run_id()))
    store.rebuild_catalogue()
    reader = CatalogueReader(store)
    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                counts.append(int(reader.query("SELECT count(*) AS n FROM runs")["n"].iloc[0]))
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(15):
        store.rebuild_catalogue()
    stop.set()
    for t in threads:
        t.join()
    reader.close()
    assert not errors
    assert counts and set(counts) == {5}


def test_remove_deletes_the_run_folder(store: Any) -> None:
    from coredge.service.catalogue import new_run_id

    run_id = new_run_id()
    store.write_job(_job(run_id))
    assert store.remove(run_id)
    assert not store.run_folder(run_id).exists()
    assert not store.remove(run_id)
    assert store.ids() == []


def test_cli_runs_list_show_rm(store: Any, tmp_path: Path) -> None:
    from coredge.service.catalogue import new_run_id

    done, live = new_run_id(), new_run_id()
    store.write_job(_job(done, headline={"sites": 7, "capex_usd": 2.5e9, "npv_usd": 1e8}))
    store.write_job(_job(live, status="running"))
    store.rebuild_catalogue()
    r = run_cli("runs", "list", "--store", str(store.root), "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout.strip().splitlines()[-1])["runs"]
    assert {x["id"] for x in rows} == {done, live}
    assert next(x for x in rows if x["id"] == done)["sites"] == 7
    r = run_cli("runs", "list", "--store", str(store.root))
    assert r.returncode == 0 and done in r.stdout
    r = run_cli("runs", "show", done, "--store", str(store.root), "--json")
    assert json.loads(r.stdout.strip().splitlines()[-1])["headline"]["sites"] == 7
    r = run_cli("runs", "rm", live, "--store", str(store.root))
    assert r.returncode == 2 and "cancel it" in r.stderr
    r = run_cli("runs", "show", "../../etc/passwd", "--store", str(store.root))
    assert r.returncode == 2 and "run id" in r.stderr
    r = run_cli("runs", "rm", done, "--store", str(store.root), "--json")
    assert r.returncode == 0
    assert store.ids() == [live]
    r = run_cli("runs", "list", "--store", str(store.root), "--json")
    assert [x["id"] for x in json.loads(r.stdout.strip().splitlines()[-1])["runs"]] == [live]
    r = run_cli("runs", "list", "--store", str(tmp_path / "nothing-here"))
    assert r.returncode == 2


def test_cli_runs_add_imports_a_cli_run_directory(store: Any, tiny_yaml: Path, tmp_path: Path) -> None:
    """A run directory from ``coredge plan`` joins the store: catalogued as done with its headline
    figures, its files served by the API like a run the service made."""
    from fastapi.testclient import TestClient
    from service_helpers import TOKEN

    from coredge.service.app import create_app

    out = tmp_path / "cli-run"
    r = run_cli("plan", str(tiny_yaml), "--planner", "greedy", "--out", str(out))
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "not-a-run"
    bad.mkdir()
    r = run_cli("runs", "add", str(out), str(bad), "--store", str(store.root))
    assert r.returncode == 2 and "not-a-run" in r.stderr
    assert store.ids() == []  # nothing copied when one directory is wrong
    r = run_cli("runs", "add", str(out), "--store", str(store.root), "--json")
    assert r.returncode == 0, r.stderr
    (run_id,) = json.loads(r.stdout.strip().splitlines()[-1])["added"]
    summary = json.loads((out / "summary.json").read_text())
    with TestClient(create_app(store, TOKEN, workers=1)) as c:
        rows = c.get("/api/runs").json()["runs"]
        assert [x["id"] for x in rows] == [run_id]
        assert rows[0]["status"] == "done" and rows[0]["name"] == "tiny"
        assert rows[0]["capex_usd"] == summary["capex_usd"]
        assert c.get(f"/api/runs/{run_id}/report").text == (out / "report.html").read_text(encoding="utf-8")
        # the stored scenario text validates and names the same scenario
        assert c.post("/api/validate", json={"scenario": c.get(f"/api/runs/{run_id}").json()["scenario_text"]}).json()["name"] == "tiny"
