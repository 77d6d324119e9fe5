"""Network spec: the simulator's input, a JSON document users can write by hand.

Minimal core (accepted exactly as written)::

    {"sites": [{"id": "s0", "servers": 8, "queue_limit": 64}],
     "demand": [{"id": "d0", "rate_per_s": 12.5}],
     "rtt_ms": [[4.0]],
     "service": {"distribution": "exponential", "mean_ms": 50.0},
     "routing": {"policy": "nearest-available", "max_hops": null}}

Extensions (all optional): site ``tier``/``lat``/``lon``/``speed``/``replicas`` x
``slots_per_replica``; demand ``lat``/``lon``/``utc_offset_h``; ``latency`` (RTT from
coordinates when ``rtt_ms`` is absent); ``classes`` (workload classes with their own service,
SLO and RTT budget); ``slo_ms``; ``diurnal``; ``start_utc_h``; ``faults``; ``bursts``
(traffic surges, `BurstSpec`); site ``power`` (power model for energy, `PowerSpec`). See
``docs/simulator.md`` for every field.

Validation happens once, here: pydantic (``extra="forbid"``) checks structure and ranges, then
`check_spec` checks cross-field rules. Both report `coredge.errors.InputError` naming the JSON
path (``sites[3].servers``), the value and what is allowed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coredge.errors import InputError, NoBooleanNumbers, Problem, problems_from_validation
from coredge.geo import haversine_km
from coredge.latency import (
    CALIBRATED_FIXED_MS,
    CALIBRATED_INFLATION_EXCESS,
    CALIBRATED_INFLATION_SCALE_KM,
    FIBER_US_PER_KM,
    OVERHEAD_MS,
    ROUTE_INFLATION_TYPICAL,
    rtt_ms,
)

DISTRIBUTIONS = ("exponential", "lognormal", "deterministic", "tokens", "empirical")
TIERS = ("micro", "regional", "core")

Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Model(NoBooleanNumbers):
    """Unknown keys are errors; a boolean is never read as a number (``"servers": true``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSpec(_Model):
    """Service-time distribution of one request at a site of speed 1.

    ``exponential`` / ``deterministic``: ``mean_ms``. ``lognormal``: ``mean_ms`` and ``sigma``
    (standard deviation of the log). ``tokens``: ``prefill_ms + tokens x tpot_ms`` with output
    tokens lognormal (``tokens_mean``, ``tokens_sigma``), rounded, at least 1. ``empirical``:
    resampled uniformly from ``samples_ms``.
    """

    distribution: Literal["exponential", "lognormal", "deterministic", "tokens", "empirical"]
    mean_ms: Pos | None = None
    sigma: NonNeg | None = None
    prefill_ms: NonNeg | None = None
    tpot_ms: NonNeg | None = None
    tokens_mean: Pos | None = None
    tokens_sigma: NonNeg | None = None
    samples_ms: list[NonNeg] | None = None


class PowerSpec(_Model):
    """Power model of a site (pool) for energy and J/token figures.

    IT power at any moment = ``busy slots x busy_w_per_slot + idle slots x idle_w / servers``:
    every slot (server) is either busy, drawing ``busy_w_per_slot`` (its share of the GPUs'
    board power at the serving operating point plus host overhead), or idle, drawing its share of
    ``idle_w``. Facility power = IT power x ``pue``.

    ``busy_w_per_slot`` is one number, or a mapping class id -> W when the classes a site serves
    run at different operating points (it must then name every class the site may serve).
    """

    idle_w: NonNeg
    busy_w_per_slot: NonNeg | dict[str, NonNeg]
    pue: float = Field(1.0, ge=1.0, allow_inf_nan=False)


class SiteSpec(_Model):
    """A site: a FIFO pool of identical servers with a bounded waiting room.

    ``serves``: the class ids this site may serve (null = every class); a request of another
    class never considers it (e.g. a tier that does not serve batch, a model not placed here).
    ``power``: optional power model (`PowerSpec`); give it on every site or on none.
    """

    id: str = Field(min_length=1)
    servers: int | None = Field(None, ge=1)
    queue_limit: int | None = Field(None, ge=0)
    replicas: int | None = Field(None, ge=1)
    slots_per_replica: int | None = Field(None, ge=1)
    tier: Literal["micro", "regional", "core"] | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    speed: Pos = 1.0
    serves: list[str] | None = None
    power: PowerSpec | None = None


class DemandSpec(_Model):
    """A demand point: a Poisson source of requests (mean rate; see ``diurnal``)."""

    id: str = Field(min_length=1)
    rate_per_s: NonNeg
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    utc_offset_h: float | None = Field(None, ge=-14, le=14)


class RoutingSpec(_Model):
    """Routing policy (a name in `coredge.sim.policies`) and how many sites a request may try.

    ``shares`` (policy ``plan-share``): ``{demand id: {class id: {site id: share}}}``, the share
    of the (demand point, class) requests the plan assigned to each site (relative weights;
    class ``"default"`` when the spec has no classes). Rows without shares fall back to the
    tiered order (or RTT order when a site has no tier).
    """

    policy: str = "nearest-available"
    max_hops: int | None = Field(None, ge=1)
    shares: dict[str, dict[str, dict[str, NonNeg]]] | None = None


class ClassSpec(_Model):
    """A workload class: share of every demand point's requests, service, SLO, RTT budget.

    With ``slo_per_token_ms`` (``tokens`` service only) the SLO of a request grows with its
    output tokens: ``slo_ms + tokens x slo_per_token_ms`` (e.g. RTT budget + TTFT target +
    tokens x TPOT target).
    """

    id: str = Field(min_length=1)
    share: Pos
    service: ServiceSpec
    slo_ms: Pos | None = None
    rtt_budget_ms: Pos | None = None
    slo_per_token_ms: NonNeg | None = None


class LatencySpec(_Model):
    """RTT from coordinates: `coredge.latency.rtt_ms` of the great-circle distance, plus
    ``access_rtt_ms``.

    ``model: calibrated`` (default): ``fixed_ms + 2 x km x inflation(km) x fiber_us_per_km / 1000``
    with ``inflation(km) = 1 + inflation_excess / (1 + km / inflation_scale_km)``;
    ``model: fixed-inflation``: ``overhead_ms + 2 x km x route_inflation x fiber_us_per_km / 1000``.
    Defaults are `coredge.latency`'s fitted and sourced values.
    """

    model: Literal["calibrated", "fixed-inflation"] = "calibrated"
    fixed_ms: NonNeg = CALIBRATED_FIXED_MS
    inflation_excess: NonNeg = CALIBRATED_INFLATION_EXCESS
    inflation_scale_km: Pos = CALIBRATED_INFLATION_SCALE_KM
    route_inflation: Pos = ROUTE_INFLATION_TYPICAL
    fiber_us_per_km: Pos = FIBER_US_PER_KM
    overhead_ms: NonNeg = OVERHEAD_MS
    access_rtt_ms: NonNeg = 0.0


class DiurnalSpec(_Model):
    """Daily rate profile by local time; normalised to mean 1 over the day.

    Either ``amplitude`` (0..1) with ``peak_hour_local``: ``1 + a cos(2 pi (h - peak) / 24)``;
    or ``hourly``: 24 relative rates for local hours 0..23 (piecewise constant).
    """

    amplitude: float | None = Field(None, ge=0, le=1)
    peak_hour_local: float = Field(20.0, ge=0, lt=24)
    hourly: list[NonNeg] | None = None


class FaultSpec(_Model):
    """A fault over the window ``[at_s, at_s + for_s)`` of simulated time.

    ``kind``:

    * ``"site"`` (default): outage; the site accepts no new request in the window.
    * ``"link"``: the network paths between the demand points ``demand`` (null = all) and the
      site get ``rtt_penalty_ms`` more RTT, or are cut when ``rtt_penalty_ms`` is null. Routing
      sees it: a cut pair is no candidate, a penalised one is re-ranked by the policy (the
      candidate lists are rebuilt from the changed RTT for the window).
    * ``"derate"``: the site keeps only ``round(servers x fraction)`` servers for new starts
      (cooling failure, power cap); requests in service continue. Requests that were already
      waiting when the derate begins keep the start times they were given at arrival (the
      kernel commits a start at arrival); requests arriving in the window see the reduced pool.
    """

    site: str
    at_s: NonNeg
    for_s: Pos
    kind: Literal["site", "link", "derate"] = "site"
    demand: list[str] | None = None
    rtt_penalty_ms: NonNeg | None = None
    fraction: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False)


