"""The ``selforg-scheduler`` command line: solve, solve-many, validate, schema, generate,
import-mankowska, pair-buddies, rotate-roles.

Bad input exits with code 2 and one line naming the file, the object id and the field; a rota
that breaks a hard rule makes ``validate`` exit 1. No traceback reaches the user unless asked for
with ``-vv``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler
from rich.table import Table

from selforg_scheduler.modes.buddies import load_weights, pair_buddies
from selforg_scheduler.modes.buddies import write_into as buddies_write_into
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import instance_from_dict, load_instance, load_solution, read_json, write_solution
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution

if TYPE_CHECKING:
    from selforg_scheduler.rules.config import RuleSet
    from selforg_scheduler.pipeline.solve import Progress
    from selforg_scheduler.rules.validator import ValidationReport

# The solver's modules (and OR-Tools) are imported by the commands that need them, so that
# pair-buddies and schema start in a fraction of a second.

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Weekly rotas for self-organising home-care teams (OR-Tools CP-SAT).",
)
out = Console()
err = Console(stderr=True)
log = logging.getLogger("selforg_scheduler")
F = TypeVar("F", bound=Callable[..., Any])
WORKERS_HELP = "CP-SAT search workers (and cost-search chains); 0 = one per core"

RulesOpt = Annotated[
    Path | None, typer.Option("--rules", "-r", help="constraint YAML file (default: built-in defaults)")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="override a rule parameter: rule.param=value (repeatable)"),
]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v progress, -vv debug")]


def _logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)


def _guarded(fn: F) -> F:
    """Turn bad input into exit 2 with one line, and any other failure into one line too."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            err.print(f"error: {exc.one_line()}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except typer.Exit:
            raise
        except ValidationError as exc:  # parameters built from options
            first = exc.errors(include_url=False)[0]
            field = ".".join(str(k) for k in first["loc"])
            err.print(f"error: {field}: {first['msg']}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback by default
            if log.isEnabledFor(logging.DEBUG):
                raise
            err.print(
                f"internal error: {type(exc).__name__}: {exc} (run with -vv for the traceback)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def _rules(path: Path | None, overrides: list[str] | None) -> RuleSet:
    from selforg_scheduler.rules.config import load_rules

    return load_rules(path, overrides or ())


@app.command()
@_guarded
def solve(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the rota JSON")] = Path(
        "out/solution.json"
    ),
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds")] = 30.0,
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    gap: Annotated[float, typer.Option(help="stop at this relative gap")] = 0.0,
    hint: Annotated[bool, typer.Option(help="warm-start from the greedy rota")] = True,
    granular: Annotated[
        int | None,
        typer.Option(
            help="big days: keep only arcs to/from each visit's N most promising neighbours (0 = all; "
            "default: 25 on worker-days of more than 120 visits)",
            min=0,
        ),
    ] = None,
    lns: Annotated[bool, typer.Option(help="re-optimise windows and days after the main search")] = True,
    by_team: Annotated[
        bool,
        typer.Option(
            "--by-team/--whole",
            help="an organisation (workers name several teams): solve each team in parallel, then "
            "let teams borrow workers; --whole makes one model of everything",
        ),
    ] = True,
    jobs: Annotated[int, typer.Option(help="teams solved at once with --by-team; 0 = one per core", min=0)] = 0,
    page: Annotated[
        Path | None, typer.Option("--html", help="the rota page to write (default: rota.html beside --out)")
    ] = None,
    no_html: Annotated[bool, typer.Option("--no-html", help="do not write the rota page")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the summary line")] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Build the week's rota and write it as JSON, with a summary table."""
    _logging(verbose)
    inst = load_instance(instance)
    rule_set = _rules(rules, set_)
    from selforg_scheduler.modes.org import is_organisation
    from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed

    params = SolveParams(
        time_limit_s=time_limit,
        workers=workers,
        seed=seed,
        relative_gap=gap,
        hint=hint,
        granular=granular,
        lns=lns,
        log_search=verbose >= 2,
    )
    live_wanted = out.is_terminal and not quiet
    if by_team and is_organisation(inst):
        result = _solve_by_team(inst, rule_set, params, jobs, live_wanted)
    elif live_wanted:
        with Live(console=out, refresh_per_second=4, transient=True) as live:

            def show(p: Progress) -> None:
                live.update(
                    f"[bold]searching[/] objective {p.objective:,.0f}  bound {p.bound:,.0f}  "
                    f"{p.wall_s:5.1f}s of {time_limit:g}s"
                )

            result = solve_detailed(inst, rule_set, params, on_progress=show)
    else:
        result = solve_detailed(inst, rule_set, params)
    write_solution(result.solution, out_path)
    if not quiet:
        _print_workers(inst, result.solution)
        _print_costs(result.solution)
        _print_unassigned(result.solution)
    _print_status(result.solution)
    out.print(f"rota written to {out_path}", highlight=False, soft_wrap=True)
    if not no_html:
        written = _write_page(inst, result.solution, page or out_path.with_name("rota.html"))
        out.print(f"rota page (open in a browser): {written}", highlight=False, soft_wrap=True)
    if not result.report.ok:
        for violation in result.report.violations:
            err.print(f"{violation}", markup=False, highlight=False)


def _solve_by_team(inst: Instance, rules: RuleSet, params: Any, jobs: int, live_wanted: bool) -> Any:
    """An organisation's week: the teams in parallel, then borrowing (``org.solve_organisation``)."""
    from selforg_scheduler.modes.org import PartOutcome, solve_organisation

    live = Live(console=out, refresh_per_second=4, transient=True)

    def show(part: PartOutcome, done: int, total: int) -> None:
        sol = part.solution
        if live_wanted:
            live.update(
                f"[bold]teams solved[/] {done}/{total}  (last: {', '.join(part.teams)}, "
                f"{len(sol.visits)}/{part.visits} visits, objective {sol.objective:,.0f})"
            )
        log.info("team %s: %s, %d/%d visits covered", "+".join(part.teams), sol.status, len(sol.visits), part.visits)

    if live_wanted:
        with live:
            result = solve_organisation(inst, rules, params, jobs=jobs, on_part=show)
    else:
        result = solve_organisation(inst, rules, params, jobs=jobs, on_part=show)
    out.print(
        f"{len(result.parts)} teams solved in parallel in {result.timings['parts_s']:.0f}s; "
        f"{result.borrowed} visits covered by borrowing; merge {result.timings['merge_s']:.0f}s; "
        f"peak memory about {result.peak_memory_mb:,.0f} MB",
        highlight=False,
    )
    return result


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


@app.command("solve-many")
@_guarded
def solve_many_cmd(
    folder: Annotated[Path, typer.Argument(help="folder of instance JSON files, one per team")],
    rules: RulesOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="where to write the solutions (default: FOLDER/solutions)")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds per instance")] = 30.0,
    executor: Annotated[ExecutorKind, typer.Option(help="local process pool, or a Ray cluster")] = ExecutorKind.local,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start a local Ray runtime)")] = None,
    jobs: Annotated[int, typer.Option(help="instances solved at once; 0 = one per core", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    verbose: VerboseOpt = 0,
) -> None:
    """Solve one instance per team in a folder; write each rota and a summary table (summary.csv)."""
    _logging(verbose)
    from selforg_scheduler.modes.many import solve_many, summary_frame

    target = out_dir or folder / "solutions"
    if rules is not None:
        _rules(rules, None)  # a bad rule set is one error for all, before any solve
    outcomes = solve_many(folder, target, rules, time_limit, executor.value, address, jobs, seed)
    frame = summary_frame(outcomes)
    frame.write_csv(target / "summary.csv")
    table = Table(title=f"{len(outcomes)} instances ({executor.value})")
    for col in ("instance", "team", "status", "covered", "objective", "valid", "time s", "problem"):
        table.add_column(col, justify="right" if col in ("covered", "objective", "time s") else "left")
    for o in outcomes:
        table.add_row(
            o.instance, o.team, o.status, f"{o.covered}/{o.visits}" if o.visits else "",
            f"{o.objective:,.0f}" if o.objective is not None else "", "yes" if o.valid else "no",
            f"{o.wall_s:.1f}", o.error,
        )  # fmt: skip
    out.print(table)
    out.print(f"solutions and summary.csv written to {target}", highlight=False, soft_wrap=True)
    bad = [o for o in outcomes if o.status == "INPUT_ERROR"]
    if bad:
        for o in bad:
            err.print(f"error: {o.error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command("validate")
@_guarded
def validate_cmd(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file (from solve, or made by hand)")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    reference: Annotated[
        Path | None, typer.Option(help="a repaired rota: the rota it repaired (costs each change, keeps fixed visits)")
    ] = None,
    now: Annotated[str | None, typer.Option(help="with --reference: the repair's --now")] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Check a rota against every rule without the solver; exit 1 on any hard violation."""
    _logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.core.problem import Reference
    from selforg_scheduler.rules.validator import validate

    ref = Reference.of(load_solution(reference), _when(now, "--now")) if reference is not None else None
    report = validate(inst, sol, _rules(rules, set_), ref)
    _print_report(report, sol)
    if not report.ok:
        raise typer.Exit(1)


def _when(text: str | None, option: str) -> Any:
    from datetime import datetime

    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a local date-time (YYYY-MM-DDTHH:MM): {text!r}", field=option) from None


@app.command("repair")
@_guarded
def repair_cmd(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="the rota to repair (solution JSON)")],
    absent: Annotated[list[str], typer.Option("--absent", help="worker who cannot work (repeat for several)")],
    from_: Annotated[str, typer.Option("--from", help="start of the absence, e.g. 2026-12-01T00:00")],
    to: Annotated[str | None, typer.Option(help="end of the absence (default: end of the week)")] = None,
    now: Annotated[
        str | None, typer.Option(help="visits starting before this are done and stay as they are")
    ] = None,
    rules: RulesOpt = None,
    set_: SetOpt = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the new rota")] = Path(
        "out/repaired.json"
    ),
    diff_path: Annotated[Path | None, typer.Option("--diff", help="where to write the diff as CSV (default: beside --out)")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds")] = 30.0,
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    verbose: VerboseOpt = 0,
) -> None:
    """Sick cover: re-plan the rota without the absent workers, moving as few visits as possible."""
    _logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    rule_set = _rules(rules, set_)
    from selforg_scheduler.modes.repair import Absence, repair
    from selforg_scheduler.pipeline.solve import SolveParams

    start, end, at = _when(from_, "--from"), _when(to, "--to"), _when(now, "--now")
    try:
        result = repair(
            inst, sol, [Absence(w, start, end) for w in absent], at, rule_set,
            SolveParams(time_limit_s=time_limit, workers=workers, seed=seed),
        )  # fmt: skip
    except InputError as exc:
        if not (exc.field or "").startswith("--"):
            exc.file = str(solution)  # the problem is in the rota file
        raise
    write_solution(result.solution, out_path)
    diff_path = diff_path or out_path.with_name(out_path.name.removesuffix(".json") + ".diff.csv")
    diff_path.parent.mkdir(parents=True, exist_ok=True)
    result.diff.write_csv(diff_path)
    _print_frame(f"Changed visits ({result.diff.height})", result.diff)
    _print_unassigned(result.solution)
    _print_status(result.solution)
    out.print(
        f"{result.fixed} visits kept as they were (done or pinned); new rota written to {out_path}, diff to {diff_path}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    if not result.report.ok:
        for violation in result.report.violations:
            err.print(f"{violation}", markup=False, highlight=False)


@app.command()
@_guarded
def explain(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    conflicts: Annotated[
        bool, typer.Option(help="also search (CP-SAT) for visits that cannot all be covered together")
    ] = True,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds for the conflict search")] = 20.0,
    verbose: VerboseOpt = 0,
) -> None:
    """Why visits cannot be covered, before any solve: impossible visits, clients, days, conflicts."""
    _logging(verbose)
    inst = load_instance(instance)
    rule_set = _rules(rules, set_)
    from selforg_scheduler.modes.explain import conflicts as find_conflicts
    from selforg_scheduler.modes.explain import diagnose

    findings = diagnose(inst, rule_set)
    if conflicts:
        findings += find_conflicts(inst, rule_set, time_limit)
    if not findings:
        searched = f"; the conflict search (CP-SAT, up to {time_limit:g} s) found no set that cannot be covered together" if conflicts else ""
        out.print(f"No impossibility found: each visit has workers who could do it{searched}.", highlight=False)
        return
    table = Table(title=f"Impossibilities ({len(findings)})")
    table.add_column("kind")
    table.add_column("about")
    table.add_column("why")
    for f in findings:
        table.add_row(f.kind, f.subject, f.sentence)
    out.print(table)


@app.command()
@_guarded
def render(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="the HTML page to write")] = Path("out/rota.html"),
    png: Annotated[Path | None, typer.Option(help="also write the Gantt as a PNG here")] = None,
    buddies_png: Annotated[Path | None, typer.Option("--buddies-png", help="also write the buddy graph as a PNG here")] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """A self-contained HTML page of the rota (per-worker Gantt of each day), optionally PNGs."""
    _logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.render import render_buddies_png, render_png

    written = [_write_page(inst, sol, out_path)]
    if png is not None:
        written.append(render_png(inst, sol, png))
    if buddies_png is not None:
        written.append(render_buddies_png(inst, buddies_png))
    out.print("written: " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)


@app.command()
@_guarded
def ical(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for one WORKER.ics per worker")] = Path("out/ical"),
    verbose: VerboseOpt = 0,
) -> None:
    """One iCalendar file per worker: each visit an event with the client's name and address."""
    _logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.ical import write_calendars

    paths = write_calendars(inst, sol, out_dir)
    out.print(f"{len(paths)} calendars written to {out_dir}", highlight=False, soft_wrap=True)


def _write_page(inst: Instance, sol: Solution, path: Path) -> Path:
    from selforg_scheduler.outputs.render import render_html

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(inst, sol), encoding="utf-8")
    return path


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    parquet = "parquet"
    json = "json"


@app.command()
@_guarded
def report(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="solution JSON file")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="table (terminal), csv, parquet or json")] = ReportFormat.table,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="folder for the files (default out/report)")] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Each worker's week, each client's week and what each soft rule cost whom (polars tables)."""
    _logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.outputs.reports import build_reports, write_reports

    reports = build_reports(inst, sol, _rules(rules, set_))
    for warning in reports.report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    if fmt is ReportFormat.table:
        for title, frame in (
            ("Workers' week", reports.workers),
            ("Clients' week", reports.clients),
            ("Cost by rule and owner", reports.costs.drop("subject").group_by("rule", "kind", "owner", maintain_order=True).sum()),
        ):
            _print_frame(title, frame)
        out.print(f"objective {reports.report.objective:,} = sum of the costs {reports.costs['cost'].sum():,.6g}", highlight=False)
        if out_dir is None:
            return
        fmt = ReportFormat.csv
    paths = write_reports(reports, out_dir or Path("out/report"), fmt.value)  # type: ignore[arg-type]
    out.print("written: " + ", ".join(str(p) for p in paths), highlight=False, soft_wrap=True)


def _print_frame(title: str, frame: Any) -> None:
    table = Table(title=title)
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if x is None else f"{x:,.6g}" if isinstance(x, float) else str(x) for x in row))
    out.print(table)


class SchemaKind(str, Enum):
    instance = "instance"
    solution = "solution"


@app.command()
@_guarded
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="instance or solution")],
) -> None:
    """Print the JSON Schema of the instance or solution contract."""
    model = Instance if kind is SchemaKind.instance else Solution
    sys.stdout.write(json.dumps(model.model_json_schema(), indent=2) + "\n")


@app.command()
@_guarded
def generate(
    workers: Annotated[int, typer.Option(help="workers in the whole instance", min=1)] = 12,
    visits: Annotated[int, typer.Option(help="visits wanted (reached within 5 % where the workers can carry them)", min=0)] = 450,
    days: Annotated[int, typer.Option(help="days in the horizon", min=1, max=28)] = 7,
    teams: Annotated[int, typer.Option(help="teams of the organisation, each with its own clients and area", min=1)] = 1,
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
    _logging(verbose)
    from datetime import date

    from selforg_scheduler.datasets.generate import generate_instance

    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {start!r}", field="--start") from None
    if workers < teams:
        raise InputError(f"{teams} teams need at least {teams} workers, not {workers}", field="--workers")
    made = generate_instance(workers=workers, visits=visits, days=days, seed=seed, start=first, teams=teams)
    plan_path = plan_path or out_path.with_name(out_path.name.removesuffix(".json") + ".plan.json")
    for path, data in ((out_path, made.instance), (plan_path, made.plan)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    got = len(made.instance["visits"])
    short = f" (short of {visits}: the workers cannot carry more)" if got < 0.95 * visits else ""
    out.print(
        f"{len(made.instance['workers'])} workers, {len(made.instance['clients'])} clients, {got} visits"
        f"{short} over {days} days in {teams} team{'s' if teams > 1 else ''}",
        highlight=False,
    )
    out.print(f"instance written to {out_path}; planted rota (every visit covered) to {plan_path}", highlight=False, soft_wrap=True)


@app.command("import-mankowska")
@_guarded
def import_mankowska(
    file: Annotated[Path, typer.Argument(help="a Mankowska et al. (2014) benchmark file (.txt)")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the contract instance")] = Path(
        "out/mankowska.json"
    ),
) -> None:
    """Convert a Mankowska et al. (2014) benchmark file to a contract instance (solve it with
    --rules constraints/mankowska.yaml; the benchmark's objective is the objective / 30000)."""
    from selforg_scheduler.datasets.mankowska import OBJECTIVE_SCALE, read_mankowska, to_instance

    data = read_mankowska(file)
    raw = to_instance(data)
    instance_from_dict(raw, file=str(file))  # the converter's output must meet the contract
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
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


@app.command("pair-buddies")
@_guarded
def pair_buddies_cmd(
    team: Annotated[Path, typer.Argument(help="instance JSON file of the team")],
    weights: Annotated[Path | None, typer.Option("--weights", help="YAML file of buddy weights")] = None,
    fresh: Annotated[bool, typer.Option(help="ignore the existing groups and re-match everyone")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write the groups as JSON")] = None,
    write_into: Annotated[
        Path | None, typer.Option("--write-into", help="rewrite this instance file's buddies with the groups")
    ] = None,
) -> None:
    """Buddy groups by maximum-weight matching: kept pairs kept, the rest matched, one triad if odd."""
    raw = read_json(team)
    existing = raw.get("buddies", []) if isinstance(raw, dict) else []
    if isinstance(raw, dict):
        # Existing groups may name people who have left: they are dropped, not an error.
        raw = {**raw, "buddies": []}
    inst = instance_from_dict(raw, file=str(team))
    plan = pair_buddies(inst, load_weights(weights), fresh=fresh, existing=existing)
    table = Table(title=f"Buddy groups (total score {plan.total_score})", show_lines=True)
    for col in ("group", "score", "kept", "reasons"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for group in plan.groups:
        table.add_row(" + ".join(group.members), str(group.score), "yes" if group.kept else "", "\n".join(group.reasons))
    out.print(table)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(plan.to_json(), indent=2) + "\n", encoding="utf-8")
        out.print(f"groups written to {out_path}", highlight=False, soft_wrap=True)
    if write_into is not None:
        buddies_write_into(write_into, plan)
        out.print(f"buddies written into {write_into}", highlight=False, soft_wrap=True)


@app.command("rotate-roles")
@_guarded
def rotate_roles_cmd(
    team: Annotated[Path, typer.Argument(help="instance JSON file of the team (roles, history, leave)")],
    weeks: Annotated[int, typer.Option("--weeks", "-w", help="weeks to plan from the horizon start")] = 12,
    term: Annotated[int, typer.Option(help="weeks a holder keeps a role")] = 4,
    max_changes: Annotated[int, typer.Option(help="roles that may change holder in one week")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="budget, deterministic seconds")] = 10.0,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write the plan as JSON")] = None,
) -> None:
    """Plan who holds each team role for the coming weeks: terms, staggered changes, fair spread."""
    inst = load_instance(team)
    from selforg_scheduler.modes.rotation import RotationParams, plan_roles

    params = RotationParams(
        weeks=weeks, term=term, max_changes_per_week=max_changes, seed=seed, time_limit_s=time_limit
    )
    plan = plan_roles(inst, params)
    table = Table(title=f"Role plan, {weeks} weeks from {plan.start} (term {term} weeks)")
    table.add_column("week")
    names = {r.id: r.name or r.id for r in inst.roles}
    for rid in plan.roles:
        table.add_column(names[rid])
    for k, week in enumerate(plan.holders):
        row = [plan.week(k).isoformat()]
        for rid in plan.roles:
            before = plan.holders[k - 1][rid] if k else None
            cell = ", ".join(week[rid]) or "-"
            row.append(f"[bold]{cell}[/]" if week[rid] != before else cell)
        table.add_row(*row)
    out.print(table)
    counts = "  ".join(f"{w} {n}" for w, n in plan.role_weeks.items())
    out.print(f"role-weeks planned: {counts}", highlight=False, soft_wrap=True)
    proven = "proven optimal" if plan.spread_proven else f"best found; at least {plan.spread_bound}"
    out.print(
        f"spread of role-weeks with history: {plan.spread} ({proven}); planned weeks alone: {plan.planned_spread}",
        highlight=False,
    )
    for short in plan.unfilled:
        out.print(f"{short['week_start']} {short['role']} unfilled: {short['reason']}", highlight=False, soft_wrap=True)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(plan.to_json(), indent=2) + "\n", encoding="utf-8")
        out.print(f"plan written to {out_path}", highlight=False, soft_wrap=True)


