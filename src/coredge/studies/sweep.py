"""Sweeps: a grid of scenario variants x Monte Carlo chunks on Dask, streamed to Parquet.

`run_sweep(task, grid, out_dir)` runs ``task(params) -> pandas.DataFrame`` once per distinct
entry of ``grid`` on a Dask distributed cluster (a `distributed.LocalCluster` of worker
processes by default, or an existing cluster given by its scheduler address) and writes

``out_dir/``
    ``chunks/<chunk_id>.parquet``  one file per finished chunk, written atomically (temporary
                                   name in the same folder, then ``os.replace``), with the
                                   chunk's parameters as ``param_<key>`` columns and
                                   ``chunk_id``;
    ``params/<chunk_id>.json``     the parameters of every chunk ever submitted;
    ``catalogue.duckdb``           DuckDB database with a view ``results`` over all chunk files
                                   and a table ``chunks`` (chunk_id, params_json, n_rows,
                                   path), rebuilt (atomically) at the end of every run.

The chunk id is a hash of the chunk's parameters (canonical JSON), so a rerun of the same grid
skips every chunk whose file exists: an interrupted sweep resumes without recomputing or
duplicating finished chunks, and a finished sweep reruns for free. Dask retries a chunk whose
worker died (up to ``distributed.scheduler.allowed-failures`` times). One sweep per output
folder at a time. The folder holds the marker `coredge.files.MARKER` (kind ``sweep``) from its
creation on; `coredge.files.claim_dir` refuses a non-empty folder that is not a sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coredge.errors import InputError
from coredge.files import atomic_write_bytes, claim_dir

Task = Callable[[dict[str, Any]], pd.DataFrame]

CHUNK_DIR = "chunks"
PARAM_DIR = "params"
CATALOGUE = "catalogue.duckdb"


def require_extra(module: str) -> None:
    """Raise a clear `InputError` if `module` of the optional ``dask`` extra is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InputError.of(
            "coredge sweep", f"{module} is not installed",
            "the optional 'dask' extra: pip install 'coredge[dask]' (Dask distributed and DuckDB)",
        )


def canonical_json(params: Mapping[str, Any]) -> str:
    """Deterministic JSON of a parameter dict (sorted keys, no spaces); NaN/inf refused."""
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError.of(
            "grid entry", dict(params), f"JSON-serialisable, finite values ({exc})"
        ) from None