class BurstSpec(_Model):
    """A traffic surge: the request rate of the matching (demand point, class) pairs x ``factor``.

    ``kind``:

    * ``"scheduled"`` (default): during ``[at_s, at_s + for_s)`` of counted simulated time.
    * ``"random"``: a two-state Markov-modulated Poisson process: quiet and burst periods
      alternate with exponential durations of means ``mean_quiet_s`` and ``mean_burst_s``
      (starting in the stationary state); the rate is x ``factor`` in burst periods. The
      long-run mean rate is ``rate x (mean_quiet_s + factor x mean_burst_s) / (mean_quiet_s +
      mean_burst_s)``.

    ``demand`` / ``classes``: ids the burst applies to (null = all). Overlapping bursts multiply.
    """

    kind: Literal["scheduled", "random"] = "scheduled"
    factor: NonNeg
    at_s: NonNeg | None = None
    for_s: Pos | None = None
    mean_burst_s: Pos | None = None
    mean_quiet_s: Pos | None = None
    demand: list[str] | None = None
    classes: list[str] | None = None


class NetworkSpec(_Model):
    """The simulator's input. Build with `spec_from_dict`, `load_spec` or `spec_from_arrays`."""

    sites: list[SiteSpec] = Field(min_length=1)
    demand: list[DemandSpec] = Field(min_length=1)
    rtt_ms: list[list[NonNeg | None]] | None = None
    service: ServiceSpec | None = None
    routing: RoutingSpec = RoutingSpec()
    classes: list[ClassSpec] | None = None
    slo_ms: Pos | None = None
    latency: LatencySpec | None = None
    diurnal: DiurnalSpec | None = None
    start_utc_h: float = Field(0.0, ge=0, lt=24)
    faults: list[FaultSpec] = Field(default_factory=list)
    bursts: list[BurstSpec] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (defaults included); `spec_from_dict` reads it back."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- checks


