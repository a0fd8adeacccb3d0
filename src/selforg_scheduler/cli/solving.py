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
)
from selforg_scheduler.cli.tables import (
    print_costs,
    print_findings,
    print_outcomes,
    print_status,
    print_unassigned,
    print_unfilled_roles,
    print_validation,
    print_violations,
    print_workers,
)
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import instance_sha256, load_instance, load_solution, solution_json
from selforg_scheduler.core.interrupt import on_signals, requested
from selforg_scheduler.outputs.files import atomic_path, check_writable, write_text_atomic

if TYPE_CHECKING:
    from selforg_scheduler.contract.instance import Instance
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.modes.org import OrgResult, PartOutcome
    from selforg_scheduler.pipeline.solve import Progress, SolveParams
    from selforg_scheduler.rules.config import RuleSet

__all__ = ["ExecutorKind", "check_same_instance", "explain", "solve", "solve_many_cmd", "validate_cmd"]


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


DEFAULT_TIME_LIMIT = 30.0
"""Seconds of ``-t`` when it is not given."""
DETERMINISTIC_WALL_FACTOR, DETERMINISTIC_WALL_MIN = 10, 60.0
"""With ``--deterministic-time D`` and no ``-t``, the wall-clock limit is the larger of
``DETERMINISTIC_WALL_MIN`` and ``DETERMINISTIC_WALL_FACTOR`` x ``D``: generous, so that only a
hung search meets it (on a busy 2-core machine a small week took 6 wall seconds per
deterministic second, model building included)."""

DeterministicOpt = Annotated[
    float | None,
    typer.Option(
        "--deterministic-time",
        help="reproducible run: a budget in CP-SAT deterministic seconds (our own searches count steps) on "
        "one search worker, so the same seed gives the same rota on any machine, however busy; a wall-clock "
        "limit (-t) alone cannot promise that. -t still bounds the run (default with this flag: "
        f"{DETERMINISTIC_WALL_FACTOR} x SECONDS, at least {DETERMINISTIC_WALL_MIN:g} s; a run that meets it "
        "is said to be possibly not reproducible)",
        metavar="SECONDS",
    ),
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        "-t",
        help=f"wall-clock seconds (default {DEFAULT_TIME_LIMIT:g}; with --deterministic-time D: "
        f"the larger of {DETERMINISTIC_WALL_MIN:g} and {DETERMINISTIC_WALL_FACTOR} x D)",
    ),
]


def _budget(time_limit: float | None, deterministic: float | None, workers: int = 0) -> tuple[float, int]:
    """The wall-clock limit of ``-t`` and ``--deterministic-time`` (both checked positive), and the
    search workers: one on a deterministic budget (a parallel CP-SAT search is not reproducible)."""
    for option, value in (("--time-limit", time_limit), ("--deterministic-time", deterministic)):
        if value is not None and value <= 0:
            raise InputError(f"must be more than 0 seconds, not {value:g}", field=option)
    if deterministic is not None and workers > 1:
        raise InputError(
            f"{workers} search workers cannot give the same rota on every machine: use --workers 1 "
            "(the default with --deterministic-time)",
            field="--workers",
        )
    if time_limit is None:
        time_limit = DEFAULT_TIME_LIMIT
        if deterministic is not None:
            time_limit = max(DETERMINISTIC_WALL_MIN, DETERMINISTIC_WALL_FACTOR * deterministic)
    return time_limit, workers if deterministic is None else 1


TIMED_OUT_SHARE = 0.9
"""A run on a deterministic budget that took this share of the wall-clock limit or more is taken
to have met it (the watchdog and LNS stop at the limit)."""


