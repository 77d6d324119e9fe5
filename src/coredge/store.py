"""Run directories: written atomically, read back by every later stage.

A run directory holds ``summary.json``, ``plan.json``, ``sites.csv``, ``build_schedule.csv``,
Parquet tables and ``report.html``. It is first written under a hidden temporary name beside its
final place and renamed into place only when complete, so an interrupted or failed run never
leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from coredge.cli.app import to_json_line


def default_run_dir(scenario_name: str, variant: str | None = None, root: Path | None = None) -> Path:
    """``runs/<scenario>[-<variant>]-<UTC timestamp>`` under `root` (default: the current directory)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    label = scenario_name + (f"-{variant}" if variant else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in label)
    return (root or Path.cwd()) / "runs" / f"{safe}-{stamp}"


@contextmanager
def atomic_run_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary directory that becomes `final` only if the block completes.

    If `final` exists it is replaced (the old one is removed only after the new one is complete).
    On any exception the temporary directory is deleted and `final` is left untouched.
    """
    final = Path(final).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it the usual permissions
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, obj: dict[str, Any]) -> None:
    """Write a JSON object (numpy scalars converted, NaN as null), pretty-printed."""
    path.write_text(json.dumps(json.loads(to_json_line(obj)), indent=2) + "\n", encoding="utf-8")


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a table to Parquet (pyarrow), without the pandas index."""
    df.to_parquet(path, index=False, engine="pyarrow")
