"""Bounds on the size of a job, checked with an estimate of its time and memory before it starts.

A count past the ``*_CONFIRM`` limit is refused (exit 2) with the estimate unless ``--yes`` is
given; a count past the ``*_MAX`` limit is refused always. The estimates are rough: they are
meant to stop ``--requests 1e10`` from running for hours, not to predict a run to the second.
"""

from __future__ import annotations

import math

from coredge.errors import InputError

REQUESTS_CONFIRM = 100_000_000
"""Most requests `coredge simulate` runs without ``--yes`` [requests]."""

REQUESTS_MAX = 10_000_000_000
"""Most requests `coredge simulate` runs at all [requests]."""

SIM_REQUESTS_PER_S = 1_000_000
"""Simulator throughput assumed by the estimate [requests/s]: measured 2.4-3.6 M/s for a 3-site,
20-point exponential spec on one core of a shared 2-core machine (2026), rounded down for specs
with token-shaped service and model-aware routing."""

SIM_MEMORY_BYTES = 400 * 1024**2
"""Memory the simulator needs whatever the request count [bytes]: requests are generated and
counted in chunks (measured peak RSS 290-330 MB for 1e6 to 2e7 requests, 2026)."""

TRIALS_CONFIRM = 1_000_000
"""Most Monte Carlo trials per job (`coredge risk`, one chunk of `coredge sweep`) without ``--yes``."""

TRIALS_MAX = 10_000_000
"""Most Monte Carlo trials per job at all."""

RISK_BYTES_PER_TRIAL_PHASE = 160
"""Memory of one Monte Carlo trial per build phase [bytes]: measured 1.25 kB per trial for a
9-phase plan (peak RSS 368 MB at 2e4 trials, 594 MB at 2e5, 2026)."""

RISK_BASE_BYTES = 350 * 1024**2
"""Memory of a risk job before its trials [bytes] (the plan and the interpreter, measured)."""


def _duration(t_s: float) -> str:
    if t_s < 120:
        return f"{t_s:,.0f} s"
    if t_s < 7200:
        return f"{t_s / 60:,.0f} min"
    if t_s < 2 * 86400:
        return f"{t_s / 3600:,.1f} h"
    return f"{t_s / 86400:,.0f} days"


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 1024**3:,.1f} GiB"


def check_requests(n: float, yes: bool, option: str = "--requests", given: object = None) -> None:
    """Refuse a simulation of `n` requests past the limits, with its estimate.

    Parameters
    ----------
    n : float
        Requests the job would simulate [requests] (given, or implied by ``--hours``).
    yes : bool
        ``--yes`` was given: allow up to `REQUESTS_MAX`.
    option : str
        The option named in the message.
    given : object, optional
        The value shown in the message (default: `n`).
    """
    shown = n if given is None else given
    if not math.isfinite(n) or n > REQUESTS_MAX:
        raise InputError.of(option, shown, f"at most {REQUESTS_MAX:.0e} requests (coredge.cli.limits.REQUESTS_MAX); "
                            f"this is {n:,.0f}")
    if n > REQUESTS_CONFIRM and not yes:
        est = f"about {_duration(n / SIM_REQUESTS_PER_S)} and {_gib(SIM_MEMORY_BYTES)}"
        raise InputError.of(
            option, int(n) if given is None else given,
            f"at most {REQUESTS_CONFIRM:.0e} requests without --yes; {int(n):,} requests would take "
            f"{est} (at ~{SIM_REQUESTS_PER_S:.0e} requests/s): pass --yes to run it anyway",
        )


def check_trials(n: int, phases: int | None, yes: bool, option: str = "--trials") -> None:
    """Refuse a Monte Carlo job of `n` trials over `phases` build phases past the limits.

    Parameters
    ----------
    n : int
        Trials of one job [-].
    phases : int or None
        Build phases of the plan [-] (memory grows with trials x phases); None when not known
        yet (the estimate is then for 10 phases, a regional plan's typical count).
    yes : bool
        ``--yes`` was given: allow up to `TRIALS_MAX`.
    option : str
        The option named in the message.
    """
    if not 1 <= n <= TRIALS_MAX:
        raise InputError.of(option, n, f"an integer in [1, {TRIALS_MAX:,}]")
    k = 10 if phases is None else max(phases, 1)
    mem = RISK_BASE_BYTES + RISK_BYTES_PER_TRIAL_PHASE * n * k
    if n > TRIALS_CONFIRM and not yes:
        raise InputError.of(
            option, n,
            f"at most {TRIALS_CONFIRM:,} trials without --yes; {n:,} trials x {k} build phases "
            f"would need about {_gib(mem)} of memory: pass --yes to run it anyway",
        )


def check_scheduler(address: str, timeout_s: float = 3.0) -> None:
    """Refuse a Dask scheduler address that does not accept a connection within `timeout_s`.

    Parameters
    ----------
    address : str
        ``tcp://HOST:PORT`` (other protocols are passed to Dask unchecked).
    timeout_s : float
        How long to wait for the connection [s].
    """
    import socket
    from urllib.parse import urlsplit

    allowed = "a reachable Dask scheduler address such as tcp://HOST:8786"
    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InputError.of("--scheduler", address, allowed) from None
    if not host or port is None:
        raise InputError.of("--scheduler", address, allowed + " (with a port)")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise InputError.of("--scheduler", address, f"{allowed}; cannot connect to {host}:{port} ({exc})") from None