def chunk_id(params: Mapping[str, Any]) -> str:
    """Chunk id: the first 20 hex digits of SHA-256 of `canonical_json` (80 bits).

    Examples
    --------
    >>> chunk_id({"b": 1, "a": 2}) == chunk_id({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(canonical_json(params).encode()).hexdigest()[:20]


def _parse_value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            v = conv(text)
        except ValueError:
            continue
        if isinstance(v, float) and not math.isfinite(v):
            break
        return v
    return text.strip()


def grid_from_vary(base: Mapping[str, Any], vary: Sequence[str]) -> list[dict[str, Any]]:
    """Cartesian grid from ``key=v1,v2,...`` strings over a base parameter dict.

    Values are parsed as bool, int, float or left as strings.

    Parameters
    ----------
    base : mapping
        Parameters shared by every variant.
    vary : sequence of str
        ``"key=v1,v2"`` items; keys may repeat base keys (they override them).

    Returns
    -------
    list of dict
        One dict per combination, in row-major order of ``vary``.

    Examples
    --------
    >>> grid_from_vary({"seed": 1}, ["rate=0.06,0.08", "tier=core"])
    [{'seed': 1, 'rate': 0.06, 'tier': 'core'}, {'seed': 1, 'rate': 0.08, 'tier': 'core'}]
    """
    axes: list[tuple[str, list[Any]]] = []
    for item in vary:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise InputError.of("--vary", item, "key=v1,v2,... with at least one value")
        axes.append((key.strip(), [_parse_value(v) for v in values.split(",") if v.strip()]))
    keys = [k for k, _ in axes]
    if len(set(keys)) != len(keys):
        raise InputError.of("--vary", keys, "each key once")
    out = []
    for combo in itertools.product(*(vals for _, vals in axes)):
        entry = dict(base)
        entry.update(zip(keys, combo, strict=True))
        out.append(entry)
    return out


def with_mc_chunks(
    grid: Sequence[Mapping[str, Any]], n_chunks: int, trials_per_chunk: int
) -> list[dict[str, Any]]:
    """Split every variant into ``n_chunks`` Monte Carlo chunks.

    Adds ``mc_chunk`` (0 .. n_chunks-1) and ``n_trials`` to each entry; a task should seed its
    generator from ``(seed, mc_chunk)`` (e.g. ``numpy.random.SeedSequence([seed, mc_chunk])``)
    so that chunks are independent and reproducible.

    Examples
    --------
    >>> [e["mc_chunk"] for e in with_mc_chunks([{"a": 1}], 3, 100)]
    [0, 1, 2]
    """
    if n_chunks < 1 or trials_per_chunk < 1:
        raise InputError.of("n_chunks/trials_per_chunk", (n_chunks, trials_per_chunk), ">= 1")
    return [
        {**dict(g), "mc_chunk": i, "n_trials": trials_per_chunk}
        for g in grid
        for i in range(n_chunks)
    ]


def _param_columns(params: Mapping[str, Any]) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for k, v in params.items():
        name = f"param_{k}"
        cols[name] = v if isinstance(v, bool | int | float | str) or v is None else canonical_json({"v": v})
    return cols


def run_chunk(task: Task, params: dict[str, Any], cid: str, out_dir: str) -> tuple[str, int, bool]:
    """Run one chunk on a worker and write its Parquet file atomically.

    Returns ``(chunk_id, n_rows, computed)``; ``computed`` is False when the file already
    existed (another attempt finished it).
    """
    chunks = Path(out_dir) / CHUNK_DIR
    final = chunks / f"{cid}.parquet"
    if final.exists():
        return cid, -1, False
    df = task(dict(params))
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"sweep task returned {type(df).__name__}, expected a pandas DataFrame")
    df = df.copy()
    for name, value in _param_columns(params).items():
        if name not in df.columns:
            df[name] = value
    df["chunk_id"] = cid
    tmp = chunks / f".{cid}.{uuid.uuid4().hex}.tmp"
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return cid, len(df), True


@dataclass(frozen=True)
class SweepResult:
    """Outcome of `run_sweep`.

    Attributes
    ----------
    out_dir : Path
    chunk_ids : list of str
        One id per grid entry, in grid order (duplicated entries share an id).
    computed : list of str
        Chunks computed in this run.
    skipped : list of str
        Chunks whose file already existed.
    failed : dict of str to str
        Chunk id -> error message for chunks that raised (their files are absent; rerun to
        retry them).
    """

    out_dir: Path
    chunk_ids: list[str]
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every chunk has its file."""
        return not self.failed

    @property
    def catalogue_path(self) -> Path:
        """The DuckDB catalogue."""
        return self.out_dir / CATALOGUE

    def sql(self, query: str) -> pd.DataFrame:
        """Run a SQL query on the catalogue (views ``results``, table ``chunks``)."""
        return query_catalogue(self.out_dir, query)

    def read(self) -> pd.DataFrame:
        """All rows of all chunks of this grid."""
        ids = sorted(set(self.chunk_ids) - set(self.failed))
        if not ids:
            return pd.DataFrame()
        files = [self.out_dir / CHUNK_DIR / f"{c}.parquet" for c in ids]
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def query_catalogue(out_dir: Path | str, query: str) -> pd.DataFrame:
    """Run SQL against a sweep's catalogue (read-only)."""
    require_extra("duckdb")
    import duckdb

    path = Path(out_dir) / CATALOGUE
    if not path.exists():
        raise InputError.of("out_dir", str(out_dir), "a sweep folder with catalogue.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        out: pd.DataFrame = con.execute(query).df()
    return out


def write_catalogue(out_dir: Path | str) -> Path:
    """(Re)build ``catalogue.duckdb`` over the chunk files, atomically.

    The view ``results`` reads ``chunks/*.parquet`` (columns unioned by name); the table
    ``chunks`` lists chunk_id, params_json, n_rows and path.
    """
    require_extra("duckdb")
    import duckdb

    root = Path(out_dir).resolve()
    files = sorted((root / CHUNK_DIR).glob("*.parquet"))
    rows = []
    for f in files:
        cid = f.stem
        pfile = root / PARAM_DIR / f"{cid}.json"
        params = pfile.read_text() if pfile.exists() else "{}"
        n_rows = int(pd.read_parquet(f, columns=["chunk_id"]).shape[0])
        rows.append((cid, params, n_rows, str(f)))
    final = root / CATALOGUE
    tmp = root / f".{CATALOGUE}.{uuid.uuid4().hex}.tmp"
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute(
                "CREATE TABLE chunks (chunk_id VARCHAR PRIMARY KEY, params_json VARCHAR, "
                "n_rows BIGINT, path VARCHAR)"
            )
            if rows:
                con.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)", rows)
                glob = str(root / CHUNK_DIR / "*.parquet").replace("'", "''")
                con.execute(
                    f"CREATE VIEW results AS SELECT * FROM read_parquet('{glob}', union_by_name=true)"
                )
            else:
                con.execute("CREATE VIEW results AS SELECT NULL::VARCHAR AS chunk_id WHERE false")
        os.replace(tmp, final)
    finally:
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            if p.exists():
                p.unlink()
    return final


