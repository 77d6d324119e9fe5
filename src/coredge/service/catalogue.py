"""The store of ``coredge serve`` and its DuckDB catalogue.

A store is a folder::

    STORE/
      catalogue.duckdb          table ``runs``: one row per run (`CATALOGUE_COLUMNS`)
      runs/<id>/job.json        the job record (status, timings, scenario text, options, error)
      runs/<id>/scenario.yaml   the scenario as submitted
      runs/<id>/progress.json   the current step (written by the worker)
      runs/<id>/run/            the run directory (`coredge.pipeline.write_run`), once done

Run ids are made here (`new_run_id`) and checked on every use (`check_run_id`): 16 lower-case
hexadecimal characters, so an id can never name a path outside its folder. Every file is written
through `coredge.files.atomic_write_text` (temporary name, then one rename); the catalogue is
rebuilt into a temporary database and renamed into place, so a reader opening it read-only (the
API, ``coredge runs list``, a user's own ``duckdb``) always sees a complete database. Rebuilds in
one or several processes are serialised by a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from coredge.errors import InputError
from coredge.files import atomic_write_text, jsonable
from coredge.safeload import load_json

CATALOGUE = "catalogue.duckdb"
"""The catalogue's file name in the store."""

RUNS_DIR = "runs"
"""The folder of run folders in the store."""

RUN_ID = re.compile(r"[0-9a-f]{16}")
"""A run id: 16 lower-case hexadecimal characters (64 random bits)."""

STATUSES = ("queued", "running", "done", "failed", "cancelled")
"""A run's status; the last three are final."""

FINAL = frozenset({"done", "failed", "cancelled"})
"""Statuses a run never leaves."""

CATALOGUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("variant", "VARCHAR"),
    ("status", "VARCHAR"),
    ("created", "TIMESTAMPTZ"),
    ("started", "TIMESTAMPTZ"),
    ("finished", "TIMESTAMPTZ"),
    ("error", "VARCHAR"),
    ("scenario_sha256", "VARCHAR"),
    ("scenario_text", "VARCHAR"),
    ("options", "VARCHAR"),
    ("planner", "VARCHAR"),
    ("sites", "INTEGER"),
    ("it_mw", "DOUBLE"),
    ("facility_mw", "DOUBLE"),
    ("gpus", "BIGINT"),
    ("capex_usd", "DOUBLE"),
    ("npv_usd", "DOUBLE"),
    ("irr", "DOUBLE"),
    ("landlord_npv_usd", "DOUBLE"),
    ("landlord_irr", "DOUBLE"),
    ("operator_npv_usd", "DOUBLE"),
    ("operator_irr", "DOUBLE"),
    ("coverage_min", "DOUBLE"),
    ("slo_attainment", "DOUBLE"),
    ("p99_ms", "DOUBLE"),
)
"""Columns of the catalogue table ``runs`` (name, DuckDB type). Money in USD, power in MW of the
final plan year, fractions as fractions, latency in ms; the headline figures are null until the
run is done."""

HEADLINE = tuple(n for n, _ in CATALOGUE_COLUMNS[11:])
"""The catalogue columns taken from a finished run's summary (`headline`)."""


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_run_id() -> str:
    """A fresh run id (`RUN_ID`)."""
    return secrets.token_hex(8)


def check_run_id(text: str) -> str:
    """`text` if it is a well-formed run id, else an `InputError` (nothing is looked up)."""
    if not isinstance(text, str) or RUN_ID.fullmatch(text) is None:
        raise InputError.of("run id", str(text)[:40], "a run id made by the service (16 hexadecimal characters)")
    return text