# --- printing ------------------------------------------------------------------------------------


def _print_status(sol: Solution) -> None:
    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:,.0f}"

    gap = "-" if sol.gap is None else f"{100 * sol.gap:.2f}%"
    out.print(
        f"[bold]{sol.status}[/]  objective {num(sol.objective)}  bound {num(sol.bound)}  gap {gap}  "
        f"covered {sol.kpis.get('visits_covered', 0):.0f}/{sol.kpis.get('visits', 0):.0f}  "
        f"time {sol.wall_s:.1f}s  (rota by {sol.found_by})",
        highlight=False,
        soft_wrap=True,
    )


def _print_workers(inst: Instance, sol: Solution) -> None:
    visits = {v.id: v for v in inst.visits}
    per: dict[str, dict[str, float]] = {w.id: {"visits": 0, "minutes": 0, "days": 0} for w in inst.workers}
    days: dict[str, set[str]] = {w.id: set() for w in inst.workers}
    for a in sol.visits:
        for w in a.workers:
            if w in per:
                per[w]["visits"] += 1
                per[w]["minutes"] += visits[a.visit].duration_min if a.visit in visits else 0
                days[w].add(a.start.date().isoformat())
    vs_contract = sol.kpis.get("minutes_vs_contract")
    unsociable = sol.kpis.get("unsociable_visits")
    breaks = {w.id: 0 for w in inst.workers}
    for b in sol.breaks:
        breaks[b.worker] = breaks.get(b.worker, 0) + 1
    role_names = {r.id: r.name or r.id for r in inst.roles}
    held: dict[str, list[str]] = {}
    for held_role in sol.roles:
        held.setdefault(held_role.worker, []).append(role_names.get(held_role.role, held_role.role))
    table = Table(title="Workers this week", show_lines=False)
    cols = ("worker", "name", "role", "days", "visits", "visit h", "contract h", "+/- h", "breaks", "unsoc.")
    for col in cols:
        table.add_column(col, justify="right" if col not in ("worker", "name", "role") else "left")
    for w in inst.workers:
        row = per[w.id]
        diff = vs_contract.get(w.id) if isinstance(vs_contract, dict) else None
        odd = unsociable.get(w.id) if isinstance(unsociable, dict) else None
        table.add_row(
            w.id,
            w.name + (" (new)" if w.new_starter else ""),
            ", ".join(held.get(w.id, [])),
            str(len(days[w.id])),
            f"{row['visits']:.0f}",
            f"{row['minutes'] / 60:.1f}",
            f"{w.contract_minutes / 60:.1f}",
            "-" if diff is None else f"{diff / 60:+.1f}",
            str(breaks.get(w.id, 0)),
            "-" if odd is None else str(odd),
        )
    out.print(table)
    for short in sol.unfilled_roles:
        out.print(f"role {short.role} unfilled ({short.missing} missing): {short.reason}", highlight=False, soft_wrap=True)


