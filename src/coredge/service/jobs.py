"""Runs of the service: a bounded pool of worker processes, a queue limit, progress, cancelling.

Each run executes in its own worker process (`run_job`), so a crash or a memory blow-up in one
run cannot take the server down; at most ``workers`` run at once and at most ``queue_limit``
wait (`QueueFull` beyond, HTTP 429). The worker writes its progress (``progress.json``) and the
run directory; the `JobManager` thread in the server owns the job records (``job.json``) and the
catalogue, and updates them when a run starts and ends.

On start (`JobManager.start`) runs left ``queued`` or ``running`` by a server that stopped are
marked ``failed`` with the reason (a run whose run directory was completed is marked ``done``);
finished runs are never touched.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coredge.errors import InputError
from coredge.files import atomic_write_text, jsonable
from coredge.service.catalogue import FINAL, Store, headline, new_run_id, now_iso, scenario_sha256

INTERRUPTED = "interrupted: the service stopped before this run finished; submit it again"
"""The error of a run that was queued or running when the server stopped."""


class QueueFull(Exception):
    """The queue of waiting runs is full (HTTP 429)."""


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(jsonable(obj), allow_nan=False) + "\n")


def run_job(store_root: str, run_id: str) -> None:
    """Execute run `run_id` of the store at `store_root` (the body of a worker process).

    Reads the job record, runs the pipeline (`coredge.pipeline.execute` with the run's options)
    and writes the run directory (`coredge.pipeline.write_run`); each progress line goes to
    ``progress.json``. A bad scenario writes ``error.json`` with its problems and exits 2; any
    other failure writes the exception and exits 1.
    """
    from coredge.pipeline import Compute, execute, write_run
    from coredge.scenario.load import load_scenario

    store = Store.at(store_root)
    folder = store.run_folder(run_id)
    job = store.read_job(run_id) or {}
    opts = job.get("options") or {}
    step = 0

    def say(msg: str) -> None:
        nonlocal step
        step += 1
        _write_json(folder / "progress.json", {"step": step, "message": msg, "at": now_iso()})

    try:
        source: str | Path = job.get("builtin") or (folder / "scenario.yaml")
        sc = load_scenario(source, job.get("variant"))
        say(f"scenario {sc.name}" + (f" (variant {job['variant']})" if job.get("variant") else ""))
        res = execute(
            sc, job.get("variant"), progress=say, planner=opts.get("planner"),
            time_limit_s=opts.get("time_limit_s"), mip_rel_gap=opts.get("mip_rel_gap"),
            compute=Compute(finance=True, simulation=bool(opts.get("simulation", True)),
                            training=bool(opts.get("training", True))),
        )
        write_run(res, store.run_dir(run_id), progress=say)
    except InputError as exc:
        _write_json(folder / "error.json", {"error": exc.message()})
        os._exit(2)
    except Exception as exc:
        _write_json(folder / "error.json", {"error": f"internal error: {type(exc).__name__}: {exc}",
                                            "traceback": traceback.format_exc()[-4000:]})
        os._exit(1)


@dataclass
class _Live:
    """A run the manager still tracks (queued or running)."""

    run_id: str
    process: Any = None
    cancel: bool = False
    queued_at: float = field(default_factory=time.monotonic)


Target = Callable[[str, str], None]


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["coredge.service.jobs", "coredge.pipeline"])
        return ctx
    return multiprocessing.get_context("spawn")


class JobManager:
    """Runs jobs of a `Store` in worker processes (see the module docstring).

    Parameters
    ----------
    store : Store
        Where job records and run directories live.
    workers : int
        Runs executing at once [processes].
    queue_limit : int
        Runs waiting at most [runs]; `submit` raises `QueueFull` beyond.
    target : callable
        The worker body, ``target(store_root, run_id)`` (default `run_job`).
    poll_s : float
        How often the manager looks at its workers [s].
    """

    def __init__(self, store: Store, workers: int = 2, queue_limit: int = 16,
                 target: Target = run_job, poll_s: float = 0.1) -> None:
        if workers < 1:
            raise InputError.of("--workers", workers, "at least 1")
        if queue_limit < 0:
            raise InputError.of("--queue-limit", queue_limit, "0 or more")
        self.store = store
        self.workers = workers
        self.queue_limit = queue_limit
        self.target = target
        self.poll_s = poll_s
        self._ctx = _context()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: list[_Live] = []
        self._running: dict[str, _Live] = {}
        self._stop = False
        self._thread: threading.Thread | None = None
        self.on_change: Callable[[], None] = lambda: None

    # --- life cycle --------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Mark runs left queued or running by an earlier server failed (or done, if complete)."""
        changed = []
        for run_id in self.store.ids():
            job = self.store.read_job(run_id)
            if job is None or job.get("status") in FINAL:
                continue
            summary = self.store.read_summary(run_id)
            if summary is not None:
                job.update(status="done", headline=headline(summary), error=None)
            else:
                job.update(status="failed", error=INTERRUPTED)
            job["finished"] = job.get("finished") or now_iso()
            self.store.write_job(job)
            changed.append(run_id)
        if self.store.runs_dir.is_dir():  # leftovers of removals and imports cut short
            for p in [*self.store.runs_dir.glob(".*.rm-*"), *self.store.runs_dir.glob(".*.import-*")]:
                shutil.rmtree(p, ignore_errors=True)
        self.store.rebuild_catalogue()
        return changed

    def start(self) -> None:
        """Recover the store and start the manager thread."""
        self.recover()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="coredge-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the manager: running workers are ended and their runs marked failed."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for live in list(self._running.values()):
            if live.process is not None and live.process.is_alive():
                live.process.terminate()
                live.process.join(timeout=10)
            self._finish(live, stopped=True)
        for live in list(self._queue):
            self._finish(live, stopped=True)
        self._running.clear()
        self._queue.clear()
        self.store.rebuild_catalogue()

    # --- requests ----------------------------------------------------------------------------

    def submit(self, text: str, name: str, variant: str | None, options: dict[str, Any],
               builtin: str | None = None) -> dict[str, Any]:
        """Queue a checked scenario; returns its job record. Raises `QueueFull`."""
        with self._wake:
            if len(self._queue) >= self.queue_limit:
                raise QueueFull(f"{len(self._queue)} runs are waiting (the limit is {self.queue_limit})")
            run_id = new_run_id()
            job = {
                "id": run_id, "name": name, "variant": variant, "status": "queued",
                "created": now_iso(), "started": None, "finished": None, "error": None,
                "builtin": builtin, "scenario_sha256": scenario_sha256(text),
                "scenario_text": text, "options": options, "headline": None,
            }
            folder = self.store.run_folder(run_id)
            folder.mkdir(parents=True, exist_ok=False)
            atomic_write_text(folder / "scenario.yaml", text)
            self.store.write_job(job)
            self.store.rebuild_catalogue()
            self._queue.append(_Live(run_id))
            self._wake.notify_all()
        self._changed()
        return job

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; False if it is not queued or running."""
        with self._wake:
            for live in self._queue:
                if live.run_id == run_id:
                    self._queue.remove(live)
                    live.cancel = True
                    self._finish(live)
                    break
            else:
                live_r = self._running.get(run_id)
                if live_r is None:
                    return False
                live_r.cancel = True
                if live_r.process is not None and live_r.process.is_alive():
                    live_r.process.terminate()
                self._wake.notify_all()
                return True
        self._changed()
        return True

    def is_live(self, run_id: str) -> bool:
        """True while `run_id` is queued or running in this manager."""
        with self._lock:
            return run_id in self._running or any(q.run_id == run_id for q in self._queue)

    def counts(self) -> dict[str, int]:
        """Runs queued and running now, and the limits."""
        with self._lock:
            return {"queued": len(self._queue), "running": len(self._running),
                    "workers": self.workers, "queue_limit": self.queue_limit}

    # --- the manager thread ------------------------------------------------------------------

    def _changed(self) -> None:
        self.on_change()

    def _loop(self) -> None:
        while True:
            changed = False
            with self._wake:
                if self._stop:
                    return
                for run_id, live in list(self._running.items()):
                    if live.process is not None and not live.process.is_alive():
                        live.process.join()
                        del self._running[run_id]
                        self._finish(live)
                        changed = True
                while self._queue and len(self._running) < self.workers:
                    live = self._queue.pop(0)
                    self._launch(live)
                    changed = True
            if changed:
                self._changed()
            with self._wake:
                if not self._stop:
                    self._wake.wait(self.poll_s)

    def _launch(self, live: _Live) -> None:
        job = self.store.read_job(live.run_id)
        if job is None:  # removed while queued
            return
        job.update(status="running", started=now_iso())
        self.store.rebuild_catalogue({live.run_id: job})
        self.store.write_job(job)
        proc = self._ctx.Process(target=self.target, args=(str(self.store.root), live.run_id),
                                 name=f"coredge-run-{live.run_id}", daemon=True)
        proc.start()
        live.process = proc
        self._running[live.run_id] = live

    def _finish(self, live: _Live, stopped: bool = False) -> None:
        job = self.store.read_job(live.run_id)
        if job is None:
            return
        folder = self.store.run_folder(live.run_id)
        code = live.process.exitcode if live.process is not None else None
        summary = self.store.read_summary(live.run_id)
        if live.cancel:
            job.update(status="cancelled", error="cancelled by a user")
        elif stopped and summary is None:
            job.update(status="failed", error=INTERRUPTED)
        elif code == 0 and summary is not None:
            job.update(status="done", error=None, headline=headline(summary))
        else:
            err = None
            ef = folder / "error.json"
            if ef.is_file():
                try:
                    err = str(json.loads(ef.read_text(encoding="utf-8")).get("error"))
                except (ValueError, OSError):
                    err = None
            if err is None:
                how = f"signal {-code}" if isinstance(code, int) and code < 0 else f"exit code {code}"
                err = f"the worker process ended without a result ({how})"
            job.update(status="failed", error=err)
        job["finished"] = now_iso()
        self.store.rebuild_catalogue({live.run_id: job})  # first: the catalogue never lags the record
        self.store.write_job(job)


__all__ = ["INTERRUPTED", "JobManager", "QueueFull", "Target", "run_job"]
