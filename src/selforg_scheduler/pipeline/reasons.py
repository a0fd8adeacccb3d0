"""Plain-English reasons why a visit is not covered in a rota, found without the solver.

For every worker the reason is the first that applies: a rule keeps them off the visit whatever
the rota (each rule says why in its own words, :meth:`Rule.kept_off`: lacks a skill, excluded by
the client, not available in the window, on a commitment, ...), a rule of their week would break
(:meth:`Rule.week_problem`), the client's cap on distinct workers is reached, a linked visit's gap
cannot be met, or busy with named visits (including travel). Workers are grouped by reason so a
sentence stays short.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from selforg_scheduler.core.problem import Interval, Problem
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
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    could: list[int] = []
    for wd in p.workers:
        w = wd.index
        if (v, w) not in b.domains:
            kept = rules.kept_off(p, v, w)
            if kept is None:
                why = "cannot take it (no start fits every rule)"
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
    window = f"{p.clock(lo)}-{p.time_of(hi):%H:%M}"
    head = f"{vd.required} workers" if vd.required > 1 else "a worker"
    if not p.workers:
        return f"needs {head} starting {window}: the team has no workers"
    parts = [_clause(p, ws, why) for why, ws in groups.items()]
    if len(could) >= vd.required:
        parts.append(
            f"{_clause(p, could, ('could still take it', 'could still take it'))}: "
            "the search stopped (time limit) before covering it"
        )
    elif could:
        parts.append(f"only {_clause(p, could, ('is', 'are'))} free then, {vd.required} needed")
    return f"needs {head} starting {window}: " + "; ".join(parts)


BUSY_NAMED = 3
"""Busy workers named with the visits in their way; the rest are counted (an organisation has
dozens who could do a visit in principle)."""


def _fold_busy(p: Problem, v: int, groups: dict[tuple[str, str], list[int]]) -> None:
    """Keep the first BUSY_NAMED busy clauses (link workers, then the client's team, then the
    rest) and fold the others into one."""
    busy = [why for why in groups if why[0].startswith("is busy with")]
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


def _busy_reason(b: RouteBuilder, v: int, w: int) -> tuple[str, str]:
    p = b.problem
    vd = p.visits[v]
    seen = b.seen.get(vd.client, set())
    if b.cap is not None and w not in seen and len(seen) >= b.cap:
        why = f"would be a new face: {p.clients[vd.client].id} already sees {len(seen)} workers (the cap)"
        return why, why
    dlo, dhi = b.dependency_range(v)
    dom: tuple[Interval, ...] = b.domains[(v, w)]
    if dlo > dom[-1][1] or dhi < dom[0][0]:
        why = "cannot meet the gap to its linked visit"
        return why, why
    lo, hi = dom[0][0], dom[-1][1] + vd.duration  # the span v could occupy
    route = b.routes.get((w, vd.day), [])
    clash = [
        u for u in route if b.start[u] < hi + b.travel(v, u) and b.start[u] + p.visits[u].duration + b.travel(u, v) > lo
    ]
    if clash:
        busy = ", ".join(f"{p.visits[u].id} {p.time_of(b.start[u]):%H:%M}" for u in clash[:3])
        return f"is busy with {busy} (with travel)", f"are busy with {busy} (with travel)"
    return "cannot fit it between other visits", "cannot fit it between other visits"


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
