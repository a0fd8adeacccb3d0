"""Organisation-size weeks: one model per part, solved in parallel processes, then borrowing.

An instance whose workers name their ``team`` (an added field; clients and roles name it too, or a
client goes with its link workers) is an organisation of teams; a large pool without labels is
split into parts of about a team (:mod:`~selforg_scheduler.modes.split`). One CP-SAT model for 200
workers and 10,000 visits is far too big, and a part's visits are (almost) all its own, so:

1. :func:`~selforg_scheduler.modes.parts.team_parts` splits the instance into one instance per team
   (or :func:`~selforg_scheduler.modes.split.pool_parts` per part of a pool). Teams tied together by
   a linked visit or a buddy group across them are kept in one part (networkx components).
2. Each part is solved by :func:`~selforg_scheduler.pipeline.solve.solve_detailed` in a process pool
   or as Ray tasks (the cores shared out: one CP-SAT worker per process when there are as many parts
   running as cores), smallest first. A part's time limit is set as it starts: an equal share of the
   time left (after a reserve for the merge, 4 ms a visit, at most 30 % of the limit) with the parts
   still to start; a team
   whose every coverable visit is covered searches only a fifth of its share more, so the time it
   leaves goes to the busiest teams, which start last.
3. The rotas are merged into the whole instance, and every visit a team could not cover is
   offered to every worker of the organisation (cheapest feasible insertion under all the rules,
   then one round of ejections, then ruin and recreate while time is left): a team *borrows* a
   neighbour's worker who has room.
4. The merged rota becomes one contract solution; the validator recomputes its costs and checks
   it on the whole instance, and each visit still uncovered gets its reason.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import random
import resource
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution, SolvedPart, Status
from selforg_scheduler.core.interrupt import requested
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.role_facts import held_from
from selforg_scheduler.cpsat.run import Progress, RawRota
from selforg_scheduler.modes.cluster import check_executor, ray_runtime
from selforg_scheduler.modes.parts import TeamPart, is_organisation, team_parts
from selforg_scheduler.modes.split import pool_parts
from selforg_scheduler.pipeline.reasons import builder_from_rota
from selforg_scheduler.pipeline.solve import SolveParams, make_solution, solve_detailed
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.frame import eligibility_until
from selforg_scheduler.rules.validator import ValidationReport
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import blockers_of, insert_in_order, repair
from selforg_scheduler.search.ruin import cover_by_ruin

log = logging.getLogger(__name__)

__all__ = ["OrgResult", "PartOutcome", "TeamPart", "is_organisation", "solve_organisation", "team_parts"]

MERGE_S_PER_VISIT = 0.004
"""Seconds per visit kept for the merge: compiling the whole, borrowing, reasons, the check
(measured: about 35 s for 10,000 visits on one core), at least 2 s."""
FINISH_S_PER_VISIT = 0.003
"""Seconds per visit to write the merged rota: reasons, KPIs and the validator on the whole."""
MERGE_MAX_SHARE, FINISH_MAX_SHARE = 0.3, 0.15
"""The merge's reserve and the writing's are at most these shares of the time limit: a limit too
short for the instance's size still leaves the parts their time (the merge then borrows less and
reasons that time ran out)."""


POLL_S = 0.5
"""How often the parent looks for finished parts and for a stop request."""
STOP_GRACE_S = 5.0
"""After a stop request, how long running parts get to hand on their best rota before they are ended."""
PART_OVERHEAD_S = 1.0
"""A part's time beyond its search limit (process hand-over, writing its solution)."""
COVERED_EXTRA = 0.2
"""Once a team's every coverable visit is covered, its search goes on for at most this share of
its time limit more (travel and continuity polish): the rest goes to the teams after it."""


# --- the parts, in parallel ------------------------------------------------------------------


@dataclass(frozen=True)
class PartJob:
    part: TeamPart
    rules: RuleSet
    params: SolveParams
    deadline: float | None = None
    """When every part must be done (epoch seconds): the part's time limit is set as it starts,
    an equal share of what is left with the parts still to start (``rounds``), so time a
    finished team did not need goes to the teams after it."""
    rounds: int = 1


@dataclass(frozen=True)
class PartOutcome:
    """A team's solve: its rota, and when (epoch seconds) each better rota was found."""

    teams: tuple[str, ...]
    visits: int
    solution: Solution
    trace: list[tuple[float, float]]
    started: float
    finished: float
    peak_rss_mb: float


