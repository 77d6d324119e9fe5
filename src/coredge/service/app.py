"""The FastAPI application of ``coredge serve``: the JSON API under ``/api`` (OpenAPI at
``/openapi.json``) and the dashboard (`coredge.service.dashboard`).

Reads are open; writes (``POST /api/runs``, cancelling, ``DELETE``) need
``Authorization: Bearer <token>`` (401 without, 403 with a wrong one). A bad scenario gets 422
with the same problems as ``coredge validate``. Run ids are checked on every path
(`coredge.service.catalogue.check_run_id`) and a run's files are read only by fixed names.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from coredge import __version__
from coredge.errors import InputError
from coredge.files import jsonable
from coredge.service.catalogue import (
    FINAL,
    CatalogueReader,
    Store,
    check_run_id,
    list_runs,
)
from coredge.service.jobs import JobManager, QueueFull
from coredge.service.scenarios import (
    MAX_SCENARIO_CHARS,
    builtin_list,
    builtin_text,
    check_request,
    problems_json,
)
from coredge.service.security import (
    MAX_BODY_BYTES,
    REPORT_CSP,
    BodyLimit,
    SecurityHeaders,
    token_matches,
)

TABLE_NAME = r"^[a-z][a-z0-9_]{0,63}$"
"""A table name: the stem of a Parquet file of the run directory."""

MAX_VALIDATIONS = 4
"""Scenario checks (``POST /api/validate``) running at once at most; one more gets 429. A check
of the built-in ``us`` scenario (base and four variants) takes about 0.3 s of CPU."""

HIDDEN_SUMMARY_KEYS = ("run_dir", "report", "files")
"""Summary entries that name the server's paths (left out of API answers)."""


class ScenarioRequest(BaseModel):
    """A scenario by YAML text or by built-in name (exactly one), and a variant."""

    model_config = ConfigDict(extra="forbid")
    scenario: str | None = Field(None, max_length=MAX_SCENARIO_CHARS, description="Scenario YAML text.")
    scenario_name: str | None = Field(None, max_length=100, description="A built-in scenario's name.")
    variant: str | None = Field(None, max_length=100, description="A variant of the scenario.")


class RunOptions(BaseModel):
    """What to compute and how to plan (defaults: the scenario's planner, everything computed)."""

    model_config = ConfigDict(extra="forbid")
    planner: Literal["greedy", "milp"] | None = Field(None, description="Override the scenario's planner.")
    time_limit_s: float | None = Field(None, gt=0, le=86_400, description="MILP time limit [s].")
    mip_rel_gap: float | None = Field(None, ge=0, lt=1, description="MILP relative gap [fraction].")
    simulation: bool = Field(True, description="Simulate the busy hour (when the scenario enables it).")
    training: bool = Field(True, description="Simulate a year of training jobs (when enabled).")


class RunRequest(ScenarioRequest):
    """``POST /api/runs``: a scenario and the run's options."""

    options: RunOptions = Field(default_factory=RunOptions)


def _problems_response(exc: InputError) -> JSONResponse:
    return JSONResponse(problems_json(exc), status_code=422)


def _job_view(store: Store, job: dict[str, Any], full: bool = True) -> dict[str, Any]:
    run_id = str(job["id"])
    out = dict(job)
    base = f"/api/runs/{run_id}"
    out["links"] = {"self": base, "events": f"{base}/events", "page": f"/runs/{run_id}"}
    if job.get("status") == "running":
        out["progress"] = store.read_progress(run_id)
    if job.get("status") == "done":
        out["links"].update(report=f"{base}/report", tables=f"{base}/tables")
        if full:
            summary = store.read_summary(run_id) or {}
            out["summary"] = {k: v for k, v in summary.items() if k not in HIDDEN_SUMMARY_KEYS}
    if not full:
        out.pop("scenario_text", None)
    return out


