"""`coredge run`, `validate`, `scenarios` and `rtt`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from coredge.cli.app import (
    JsonOpt,
    OverwriteOpt,
    ScenarioArg,
    Table,
    VariantOpt,
    app,
    break_even_line,
    console,
    emit_json,
    err_console,
)
from coredge.errors import InputError
from coredge.formatting import usd
from coredge.plan.resilience import explain

OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Run directory to write (default: runs/<scenario>-<time>)."),
]


def _progress(quiet: bool) -> Any:
    def say(msg: str) -> None:
        if not quiet:
            err_console.print(f"[dim]·[/] {escape(msg)}", highlight=False)

    return say


def print_summary(summary: dict[str, Any]) -> None:
    """Rich tables of a run summary (stdout)."""
    t = Table(title=f"coredge run: {summary['scenario']}" + (f" ({summary['variant']})" if summary.get("variant") else ""))
    for col in ("tier", "sites", "IT MW", "facility MW", "GPUs", "NPV"):
        t.add_column(col, justify="right" if col != "tier" else "left")
    for tier, n in summary["sites_by_tier"].items():
        t.add_row(
            tier,
            str(n),
            f"{summary['it_mw_by_tier'][tier]:,.1f}",
            f"{summary['facility_mw_by_tier'][tier]:,.1f}",
            f"{summary['gpus_by_tier'][tier]:,}",
            usd(summary["npv_usd_by_tier"][tier]),
        )
    console.print(t)
    c = Table(title="latency coverage (final plan year)")
    c.add_column("class")
    c.add_column("RTT budget", justify="right")
    c.add_column("coverage", justify="right")
    for k, v in summary["coverage_by_class"].items():
        b = "none" if v["rtt_budget_ms"] is None else f"{v['rtt_budget_ms']:.0f} ms"
        c.add_row(k, b, f"{100 * v['coverage']:.2f}%")
    console.print(c)
    ssf = summary.get("single_site_failure")
    if ssf and "survives_all" in ssf:
        for line in explain(ssf):
            console.print(line, markup=False)
    irr = summary.get("irr")
    irr_txt = f"{irr:.1%}" if isinstance(irr, float) and irr == irr else "none"
    console.print(
        f"capex {usd(summary['capex_usd'])} · NPV {usd(summary['npv_usd'])} at "
        f"{summary['discount_rate']:.1%} · IRR {irr_txt} · planner {summary['planner']} ({summary['status']}"
        + (f", certified gap {summary['gap']:.2%}" if isinstance(summary.get("gap"), float) else "") + ")"
    )
    be = summary.get("break_even") or {}
    if be.get("landlord") or be.get("operator"):
        console.print(break_even_line(be))
    from coredge.cli.power import power_line

    pl = power_line(summary)
    if pl:
        console.print(pl, markup=False)
    for w in summary.get("warnings") or []:
        console.print(Text("warning: ", style="bold yellow") + Text(str(w["message"])))
    console.print(f"run directory: {summary['run_dir']}\nreport: {summary['report']}")


@app.command("run")
def run_cmd(
    scenario: ScenarioArg = None,
    scenario_variant: VariantOpt = None,
    out: OutOpt = None,
    overwrite: OverwriteOpt = False,
    json_out: JsonOpt = False,
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Also plan the all-core and edge-heavy strategies and compare them in the report."),
    ] = False,
) -> None:
    """Plan, cost and report a scenario end to end; writes a run directory."""
    _execute_and_write(scenario, scenario_variant, out, json_out, overwrite, compare=compare)


def _execute_and_write(
    scenario: str | None,
    variant: str | None,
    out: Path | None,
    json_out: bool,
    overwrite: bool = False,
    compare: bool = False,
    **planner: Any,
) -> None:
    """Run the pipeline, write the run directory, print the summary (table or JSON line); with
    `compare`, the strategy comparison (`coredge.studies.compare`) goes into the same report."""
    from coredge.files import check_out
    from coredge.pipeline import execute, write_run
    from coredge.plan.preflight import check_source
    from coredge.store import default_run_dir

    say = _progress(False)
    from coredge.power.planner_paths import with_power_paths

    sc, findings = check_source(scenario, variant, with_power_paths)  # the gate `execute` runs
    target = out if out is not None else default_run_dir(sc.name, variant)
    check_out(target, overwrite)  # refuse a folder that is not ours before any work
    say(f"scenario {sc.name}" + (f" (variant {variant})" if variant else ""))
    print_gate_warnings(findings.warnings)
    res = execute(sc, variant, progress=say, **planner)
    table = None
    if compare:
        from coredge.studies.compare import compare_strategies, comparison_table

        table = comparison_table(compare_strategies(sc, progress=say, reuse={"blended": res}))
    write_run(res, target, progress=say, overwrite=overwrite, compare=table)
    if json_out:
        emit_json(res.summary)
    else:
        print_summary(res.summary)


def print_gate_warnings(warnings: list[dict[str, Any]]) -> None:
    """The gate's warnings (`coredge.plan.preflight`), loud, on stderr."""
    for w in warnings:
        err_console.print(Text("warning: ", style="bold yellow") + Text(str(w["message"])))