def _check_service(svc: ServiceSpec, where: str) -> list[Problem]:
    p: list[Problem] = []
    need: dict[str, tuple[str, ...]] = {
        "exponential": ("mean_ms",),
        "deterministic": ("mean_ms",),
        "lognormal": ("mean_ms", "sigma"),
        "tokens": ("prefill_ms", "tpot_ms", "tokens_mean", "tokens_sigma"),
        "empirical": ("samples_ms",),
    }
    required = need[svc.distribution]
    for name in required:
        if getattr(svc, name) is None:
            p.append(
                Problem(f"{where}.{name}", None, f"required for distribution {svc.distribution!r}")
            )
    for name in ServiceSpec.model_fields:
        if name != "distribution" and name not in required and getattr(svc, name) is not None:
            p.append(
                Problem(
                    f"{where}.{name}",
                    getattr(svc, name),
                    f"not used by distribution {svc.distribution!r}; allowed: "
                    + ", ".join(("distribution", *required)),
                )
            )
    if svc.distribution == "empirical" and svc.samples_ms is not None:
        if len(svc.samples_ms) == 0 or max(svc.samples_ms) <= 0:
            p.append(Problem(f"{where}.samples_ms", svc.samples_ms, "a non-empty list with a positive value"))
    if svc.distribution == "tokens" and svc.prefill_ms == 0 and svc.tpot_ms == 0:
        p.append(Problem(f"{where}.tpot_ms", 0.0, "prefill_ms + tokens x tpot_ms must be > 0"))
    return p


def _dupes(ids: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]