def _warn_if_timed(wall_s: float, time_limit: float, deterministic: float | None) -> None:
    """On a deterministic budget, say so when the run met the wall-clock limit: the clock, not
    the budget, ended it, so the rota may differ on another machine."""
    if deterministic is not None and wall_s >= TIMED_OUT_SHARE * time_limit:
        err.print(
            f"warning: the run met the wall-clock limit ({wall_s:.1f} s of -t {time_limit:g}) before its "
            f"deterministic budget of {deterministic:g} s was spent: the rota may differ on another machine; raise -t",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def check_same_instance(inst: Instance, sol: Solution, file: str) -> None:
    """Refuse a rota made for another instance, in one line naming the rota file: its
    ``instance.sha256``, when given, must be this instance's, and its ``instance.team``, when
    given, this team. A hand-made rota may leave the sha256 empty. (``repair`` refuses a
    different sha256 the same way, in :mod:`selforg_scheduler.modes.repair`.)"""
    ref = sol.instance
    sha = getattr(ref, "sha256", None)
    team = getattr(ref, "team", None)
    other_team = bool(team) and team != inst.team.id
    if sha and sha != instance_sha256(inst):
        whose = f": it is for team {team!r}, the instance is {inst.team.id!r}" if other_team else ""
        raise InputError(
            f"the solution does not belong to this instance (sha256 differs{whose}; "
            "empty instance.sha256 in the rota to check it anyway)",
            file=file,
            field="instance.sha256",
        )
    if other_team:
        raise InputError(
            f"the solution is for team {team!r}, the instance is {inst.team.id!r}", file=file, field="instance.team"
        )


@app.command()
@guarded
def solve(
    instance: Annotated[Path, typer.Argument(help="instance JSON file")],
    rules: RulesOpt = None,
    set_: SetOpt = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="where to write the rota JSON")] = Path(
        "out/solution.json"
    ),
    time_limit: TimeLimitOpt = None,
    deterministic_time: DeterministicOpt = None,
    workers: Annotated[int, typer.Option(help=WORKERS_HELP + " (1 with --deterministic-time)")] = 0,
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
    limit, workers = _budget(time_limit, deterministic_time, workers)
    check_writable(out_path, "--out")  # before the solve, not after it
    page_path = None if no_html else page or out_path.with_name("rota.html")
    if page_path is not None:
        check_writable(page_path, "--html")
    inst = load_instance(instance)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.split import solved_in_parts
    from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed

    params = SolveParams(
        time_limit_s=limit,
        deterministic_time=deterministic_time,
        workers=workers,
        seed=seed,
        relative_gap=gap,
        hint=hint,
        granular=granular,
        lns=lns,
        log_search=verbose >= 2,
    )
    in_parts = by_team and solved_in_parts(inst)
    if in_parts and deterministic_time is not None:
        raise InputError(
            "this instance is solved in parts (teams, or a large pool), which are timed by the wall clock: "
            "add --whole for a reproducible run",
            field="--deterministic-time",
        )
    live_wanted = out.is_terminal and not quiet
    with on_signals():  # a first Ctrl-C or SIGTERM stops the search and keeps the best rota
        if in_parts:
            result = _solve_by_team(inst, rule_set, params, jobs, live_wanted, executor.value, address)
            sol, report = result.solution, result.report
        else:
            if live_wanted:
                with Live(console=out, refresh_per_second=4, transient=True) as live:

                    def show(p: Progress) -> None:
                        live.update(
                            f"[bold]searching[/] objective {p.objective:,.0f}  bound {p.bound:,.0f}  "
                            f"{p.wall_s:5.1f}s of {limit:g}s"
                        )

                    solved = solve_detailed(inst, rule_set, params, on_progress=show)
            else:
                solved = solve_detailed(inst, rule_set, params)
            sol, report = solved.solution, solved.report
        stopped = requested()
    write_text_atomic(out_path, solution_json(sol))
    if not quiet:
        from selforg_scheduler.outputs.reports import build_reports

        print_workers(build_reports(inst, sol, rule_set).workers)
        print_unfilled_roles(sol)
        print_costs(sol)
        print_unassigned(sol)
    print_status(sol)
    out.print(f"rota written to {out_path}", highlight=False, soft_wrap=True)
    if page_path is not None:
        from selforg_scheduler.outputs.render import write_html

        written = write_html(inst, sol, page_path)
        out.print(f"rota page (open in a browser): {written}", highlight=False, soft_wrap=True)
    if not stopped:
        _warn_if_timed(sol.wall_s, limit, deterministic_time)
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
    time_limit: TimeLimitOpt = None,
    deterministic_time: DeterministicOpt = None,
    executor: Annotated[ExecutorKind, typer.Option(help="local process pool, or a Ray cluster")] = ExecutorKind.local,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: start a local Ray runtime)")
    ] = None,
    jobs: Annotated[int, typer.Option(help="instances solved at once; 0 = one per core", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    verbose: VerboseOpt = 0,
) -> None:
    """Solve one instance per team in a folder; write each rota and a summary table (summary.csv).

    Limits are per instance. With --deterministic-time a file solved in parts (an organisation, a
    large pool) is still timed by the wall clock."""
    setup_logging(verbose)
    from selforg_scheduler.modes.many import instance_files, solve_many, summary_frame

    limit, _ = _budget(time_limit, deterministic_time)
    target = out_dir or folder / "solutions"
    instance_files(folder)  # not a folder: that error first
    check_writable(target, "--out", folder=True)
    if rules is not None:
        load_rule_set(rules, None)  # a bad rule set is one error for all, before any solve
    outcomes = solve_many(folder, target, rules, limit, executor.value, address, jobs, seed, deterministic_time)
    frame = summary_frame(outcomes)
    with atomic_path(target / "summary.csv") as tmp:
        frame.write_csv(tmp)
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
    check_same_instance(inst, sol, str(solution))
    from selforg_scheduler.core.problem import Reference
    from selforg_scheduler.rules.validator import validate

    ref = None
    if reference is not None:
        old = load_solution(reference)
        check_same_instance(inst, old, str(reference))
        ref = Reference.of(old, parse_when(now, "--now"))
    report = validate(inst, sol, load_rule_set(rules, set_), ref)
    print_validation(report, sol)
    if not report.ok:
        raise typer.Exit(1)


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
    visit: Annotated[
        list[str] | None, typer.Option("--visit", help="examine this visit in the conflict search (repeatable)")
    ] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Why visits cannot be covered, before any solve: impossible visits, clients, days, conflicts."""
    setup_logging(verbose)
    inst = load_instance(instance)
    rule_set = load_rule_set(rules, set_)
    from selforg_scheduler.modes.explain import Finding, diagnose
    from selforg_scheduler.modes.explain import conflicts as find_conflicts

    known = {v.id for v in inst.visits}
    for vid in visit or []:
        if vid not in known:
            raise InputError(f"no visit {vid!r} in {instance}", field="--visit")
    findings = diagnose(inst, rule_set)
    if not conflicts:
        if findings:
            print_findings(findings)
        else:
            out.print("No impossibility found: each visit has workers who could do it.", highlight=False)
        return
    if findings:
        print_findings(findings)

    def show(finding: Finding) -> None:  # each set as soon as found: a search may run for minutes
        if finding.kind != "unexamined":
            print_findings([finding])

    found = find_conflicts(inst, rule_set, time_limit, visits=visit or None, on_finding=show)
    notes = [f for f in found if f.kind == "unexamined"]
    if not findings and len(found) == len(notes):
        where = "in what it examined" if notes else f"(CP-SAT, up to {time_limit:g} s)"
        out.print(
            f"No impossibility found: each visit has workers who could do it; the conflict search {where} "
            "found no set that cannot be covered together.",
            highlight=False,
        )
    for note in notes:
        out.print(f"Note: {note.sentence}", highlight=False)