def scenario_sha256(text: str) -> str:
    """SHA-256 of a scenario's YAML text (UTF-8) in hexadecimal."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The catalogue's summary columns (`HEADLINE`) from a run's ``summary.json``.

    Sites, IT and facility MW and GPUs are totals over tiers; ``coverage_min`` is the lowest
    final-year coverage of any workload class [fraction]; ``slo_attainment`` and ``p99_ms`` come
    from the busy-hour simulation (null when the run did not simulate). The investor views'
    NPV and IRR are their portfolio rows (``finance_views``).
    """
    views = summary.get("finance_views") or {}

    def view(name: str, key: str) -> float | None:
        v = views.get(name)
        return _num((v.get("portfolio") or {}).get(key)) if isinstance(v, dict) else None

    cov = [_num(v.get("coverage")) for v in (summary.get("coverage_by_class") or {}).values()]
    cov_known = [c for c in cov if c is not None]
    sim = summary.get("simulation") or {}
    gpus = sum(int(v) for v in (summary.get("gpus_by_tier") or {}).values())
    return {
        "planner": summary.get("planner"),
        "sites": sum(int(v) for v in (summary.get("sites_by_tier") or {}).values()),
        "it_mw": sum(float(v) for v in (summary.get("it_mw_by_tier") or {}).values()),
        "facility_mw": sum(float(v) for v in (summary.get("facility_mw_by_tier") or {}).values()),
        "gpus": gpus,
        "capex_usd": _num(summary.get("capex_usd")),
        "npv_usd": _num(summary.get("npv_usd")),
        "irr": _num(summary.get("irr")),
        "landlord_npv_usd": view("landlord", "npv_usd"),
        "landlord_irr": view("landlord", "irr"),
        "operator_npv_usd": view("operator", "npv_usd"),
        "operator_irr": view("operator", "irr"),
        "coverage_min": min(cov_known) if cov_known else None,
        "slo_attainment": _num(sim.get("slo_attainment")),
        "p99_ms": _num(sim.get("p99_ms")),
    }


