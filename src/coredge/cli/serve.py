"""`coredge serve`: the web dashboard, the HTTP API and the catalogue of runs (`coredge.service`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coredge.cli.app import app, err_console
from coredge.cli.runs import StoreOpt, store_path
from coredge.errors import InputError


def _require_service() -> None:
    import importlib.util

    for module in ("fastapi", "uvicorn", "duckdb"):
        if importlib.util.find_spec(module) is None:
            raise InputError.of(
                "coredge serve", f"{module} is not installed",
                "the optional 'service' extra: pip install 'coredge[service]' (FastAPI, uvicorn, DuckDB)",
            )


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (a non-loopback one needs a token).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    store: StoreOpt = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="COREDGE_TOKEN", show_envvar=True,
                     help="Bearer token for writes (default on loopback: a random one, printed)."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Runs executing at once [processes].")] = 2,
    queue_limit: Annotated[int, typer.Option("--queue-limit", help="Runs waiting at most (429 beyond).")] = 16,
) -> None:
    """Serve the dashboard at / and the JSON API at /api (OpenAPI at /openapi.json)."""
    from coredge.service.security import resolve_token

    if not 0 < port < 65536:
        raise InputError.of("--port", port, "a TCP port in 1-65535")
    if workers < 1:
        raise InputError.of("--workers", workers, "at least 1")
    if queue_limit < 0:
        raise InputError.of("--queue-limit", queue_limit, "0 or more")
    the_token, generated = resolve_token(host, token)
    _require_service()
    import uvicorn

    from coredge.service.app import create_app
    from coredge.service.catalogue import Store

    root: Path = store_path(store)
    st = Store.at(root)
    application = create_app(st, the_token, workers=workers, queue_limit=queue_limit)
    shown = f"[{host}]" if ":" in host else host
    err_console.print(f"coredge serve: store {st.root}", highlight=False, markup=False)
    if generated:
        err_console.print(f"token (generated): {the_token}", highlight=False, markup=False)
        err_console.print(f"open http://{shown}:{port}/#token={the_token}", highlight=False, markup=False)
    else:
        err_console.print(f"open http://{shown}:{port}/ (the token is the one you gave)", highlight=False, markup=False)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
