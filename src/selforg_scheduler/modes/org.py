"""Organisation-size weeks: one model per team, solved in parallel processes, then borrowing.

An instance whose workers name their ``team`` (an added field; clients and roles name it too, or a
client goes with its link workers) is an organisation of teams. One CP-SAT model for 200 workers
and 10,000 visits is far too big, and a team's visits are (almost) all its own, so:

1. :func:`team_parts` splits the instance into one instance per team. Teams tied together by a
   linked visit or a buddy group across them are kept in one part (networkx components).
2. Each part is solved by :func:`~selforg_scheduler.pipeline.solve.solve_detailed` in a process pool
   (the cores shared out: one CP-SAT worker per process when there are as many parts running as
   cores), smallest team first. A part's time limit is set as it starts: an equal share of the
   time left (after a reserve for the merge, 4 ms a visit) with the parts still to start; a team
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

import gc
import logging
import math
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import networkx as nx

from selforg_scheduler.contract.instance import Instance, MatrixTravel, Team
from selforg_scheduler.contract.io import client_team
from selforg_scheduler.contract.solution import Solution, Status
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.role_facts import held_from
from selforg_scheduler.cpsat.run import Progress, RawRota
from selforg_scheduler.pipeline.reasons import builder_from_rota
from selforg_scheduler.pipeline.solve import SolveParams, make_solution, solve_detailed
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.frame import eligibility
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


PART_OVERHEAD_S = 1.0
"""A part's time beyond its search limit (process hand-over, writing its solution)."""
COVERED_EXTRA = 0.2
"""Once a team's every coverable visit is covered, its search goes on for at most this share of
its time limit more (travel and continuity polish): the rest goes to the teams after it."""


@dataclass(frozen=True)
class TeamPart:
    """The instance of one team (or of teams that must be solved together)."""

    teams: tuple[str, ...]
    instance: Instance


def is_organisation(instance: Instance) -> bool:
    """Whether the workers belong to more than one team."""
    return len({w.team for w in instance.workers if w.team is not None}) > 1


def team_parts(instance: Instance) -> list[TeamPart]:
    """One instance per team, largest first. Roles without a team go with the largest part.

    Link workers and exclusions naming another team's worker are dropped from the part (the
    merged rota is still costed on the whole instance)."""
    worker_team = {w.id: w.team for w in instance.workers}
    teams = sorted({t for t in worker_team.values() if t is not None})
    if len(teams) <= 1:
        return [TeamPart(tuple(teams), instance)]
    of_client = {c.id: client_team(c, worker_team) for c in instance.clients}
    of_visit = {v.id: of_client[v.client] for v in instance.visits}
    ties = nx.Graph()
    ties.add_nodes_from(teams)
    for d in instance.dependencies:
        ties.add_edge(of_visit[d.first], of_visit[d.second])
    for group in instance.buddies:
        ties.add_edges_from((worker_team[group[0]], worker_team[w]) for w in group[1:])
    groups = [tuple(sorted(c)) for c in nx.connected_components(ties)]
    size = {g: sum(1 for v in instance.visits if of_visit[v.id] in g) for g in groups}
    groups.sort(key=lambda g: (-size[g], g))
    loose_roles = {r.id for r in instance.roles if r.team is None}
    return [
        TeamPart(g, _part(instance, set(g), worker_team, of_client, loose_roles if k == 0 else set()))
        for k, g in enumerate(groups)
    ]


