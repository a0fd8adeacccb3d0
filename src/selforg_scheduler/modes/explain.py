"""Why a week cannot be fully covered, in plain English, before (or instead of) a solve.

Two layers:

* :func:`diagnose` (no solver, a second or two): a visit needing a skill nobody has; a double-up
  with fewer possible workers than it needs; a visit outside every availability; a client who
  has excluded everyone who could come; a day whose visits need more worker-minutes than the
  workers are available; a visit that every worker who could do it is kept off by a hard rule
  (an agreed arrangement, lone working, ...), naming the worker and the rule.
* :func:`conflicts` (CP-SAT): visits that are each possible but cannot all be covered together.
  A quick greedy rota comes first: if it covers every visit possible on its own there is no
  conflict; else the visits it leaves uncovered are the likeliest members of one, and each is
  examined on its own with a small budget, on a model of just the visits around it. Coverage is
  required through one assumption literal per visit, and each agreed arrangement and guarded hard
  rule instance (a worker-day's daily limit or break, the rest between two days, a worker's weekly
  limit or day off, a double-up's need for an experienced worker: ``ModelContext.guard``) is kept
  through one too; when the model is infeasible, CP-SAT's sufficient set of assumptions is shrunk
  (deletion filter) to a small set of visits that cannot all be covered, reported at once with the
  workers they compete for. If the time runs out first, a last finding says what was not examined.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.core.interrupt import quiet_solver
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.cpsat.model import add_hints, build_model
from selforg_scheduler.pipeline.reasons import plural
from selforg_scheduler.rules.config import RuleSet, default_rules, rules_from_dict
from selforg_scheduler.rules.frame import Frame, eligibility
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import insert_in_order, plan_circles, repair

__all__ = ["Finding", "conflicts", "diagnose", "explain"]

log = logging.getLogger(__name__)

Kind = str
"""The rule that makes a visit impossible (its name), or double_up, day_demand, no_workers,
conflict, rule; ``unexamined`` for the conflict search's note of what its time left out."""


@dataclass(frozen=True)
class Finding:
    """One impossibility: what kind, about whom (visit, client or day), and the sentence."""

    kind: Kind
    subject: str
    sentence: str


def _names(ids: list[str]) -> str:
    if len(ids) <= 1:
        return "".join(ids)
    if len(ids) <= 5:
        return ", ".join(ids[:-1]) + " and " + ids[-1]
    return f"{', '.join(ids[:4])} and {len(ids) - 4} others"


def describe_visit(p: Problem, v: int) -> str:
    """``Visit v0123 (Mrs K, Tue 07:30, 2 workers, moving_and_handling)``."""
    return f"Visit {p.visit_label(v)}"


def diagnose(instance: Instance, rules: RuleSet | None = None) -> list[Finding]:
    """The impossibilities visible without a search, most specific first."""
    rules = rules or default_rules()
    p = compile_problem(instance, rules.resolution)
    if not p.workers:
        n = len(p.visits)
        return [
            Finding(
                "no_workers",
                instance.team.id,
                f"Team {instance.team.id} has no workers: no worker is available for any of its {n} "
                f"visit{'s' * (n != 1)}",
            )
        ]
    eligible, _ = eligibility(p, rules)
    findings: list[Finding] = []
    shared: dict[tuple[int, str, str], list[int]] = {}
    """(client, rule, why) -> the client's visits every worker is kept off for the same reason."""
    for vd in p.visits:
        v = vd.index
        if len(eligible[v]) >= vd.required:
            continue
        finding = _visit_finding(p, rules, v, shared)
        if finding is not None:
            findings.append(finding)
    # the same reason for several visits of one person, said once for the person
    for (ci, rule, why), visits in shared.items():
        c = p.clients[ci]
        if len(visits) == 1:
            findings.append(_no_worker(p, rules, visits[0], rule, why))
            continue
        findings.append(
            Finding(
                rule,
                c.id,
                f"Client {c.id} ({c.name or c.id}): no worker can do {len(visits)} of their visits "
                f"({_names([p.visits[v].id for v in visits])}): {why}",
            )
        )
    findings += _day_demand(p, rules)
    return findings


