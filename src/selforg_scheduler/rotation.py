"""Role plans over many weeks (``rotate-roles``): who holds each team role, week by week.

Rules of a plan (checked by :func:`plan_problems` without the solver, built by :func:`plan_roles`
with CP-SAT). Weeks run from the instance's horizon start; history weeks (``role_history``) come
before week 0. A *stint* is a run of consecutive weeks in which one worker holds one role.

* eligibility: the role's skills, not a new starter, fewer than ``leave_days_blocking`` days of
  leave that week; nobody holds two roles in a week; at most ``holders`` holders per role;
* term: a stint that starts in the plan lasts ``term`` weeks, unless the plan ends or its holder
  goes on leave first (a role's first stint at week 0, when nobody held it the week before, may be
  shorter: it staggers the changes); no stint (history weeks included) is longer than ``term``;
* no repeat: after a stint ends, its holder does not hold that role again for one term;
* staggered: at most ``max_changes_per_week`` roles get a new holder in the same week (a role's
  first holder at week 0 is not a change when the history has no holder the week before).

Objective, in strict order (solved in stages, each fixed before the next): fill every role place
that can be filled; then the smallest spread (most minus fewest) of role-weeks over the workers
eligible in the plan, history counted; then the smallest spread of the planned weeks alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.errors import InputError
from selforg_scheduler.role_facts import WEEK, holder_problem, leave_days
from selforg_scheduler.schemas.instance import Instance



POLISH_S = 2.0
"""Deterministic-time budget of the last stage (planned spread)."""


class RotationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weeks: int = Field(default=12, description="weeks to plan, from the horizon start")
    term: int = Field(default=4, ge=1, le=52, description="weeks a holder keeps a role")
    max_changes_per_week: int = Field(default=2, ge=1, description="roles that may change holder in one week")
    leave_days_blocking: int = Field(default=3, ge=1, le=7, description="leave days that keep someone off roles that week")
    seed: int = Field(default=0, description="CP-SAT random seed")
    time_limit_s: float = Field(
        default=10.0, gt=0, description="CP-SAT budget in deterministic seconds (same result on any machine)"
    )

    def model_post_init(self, __context: object) -> None:
        if self.weeks < 1:
            raise InputError("weeks must be at least 1", field="weeks")


@dataclass
class RolePlan:
    """Holders per week: ``holders[k][role]`` = worker ids in week k."""

    start: dt.date
    roles: list[str]
    holders: list[dict[str, list[str]]]
    status: str = "UNKNOWN"
    """OPTIMAL when the fill and the spread are proven best; FEASIBLE when the budget ran out."""
    role_weeks: dict[str, int] = field(default_factory=dict)
    """Planned role-weeks per worker who may hold a role in the plan."""
    spread: int = 0
    """Most minus fewest role-weeks, history counted (the fairness measure)."""
    planned_spread: int = 0
    """Most minus fewest planned role-weeks alone."""
    unfilled: list[dict[str, object]] = field(default_factory=list)

    def week(self, k: int) -> dt.date:
        return self.start + WEEK * k

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "spread": self.spread,
            "spread_proven_optimal": self.status == "OPTIMAL",
            "planned_spread": self.planned_spread,
            "role_weeks": self.role_weeks,
            "weeks": [
                {"week_start": self.week(k).isoformat(), "holders": week} for k, week in enumerate(self.holders)
            ],
            "unfilled": self.unfilled,
        }


class _Facts:
    """The plan's fixed data: eligibility per week and history as weeks before week 0."""

    def __init__(self, instance: Instance, params: RotationParams) -> None:
        self.params = params
        self.start = instance.horizon.start
        self.roles = instance.roles
        self.workers = instance.workers
        self.n = params.weeks
        self.eligible: dict[tuple[str, str, int], bool] = {}
        for w in self.workers:
            for r in self.roles:
                base = holder_problem(r, w) is None
                for k in range(self.n):
                    away = leave_days(w, self.start + WEEK * k) >= params.leave_days_blocking
                    self.eligible[(w.id, r.id, k)] = base and not away
        self.history: set[tuple[str, str, int]] = set()
        for e in instance.role_history:
            offset = (e.week_start - self.start).days
            if offset < 0:
                self.history.add((e.worker, e.role, -((-offset + 6) // 7)))
        self.past_weeks = Counter(w for (w, _r, _k) in self.history)
        self.counted = sorted({w for (w, _r, _k), ok in self.eligible.items() if ok})

    def held_before(self, w: str, r: str, k: int) -> bool:
        return (w, r, k) in self.history

    def has_history_holder(self, r: str, k: int) -> bool:
        return any(rr == r and kk == k for (_w, rr, kk) in self.history)


def plan_roles(instance: Instance, params: RotationParams | None = None) -> RolePlan:
    """The fairest role plan for ``params.weeks`` weeks (CP-SAT, deterministic for a seed)."""
    params = params or RotationParams()
    f = _Facts(instance, params)
    t, n = params.term, params.weeks
    model = cp_model.CpModel()
    h = {key: model.new_bool_var(f"h_{key[0]}_{key[1]}_{key[2]}") for key, ok in f.eligible.items() if ok}

    def held(w: str, r: str, k: int) -> cp_model.LinearExprT | int:
        if k < 0:
            return int(f.held_before(w, r, k))
        return h.get((w, r, k), 0)

    unfilled = []
    for k in range(n):
        for w in f.workers:
            mine = [h[(w.id, r.id, k)] for r in f.roles if (w.id, r.id, k) in h]
            if len(mine) > 1:
                model.add_at_most_one(mine)
        for r in f.roles:
            filled = sum(held(w.id, r.id, k) for w in f.workers)
            short = model.new_int_var(0, r.holders, f"short_{r.id}_{k}")
            model.add(short == r.holders - filled)
            unfilled.append(short)
    changes: dict[int, list[cp_model.IntVar]] = {k: [] for k in range(n)}
    for r in f.roles:
        for k in range(n):
            starts = []
            for w in f.workers:
                here = held(w.id, r.id, k)
                if isinstance(here, int):
                    continue  # not eligible: no stint starts
                before = held(w.id, r.id, k - 1)
                start = model.new_bool_var(f"start_{w.id}_{r.id}_{k}")
                if isinstance(before, int):
                    if before:
                        model.add(start == 0)
                    else:
                        model.add(start == here)
                else:
                    model.add_bool_and([here, ~before]).only_enforce_if(start)
                    model.add_bool_or([~here, before, start])
                starts.append(start)
                # term: a stint that starts here lasts `term` weeks, unless the plan ends or leave cuts
                # it; a role's first stint, with no holder in the history's last week, may be shorter
                # (it staggers the roles' changes)
                first = k == 0 and not f.has_history_holder(r.id, -1)
                for j in range(1, 1 if first else t):
                    nxt = held(w.id, r.id, k + j) if k + j < n else None
                    if nxt is None or isinstance(nxt, int):
                        break
                    model.add_implication(start, nxt)
            if starts and (k > 0 or f.has_history_holder(r.id, -1)):
                change = model.new_bool_var(f"change_{r.id}_{k}")
                model.add_max_equality(change, starts)
                changes[k].append(change)
        for w in f.workers:
            # term: no stint longer than `term` weeks (history included)
            for k in range(n):
                window = [held(w.id, r.id, j) for j in range(k - t, k + 1)]
                if any(not isinstance(x, int) for x in window):
                    model.add(sum(window) <= t)
            # no repeat: after a stint ends (held week k-1, not week k), not the same role for a term
            for k in range(-t, n):
                before, here = held(w.id, r.id, k - 1), held(w.id, r.id, k)
                later = [x for x in (held(w.id, r.id, j) for j in range(max(k, 0), min(n, k + t))) if not isinstance(x, int)]
                if not later or (isinstance(before, int) and not before) or (isinstance(here, int) and here):
                    continue
                conds = [c for c in (before, None if isinstance(here, int) else ~here) if c is not None and not isinstance(c, int)]
                if not conds:  # the history alone says the stint ended here
                    for x in later:
                        model.add(x == 0)
                    continue
                end = model.new_bool_var(f"end_{w.id}_{r.id}_{k}")
                model.add_bool_and(conds).only_enforce_if(end)
                model.add_bool_or([~c for c in conds] + [end])
                for x in later:
                    model.add_implication(end, ~x)
    for k, row in changes.items():
        if len(row) > params.max_changes_per_week:
            model.add(sum(row) <= params.max_changes_per_week)

    top = n + max(f.past_weeks.values(), default=0)
    planned = [sum(v for (ww, _r, _k), v in h.items() if ww == w) for w in f.counted]
    totals = [x + f.past_weeks.get(w, 0) for x, w in zip(planned, f.counted, strict=True)]
    spread = _spread_var(model, totals, top, "total")
    planned_spread = _spread_var(model, planned, n, "planned")
    short = model.new_int_var(0, sum(r.holders for r in f.roles) * n, "unfilled")
    model.add(short == sum(unfilled))
    stages = _Stages(model, params)
    # 1. fill every place that can be filled
    stages.minimize(short)
    stages.fix(short)
    # 2. the fairest spread of role-weeks (history counted): the first feasible s from the bound up
    filled = sum(r.holders for r in f.roles) * n - stages.value(short)
    total = filled + sum(f.past_weeks.get(w, 0) for w in f.counted)
    lower = 0 if not f.counted or total % len(f.counted) == 0 else 1
    proven = stages.first_feasible(spread, lower)
    # 3. then the fairest spread of the planned weeks alone (a short polish)
    stages.budget = min(stages.budget, POLISH_S)
    stages.minimize(planned_spread)
    plan = RolePlan(f.start, [r.id for r in f.roles], [{r.id: [] for r in f.roles} for _ in range(n)])
    plan.status = "OPTIMAL" if proven else "FEASIBLE"
    for (w, r, k), var in sorted(h.items()):
        if stages.value(var):
            plan.holders[k][r].append(w)
    _summarise(plan, f)
    return plan


def _spread_var(model: cp_model.CpModel, counts: list[cp_model.LinearExprT], top: int, name: str) -> cp_model.IntVar | int:
    """A variable equal to max(counts) - min(counts) (0 when fewer than two counts)."""
    if len(counts) < 2:
        return 0
    most, fewest = model.new_int_var(0, top, f"{name}_most"), model.new_int_var(0, top, f"{name}_fewest")
    model.add_max_equality(most, counts)
    model.add_min_equality(fewest, counts)
    spread = model.new_int_var(0, top, f"{name}_spread")
    model.add(spread == most - fewest)
    return spread


class _Stages:
    """Lexicographic optimisation by stages: each stage is solved, hinted with the last solution,
    and its result fixed before the next. Deterministic: one search worker, a fixed seed and a
    deterministic-time budget."""

    def __init__(self, model: cp_model.CpModel, params: RotationParams) -> None:
        self.model, self.params = model, params
        self.solution: list[int] = []
        self.budget = params.time_limit_s

    def _solve(self, model: cp_model.CpModel) -> tuple[int, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        sp = solver.parameters
        sp.num_search_workers = 1
        sp.random_seed = self.params.seed
        sp.max_deterministic_time = max(0.5, self.budget)
        if self.solution:
            model.clear_hints()
            for index, value in enumerate(self.solution):
                model.add_hint(model.get_int_var_from_proto_index(index), value)
        code = solver.solve(model)
        self.budget = max(0.0, self.budget - solver.deterministic_time)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.solution = list(solver.response_proto.solution)[: len(self.model.proto.variables)]
        elif not self.solution:
            raise InputError(f"no role plan found ({solver.status_name(code)})")
        return code, solver

    def minimize(self, expr: cp_model.IntVar | int) -> None:
        self.model.minimize(expr)
        self._solve(self.model)
        self.model.clear_objective()

    def fix(self, var: cp_model.IntVar) -> None:
        self.model.add(var <= self.value(var))

    def value(self, var: cp_model.IntVar | int) -> int:
        return var if isinstance(var, int) else self.solution[var.index]

    def first_feasible(self, expr: cp_model.IntVar | int, lower: int) -> bool:
        """Fix ``expr`` to the smallest value from ``lower`` up that a plan can reach; True when
        that value is proven optimal (every smaller one infeasible, or it equals ``lower``)."""
        if isinstance(expr, int):
            return True
        current = self.value(expr)
        for target in range(lower, current):
            trial = self.model.clone()
            trial.add(expr <= target)
            code, _ = self._solve(trial)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                self.model.add(expr <= target)
                return True
            if code != cp_model.INFEASIBLE:
                self.model.add(expr <= current)
                return False
        self.model.add(expr <= current)
        return True


def _summarise(plan: RolePlan, f: _Facts) -> None:
    counts = Counter(w for week in plan.holders for ws in week.values() for w in ws)
    plan.role_weeks = {w: counts.get(w, 0) for w in f.counted}
    values = list(plan.role_weeks.values())
    plan.planned_spread = max(values) - min(values) if values else 0
    totals = [plan.role_weeks[w] + f.past_weeks.get(w, 0) for w in f.counted]
    plan.spread = max(totals) - min(totals) if totals else 0
    plan.unfilled = []
    for k, week in enumerate(plan.holders):
        for r in f.roles:
            missing = r.holders - len(week[r.id])
            if missing > 0:
                able = [w.id for w in f.workers if f.eligible[(w.id, r.id, k)]]
                why = (
                    f"only {', '.join(able) or 'no one'} can hold it that week"
                    if len(able) < r.holders
                    else "its eligible workers hold other roles or must rest from it for a term"
                )
                plan.unfilled.append({"week_start": plan.week(k).isoformat(), "role": r.id, "missing": missing, "reason": why})


def plan_problems(instance: Instance, params: RotationParams, plan: RolePlan) -> list[str]:
    """Every rule a role plan breaks, in words (no solver): the plan's validator."""
    return PlanChecker(instance, params).problems(plan)


class PlanChecker:
    """Checks many plans of one team (the facts are read once); see :func:`plan_problems`."""

    def __init__(self, instance: Instance, params: RotationParams) -> None:
        self.facts = _Facts(instance, params)
        self.params = params

    def empty(self) -> RolePlan:
        f = self.facts
        return RolePlan(f.start, [r.id for r in f.roles], [{r.id: [] for r in f.roles} for _ in range(f.n)])

    def summarise(self, plan: RolePlan) -> RolePlan:
        _summarise(plan, self.facts)
        return plan

    def problems(self, plan: RolePlan) -> list[str]:
        return _problems(self.facts, self.params, plan)


def _problems(f: _Facts, params: RotationParams, plan: RolePlan) -> list[str]:
    t, n = params.term, params.weeks
    out: list[str] = []
    held: set[tuple[str, str, int]] = set(f.history)
    for k, week in enumerate(plan.holders):
        seen: Counter[str] = Counter()
        for r in f.roles:
            ws = week.get(r.id, [])
            if len(ws) > r.holders:
                out.append(f"week {k}: {r.id} has {len(ws)} holders, needs {r.holders}")
            for w in ws:
                seen[w] += 1
                held.add((w, r.id, k))
                if not f.eligible.get((w, r.id, k), False):
                    out.append(f"week {k}: {w} may not hold {r.id}")
        out.extend(f"week {k}: {w} holds {c} roles" for w, c in seen.items() if c > 1)
    first = min((k for (_w, _r, k) in held), default=0)
    for r in f.roles:
        for w in f.workers:
            runs: list[tuple[int, int]] = []  # (first week, length)
            k = first
            while k < n:
                if (w.id, r.id, k) in held:
                    j = k
                    while (w.id, r.id, j) in held:
                        j += 1
                    runs.append((k, j - k))
                    k = j
                else:
                    k += 1
            for s, length in runs:
                end = s + length
                if end > 0 and length > t:
                    out.append(f"{w.id} holds {r.id} for {length} weeks in a row from week {s}; the term is {t}")
                opening = s == 0 and not f.has_history_holder(r.id, -1)
                if s >= 0 and not opening and length < t and end < n and f.eligible[(w.id, r.id, end)]:
                    out.append(f"{w.id}'s stint of {r.id} from week {s} ends after {length} weeks, before its term")
                back = [x for x, _ in runs if end < x < end + t]
                if back and back[0] >= 0:
                    out.append(f"{w.id} holds {r.id} again at week {back[0]}, within a term of their last stint")
    for k in range(n):
        changed = 0
        for r in f.roles:
            now = set(plan.holders[k].get(r.id, []))
            before = {w.id for w in f.workers if (w.id, r.id, k - 1) in held}
            if now - before and (k > 0 or f.has_history_holder(r.id, -1)):
                changed += 1
        if changed > params.max_changes_per_week:
            out.append(f"week {k}: {changed} roles change holder; at most {params.max_changes_per_week} may")
    return out