def _part(
    inst: Instance,
    teams: set[str],
    worker_team: dict[str, str | None],
    of_client: dict[str, str | None],
    loose_roles: set[str],
) -> Instance:
    workers = [w for w in inst.workers if w.team in teams]
    ids = {w.id for w in workers}
    clients = [
        c.model_copy(
            update={
                "link_workers": [w for w in c.link_workers if w in ids],
                "excluded_workers": [w for w in c.excluded_workers if w in ids],
            }
        )
        for c in inst.clients
        if of_client[c.id] in teams
    ]
    client_ids = {c.id for c in clients}
    visits = [v for v in inst.visits if v.client in client_ids]
    visit_ids = {v.id for v in visits}
    roles = [r for r in inst.roles if r.team in teams or r.id in loose_roles]
    role_ids = {r.id for r in roles}
    used = {c.location for c in clients} | {w.home for w in workers if w.home is not None}
    travel = inst.travel
    if isinstance(travel, MatrixTravel):
        travel = travel.model_copy(
            update={
                "minutes": {
                    a: {b: t for b, t in row.items() if b in used} for a, row in travel.minutes.items() if a in used
                }
            }
        )
    name = "+".join(sorted(teams))
    return inst.model_copy(
        update={
            "team": Team(id=name, name=f"{inst.team.name}: {name}", timezone=inst.team.timezone),
            "travel": travel,
            "locations": [loc for loc in inst.locations if loc.id in used],
            "workers": workers,
            "clients": clients,
            "visits": visits,
            "dependencies": [d for d in inst.dependencies if d.first in visit_ids],
            "buddies": [g for g in inst.buddies if g[0] in ids],
            "roles": roles,
            "role_history": [h for h in inst.role_history if h.role in role_ids and h.worker in ids],
            "buddy_history": [h for h in inst.buddy_history if all(m in ids for m in h.members)],
        }
    )


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
) -> OrgResult:
    """Solve every team in parallel (``jobs`` processes, 0 = one per core), merge, borrow."""
    rules = rules or default_rules()
    params = params or SolveParams()
    t0 = time.perf_counter()
    epoch0 = time.time()
    parts = team_parts(instance)
    jobs = min(jobs or os.cpu_count() or 1, len(parts))
    finish = FINISH_S_PER_VISIT * len(instance.visits)
    reserve = max(2.0, MERGE_S_PER_VISIT * len(instance.visits))
    parts_deadline = time.time() + params.time_limit_s - reserve - (time.perf_counter() - t0)
    cores = params.workers or os.cpu_count() or 1
    part_params = params.model_copy(update={"workers": max(1, cores // jobs)})
    # The smallest teams first: the time they leave unused goes to the busiest, which start last.
    order = sorted(parts, key=lambda p: (len(p.instance.visits), p.teams))
    log.info(
        "%d team parts, %d at a time, about %.1f s each",
        len(parts),
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
    )
    t_parts = time.perf_counter()

    problem = compile_problem(instance, rules.resolution)
    # ejections may run until the time the reasons and the check need is all that is left
    deadline = t0 + params.time_limit_s - finish
    builder, borrowed = borrow(problem, rules, [out.solution for out in outcomes], deadline)
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
    )
    solution.objective = report.objective
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
) -> tuple[RouteBuilder, int]:
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
    eligible, domains = eligibility(problem, rules, missing)
    builder = builder_from_rota(problem, rules, eligible, domains, start, crew, held_from(pairs))
    by_need = sorted(missing, key=lambda v: (len(eligible[v]) / problem.visits[v].required, problem.visits[v].earliest))
    insert_in_order(builder, by_need)
    still = [v for v in missing if v not in builder.crew and eligible[v]]
    if still and (deadline is None or time.perf_counter() < deadline):
        # Ejections and ruins move the visits in the way and the clients' other visits: those
        # need their own eligibility first (only they: a few hundred of 10,000).
        movable = {u for v in still for u in blockers_of(builder, v)}
        movable.update(u for v in still for u in problem.clients[problem.visits[v].client].visits if u in crew)
        more, more_domains = eligibility(problem, rules, movable)
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
    return builder, borrowed


def _run_parts(
    jobs_list: Sequence[PartJob], jobs: int, on_part: Callable[[PartOutcome, int, int], None] | None
) -> list[PartOutcome]:
    outcomes: list[PartOutcome] = []
    if jobs == 1:
        for job in jobs_list:
            outcomes.append(_solve_part(job))
            if on_part is not None:
                on_part(outcomes[-1], len(outcomes), len(jobs_list))
        return outcomes
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_solve_part, job) for job in jobs_list]
        for future in as_completed(futures):
            outcomes.append(future.result())
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
