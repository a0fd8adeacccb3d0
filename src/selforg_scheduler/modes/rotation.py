"""Role plans over many weeks (``rotate-roles``): who holds each team role, week by week.

Rules of a plan (checked by :func:`plan_problems` without the solver, built by :func:`plan_roles`
with CP-SAT). Weeks run from the instance's horizon start; history weeks (``role_history``) come
before week 0 (week -1 is the week before the horizon). A *stint* is a run of consecutive weeks in
which one worker holds one role.

* eligibility: the role's skills, not a new starter, fewer than ``leave_days_blocking`` days of
  leave that week; nobody holds two roles in a week; at most ``holders`` holders per role;
* term: a stint that starts in the plan lasts exactly ``term`` weeks, unless the plan ends or its
  holder may not hold the role the next week (leave) first. Two exceptions: a stint already
  running in the history at week 0 may carry on (up to ``term`` weeks in all, history weeks
  counted) or end at any week; and a role's first stint at week 0, when nobody held it in week -1,
  may be shorter (that is how the roles' changes get staggered). No stint is longer than ``term``;
* no repeat: after a stint ends, its holder does not hold that role again for one term (so never
  in the role's next full stint, nor straight after holding it in the history's last week);
* staggered: at most ``max_changes_per_week`` roles get a new holder in the same week (a role's
  first holder at week 0 is not a change when the history has no holder in week -1).

Objective, in strict order (solved in stages, each result fixed before the next stage and the
last solution hinted into it): (1) fill every role place that can be filled; (2) the smallest
*spread* (most minus fewest) of role-weeks over the workers eligible in the plan, counting their
role-weeks in the last ``history_weeks`` weeks of history; (3) newcomers (eligible, never held a
role) get their first role early: the sum of the weeks they wait; (4) few holder changes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.core.role_facts import WEEK, RoleHistory, holder_problem, leave_days
from selforg_scheduler.contract.instance import Instance

MIN_STAGE_S = 0.5
"""Smallest deterministic-time budget a stage gets, even when the total is spent."""

STAGES = ("fill", "spread", "newcomers", "changes")


class RotationParams(BaseModel):
    """Knobs of a multi-week role plan (``rotate-roles``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weeks: int = Field(default=12, description="weeks to plan, from the horizon start (at least 1)")
    term: int = Field(default=4, ge=1, le=52, description="weeks a holder keeps a role")
    max_changes_per_week: int = Field(default=2, ge=1, description="roles that may change holder in one week")
    leave_days_blocking: int = Field(
        default=3, ge=1, le=7, description="a worker with at least this many leave days in a week holds no role"
    )
    history_weeks: int = Field(
        default=12, ge=0, description="weeks of role history counted in the spread of role-weeks (0 = all)"
    )
    seed: int = Field(default=0, description="CP-SAT random seed")
    time_limit_s: float = Field(
        default=10.0, gt=0, description="CP-SAT budget in deterministic seconds (same result on any machine)"
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="CP-SAT search workers; 1 keeps the plan deterministic for a seed"
    )

    def model_post_init(self, __context: object) -> None:
        if self.weeks < 1:
            raise InputError("weeks must be at least 1", field="weeks")


@dataclass
class RolePlan:
    """Holders per week: ``holders[k][role]`` = worker ids in week k (from ``start``)."""

    start: dt.date
    roles: list[str]
    holders: list[dict[str, list[str]]]
    status: str = "UNKNOWN"
    """OPTIMAL when every stage is proven best; FEASIBLE when some stage ran out of budget."""
    stages: dict[str, str] = field(default_factory=dict)
    """Each stage's solver status (fill, spread, newcomers, changes)."""
    role_weeks: dict[str, int] = field(default_factory=dict)
    """Planned role-weeks per worker who may hold a role in the plan."""
    history_role_weeks: dict[str, int] = field(default_factory=dict)
    """Their role-weeks in the history window (``history_weeks``)."""
    spread: int = 0
    """Most minus fewest role-weeks, history window counted: the fairness measure."""
    spread_bound: int = 0
    """Proven lower bound of the spread (equal to it when the spread is proven optimal)."""
    planned_spread: int = 0
    """Most minus fewest planned role-weeks alone (reported, not optimised)."""
    newcomers: dict[str, int | None] = field(default_factory=dict)
    """Workers who never held a role: the week (index) of their first role in the plan, or None."""
    newcomer_wait: int = 0
    """Sum over newcomers of the weeks before their first role (``weeks`` for one who gets none)."""
    changes: int = 0
    """Holder changes over the plan (a role whose holders gain someone new that week)."""
    unfilled: list[dict[str, object]] = field(default_factory=list)

    @property
    def spread_proven(self) -> bool:
        return self.spread == self.spread_bound

    def week(self, k: int) -> dt.date:
        return self.start + WEEK * k

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "stages": self.stages,
            "spread": self.spread,
            "spread_bound": self.spread_bound,
            "spread_proven_optimal": self.spread_proven,
            "planned_spread": self.planned_spread,
            "role_weeks": self.role_weeks,
            "history_role_weeks": self.history_role_weeks,
            "newcomers": {
                w: None if k is None else self.week(k).isoformat() for w, k in self.newcomers.items()
            },
            "newcomer_wait": self.newcomer_wait,
            "changes": self.changes,
            "weeks": [
                {"week_start": self.week(k).isoformat(), "holders": week} for k, week in enumerate(self.holders)
            ],
            "unfilled": self.unfilled,
        }


