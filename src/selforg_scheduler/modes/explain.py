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
from typing import Any, Literal

from ortools.sat.python import cp_model

from selforg_scheduler.cpsat.model import build_model, eligibility, start_bounds, worker_blocks
from selforg_scheduler.core.problem import Problem, compile_problem, fitting_starts, merge
from selforg_scheduler.rules.config import RuleSet, default_rules, rules_from_dict
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed

__all__ = ["Finding", "conflicts", "diagnose", "explain"]

Kind = Literal["skill", "double_up", "availability", "excluded", "rule", "day_demand", "conflict"]


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
    blocked_by_exclusion: dict[int, list[int]] = {}
    for vd in p.visits:
        v = vd.index
        if len(eligible[v]) >= vd.required:
            continue
        finding = _visit_finding(p, rules, v, blocked_by_exclusion)
        if finding is not None:
            findings.append(finding)
    # a client who has excluded everyone who could come, said once for the client
    for ci, visits in blocked_by_exclusion.items():
        c = p.clients[ci]
        workers = sorted({p.workers[w].id for w in c.excluded_workers})
        n = len(visits)
        findings.append(
            Finding(
                "excluded",
                c.id,
                f"Client {c.id} ({c.name or c.id}) has excluded every worker who could do "
                f"{'its visit' if n == 1 else f'{n} of its visits'} ({_names([p.visits[v].id for v in visits])}): "
                f"{_names(workers)}",
            )
        )
    findings += _day_demand(p, rules)
    return findings


def _visit_finding(p: Problem, rules: RuleSet, v: int, by_exclusion: dict[int, list[int]]) -> Finding | None:
    vd = p.visits[v]
    head = describe_visit(p, v) + " cannot be covered: "
    skilled = [w.index for w in p.workers if not rules.is_on("skills") or vd.skills <= w.skills]
    need = ", ".join(sorted(vd.skills))
    if not skilled:
        return Finding("skill", vd.id, head + f"no worker has {need}")
    if len(skilled) < vd.required:
        names = _names([p.workers[w].id for w in skilled])
        return Finding(
            "double_up", vd.id,
            head + f"it needs {vd.required} workers{' with ' + need if need else ''}; only {names} "
            f"{'has' if len(skilled) == 1 else 'have'} {'it' if need else 'exist'}",
        )  # fmt: skip
    client = p.clients[vd.client]
    allowed = [w for w in skilled if not (rules.is_on("exclusions") and w in client.excluded_workers)]
    if len(allowed) < vd.required:
        if not allowed:
            by_exclusion.setdefault(client.index, []).append(v)
            return None
        return Finding(
            "double_up", vd.id,
            head + f"it needs {vd.required} workers; {client.id} has excluded all but {_names([p.workers[w].id for w in allowed])}",
        )  # fmt: skip
    lo, hi = start_bounds(p, rules, v)
    window = f"{p.time_of(lo):%H:%M}-{p.time_of(hi + vd.duration):%H:%M}"
    free = [
        w for w in allowed if not rules.is_on("availability") or fitting_starts(merge(p.workers[w].availability), vd.duration, lo, hi)
    ]  # fmt: skip
    if not free:
        who = "no worker" if not need else f"no worker with {need}"
        return Finding("availability", vd.id, head + f"{who} is available {p.day_name(vd.day)} {window}")
    if len(free) < vd.required:
        return Finding(
            "double_up", vd.id,
            head + f"it needs {vd.required} workers but only {_names([p.workers[w].id for w in free])} "
            f"{'is' if len(free) == 1 else 'are'} available {p.day_name(vd.day)} {window}",
        )  # fmt: skip
    # each free worker is kept off by something else: say what, worker by worker
    why = [f"{p.workers[w].id} {_kept_off(p, rules, v, w)}" for w in free]
    who = _names([p.workers[w].id for w in free])
    lead = f"only {who} {'has' if len(free) == 1 else 'have'} {need} and {'is' if len(free) == 1 else 'are'} available then"
    if not need:
        lead = f"only {who} {'is' if len(free) == 1 else 'are'} available then"
    return Finding("rule", vd.id, head + lead + "; " + "; ".join(why))


