"""Commands that make instances: generate (a realistic week) and import-mankowska (a benchmark)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from selforg_scheduler.cli.common import VerboseOpt, app, guarded, out, setup_logging
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import instance_from_dict
from selforg_scheduler.outputs.files import check_writable, write_text_atomic

__all__ = ["generate", "import_mankowska"]


@app.command()
@guarded
def generate(
    workers: Annotated[int, typer.Option(help="workers in the whole instance", min=1)] = 12,
    visits: Annotated[
        int,
        typer.Option(
            help="visits wanted (every one planted where the workers can carry them; a shortfall is said)", min=0
        ),
    ] = 450,
    days: Annotated[int, typer.Option(help="days in the horizon", min=1, max=28)] = 7,
    teams: Annotated[
        int, typer.Option(help="teams of the organisation, each with its own clients and area", min=1)
    ] = 1,
    seed: Annotated[int, typer.Option(help="random seed: same arguments, same instance")] = 1,
    start: Annotated[str, typer.Option(help="first day of the horizon (YYYY-MM-DD)")] = "2026-11-30",
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the instance JSON")] = Path(
        "out/instance.json"
    ),
    plan_path: Annotated[
        Path | None, typer.Option("--plan", help="where to write the planted rota (default: OUT with .plan.json)")
    ] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """A realistic week built around a planted rota that covers every visit and keeps every hard rule."""
    setup_logging(verbose)
    from datetime import date

    from selforg_scheduler.datasets.generate import generate_instance

    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {start!r}", field="--start") from None
    if workers < teams:
        raise InputError(f"{teams} teams need at least {teams} workers, not {workers}", field="--workers")
    check_writable(out_path, "--out")  # before generating, not after
    plan_path = plan_path or out_path.with_name(out_path.name.removesuffix(".json") + ".plan.json")
    check_writable(plan_path, "--plan")
    if plan_path.absolute() == out_path.absolute():
        raise InputError(f"the planted rota would overwrite the instance {out_path}", field="--plan")
    made = generate_instance(workers=workers, visits=visits, days=days, seed=seed, start=first, teams=teams)
    texts = [
        (path, json.dumps(data, indent=1) + "\n") for path, data in ((out_path, made.instance), (plan_path, made.plan))
    ]
    for path, text in texts:
        write_text_atomic(path, text)
    got = len(made.instance["visits"])
    short = f" (short of {visits}: the workers cannot carry more)" if got < visits else ""
    out.print(
        f"{len(made.instance['workers'])} workers, {len(made.instance['clients'])} clients, {got} visits"
        f"{short} over {days} days in {teams} team{'s' if teams > 1 else ''}",
        highlight=False,
    )
    out.print(
        f"instance written to {out_path}; planted rota (every visit covered) to {plan_path}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("import-mankowska")
@guarded
def import_mankowska(
    file: Annotated[Path, typer.Argument(help="a Mankowska et al. (2014) benchmark file (.txt)")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the contract instance")] = Path(
        "out/mankowska.json"
    ),
) -> None:
    """Convert a Mankowska et al. (2014) benchmark file to a contract instance (solve it with
    --rules constraints/mankowska.yaml; the benchmark's objective is the objective / 30000)."""
    from selforg_scheduler.datasets.mankowska import (
        OBJECTIVE_SCALE,
        read_mankowska,
        to_instance,
    )

    check_writable(out_path, "--out")
    data = read_mankowska(file)
    raw = to_instance(data)
    instance_from_dict(raw, file=str(file))  # the converter's output must meet the contract
    write_text_atomic(out_path, json.dumps(raw, indent=1) + "\n")
    out.print(
        f"{data.name}: {len(data.patients)} patients, {len(raw['visits'])} services, {data.carers} carers, "
        f"{len(raw['dependencies'])} linked pairs -> {out_path}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"solve with: selforg-scheduler solve {out_path} --rules constraints/mankowska.yaml "
        f"(benchmark objective = objective / {OBJECTIVE_SCALE})",
        highlight=False,
        soft_wrap=True,
    )
