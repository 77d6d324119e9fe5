"""The dashboard of ``coredge serve``: HTML pages (Jinja2 templates, autoescaped) and a little
JavaScript, every asset served by the same process (Plotly's JavaScript from the installed
``plotly`` package), so it works with no network.

Pages: ``/`` (scenario editor with live validation, start a run, recent runs), ``/runs`` (the
catalogue; pick runs to compare), ``/runs/{id}`` (progress, headline figures, the run's own
report), ``/compare?ids=...`` (runs side by side). The token for writes is kept in the browser's
local storage; ``coredge serve`` prints a link carrying it after ``#`` (never sent to the server).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from coredge import __version__
from coredge.errors import InputError
from coredge.service.catalogue import CatalogueReader, Store, check_run_id

STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
"""The dashboard's own assets (``coredge/service/static``) and their media types."""


def plotly_js_path() -> Path:
    """``plotly.min.js`` inside the installed plotly package (served at ``/static/plotly.min.js``)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


_ENV = Environment(
    loader=PackageLoader("coredge.service", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, **context: Any) -> HTMLResponse:
    """A template rendered with `context` (every value HTML-escaped unless marked safe)."""
    html = _ENV.get_template(name).render(version=__version__, **context)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def add_dashboard(app: FastAPI, store: Store, reader: CatalogueReader) -> None:
    """Register the dashboard's pages and assets on `app`."""
    static = resources.files("coredge.service") / "static"

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return render("index.html", page="editor")

    @app.get("/runs", include_in_schema=False)
    def runs_page() -> HTMLResponse:
        return render("runs.html", page="runs")

    @app.get("/runs/{run_id}", include_in_schema=False)
    def run_page(run_id: str) -> HTMLResponse:
        try:
            check_run_id(run_id)
        except InputError:
            raise HTTPException(400, "not a run id") from None
        job = store.read_job(run_id)
        if job is None:
            raise HTTPException(404, f"no run {run_id}")
        return render("run.html", page="runs", job=job)

    @app.get("/compare", include_in_schema=False)
    def compare_page(request: Request) -> HTMLResponse:
        return render("compare.html", page="compare", ids=request.query_params.get("ids", ""))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such asset")
        data = (static / name).read_bytes()
        return Response(data, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})


__all__ = ["STATIC_FILES", "add_dashboard", "plotly_js_path", "render"]