def check_spec(spec: NetworkSpec) -> list[Problem]:
    """Cross-field rules pydantic cannot express; returns the problems found (empty = valid).

    Parameters
    ----------
    spec : NetworkSpec
        A structurally valid spec.

    Returns
    -------
    list of Problem
        One per violated rule, each naming the JSON path, value and what is allowed.
    """
    from coredge.sim.policies import POLICIES

    p: list[Problem] = []
    n_d, n_s = len(spec.demand), len(spec.sites)
    for name, ids in (("sites", [s.id for s in spec.sites]), ("demand", [d.id for d in spec.demand])):
        for dup in _dupes(ids):
            p.append(Problem(f"{name}[].id", dup, "ids must be unique"))
    for i, s in enumerate(spec.sites):
        has_slots = s.replicas is not None or s.slots_per_replica is not None
        if s.servers is None and not has_slots:
            p.append(Problem(f"sites[{i}].servers", None, "required (or replicas and slots_per_replica)"))
        if s.servers is not None and has_slots:
            p.append(Problem(f"sites[{i}].replicas", s.replicas, "give either servers or replicas x slots_per_replica, not both"))
        if s.servers is None and has_slots and (s.replicas is None or s.slots_per_replica is None):
            p.append(Problem(f"sites[{i}].slots_per_replica", s.slots_per_replica, "replicas and slots_per_replica go together"))
        if (s.lat is None) != (s.lon is None):
            p.append(Problem(f"sites[{i}].lon", s.lon, "give both lat and lon, or neither"))
    for i, d in enumerate(spec.demand):
        if (d.lat is None) != (d.lon is None):
            p.append(Problem(f"demand[{i}].lon", d.lon, "give both lat and lon, or neither"))
    if sum(d.rate_per_s for d in spec.demand) <= 0:
        p.append(Problem("demand[].rate_per_s", 0.0, "at least one demand point with a positive rate"))
    if spec.rtt_ms is not None:
        if len(spec.rtt_ms) != n_d:
            p.append(Problem("rtt_ms", f"{len(spec.rtt_ms)} rows", f"one row per demand point ({n_d})"))
        for r, rowv in enumerate(spec.rtt_ms):
            if len(rowv) != n_s:
                p.append(Problem(f"rtt_ms[{r}]", f"{len(rowv)} values", f"one value per site ({n_s})"))
    else:
        missing = [f"sites[{i}]" for i, s in enumerate(spec.sites) if s.lat is None]
        missing += [f"demand[{i}]" for i, d in enumerate(spec.demand) if d.lat is None]
        if missing:
            p.append(Problem("rtt_ms", None, "required unless every site and demand point has lat and lon (missing: " + ", ".join(missing[:5]) + ("..." if len(missing) > 5 else "") + ")"))
    if spec.classes is None:
        if spec.service is None:
            p.append(Problem("service", None, "required unless classes are given (each with its service)"))
        else:
            p += _check_service(spec.service, "service")
    else:
        if len(spec.classes) == 0:
            p.append(Problem("classes", [], "at least one class, or leave classes out"))
        if spec.service is not None:
            p.append(Problem("service", "given", "leave service out when classes are given (each class has its own)"))
        for dup in _dupes([c.id for c in spec.classes]):
            p.append(Problem("classes[].id", dup, "ids must be unique"))
        for i, c in enumerate(spec.classes):
            p += _check_service(c.service, f"classes[{i}].service")
    if spec.routing.policy not in POLICIES:
        p.append(Problem("routing.policy", spec.routing.policy, "one of: " + ", ".join(POLICIES)))
    elif spec.routing.policy == "tiered-spill":
        for i, s in enumerate(spec.sites):
            if s.tier is None:
                p.append(Problem(f"sites[{i}].tier", None, "tiered-spill needs a tier on every site: one of " + ", ".join(TIERS)))
    if spec.diurnal is not None:
        dn = spec.diurnal
        if (dn.amplitude is None) == (dn.hourly is None):
            p.append(Problem("diurnal", dn.model_dump(), "exactly one of amplitude or hourly"))
        if dn.hourly is not None and (len(dn.hourly) != 24 or sum(dn.hourly) <= 0):
            p.append(Problem("diurnal.hourly", dn.hourly, "24 non-negative values with a positive sum"))
        for i, d in enumerate(spec.demand):
            if d.utc_offset_h is None and d.lon is None:
                p.append(Problem(f"demand[{i}].utc_offset_h", None, "diurnal needs utc_offset_h or lon on every demand point"))
    class_ids = [c.id for c in spec.classes] if spec.classes else ["default"]
    for i, s in enumerate(spec.sites):
        if s.serves is not None:
            bad = [c for c in s.serves if c not in class_ids]
            if bad:
                p.append(Problem(f"sites[{i}].serves", bad, "class ids of the spec: " + ", ".join(class_ids)))
    for i, c in enumerate(spec.classes or []):
        if c.slo_per_token_ms is not None:
            if c.service.distribution != "tokens" or not (c.service.tpot_ms or 0) > 0:
                p.append(Problem(f"classes[{i}].slo_per_token_ms", c.slo_per_token_ms,
                                 "only with a tokens service whose tpot_ms > 0"))
            if c.slo_ms is None:
                p.append(Problem(f"classes[{i}].slo_ms", None, "required with slo_per_token_ms"))
    p += check_faults(spec, spec.faults, "faults")
    p += check_bursts(spec, spec.bursts, "bursts")
    powered = [s.power is not None for s in spec.sites]
    if any(powered) and not all(powered):
        missing = [s.id for s in spec.sites if s.power is None]
        p.append(Problem("sites[].power", "missing on " + ", ".join(missing[:5]) + ("..." if len(missing) > 5 else ""),
                         "a power model on every site or on none"))
    for i, s in enumerate(spec.sites):
        if s.power is not None and isinstance(s.power.busy_w_per_slot, dict):
            bw = s.power.busy_w_per_slot
            bad = [c for c in bw if c not in class_ids]
            need = [c for c in (s.serves if s.serves is not None else class_ids) if c not in bw]
            if bad or need:
                p.append(Problem(f"sites[{i}].power.busy_w_per_slot", bw,
                                 "W per class id, naming every class the site may serve ("
                                 + ", ".join(s.serves if s.serves is not None else class_ids) + ")"))
    if spec.routing.shares is not None:
        site_ids = {s.id for s in spec.sites}
        dem_ids = {d.id for d in spec.demand}
        for d_id, by_class in spec.routing.shares.items():
            if d_id not in dem_ids:
                p.append(Problem(f"routing.shares.{d_id}", d_id, "the id of a demand point"))
                continue
            for c_id, by_site in by_class.items():
                where = f"routing.shares.{d_id}.{c_id}"
                if c_id not in class_ids:
                    p.append(Problem(where, c_id, "a class id of the spec: " + ", ".join(class_ids)))
                    continue
                bad = [s for s in by_site if s not in site_ids]
                if bad:
                    p.append(Problem(where, bad, "ids of sites in sites"))
                elif by_site and sum(by_site.values()) <= 0:
                    p.append(Problem(where, by_site, "shares with a positive sum"))
    return p


