"""Readers for the facility-location benchmark formats (OR-Library and derived sets).

Every file is read as one stream of whitespace-separated tokens (rows wrap, line endings vary,
some files carry NUL padding), and the token count is checked against the header, so that a
truncated or corrupt file is reported as an `InputError` instead of being silently misread.

Formats (see ``shared/benchmarks/orlib/README.md``):

- ``orlib`` (OR-Library ``cap*``): ``m n``; ``m`` rows ``s_i f_i``; ``n`` rows
  ``d_j c_1j .. c_mj``. In capa/capb/capc the capacity token is the word ``capacity``.
- ``holmberg`` (single-source sets ``sscflp_*/pN``): ``J I``; ``J`` rows ``s_j f_j``; ``I``
  demands; ``J x I`` costs, facility-major.
- ``pmed`` (OR-Library p-median): ``n e p``; ``e`` rows ``i j cost`` (undirected, 1-based,
  last duplicate wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from coredge.cflp.instance import CflpInstance
from coredge.errors import InputError

FORMATS = ("orlib", "holmberg")


def _tokens(path: Path, field: str) -> list[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError.of(field, str(path), "an existing file") from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError.of(field, str(path), "a readable file") from exc
    try:
        text = raw.replace(b"\x00", b" ").decode("ascii")
    except UnicodeDecodeError as exc:
        raise InputError.of(field, str(path), "a plain-text (ASCII) instance file") from exc
    return text.split()


def _numbers(tokens: list[str], path: Path, what: str) -> npt.NDArray[np.float64]:
    try:
        return np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError as exc:
        raise InputError.of("FILE", str(path), f"numbers only in the {what} ({exc})") from exc


def _header(tokens: list[str], k: int, path: Path, fmt: str) -> list[int]:
    if len(tokens) < k:
        raise InputError.of("FILE", str(path), f"a {fmt} file starting with {k} integer counts")
    try:
        vals = [int(t) for t in tokens[:k]]
    except ValueError as exc:
        raise InputError.of(
            "FILE", str(path), f"a {fmt} file starting with {k} integer counts"
        ) from exc
    if min(vals) < 0 or vals[0] == 0:
        raise InputError.of("FILE", str(path), f"a {fmt} file with positive counts, got {vals}")
    return vals


def read_orlib_cap(path: str | Path, capacity: float | None = None) -> CflpInstance:
    """Read an OR-Library ``cap*`` file (capacitated warehouse location).

    Parameters
    ----------
    path : str or Path
        The file.
    capacity : float, optional
        Capacity of every facility [demand unit]; required when the file has the literal word
        ``capacity`` in place of capacities (capa, capb, capc), and overrides the file otherwise.

    Returns
    -------
    CflpInstance
        ``assign_cost_usd[i, j]`` is the file's cost of serving all of ``j``'s demand from ``i``.

    Examples
    --------
    >>> inst = read_orlib_cap("cap41.txt")  # doctest: +SKIP
    >>> inst.m, inst.n  # doctest: +SKIP
    (16, 50)
    """
    p = Path(path)
    tok = _tokens(p, "FILE")
    m, n = _header(tok, 2, p, "OR-Library cap")
    expected = 2 + 2 * m + n * (1 + m)
    if len(tok) != expected:
        raise InputError.of(
            "FILE",
            str(p),
            f"an OR-Library cap file with 2 + 2m + n(1+m) = {expected} tokens for m={m}, n={n};"
            f" found {len(tok)}",
        )
    fac = tok[2 : 2 + 2 * m]
    cap_tok = fac[0::2]
    symbolic = [t.lower() == "capacity" for t in cap_tok]
    if any(symbolic) and capacity is None:
        raise InputError.of(
            "--capacity",
            None,
            "a number: this file gives capacity as the word 'capacity' "
            "(capa: 8000/10000/12000/14000, capb: 5000-8000, capc: 5000/5750/6500/7250)",
        )
    if capacity is not None:
        if not np.isfinite(capacity) or capacity <= 0:
            raise InputError.of("--capacity", capacity, "a positive number")
        s = np.full(m, float(capacity))
    else:
        s = _numbers(cap_tok, p, "capacities")
    f = _numbers(fac[1::2], p, "fixed costs")
    body = _numbers(tok[2 + 2 * m :], p, "customer rows").reshape(n, 1 + m)
    d = body[:, 0].copy()
    c = np.ascontiguousarray(body[:, 1:].T)
    return CflpInstance(f, s, d, c, name=p.stem)


def read_sscflp(path: str | Path, capacity: float | None = None) -> CflpInstance:
    """Read a single-source CFLP file in the Holmberg / Guastaroba-Speranza layout.

    Parameters
    ----------
    path : str or Path
        The file (``sscflp_holmberg/pN`` or ``sscflp_orlib_gs/pN``).
    capacity : float, optional
        Override every capacity [demand unit].

    Returns
    -------
    CflpInstance
        Costs are for serving all of a customer's demand from a facility.

    Examples
    --------
    >>> inst = read_sscflp("sscflp_holmberg/p1")  # doctest: +SKIP
    >>> inst.m, inst.n  # doctest: +SKIP
    (10, 50)
    """
    p = Path(path)
    tok = _tokens(p, "FILE")
    m, n = _header(tok, 2, p, "single-source (Holmberg)")
    expected = 2 + 2 * m + n + m * n
    if len(tok) != expected:
        raise InputError.of(
            "FILE",
            str(p),
            f"a Holmberg-format file with 2 + 2J + I + J*I = {expected} tokens for J={m},"
            f" I={n}; found {len(tok)}",
        )
    vals = _numbers(tok[2:], p, "body")
    fac = vals[: 2 * m]
    s = fac[0::2].copy() if capacity is None else np.full(m, float(capacity))
    f = fac[1::2].copy()
    d = vals[2 * m : 2 * m + n].copy()
    c = vals[2 * m + n :].reshape(m, n).copy()
    return CflpInstance(f, s, d, c, name=p.stem)


def read_instance(
    path: str | Path, fmt: str = "orlib", capacity: float | None = None
) -> CflpInstance:
    """Read a CFLP instance in format ``fmt`` (``"orlib"`` or ``"holmberg"``).

    Examples
    --------
    >>> read_instance("p1", fmt="holmberg")  # doctest: +SKIP
    >>> read_instance("p1", fmt="csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coredge.errors.InputError: invalid input (1 problem):...
    """
    if fmt == "orlib":
        return read_orlib_cap(path, capacity)
    if fmt == "holmberg":
        return read_sscflp(path, capacity)
    raise InputError.of("--format", fmt, "one of: " + ", ".join(FORMATS))


@dataclass(frozen=True)
class PMedianInstance:
    """A p-median instance: choose ``p`` of ``n`` vertices minimising total distance.

    Attributes
    ----------
    distance : ndarray, shape (n, n)
        Shortest-path distance between vertices [edge-cost unit].
    p : int
        Number of medians.
    name : str
        Label.
    """

    distance: npt.NDArray[np.float64]
    p: int
    name: str = "pmed"

    def as_cflp(self) -> CflpInstance:
        """The uncapacitated facility-location view (zero fixed costs, unit demands)."""
        n = self.distance.shape[0]
        return CflpInstance(np.zeros(n), np.full(n, float(n)), np.ones(n), self.distance, self.name)


def read_pmed(path: str | Path) -> PMedianInstance:
    """Read an OR-Library p-median file and compute all-pairs shortest paths.

    Parameters
    ----------
    path : str or Path
        ``pmedN.txt``.

    Returns
    -------
    PMedianInstance
        Distances from Dijkstra over the undirected edge list (duplicates: the last one wins).

    Examples
    --------
    >>> read_pmed("pmed1.txt").p  # doctest: +SKIP
    5
    """
    pth = Path(path)
    tok = _tokens(pth, "FILE")
    n, e, p = _header(tok, 3, pth, "p-median")
    if len(tok) != 3 + 3 * e:
        raise InputError.of(
            "FILE", str(pth), f"a p-median file with 3 + 3e = {3 + 3 * e} tokens; found {len(tok)}"
        )
    if not 1 <= p <= n:
        raise InputError.of("FILE", str(pth), f"1 <= p <= n, got p={p}, n={n}")
    edges = _numbers(tok[3:], pth, "edge list").reshape(e, 3)
    ii = edges[:, 0].astype(np.int64) - 1
    jj = edges[:, 1].astype(np.int64) - 1
    if ii.min() < 0 or jj.min() < 0 or ii.max() >= n or jj.max() >= n:
        raise InputError.of("FILE", str(pth), f"vertex numbers in 1..{n}")
    # Last duplicate wins, in both directions: index the undirected pair and keep the last row.
    lo, hi = np.minimum(ii, jj), np.maximum(ii, jj)
    key = lo * n + hi
    _, last_rev = np.unique(key[::-1], return_index=True)
    keep = e - 1 - last_rev
    lo, hi, w = lo[keep], hi[keep], edges[keep, 2]
    off = lo != hi
    lo, hi, w = lo[off], hi[off], w[off]
    g = csr_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n))
    dist = shortest_path(g, method="D", directed=False)
    if not np.all(np.isfinite(dist)):
        raise InputError.of("FILE", str(pth), "a connected graph")
    return PMedianInstance(np.ascontiguousarray(dist), p, name=pth.stem)
