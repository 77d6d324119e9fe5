"""``coredge simulate``: replay inference traffic request by request over a network spec."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coredge.cli.app import OverwriteOpt, Table, app, console, emit_json, err_console
from coredge.errors import InputError, problems_from_validation

if TYPE_CHECKING:
    from coredge.sim.spec import BurstSpec, FaultSpec


def _parse_count(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError.of("--requests", text, "a positive integer (1000000 or 1e6)") from None
    if not math.isfinite(value) or value < 1 or value != int(value):
        raise InputError.of("--requests", text, "a positive integer (1000000 or 1e6)")
    from coredge.cli.limits import REQUESTS_MAX

    if value > REQUESTS_MAX:
        raise InputError.of("--requests", text, f"at most {REQUESTS_MAX:.0e} requests (coredge.cli.limits.REQUESTS_MAX)")
    return int(value)


def _parse_link(text: str) -> FaultSpec:
    """``SITE,AT_S,FOR_S[,PENALTY_MS|cut[,DEMAND;DEMAND...]]`` -> a link fault."""

    parts = [p.strip() for p in text.split(",")]
    allowed = "SITE,AT_S,FOR_S[,PENALTY_MS or cut[,DEMAND;DEMAND...]] (e.g. s1,60,300 or s1,60,300,25,d0;d3)"
    if not 3 <= len(parts) <= 5 or not parts[0]:
        raise InputError.of("--link", text, allowed)
    at_s, for_s = _num("--link", text, parts[1], allowed), _num("--link", text, parts[2], allowed)
    pen = None
    if len(parts) >= 4 and parts[3].lower() not in ("", "cut"):
        pen = _num("--link", text, parts[3], allowed)
    demand = [d for d in parts[4].split(";") if d] if len(parts) == 5 else None
    return _fault("--link", text, {"kind": "link", "site": parts[0], "at_s": at_s, "for_s": for_s,
                                   "rtt_penalty_ms": pen, "demand": demand or None})


def _parse_derate(text: str) -> FaultSpec:
    """``SITE,AT_S,FOR_S,FRACTION`` -> a capacity derate."""
    parts = [p.strip() for p in text.split(",")]
    allowed = "SITE,AT_S,FOR_S,FRACTION with FRACTION the servers left in [0, 1) (e.g. s1,60,600,0.5)"
    if len(parts) != 4 or not parts[0]:
        raise InputError.of("--derate", text, allowed)
    vals = [_num("--derate", text, x, allowed) for x in parts[1:]]
    return _fault("--derate", text, {"kind": "derate", "site": parts[0], "at_s": vals[0],
                                     "for_s": vals[1], "fraction": vals[2]})


def _parse_burst(text: str) -> BurstSpec:
    """``AT_S,FOR_S,FACTOR[,DEMAND;DEMAND...]`` -> a scheduled burst."""
    from pydantic import ValidationError

    from coredge.sim.spec import BurstSpec

    parts = [p.strip() for p in text.split(",")]
    allowed = "AT_S,FOR_S,FACTOR[,DEMAND;DEMAND...] (e.g. 600,300,3 or 600,300,3,d0;d2)"
    if not 3 <= len(parts) <= 4:
        raise InputError.of("--burst", text, allowed)
    vals = [_num("--burst", text, x, allowed) for x in parts[:3]]
    demand = [d for d in parts[3].split(";") if d] if len(parts) == 4 else None
    try:
        return BurstSpec(at_s=vals[0], for_s=vals[1], factor=vals[2], demand=demand or None)
    except ValidationError as exc:
        first = problems_from_validation(exc, BurstSpec)[0]
        raise InputError.of("--burst", text, f"{first.field}: {first.allowed}") from None


def _num(opt: str, text: str, part: str, allowed: str) -> float:
    try:
        v = float(part)
    except ValueError:
        raise InputError.of(opt, text, allowed) from None
    if not math.isfinite(v):
        raise InputError.of(opt, text, allowed)
    return v


def _fault(opt: str, text: str, data: dict[str, object]) -> FaultSpec:
    from pydantic import ValidationError

    from coredge.sim.spec import FaultSpec

    try:
        return FaultSpec.model_validate(data)
    except ValidationError as exc:
        first = problems_from_validation(exc, FaultSpec)[0]
        raise InputError.of(opt, text, f"{first.field}: {first.allowed}") from None


@app.command("simulate")
def simulate_cmd(
    path: Annotated[Path, typer.Argument(help="Network spec JSON file (or a plan directory).",
                                         metavar="PLAN_DIR_OR_SPEC")],
    requests: Annotated[str | None, typer.Option("--requests", "-n",
                                                 help="Requests to simulate (e.g. 1e6).")] = None,
    hours: Annotated[float | None, typer.Option("--hours", help="Simulated hours instead of a request count.")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of all randomness (>= 0).")] = 0,
    policy: Annotated[str | None, typer.Option("--policy", help="Routing policy (overrides the spec).")] = None,
    max_hops: Annotated[int | None, typer.Option("--max-hops", help="Sites a request may try.")] = None,
    fail_site: Annotated[list[str] | None, typer.Option("--fail-site", help="Site id that fails (repeatable).")] = None,
    at: Annotated[list[float] | None, typer.Option("--at", help="Failure start, seconds of simulated time (one per --fail-site).")] = None,
    duration: Annotated[list[float] | None, typer.Option("--for", help="Failure duration in seconds (one per --fail-site).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write summary.json + Parquet tables here.")] = None,
    overwrite: OverwriteOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON line (last line).")] = False,
    warmup: Annotated[float | None, typer.Option("--warmup", help="Seconds simulated before counting (default: 0 for a spec; half a mean service of the fastest class for a run directory).")] = None,
    scale: Annotated[float | None, typer.Option("--scale", help="Run directory only: scale of rates and slots in (0, 1] (default 1: every pool at its planned size).")] = None,
    replications: Annotated[int | None, typer.Option("--replications", help="Independent replications, each with its own seed, start and warm-up, added into one result (default 2; the result depends on it).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Processes the replications run in (default: the cores available, one per replication; 1 below 5e7 requests on fewer than 1e6 slots). The result does not depend on it.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="'empty' (every server free) or 'steady' (a draw of each site's steady state); default: empty for a spec, steady for a run directory.")] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="Link fault SITE,AT_S,FOR_S[,PENALTY_MS|cut[,DEMAND;DEMAND]] (repeatable; default: cut for all demand points).")] = None,
    derate: Annotated[list[str] | None, typer.Option("--derate", help="Capacity derate SITE,AT_S,FOR_S,FRACTION (repeatable).")] = None,
    burst: Annotated[list[str] | None, typer.Option("--burst", help="Traffic burst AT_S,FOR_S,FACTOR[,DEMAND;DEMAND] (repeatable): request rate x FACTOR in the window (default: every demand point).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run past the request limit (see docs/reliability.md) after the estimate.")] = False,
) -> None:
    """Simulate a network spec, or the busy hour of a run directory's plan, request by request."""
    from coredge.sim import simulate
    from coredge.sim.loader import load_spec_or_plan
    from coredge.sim.spec import FaultSpec

    n = _parse_count(requests)
    fails = fail_site or []
    ats, fors = at or [], duration or []
    if len(ats) != len(fails):
        raise InputError.of("--at", ats, f"one --at per --fail-site ({len(fails)} given)")
    if len(fors) != len(fails):
        raise InputError.of("--for", fors, f"one --for per --fail-site ({len(fails)} given)")
    faults = []
    for site, t_s, d_s in zip(fails, ats, fors, strict=True):
        if not (t_s >= 0 and math.isfinite(t_s)):
            raise InputError.of("--at", t_s, "a time >= 0 in seconds")
        if not (d_s > 0 and math.isfinite(d_s)):
            raise InputError.of("--for", d_s, "a duration > 0 in seconds")
        faults.append(FaultSpec(site=site, at_s=t_s, for_s=d_s))
    faults += [_parse_link(x) for x in link or []]
    faults += [_parse_derate(x) for x in derate or []]
    bursts = [_parse_burst(x) for x in burst or []]
    if warmup is not None and not (warmup >= 0 and math.isfinite(warmup)):
        raise InputError.of("--warmup", warmup, "a duration >= 0 in seconds")
    if out is not None:
        from coredge.files import check_out

        check_out(out, overwrite)  # refuse a folder that is not ours before any work
    extra: dict[str, object] = {}
    if path.is_dir():
        from coredge.sim.from_plan import DEFAULT_REQUESTS, expand_plan_faults, plan_sim
        from coredge.sim.policies import get_policy
        from coredge.store import read_run

        if scale is not None and not (0 < scale <= 1):
            raise InputError.of("--scale", scale, "a fraction in (0, 1]")
        if policy is not None:
            get_policy(policy)
        run = read_run(path)
        inputs, plan = run.inputs, run.plan
        # the scenario's routing policy, as `coredge run` simulates it, unless --policy says otherwise
        ps = plan_sim(inputs, plan, max_requests=n or DEFAULT_REQUESTS, scale=scale,
                      policy=policy or inputs.scenario.simulation.policy)
        spec = ps.spec
        faults = expand_plan_faults(ps, faults)
        warm = ps.warmup_s if warmup is None else warmup
        extra = {"plan_year": ps.year, "scale": ps.scale, "busy_hour_rate_per_s": ps.rate_per_s}
    else:
        if scale is not None:
            raise InputError.of("--scale", scale, "only with a run directory")
        spec = load_spec_or_plan(path)
        warm = warmup or 0.0
    from coredge.cli.limits import check_requests

    if hours is not None and math.isfinite(hours) and hours > 0:
        check_requests(hours * 3600.0 * sum(d.rate_per_s for d in spec.demand), yes, "--hours", hours)
    else:
        check_requests(n or 1_000_000, yes)
    err_console.print(f"simulating {path} ...")
    from coredge.sim.engine import DEFAULT_REQUESTS as SIM_REQUESTS
    from coredge.sim.engine import REPLICATIONS, default_workers

    reps = REPLICATIONS if replications is None else replications
    if reps < 1:
        raise InputError.of("--replications", reps, "an integer >= 1")
    if workers is not None and workers < 1:
        raise InputError.of("--workers", workers, "an integer >= 1")
    counted = n if n is not None else (None if hours is not None else SIM_REQUESTS)
    if counted is not None:
        reps = min(reps, counted)
    from coredge.sim.spec import site_servers

    n_work = default_workers(reps, counted, int(site_servers(spec).sum())) if workers is None else workers
    result = simulate(spec, requests=n, hours=hours, seed=seed, policy=policy, max_hops=max_hops,
                      faults=faults, warmup_s=warm, bursts=bursts, replications=reps,
                      workers=n_work, start=start or ("steady" if path.is_dir() else "empty"))
    result.summary.update(extra)
    s = result.summary
    err_console.print(
        f"{s['requests']:,} requests in {s['sim_wall_s']:.2f} s ({s['requests_per_s']:,.0f} requests/s)"
    )
    if out is not None:
        result.write(out, overwrite=overwrite)
        err_console.print(f"wrote {out}")
    if json_out:
        emit_json(s)
        return
    table = Table(title="simulation summary")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("requests", "completed", "dropped_frac", "spilled_frac", "p50_ms", "p95_ms",
                "p99_ms", "mean_wait_ms", "utilization", "slo_attainment", "requests_per_s"):
        v = s[key]
        table.add_row(key, f"{v:,.4g}" if isinstance(v, float) else f"{v:,}")
    energy = s.get("energy")
    if energy:
        for key in ("it_energy_kwh", "facility_energy_kwh", "facility_j_per_token",
                    "facility_j_per_request"):
            table.add_row(f"energy.{key}", f"{energy[key]:,.4g}")
    console.print(table)