@dataclass(frozen=True)
class Store:
    """A store folder (see the module docstring); nothing is created until something is written."""

    root: Path

    @classmethod
    def at(cls, root: str | Path) -> Store:
        """The store at `root` (made absolute)."""
        return cls(Path(os.path.abspath(root)))

    # --- paths -------------------------------------------------------------------------------

    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS_DIR

    @property
    def catalogue_path(self) -> Path:
        return self.root / CATALOGUE

    def run_folder(self, run_id: str) -> Path:
        """The folder of run `run_id` (checked by `check_run_id`; it may not exist)."""
        return self.runs_dir / check_run_id(run_id)

    def run_dir(self, run_id: str) -> Path:
        """The run directory (``coredge run --out`` format) of run `run_id`."""
        return self.run_folder(run_id) / "run"

    # --- job records -------------------------------------------------------------------------

    def ids(self) -> list[str]:
        """Ids of the runs in the store (folders with a job record), oldest first by name."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.runs_dir.iterdir()
            if RUN_ID.fullmatch(p.name) and not p.is_symlink() and (p / "job.json").is_file()
        )

    def read_job(self, run_id: str) -> dict[str, Any] | None:
        """The job record of `run_id`, or None if there is no such run (or it is unreadable)."""
        f = self.run_folder(run_id) / "job.json"
        if not f.is_file() or f.is_symlink():
            return None
        try:
            obj = load_json(f, "job.json")
        except InputError:
            return None
        return obj if isinstance(obj, dict) else None

    def write_job(self, job: dict[str, Any]) -> None:
        """Write a job record (atomically) into its run folder, creating the folder."""
        folder = self.run_folder(str(job["id"]))
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "job.json", json.dumps(jsonable(job), indent=2, allow_nan=False) + "\n")

    def read_progress(self, run_id: str) -> dict[str, Any] | None:
        """The worker's last progress record of `run_id` (step text, step number, time)."""
        f = self.run_folder(run_id) / "progress.json"
        if not f.is_file():
            return None
        try:
            obj = load_json(f, "progress.json")
        except InputError:
            return None
        return obj if isinstance(obj, dict) else None

    def read_summary(self, run_id: str) -> dict[str, Any] | None:
        """``summary.json`` of a finished run, or None."""
        f = self.run_dir(run_id) / "summary.json"
        if not f.is_file():
            return None
        try:
            obj = load_json(f, "summary.json")
        except InputError:
            return None
        return obj if isinstance(obj, dict) else None

    def remove(self, run_id: str) -> bool:
        """Delete run `run_id`'s folder; True if it existed. The catalogue is not rebuilt here."""
        folder = self.run_folder(run_id)
        if not folder.is_dir() or folder.is_symlink():
            return False
        # rename first: a reader never sees a half-deleted run, only a run or none
        gone = self.runs_dir / f".{run_id}.rm-{uuid.uuid4().hex[:8]}"
        os.replace(folder, gone)
        shutil.rmtree(gone, ignore_errors=True)
        return True

    def import_run(self, run_dir: str | Path) -> dict[str, Any]:
        """Copy a run directory written by ``coredge run`` / ``coredge plan`` into the store as a
        finished run; returns its job record.

        The directory is checked by `coredge.store.read_run` first (an `InputError` names what is
        wrong, and nothing is written); the copy is made under a hidden name and renamed into
        place with its job record, so the store never holds half an import.
        """
        import yaml

        from coredge.store import read_run

        src = Path(run_dir)
        stored = read_run(src)
        run_id = new_run_id()
        text = yaml.safe_dump(stored.scenario.model_dump(mode="json"), sort_keys=False)
        finished = datetime.fromtimestamp((src / "summary.json").stat().st_mtime, UTC)
        job = {
            "id": run_id, "name": stored.scenario.name, "variant": stored.variant, "status": "done",
            "created": finished.isoformat(timespec="microseconds"), "started": None,
            "finished": finished.isoformat(timespec="microseconds"), "error": None, "builtin": None,
            "scenario_sha256": scenario_sha256(text), "scenario_text": text,
            "options": {"imported_from": str(src.resolve())}, "headline": headline(stored.summary),
        }
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.runs_dir / f".{run_id}.import-{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(src, tmp / "run", symlinks=True)
            atomic_write_text(tmp / "scenario.yaml", text)
            atomic_write_text(tmp / "job.json", json.dumps(jsonable(job), indent=2, allow_nan=False) + "\n")
            os.replace(tmp, self.run_folder(run_id))
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return job

    # --- the catalogue -----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".catalogue.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def rows(self, pending: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """One catalogue row per run, from the job records (newest first); `pending` holds
        records about to be written, used instead of the ones on disk."""
        out = []
        for run_id in self.ids():
            job = (pending or {}).get(run_id) or self.read_job(run_id)
            if job is None:
                continue
            row = {name: job.get(name) for name, _ in CATALOGUE_COLUMNS}
            row["options"] = json.dumps(job.get("options") or {}, sort_keys=True)
            row.update({k: v for k, v in (job.get("headline") or {}).items() if k in HEADLINE})
            out.append(row)
        out.sort(key=lambda r: (str(r.get("created") or ""), r["id"]), reverse=True)
        return out

    def rebuild_catalogue(self, pending: dict[str, dict[str, Any]] | None = None) -> Path:
        """Rebuild ``catalogue.duckdb`` from the job records, atomically (see the module docstring).

        `pending`: job records (id -> record) about to be written; the job manager rebuilds with
        a run's new status before writing its record, so that a run seen ended in its record is
        ended in the catalogue too.
        """
        import duckdb

        with self._locked():
            rows = self.rows(pending)
            final = self.catalogue_path
            tmp = self.root / f".{CATALOGUE}.{uuid.uuid4().hex}.tmp"
            try:
                with duckdb.connect(str(tmp)) as con:
                    cols = ", ".join(f"{n} {t}" for n, t in CATALOGUE_COLUMNS)
                    con.execute(f"CREATE TABLE runs ({cols})")
                    if rows:
                        df = pd.DataFrame(rows, columns=[n for n, _ in CATALOGUE_COLUMNS])
                        for n, t in CATALOGUE_COLUMNS:
                            if t == "TIMESTAMPTZ":
                                df[n] = pd.to_datetime(df[n], utc=True, format="ISO8601")
                        con.register("new_rows", df)
                        con.execute("INSERT INTO runs SELECT * FROM new_rows")
                        con.unregister("new_rows")
                os.replace(tmp, final)
            finally:
                for p in (tmp, tmp.with_name(tmp.name + ".wal")):
                    if p.exists():
                        p.unlink()
        return final


_THREAD_LOCK = threading.Lock()
"""Serialises catalogue rebuilds between the threads of one process (flock covers processes)."""


class CatalogueReader:
    """Read-only queries of a store's catalogue, safe from many threads.

    The connection is reopened when the catalogue file has been replaced (a rebuild renames a new
    file into place), so readers see each rebuild whole, never a half-written one.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._con: Any = None
        self._key: tuple[int, int, int, int] | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _connection(self) -> Any:
        import duckdb

        path = self.store.catalogue_path
        if not path.is_file():
            self.store.rebuild_catalogue()
        st = path.stat()
        key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        if self._con is None or key != self._key:
            if self._con is not None:
                self._con.close()
            self._con = duckdb.connect(str(path), read_only=True)
            self._key = key
            self._memo.clear()
        return self._con

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run one read-only SQL query against table ``runs``."""
        with self._lock:
            out: pd.DataFrame = self._connection().execute(sql, params or []).df()
        return out

    def memo(self, key: tuple[Any, ...], compute: Callable[[CatalogueReader], Any]) -> Any:
        """``compute(self)``, remembered under `key` until the catalogue file is replaced (the
        answer to a query cannot change before: the file is never written in place)."""
        with self._lock:
            self._connection()
            hit = self._memo.get((self._key, key))
            if hit is not None:
                return hit
        value = compute(self)
        with self._lock:
            if len(self._memo) > 256:
                self._memo.clear()
            self._memo[(self._key, key)] = value
        return value

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A catalogue query's rows as JSON-ready dicts (timestamps ISO 8601, NaN as None)."""
    out = []
    for rec in df.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for key, v in rec.items():
            k = str(key)
            if isinstance(v, pd.Timestamp):
                row[k] = None if pd.isna(v) else v.isoformat()
            elif v is pd.NaT or (isinstance(v, float) and v != v):
                row[k] = None
            elif v is None:
                row[k] = None
            else:
                row[k] = jsonable(v.item() if hasattr(v, "item") else v)
        out.append(row)
    return out


