"""Files coredge writes: the JSON line, and the one atomic writer for files and output folders.

Every output folder coredge writes (a run directory, a comparison, a risk study, a simulation, a
sweep) is first written under a hidden temporary name beside its final place and renamed into
place only when complete; the last file written into it is the marker `MARKER`, so a folder
holding the marker is a complete coredge output. The rule for ``--out`` (`atomic_dir`):

- a path that does not exist, or an empty directory: written;
- an existing coredge output (it holds the marker): replaced only with ``overwrite=True``, the old
  one kept until the new one is complete, then removed;
- anything else (a non-empty folder that is not a coredge output, a regular file, a symlink):
  refused with an `InputError` (exit 2), and nothing is touched.

Temporary and old names are hidden (``.NAME.tmp-PID-...``, ``.NAME.old-PID-...``); those left by a
killed process are removed by the next write to the same place.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from coredge.errors import InputError

MARKER = ".coredge-output.json"
"""Marker file written last into every complete coredge output folder."""

FORMAT_VERSION = 1
"""Version of the output-folder format recorded in the marker (bumped on incompatible changes)."""


def jsonable(obj: Any) -> Any:
    """`obj` with numpy scalars and arrays as Python values and NaN/inf as None.

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": [np.int64(2), float("nan")]})
    {'a': 1.5, 'b': [2, None]}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def to_json_line(obj: dict[str, Any]) -> str:
    """Serialise a summary to one JSON line (NaN/inf become null; numpy scalars become Python).

    Examples
    --------
    >>> to_json_line({"npv_usd": np.float64(-2.5e9), "irr": float("nan")})
    '{"npv_usd":-2500000000.0,"irr":null}'
    """
    return json.dumps(jsonable(obj), separators=(",", ":"), allow_nan=False)


def write_json(path: Path, obj: dict[str, Any]) -> None:
    """Write a JSON object (numpy scalars converted, NaN as null), pretty-printed."""
    path.write_text(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a hidden temporary sibling and one rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def marker_record(kind: str) -> dict[str, Any]:
    """The content of the marker of a coredge output of `kind` (``run``, ``compare``, ``sweep`` ...)."""
    from coredge import __version__

    return {"format": "coredge-output", "kind": kind, "format_version": FORMAT_VERSION,
            "coredge_version": __version__}


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a coredge output folder, or None if `folder` holds none (or an unreadable one)."""
    p = Path(folder) / MARKER
    if not p.is_file() or p.is_symlink():
        return None
    from coredge.safeload import load_json

    try:
        data = load_json(p, "marker")
    except InputError:
        return None
    return data if isinstance(data, dict) and data.get("format") == "coredge-output" else None


def check_out(final: Path, overwrite: bool = False, field: str = "--out") -> bool:
    """Check that `final` may be written; True if it holds a coredge output to be replaced.

    Raises `InputError` naming `field` where the rule in the module docstring refuses the path.
    """
    final = Path(final)
    if final.is_symlink():
        raise InputError.of(field, str(final), "a new folder or a coredge output folder, not a symlink")
    if not final.exists():
        return False
    if not final.is_dir():
        raise InputError.of(
            field, str(final), "a new folder or a coredge output folder; this is an existing file (left untouched)"
        )
    if not any(final.iterdir()):
        return False
    if read_marker(final) is None:
        raise InputError.of(
            field,
            str(final),
            "a new or empty folder, or a coredge output folder; this folder holds other files "
            "(left untouched): choose another --out",
        )
    if not overwrite:
        raise InputError.of(
            field, str(final), "a new folder; this coredge output exists: pass --overwrite to replace it"
        )
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(final: Path) -> None:
    """Remove hidden temporary and old siblings of `final` left by processes no longer running.

    A process killed between moving the old output aside and renaming the new one into place
    leaves no `final` but a complete old output: that one is put back, not removed.
    """
    final = Path(final)
    parent = final.parent
    if not parent.is_dir():
        return
    for prefix in (f".{final.name}.old-", f".{final.name}.tmp-"):
        for p in sorted(parent.glob(prefix + "*")):
            pid_txt = p.name[len(prefix):].split("-", 1)[0]
            if not (pid_txt.isdigit() and not _pid_alive(int(pid_txt)) and p.is_dir() and not p.is_symlink()):
                continue
            if prefix.endswith(".old-") and not final.exists() and read_marker(p) is not None:
                os.replace(p, final)
            else:
                shutil.rmtree(p, ignore_errors=True)


@contextmanager
def atomic_dir(
    final: Path, kind: str, overwrite: bool = False, field: str = "--out"
) -> Iterator[Path]:
    """Yield a hidden temporary folder that becomes `final` only if the block completes.

    `final` is checked first by `check_out` (nothing is touched if it is refused). The marker
    (recording `kind` and `FORMAT_VERSION`) is written last; then the old output, if any, is moved
    aside, the new one renamed into place and the old one removed. On any exception the temporary
    folder is deleted and `final` is left as it was.
    """
    final = Path(os.path.abspath(final))
    clean_stale(final)  # only hidden leftovers of coredge processes that are gone
    replace = check_out(final, overwrite, field)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it the usual permissions
    try:
        yield tmp
        write_json(tmp / MARKER, marker_record(kind))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if replace and final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
    elif final.exists():  # an empty folder
        final.rmdir()
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def claim_dir(folder: Path, kind: str, field: str = "--out") -> bool:
    """Create or reopen a folder that a resumable job (a sweep) writes into piece by piece.

    `folder` may be new or empty (it is created and marked as `kind`), or an earlier output of the
    same `kind` (reopened to resume). Anything else is refused with an `InputError` and left as it
    was. Returns True when an earlier output was reopened.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise InputError.of(field, str(folder), f"a new folder or a coredge {kind} folder, not a symlink")
    if folder.exists():
        if not folder.is_dir():
            raise InputError.of(
                field, str(folder), f"a new folder or a coredge {kind} folder; this is an existing file (left untouched)"
            )
        marker = read_marker(folder)
        if marker is not None:
            if marker.get("kind") != kind:
                raise InputError.of(
                    field, str(folder), f"a coredge {kind} folder; this one holds a coredge {marker.get('kind')!r} output"
                )
            return True
        if any(folder.iterdir()):
            raise InputError.of(
                field, str(folder),
                f"a new or empty folder, or a coredge {kind} folder to resume; this folder holds other "
                "files (left untouched): choose another --out",
            )
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / MARKER, json.dumps(marker_record(kind), indent=2) + "\n")
    return False