def _solve_part(job: PartJob) -> PartOutcome:
    trace: list[tuple[float, float]] = []

    def seen(p: Progress) -> None:
        trace.append((time.time(), float(p.objective)))

    started = time.time()
    params = job.params
    if job.deadline is not None:
        share = max(1.0, (job.deadline - started) / job.rounds - PART_OVERHEAD_S)
        params = params.model_copy(update={"time_limit_s": share, "covered_extra_s": COVERED_EXTRA * share})
    result = solve_detailed(job.part.instance, job.rules, params, on_progress=seen)
    finished = time.time()
    # The part's model is garbage now, but OR-Tools' CpModel holds a reference cycle, so only the
    # collector frees it: collect before the next part in this process builds its own.
    gc.collect()
    if result.solution.objective is not None:  # the final, validator-checked value closes the trace
        trace.append((finished, float(result.solution.objective)))
    return PartOutcome(
        teams=job.part.teams,
        visits=len(job.part.instance.visits),
        solution=result.solution,
        trace=trace,
        started=started,
        finished=finished,
        peak_rss_mb=_peak_rss_mb(),
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- the whole organisation ------------------------------------------------------------------


@dataclass
class OrgResult:
    """The merged rota, its check, and how the time and memory went."""

    solution: Solution
    report: ValidationReport
    parts: list[PartOutcome]
    borrowed: int
    """Visits a team could not cover that another team's worker took."""
    timings: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float = 0.0
    """Parent's peak + jobs x the largest worker process's peak (an upper bound)."""
    first_feasible_s: float | None = None
    """When every team had a rota (seconds from the start)."""
    within_1pct_s: float | None = None
    """When the teams' rotas together were within 1 % of their final total."""


def solve_organisation(
    instance: Instance,
    rules: RuleSet | None = None,
    params: SolveParams | None = None,
    jobs: int = 0,
    on_part: Callable[[PartOutcome, int, int], None] | None = None,
    executor: str = "local",
    address: str | None = None,
) -> OrgResult:
    """Solve every part in parallel (``jobs`` at a time, 0 = one per core; in a local process
    pool, or as Ray tasks with ``executor="ray"``), merge, borrow. The parts are the teams of an
    organisation, else the split of a large pool (:func:`~selforg_scheduler.modes.split.pool_parts`)."""
    rules = rules or default_rules()
    params = params or SolveParams()
    check_executor(executor)
    t0 = time.perf_counter()
    epoch0 = time.time()
    parts = team_parts(instance) if is_organisation(instance) else pool_parts(instance, params.seed)
    jobs = min(jobs or os.cpu_count() or 1, len(parts))
    finish = min(FINISH_S_PER_VISIT * len(instance.visits), FINISH_MAX_SHARE * params.time_limit_s)
    reserve = min(max(2.0, MERGE_S_PER_VISIT * len(instance.visits)), MERGE_MAX_SHARE * params.time_limit_s)
    parts_deadline = time.time() + params.time_limit_s - reserve - (time.perf_counter() - t0)
    cores = params.workers or os.cpu_count() or 1
    part_params = params.model_copy(update={"workers": max(1, cores // jobs)})
    # The smallest teams first: the time they leave unused goes to the busiest, which start last.
    order = sorted(parts, key=lambda p: (len(p.instance.visits), p.teams))
    log.info(
        "%d parts (%s) in %.1fs, %d at a time, about %.1f s each",
        len(parts),
        "teams" if is_organisation(instance) else "a pool's split",
        time.perf_counter() - t0,
        jobs,
        (parts_deadline - time.time()) / math.ceil(len(parts) / jobs),
    )
    outcomes = _run_parts(
        [
            PartJob(p, rules, part_params, parts_deadline, math.ceil((len(order) - k) / jobs))
            for k, p in enumerate(order)
        ],
        jobs,
        on_part,
        executor,
        address,
    )
    t_parts = time.perf_counter()

    problem = compile_problem(instance, rules.resolution)
    # ejections may run until the time the reasons and the check need is all that is left
    deadline = t0 + params.time_limit_s - finish
    builder, borrowed, unexamined = borrow(problem, rules, [out.solution for out in outcomes], deadline)
    statuses = {out.solution.status for out in outcomes}
    status: Status = "FEASIBLE" if statuses <= {"OPTIMAL", "FEASIBLE"} else "UNKNOWN"
    found_by = "cp-sat" if all(out.solution.found_by == "cp-sat" for out in outcomes) else "greedy"
    raw = RawRota(dict(builder.start), dict(builder.crew), builder.held)
    wall = time.perf_counter() - t0
    solution, report = make_solution(
        problem,
        rules,
        (builder.eligible, builder.domains),
        instance,
        status,
        raw,
        found_by,
        None,
        wall,
        unexamined=unexamined,
        stop=lambda: time.perf_counter() > t0 + params.time_limit_s,
    )
    solution.objective = report.objective
    solution.parts = [_summary(out, part) for out, part in zip(outcomes, _by_teams(parts, outcomes), strict=True)]
    solution.wall_s = round(time.perf_counter() - t0, 3)
    first, within = _curve(outcomes, epoch0)
    parent = _peak_rss_mb()
    child = max((o.peak_rss_mb for o in outcomes), default=0.0)
    return OrgResult(
        solution=solution,
        report=report,
        parts=outcomes,
        borrowed=borrowed,
        timings={
            "parts_s": round(t_parts - t0, 3),
            "merge_s": round(time.perf_counter() - t_parts, 3),
            "total_s": solution.wall_s,
        },
        peak_memory_mb=round(parent + jobs * child, 1) if jobs > 1 else round(max(parent, child), 1),
        first_feasible_s=first,
        within_1pct_s=within,
    )


def borrow(
    problem: Problem, rules: RuleSet, rotas: Sequence[Solution], deadline: float | None = None
) -> tuple[RouteBuilder, int, list[int]]:
    """The teams' rotas as one, and every visit none of them covered offered to every worker of
    the organisation. Returns the builder holding the merged rota, and how many visits it added.

    Only the uncovered visits (and, for ejections, the visits in their way) get an eligibility
    computed: a few hundred of 10,000. Ejections stop at ``deadline`` (``time.perf_counter``)."""
    start: dict[int, int] = {}
    crew: dict[int, tuple[int, ...]] = {}
    pairs: list[tuple[int, int]] = []
    for rota in rotas:
        for a in rota.visits:
            v = problem.visit_index[a.visit]
            start[v] = int(problem.minute_of(a.start))
            crew[v] = tuple(problem.worker_index[w] for w in a.workers)
        pairs += [(problem.role_index[r.role], problem.worker_index[r.worker]) for r in rota.roles]
    missing = [v for v in range(len(problem.visits)) if v not in crew]

    def late() -> bool:
        return (deadline is not None and time.perf_counter() > deadline) or requested() is not None

    (eligible, domains), unexamined = eligibility_until(problem, rules, late, missing)
    builder = builder_from_rota(problem, rules, eligible, domains, start, crew, held_from(pairs))
    by_need = sorted(missing, key=lambda v: (len(eligible[v]) / problem.visits[v].required, problem.visits[v].earliest))
    insert_in_order(builder, by_need, stop=late)
    still = [v for v in missing if v not in builder.crew and eligible[v]]
    if still and (deadline is None or time.perf_counter() < deadline):
        # Ejections and ruins move the visits in the way and the clients' other visits: those
        # need their own eligibility first (only they: a few hundred of 10,000; on a pool of
        # 500 workers it can be thousands, so it stops at the deadline: a visit not examined
        # keeps no eligibility and stays where it is).
        movable = {u for v in still for u in blockers_of(builder, v)}
        movable.update(u for v in still for u in problem.clients[problem.visits[v].client].visits if u in crew)
        (more, more_domains), skipped = eligibility_until(problem, rules, late, movable)
        movable.difference_update(skipped)
        for u in movable:
            eligible[u] = more[u]
        domains.update(more_domains)
        repair(builder, rounds=1, deadline=deadline)
        if deadline is not None:
            # ruin and recreate (a regular of the client swapped for a borrowed worker when the
            # cap on distinct workers blocks, visits around it moved) while time is left
            ruin = cover_by_ruin(builder, random.Random(0), deadline=deadline)
            log.info(
                "borrowing: ruin and recreate on %d movable visits, %d steps (%d kept), %d -> %d covered",
                len(movable),
                ruin.steps,
                ruin.accepted,
                ruin.covered_before,
                ruin.covered_after,
            )
    borrowed = len(builder.crew) - len(crew)
    log.info("borrowing: %d of %d uncovered visits placed", borrowed, len(missing))
    return builder, borrowed, unexamined


def _by_teams(parts: Sequence[TeamPart], outcomes: Sequence[PartOutcome]) -> list[TeamPart]:
    of = {p.teams: p for p in parts}
    return [of[o.teams] for o in outcomes]


def _summary(outcome: PartOutcome, part: TeamPart) -> SolvedPart:
    sol = outcome.solution
    return SolvedPart(
        id="+".join(outcome.teams),
        workers=[w.id for w in part.instance.workers],
        clients=len(part.instance.clients),
        visits=outcome.visits,
        covered=len(sol.visits),
        status=sol.status,
        wall_s=round(outcome.finished - outcome.started, 3),
    )


def _run_parts(
    jobs_list: Sequence[PartJob],
    jobs: int,
    on_part: Callable[[PartOutcome, int, int], None] | None,
    executor: str = "local",
    address: str | None = None,
) -> list[PartOutcome]:
    if executor == "ray":
        return _run_on_ray(jobs_list, jobs, on_part, address)
    outcomes: list[PartOutcome] = []
    if jobs == 1:
        for job in jobs_list:
            outcomes.append(_solve_part(job))
            if on_part is not None:
                on_part(outcomes[-1], len(outcomes), len(jobs_list))
        return sorted(outcomes, key=lambda o: o.teams)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = {pool.submit(_solve_part, job) for job in jobs_list}
        stopping_since: float | None = None
        while pending:
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                if not future.cancelled():
                    outcomes.append(future.result())
                    if on_part is not None:
                        on_part(outcomes[-1], len(outcomes), len(jobs_list))
            if requested() and stopping_since is None:
                # a stop (SIGINT, SIGTERM): parts not started are dropped; the running ones are
                # asked to hand on their best rota, and ended if they have not within the grace
                stopping_since = time.perf_counter()
                log.warning("stop requested: %d parts not finished are asked to stop", len(pending))
                for future in pending:
                    future.cancel()
                _signal_workers(pool, signal.SIGINT)
            if stopping_since is not None and pending and time.perf_counter() - stopping_since > STOP_GRACE_S:
                _signal_workers(pool, signal.SIGKILL)
                break
    return sorted(outcomes, key=lambda o: o.teams)


def _signal_workers(pool: ProcessPoolExecutor, signum: signal.Signals) -> None:
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)


def _run_on_ray(
    jobs_list: Sequence[PartJob],
    jobs: int,
    on_part: Callable[[PartOutcome, int, int], None] | None,
    address: str | None,
) -> list[PartOutcome]:
    """The parts as Ray tasks: on the cluster at ``address``, else on a local Ray runtime of
    ``jobs`` CPUs. Each task asks for as many CPUs as its CP-SAT search workers."""
    with ray_runtime(address, jobs) as ray:
        remote = ray.remote(_solve_part)
        waiting = [remote.options(num_cpus=max(1, job.params.workers)).remote(job) for job in jobs_list]
        outcomes: list[PartOutcome] = []
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1, timeout=POLL_S)
            if requested():
                log.warning("stop requested: %d parts not finished are cancelled", len(waiting))
                for ref in waiting:
                    ray.cancel(ref, force=True)
                break
            if not ready:
                continue
            outcomes.append(ray.get(ready[0]))
            if on_part is not None:
                on_part(outcomes[-1], len(outcomes), len(jobs_list))
    return sorted(outcomes, key=lambda o: o.teams)


def _curve(outcomes: Sequence[PartOutcome], epoch0: float) -> tuple[float | None, float | None]:
    """(time every team had a rota, time their total was within 1 % of its final value)."""
    if not outcomes or any(not o.trace for o in outcomes):
        return None, None
    first = max(o.trace[0][0] for o in outcomes)
    final = sum(o.trace[-1][1] for o in outcomes)
    moments = sorted({t for o in outcomes for t, _ in o.trace if t >= first})
    for t in moments:
        total = sum(min(obj for when, obj in o.trace if when <= t) for o in outcomes)
        if total <= final + 0.01 * abs(final):
            return round(first - epoch0, 3), round(t - epoch0, 3)
    return round(first - epoch0, 3), round(moments[-1] - epoch0, 3)
