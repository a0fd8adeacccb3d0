"""``repair``: sick cover, printed for the people who must be told.

The changes are grouped by the worker who must hear of them (what they gain, lose or do at
another time), and for every visit the absence forces to move, who could take it, best first.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from selforg_scheduler.cli.common import (
    WORKERS_HELP,
    RulesOpt,
    SetOpt,
    VerboseOpt,
    app,
    guarded,
    load_rule_set,
    out,
    parse_when,
    setup_logging,
)
from selforg_scheduler.cli.tables import Col, fitted_table, print_status, print_unassigned, print_violations
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import load_instance, load_solution, solution_json
from selforg_scheduler.outputs.files import atomic_path, check_writable, write_text_atomic

if TYPE_CHECKING:
    import polars as pl

    from selforg_scheduler.modes.repair import Candidate, RepairResult

SHOWN_CANDIDATES = 5
"""Workers listed for each forced visit (the rest are in the JSON rota's log, not printed)."""


def _when(text: str | None) -> str:
    """``Tue 09:30`` from an ISO date-time (as the diff holds them)."""
    return f"{datetime.fromisoformat(text):%a %H:%M}" if text else "-"


def tell_tables(tell: pl.DataFrame, width: int) -> list[Table]:
    """One small table per worker who must be told: each change to their week."""
    tables = []
    for worker in tell["worker"].unique(maintain_order=True).to_list():
        rows = [
            (r["change"], r["visit"], r["client"], _when(r["old_start"]), _when(r["new_start"]))
            for r in tell.filter(tell["worker"] == worker).iter_rows(named=True)
        ]
        cols = (Col("change"), Col("visit"), Col("client"), Col("was", right=True), Col("now", right=True))
        tables.append(fitted_table(f"Tell {worker}", cols, rows, width))
    return tables


def candidates_table(visit: str, candidates: list[Candidate], width: int) -> Table:
    """Who could take one forced visit, best first: cost change (validator) or why not."""
    rows = [
        (
            c.worker,
            f"{c.start:%a %H:%M}" if c.start else "-",
            "-" if c.cost_change is None else f"{c.cost_change:+,.0f}",
            c.reason,
        )
        for c in candidates[:SHOWN_CANDIDATES]
    ]
    cols = (Col("worker"), Col("start", right=True, drop=1), Col("cost", right=True), Col("why", text=True))
    more = len(candidates) - SHOWN_CANDIDATES
    caption = f"and {more} more who cannot take it or were not priced" if more > 0 else None
    return fitted_table(f"Who could take {visit}", cols, rows, width, caption=caption)


def print_repair(result: RepairResult, console: Console | None = None) -> None:
    c = console or out
    for table in tell_tables(result.tell(), c.width):
        c.print(table)
    for visit, candidates in result.candidates.items():
        c.print(candidates_table(visit, candidates, c.width))
    print_unassigned(result.solution, console=c)
    for line in result.stages:
        c.print(f"- {line}", highlight=False, soft_wrap=False)
    within = "within" if result.changed <= result.cap else "more than"
    c.print(
        f"{result.changed} visits changed for {len(result.forced)} forced ({within} twice the forced); "
        f"{result.fixed} kept as they were (before the absence, done or pinned)",
        highlight=False,
    )


@app.command("repair")
@guarded
def repair_cmd(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="the rota to repair (solution JSON)")],
    absent: Annotated[list[str], typer.Option("--absent", help="worker who cannot work (repeat for several)")],
    from_: Annotated[str, typer.Option("--from", help="start of the absence, e.g. 2026-12-01T00:00")],
    to: Annotated[str | None, typer.Option(help="end of the absence (default: end of the week)")] = None,
    now: Annotated[str | None, typer.Option(help="visits starting before this are done and stay as they are")] = None,
    allow_earlier: Annotated[
        bool, typer.Option("--allow-earlier", help="let visits between --now and the absence move too")
    ] = False,
    rules: RulesOpt = None,
    set_: SetOpt = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the new rota")] = Path(
        "out/repaired.json"
    ),
    diff_path: Annotated[
        Path | None, typer.Option("--diff", help="where to write the diff as CSV (default: beside --out)")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds")] = 30.0,
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    verbose: VerboseOpt = 0,
) -> None:
    """Sick cover: re-plan the rota without the absent workers, calling as few people as possible."""
    setup_logging(verbose)
    check_writable(out_path, "--out")  # before the repair, not after it
    diff_path = diff_path or out_path.with_name(out_path.name.removesuffix(".json") + ".diff.csv")
    check_writable(diff_path, "--diff")
    inst = load_instance(instance)
    sol = load_solution(solution)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.repair import Absence, repair
    from selforg_scheduler.pipeline.solve import SolveParams

    start, end, at = parse_when(from_, "--from"), parse_when(to, "--to"), parse_when(now, "--now")
    try:
        result = repair(
            inst, sol, [Absence(w, start, end) for w in absent], at, rule_set,
            SolveParams(time_limit_s=time_limit, workers=workers, seed=seed), keep_before_absence=not allow_earlier,
        )  # fmt: skip
    except InputError as exc:
        if not (exc.field or "").startswith("--"):
            exc.file = str(solution)  # the problem is in the rota file
        raise
    write_text_atomic(out_path, solution_json(result.solution))
    with atomic_path(diff_path) as tmp:
        result.diff.write_csv(tmp)
    print_repair(result)
    print_status(result.solution)
    out.print(f"new rota written to {out_path}, diff to {diff_path}", highlight=False)
    if not result.report.ok:
        print_violations(result.report)
