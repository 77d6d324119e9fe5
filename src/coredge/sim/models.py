"""Models and the coordinated pipeline: Zipf popularity, placement under GPU memory, model-aware
routing, rollout of a new model version from the core to the edge.

* **Popularity.** Requests pick model ``m`` (rank ``m + 1``) with probability proportional to
  ``1 / rank**s`` (Zipf; ``s`` is an input, ``s = 1`` the classic law).
* **Placement** (`place_models`): every core site holds every model (it is where they are
  trained); an edge site fills its GPU memory budget with the most popular models that still fit
  (greedy by rank: popular models at the edge, the long tail upstream).
* **Routing** (policy ``model-aware``, `coredge.sim.policies.model_aware`): each model is a workload class; a
  pool ``"<site>|<model>"`` serves only its model. A request tries the nearest micro site holding
  its model (within the class RTT budget, if any), then the nearest regional one, then the
  nearest core site: it is forwarded up a tier, never sideways to a second site of the same tier.
* **Rollout** (`rollout_delay_s`, `rollout_faults`): a new version trained at the core reaches
  edge site ``j`` after ``model bytes / WAN bandwidth_j``; until then that site's pool for the
  model accepts nothing (a fault window from time 0), so its requests go up a tier. The
  summary's ``faults`` block then reports SLO attainment during and after the rollout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError
from coredge.sim.spec import FaultSpec, NetworkSpec, spec_from_dict

BITS_PER_BYTE = 8.0


def zipf_shares(n_models: int, s: float = 1.0) -> npt.NDArray[np.float64]:
    """Request share of each model by popularity rank (Zipf) [fraction].

    Parameters
    ----------
    n_models : int
        Number of models (rank 1 = most popular).
    s : float
        Zipf exponent [-] (>= 0; 0 = uniform).

    Examples
    --------
    >>> zipf_shares(3, 1.0).round(4).tolist()
    [0.5455, 0.2727, 0.1818]
    """
    if n_models < 1 or not s >= 0:
        raise InputError.of("zipf", (n_models, s), "n_models >= 1 and exponent s >= 0")
    w = 1.0 / np.arange(1, n_models + 1, dtype=np.float64) ** s
    return np.asarray(w / w.sum(), dtype=np.float64)


def place_models(
    tiers: Sequence[str], memory_gb: npt.ArrayLike, model_memory_gb: npt.ArrayLike, shares: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """Which site holds which model: shape (S, M) bool.

    Core sites hold every model; an edge site takes models in decreasing popularity while their
    memory fits its budget (a model that does not fit is skipped, a smaller one later may fit).

    Parameters
    ----------
    tiers : sequence of str, length S
    memory_gb : array_like, shape (S,)
        GPU memory a site gives to model weights [GB].
    model_memory_gb : array_like, shape (M,)
        Memory one copy of each model needs [GB].
    shares : array_like, shape (M,)
        Popularity [fraction].

    Examples
    --------
    >>> place_models(["micro", "core"], [100.0, 10.0], [60.0, 50.0, 30.0], [0.5, 0.3, 0.2]).tolist()
    [[True, False, True], [True, True, True]]
    """
    mem = np.asarray(memory_gb, dtype=np.float64)
    need = np.asarray(model_memory_gb, dtype=np.float64)
    order = np.argsort(-np.asarray(shares, dtype=np.float64), kind="stable")
    out = np.zeros((len(tiers), len(need)), dtype=np.bool_)
    for j, t in enumerate(tiers):
        if t == "core":
            out[j] = True
            continue
        left = float(mem[j])
        for m in order:
            if need[m] <= left:
                out[j, m] = True
                left -= float(need[m])
    return out


def rollout_delay_s(model_gb: float, bandwidth_gbps: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Time to copy a model over WAN links: ``bytes x 8 / bandwidth`` [s].

    Parameters
    ----------
    model_gb : float
        Model size [GB] (1e9 bytes).
    bandwidth_gbps : array_like
        Link bandwidth per site [Gbit/s]; inf = already there.

    Examples
    --------
    >>> rollout_delay_s(140.0, [10.0, 100.0]).tolist()
    [112.0, 11.2]
    """
    bw = np.asarray(bandwidth_gbps, dtype=np.float64)
    if np.any(~(bw > 0)):
        raise InputError.of("bandwidth_gbps", bw.tolist(), "positive bandwidths [Gbit/s]")
    return np.asarray(model_gb * BITS_PER_BYTE / bw, dtype=np.float64)


