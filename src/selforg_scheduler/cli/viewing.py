"""Commands that show a rota or the contract: render, ical, report, schema."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from selforg_scheduler.cli.common import (
    RulesOpt,
    SetOpt,
    VerboseOpt,
    app,
    err,
    guarded,
    load_rule_set,
    out,
    setup_logging,
)
from selforg_scheduler.cli.tables import print_frame
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.outputs.files import check_writable

if TYPE_CHECKING:
    from selforg_scheduler.outputs.reports import FileFormat

__all__ = ["ReportFormat", "SchemaKind", "ical", "render", "report", "schema"]


@app.command()
@guarded
def render(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="the HTML page to write")] = Path("out/rota.html"),
    png: Annotated[Path | None, typer.Option(help="also write the Gantt as a PNG here")] = None,
    buddies_png: Annotated[
        Path | None, typer.Option("--buddies-png", help="also write the buddy graph as a PNG here")
    ] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """A self-contained HTML page of the rota (per-worker Gantt of each day), optionally PNGs."""
    setup_logging(verbose)
    check_writable(out_path, "--out")
    for option, picture in (("--png", png), ("--buddies-png", buddies_png)):
        if picture is not None:
            _check_picture(picture, option)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.render import render_buddies_png, render_png, write_html

    written = [write_html(inst, sol, out_path)]
    if png is not None:
        written.append(render_png(inst, sol, png))
    if buddies_png is not None:
        written.append(render_buddies_png(inst, buddies_png))
    out.print("written: " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)


def _check_picture(path: Path, option: str) -> None:
    """A picture's path: writable, and a format matplotlib writes (PNG when it has no suffix)."""
    check_writable(path, option)
    fmt = path.suffix.lstrip(".").lower()
    if fmt:
        from matplotlib.figure import Figure

        known = Figure().canvas.get_supported_filetypes()
        if fmt not in known:
            raise InputError(
                f"cannot write a picture as .{fmt}: use one of " + ", ".join(f".{k}" for k in sorted(known)),
                field=f"{option} {path}",
            )


@app.command()
@guarded
def ical(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for one WORKER.ics per worker")] = Path(
        "out/ical"
    ),
    verbose: VerboseOpt = 0,
) -> None:
    """One iCalendar file per worker: each visit an event with the client's name and address.

    Files are named by worker id; an id that is not a safe file name (``a/b``, ``../x``) is made one
    (``a_b.ics``, ``_x.ics``), and the renamed ones are listed."""
    setup_logging(verbose)
    check_writable(out_dir, "--out", folder=True)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.ical import write_calendars

    paths = write_calendars(inst, sol, out_dir)
    out.print(f"{len(paths)} calendars written to {out_dir}", highlight=False, soft_wrap=True)
    for wid, path in paths.items():
        if path.name != f"{wid}.ics":
            out.print(f"worker {wid!r}: {path.name}", markup=False, highlight=False, soft_wrap=True)


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    parquet = "parquet"
    json = "json"


FILE_FORMATS: dict[ReportFormat, FileFormat] = {
    ReportFormat.csv: "csv",
    ReportFormat.parquet: "parquet",
    ReportFormat.json: "json",
}
"""The formats written to files (``table`` is the terminal, and csv files with ``--out``)."""


@app.command()
@guarded
def report(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="table (terminal), csv, parquet or json")
    ] = ReportFormat.table,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="folder for the files (default out/report)")
    ] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Each worker's week, each client's week and what each soft rule cost whom (polars tables)."""
    setup_logging(verbose)
    if fmt is not ReportFormat.table or out_dir is not None:
        check_writable(out_dir or Path("out/report"), "--out", folder=True)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.reports import build_reports, write_reports

    reports = build_reports(inst, sol, load_rule_set(rules, set_))
    for warning in reports.report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    if fmt is ReportFormat.table:
        for title, frame in (
            ("Workers' week", reports.workers),
            ("Clients' week", reports.clients),
            (
                "Cost by rule and owner",
                reports.costs.drop("subject").group_by("rule", "kind", "owner", maintain_order=True).sum(),
            ),
        ):
            print_frame(title, frame)
        out.print(
            f"objective {reports.report.objective:,} = sum of the costs {reports.costs['cost'].sum():,.6g}",
            highlight=False,
        )
        if out_dir is None:
            return
        fmt = ReportFormat.csv
    paths = write_reports(reports, out_dir or Path("out/report"), FILE_FORMATS[fmt])
    out.print("written: " + ", ".join(str(p) for p in paths), highlight=False, soft_wrap=True)


class SchemaKind(str, Enum):
    instance = "instance"
    solution = "solution"


@app.command()
@guarded
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="instance or solution")],
) -> None:
    """Print the JSON Schema of the instance or solution contract."""
    model = Instance if kind is SchemaKind.instance else Solution
    sys.stdout.write(json.dumps(model.model_json_schema(), indent=2) + "\n")