def _visit_finding(p: Problem, rules: RuleSet, v: int, shared: dict[tuple[int, str, str], list[int]]) -> Finding | None:
    """Walk the rules in order, each keeping workers off the visit (:meth:`Rule.keeps_off`),
    until too few are left: the rule that took the last possible workers is the finding's kind."""
    vd = p.visits[v]
    head = describe_visit(p, v) + " cannot be covered: "
    if len(p.workers) < vd.required:  # too few whatever the rules say
        return Finding(
            "double_up",
            vd.id,
            head + f"it needs {vd.required} workers; the team has only {len(p.workers)} "
            f"({_names([wd.id for wd in p.workers])})",
        )
    window = rules.start_range(p, v)
    left = [w.index for w in p.workers]
    clauses: dict[str, list[int]] = {}
    """Reason -> the workers it keeps off, in rule order."""
    for rule in rules.active():
        kept = {w: why for w in left if (why := rule.keeps_off(p, v, w, window)) is not None}
        for w, why in kept.items():
            clauses.setdefault(why, []).append(w)
        left = [w for w in left if w not in kept]
        if len(left) >= vd.required:
            continue
        said = _clauses(p, clauses)
        if left:
            only = _names([p.workers[w].id for w in left])
            return Finding(
                "double_up",
                vd.id,
                head + f"it needs {vd.required} workers; only {only} {'is' if len(left) == 1 else 'are'} left ({said})",
            )
        if len(clauses) == 1:  # one reason for everyone: said once per person when it repeats
            shared.setdefault((vd.client, rule.name, said), []).append(v)
            return None
        return _no_worker(p, rules, v, rule.name, said)
    return Finding(
        "rule", vd.id, head + "no worker has a start that fits every rule at once (free time, window and the rest)"
    )


def _no_worker(p: Problem, rules: RuleSet, v: int, rule: str, said: str) -> Finding:
    vd = p.visits[v]
    lo, hi = rules.start_range(p, v)
    window = f"{p.day_name(vd.day)} {p.time_of(lo):%H:%M}-{p.time_of(hi + vd.duration):%H:%M}"
    return Finding(rule, vd.id, describe_visit(p, v) + f" cannot be covered {window}: no worker can take it: {said}")


def _clauses(p: Problem, clauses: dict[str, list[int]]) -> str:
    """``w1 and w2 lack medication; w3 is excluded by c1``."""
    out = []
    for why, ws in clauses.items():
        out.append(f"{_names([p.workers[w].id for w in ws])} {why if len(ws) == 1 else plural(why)}")
    return "; ".join(out)


def _day_demand(p: Problem, rules: RuleSet) -> list[Finding]:
    out = []
    for day in range(p.days):
        need = sum(vd.duration * vd.required for vd in p.visits if vd.day == day)
        if not need:
            continue
        lo, hi = p.day_start(day), p.day_start(day + 1)  # (a day is 23 or 25 hours across a change)
        have = 0
        for wd in p.workers:
            for a, b in rules.free_time(p, wd.index):
                have += max(0, min(b, hi) - max(a, lo))
        if need > have:
            out.append(
                Finding(
                    "day_demand",
                    p.day_name(day),
                    f"{p.day_name(day)}: the visits need {p.minutes(need)} worker-minutes but the workers are "
                    f"available for {p.minutes(have)} (travel not counted): {p.minutes(need - have)} short",
                )
            )
    return out


# --- the conflict search ------------------------------------------------------------------------

GREEDY_SHARE = 0.25
"""Most of the time limit the quick greedy rota may take (what it has not placed is examined too)."""
PER_VISIT_SHARE, MIN_PER_VISIT_S = 0.05, 0.5
"""A visit's CP-SAT budget: a share of the time limit, at least so many seconds (many visits
looked at briefly rather than one model for long)."""
NEAR_MIN = 60
"""Minutes around a visit's times within which another visit is in its nearest ring."""

Item = tuple[str, int]
"""An assumption: ("visit", visit index), ("agreed", index into the agreed arrangements) or
("guard", index into the guarded rule instances, e.g. a worker-day's daily limit or break)."""