def check_faults(spec: NetworkSpec, faults: Sequence[FaultSpec], where: str) -> list[Problem]:
    """Problems of fault entries against a spec (site and demand ids, fields per kind).

    Parameters
    ----------
    spec : NetworkSpec
    faults : sequence of FaultSpec
    where : str
        Field path prefix for messages (``faults`` or a CLI option name).
    """
    p: list[Problem] = []
    site_ids = {s.id for s in spec.sites}
    dem_ids = {d.id for d in spec.demand}
    known = ", ".join(list(site_ids)[:10]) + ("..." if len(site_ids) > 10 else "")
    for i, f in enumerate(faults):
        at = f"{where}[{i}]"
        if f.site not in site_ids:
            p.append(Problem(f"{at}.site", f.site, "the id of a site in sites: " + known))
        if f.kind != "link":
            if f.demand is not None:
                p.append(Problem(f"{at}.demand", f.demand, "only with kind 'link'"))
            if f.rtt_penalty_ms is not None:
                p.append(Problem(f"{at}.rtt_penalty_ms", f.rtt_penalty_ms, "only with kind 'link'"))
        elif f.demand is not None:
            bad = [d for d in f.demand if d not in dem_ids]
            if bad or not f.demand:
                p.append(Problem(f"{at}.demand", f.demand, "a non-empty list of demand point ids (or null = all)"))
        if f.kind == "derate" and f.fraction is None:
            p.append(Problem(f"{at}.fraction", None, "required for kind 'derate': servers left, in [0, 1)"))
        if f.kind != "derate" and f.fraction is not None:
            p.append(Problem(f"{at}.fraction", f.fraction, "only with kind 'derate'"))
    return p


