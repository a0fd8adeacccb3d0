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

This module is the public face (the plan function, its params and result types, the checker);
the work is done beside it: ``rotation_facts.py`` (the plan's fixed data), ``rotation_model.py``
(the CP-SAT model: variables, constraints, objective terms), ``rotation_stages.py`` (the staged
solve) and ``rotation_check.py`` (figures and rule checks without the solver).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.core.role_facts import WEEK
from selforg_scheduler.modes import rotation_check
from selforg_scheduler.modes.rotation_facts import PlanFacts
from selforg_scheduler.modes.rotation_model import RoleModel
from selforg_scheduler.modes.rotation_stages import MIN_STAGE_S, Stages

__all__ = ["MIN_STAGE_S", "STAGES", "PlanChecker", "RolePlan", "RotationParams", "plan_problems", "plan_roles"]

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
            "newcomers": {w: None if k is None else self.week(k).isoformat() for w, k in self.newcomers.items()},
            "newcomer_wait": self.newcomer_wait,
            "changes": self.changes,
            "weeks": [{"week_start": self.week(k).isoformat(), "holders": week} for k, week in enumerate(self.holders)],
            "unfilled": self.unfilled,
        }


def plan_roles(instance: Instance, params: RotationParams | None = None) -> RolePlan:
    """The fairest role plan for ``params.weeks`` weeks (CP-SAT in stages, deterministic for a seed
    with one search worker)."""
    params = params or RotationParams()
    f = PlanFacts(instance, params)
    n = params.weeks
    rm = RoleModel(f)
    stages = Stages(rm.model, params)
    plan = RolePlan(f.start, [r.id for r in f.roles], [{r.id: [] for r in f.roles} for _ in range(n)])
    # 1. fill every place that can be filled
    plan.stages["fill"] = stages.minimize(rm.short_total)
    # 2. the fairest spread of role-weeks (history window counted): the first feasible value from
    #    a lower bound up, so that a proof of optimality needs only infeasibility proofs
    filled = sum(r.holders for r in f.roles) * n - stages.value(rm.short_total)
    total = filled + sum(f.past_weeks.values())
    lower = 0 if not f.counted or total % len(f.counted) == 0 else 1

    def even_share(m: cp_model.CpModel, target: int) -> None:
        """With the role-weeks fixed in total, a spread of at most ``target`` bounds every worker's
        total (implied constraints, but they make the trials propagate)."""
        if plan.stages["fill"] == "OPTIMAL" and f.counted:
            low, high = -(-total // len(f.counted)) - target, total // len(f.counted) + target
            for x in rm.totals:
                m.add_linear_constraint(x, low, high)

    # each trial also brings newcomers in early, which the next stage would otherwise have to find
    plan.spread_bound = stages.first_feasible(rm.spread, lower, even_share, then=rm.wait)
    plan.stages["spread"] = "OPTIMAL" if plan.spread_bound == stages.value(rm.spread) else "FEASIBLE"
    # 3. newcomers early, 4. few changes
    plan.stages["newcomers"] = stages.minimize(rm.wait)
    plan.stages["changes"] = stages.minimize(rm.change_total)
    plan.status = "OPTIMAL" if all(s == "OPTIMAL" for s in plan.stages.values()) else "FEASIBLE"
    for (w, r, k), var in sorted(rm.h.items()):
        if stages.value(var):
            plan.holders[k][r].append(w)
    rotation_check.summarise(plan, f)
    return plan


def plan_problems(instance: Instance, params: RotationParams, plan: RolePlan) -> list[str]:
    """Every rule a role plan breaks, in words (no solver): the plan's validator."""
    return PlanChecker(instance, params).problems(plan)


class PlanChecker:
    """Checks many plans of one team (the facts are read once); see :func:`plan_problems`."""

    def __init__(self, instance: Instance, params: RotationParams) -> None:
        self.facts = PlanFacts(instance, params)
        self.params = params

    def empty(self) -> RolePlan:
        f = self.facts
        return RolePlan(f.start, [r.id for r in f.roles], [{r.id: [] for r in f.roles} for _ in range(f.n)])

    def summarise(self, plan: RolePlan) -> RolePlan:
        rotation_check.summarise(plan, self.facts)
        return plan

    def problems(self, plan: RolePlan) -> list[str]:
        return rotation_check.problems(self.facts, self.params, plan)