def json_bytes(obj: Any) -> bytes:
    """`obj` as compact JSON (numpy values converted, NaN as null)."""
    return json.dumps(jsonable(obj), separators=(",", ":"), allow_nan=False).encode("utf-8")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class ViewCache:
    """``GET /api/runs/{id}`` answers of ended runs, kept while their files are unchanged (a job
    record or summary is replaced by a rename, never written in place, so a new file is a new
    stamp). Runs still queued or running are read afresh each time (their progress moves)."""

    LIMIT = 2048

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Any, bytes]] = OrderedDict()

    def get(self, run_id: str) -> bytes | None:
        folder = self.store.run_folder(run_id)
        stamp = (_stamp(folder / "job.json"), _stamp(self.store.run_dir(run_id) / "summary.json"))
        if stamp[0] is None:
            return None
        with self._lock:
            hit = self._items.get(run_id)
            if hit is not None and hit[0] == stamp:
                self._items.move_to_end(run_id)
                return hit[1]
        job = self.store.read_job(run_id)
        if job is None:
            return None
        body = json_bytes(_job_view(self.store, job))
        if job.get("status") in FINAL:
            with self._lock:
                self._items[run_id] = (stamp, body)
                while len(self._items) > self.LIMIT:
                    self._items.popitem(last=False)
        return body


def compare_rows(store: Store, ids: list[str]) -> dict[str, Any]:
    """Runs side by side: headline figures, each investor view's NPV and IRR, coverage and SLO
    attainment by class (``GET /api/compare``)."""
    runs = []
    classes: dict[str, Any] = {}
    for run_id in ids:
        job = store.read_job(run_id)
        if job is None:
            raise HTTPException(404, f"no run {run_id}")
        if job.get("status") != "done":
            raise HTTPException(409, f"run {run_id} is {job.get('status')}, not done")
        s = store.read_summary(run_id) or {}
        cov = {k: v.get("coverage") for k, v in (s.get("coverage_by_class") or {}).items()}
        classes.update({k: v.get("rtt_budget_ms") for k, v in (s.get("coverage_by_class") or {}).items()})
        sim = s.get("simulation") or {}
        runs.append({
            "id": run_id, "name": job.get("name"), "variant": job.get("variant"),
            "created": job.get("created"), **(job.get("headline") or {}),
            "sites_by_tier": s.get("sites_by_tier"), "it_mw_by_tier": s.get("it_mw_by_tier"),
            "capex_usd_by_tier": {t: (v or {}).get("capex_usd")
                                  for t, v in ((s.get("finance") or {}).get("tiers") or {}).items()},
            "views": {name: (v or {}).get("portfolio") for name, v in (s.get("finance_views") or {}).items()
                      if isinstance(v, dict)},
            "coverage_by_class": cov,
            "slo_attainment_by_class": sim.get("slo_attainment_by_class"),
            "p99_ms_by_class": sim.get("p99_ms_by_class"),
        })
    return {"runs": runs, "classes": classes}