def check_bursts(spec: NetworkSpec, bursts: Sequence[BurstSpec], where: str) -> list[Problem]:
    """Problems of burst entries against a spec (fields per kind, demand and class ids).

    Parameters
    ----------
    spec : NetworkSpec
    bursts : sequence of BurstSpec
    where : str
        Field path prefix for messages (``bursts`` or a CLI option name).
    """
    p: list[Problem] = []
    dem_ids = [d.id for d in spec.demand]
    class_ids = [c.id for c in spec.classes] if spec.classes else ["default"]
    fields = {"scheduled": ("at_s", "for_s"), "random": ("mean_burst_s", "mean_quiet_s")}
    for i, b in enumerate(bursts):
        at = f"{where}[{i}]"
        for kind, names in fields.items():
            for name in names:
                v = getattr(b, name)
                if kind == b.kind and v is None:
                    p.append(Problem(f"{at}.{name}", None, f"required for kind {b.kind!r}"))
                elif kind != b.kind and v is not None:
                    p.append(Problem(f"{at}.{name}", v, f"only with kind {kind!r}"))
        for name, ids in (("demand", dem_ids), ("classes", class_ids)):
            got = getattr(b, name)
            if got is not None:
                bad = [x for x in got if x not in ids]
                if bad or not got:
                    p.append(Problem(f"{at}.{name}", got, f"a non-empty list of ids in {name} (or null = all): "
                                     + ", ".join(ids[:10]) + ("..." if len(ids) > 10 else "")))
    return p


def validate_spec(spec: NetworkSpec) -> NetworkSpec:
    """Raise `InputError` if `check_spec` finds problems; return the spec otherwise."""
    problems = check_spec(spec)
    if problems:
        raise InputError(problems, "invalid network spec")
    return spec


# --------------------------------------------------------------------------- constructors


def spec_from_dict(data: Mapping[str, Any]) -> NetworkSpec:
    """Validate a spec given as a dict (e.g. parsed JSON).

    Parameters
    ----------
    data : mapping
        The JSON document (see module docstring).

    Returns
    -------
    NetworkSpec
        The validated, immutable spec.

    Raises
    ------
    InputError
        Naming each offending JSON path, its value and what is allowed.

    Examples
    --------
    >>> s = spec_from_dict({"sites": [{"id": "s0", "servers": 2, "queue_limit": 4}],
    ...     "demand": [{"id": "d0", "rate_per_s": 10}], "rtt_ms": [[3.0]],
    ...     "service": {"distribution": "exponential", "mean_ms": 50.0}})
    >>> s.routing.policy
    'nearest-available'
    """
    if not isinstance(data, Mapping):
        raise InputError.of("(spec)", type(data).__name__, "a JSON object", "invalid network spec")
    try:
        spec = NetworkSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, NetworkSpec, whole="(spec)"),
                         "invalid network spec") from None
    return validate_spec(spec)