LIST_COLUMNS = (
    "id", "name", "variant", "status", "created", "started", "finished", "error", "planner",
    *HEADLINE[1:],
)
"""Columns of ``GET /api/runs`` and ``coredge runs list`` (the scenario text is left out)."""


def list_runs(reader: CatalogueReader, status: str | None = None, limit: int = 200,
              offset: int = 0) -> list[dict[str, Any]]:
    """Catalogue rows, newest first, optionally of one status."""
    cols = ", ".join(LIST_COLUMNS)
    if status is not None:
        df = reader.query(f"SELECT {cols} FROM runs WHERE status = ? ORDER BY created DESC, id "
                          "LIMIT ? OFFSET ?", [status, limit, offset])
    else:
        df = reader.query(f"SELECT {cols} FROM runs ORDER BY created DESC, id LIMIT ? OFFSET ?",
                          [limit, offset])
    return records(df)


__all__ = [
    "CATALOGUE",
    "CATALOGUE_COLUMNS",
    "FINAL",
    "HEADLINE",
    "LIST_COLUMNS",
    "RUN_ID",
    "STATUSES",
    "CatalogueReader",
    "Store",
    "check_run_id",
    "headline",
    "list_runs",
    "new_run_id",
    "now_iso",
    "records",
    "scenario_sha256",
]