@app.command("train-sim")
def train_sim_cmd(
    path: Annotated[Path, typer.Argument(help="Run directory (plan.json + assignments.parquet).", metavar="RUN_DIR")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of job arrivals and failures (>= 0).")] = 0,
    mtbf_gpu_h: Annotated[float | None, typer.Option("--mtbf-gpu-h", help="Mean GPU-hours between failures per GPU (default 50,000, Llama 3 2024); 0 = no failures.")] = None,
    checkpoint_h: Annotated[float | None, typer.Option("--checkpoint-h", help="Hours of progress between checkpoints (default 0.25, assumption).")] = None,
    restart_h: Annotated[float | None, typer.Option("--restart-h", help="Restart overhead after a failure in hours (default 0.25, assumption).")] = None,
    load: Annotated[float | None, typer.Option("--load", help="Offered GPU-hours / campus GPU-hours (default 0.85, assumption).")] = None,
    backfill: Annotated[bool, typer.Option("--backfill/--no-backfill", help="EASY backfilling (default) or strict FIFO.")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Write summary.json, campuses.parquet, jobs.parquet here.")] = None,
    overwrite: OverwriteOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON line (last line).")] = False,
) -> None:
    """Simulate a year of training jobs at each core campus of a run directory's plan."""
    from coredge.files import check_out
    from coredge.store import read_run
    from coredge.training import jobs as T

    if not path.is_dir():
        raise InputError.of("RUN_DIR", str(path), "a run directory (from `coredge run` or `coredge plan`)")
    if mtbf_gpu_h is not None and not (mtbf_gpu_h >= 0 and math.isfinite(mtbf_gpu_h)):
        raise InputError.of("--mtbf-gpu-h", mtbf_gpu_h, "hours >= 0 (0 = no failures)")
    if out is not None:
        check_out(out, overwrite)
    run = read_run(path)
    inputs, plan = run.inputs, run.plan
    err_console.print(f"simulating a year of training jobs for {path} ...")
    res = T.training_from_plan(
        inputs, plan, seed=seed,
        mtbf_gpu_h=T.DEFAULT_MTBF_GPU_H if mtbf_gpu_h is None else (mtbf_gpu_h or None),
        checkpoint_h=T.DEFAULT_CHECKPOINT_H if checkpoint_h is None else checkpoint_h,
        restart_h=T.DEFAULT_RESTART_H if restart_h is None else restart_h,
        load=T.DEFAULT_LOAD if load is None else load, backfill=backfill)
    summary = {**res.summary, "campus_table": res.campuses.to_dict(orient="records")}
    if out is not None:
        _write_training(out, summary, res, overwrite)
        err_console.print(f"wrote {out}")
    if json_out:
        emit_json(summary)
        return
    table = Table(title=f"training jobs, plan year {res.year}")
    for col in ("site_id", "campus_gpus", "jobs", "utilization", "lost_frac", "failures",
                "mean_queue_delay_h", "energy_mwh"):
        table.add_column(col, justify="right")
    for r in res.campuses.to_dict(orient="records"):
        table.add_row(*(f"{r[c]:,.4g}" if isinstance(r[c], float) else f"{r[c]:,}" if isinstance(r[c], int) else str(r[c])
                        for c in ("site_id", "campus_gpus", "jobs", "utilization", "lost_frac", "failures",
                                  "mean_queue_delay_h", "energy_mwh")))
    console.print(table)


def _write_training(out: Path, summary: dict[str, object], res: object, overwrite: bool) -> None:
    """Write the training run atomically (`coredge.files.atomic_dir`)."""
    from coredge.files import atomic_dir, to_json_line

    with atomic_dir(out, "train-sim", overwrite=overwrite) as tmp:
        (tmp / "summary.json").write_text(to_json_line(summary) + "\n", encoding="utf-8")
        res.campuses.to_parquet(tmp / "campuses.parquet", index=False)  # type: ignore[attr-defined]
        res.jobs.to_parquet(tmp / "jobs.parquet", index=False)  # type: ignore[attr-defined]