def create_app(store: Store, token: str, workers: int = 2, queue_limit: int = 16,
               max_body_bytes: int = MAX_BODY_BYTES, manager: JobManager | None = None) -> FastAPI:
    """The service's ASGI application over `store`, requiring `token` for writes.

    The job manager (`coredge.service.jobs.JobManager`, or `manager`) starts and stops with the
    application's lifespan.
    """
    jobs = manager or JobManager(store, workers=workers, queue_limit=queue_limit)
    reader = CatalogueReader(store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            reader.close()

    app = FastAPI(title="coredge", version=__version__, lifespan=lifespan,
                  description="Plan, simulate and price AI compute split between core campuses and edge sites.",
                  docs_url=None, redoc_url=None)
    app.state.store, app.state.jobs, app.state.reader = store, jobs, reader

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, given = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPException(401, "this request needs 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not token_matches(given.strip(), token):
            raise HTTPException(403, "wrong token")

    Auth = Depends(require_token)
    checking = threading.BoundedSemaphore(MAX_VALIDATIONS)
    app.state.checking = checking

    def run_id_of(run_id: str) -> str:
        try:
            return check_run_id(run_id)
        except InputError:
            raise HTTPException(400, "not a run id (16 hexadecimal characters)") from None

    def job_of(run_id: str) -> dict[str, Any]:
        job = store.read_job(run_id_of(run_id))
        if job is None:
            raise HTTPException(404, f"no run {run_id}")
        return job

    @app.exception_handler(InputError)
    async def _input_error(_request: Request, exc: InputError) -> JSONResponse:
        return _problems_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x != "body"]
            value = e.get("input")
            problems.append({"field": ".".join(loc) or "(body)",
                             "value": value if isinstance(value, str | int | float | bool | type(None)) else str(value)[:200],
                             "allowed": str(e.get("msg"))})
        return JSONResponse({"message": "invalid request", "context": "invalid request", "problems": problems},
                            status_code=422)

    @app.get("/api/health", tags=["service"])
    def health() -> dict[str, Any]:
        """The service is up: version and the job pool's state."""
        return {"status": "ok", "version": __version__, **jobs.counts()}

    @app.get("/api/scenarios", tags=["scenarios"])
    def scenarios() -> dict[str, Any]:
        """Built-in scenarios and their variants."""
        return {"scenarios": builtin_list()}

    @app.get("/api/scenarios/{name}", tags=["scenarios"])
    def scenario_text(name: str) -> dict[str, Any]:
        """A built-in scenario's YAML text and variants."""
        known = {s["name"]: s for s in builtin_list()}
        if name not in known:
            raise HTTPException(404, f"no built-in scenario {name[:40]!r}; known: {', '.join(known)}")
        return {**known[name], "text": builtin_text(name)}

    @app.post("/api/validate", tags=["scenarios"])
    def validate(req: ScenarioRequest) -> Any:
        """Check a scenario as ``coredge validate`` does: 200 when valid, 422 with every problem
        (429 while `MAX_VALIDATIONS` other checks are running)."""
        if not checking.acquire(blocking=False):
            raise HTTPException(429, "too many scenario checks at once; try again", headers={"Retry-After": "1"})
        try:
            checked = check_request(req.scenario, req.scenario_name, req.variant)
        finally:
            checking.release()
        return {"valid": True, "name": checked.name, "variants": checked.variants}

    @app.post("/api/runs", status_code=202, tags=["runs"], dependencies=[Auth])
    def submit(req: RunRequest) -> Any:
        """Queue a run (202); 422 for a bad scenario, 429 when the queue is full."""
        checked = check_request(req.scenario, req.scenario_name, req.variant)
        try:
            job = jobs.submit(checked.text, checked.name, req.variant, req.options.model_dump(),
                              builtin=checked.builtin)
        except QueueFull as exc:
            raise HTTPException(429, f"the queue is full: {exc}", headers={"Retry-After": "30"}) from None
        return _job_view(store, job, full=False)

    @app.get("/api/runs", tags=["runs"])
    def runs(status: Annotated[Literal["queued", "running", "done", "failed", "cancelled"] | None, Query()] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 200,
             offset: Annotated[int, Query(ge=0)] = 0) -> Response:
        """The catalogue: one row per run, newest first (headline figures once done)."""
        body = reader.memo(("runs", status, limit, offset),
                           lambda r: json_bytes({"runs": list_runs(r, status, limit, offset)}))
        return Response(body, media_type="application/json")

    views = ViewCache(store)

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def run(run_id: str) -> Response:
        """One run: status, progress while running, summary when done, error when failed."""
        body = views.get(run_id_of(run_id))
        if body is None:
            raise HTTPException(404, f"no run {run_id}")
        return Response(body, media_type="application/json")

    @app.get("/api/runs/{run_id}/events", tags=["runs"])
    async def events(run_id: str) -> StreamingResponse:
        """Server-sent events: the run's status and progress until it ends (one event per change)."""
        job_of(run_id)

        async def stream() -> AsyncIterator[bytes]:
            last = None
            while True:
                job = store.read_job(run_id)
                if job is None:
                    yield b"event: gone\ndata: {}\n\n"
                    return
                view = {"status": job.get("status"), "error": job.get("error"),
                        "progress": store.read_progress(run_id) if job.get("status") == "running" else None}
                text = json.dumps(view)
                if text != last:
                    yield f"event: status\ndata: {text}\n\n".encode()
                    last = text
                if job.get("status") in FINAL:
                    return
                await asyncio.sleep(0.25)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.post("/api/runs/{run_id}/cancel", tags=["runs"], dependencies=[Auth])
    def cancel(run_id: str) -> dict[str, Any]:
        """Cancel a queued or running run (409 if it has ended)."""
        job = job_of(run_id)
        if not jobs.cancel(run_id):
            raise HTTPException(409, f"run {run_id} is {job.get('status')}: only queued or running runs can be cancelled")
        return _job_view(store, job_of(run_id), full=False)

    @app.delete("/api/runs/{run_id}", tags=["runs"], dependencies=[Auth])
    def delete(run_id: str) -> dict[str, Any]:
        """Delete a run and its files (a queued or running run is cancelled first)."""
        job_of(run_id)
        jobs.cancel(run_id)
        for _ in range(100):  # the manager notices an ended worker within its poll period
            if not jobs.is_live(run_id):
                break
            time.sleep(0.1)
        store.remove(run_id)
        store.rebuild_catalogue()
        return {"deleted": run_id}

    def done_dir(run_id: str) -> Path:
        job = job_of(run_id)
        if job.get("status") != "done":
            raise HTTPException(409, f"run {run_id} is {job.get('status')}, not done")
        return store.run_dir(run_id)

    @app.get("/api/runs/{run_id}/report", tags=["runs"], response_class=FileResponse)
    def report(run_id: str) -> Response:
        """The run's ``report.html`` (self-contained; served in a script sandbox)."""
        f = done_dir(run_id) / "report.html"
        if not f.is_file():
            raise HTTPException(404, "this run has no report")
        return FileResponse(f, media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"})

    def table_files(run_id: str) -> dict[str, Path]:
        d = done_dir(run_id)
        return {p.stem: p for p in sorted(d.glob("*.parquet")) if p.is_file() and not p.is_symlink()}

    @app.get("/api/runs/{run_id}/tables", tags=["runs"])
    def tables(run_id: str) -> dict[str, Any]:
        """Names of the run's Parquet tables."""
        return {"tables": list(table_files(run_id))}

    @app.get("/api/runs/{run_id}/tables/{name}", tags=["runs"])
    def table_by_name(run_id: str, name: str,
                      format: Annotated[Literal["json", "csv"], Query()] = "json",
                      limit: Annotated[int, Query(ge=1, le=1_000_000)] = 100_000) -> Response:
        """A Parquet table of the run as JSON records or CSV (at most `limit` rows)."""
        import re

        import pandas as pd

        if re.fullmatch(TABLE_NAME[1:-1], name) is None:
            raise HTTPException(400, "not a table name")
        files = table_files(run_id)
        if name not in files:
            raise HTTPException(404, f"no table {name}; the run has: {', '.join(files)}")
        df = pd.read_parquet(files[name]).head(limit)
        if format == "csv":
            return Response(df.to_csv(index=False), media_type="text/csv; charset=utf-8")
        return Response(df.to_json(orient="records", date_format="iso"), media_type="application/json")

    @app.get("/api/compare", tags=["runs"])
    def compare(ids: Annotated[str, Query(max_length=2000, description="Comma-separated run ids (2 to 20).")]) -> dict[str, Any]:
        """Two or more finished runs side by side."""
        wanted = [run_id_of(x.strip()) for x in ids.split(",") if x.strip()]
        if not 2 <= len(wanted) <= 20:
            raise HTTPException(400, "compare needs 2 to 20 run ids")
        return compare_rows(store, wanted)

    from coredge.service.dashboard import add_dashboard

    add_dashboard(app, store, reader)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app


__all__ = ["RunOptions", "RunRequest", "ScenarioRequest", "compare_rows", "create_app"]