@dataclass
class _Search:
    """The conflict search's fixed parts: the problem, the rules of its models (agreed
    arrangements relaxed to name them), the frames, the quick rota and the budget."""

    p: Problem
    model_rules: RuleSet
    possible: Frame
    """The frame under the rules as given: a visit with too few workers here is impossible on its
    own (``diagnose`` says why) and never required."""
    frame: Frame
    rota: RouteBuilder
    deadline: float
    per_visit_s: float
    max_shrink_steps: int
    done: set[int] = field(default_factory=set)
    """Visits of the conflicts found so far (each set is looked for among the rest)."""

    def can(self, v: int) -> bool:
        return len(self.possible[0][v]) >= self.p.visits[v].required

    def rings(self, v: int) -> list[set[int]]:
        """The visits around v, nearest first (each ring holds the one before): those sharing a
        worker with it whose times come within an hour of its own, then those of its day sharing
        a worker, then those of any day sharing a worker with it or its client; its linked visits
        in every ring. A conflict is mostly of a few visits at once: the small rings find those
        quickly, the week's ring the limits of a worker's week."""
        p, eligible = self.p, self.frame[0]
        vd = p.visits[v]
        linked = {d.second if d.first == v else d.first for d in p.dependencies if v in (d.first, d.second)}
        sharing = {u for u in range(len(p.visits)) if self.can(u) and set(eligible[v]).intersection(eligible[u])}
        day = {u for u in sharing if p.visits[u].day == vd.day} | linked | {v}
        lo, hi = vd.earliest - p.ticks(NEAR_MIN), vd.latest + vd.duration + p.ticks(NEAR_MIN)
        close = {u for u in day if p.visits[u].earliest < hi and p.visits[u].latest + p.visits[u].duration > lo}
        rings: list[set[int]] = []
        for ring in (close | linked | {v}, day, sharing | set(p.clients[vd.client].visits) | linked | {v}):
            if not rings or ring != rings[-1]:
                rings.append(ring)
        return rings

    def left(self) -> float:
        return self.deadline - time.perf_counter()


def conflicts(
    instance: Instance,
    rules: RuleSet | None = None,
    time_limit_s: float = 20.0,
    max_shrink_steps: int = 30,
    *,
    visits: Collection[str] | None = None,
    per_visit_s: float | None = None,
    max_visits: int | None = None,
    on_finding: Callable[[Finding], None] | None = None,
) -> list[Finding]:
    """Visits each possible but not all coverable together, with the agreed arrangements and
    guarded rules that stand in the way (one finding per conflicting set found, each passed to
    ``on_finding`` as soon as it is found).

    The visits examined are those the quick greedy rota leaves uncovered (most constrained
    first), or the ``visits`` named (ids); each gets ``per_visit_s`` seconds of CP-SAT (by
    default a twentieth of the limit, at least half a second) and its shrinking as much again.
    At most ``max_visits`` are examined (a step budget: the same work on any machine). Visits
    already impossible on their own (see :func:`diagnose`) are left out. Returns no finding when
    the quick rota covers every visit possible on its own; when the time (or ``max_visits``) runs
    out before every visit was examined, the last finding (kind ``unexamined``) says how many
    were examined and how many were not."""
    rules = rules or default_rules()
    started = time.perf_counter()
    p = compile_problem(instance, rules.resolution)
    possible = eligibility(p, rules)
    relax = [override for rule in rules.active() for override in rule.relaxed()]
    model_rules = rules_from_dict(rules.to_dict(), overrides=relax) if relax else rules
    s = _Search(
        p,
        model_rules,
        possible,
        eligibility(p, model_rules) if relax else possible,
        _quick_rota(p, rules, possible, started + GREEDY_SHARE * time_limit_s),
        started + time_limit_s,
        per_visit_s if per_visit_s is not None else max(MIN_PER_VISIT_S, PER_VISIT_SHARE * time_limit_s),
        max_shrink_steps,
    )
    if visits is not None:
        candidates = [v for v in (p.visit_index.get(vid, -1) for vid in visits) if v >= 0 and s.can(v)]
    else:
        candidates = sorted(
            (v for v in range(len(p.visits)) if s.can(v) and v not in s.rota.crew),
            key=lambda v: _scarcity(p, possible[0], v),
        )
    findings: list[Finding] = []
    examined = undecided = 0
    for v in candidates:
        if v not in s.done:  # (a visit of a set found already counts as examined)
            if (max_visits is not None and examined >= max_visits) or s.left() <= 0:
                break
            found, decided = _examine(s, v)
            undecided += not decided
            if found is not None:
                log.info("conflict: %s", found.sentence)
                findings.append(found)
                if on_finding is not None:
                    on_finding(found)
        examined += 1
    if examined < len(candidates):
        steps = max_visits is not None and examined >= max_visits
        note = _note(len(candidates), examined, undecided, time.perf_counter() - started, time_limit_s, steps)
        findings.append(note)
        if on_finding is not None:
            on_finding(note)
    return findings


