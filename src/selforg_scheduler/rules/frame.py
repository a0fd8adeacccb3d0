"""The frame of a week under a rule set: which workers may do each visit, and when.

Asked before any variable or route exists, by the CP-SAT model and the route searches alike:
every rule prunes (visit, worker) pairs (``allows``), narrows their starts (``starts``) and the
worker's free time (``free_time``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from selforg_scheduler.core.problem import Interval, Problem, fitting_starts
from selforg_scheduler.rules.config import RuleSet

Frame = tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]]
"""Eligible workers per visit, and each eligible (visit, worker) pair's allowed start intervals."""


def eligibility(problem: Problem, rules: RuleSet, visits: Iterable[int] | None = None) -> Frame:
    """Eligible workers per visit and each eligible pair's allowed start intervals; with
    ``visits``, only for those (the others get no eligible worker)."""
    frame, _ = eligibility_until(problem, rules, lambda: False, visits)
    return frame


def eligibility_until(
    problem: Problem, rules: RuleSet, stop: Callable[[], bool], visits: Iterable[int] | None = None
) -> tuple[Frame, list[int]]:
    """:func:`eligibility` until ``stop()`` (asked before each visit): the frame, and the visits
    it had no time to examine (they get no eligible worker; their reason says why)."""
    active = list(rules.active())
    eligible: list[list[int]] = [[] for _ in problem.visits]
    domains: dict[tuple[int, int], tuple[Interval, ...]] = {}
    blocks = [rules.free_time(problem, w.index) for w in problem.workers]
    chosen = list(range(len(problem.visits))) if visits is None else sorted(set(visits))
    repeated = [
        (math.ceil(a * problem.unit), math.ceil(b * problem.unit) - 1)
        for a, b in problem.local_clock.repeated(problem.days)
    ]
    for k, vd in enumerate(problem.visits[v] for v in chosen):
        if stop():
            return (eligible, domains), chosen[k:]
        lo, hi = rules.start_range(problem, vd.index)
        ws = []
        for wd in problem.workers:
            # the steps of pair_starts, inlined: the hot loop of a large pool's frame
            if not all(rule.allows(problem, vd.index, wd.index) for rule in active):
                continue
            dom = fitting_starts(blocks[wd.index], vd.duration, lo, hi)
            for rule in active:
                if not dom:
                    break
                dom = rule.starts(problem, vd.index, wd.index, dom)
            if dom and repeated:
                dom = _writable(dom, repeated)
            if dom:
                ws.append(wd.index)
                domains[(vd.index, wd.index)] = dom
        if len(ws) < vd.required:
            # Too few workers can ever do it: no variables, the visit is left uncovered.
            for w in ws:
                del domains[(vd.index, w)]
            ws = []
        eligible[vd.index] = ws
    return (eligible, domains), []


def pair_starts(problem: Problem, rules: RuleSet, visit: int, worker: int) -> tuple[Interval, ...]:
    """The starts at which the worker may begin the visit under every rule, on their own: the
    pair's domain in :func:`eligibility`, whether or not enough workers can do the visit (one
    too few workers can do gets no eligible worker there, however many could each)."""
    active = list(rules.active())
    if not all(rule.allows(problem, visit, worker) for rule in active):
        return ()
    lo, hi = rules.start_range(problem, visit)
    dom = fitting_starts(rules.free_time(problem, worker), problem.visits[visit].duration, lo, hi)
    for rule in active:
        if not dom:
            break
        dom = rule.starts(problem, visit, worker, dom)
    repeated = [
        (math.ceil(a * problem.unit), math.ceil(b * problem.unit) - 1)
        for a, b in problem.local_clock.repeated(problem.days)
    ]
    return _writable(dom, repeated) if repeated else dom


def _writable(dom: tuple[Interval, ...], holes: list[Interval]) -> tuple[Interval, ...]:
    """The starts of ``dom`` (closed ranges) outside the ``holes`` (closed ranges): a start in the
    second occurrence of a repeated hour could not be written in the contract's local times."""
    out: list[Interval] = []
    for a, b in dom:
        cur = a
        for h0, h1 in holes:
            if h1 < cur or h0 > b:
                continue
            if h0 > cur:
                out.append((cur, h0 - 1))
            cur = max(cur, h1 + 1)
        if cur <= b:
            out.append((cur, b))
    return tuple(out)