def models_spec(
    *,
    site_ids: Sequence[str],
    tiers: Sequence[str],
    site_lat: npt.ArrayLike,
    site_lon: npt.ArrayLike,
    placement: npt.NDArray[np.bool_],
    servers: npt.ArrayLike,
    demand_ids: Sequence[str],
    demand_lat: npt.ArrayLike,
    demand_lon: npt.ArrayLike,
    rate_per_s: npt.ArrayLike,
    model_ids: Sequence[str],
    shares: npt.ArrayLike,
    service: Mapping[str, Any],
    slo_ms: float | None = None,
    rtt_budget_ms: float | None = None,
    queue_limit: int | None = None,
) -> NetworkSpec:
    """A spec with one class per model and one pool ``"<site>|<model>"`` per placed model.

    ``servers``: slots per pool, shape (S, M) or scalar; ``queue_limit`` applies to edge pools
    (core pools queue without limit). Routing: ``model-aware``.
    """
    s_n, m_n = placement.shape
    srv = np.broadcast_to(np.asarray(servers), (s_n, m_n))
    slat = np.asarray(site_lat, dtype=np.float64)
    slon = np.asarray(site_lon, dtype=np.float64)
    sites = []
    for j in range(s_n):
        for m in range(m_n):
            if placement[j, m]:
                sites.append({"id": f"{site_ids[j]}|{model_ids[m]}", "servers": int(srv[j, m]),
                              "queue_limit": None if tiers[j] == "core" else queue_limit,
                              "tier": tiers[j], "lat": float(slat[j]), "lon": float(slon[j]),
                              "serves": [model_ids[m]]})
    sh = np.asarray(shares, dtype=np.float64)
    classes = []
    for m in range(m_n):
        c: dict[str, Any] = {"id": model_ids[m], "share": float(sh[m]), "service": dict(service)}
        if slo_ms is not None:
            c["slo_ms"] = slo_ms
        if rtt_budget_ms is not None:
            c["rtt_budget_ms"] = rtt_budget_ms
        classes.append(c)
    dl = np.asarray(demand_lat, dtype=np.float64)
    dn = np.asarray(demand_lon, dtype=np.float64)
    rate = np.broadcast_to(np.asarray(rate_per_s, dtype=np.float64), (len(demand_ids),))
    return spec_from_dict({
        "sites": sites,
        "demand": [{"id": d, "rate_per_s": float(rate[i]), "lat": float(dl[i]), "lon": float(dn[i])}
                   for i, d in enumerate(demand_ids)],
        "classes": classes, "routing": {"policy": "model-aware"},
    })


def rollout_faults(spec: NetworkSpec, model_id: str, delay_s_by_site: Mapping[str, float]) -> list[FaultSpec]:
    """Fault windows ``[0, delay)`` for the pools of ``model_id`` at the given plan sites.

    Parameters
    ----------
    spec : NetworkSpec
        From `models_spec` (pool ids ``"<site>|<model>"``).
    model_id : str
        The new model version.
    delay_s_by_site : mapping of site id to delay [s]
        Arrival of the model at each site (`rollout_delay_s`); core sites are left out (trained
        there).
    """
    out = []
    ids = {s.id for s in spec.sites}
    for site, delay in delay_s_by_site.items():
        pool = f"{site}|{model_id}"
        if pool not in ids:
            raise InputError.of("rollout", pool, "a pool of the spec (site holding the model)")
        if delay > 0 and math.isfinite(delay):
            out.append(FaultSpec(site=pool, at_s=0.0, for_s=float(delay)))
    return out