def _scarcity(p: Problem, eligible: list[list[int]], v: int) -> tuple[float, int, int, int]:
    """Most constrained first: fewest workers a place, then the earliest."""
    return len(eligible[v]) / p.visits[v].required, p.visits[v].day, p.visits[v].earliest, v


def _quick_rota(p: Problem, rules: RuleSet, frame: Frame, until: float) -> RouteBuilder:
    """A greedy rota in one insertion order (most constrained visits first) and one round of
    ejection chains, stopping at ``until``: what it cannot cover are the likeliest conflicts."""
    eligible, domains = frame
    assigner = rules.role_assigner()
    held = assigner.choose(p) if assigner is not None and assigner.eligible_pairs(p) else {}
    b = RouteBuilder(p, rules, eligible, domains, held=held)
    b.circles = plan_circles(p, eligible, b.cap)
    order = sorted((v for v in range(len(p.visits)) if eligible[v]), key=lambda v: _scarcity(p, eligible, v))
    insert_in_order(b, order, lambda: time.perf_counter() > until)
    repair(b, rounds=1, stop=lambda: time.perf_counter() > until)
    return b


def _examine(s: _Search, v: int) -> tuple[Finding | None, bool]:
    """A conflicting set with v, looked for ring by ring around it: (the finding or None, whether
    CP-SAT answered: infeasible, or feasible on every ring)."""
    visit_end = time.perf_counter() + 2 * s.per_visit_s

    def left() -> float:
        return min(s.left(), visit_end - time.perf_counter())

    for ring in s.rings(v):
        if left() <= 0:
            return None, False
        model, active, labels, arrangements = _ring_model(s, v, ring)
        status, core = _core(model, active, min(s.per_visit_s, left()))
        if status == cp_model.INFEASIBLE and any(kind == "visit" for kind, _ in core):
            core = _shrink(model, active, core, left, s)
            s.done.update(u for kind, u in core if kind == "visit")
            return _conflict_sentence(s.p, s.frame[0], core, arrangements, labels), True
        if status not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            return None, False  # unknown in time (or infeasible whatever is covered)
    return None, True


def _ring_model(
    s: _Search, v: int, ring: set[int]
) -> tuple[cp_model.CpModel, dict[Item, cp_model.IntVar], list[str], list[str]]:
    """The model of just the ``ring`` of visits (the others get no variables, so uncovered: a
    relaxation of the week, and a conflict found in it is one of the week) with its assumptions:
    v covered, the ring's visits the quick rota covers covered too (all its possible visits if
    the rota covers v), each agreed arrangement and guarded rule instance kept."""
    p = s.p
    eligible, domains = s.frame
    frame = (
        [eligible[u] if u in ring else [] for u in range(len(p.visits))],
        {(u, w): dom for (u, w), dom in domains.items() if u in ring},
    )
    ctx = build_model(p, s.model_rules, frame, guarded=True)
    model = ctx.model
    model.clear_objective()
    crew = s.rota.crew
    required = [v] + [u for u in sorted(ring) if u != v and s.can(u) and u not in s.done and (u in crew or v in crew)]
    lits: dict[Item, cp_model.IntVar] = {}
    for u in required:
        lit = model.new_bool_var(f"cover_{p.visits[u].id}")
        model.add(ctx.covered[u] == 1).only_enforce_if(lit)
        lits[("visit", u)] = lit
    arrangements: list[str] = []
    """The relaxed promises' labels (an agreed arrangement: "w1's agreed start no earlier than ...")."""
    for rule in s.model_rules.active():  # (none unless a rule was relaxed)
        for label, broken in rule.promises(p):
            lit = model.new_bool_var(f"keep_{len(arrangements)}")
            model.add(broken == 0).only_enforce_if(lit)
            lits[("agreed", len(arrangements))] = lit
            arrangements.append(label)
    labels = [label for _, label in ctx.guards.values()]
    for k, (lit, _) in enumerate(ctx.guards.values()):
        lits[("guard", k)] = lit
    rota = s.rota
    inside = {u: c for u, c in crew.items() if u in ring}
    routes = {key: [u for u in route if u in ring] for key, route in rota.routes.items()}
    add_hints(ctx, {u: t for u, t in rota.start.items() if u in ring}, inside, rota.held, routes)
    return model, lits, labels, arrangements


