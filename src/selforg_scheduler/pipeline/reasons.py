"""Plain-English reasons why a visit is not covered in a rota, found without the solver.

Every reason is a full sentence: what the visit needs (how many workers, starting when), then,
worker by worker, the first cause that applies, in the words of the rule behind it (rules say why
through their hooks; this module names none of them):

* a rule keeps them off the visit whatever the rota (:meth:`Rule.kept_off`: lacks a skill,
  excluded by the client, not available in the window, on a commitment, ...);
* too few workers could ever do it: a double-up that only one worker can take (the frame drops
  such a visit, so those who could take it are named as the only ones, not given a reason of
  their own);
* a rule of their week would break (:meth:`Rule.week_problem`);
* the client's cap on distinct workers is reached, a linked visit's gap cannot be met, or they are
  busy with named visits (or cannot fit the travel to them);
* enough workers are free but no crew of them may go together (:meth:`Rule.crew_problem`), or
  they are free at different times.

Workers are grouped by reason so a sentence stays short.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from selforg_scheduler.core.problem import Interval, Problem
from selforg_scheduler.rules.frame import pair_starts
from selforg_scheduler.search.builder import RouteBuilder

if TYPE_CHECKING:
    from selforg_scheduler.rules.config import RuleSet


def _names(problem: Problem, workers: list[int]) -> str:
    ids = [problem.workers[w].id for w in sorted(workers)]
    if len(ids) <= 4:
        return ", ".join(ids)
    return f"{', '.join(ids[:3])} and {len(ids) - 3} others"


def _clause(problem: Problem, workers: list[int], why: tuple[str, str]) -> str:
    """``w01 is busy`` / ``w01, w02 are busy``: ``why`` is (singular, plural)."""
    return f"{_names(problem, workers)} {why[0] if len(workers) == 1 else why[1]}"


NO_TIME = (
    "not placed: the time limit ran out before every worker could be tried for it "
    "(a longer --time-limit places it or says why not)"
)
"""The reason of a visit the solve had no time to examine (its eligibility or its reason)."""


def unassigned_reasons(
    builder: RouteBuilder,
    visits: list[int],
    unexamined: Collection[int] = (),
    stop: Callable[[], bool] | None = None,
) -> dict[int, str]:
    """A reason for each visit, given a builder holding the final rota. A visit in
    ``unexamined`` (its eligibility not worked out in time), and every visit once ``stop()``
    is true, gets :data:`NO_TIME`."""
    skipped = set(unexamined)
    out: dict[int, str] = {}
    for v in visits:
        if v in skipped or (stop is not None and stop()):
            out[v] = NO_TIME
        else:
            out[v] = _reason(builder, v)
    return out


def _reason(b: RouteBuilder, v: int) -> str:
    p, rules = b.problem, b.rules
    vd = p.visits[v]
    lo, hi = rules.start_range(p, v)
    head = f"needs {vd.required} workers" if vd.required > 1 else "needs a worker"
    head += f" starting {p.clock(lo)}-{p.time_of(hi):%H:%M}"
    if not p.workers:
        return f"{head}: the team has no workers"
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    could: list[int] = []
    """Workers who could add the visit to their day as the rota stands."""
    able: list[int] = []
    """Workers the frame would let take the visit, were there enough of them (it dropped it)."""
    dropped = not b.eligible[v]
    for wd in p.workers:
        w = wd.index
        if (v, w) not in b.domains:
            if dropped and pair_starts(p, rules, v, w):
                able.append(w)
                continue
            kept = rules.kept_off(p, v, w)
            if kept is None:
                why = "cannot take it: no start fits every rule at once"
            else:  # the rule is named, so the team knows what to relax
                why = kept[1] if kept[0] in kept[1] else f"{kept[1]} ({kept[0]})"
            groups[(why, plural(why))].append(w)
            continue
        opt = b.option(v, w)
        if opt is not None:
            blocked = _rule_block(b, v, w, opt.starts)
            if blocked is None:
                could.append(w)
            else:
                groups[blocked].append(w)
            continue
        groups[_busy_reason(b, v, w)].append(w)
    _fold_busy(p, v, groups)
    parts = [_clause(p, ws, why) for why, ws in groups.items()]
    if able:
        parts.insert(0, f"only {_clause(p, able, ('can take it', 'can take it'))}, {vd.required} needed")
    elif len(could) >= vd.required:
        parts.append(_crew_block(b, v, could))
    elif could:
        parts.append(f"only {_clause(p, could, ('is', 'are'))} free then, {vd.required} needed")
    if not parts:  # (every worker is accounted for above; never an empty list)
        parts.append("no worker can take it")
    return f"{head}: " + "; ".join(parts)


BUSY_NAMED = 3
"""Busy workers named with the visits in their way; the rest are counted (an organisation has
dozens who could do a visit in principle)."""

BUSY = ("is busy with", "cannot fit the travel")
"""How the clauses of workers kept off by their other visits begin."""


def _fold_busy(p: Problem, v: int, groups: dict[tuple[str, str], list[int]]) -> None:
    """Keep the first BUSY_NAMED busy clauses (link workers, then the client's team, then the
    rest) and fold the others into one."""
    busy = [why for why in groups if why[0].startswith(BUSY)]
    if len(busy) <= BUSY_NAMED:
        return
    client = p.clients[p.visits[v].client]
    team = p.instance.clients[client.index].team
    teams = [wd.team for wd in p.instance.workers]

    def rank(why: tuple[str, str]) -> tuple[int, int, int]:
        ws = groups[why]
        return (
            not any(w in client.link_workers for w in ws),
            team is None or all(teams[w] != team for w in ws),
            min(ws),
        )

    busy.sort(key=rank)
    rest = sorted(w for why in busy[BUSY_NAMED:] for w in groups.pop(why))
    groups[("is busy with other visits then", "are busy with other visits then")] = rest


PLURAL_VERBS = {"is": "are", "has": "have", "was": "were"}


def plural(phrase: str) -> str:
    """The phrase for several workers: "lacks x" -> "lack x", "is ..." -> "are ..."."""
    verb, _, rest = phrase.partition(" ")
    if verb in PLURAL_VERBS:
        verb = PLURAL_VERBS[verb]
    elif verb.endswith("s") and not verb.endswith("ss"):
        verb = verb[:-1]
    return f"{verb} {rest}" if rest else verb


def _rule_block(b: RouteBuilder, v: int, w: int, starts: tuple[Interval, ...]) -> tuple[str, str] | None:
    """The working-time rule that stops w taking v at every start they could otherwise make."""
    found: tuple[str, str] | None = None
    for a, z in starts:
        for t in (a, z):
            problem = b.week_problem(v, t, w)
            if problem is None:
                return None
            found = problem
    if found is None:
        return None
    why = f"would break {found[0]} ({found[1]})"
    return why, why


CREWS_TRIED, STARTS_TRIED = 200, 50
"""Crews of free workers asked whether they may go together at each start (as the builder does),
and about how many starts they are asked at."""


def _crew_block(b: RouteBuilder, v: int, could: list[int]) -> str:
    """Why no crew of the workers who are each free for v (``could``, at least as many as it
    needs) covers it: the crew rules, a rule of their week at the starts they share, the client's
    cap, or no start they share; or, when a crew could go, that the search stopped first."""
    p = b.problem
    vd = p.visits[v]
    if vd.required == 1 or b.best_crew(v) is not None:  # (one worker free at a start that keeps every rule)
        return (
            f"{_clause(p, could, ('could still take it', 'could still take it'))}: "
            "the search stopped (time limit) before covering it"
        )
    options = {w: o for w in could if (o := b.option(v, w)) is not None}
    starts = sorted({t for o in options.values() for a, z in o.starts for t in (a, z)})
    starts = starts[:: max(1, len(starts) // STARTS_TRIED)]  # a large pool's double-up: a sample
    seen = b.seen.get(vd.client, set())
    crew_why: tuple[str, str] | None = None
    week_why: tuple[str, str] | None = None
    capped = shared = False
    for t in starts:
        there = [w for w, o in options.items() if any(a <= t <= z for a, z in o.starts)]
        if len(there) < vd.required:
            continue
        shared = True
        fine = []
        for w in there:
            why = b.week_problem(v, t, w)
            if why is None:
                fine.append(w)
            else:
                week_why = week_why or why
        for crew in itertools.islice(itertools.combinations(fine, vd.required), CREWS_TRIED):
            if b.cap is not None and len(seen | set(crew)) > b.cap:
                capped = True
                continue
            crew_why = crew_why or b.crew_problem(v, crew)
    if crew_why is not None:
        rule, words = crew_why
        return words if rule in words else f"{words} ({rule})"
    if week_why is not None:
        return (
            f"{_clause(p, could, ('is', 'are'))} free, but at the starts they share it would break "
            f"{week_why[0]} ({week_why[1]})"
        )
    if capped:
        return (
            f"{_clause(p, could, ('is', 'are'))} free, but {p.clients[vd.client].id} would see more workers "
            f"than the cap on distinct workers ({b.cap})"
        )
    if not shared:
        return (
            f"{_clause(p, could, ('is', 'are'))} free, but not at one start: "
            f"the {vd.required} workers of a double-up start together"
        )
    return f"no {vd.required} of {_names(p, could)} can go together at a start they share"


def _busy_reason(b: RouteBuilder, v: int, w: int) -> tuple[str, str]:
    p = b.problem
    vd = p.visits[v]
    seen = b.seen.get(vd.client, set())
    if b.cap is not None and w not in seen and len(seen) >= b.cap:
        n = len(seen)
        why = (
            f"would be a new face for {p.clients[vd.client].id}, who already sees {n} worker{'s' * (n != 1)}: "
            "the cap on distinct workers"
        )
        return why, why
    dlo, dhi = b.dependency_range(v)
    dom: tuple[Interval, ...] = b.domains[(v, w)]
    if dlo > dom[-1][1] or dhi < dom[0][0]:
        why = _link_reason(b, v)
        return why, why
    lo, hi = dom[0][0], dom[-1][1] + vd.duration  # the span v could occupy
    route = b.routes.get((w, vd.day), [])

    def spans(u: int) -> str:
        return f"{p.visits[u].id} {p.time_of(b.start[u]):%H:%M}-{p.time_of(b.end(u)):%H:%M}"

    overlap = [u for u in route if b.start[u] < hi and b.end(u) > lo]
    if overlap:
        busy = ", ".join(spans(u) for u in overlap[:3])
        kept = [u for u in overlap[:3] if u in p.fixed]
        if len(kept) == len(overlap[:3]):  # a repair's pinned (or past) visits cannot move
            busy += f", which keep{'s' * (len(kept) == 1)} {'its' if len(kept) == 1 else 'their'} workers and start"
        return f"is busy with {busy}", f"are busy with {busy}"
    near = [u for u in route if b.start[u] < hi + b.travel(v, u) and b.end(u) + b.travel(u, v) > lo]
    if near:
        legs = ", ".join(f"{spans(u)}, {p.minutes(max(b.travel(u, v), b.travel(v, u)))} min away" for u in near[:3])
        why = f"cannot fit the travel to or from {legs}"
        return why, why
    if not route:
        why = "cannot fit it in their free time with the travel"
        return why, why
    return "cannot fit it between other visits", "cannot fit it between other visits"


def _link_reason(b: RouteBuilder, v: int) -> str:
    """``cannot keep the 180-300 min gap to linked visit v1 (Mon 09:00)``."""
    p = b.problem
    for d in p.dependencies:
        if v not in (d.first, d.second):
            continue
        partner = d.second if v == d.first else d.first
        if partner in b.start:
            return (
                f"cannot keep the {p.minutes(d.min_gap)}-{p.minutes(d.max_gap)} min gap between the starts of "
                f"it and its linked visit {p.visits[partner].id} ({p.clock(b.start[partner])})"
            )
    return "cannot keep the gap to its linked visits"


def builder_from_rota(
    problem: Problem,
    rules: RuleSet,
    eligible: list[list[int]],
    domains: dict[tuple[int, int], tuple[Interval, ...]],
    start: dict[int, int],
    crew: dict[int, tuple[int, ...]],
    held: dict[int, tuple[int, ...]] | None = None,
) -> RouteBuilder:
    b = RouteBuilder(problem, rules, eligible, domains, held=held or {})
    for v in sorted(crew, key=lambda u: start[u]):
        b.place(v, start[v], crew[v])
    return b