def _kept_off(p: Problem, rules: RuleSet, v: int, w: int) -> str:
    """What keeps an available worker off a visit: a commitment, an agreed arrangement, a rule."""
    vd = p.visits[v]
    lo, hi = start_bounds(p, rules, v)
    free = fitting_starts(worker_blocks(p, rules, w), vd.duration, lo, hi)
    if not free:
        return "has a commitment then"
    for rule in rules.active():
        if rule.name in ("availability", "time_windows", "skills", "exclusions"):
            continue
        if rule.allows(p, v, w) and rule.starts(p, v, w, free):
            continue
        if rule.name == "flexible_working":
            fw = rule.arrangements(p, w)  # type: ignore[attr-defined]
            hard = [a for a in fw if a.day == vd.day and a.hard]
            if hard:
                return "has " + "; ".join(a.describe(p).split("'s ", 1)[1].replace("agreed", "an agreed", 1) for a in hard)
        if rule.name == "lone_working":
            return "is a new starter and cannot visit alone" if p.workers[w].new_starter else "has no buddy at work for a late lone visit (lone_working)"
        return f"is kept off it by {rule.name}"
    return "cannot take it (no start fits every rule)"


def _day_demand(p: Problem, rules: RuleSet) -> list[Finding]:
    out = []
    for day in range(p.days):
        need = sum(vd.duration * vd.required for vd in p.visits if vd.day == day)
        if not need:
            continue
        lo, hi = day * p.day_length, (day + 1) * p.day_length
        have = 0
        for wd in p.workers:
            for a, b in worker_blocks(p, rules, wd.index):
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
    relax = rules.is_on("flexible_working") and rules["flexible_working"].params.agreed_hard  # type: ignore[attr-defined]
    model_rules = rules_from_dict(rules.to_dict(), overrides=["flexible_working.agreed_hard=false"]) if relax else rules
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
    arrangements = []
    if relax:
        for a, broken in model_rules["flexible_working"].breaches:  # type: ignore[attr-defined]
            if a.entry.strength == "agreed":
                lit = model.new_bool_var(f"keep_{a.worker}_{a.day}_{a.kind}")
                model.add(broken == 0).only_enforce_if(lit)
                lits[("agreed", len(arrangements))] = lit
                arrangements.append(a)
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


def _solve_with(model: cp_model.CpModel, lits: list[cp_model.IntVar], limit: float) -> tuple[int, cp_model.CpSolver]:
    model.clear_assumptions()
    model.add_assumptions(lits)
    solver = cp_model.CpSolver()
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
    p: Problem, eligible: list[list[int]], core: list[Item], arrangements: list[Any], labels: list[str]
) -> Finding:
    visits = sorted(v for kind, v in core if kind == "visit")
    agreed = [arrangements[k].describe(p) for kind, k in core if kind == "agreed"]
    agreed += [labels[k] for kind, k in core if kind == "guard"]
    shared = sorted({w for v in visits for w in eligible[v]})
    what = "; ".join(describe_visit(p, v).removeprefix("Visit ") for v in visits)
    who = _names([p.workers[w].id for w in shared])
    n = len(visits)
    head = f"These {n} visits cannot all be covered together" if n > 1 else f"Visit {p.visits[visits[0]].id} cannot be covered"
    sentence = f"{head}: {what}. Only {who} could do {'them' if n > 1 else 'it'}"
    if agreed:
        sentence += ", and " + "; ".join(agreed) + " stand" + ("s" if len(agreed) == 1 else "") + " in the way"
    else:
        sentence += f", and {'they' if len(shared) > 1 else who} cannot fit {'them all' if n > 1 else 'it'} (times, travel and the hard rules)"
    return Finding("conflict", ", ".join(p.visits[v].id for v in visits), sentence + ".")


def explain(instance: Instance, rules: RuleSet | None = None, time_limit_s: float = 20.0) -> list[Finding]:
    """:func:`diagnose`, then :func:`conflicts` among the visits that are possible on their own."""
    return diagnose(instance, rules) + conflicts(instance, rules, time_limit_s)