def _print_costs(sol: Solution) -> None:
    table = Table(title="Cost by rule and KPIs")
    table.add_column("rule / KPI")
    table.add_column("value", justify="right")
    for name, cost in sol.penalties.items():
        if cost:
            table.add_row(name, f"{cost:,}")
    table.add_section()
    for name, value in sol.kpis.items():
        if not isinstance(value, dict):  # per-worker figures are in the workers table
            table.add_row(name, f"{value:,}")
    out.print(table)


def _print_unassigned(sol: Solution, limit: int = 20) -> None:
    if not sol.unassigned:
        return
    table = Table(title=f"Unassigned visits ({len(sol.unassigned)})")
    table.add_column("visit")
    table.add_column("reason")
    for u in sol.unassigned[:limit]:
        table.add_row(u.visit, u.reason)
    if len(sol.unassigned) > limit:
        table.add_row("...", f"{len(sol.unassigned) - limit} more in the rota file")
    out.print(table)


def _print_report(report: ValidationReport, sol: Solution) -> None:
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    for violation in report.violations:
        out.print(str(violation), markup=False, highlight=False)
    table = Table(title="Recomputed cost by rule")
    table.add_column("rule")
    table.add_column("cost", justify="right")
    for name, cost in report.penalties.items():
        table.add_row(name, f"{cost:,}")
    table.add_row("[bold]objective[/]", f"[bold]{report.objective:,}[/]")
    out.print(table)
    verdict = "valid" if report.ok else f"INVALID: {len(report.violations)} hard violation(s)"
    stated = "-" if sol.objective is None else f"{sol.objective:,}"
    out.print(
        f"{verdict}; objective {report.objective:,} (the rota states {stated})", highlight=False, soft_wrap=True
    )


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
