"""Commands that make or check a rota: solve, solve-many, validate, repair, explain.

A rota that breaks a hard rule makes ``validate`` exit 1.
"""

from __future__ import annotations

import signal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live

from selforg_scheduler.cli.common import (
    WORKERS_HELP,
    RulesOpt,
    SetOpt,
    VerboseOpt,
    app,
    err,
    guarded,
    load_rule_set,
    log,
    out,
    parse_when,
    setup_logging,
    write_page,
)
from selforg_scheduler.cli.tables import (
    print_costs,
    print_findings,
    print_frame,
    print_outcomes,
    print_status,
    print_unassigned,
    print_unfilled_roles,
    print_validation,
    print_violations,
    print_workers,
)
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import load_instance, load_solution, write_solution
from selforg_scheduler.core.interrupt import on_signals, requested

if TYPE_CHECKING:
    from selforg_scheduler.contract.instance import Instance
    from selforg_scheduler.modes.org import OrgResult, PartOutcome
    from selforg_scheduler.pipeline.solve import Progress, SolveParams
    from selforg_scheduler.rules.config import RuleSet

__all__ = ["ExecutorKind", "explain", "repair_cmd", "solve", "solve_many_cmd", "validate_cmd"]


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


@app.command()
@guarded
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
            help="an organisation (workers name several teams), or a pool without team labels too large "
            "for one model (split into parts of about a team's size): solve each part in parallel, then "
            "let parts borrow workers; --whole makes one model of everything",
        ),
    ] = True,
    jobs: Annotated[int, typer.Option(help="parts solved at once with --by-team; 0 = one per core", min=0)] = 0,
    executor: Annotated[
        ExecutorKind, typer.Option(help="where the parts run: local processes, or Ray tasks")
    ] = ExecutorKind.local,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: start a local Ray runtime)")
    ] = None,
    page: Annotated[
        Path | None, typer.Option("--html", help="the rota page to write (default: rota.html beside --out)")
    ] = None,
    no_html: Annotated[bool, typer.Option("--no-html", help="do not write the rota page")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the summary line")] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Build the week's rota and write it as JSON, with a summary table."""
    setup_logging(verbose)
    inst = load_instance(instance)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.split import solved_in_parts
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
    with on_signals():  # a first Ctrl-C or SIGTERM stops the search and keeps the best rota
        if by_team and solved_in_parts(inst):
            result = _solve_by_team(inst, rule_set, params, jobs, live_wanted, executor.value, address)
            sol, report = result.solution, result.report
        else:
            if live_wanted:
                with Live(console=out, refresh_per_second=4, transient=True) as live:

                    def show(p: Progress) -> None:
                        live.update(
                            f"[bold]searching[/] objective {p.objective:,.0f}  bound {p.bound:,.0f}  "
                            f"{p.wall_s:5.1f}s of {time_limit:g}s"
                        )

                    solved = solve_detailed(inst, rule_set, params, on_progress=show)
            else:
                solved = solve_detailed(inst, rule_set, params)
            sol, report = solved.solution, solved.report
        stopped = requested()
    write_solution(sol, out_path)
    if not quiet:
        from selforg_scheduler.outputs.reports import build_reports

        print_workers(build_reports(inst, sol, rule_set).workers)
        print_unfilled_roles(sol)
        print_costs(sol)
        print_unassigned(sol)
    print_status(sol)
    out.print(f"rota written to {out_path}", highlight=False, soft_wrap=True)
    if not no_html:
        written = write_page(inst, sol, page or out_path.with_name("rota.html"))
        out.print(f"rota page (open in a browser): {written}", highlight=False, soft_wrap=True)
    if not report.ok:
        print_violations(report)
    if stopped:
        err.print(
            f"interrupted by {stopped}: the search stopped early; the best rota found by then is written above",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(128 + int(getattr(signal.Signals, stopped, signal.SIGINT)))


def _solve_by_team(
    inst: Instance,
    rules: RuleSet,
    params: SolveParams,
    jobs: int,
    live_wanted: bool,
    executor: str = "local",
    address: str | None = None,
) -> OrgResult:
    """An organisation's week, or a large pool's: the parts in parallel, then borrowing
    (``org.solve_organisation``)."""
    from selforg_scheduler.modes.org import solve_organisation
    from selforg_scheduler.modes.parts import is_organisation

    kind = "teams" if is_organisation(inst) else "parts"
    live = Live(console=out, refresh_per_second=4, transient=True)

    def show(part: PartOutcome, done: int, total: int) -> None:
        sol = part.solution
        if live_wanted:
            live.update(
                f"[bold]{kind} solved[/] {done}/{total}  (last: {', '.join(part.teams)}, "
                f"{len(sol.visits)}/{part.visits} visits, objective {sol.objective:,.0f})"
            )
        log.info("part %s: %s, %d/%d visits covered", "+".join(part.teams), sol.status, len(sol.visits), part.visits)

    def run() -> OrgResult:
        return solve_organisation(inst, rules, params, jobs=jobs, on_part=show, executor=executor, address=address)

    if live_wanted:
        with live:
            result = run()
    else:
        result = run()
    n = len(result.parts)
    out.print(
        f"{n} {kind if n > 1 else kind[:-1]} solved {'in parallel ' if n > 1 else ''}in "
        f"{result.timings['parts_s']:.0f}s; "
        f"{result.borrowed} visits covered by borrowing; merge {result.timings['merge_s']:.0f}s; "
        f"peak memory about {result.peak_memory_mb:,.0f} MB",
        highlight=False,
    )
    return result


@app.command("solve-many")
@guarded
def solve_many_cmd(
    folder: Annotated[Path, typer.Argument(help="folder of instance JSON files, one per team")],
    rules: RulesOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="where to write the solutions (default: FOLDER/solutions)")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="seconds per instance")] = 30.0,
    executor: Annotated[ExecutorKind, typer.Option(help="local process pool, or a Ray cluster")] = ExecutorKind.local,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: start a local Ray runtime)")
    ] = None,
    jobs: Annotated[int, typer.Option(help="instances solved at once; 0 = one per core", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    verbose: VerboseOpt = 0,
) -> None:
    """Solve one instance per team in a folder; write each rota and a summary table (summary.csv)."""
    setup_logging(verbose)
    from selforg_scheduler.modes.many import solve_many, summary_frame

    target = out_dir or folder / "solutions"
    if rules is not None:
        load_rule_set(rules, None)  # a bad rule set is one error for all, before any solve
    outcomes = solve_many(folder, target, rules, time_limit, executor.value, address, jobs, seed)
    frame = summary_frame(outcomes)
    frame.write_csv(target / "summary.csv")
    print_outcomes(outcomes, executor.value)
    out.print(f"solutions and summary.csv written to {target}", highlight=False, soft_wrap=True)
    bad = [o for o in outcomes if o.status == "INPUT_ERROR"]
    if bad:
        for o in bad:
            err.print(f"error: {o.error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command("validate")
@guarded
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
    setup_logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    from selforg_scheduler.core.problem import Reference
    from selforg_scheduler.rules.validator import validate

    ref = Reference.of(load_solution(reference), parse_when(now, "--now")) if reference is not None else None
    report = validate(inst, sol, load_rule_set(rules, set_), ref)
    print_validation(report, sol)
    if not report.ok:
        raise typer.Exit(1)


@app.command("repair")
@guarded
def repair_cmd(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    solution: Annotated[Path, typer.Argument(help="the rota to repair (solution JSON)")],
    absent: Annotated[list[str], typer.Option("--absent", help="worker who cannot work (repeat for several)")],
    from_: Annotated[str, typer.Option("--from", help="start of the absence, e.g. 2026-12-01T00:00")],
    to: Annotated[str | None, typer.Option(help="end of the absence (default: end of the week)")] = None,
    now: Annotated[str | None, typer.Option(help="visits starting before this are done and stay as they are")] = None,
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
    """Sick cover: re-plan the rota without the absent workers, moving as few visits as possible."""
    setup_logging(verbose)
    inst = load_instance(instance)
    sol = load_solution(solution)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.repair import Absence, repair
    from selforg_scheduler.pipeline.solve import SolveParams

    start, end, at = parse_when(from_, "--from"), parse_when(to, "--to"), parse_when(now, "--now")
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
    print_frame(f"Changed visits ({result.diff.height})", result.diff)
    print_unassigned(result.solution)
    print_status(result.solution)
    out.print(
        f"{result.fixed} visits kept as they were (done or pinned); new rota written to {out_path}, diff to {diff_path}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    if not result.report.ok:
        print_violations(result.report)


@app.command()
@guarded
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
    setup_logging(verbose)
    inst = load_instance(instance)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.explain import conflicts as find_conflicts
    from selforg_scheduler.modes.explain import diagnose

    findings = diagnose(inst, rule_set)
    if conflicts:
        findings += find_conflicts(inst, rule_set, time_limit)
    if not findings:
        searched = (
            f"; the conflict search (CP-SAT, up to {time_limit:g} s) found no set that cannot be covered together"
            if conflicts
            else ""
        )
        out.print(f"No impossibility found: each visit has workers who could do it{searched}.", highlight=False)
        return
    print_findings(findings)