def _note(n: int, k: int, undecided: int, spent: float, time_limit_s: float, by_steps: bool) -> Finding:
    """What the conflict search examined (k of n visits) and what it left out."""
    head = f"The conflict search examined {k} of {n} visits the quick rota could not cover"
    head += f" (at most {k} asked for)" if by_steps else f" in {max(0.0, spent):.0f} s"
    if undecided:
        head += f", {undecided} of them without an answer in their share of the time"
    if by_steps:
        advice = "ask for more visits, or name them with --visit"
    else:  # time for all of them at the pace so far, in whole tens of seconds
        pace = max(spent, time_limit_s) / max(1, k)
        advice = f"run with --time-limit {10 * math.ceil(pace * n / 10):.0f} or name visits with --visit"
    return Finding("unexamined", "conflict search", f"{head}; {n - k} not examined: {advice}.")


def _solve_with(
    model: cp_model.CpModel, lits: list[cp_model.IntVar], limit: float
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    model.clear_assumptions()
    model.add_assumptions(lits)
    solver = quiet_solver(cp_model.CpSolver())
    solver.parameters.num_search_workers = 1
    solver.parameters.max_time_in_seconds = max(0.1, limit)
    return solver.solve(model), solver


def _core(
    model: cp_model.CpModel, active: dict[Item, cp_model.IntVar], limit: float
) -> tuple[cp_model.CpSolverStatus, list[Item]]:
    """The solve's status under every assumption, and a sufficient set of them when infeasible."""
    items = list(active)
    status, solver = _solve_with(model, [active[i] for i in items], limit)
    if status != cp_model.INFEASIBLE:
        return status, []
    index_of = {active[i].index: i for i in items}
    return status, [index_of[k] for k in solver.sufficient_assumptions_for_infeasibility() if k in index_of]


def _shrink(
    model: cp_model.CpModel,
    active: dict[Item, cp_model.IntVar],
    core: list[Item],
    left: Callable[[], float],
    s: _Search,
) -> list[Item]:
    """Deletion filter: drop each assumption whose removal keeps the set infeasible (while
    ``left()`` seconds remain, at most ``s.max_shrink_steps`` solves)."""
    kept = list(core)
    steps = s.max_shrink_steps
    for item in list(core):
        if steps <= 0 or left() <= 0 or len(kept) <= 1 or item not in kept:
            continue
        steps -= 1
        trial = [i for i in kept if i != item]
        status, solver = _solve_with(model, [active[i] for i in trial], min(s.per_visit_s, left()))
        if status == cp_model.INFEASIBLE:
            index_of = {active[i].index: i for i in trial}
            kept = [index_of[k] for k in solver.sufficient_assumptions_for_infeasibility() if k in index_of] or trial
    return kept


def _conflict_sentence(
    p: Problem, eligible: list[list[int]], core: list[Item], arrangements: list[str], labels: list[str]
) -> Finding:
    visits = sorted(v for kind, v in core if kind == "visit")
    agreed = [arrangements[k] for kind, k in core if kind == "agreed"]
    agreed += [labels[k] for kind, k in core if kind == "guard"]
    shared = sorted({w for v in visits for w in eligible[v]})
    what = "; ".join(describe_visit(p, v).removeprefix("Visit ") for v in visits)
    who = _names([p.workers[w].id for w in shared])
    n = len(visits)
    head = (
        f"These {n} visits cannot all be covered together"
        if n > 1
        else f"Visit {p.visits[visits[0]].id} cannot be covered"
    )
    sentence = f"{head}: {what}. Only {who} could do {'them' if n > 1 else 'it'}"
    if agreed:
        sentence += ", and " + "; ".join(agreed) + " stand" + ("s" if len(agreed) == 1 else "") + " in the way"
    else:
        sentence += f", and {'they' if len(shared) > 1 else who} cannot fit {'them all' if n > 1 else 'it'} (times, travel and the hard rules)"
    return Finding("conflict", ", ".join(p.visits[v].id for v in visits), sentence + ".")


def explain(
    instance: Instance,
    rules: RuleSet | None = None,
    time_limit_s: float = 20.0,
    *,
    visits: Collection[str] | None = None,
    max_visits: int | None = None,
    on_finding: Callable[[Finding], None] | None = None,
) -> list[Finding]:
    """:func:`diagnose`, then :func:`conflicts` among the visits that are possible on their own."""
    return diagnose(instance, rules) + conflicts(
        instance, rules, time_limit_s, visits=visits, max_visits=max_visits, on_finding=on_finding
    )