@app.command("validate")
def validate_cmd(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file or built-in name.")],
    json_out: JsonOpt = False,
) -> None:
    """Run every check `coredge run` makes before solving, on the base and every variant:
    schema, semantics, data (tariffs, grid carbon, demand points), reachability of each class,
    training hosting; report every problem at once (exit 2 if any) and every warning."""
    from coredge.plan.preflight import check_file
    from coredge.power.planner_paths import with_power_paths

    base, variants, findings = check_file(scenario, with_power_paths)  # the gate `coredge run` runs
    base_said = {str(w["message"]) for w in findings["base"].warnings} if "base" in findings else set()
    warnings = [  # a variant's warning the base already gives is said once
        {**w, "scenario": label} for label, f in findings.items() for w in f.warnings
        if label == "base" or str(w["message"]) not in base_said
    ]
    if json_out:
        emit_json({"valid": True, "scenario": base.name, "variants": list(variants),
                   "warnings": warnings})
        return
    for w in warnings:
        prefix = "" if w["scenario"] == "base" else f"(variant {w['scenario']}) "
        console.print(Text("warning: ", style="bold yellow") + Text(prefix + str(w["message"])))
    console.print(
        f"[green]ok[/]: scenario '{escape(base.name)}' is valid"
        + (f" with variants: {escape(', '.join(variants))}" if variants else "")
        + (f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else ""),
        markup=True,
    )


@app.command("scenarios")
def scenarios_cmd(json_out: JsonOpt = False) -> None:
    """List the built-in scenarios and their variants."""
    from coredge.scenario.load import builtin_scenarios, read_yaml

    rows: list[dict[str, Any]] = []
    for name, path in builtin_scenarios().items():
        raw = read_yaml(path)
        rows.append(
            {
                "name": name,
                "description": " ".join(str(raw.get("description", "")).split()),
                "variants": list((raw.get("variants") or {}).keys()),
                "path": str(path),
            }
        )
    if json_out:
        emit_json({"scenarios": rows})
        return
    t = Table(title="built-in scenarios")
    t.add_column("name")
    t.add_column("variants")
    t.add_column("description")
    for r in rows:
        t.add_row(r["name"], ", ".join(r["variants"]), r["description"])
    console.print(t)


_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def resolve_place(text: str, field: str) -> tuple[float, float, str]:
    """A built-in city name or a 'lat,lon' pair -> (lat, lon, label)."""
    m = _LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not -90 <= lat <= 90:
            raise InputError.of(field, text, "a latitude in [-90, 90]")
        if not -180 <= lon <= 180:
            raise InputError.of(field, text, "a longitude in [-180, 180]")
        return lat, lon, f"{lat:.4f},{lon:.4f}"
    from coredge.catalog.places import find_city

    c = find_city(text, field)
    return float(c["lat"]), float(c["lon"]), str(c["label"])


RTT_PAIR_COLUMNS: tuple[str, ...] = ("a_lat", "a_lon", "b_lat", "b_lon")
"""Columns ``coredge rtt --pairs`` needs [degrees]."""

