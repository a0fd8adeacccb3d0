"""The fixed data of a role plan (``rotate-roles``): who may hold each role in each week and why
not, the role history as weeks before week 0, and the workers the fairness measure counts.

Read once from the instance; the CP-SAT model (``rotation_model.py``) and the solver-free checker
(``rotation_check.py``) both work from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.core.role_facts import (
    WEEK,
    RoleHistory,
    holder_problem,
    leave_days,
)

if TYPE_CHECKING:
    from selforg_scheduler.modes.rotation import RotationParams


class PlanFacts:
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

    def history_holders(self, r: str, k: int) -> set[str]:
        """Who held role ``r`` in history week ``k`` (k < 0)."""
        return {w for (w, rr, kk) in self.history if rr == r and kk == k}