def load_spec(path: str | Path) -> NetworkSpec:
    """Read and validate a spec JSON file.

    Parameters
    ----------
    path : str or Path
        A ``.json`` file.

    Raises
    ------
    InputError
        If the file is missing, is not JSON, or the spec is invalid.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError.of("SPEC", str(path), "an existing network spec JSON file")
    from coredge.safeload import load_json

    data = load_json(p, "SPEC")
    spec = spec_from_dict(data)
    return spec


def spec_from_arrays(
    *,
    site_ids: Sequence[str],
    servers: npt.ArrayLike,
    demand_ids: Sequence[str],
    rate_per_s: npt.ArrayLike,
    rtt_ms: npt.ArrayLike | None = None,
    queue_limit: npt.ArrayLike | int | None = None,
    site_tier: Sequence[str] | None = None,
    site_lat: npt.ArrayLike | None = None,
    site_lon: npt.ArrayLike | None = None,
    site_speed: npt.ArrayLike | None = None,
    demand_lat: npt.ArrayLike | None = None,
    demand_lon: npt.ArrayLike | None = None,
    service: ServiceSpec | Mapping[str, Any] | None = None,
    classes: Sequence[ClassSpec | Mapping[str, Any]] | None = None,
    routing: RoutingSpec | Mapping[str, Any] | None = None,
    slo_ms: float | None = None,
    site_serves: Sequence[Sequence[str] | None] | None = None,
    **extra: Any,
) -> NetworkSpec:
    """Build a spec from arrays (the planner's view: sites, demand points, RTTs).

    Parameters
    ----------
    site_ids : sequence of str
        Site ids, length S.
    servers : array_like of int, shape (S,)
        Servers (GPU serving slots) per site [-].
    demand_ids : sequence of str
        Demand point ids, length D.
    rate_per_s : array_like, shape (D,)
        Mean request rate per demand point [requests/s].
    rtt_ms : array_like, shape (D, S), optional
        Round-trip time [ms]; NaN or inf = unreachable. If omitted, coordinates are required.
    queue_limit : int or array_like of int, shape (S,), optional
        Waiting room per site [requests]; None = unlimited.
    site_tier : sequence of str, optional
        ``micro`` / ``regional`` / ``core`` per site.
    site_lat, site_lon, demand_lat, demand_lon : array_like, optional
        Coordinates [degrees].
    site_speed : array_like, optional
        Service speed factor per site [-] (service time is divided by it).
    site_serves : sequence of (sequence of str or None), optional
        Class ids each site may serve (None = all).
    service, classes, routing, slo_ms, **extra
        As in the JSON format.

    Returns
    -------
    NetworkSpec

    Examples
    --------
    >>> s = spec_from_arrays(site_ids=["a", "b"], servers=[4, 8], demand_ids=["x"],
    ...     rate_per_s=[20.0], rtt_ms=[[2.0, 9.0]], queue_limit=16,
    ...     service={"distribution": "exponential", "mean_ms": 40.0})
    >>> [site.servers for site in s.sites]
    [4, 8]
    """
    n_s, n_d = len(site_ids), len(demand_ids)

    def col(values: npt.ArrayLike | None, n: int) -> list[Any]:
        if values is None:
            return [None] * n
        arr = np.broadcast_to(np.asarray(values, dtype=object), (n,))
        return [None if v is None else v.item() if hasattr(v, "item") else v for v in arr]

    srv, ql = col(servers, n_s), col(queue_limit, n_s)
    tiers = list(site_tier) if site_tier is not None else [None] * n_s
    slat, slon, spd = col(site_lat, n_s), col(site_lon, n_s), col(site_speed, n_s)
    sites = []
    for i in range(n_s):
        site: dict[str, Any] = {"id": str(site_ids[i]), "servers": srv[i], "queue_limit": ql[i]}
        if tiers[i] is not None:
            site["tier"] = tiers[i]
        if slat[i] is not None:
            site["lat"], site["lon"] = slat[i], slon[i]
        if spd[i] is not None:
            site["speed"] = spd[i]
        if site_serves is not None and site_serves[i] is not None:
            site["serves"] = list(site_serves[i] or [])
        sites.append(site)
    rate, dlat, dlon = col(rate_per_s, n_d), col(demand_lat, n_d), col(demand_lon, n_d)
    demand = []
    for j in range(n_d):
        dem: dict[str, Any] = {"id": str(demand_ids[j]), "rate_per_s": rate[j]}
        if dlat[j] is not None:
            dem["lat"], dem["lon"] = dlat[j], dlon[j]
        demand.append(dem)
    data: dict[str, Any] = {"sites": sites, "demand": demand, **extra}
    if rtt_ms is not None:
        m = np.asarray(rtt_ms, dtype=np.float64)
        data["rtt_ms"] = [[float(v) if math.isfinite(v) else None for v in r] for r in m]
    for key, val in (("service", service), ("routing", routing)):
        if val is not None:
            data[key] = val.model_dump() if isinstance(val, BaseModel) else dict(val)
    if classes is not None:
        data["classes"] = [c.model_dump() if isinstance(c, BaseModel) else dict(c) for c in classes]
    if slo_ms is not None:
        data["slo_ms"] = slo_ms
    return spec_from_dict(data)


# --------------------------------------------------------------------------- derived arrays


def rtt_matrix_ms(spec: NetworkSpec) -> npt.NDArray[np.float64]:
    """RTT matrix [ms], shape (demand, sites); inf = unreachable.

    From ``rtt_ms`` when given, otherwise from coordinates with ``spec.latency`` (see
    `LatencySpec`; no access RTT unless given).
    """
    if spec.rtt_ms is not None:
        m = np.array(
            [[math.inf if v is None else v for v in r] for r in spec.rtt_ms], dtype=np.float64
        ).reshape(len(spec.demand), len(spec.sites))
        return m
    lat = spec.latency or LatencySpec()
    dl = np.array([[d.lat] for d in spec.demand], dtype=np.float64)
    dn = np.array([[d.lon] for d in spec.demand], dtype=np.float64)
    sl = np.array([[s.lat for s in spec.sites]], dtype=np.float64)
    sn = np.array([[s.lon for s in spec.sites]], dtype=np.float64)
    rtt = rtt_ms(lat, haversine_km(dl, dn, sl, sn))
    return np.asarray(rtt + lat.access_rtt_ms, dtype=np.float64)


def site_servers(spec: NetworkSpec) -> npt.NDArray[np.int64]:
    """Servers per site [-]: ``servers`` or ``replicas x slots_per_replica`` (slot model)."""
    out = []
    for s in spec.sites:
        if s.servers is not None:
            out.append(s.servers)
        else:
            out.append(int(s.replicas or 1) * int(s.slots_per_replica or 1))
    return np.asarray(out, dtype=np.int64)


def serves_matrix(spec: NetworkSpec) -> npt.NDArray[np.bool_]:
    """Whether site ``s`` may serve class ``k``: bool array of shape (S, K) (K = 1 without classes)."""
    class_ids = [c.id for c in spec.classes] if spec.classes else ["default"]
    out = np.ones((len(spec.sites), len(class_ids)), dtype=np.bool_)
    for i, s in enumerate(spec.sites):
        if s.serves is not None:
            out[i] = [c in s.serves for c in class_ids]
    return out


def dump_spec(spec: NetworkSpec, path: str | Path) -> None:
    """Write the spec as JSON (atomically: temporary name, then rename)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(spec.to_dict(), indent=1), encoding="utf-8")
    tmp.replace(p)


def share_rows(spec: NetworkSpec) -> npt.NDArray[np.float64] | None:
    """``routing.shares`` as an array per request row ``d * K + k`` and site, shape (D * K, S).

    Rows without shares are zero; None when the spec has no shares.
    """
    if spec.routing.shares is None:
        return None
    class_ids = [c.id for c in spec.classes] if spec.classes else ["default"]
    k_of = {c: k for k, c in enumerate(class_ids)}
    s_of = {s.id: i for i, s in enumerate(spec.sites)}
    n_k = len(class_ids)
    out = np.zeros((len(spec.demand) * n_k, len(spec.sites)), dtype=np.float64)
    for d, dem in enumerate(spec.demand):
        for c_id, by_site in spec.routing.shares.get(dem.id, {}).items():
            for s_id, v in by_site.items():
                out[d * n_k + k_of[c_id], s_of[s_id]] = v
    return out