RTT_OUT_COLUMNS: tuple[str, ...] = ("distance_km", "rtt_ms", "user_rtt_ms")
"""Columns ``coredge rtt --pairs`` adds [km, ms, ms]."""


def read_rtt_pairs(path: Path) -> Any:
    """Read and check a ``--pairs`` CSV: the coordinate columns as floats, other columns as text.

    Raises `InputError` naming the column and the data row (1 = first row after the header) of
    the first missing or out-of-range value.
    """
    import pandas as pd

    if not path.is_file():
        raise InputError.of("--pairs", str(path), "an existing CSV file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError.of("--pairs", str(path), f"a readable CSV file ({exc})") from None
    missing = [c for c in RTT_PAIR_COLUMNS if c not in df.columns]
    if missing:
        raise InputError.of(
            "--pairs", str(path), f"a CSV with columns {', '.join(RTT_PAIR_COLUMNS)} (missing: {', '.join(missing)})"
        )
    clash = [c for c in RTT_OUT_COLUMNS if c in df.columns]
    if clash:
        raise InputError.of("--pairs", str(path), f"no column named {', '.join(clash)} (coredge writes it)")
    for col in RTT_PAIR_COLUMNS:
        vals = pd.to_numeric(df[col].str.strip(), errors="coerce")
        limit = 90.0 if col.endswith("lat") else 180.0
        bad = vals.isna() | ~vals.between(-limit, limit)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            what = "a latitude in [-90, 90]" if limit == 90.0 else "a longitude in [-180, 180]"
            raise InputError.of(f"--pairs column {col}, row {i + 1}", df[col].iat[i], what)
        df[col] = vals.astype(float)
    return df


def _rtt_network(model: str | None, route_inflation: float | None) -> Any:
    from coredge.scenario.schema import NetworkSpec

    if model is not None and model not in ("calibrated", "fixed-inflation"):
        raise InputError.of("--model", model, "one of: calibrated, fixed-inflation")
    if route_inflation is not None:
        if not 1.0 <= route_inflation <= 5.0:
            raise InputError.of("--route-inflation", route_inflation, "a ratio in [1, 5]")
        if model == "calibrated":
            raise InputError.of("--route-inflation", route_inflation, "only with --model fixed-inflation")
        model = "fixed-inflation"
    settings: dict[str, Any] = {"model": model or "calibrated"}
    if route_inflation is not None:
        settings["route_inflation"] = route_inflation
    return NetworkSpec(**settings)


@app.command("rtt", context_settings={"ignore_unknown_options": True})  # "-33.87,151.21" is a place
def rtt_cmd(
    origin: Annotated[
        str | None, typer.Argument(metavar="FROM", help="City name (e.g. 'New York') or 'lat,lon'.")
    ] = None,
    dest: Annotated[str | None, typer.Argument(metavar="TO", help="City name or 'lat,lon'.")] = None,
    pairs: Annotated[
        Path | None,
        typer.Option("--pairs", help="CSV of pairs (columns a_lat, a_lon, b_lat, b_lon; others kept)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV to write with --pairs (adds distance_km, rtt_ms, user_rtt_ms).")
    ] = None,
    access: Annotated[
        str, typer.Option("--access", help="User's last mile: fiber, cable, dsl, fixed, 5g, fwa, leo, none.")
    ] = "fiber",
    model: Annotated[
        str | None, typer.Option("--model", help="Backbone model: calibrated (default) or fixed-inflation.")
    ] = None,
    route_inflation: Annotated[
        float | None,
        typer.Option("--route-inflation", help="Fixed-inflation model: fiber route / great circle (2.1 typical, 1.3 best)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the --out CSV if it exists (never replaced otherwise).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Distance and round-trip time between two places, or between many (--pairs): backbone and
    user-perceived (backbone + the last mile of --access)."""
    from coredge.latency import access_rtt_ms, pair_rtt_ms

    for text in (origin, dest):
        if text is not None and text.startswith("--"):
            raise InputError.of("option", text, "one of the options of coredge rtt --help")
    net = _rtt_network(model, route_inflation)
    acc = access_rtt_ms(access)
    if pairs is not None:
        if origin is not None or dest is not None:
            raise InputError.of("FROM TO", f"{origin} {dest or ''}".strip(), "no places with --pairs")
        if out is None:
            raise InputError.of("--out", None, "a CSV path to write (required with --pairs)")
        _rtt_pairs(pairs, out, net, acc, overwrite, json_out)
        return
    if origin is None or dest is None:
        raise InputError.of("FROM TO", origin, "two places (city names or 'lat,lon'), or --pairs PAIRS.csv")
    if out is not None:
        raise InputError.of("--out", str(out), "only with --pairs")
    la, lo, a_label = resolve_place(origin, "FROM")
    lb, lob, b_label = resolve_place(dest, "TO")
    d_arr, rtt_arr = pair_rtt_ms(net, la, lo, lb, lob)
    d, backbone = float(d_arr), float(rtt_arr)
    result = {
        "from": a_label,
        "to": b_label,
        "distance_km": d,
        "rtt_ms": backbone,
        "access_technology": access,
        "access_rtt_ms": acc,
        "user_rtt_ms": backbone + acc,
        "model": net.model,
        "route_inflation": net.route_inflation if net.model == "fixed-inflation" else None,
    }
    if json_out:
        emit_json(result)
        return
    how = f"x{net.route_inflation} route" if net.model == "fixed-inflation" else "calibrated model"
    console.print(
        f"{a_label} -> {b_label}: {d:,.0f} km great circle; backbone RTT {backbone:.1f} ms "
        f"({how}); user RTT over {access} {backbone + acc:.1f} ms"
    )


def _rtt_pairs(pairs: Path, out: Path, net: Any, acc: float, overwrite: bool, json_out: bool) -> None:
    from coredge.files import atomic_write_text
    from coredge.latency import pair_rtt_ms

    out = Path(out)
    if out.is_dir() or out.is_symlink():
        raise InputError.of("--out", str(out), "a CSV file path (not a folder or a link)")
    if out.exists() and not overwrite:
        raise InputError.of("--out", str(out), "a new file; this file exists: pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise InputError.of("--out", str(out), "a path in an existing folder")
    if out.resolve() == Path(pairs).resolve():
        raise InputError.of("--out", str(out), "a file other than --pairs")
    df = read_rtt_pairs(Path(pairs))
    d, rtt = pair_rtt_ms(net, df["a_lat"], df["a_lon"], df["b_lat"], df["b_lon"])
    df["distance_km"] = d
    df["rtt_ms"] = rtt
    df["user_rtt_ms"] = rtt + acc
    atomic_write_text(out, df.to_csv(index=False))
    summary = {"pairs": len(df), "out": str(out), "model": net.model, "access_rtt_ms": acc}
    if json_out:
        emit_json(summary)
        return
    console.print(f"{len(df):,} pairs -> {out} (model {net.model}; access {acc:g} ms)")


@app.command("plan")
def plan_cmd(
    scenario: ScenarioArg = None,
    scenario_variant: VariantOpt = None,
    out: OutOpt = None,
    planner: Annotated[
        str | None, typer.Option("--planner", help="milp or greedy (default: the scenario's planning.planner).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit [s].")
    ] = None,
    gap: Annotated[
        float | None, typer.Option("--gap", help="Relative optimality gap at which to stop, e.g. 0.01.")
    ] = None,
    overwrite: OverwriteOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Plan a scenario (which sites, tier, MW and GPUs, in which year) and write a run directory."""
    if planner is not None and planner not in ("milp", "greedy"):
        raise InputError.of("--planner", planner, "one of: milp, greedy")
    if time_limit is not None and not time_limit > 0:
        raise InputError.of("--time-limit", time_limit, "a positive number of seconds")
    if gap is not None and not 0 <= gap < 1:
        raise InputError.of("--gap", gap, "a fraction in [0, 1)")
    _execute_and_write(
        scenario, scenario_variant, out, json_out, overwrite, planner=planner, time_limit_s=time_limit, mip_rel_gap=gap
    )