class _Facts:
    """The plan's fixed data: eligibility per week, history as weeks before week 0, who counts."""

    def __init__(self, instance: Instance, params: RotationParams) -> None:
        self.params = params
        self.start = instance.horizon.start
        self.roles = instance.roles
        self.workers = instance.workers
        self.n = params.weeks
        self.worker_ids = {w.id for w in self.workers}
        self.role_ids = {r.id for r in self.roles}
        self.why_not: dict[tuple[str, str, int], str] = {}
        """Why a worker may not hold a role in a week (absent: they may)."""
        for w in self.workers:
            away = [leave_days(w, self.start + WEEK * k) for k in range(self.n)]
            for r in self.roles:
                never = holder_problem(r, w)
                for k in range(self.n):
                    if never:
                        self.why_not[(w.id, r.id, k)] = f"{w.id} {never}"
                    elif away[k] >= params.leave_days_blocking:
                        self.why_not[(w.id, r.id, k)] = f"{w.id} is on leave {away[k]} days"
        self.history: set[tuple[str, str, int]] = set()
        for e in instance.role_history:
            offset = (e.week_start - self.start).days
            if offset < 0:
                self.history.add((e.worker, e.role, -((-offset + 6) // 7)))
        self.counted = sorted(
            {w.id for w in self.workers for r in self.roles for k in range(self.n) if self.eligible(w.id, r.id, k)}
        )
        """Workers eligible for some role in some week: the spread is measured over them."""
        past = RoleHistory.of(instance)
        window = past.role_weeks(self.start, params.history_weeks)
        self.past_weeks = {w: window.get(w, 0) for w in self.counted}
        held = past.ever_held(self.start)
        self.newcomers = [w for w in self.counted if w not in held]

    def eligible(self, w: str, r: str, k: int) -> bool:
        return w in self.worker_ids and r in self.role_ids and 0 <= k < self.n and (w, r, k) not in self.why_not

    def held_before(self, w: str, r: str, k: int) -> bool:
        return (w, r, k) in self.history

    def has_history_holder(self, r: str, k: int) -> bool:
        return any(rr == r and kk == k for (_w, rr, kk) in self.history)


def plan_roles(instance: Instance, params: RotationParams | None = None) -> RolePlan:
    """The fairest role plan for ``params.weeks`` weeks (CP-SAT in stages, deterministic for a seed
    with one search worker)."""
    params = params or RotationParams()
    f = _Facts(instance, params)
    t, n = params.term, params.weeks
    model = cp_model.CpModel()
    h = {
        (w.id, r.id, k): model.new_bool_var(f"h_{w.id}_{r.id}_{k}")
        for w in f.workers
        for r in f.roles
        for k in range(n)
        if f.eligible(w.id, r.id, k)
    }

    def held(w: str, r: str, k: int) -> cp_model.IntVar | int:
        """Week k's hold variable, or 0/1 when fixed (history, ineligible, beyond the plan)."""
        if k < 0:
            return int(f.held_before(w, r, k))
        return h.get((w, r, k), 0)

    # places: at most `holders` per role; shortfalls are minimised in stage 1
    shortfalls: dict[tuple[str, int], cp_model.IntVar] = {}
    for k in range(n):
        for w in f.workers:
            mine = [h[(w.id, r.id, k)] for r in f.roles if (w.id, r.id, k) in h]
            if len(mine) > 1:
                model.add_at_most_one(mine)
        for r in f.roles:
            short = model.new_int_var(0, r.holders, f"short_{r.id}_{k}")
            model.add(short == r.holders - sum(held(w.id, r.id, k) for w in f.workers))
            shortfalls[(r.id, k)] = short

    changes: dict[int, list[cp_model.IntVar]] = {k: [] for k in range(n)}
    change_of: dict[tuple[str, int], cp_model.IntVar] = {}
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
                    model.add(start == (0 if before else here))
                else:  # start <=> here and not before
                    model.add_bool_and([here, ~before]).only_enforce_if(start)
                    model.add_bool_or([~here, before, start])
                starts.append(start)
                # term: a stint that starts here lasts `term` weeks, unless the plan ends or the holder
                # may not hold the role (leave) first; a role's first stint at week 0, with no holder in
                # the history's last week, may be shorter (it staggers the roles' changes)
                opening = k == 0 and not f.has_history_holder(r.id, -1)
                for j in range(1, 1 if opening else t):
                    nxt = held(w.id, r.id, k + j) if k + j < n else 0
                    if isinstance(nxt, int):
                        break
                    model.add_implication(start, nxt)
            if starts and (k > 0 or f.has_history_holder(r.id, -1)):
                change = model.new_bool_var(f"change_{r.id}_{k}")
                model.add_max_equality(change, starts)
                changes[k].append(change)
                change_of[(r.id, k)] = change
        for w in f.workers:
            # term: no stint longer than `term` weeks (history included): any term+1 weeks in a row
            # hold at most `term`
            for k in range(n):
                window = [held(w.id, r.id, j) for j in range(k - t, k + 1)]
                if any(not isinstance(x, int) for x in window):
                    model.add(sum(window) <= t)
            # no repeat: when a stint ends at week k (held k-1, not k), not the same role until k+term
            for k in range(-t, n):
                before, here = held(w.id, r.id, k - 1), held(w.id, r.id, k)
                later = [held(w.id, r.id, j) for j in range(max(k, 0), min(n, k + t))]
                later_vars = [x for x in later if not isinstance(x, int)]
                if not later_vars or (isinstance(before, int) and not before) or (isinstance(here, int) and here):
                    continue
                conds = [c for c in (before, here) if not isinstance(c, int)]
                if not conds:  # the history alone says the stint ended at week k (k <= 0)
                    for x in later_vars:
                        model.add(x == 0)
                    continue
                lits = [before if c is before else ~c for c in conds]
                end = model.new_bool_var(f"end_{w.id}_{r.id}_{k}")
                model.add_bool_and(lits).only_enforce_if(end)
                model.add_bool_or([~lit for lit in lits] + [end])
                for x in later_vars:
                    model.add_implication(end, ~x)
    for k, row in changes.items():
        if len(row) > params.max_changes_per_week:
            model.add(sum(row) <= params.max_changes_per_week)
    _add_change_cuts(model, f, shortfalls, change_of)

    # objective terms
    short_total = model.new_int_var(0, sum(r.holders for r in f.roles) * n, "unfilled")
    model.add(short_total == sum(shortfalls.values()))
    planned = {w: sum(v for (ww, _r, _k), v in h.items() if ww == w) for w in f.counted}
    top = n + max(f.past_weeks.values(), default=0)
    totals = [planned[w] + f.past_weeks[w] for w in f.counted]
    spread = _spread_var(model, totals, top, "total")
    waits = []
    for w in f.newcomers:
        reached_prev: cp_model.IntVar | int = 0
        for k in range(n):
            # reached[k]: the newcomer has held some role by week k (it can only be true when so)
            reached = model.new_bool_var(f"reached_{w}_{k}")
            mine = [h[(w, r.id, k)] for r in f.roles if (w, r.id, k) in h]
            model.add(reached <= reached_prev + sum(mine))
            waits.append(1 - reached)
            reached_prev = reached
    wait = model.new_int_var(0, len(waits), "newcomer_wait")
    model.add(wait == sum(waits))
    all_changes = [x for row in changes.values() for x in row]
    change_total = model.new_int_var(0, len(all_changes), "changes")
    model.add(change_total == sum(all_changes))

    stages = _Stages(model, params)
    plan = RolePlan(f.start, [r.id for r in f.roles], [{r.id: [] for r in f.roles} for _ in range(n)])
    # 1. fill every place that can be filled
    plan.stages["fill"] = stages.minimize(short_total)
    # 2. the fairest spread of role-weeks (history window counted): the first feasible value from
    #    a lower bound up, so that a proof of optimality needs only infeasibility proofs
    filled = sum(r.holders for r in f.roles) * n - stages.value(short_total)
    total = filled + sum(f.past_weeks.values())
    lower = 0 if not f.counted or total % len(f.counted) == 0 else 1

    def even_share(m: cp_model.CpModel, target: int) -> None:
        """With the role-weeks fixed in total, a spread of at most ``target`` bounds every worker's
        total (implied constraints, but they make the trials propagate)."""
        if plan.stages["fill"] == "OPTIMAL" and f.counted:
            low, high = -(-total // len(f.counted)) - target, total // len(f.counted) + target
            for x in totals:
                m.add_linear_constraint(x, low, high)

    # each trial also brings newcomers in early, which the next stage would otherwise have to find
    plan.spread_bound = stages.first_feasible(spread, lower, even_share, then=wait)
    plan.stages["spread"] = "OPTIMAL" if plan.spread_bound == stages.value(spread) else "FEASIBLE"
    # 3. newcomers early, 4. few changes
    plan.stages["newcomers"] = stages.minimize(wait)
    plan.stages["changes"] = stages.minimize(change_total)
    plan.status = "OPTIMAL" if all(s == "OPTIMAL" for s in plan.stages.values()) else "FEASIBLE"
    for (w, r, k), var in sorted(h.items()):
        if stages.value(var):
            plan.holders[k][r].append(w)
    _summarise(plan, f)
    return plan


def _add_change_cuts(
    model: cp_model.CpModel,
    f: _Facts,
    shortfalls: dict[tuple[str, int], cp_model.IntVar],
    change_of: dict[tuple[str, int], cp_model.IntVar],
) -> None:
    """Redundant cuts that let the solver prove the fewest changes: a role full in each of term+1
    weeks in a row gets a new holder in one of the last term of them (nobody holds it term+1 weeks,
    and without a new holder the holders of the last week would have held it all along)."""
    t = f.params.term

    def history_holders(r: str, k: int) -> set[str]:
        return {w for (w, rr, kk) in f.history if rr == r and kk == k}

    for r in f.roles:
        for k in range(f.n):
            constant = 0
            terms: list[cp_model.IntVar] = []
            for j in range(k - t, k + 1):
                if j >= 0:
                    terms.append(shortfalls[(r.id, j)])
                else:
                    constant += max(0, r.holders - len(history_holders(r.id, j)))
                if j == k - t:
                    continue
                if (r.id, j) in change_of:
                    terms.append(change_of[(r.id, j)])
                elif j < 0:
                    constant += int(bool(history_holders(r.id, j) - history_holders(r.id, j - 1)))
            if constant < 1:
                model.add(sum(terms) >= 1 - constant)


def _spread_var(
    model: cp_model.CpModel, counts: list[cp_model.LinearExprT], top: int, name: str
) -> cp_model.IntVar | int:
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
    and its result fixed before the next. Deterministic with one search worker: a fixed seed and a
    deterministic-time budget (``time_limit_s`` in all; each stage gets at least MIN_STAGE_S)."""

    def __init__(self, model: cp_model.CpModel, params: RotationParams) -> None:
        self.model, self.params = model, params
        self.solution: list[int] = []
        self.budget = params.time_limit_s

    def _solve(self, model: cp_model.CpModel) -> int:
        solver = cp_model.CpSolver()
        sp = solver.parameters
        sp.num_search_workers = self.params.workers
        sp.random_seed = self.params.seed
        sp.max_deterministic_time = max(MIN_STAGE_S, self.budget)
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
        return code

    def value(self, var: cp_model.IntVar | int) -> int:
        return var if isinstance(var, int) else self.solution[var.index]

    def minimize(self, expr: cp_model.IntVar | int) -> str:
        """Minimise ``expr`` and fix it at the value found; the stage's status."""
        if isinstance(expr, int):
            return "OPTIMAL"
        self.model.minimize(expr)
        code = self._solve(self.model)
        self.model.clear_objective()
        self.model.add(expr <= self.value(expr))
        return "OPTIMAL" if code == cp_model.OPTIMAL else "FEASIBLE"

    def first_feasible(
        self,
        expr: cp_model.IntVar | int,
        lower: int,
        implied: Callable[[cp_model.CpModel, int], None],
        then: cp_model.IntVar | int = 0,
    ) -> int:
        """Fix ``expr`` at the smallest value from ``lower`` up that a plan reaches, trying each in
        turn (``implied(model, target)`` adds constraints implied by ``expr <= target``; each trial
        minimises ``then``). Returns the proven lower bound: the value itself when every smaller one
        is proven infeasible."""
        if isinstance(expr, int):
            return expr
        current = self.value(expr)
        for target in range(lower, current + 1):
            if target == current:
                break
            trial = self.model.clone()
            trial.add(expr <= target)
            implied(trial, target)
            if not isinstance(then, int):
                trial.minimize(then)
            code = self._solve(trial)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                current = target
                break
            if code != cp_model.INFEASIBLE:  # out of budget: keep the best found; bound = target
                self.model.add(expr <= current)
                implied(self.model, current)
                return target
        self.model.add(expr <= current)
        implied(self.model, current)
        return current


def _held_set(f: _Facts, plan: RolePlan) -> set[tuple[str, str, int]]:
    """(worker, role, week) of the history and of the plan."""
    held = set(f.history)
    for k, week in enumerate(plan.holders):
        held.update((w, r, k) for r, ws in week.items() for w in ws)
    return held


def _changes(f: _Facts, plan: RolePlan, held: set[tuple[str, str, int]]) -> list[list[str]]:
    """Per week, the roles that get a new holder (week 0 counts only against a history holder)."""
    out: list[list[str]] = []
    for k in range(len(plan.holders)):
        changed = []
        for r in f.roles:
            now = set(plan.holders[k].get(r.id, []))
            before = {w.id for w in f.workers if (w.id, r.id, k - 1) in held}
            if now - before and (k > 0 or f.has_history_holder(r.id, -1)):
                changed.append(r.id)
        out.append(changed)
    return out


def _summarise(plan: RolePlan, f: _Facts) -> None:
    """Fill in the plan's figures (role-weeks, spreads, newcomers, changes, unfilled) from its holders."""
    held = _held_set(f, plan)
    counts = Counter(w for week in plan.holders for ws in week.values() for w in ws)
    plan.role_weeks = {w: counts.get(w, 0) for w in f.counted}
    plan.history_role_weeks = dict(f.past_weeks)
    values = list(plan.role_weeks.values())
    plan.planned_spread = max(values) - min(values) if values else 0
    totals = [plan.role_weeks[w] + f.past_weeks[w] for w in f.counted]
    plan.spread = max(totals) - min(totals) if totals else 0
    plan.newcomers = {}
    for w in f.newcomers:
        weeks = [k for k, week in enumerate(plan.holders) if any(w in ws for ws in week.values())]
        plan.newcomers[w] = weeks[0] if weeks else None
    plan.newcomer_wait = sum(f.n if k is None else k for k in plan.newcomers.values())
    plan.changes = sum(len(row) for row in _changes(f, plan, held))
    plan.unfilled = []
    for k, week in enumerate(plan.holders):
        for r in f.roles:
            missing = r.holders - len(week[r.id])
            if missing > 0:
                plan.unfilled.append(
                    {
                        "week_start": plan.week(k).isoformat(),
                        "role": r.id,
                        "missing": missing,
                        "reason": _unfilled_reason(f, plan, held, r.id, k),
                    }
                )


def _unfilled_reason(f: _Facts, plan: RolePlan, held: set[tuple[str, str, int]], role: str, k: int) -> str:
    """One line: why a place of ``role`` is empty in week k."""
    r = next(x for x in f.roles if x.id == role)
    able = [w.id for w in f.workers if f.eligible(w.id, role, k)]
    barred = "; ".join(f.why_not[(w.id, role, k)] for w in f.workers if not f.eligible(w.id, role, k))
    if len(able) < r.holders:
        who = f"only {', '.join(able)} can" if able else "no one can"
        return f"needs {r.holders}; {who} hold it that week" + (f" ({barred})" if barred else "")
    notes = []
    for w in able:
        if w in plan.holders[k][role]:
            continue
        other = [x for x, ws in plan.holders[k].items() if w in ws]
        if other:
            notes.append(f"{w} holds {other[0]}")
        elif any((w, role, j) in held and (w, role, j + 1) not in held for j in range(k - f.params.term, k)):
            notes.append(f"{w} rests from it after a stint")
        else:
            notes.append(f"{w} could start only by breaking a term or the staggering")
    return "; ".join(notes)


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
    if len(plan.holders) != n:
        out.append(f"the plan has {len(plan.holders)} weeks, not {n}")
    roles = {r.id for r in f.roles}
    workers = {w.id for w in f.workers}
    for k, week in enumerate(plan.holders):
        seen: Counter[str] = Counter()
        out.extend(f"week {k}: unknown role {r}" for r in week if r not in roles)
        for r in f.roles:
            ws = week.get(r.id, [])
            if len(ws) > r.holders:
                out.append(f"week {k}: {r.id} has {len(ws)} holders, needs {r.holders}")
            for w in ws:
                seen[w] += 1
                if w not in workers:
                    out.append(f"week {k}: unknown worker {w} holds {r.id}")
                elif not f.eligible(w, r.id, k):
                    out.append(f"week {k}: {w} may not hold {r.id} ({f.why_not[(w, r.id, k)]})")
        out.extend(f"week {k}: {w} holds {c} roles" for w, c in seen.items() if c > 1)
    held = _held_set(f, plan)
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
                if s >= 0 and not opening and length < t and end < n and f.eligible(w.id, r.id, end):
                    out.append(f"{w.id}'s stint of {r.id} from week {s} ends after {length} weeks, before its term")
                back = [x for x, _ in runs if end < x < end + t]
                if back and back[0] >= 0:
                    out.append(f"{w.id} holds {r.id} again at week {back[0]}, within a term of their last stint")
    for k, changed in enumerate(_changes(f, plan, held)):
        if len(changed) > params.max_changes_per_week:
            out.append(
                f"week {k}: {len(changed)} roles change holder ({', '.join(changed)}); "
                f"at most {params.max_changes_per_week} may"
            )
    return out
