"""Why a week cannot be fully covered, in plain English, before (or instead of) a solve.

Two layers:

* :func:`diagnose` (no solver, a second or two): a visit needing a skill nobody has; a double-up
  with fewer possible workers than it needs; a visit outside every availability; a client who
  has excluded everyone who could come; a day whose visits need more worker-minutes than the
  workers are available; a visit that every worker who could do it is kept off by a hard rule
  (an agreed arrangement, lone working, ...), naming the worker and the rule.
* :func:`conflicts` (CP-SAT): visits that are each possible but cannot all be covered together.
  First the solver tries, in half the time, to cover them all (then there is no conflict).
  Otherwise coverage is required through one assumption literal per visit, each agreed
  arrangement and each guarded hard rule instance (a worker-day's daily limit or break, the rest
  between two days, a worker's weekly limit or day off, a double-up's need for an experienced
  worker beside a new starter: ``ModelContext.guard``) kept through one assumption literal too; when the
  model is infeasible,
  CP-SAT returns a sufficient set of assumptions, which is shrunk (deletion filter) to a small
  set of visits that cannot all be covered, and stated with the workers they compete for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.core.interrupt import quiet_solver
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.cpsat.model import build_model
from selforg_scheduler.pipeline.reasons import plural
from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed
from selforg_scheduler.rules.config import RuleSet, default_rules, rules_from_dict
from selforg_scheduler.rules.frame import eligibility

__all__ = ["Finding", "conflicts", "diagnose", "explain"]

Kind = str
"""The rule that makes a visit impossible (its name), or double_up, day_demand, conflict, rule."""


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
        lo, hi = day * p.day_length, (day + 1) * p.day_length
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


def conflicts(
    instance: Instance, rules: RuleSet | None = None, time_limit_s: float = 20.0, max_shrink_steps: int = 30
) -> list[Finding]:
    """Visits each possible but not all coverable together, with the agreed arrangements that
    stand in the way (one finding per conflicting set found).

    The model requires coverage through one assumption literal per visit and, with agreed
    arrangements relaxed in the model, keeps each of them through one assumption literal too, so
    a conflict can name the arrangement. Visits already impossible on their own (see
    :func:`diagnose`) are left out. Returns no finding when everything else can be covered at
    once, or when the search cannot tell in time."""
    rules = rules or default_rules()
    p = compile_problem(instance, rules.resolution)
    deadline = time.perf_counter() + time_limit_s
    possible = eligibility(p, rules)
    if _all_coverable(instance, rules, p, possible[0], time_limit_s / 2):
        return []
    relax = [override for rule in rules.active() for override in rule.relaxed()]
    model_rules = rules_from_dict(rules.to_dict(), overrides=relax) if relax else rules
    elig = eligibility(p, model_rules) if relax else possible
    ctx = build_model(p, model_rules, elig, guarded=True)
    model = ctx.model
    model.clear_objective()
    lits: dict[Item, cp_model.IntVar] = {}
    for vd in p.visits:
        if len(possible[0][vd.index]) >= vd.required:
            lit = model.new_bool_var(f"cover_{vd.id}")
            model.add(ctx.covered[vd.index] == 1).only_enforce_if(lit)
            lits[("visit", vd.index)] = lit
    arrangements: list[str] = []
    """The relaxed promises' labels (an agreed arrangement: "w1's agreed start no earlier than ...")."""
    if relax:
        for rule in model_rules.active():
            for label, broken in rule.promises(p):
                lit = model.new_bool_var(f"keep_{len(arrangements)}")
                model.add(broken == 0).only_enforce_if(lit)
                lits[("agreed", len(arrangements))] = lit
                arrangements.append(label)
    labels = [label for _, label in ctx.guards.values()]
    for k, (lit, _) in enumerate(ctx.guards.values()):
        lits[("guard", k)] = lit
    findings: list[Finding] = []
    active = dict(lits)
    while any(kind == "visit" for kind, _ in active) and time.perf_counter() < deadline:
        core = _core(model, active, deadline)
        if not core or not any(kind == "visit" for kind, _ in core):
            break  # feasible, unknown in time, or infeasible whatever is covered
        core = _shrink(model, active, core, deadline, max_shrink_steps)
        findings.append(_conflict_sentence(p, elig[0], core, arrangements, labels))
        for item in core:  # look for another, independent conflict among the rest
            if item[0] == "visit":
                active.pop(item, None)
    return findings


def _all_coverable(instance: Instance, rules: RuleSet, p: Problem, possible: list[list[int]], limit_s: float) -> bool:
    """Whether the solver finds, within ``limit_s``, a rota covering every visit possible on its
    own (most weeks: then there is no conflict to look for)."""
    solution = solve_detailed(instance, rules, SolveParams(time_limit_s=max(1.0, limit_s))).solution
    covered = {a.visit for a in solution.visits}
    return all(vd.id in covered for vd in p.visits if len(possible[vd.index]) >= vd.required)


Item = tuple[str, int]
"""An assumption: ("visit", visit index), ("agreed", index into the agreed arrangements) or
("guard", index into the guarded rule instances, e.g. a worker-day's daily limit or break)."""


def _solve_with(
    model: cp_model.CpModel, lits: list[cp_model.IntVar], limit: float
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    model.clear_assumptions()
    model.add_assumptions(lits)
    solver = quiet_solver(cp_model.CpSolver())
    solver.parameters.num_search_workers = 1
    solver.parameters.max_time_in_seconds = max(0.1, limit)
    return solver.solve(model), solver


def _core(model: cp_model.CpModel, active: dict[Item, cp_model.IntVar], deadline: float) -> list[Item] | None:
    items = list(active)
    status, solver = _solve_with(model, [active[i] for i in items], deadline - time.perf_counter())
    if status != cp_model.INFEASIBLE:
        return None
    index_of = {active[i].index: i for i in items}
    return [index_of[k] for k in solver.sufficient_assumptions_for_infeasibility() if k in index_of]


def _shrink(
    model: cp_model.CpModel, active: dict[Item, cp_model.IntVar], core: list[Item], deadline: float, steps: int
) -> list[Item]:
    """Deletion filter: drop each assumption whose removal keeps the set infeasible."""
    kept = list(core)
    for item in list(core):
        if steps <= 0 or time.perf_counter() > deadline or len(kept) <= 1 or item not in kept:
            continue
        steps -= 1
        trial = [i for i in kept if i != item]
        status, solver = _solve_with(model, [active[i] for i in trial], min(2.0, deadline - time.perf_counter()))
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


def explain(instance: Instance, rules: RuleSet | None = None, time_limit_s: float = 20.0) -> list[Finding]:
    """:func:`diagnose`, then :func:`conflicts` among the visits that are possible on their own."""
    return diagnose(instance, rules) + conflicts(instance, rules, time_limit_s)
