"""Plan -> network spec: the busy hour of one plan year as queues, and the runs the pipeline needs.

How a plan becomes a spec (`plan_sim`):

* **GPUs.** Inference GPUs at site j in the chosen year = (installed IT MW - training MW) x
  1000 / ``it_kw_per_gpu``; class k gets the GPUs of its assigned inference MW (assignments x
  the class's busy-hour load); the site's spare GPUs (installed minus assigned) are its failover
  reserve, split over every class its tier may serve by the class's network-wide load
  (`inference_gpus`), so a failed site's requests find replicas of their model elsewhere.
* **Pools.** The replicas of one model (at one TP degree) at a site serve every class that uses
  that model: one spec site ``"<site_id>|<model>|tp<N>"`` per (site, model, TP) with the site's
  tier and coordinates, holding the GPUs of those classes, with ``serves`` = those classes that
  the site's tier may serve (scenario ``tiers.*.serves``); no other class ever considers it.
  (Pooling by model avoids splitting a small site into fragments of a replica.)
* **Slots (fast slot model).** ``replicas = floor(GPUs / tp)``; ``slots = replicas x batch``
  with ``tp`` and ``batch`` of the operating point the planner sized GPUs with
  (``Inputs.capacity``: `coredge.physics.serving.capacity_point` at the TP with the most
  tokens/s per GPU, kept whole by `coredge.inputs.build.class_capacity`; the batch is the
  GPU-weighted mean over the pool's classes).
  Each slot is one server of the FIFO kernel.
* **Service.** ``tokens`` distribution: ``prefill(1 prompt) + output tokens x tpot`` with
  ``tpot = step(batch_k) + (prefill(batch_k) - prefill(1 prompt)) / tokens_out`` (continuous
  batching: the other prompts' prefill interleaves with decoding); output tokens lognormal with
  mean ``tokens_out`` and log-std `TOKENS_SIGMA` (assumption). This reproduces the planner's
  capacity exactly: a slot turns over ``1 / (prefill(batch) + tokens_out x step)`` requests per
  ms, so a pool's throughput equals the planner's tokens/s per GPU x GPUs / tokens_out.
* **SLO.** A request of class k meets its SLO when ``RTT + wait + service <= rtt_budget_ms +
  ttft_target_ms + tokens x tpot_target_ms`` (its own output tokens): the end-to-end time of a
  request that meets every per-class target. Classes without targets (batch) have no SLO.
* **Routing.** ``tiered-spill`` by default: micro, then regional sites within the class's RTT
  budget, then core sites at any distance (spill of last resort). Edge pools admit a request
  only while the queue drains within the TTFT target (``queue_limit = ceil(slots x
  min over the pool's classes of ttft_target / mean service)``; assumption: admission control of
  the serving stack); core pools and pools serving a class without a TTFT target queue without
  limit.
* **RTT** from coordinates with the scenario's network parameters (route inflation, fibre delay,
  overhead), backbone only: the class budgets exclude the last mile (see the workload classes'
  data file), so the access RTT is left out of both the latency and the SLO.
* **Demand.** Busy-hour requests/s per demand point of the chosen year
  (``Inputs.requests_per_s``, summed over classes); the class mix is the same at every point
  (``Inputs`` builds rates as point weight x class share, so this is exact).

**Scale.** By default every pool is simulated at its planned size and rate (``scale`` 1.0):
the default US busy hour of 2035 is ~7.5 M requests/s on ~220 M slots, so a run of tens of
millions of requests covers a few seconds of the busy hour. ``scale`` (0, 1] multiplies the
rates and the slots (slots rounded to the nearest integer, at least 1 where the plan has a
replica), and ``scale="fit"`` picks ``min(1, max_requests / (rate x HORIZON_S))`` so a run
spans `HORIZON_S`; loads are unchanged, but fewer servers pool less, so a scaled run
**over-states** waits and spills (Erlang C grows as servers shrink at equal load). The scale is
reported.

**Start and warm-up.** A system that starts empty under-states waits while the pools fill,
which at full scale (services of seconds to minutes) would take billions of requests. The
runs here start every pool in steady state (`coredge.sim.steady`: busy slots drawn at the
pool's offered load with residual services) and warm up for `STEADY_WARMUP_SERVICES` mean
services of the fastest class before counting (``simulate(start="steady", warmup_s=...)``).

**Both cores.** The counted requests are split over `REPLICATIONS` independent replications
(own seed, own steady start), run in as many processes as the machine has cores (at most
one per replication) and added into one result; the CIs are batch means over the batches of
every replication. A failure what-if (`busy_hour`) is a second counted window of the same
replications: it starts from the state the first window left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError
from coredge.formatting import site_display_name
from coredge.inputs.build import Inputs
from coredge.plan.result import Plan
from coredge.sim.engine import (
    REPLICATIONS,
    SimResult,
    Window,
    default_workers,
    simulate,
    simulate_windows,
)
from coredge.sim.spec import FaultSpec, NetworkSpec, spec_from_dict

TOKENS_SIGMA: float = 0.6
"""Log-std of output tokens per request [-]. Assumption: a moderate spread (coefficient of
variation 0.66); not fitted to a trace."""

HORIZON_S: float = 300.0
"""Counted simulated time a ``scale="fit"`` run aims at [s]. Assumption: long against the
slowest service (~1 min) and short against the busy hour."""

STEADY_WARMUP_SERVICES: float = 0.5
"""Warm-up after a steady start in mean service times of the fastest class [-]. Assumption: a
steady start leaves only the queues of pools near saturation to settle, which takes a
fraction of a service time in pools of many slots; tests/sim/test_sim_steady.py checks the
attainment against a long warm-up from empty."""


DEFAULT_REQUESTS: int = 1_000_000
"""Counted requests of `simulate_plan` and `coredge simulate RUN_DIR` by default."""

SLO_BATCHES: int = 20
"""Batches of the batch-means confidence intervals of the busy hour's SLO attainment [count],
split over the replications. At full scale a batch spans a fraction of a second of the busy
hour, short against the services (seconds), so consecutive batches are correlated and the
intervals are on the narrow side; the replications are independent."""

SEP = "|"
"""Separator of plan site id and class id in pool ids (``"<site_id>|<class_id>"``)."""


@dataclass(frozen=True)
class ClassProfile:
    """Serving operating point of one workload class (what the planner sized GPUs with).

    Attributes
    ----------
    class_id, model : str
    tp, batch : int
        Tensor-parallel GPUs per replica and sequences per replica (slots).
    prefill_ms : float
        Prefill of the request's own prompt [ms] (its time to first token in an idle slot).
    tpot_ms : float
        Time per output token [ms]: the decode step at ``batch`` plus the rest of the batch's
        prefill work spread over ``tokens_out`` tokens.
    tokens_in, tokens_out : int
        Mean prompt and output tokens [tokens].
    rtt_budget_ms, ttft_target_ms, tpot_target_ms : float
        Class targets [ms]; inf = none.
    power_w_per_gpu : float
        Time-averaged board power per GPU at the operating point [W]
        (`coredge.physics.serving.CapacityPoint.power_w_per_gpu`).
    idle_w_per_gpu : float
        Board power of an idle GPU [W] (``board_power_w(gpu, 0)``).
    host_overhead_w : float
        Host share per GPU (``Accelerator.server_overhead_w``) [W].
    """

    class_id: str
    model: str
    tp: int
    batch: int
    prefill_ms: float
    tpot_ms: float
    tokens_in: int
    tokens_out: int
    rtt_budget_ms: float
    ttft_target_ms: float
    tpot_target_ms: float
    power_w_per_gpu: float = math.nan
    idle_w_per_gpu: float = math.nan
    host_overhead_w: float = 0.0

    @property
    def mean_service_ms(self) -> float:
        """Mean service time of one request in a slot [ms]."""
        return self.prefill_ms + self.tokens_out * self.tpot_ms


def class_profiles(inputs: Inputs, tier: str | None = None) -> dict[str, ClassProfile]:
    """Operating point per class, exactly the one the planner sized GPUs with
    (``Inputs.capacity``, `coredge.inputs.build.class_capacity`): nothing is searched again.
    With `tier`, the one of that tier's accelerator (``Inputs.tier_hardware``; the reference
    point for a class the tier does not serve).

    Returns
    -------
    dict of class id to ClassProfile
    """
    from coredge.catalog.accelerators import get_accelerator
    from coredge.physics.serving import board_power_w

    sc = inputs.scenario
    gpu = sc.hardware.gpu if tier is None else inputs.tier_gpu(tier)
    caps = inputs.capacity if tier is None or tier not in inputs.tier_hardware else inputs.tier_hardware[tier].capacity
    idle_w = float(board_power_w(gpu, 0.0))
    host_w = float(get_accelerator(gpu).server_overhead_w)
    out: dict[str, ClassProfile] = {}
    for k, cid in enumerate(inputs.classes):
        w = sc.active_workloads[cid]
        cap = caps.get(cid, inputs.capacity[cid])
        tpot_t = w.tpot_target_ms if w.tpot_target_ms is not None else math.inf
        ttft_t = w.ttft_target_ms if w.ttft_target_ms is not None else math.inf
        # A request's own prompt is prefilled before its first token; the rest of the batch's
        # prefill work interleaves with decoding and stretches every output token
        # (continuous batching), so the mean occupancy of a slot is the planner's cycle,
        # tokens_out x step + prefill(batch).
        pre1 = cap.ttft_ms
        per_token = cap.tpot_ms - pre1 / w.tokens_out
        out[cid] = ClassProfile(cid, w.model, cap.tp, cap.batch, pre1,
                                per_token, w.tokens_in, w.tokens_out,
                                float(inputs.rtt_budget_ms[k]), ttft_t, tpot_t,
                                cap.power_w_per_gpu, idle_w, host_w)
    return out


def pool_power(profiles: Sequence[ClassProfile], slots: int, gpus: float, pue: float,
               host_overhead_w: float | None = None) -> dict[str, Any]:
    """Power model (``sites[].power``) of a pool serving ``profiles`` with ``slots`` slots.

    A slot busy with class k draws its share of the replica's GPUs at k's operating point,
    ``tp x (power_w_per_gpu + host) / batch``; the pool with every slot idle draws ``gpus x
    (idle_w_per_gpu + host)``. The host overhead is drawn whether the GPUs are busy or idle
    (assumption: hosts stay powered). Facility power = IT power x ``pue``.

    Parameters
    ----------
    profiles : sequence of ClassProfile
        Classes the pool serves.
    slots : int
        Slots of the pool [-].
    gpus : float
        GPUs behind those slots [GPUs].
    pue : float
        Power usage effectiveness of the site [-].
    host_overhead_w : float, optional
        Host power per GPU [W] (default: each profile's ``host_overhead_w``).

    Returns
    -------
    dict
        ``{"idle_w", "busy_w_per_slot": {class id: W}, "pue"}``.

    Examples
    --------
    >>> p = ClassProfile("chat", "m", 2, 100, 10.0, 20.0, 500, 200, 50.0, 500.0, 50.0,
    ...                  600.0, 100.0, 50.0)
    >>> pool_power([p], 100, 2.0, 1.2)
    {'idle_w': 300.0, 'busy_w_per_slot': {'chat': 13.0}, 'pue': 1.2}
    """
    busy: dict[str, float] = {}
    idle = 0.0
    for p in profiles:
        host = p.host_overhead_w if host_overhead_w is None else host_overhead_w
        busy[p.class_id] = p.tp * (p.power_w_per_gpu + host) / p.batch
        idle = p.idle_w_per_gpu + host
    return {"idle_w": float(gpus * idle), "busy_w_per_slot": busy, "pue": float(pue)}


def inference_mw_by_site_class(inputs: Inputs, plan: Plan, year_index: int = -1) -> npt.NDArray[np.float64]:
    """Busy-hour inference load assigned to each site per class [MW], shape (S, K).

    Pairs count only once their site is online in that year.
    """
    a = plan.assignments
    year = int(plan.years[year_index])
    out = np.zeros((plan.n_sites, inputs.n_classes))
    if a.empty:
        return out
    p = a["point_index"].to_numpy(dtype=np.int64)
    k = a["class_index"].to_numpy(dtype=np.int64)
    s = a["site_index"].to_numpy(dtype=np.int64)
    online = plan.sites["online_year"].to_numpy()[s] <= year
    mw = inputs.load_mw[p, k, year_index] * a["share"].to_numpy(dtype=np.float64) * online
    np.add.at(out, (s, k), mw)
    return out


def inference_gpus(inputs: Inputs, plan: Plan, year_index: int = -1) -> npt.NDArray[np.float64]:
    """Installed inference GPUs per site and class in one plan year, shape (S, K) [GPUs].

    A site's inference GPUs are (installed IT MW - training MW) x 1000 / ``it_kw_per_gpu``. Each
    class gets the GPUs of the load the plan assigned it there (assigned MW x 1000 /
    ``it_kw_per_gpu``); the rest, the site's spare, is the failover reserve the planner counts on
    when it re-homes a failed site's load onto other sites' spare capacity
    (`coredge.plan.result.single_site_failure_shortfall`): it is split over every class the
    site's tier may serve in proportion to that class's load over the whole network, so a site
    holds replicas of the models it may have to take over (assumption: spare GPUs are kept as
    warm replicas in that mix). When the assigned load exceeds the installed GPUs, the GPUs are
    split by the classes' shares of the assigned load.
    """
    from coredge.plan.reach import tier_serves
    from coredge.plan.result import site_class_factor

    load = inference_mw_by_site_class(inputs, plan, year_index)
    tiers = plan.sites["tier"].astype(str).to_numpy()
    fk = site_class_factor(inputs, plan)
    if fk is not None:  # the site's IT MW for that load: its tier's accelerator
        load = load * fk
    kw = inputs.site_it_kw_per_gpu(tiers).reshape(-1, 1)
    total = load.sum(axis=1)
    inst = plan.it_mw_by_year[:, year_index] - plan.training_mw_by_year[:, year_index]
    gpus = np.maximum(inst, 0.0) * 1000.0 / kw[:, 0]
    share = np.divide(load, total[:, None], out=np.zeros_like(load), where=total[:, None] > 0)
    out = gpus[:, None] * share
    needed = load * 1000.0 / kw
    spare = gpus - needed.sum(axis=1)
    class_mw = inputs.load_mw[:, :, year_index].sum(axis=0)
    for j in np.flatnonzero(spare > 0):
        w = class_mw * np.array([tier_serves(inputs, str(tiers[j]), c) for c in inputs.classes])
        if w.sum() > 0:
            out[j] = needed[j] + spare[j] * w / w.sum()
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class PlanSim:
    """A plan's busy hour as a spec, with what was chosen to build it.

    Attributes
    ----------
    spec : NetworkSpec
    scale : float
        Factor applied to rates and slots (1 = full scale).
    warmup_s : float
        Warm-up the runs use [s].
    year : int
        Plan year simulated.
    profiles : dict of class id to ClassProfile
    pool_site : list of str
        Plan site id of each spec site (pool).
    rate_per_s : float
        Busy-hour requests/s of the plan year before scaling.
    """

    spec: NetworkSpec
    scale: float
    warmup_s: float
    year: int
    profiles: dict[str, ClassProfile]
    pool_site: list[str]
    rate_per_s: float

    def expected_horizon_s(self, requests: int) -> float:
        """Counted simulated time of a run of ``requests`` [s]."""
        return requests / (self.rate_per_s * self.scale)

    def pools_of(self, site_id: str) -> list[str]:
        """Spec site ids (pools) of a plan site."""
        return [s.id for s, p in zip(self.spec.sites, self.pool_site, strict=True) if p == site_id]


def plan_sim(
    inputs: Inputs,
    plan: Plan,
    year_index: int = -1,
    max_requests: int = DEFAULT_REQUESTS,
    policy: str = "tiered-spill",
    scale: float | str | None = None,
) -> PlanSim:
    """Build the busy-hour spec of one plan year (see module docstring) and its run settings.

    Parameters
    ----------
    inputs : Inputs
    plan : Plan
    year_index : int
        Index into ``plan.years`` (default: the last year).
    max_requests : int
        Requests a run will count; with ``scale="fit"`` the scale makes them span `HORIZON_S`.
    policy : str
        Routing policy name; ``plan-share`` also fills ``routing.shares`` from the plan's
        assignments (`plan_shares`).
    scale : float or "fit", optional
        Scale of rates and slots (0 < scale <= 1; default 1.0, every pool at its planned size),
        or ``"fit"``: ``min(1, max_requests / (rate x HORIZON_S))``.

    Returns
    -------
    PlanSim

    Raises
    ------
    InputError
        Bad year index, scale, or a plan without inference capacity in that year.
    """
    n_years = len(plan.years)
    if not -n_years <= year_index < n_years:
        raise InputError.of("year_index", year_index, f"an index into the plan years (-{n_years}..{n_years - 1})")
    if max_requests < 1:
        raise InputError.of("max_requests", max_requests, "an integer >= 1")
    if scale is not None and scale != "fit" and not (isinstance(scale, (int, float)) and 0 < scale <= 1):
        raise InputError.of("scale", scale, "a fraction in (0, 1] or 'fit'")
    profiles = class_profiles(inputs)
    req = inputs.requests_per_s[:, :, year_index]
    class_rate = req.sum(axis=0)
    point_rate = req.sum(axis=1)
    total = float(point_rate.sum())
    if not total > 0:
        raise InputError.of("demand", total, "a positive busy-hour request rate")
    f = (min(1.0, max_requests / (total * HORIZON_S)) if scale == "fit"
         else 1.0 if scale is None else float(scale))
    gpus = inference_gpus(inputs, plan, year_index)
    sites = plan.sites
    lat_s = sites["lat"].to_numpy(dtype=np.float64)
    lon_s = sites["lon"].to_numpy(dtype=np.float64)
    # PUE per site (plan.sites["pue"]); without it the pools get no power model (no energy)
    pue_s = sites["pue"].to_numpy(dtype=np.float64) if "pue" in sites.columns else None
    from coredge.plan.reach import tier_serves

    # one pool per (site, model, TP): replicas of one model serve every class that uses it;
    # each tier with its own accelerator (hardware.tiers) has its own operating points
    per_tier = inputs.scenario.hardware.per_tier
    tier_prof = {t: (class_profiles(inputs, t) if per_tier else profiles) for t in ("core", "regional", "micro")}
    tier_keys: dict[str, dict[tuple[str, int], list[int]]] = {}
    for t, prof_t in tier_prof.items():
        keys: dict[tuple[str, int], list[int]] = {}
        for k, cid in enumerate(inputs.classes):
            keys.setdefault((prof_t[cid].model, prof_t[cid].tp), []).append(k)
        tier_keys[t] = keys
    pools: list[dict[str, Any]] = []
    pool_site: list[str] = []
    for j in range(plan.n_sites):
        tier = str(sites["tier"].iat[j])
        sid = str(sites["site_id"].iat[j])
        prof_j = tier_prof.get(tier, profiles)
        for (model, tp), ks in tier_keys.get(tier, tier_keys["core"]).items():
            g = gpus[j, ks]
            replicas = math.floor(float(g.sum()) / tp + 1e-9)
            if replicas < 1:
                continue
            # slots: replicas x the GPU-weighted batch of the classes planned here
            batch = float((g * np.array([prof_j[inputs.classes[k]].batch for k in ks])).sum() / g.sum())
            slots = max(1, round(replicas * batch * f))
            serves = [inputs.classes[k] for k in ks if tier_serves(inputs, tier, inputs.classes[k])]
            qlim: int | None = None
            ttft = [prof_j[c].ttft_target_ms / prof_j[c].mean_service_ms for c in serves]
            if tier != "core" and ttft and all(math.isfinite(x) for x in ttft):
                qlim = math.ceil(slots * min(ttft))
            pool: dict[str, Any] = {
                "id": f"{sid}{SEP}{model}{SEP}tp{tp}", "servers": slots, "queue_limit": qlim,
                "tier": tier, "lat": float(lat_s[j]), "lon": float(lon_s[j]),
                "serves": serves,
            }
            if per_tier and prof_j is not profiles:
                # the classes' service times are the reference accelerator's; this pool's slots
                # turn over at its own (GPU-weighted over the classes planned here)
                ratio = np.array([profiles[inputs.classes[k]].mean_service_ms / prof_j[inputs.classes[k]].mean_service_ms
                                  for k in ks])
                pool["speed"] = float((g * ratio).sum() / g.sum())
            if pue_s is not None and all(math.isfinite(prof_j[c].power_w_per_gpu) for c in serves):
                pool["power"] = pool_power([prof_j[c] for c in serves], slots,
                                           slots * tp / batch, float(pue_s[j]))
            pools.append(pool)
            pool_site.append(sid)
    if not pools:
        raise InputError.of("plan", f"year {int(plan.years[year_index])}",
                            "a plan year with installed inference capacity")
    classes = []
    for k, cid in enumerate(inputs.classes):
        prof = profiles[cid]
        if class_rate[k] <= 0:
            continue
        c: dict[str, Any] = {
            "id": cid, "share": float(class_rate[k] / total),
            "service": {"distribution": "tokens", "prefill_ms": prof.prefill_ms,
                        "tpot_ms": prof.tpot_ms, "tokens_mean": float(prof.tokens_out),
                        "tokens_sigma": TOKENS_SIGMA},
        }
        if math.isfinite(prof.rtt_budget_ms):
            c["rtt_budget_ms"] = prof.rtt_budget_ms
        if math.isfinite(prof.ttft_target_ms) or math.isfinite(prof.tpot_target_ms):
            c["slo_ms"] = ((prof.rtt_budget_ms if math.isfinite(prof.rtt_budget_ms) else 0.0)
                           + (prof.ttft_target_ms if math.isfinite(prof.ttft_target_ms) else 0.0))
            if math.isfinite(prof.tpot_target_ms):
                c["slo_per_token_ms"] = prof.tpot_target_ms
        classes.append(c)
    served = {c["id"] for c in classes}
    for p in pools:
        p["serves"] = [c for c in p["serves"] if c in served]
        if "power" in p:
            p["power"]["busy_w_per_slot"] = {c: w for c, w in p["power"]["busy_w_per_slot"].items()
                                             if c in served}
    pools_kept = [(p, s) for p, s in zip(pools, pool_site, strict=True) if p["serves"]]
    pools, pool_site = [p for p, _ in pools_kept], [s for _, s in pools_kept]
    d = inputs.demand
    lat_d = d["lat"].to_numpy(dtype=np.float64)
    lon_d = d["lon"].to_numpy(dtype=np.float64)
    net = inputs.scenario.network
    spec = spec_from_dict({
        "sites": pools,
        "demand": [{"id": str(d["id"].iat[i]), "rate_per_s": float(point_rate[i] * f),
                    "lat": float(lat_d[i]), "lon": float(lon_d[i])}
                   for i in range(len(d))],
        "latency": {"model": net.model, "fixed_ms": net.fixed_ms, "inflation_excess": net.inflation_excess,
                    "inflation_scale_km": net.inflation_scale_km, "route_inflation": net.route_inflation,
                    "fiber_us_per_km": net.fiber_us_per_km, "overhead_ms": net.overhead_ms,
                    "access_rtt_ms": 0.0},
        "classes": classes,
        "routing": {"policy": policy},
    })
    if policy == "plan-share":
        shares = plan_shares(inputs, plan, spec, pool_site, year_index)
        spec = spec_from_dict({**spec.to_dict(), "routing": {"policy": policy, "shares": shares}})
    fastest = min(profiles[c["id"]].mean_service_ms for c in classes)
    return PlanSim(spec, f, STEADY_WARMUP_SERVICES * fastest / 1000.0, int(plan.years[year_index]),
                   profiles, pool_site, total)


def spec_from_plan(
    inputs: Inputs,
    plan: Plan,
    year_index: int = -1,
    max_requests: int = DEFAULT_REQUESTS,
    policy: str = "tiered-spill",
) -> NetworkSpec:
    """The busy-hour network spec of one plan year (see `plan_sim` and the module docstring)."""
    return plan_sim(inputs, plan, year_index, max_requests, policy).spec


def expand_plan_faults(ps: PlanSim, faults: Sequence[FaultSpec]) -> list[FaultSpec]:
    """Faults naming plan sites, as faults on their pools (spec site ids pass through).

    Parameters
    ----------
    ps : PlanSim
    faults : sequence of FaultSpec
        ``site`` is a plan site id (every pool of that site gets the fault) or a pool id.

    Raises
    ------
    InputError
        A site that is neither a pool nor a plan site with pools.
    """
    pool_ids = {s.id for s in ps.spec.sites}
    out: list[FaultSpec] = []
    for i, f in enumerate(faults):
        if f.site in pool_ids:
            out.append(f)
            continue
        pools = ps.pools_of(f.site)
        if not pools:
            known = sorted(set(ps.pool_site))
            raise InputError.of(f"faults[{i}].site", f.site, "a plan site with inference pools: "
                                + ", ".join(known[:10]) + ("..." if len(known) > 10 else ""))
        out += [f.model_copy(update={"site": p}) for p in pools]
    return out


def plan_shares(inputs: Inputs, plan: Plan, ps_spec: NetworkSpec, pool_site: Sequence[str],
                year_index: int = -1) -> dict[str, dict[str, dict[str, float]]]:
    """The plan's assignment shares as ``routing.shares`` of the pooled spec.

    Each assignment (point, class, site, share) of a site online in the year goes to the pool of
    that site serving the class; shares to a site without such a pool are left out (the rest
    are renormalised by the draw).
    """
    a = plan.assignments
    if a.empty:
        return {}
    year = int(plan.years[year_index])
    online = plan.sites["online_year"].to_numpy()[a["site_index"].to_numpy(dtype=np.int64)] <= year
    pool_of: dict[tuple[str, str], str] = {}
    for site, psid in zip(ps_spec.sites, pool_site, strict=True):
        for c in site.serves or []:
            pool_of[(psid, c)] = site.id
    out: dict[str, dict[str, dict[str, float]]] = {}
    cols = zip(a["point_id"].astype(str), a["class_id"].astype(str), a["site_id"].astype(str),
               a["share"].to_numpy(dtype=np.float64), online, strict=True)
    for pt, cid, sid, share, on in cols:
        pool = pool_of.get((sid, cid))
        if not on or pool is None or not share > 0:
            continue
        by_site = out.setdefault(pt, {}).setdefault(cid, {})
        by_site[pool] = by_site.get(pool, 0.0) + float(share)
    return out


def simulate_plan(
    inputs: Inputs,
    plan: Plan,
    *,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    fail_site: str | None = None,
    year_index: int = -1,
    scale: float | str | None = None,
    policy: str = "tiered-spill",
    faults: Sequence[FaultSpec] = (),
    replications: int = REPLICATIONS,
    workers: int | None = None,
) -> SimResult:
    """Simulate a plan's busy hour (see module docstring); the pipeline's entry point.

    Parameters
    ----------
    inputs, plan
        From the pipeline.
    requests : int
        Counted requests (after the warm-up), over all replications.
    seed : int
        Seed of all randomness.
    fail_site : str, optional
        A plan site id that is down for the whole counted run (its pools accept nothing).
    year_index : int
        Plan year (default: last).
    scale : float or "fit", optional
        Scale of rates and slots (default 1.0: full scale; see `plan_sim`).
    policy : str
        Routing policy: ``tiered-spill`` (default) or ``plan-share`` (requests follow the plan's
        assignment shares; see docs/simulator.md for when each is the better model), or any
        registered policy.
    faults : sequence of FaultSpec
        Extra faults of any kind; ``site`` may be a plan site id (all its pools) or a pool id.
    replications : int
        Independent replications (`coredge.sim.engine.simulate`); the result depends on it.
    workers : int, optional
        Processes (default `coredge.sim.engine.default_workers`); the result does not depend on
        it.

    Returns
    -------
    SimResult
        ``summary`` gains ``plan_year``, ``scale`` (= ``pool_scale``: the factor on rates and
        slots), ``window_s`` (counted simulated time, summed over the replications),
        ``failed_site`` and ``slo_ci`` (batch means, `SLO_BATCHES` batches); ``sites`` has one
        row per pool (``"<site_id>|<model>|tp<N>"``) and `plan_site_table` aggregates them per
        plan site.
    """
    ps = plan_sim(inputs, plan, year_index, requests, policy=policy, scale=scale)
    all_faults: list[FaultSpec] = expand_plan_faults(ps, faults)
    if fail_site is not None:
        pools = ps.pools_of(fail_site)
        if not pools:
            known = sorted(set(ps.pool_site))
            raise InputError.of("fail_site", fail_site, "a plan site with inference pools: " + ", ".join(known[:10]) + ("..." if len(known) > 10 else ""))
        all_faults += [FaultSpec(site=p, at_s=0.0, for_s=1e12) for p in pools]
    reps = min(replications, requests)
    res = simulate(ps.spec, requests=requests, seed=seed, faults=all_faults, warmup_s=ps.warmup_s,
                   slo_batches=SLO_BATCHES, start="steady", replications=reps,
                   workers=default_workers(reps, requests, _slots(ps)) if workers is None else workers)
    _plan_figures(res, ps, fail_site)
    return res


def _slots(ps: PlanSim) -> int:
    return int(sum(s.servers or 0 for s in ps.spec.sites))


def _plan_figures(res: SimResult, ps: PlanSim, fail_site: str | None) -> None:
    res.summary.update({"plan_year": ps.year, "scale": ps.scale, "failed_site": fail_site,
                        "busy_hour_rate_per_s": ps.rate_per_s, "pool_scale": ps.scale,
                        "window_s": res.summary.get("horizon_s")})


def busy_hour(
    inputs: Inputs,
    plan: Plan,
    *,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    whatif: bool = True,
    whatif_requests: int | None = None,
    policy: str = "tiered-spill",
    scale: float | str | None = None,
    replications: int = REPLICATIONS,
    workers: int | None = None,
) -> tuple[SimResult, dict[str, Any] | None]:
    """The busy hour and, with `whatif`, the loss of the largest edge site, in one run.

    The what-if is a second counted window of the same replications (`simulate_windows`): it
    starts from the state the busy-hour window left, and fails the largest edge site
    (`largest_edge_site`) for the middle third of its expected span. Returns the busy hour as
    `simulate_plan` does and the what-if as `failure_whatif` does (None without `whatif`).
    """
    ps = plan_sim(inputs, plan, -1, requests, policy=policy, scale=scale)
    reps = min(replications, requests)
    wins = [Window(requests)]
    n_w = whatif_requests if whatif_requests is not None else requests
    site = at_s = for_s = None
    if whatif:
        site = largest_edge_site(inputs, plan)
        h = ps.expected_horizon_s(-(-n_w // reps))
        at_s, for_s = h / 3.0, h / 3.0
        wins.append(Window(n_w, faults=tuple(FaultSpec(site=p, at_s=at_s, for_s=for_s) for p in ps.pools_of(site))))
    out = simulate_windows(ps.spec, wins, seed=seed, warmup_s=ps.warmup_s, slo_batches=SLO_BATCHES,
                           start="steady", replications=reps,
                           workers=default_workers(reps, requests, _slots(ps)) if workers is None else workers)
    _plan_figures(out[0], ps, None)
    if not whatif:
        return out[0], None
    assert site is not None and at_s is not None and for_s is not None
    return out[0], _whatif_figures(out[1], plan, ps, site, at_s, for_s)


def plan_site_table(result: SimResult) -> pd.DataFrame:
    """Per plan site: pools, slots, served, utilisation (busy slot time / slot time)."""
    s = result.sites.copy()
    s["plan_site"] = s["site"].str.split(SEP, regex=False).str[0]
    s["busy"] = s["utilization"].fillna(0.0) * s["servers"]
    g = s.groupby("plan_site", sort=False).agg(tier=("tier", "first"), pools=("site", "size"),
                                               slots=("servers", "sum"), served=("served", "sum"),
                                               busy=("busy", "sum"))
    g["utilization"] = g["busy"] / g["slots"]
    return g.drop(columns="busy").reset_index()


def largest_edge_site(inputs: Inputs, plan: Plan, year_index: int = -1) -> str:
    """Id of the edge (micro or regional) site with the most inference GPUs in that year."""
    gpus = inference_gpus(inputs, plan, year_index).sum(axis=1)
    edge = plan.sites["tier"].isin(["micro", "regional"]).to_numpy() & (gpus > 0)
    if not edge.any():
        raise InputError.of("plan", "no edge site", "a plan with at least one micro or regional site serving inference")
    return str(plan.sites["site_id"].iat[int(np.argmax(np.where(edge, gpus, -1.0)))])


def failure_whatif(
    inputs: Inputs,
    plan: Plan,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    year_index: int = -1,
    scale: float | str | None = None,
    policy: str = "tiered-spill",
    replications: int = REPLICATIONS,
    workers: int | None = None,
) -> dict[str, Any]:
    """Fail the largest edge site for the middle third of the run; SLO during vs outside.

    A run of its own (steady start, warm-up, `replications`); `busy_hour` runs the same
    what-if as a second window of the busy-hour run instead. The fault window is the middle
    third of one replication's expected span (every replication has it, in its own time).

    Returns
    -------
    dict
        ``site``, ``site_name`` (for people: "City, ST (tier)"), ``at_s``, ``for_s`` (window, counted time), ``slo_attainment_during`` /
        ``_outside``, ``dropped_frac_during`` / ``_outside``, ``requests_during``, the run's
        overall ``slo_attainment``, ``scale``, ``plan_year``, ``spilled_frac``, ``policy``,
        ``replications``, ``window_s`` and ``classes``: per workload class ``requests_during``
        / ``_outside``, ``slo_attainment_during`` / ``_outside`` and ``dropped_frac_during`` /
        ``_outside``.
    """
    ps = plan_sim(inputs, plan, year_index, requests, policy=policy, scale=scale)
    site = largest_edge_site(inputs, plan, year_index)
    reps = min(replications, requests)
    h = ps.expected_horizon_s(-(-requests // reps))
    at_s, for_s = h / 3.0, h / 3.0
    faults = [FaultSpec(site=p, at_s=at_s, for_s=for_s) for p in ps.pools_of(site)]
    res = simulate(ps.spec, requests=requests, seed=seed, faults=faults, warmup_s=ps.warmup_s,
                   start="steady", replications=reps,
                   workers=default_workers(reps, requests, _slots(ps)) if workers is None else workers)
    return _whatif_figures(res, plan, ps, site, at_s, for_s)


def _whatif_figures(res: SimResult, plan: Plan, ps: PlanSim, site: str,
                    at_s: float, for_s: float) -> dict[str, Any]:
    fb = res.summary["faults"]
    return {
        "site": site, "site_name": site_display_name(plan.sites.iloc[list(plan.sites["site_id"]).index(site)]),
        "at_s": at_s, "for_s": for_s, "plan_year": ps.year, "scale": ps.scale,
        "requests": res.summary["requests"], "requests_during": fb["requests_during"],
        "slo_attainment": res.summary["slo_attainment"],
        "slo_attainment_during": fb["slo_attainment_during"],
        "slo_attainment_outside": fb["slo_attainment_outside"],
        "dropped_frac_during": fb["dropped_frac_during"],
        "dropped_frac_outside": fb["dropped_frac_outside"],
        "spilled_frac": res.summary["spilled_frac"],
        "policy": res.summary["policy"],
        "replications": res.summary["replications"],
        "window_s": res.summary["horizon_s"],
        "classes": fb["classes"],
    }