def _clean_stale_tmp(root: Path) -> None:
    for d in (root / CHUNK_DIR, root / PARAM_DIR, root):
        for p in d.glob(".*.tmp"):
            p.unlink(missing_ok=True)


def run_sweep(
    task: Task,
    grid: Sequence[Mapping[str, Any]],
    out_dir: Path | str,
    scheduler: str | None = None,
    n_workers: int = 2,
    progress: bool = True,
    threads_per_worker: int = 1,
) -> SweepResult:
    """Run ``task`` over ``grid`` on Dask, one Parquet file per chunk, resumable.

    Parameters
    ----------
    task : callable(dict) -> pandas.DataFrame
        Picklable (cloudpickle) function of one parameter dict; it runs in worker processes.
    grid : sequence of dict
        JSON-serialisable parameter dicts (see `grid_from_vary`, `with_mc_chunks`).
    out_dir : path
        Output folder (created).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); None starts a
        `distributed.LocalCluster` of ``n_workers`` processes, no dashboard.
    n_workers : int
        Worker processes of the local cluster.
    progress : bool
        Show a Rich progress bar of chunks done on stderr.
    threads_per_worker : int
        Threads per worker process of the local cluster.

    Returns
    -------
    SweepResult
    """
    require_extra("distributed")
    from distributed import Client, LocalCluster, as_completed

    if not grid:
        raise InputError.of("grid", [], "at least one parameter set")
    if n_workers < 1:
        raise InputError.of("n_workers", n_workers, ">= 1")
    root = Path(out_dir)
    claim_dir(root, "sweep")  # new, empty, or an earlier sweep to resume; nothing else is touched
    (root / CHUNK_DIR).mkdir(parents=True, exist_ok=True)
    (root / PARAM_DIR).mkdir(parents=True, exist_ok=True)
    _clean_stale_tmp(root)

    ids = [chunk_id(g) for g in grid]
    unique: dict[str, dict[str, Any]] = {}
    for cid, g in zip(ids, grid, strict=True):
        unique.setdefault(cid, dict(g))
    skipped = [c for c in unique if (root / CHUNK_DIR / f"{c}.parquet").exists()]
    todo = [c for c in unique if c not in set(skipped)]
    for cid in todo:
        pfile = root / PARAM_DIR / f"{cid}.json"
        if not pfile.exists():
            atomic_write_bytes(pfile, canonical_json(unique[cid]).encode())

    computed: list[str] = []
    failed: dict[str, str] = {}
    if todo:
        cluster: Any = None
        try:
            if scheduler is None:
                cluster = LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    # ':0': any free port; the scheduler's HTTP server (metrics) binds even
                    # without a dashboard, and on ':8787' collides with another running cluster
                    dashboard_address=":0",
                )
                client = Client(cluster)
            else:
                client = Client(scheduler)
            with client:
                futures = [
                    client.submit(
                        run_chunk, task, unique[c], c, str(root.resolve()), key=f"coredge-chunk-{c}", pure=False
                    )
                    for c in todo
                ]
                with _progress(progress, len(unique), len(skipped)) as advance:
                    for fut in as_completed(futures):
                        key = str(fut.key).removeprefix("coredge-chunk-")
                        try:
                            cid, _, _ = fut.result()
                        except Exception as exc:  # a chunk failed; keep the others
                            failed[key] = f"{type(exc).__name__}: {exc}"
                        else:
                            # its file did not exist when this run started. (When a worker
                            # dies, Dask re-runs tasks whose results it held; run_chunk then
                            # finds the file and returns without computing again.)
                            computed.append(cid)
                        advance()
        finally:
            if cluster is not None:
                cluster.close()
    write_catalogue(root)
    return SweepResult(root, ids, computed, skipped, failed)


class _progress:
    """Rich progress bar on stderr (or nothing), used as ``with _progress(...) as advance``."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled = enabled
        self.total = total
        self.done = done
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("sweep chunks", total=self.total, completed=self.done)
        return lambda: self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


__all__ = [
    "SweepResult",
    "canonical_json",
    "chunk_id",
    "grid_from_vary",
    "query_catalogue",
    "run_chunk",
    "run_sweep",
    "with_mc_chunks",
    "write_catalogue",
]
