"""``coredge profile``, ``coredge train`` and ``coredge site``: the physics models on the command line."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from coredge.catalog.accelerators import get_accelerator
from coredge.catalog.llm_models import get_model
from coredge.cli.app import app, console, emit_json, err_console
from coredge.errors import InputError
from coredge.physics.engine_profile import engine_profile
from coredge.physics.serving import ServingProfile, max_batch, min_tp
from coredge.physics.site import DEFAULT_IT_LOAD_FRAC, site_report
from coredge.physics.training import estimate

_DTYPES = ("bf16", "fp16", "fp8", "fp4", "int4")


def _dtype(d: str) -> str:
    if d not in _DTYPES:
        raise InputError.of("--dtype", d, "one of: " + ", ".join(_DTYPES))
    return d


def _point_dict(p: Any) -> dict[str, Any]:
    return {
        "batch": p.batch,
        "context": p.context,
        "tp": p.tp,
        "tokens_per_s": p.tokens_per_s,
        "tokens_per_s_per_gpu": p.tokens_per_s_per_gpu,
        "ttft_ms": p.ttft_ms,
        "tpot_ms": p.tpot_ms,
        "power_w": p.power_w,
        "joules_per_token": p.joules_per_token,
        "fits": p.fits,
    }


@app.command("profile")
def profile_command(
    model: str = typer.Option(
        ..., "--model", help="llama3-8b, llama3-70b, llama3-405b, llama2-70b, mixtral-8x7b"
    ),
    gpu: str = typer.Option(..., "--gpu", help="v100, a100, h100, h200, b200, gb200, l40s, l4"),
    tp: int | None = typer.Option(
        None, "--tp", help="Tensor-parallel GPUs (1, 2, 4, 8); default the smallest that fits."
    ),
    batch: int | None = typer.Option(
        None, "--batch", help="Sequences per decode step; omit for a table over batch sizes."
    ),
    context: int = typer.Option(4096, "--context", help="KV-cache tokens per sequence."),
    prompt_tokens: int | None = typer.Option(
        None, "--prompt-tokens", help="Prompt length for TTFT [tokens]; default --context."
    ),
    dtype: str = typer.Option(
        "bf16", "--dtype", help="Weight dtype: bf16, fp16, fp8, fp4 (Blackwell), int4."
    ),
    isl: int | None = typer.Option(
        None, "--isl", help="Prompt tokens per request: engine model (with --osl)."
    ),
    osl: int | None = typer.Option(None, "--osl", help="Output tokens per request (with --isl)."),
    engine: str = typer.Option("trtllm", "--engine", help="Serving engine: trtllm or vllm."),
    qps: float | None = typer.Option(
        None, "--qps", help="Offered requests/s to one replica: TTFT, TPOT at that load."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Serving profile of a model on an accelerator: tokens/s, TTFT, TPOT, power, J/token.

    With --isl and --osl: the engine model (continuous batching, prefill included, the engine's
    limits): offline maximum output tokens/s per GPU, and with --qps the mean TTFT and TPOT at
    that load (a queueing model, named in the output). Without: the decode roofline by batch.
    """
    m = get_model(model, "--model")
    g = get_accelerator(gpu, "--gpu")
    d = _dtype(dtype)
    g.peak_tflops(d)
    if isl is not None or osl is not None or qps is not None:
        _engine_profile(m.id, g.id, d, isl, osl, tp, engine, qps, json_out)
        return
    if context < 1:
        raise InputError.of("--context", context, "a positive number of tokens")
    if batch is not None and batch < 1:
        raise InputError.of("--batch", batch, "a positive batch size")
    if prompt_tokens is not None and prompt_tokens < 1:
        raise InputError.of("--prompt-tokens", prompt_tokens, "a positive number of tokens")
    tp_ = min_tp(m, g, context, d) if tp is None else tp
    prof = ServingProfile(m.id, g.id, tp_, d)
    b_max = int(max_batch(m, g, context, tp_, d))
    head = {"model": m.id, "gpu": g.id, "tp": tp_, "dtype": d, "max_batch": b_max}
    if batch is not None:
        p = prof.point(batch, context, prompt_tokens)
        if not p.fits:
            err_console.print(
                f"warning: batch {batch} at context {context} does not fit memory "
                f"(max batch {b_max})"
            )
        out = {**head, **_point_dict(p)}
        if json_out:
            emit_json(out)
            return
        t = Table(title=f"{m.name} on {tp_} x {g.name} ({d})")
        t.add_column("figure")
        t.add_column("value", justify="right")
        for k, v in out.items():
            t.add_row(k, f"{v:,.3f}" if isinstance(v, float) else str(v))
        console.print(t)
        return
    sizes = [b for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048) if b < b_max]
    if b_max >= 1:
        sizes.append(b_max)
    rows = [_point_dict(prof.point(b, context, prompt_tokens)) for b in sizes]
    if json_out:
        emit_json({**head, "context": context, "rows": rows})
        return
    t = Table(title=f"{m.name} on {tp_} x {g.name} ({d}), context {context}, max batch {b_max}")
    for col in ("batch", "tok/s", "tok/s/GPU", "TTFT ms", "TPOT ms", "W/GPU", "J/token"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(
            str(r["batch"]),
            f"{r['tokens_per_s']:,.0f}",
            f"{r['tokens_per_s_per_gpu']:,.0f}",
            f"{r['ttft_ms']:,.1f}",
            f"{r['tpot_ms']:,.2f}",
            f"{r['power_w']:,.0f}",
            f"{r['joules_per_token']:,.3f}",
        )
    console.print(t)


def _engine_profile(
    model: str,
    gpu: str,
    dtype: str,
    isl: int | None,
    osl: int | None,
    tp: int | None,
    engine: str,
    qps: float | None,
    json_out: bool,
) -> None:
    for name, v in (("--isl", isl), ("--osl", osl)):
        if v is None or v < 1:
            raise InputError.of(name, v, "a positive number of tokens (--isl and --osl together)")
    assert isl is not None and osl is not None
    r = engine_profile(model, gpu, dtype, isl, osl, tp, engine, qps)
    # the legacy key: the largest batch of isl + osl tokens the engine's KV memory holds
    out = {"model": model, "gpu": gpu, "dtype": dtype, "max_batch": r["kv_batch"], **r}
    if json_out:
        emit_json(out)
        return
    t = Table(title=f"{model} on {r['tp']} x {gpu} ({dtype}), {r['engine']}, ISL {isl} / OSL {osl}")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for k, v in out.items():
        t.add_row(k, "-" if v is None else (f"{v:,.3f}" if isinstance(v, float) else str(v)))
    console.print(t)


@app.command("train")
def train_command(
    params: float = typer.Option(..., "--params", help="Parameters, e.g. 405e9."),
    tokens: float = typer.Option(..., "--tokens", help="Training tokens, e.g. 15.6e12."),
    gpu: str = typer.Option("h100", "--gpu", help="v100, a100, h100, h200, b200, gb200"),
    gpus: int | None = typer.Option(None, "--gpus", help="GPU count (for wall days)."),
    mfu: float | None = typer.Option(
        None, "--mfu", help="Model-FLOPs utilisation; default per GPU."
    ),
    goodput: float | None = typer.Option(None, "--goodput", help="Useful share of wall time."),
    pue: float = typer.Option(1.1, "--pue", help="Facility PUE."),
    grid: float | None = typer.Option(
        None, "--grid-gco2-per-kwh", help="Grid intensity [g CO2/kWh]."
    ),
    dtype: str = typer.Option("bf16", "--dtype", help="bf16 or fp8 training."),
    power_w: float | None = typer.Option(
        None,
        "--power-w",
        help="Average system power per GPU at training load incl. host share, before PUE [W]; "
        "default: measured for the GPU, else derived from its nameplate.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Training run estimate: FLOPs, GPU-hours, days, energy, CO2."""
    if dtype not in ("bf16", "fp8"):
        raise InputError.of("--dtype", dtype, "one of: bf16, fp8")
    e = estimate(
        params, tokens, gpu, gpus, mfu, goodput, pue, grid, dtype=dtype, avg_power_w_per_gpu=power_w
    )
    out = {
        "gpu": get_accelerator(gpu).id,
        "flops": e.flops,
        "gpu_hours": e.gpu_hours,
        "days": e.days,
        "energy_mwh": e.energy_mwh,
        "co2_t": e.co2_t,
        "mfu": e.mfu,
        "goodput": e.goodput,
        "pue": e.pue,
        "avg_power_w_per_gpu": e.avg_power_w_per_gpu,
        "power_source": e.power_source,
        "nameplate_w_per_gpu": e.nameplate_w_per_gpu,
        "mfu_source": e.mfu_source,
        "gpus": e.gpus,
    }
    if json_out:
        emit_json(out)
        return
    t = Table(title="training estimate")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for k, v in out.items():
        t.add_row(k, "-" if v is None else (f"{v:,.4g}" if isinstance(v, float) else str(v)))
    console.print(t)


@app.command("site")
def site_command(
    tier: str = typer.Option(..., "--tier", help="core, regional or micro"),
    it_mw: float = typer.Option(..., "--it-mw", help="IT capacity [MW]."),
    state: str = typer.Option(..., "--state", help="US state (USPS code)."),
    cooling: str | None = typer.Option(
        None, "--cooling", help="air, rear-door, direct-liquid, immersion; default the tier's."
    ),
    backup: str | None = typer.Option(
        None, "--backup", help="diesel or fuel-cell; default the tier's."
    ),
    rack_kw: float | None = typer.Option(None, "--rack-kw", help="Rack density [kW/rack]."),
    it_load: float = typer.Option(
        DEFAULT_IT_LOAD_FRAC, "--it-load", help="Mean IT load [fraction of capacity]."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Site facility model: facility MW, PUE, capex by component, energy cost, backup, CO2."""
    r = site_report(tier, it_mw, state, cooling, backup, rack_kw=rack_kw, it_load_frac=it_load)
    out = r.to_dict()
    if json_out:
        emit_json(out)
        return
    t = Table(title=f"{tier} site, {it_mw:g} MW IT in {r.state}")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for k, v in out.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                t.add_row(f"{k}.{kk}", f"{vv:,.0f}")
        elif isinstance(v, float):
            t.add_row(k, f"{v:,.3f}")
        elif v not in ([], None):
            t.add_row(k, str(v))
    console.print(t)
