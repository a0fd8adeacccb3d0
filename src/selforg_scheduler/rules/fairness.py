"""fairness: unsociable visits (starting before 08:00, ending after 20:00, or at weekends) are
spread in proportion to contract minutes; the largest deviation costs, and each one a little.

For workers with a contract (c_w > 0, C = sum c_w): n_w = unsociable visits worker w does,
U = sum n_w, deviation d_w = ceil(|n_w - U c_w / C|) in whole visits (exactly: ceil(|C n_w - c_w U| /
C)). ``cost = weight * max_w d_w + sum_weight * sum_w d_w``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    ClockTime,
    Penalty,
    Rule,
    RuleCheck,
    RuleParams,
    clock_minutes,
    register,
)


class FairnessParams(RuleParams):
    weight: int = Field(default=10, ge=0, description="cost per visit of the largest deviation")
    sum_weight: int = Field(default=1, ge=0, description="cost per visit of each worker's deviation")
    early_before: ClockTime = Field(default="08:00", description="a visit starting before this is unsociable")
    late_after: ClockTime = Field(default="20:00", description="a visit ending after this is unsociable")
    weekends: bool = Field(default=True, description="Saturday and Sunday visits are unsociable")


@register
class Fairness(Rule[FairnessParams]):
    name = "fairness"
    order = 190
    summary = "unsociable visits spread in proportion to contract minutes; the largest deviation costs"
    Params = FairnessParams

    def _edges(self, problem: Problem, v: int) -> tuple[int, int]:
        """(early before, late after): the local clock times on the visit's day."""
        day, prm = problem.visits[v].day, self.params
        return problem.at(day, clock_minutes(prm.early_before)), problem.at(day, clock_minutes(prm.late_after))

    def unsociable(self, problem: Problem, v: int, start: float) -> bool:
        vd = problem.visits[v]
        if self.params.weekends and problem.weekday(vd.day) >= 5:
            return True
        early, late = self._edges(problem, v)
        return start < early or start + vd.duration > late

    def _shares(self, problem: Problem) -> tuple[list[int], int]:
        team = [w for w, wd in enumerate(problem.workers) if wd.contract > 0]
        return team, sum(problem.workers[w].contract for w in team)

    def build(self, m: ModelContext) -> list[Penalty]:
        p, model, prm = m.problem, m.model, self.params
        team, total_contract = self._shares(p)
        if len(team) < 2 or not (prm.weight or prm.sum_weight):
            return []
        flag: dict[int, Any] = {}
        for vd in p.visits:
            ws = [w for w in m.eligible[vd.index] if w in team]
            if not ws:
                continue
            flag[vd.index] = self._flag(m, vd.index, ws)
        count: dict[int, list[Any]] = {w: [] for w in team}
        for v, u in flag.items():
            for w in m.eligible[v]:
                if w not in count or u is False:
                    continue
                x = m.x[(v, w)]
                if u is True:
                    count[w].append(x)
                    continue
                z = model.new_bool_var(f"unsociable_{p.visits[v].id}_{p.workers[w].id}")
                model.add_bool_and([x, u]).only_enforce_if(z)
                model.add_bool_or([~x, ~u, z])
                count[w].append(z)
        n_all = sum(len(c) for c in count.values())
        everyone = sum(sum(c) for c in count.values())
        devs = []
        for w in team:
            c_w = p.workers[w].contract
            scaled = model.new_int_var(0, total_contract * n_all + c_w * n_all, f"unsociable_gap_{p.workers[w].id}")
            model.add_abs_equality(scaled, total_contract * sum(count[w]) - c_w * everyone)
            d = model.new_int_var(0, n_all + 1, f"unsociable_dev_{p.workers[w].id}")
            model.add_division_equality(d, scaled + total_contract - 1, total_contract)
            devs.append(d)
        out = []
        if prm.weight:
            worst = model.new_int_var(0, n_all + 1, "unsociable_max_dev")
            model.add_max_equality(worst, devs)
            out.append(self.penalty(prm.weight, worst, "team"))
        if prm.sum_weight:
            for w, d in zip(team, devs, strict=True):
                out.append(self.penalty(prm.sum_weight, d, p.workers[w].id))
        return out

    def _flag(self, m: ModelContext, v: int, ws: list[int]) -> Any:
        """True / False when every start agrees, else a literal: the visit is unsociable."""
        p, model = m.problem, m.model
        vd = p.visits[v]
        if self.params.weekends and p.weekday(vd.day) >= 5:
            return True
        lo = min(m.domains[(v, w)][0][0] for w in ws)
        hi = max(m.domains[(v, w)][-1][1] for w in ws)
        early, late = self._edges(p, v)
        if hi < early or lo + vd.duration > late:
            return True
        parts = []
        if lo < early:
            e = model.new_bool_var(f"early_{vd.id}")
            model.add(m.start[v] <= early - 1).only_enforce_if(e)
            model.add(m.start[v] >= early).only_enforce_if(~e)
            parts.append(e)
        if hi + vd.duration > late:
            lt = model.new_bool_var(f"late_{vd.id}")
            model.add(m.start[v] + vd.duration >= late + 1).only_enforce_if(lt)
            model.add(m.start[v] + vd.duration <= late).only_enforce_if(~lt)
            parts.append(lt)
        if not parts:
            return False
        if len(parts) == 1:
            return parts[0]
        u = model.new_bool_var(f"unsociable_{vd.id}")
        model.add_max_equality(u, parts)
        return u

    def counts(self, rota: Rota) -> dict[int, int]:
        p = rota.problem
        team, _ = self._shares(p)
        out = dict.fromkeys(team, 0)
        for v, crew in rota.crew.items():
            if self.unsociable(p, v, rota.start[v]):
                for w in crew:
                    if w in out:
                        out[w] += 1
        return out

    def deviations(self, rota: Rota) -> dict[int, tuple[int, float]]:
        """Per worker: (deviation rounded up to whole visits, exact deviation)."""
        p = rota.problem
        counts = self.counts(rota)
        _, total_contract = self._shares(p)
        everyone = sum(counts.values())
        out = {}
        for w, n in counts.items():
            scaled = abs(total_contract * n - p.workers[w].contract * everyone)
            out[w] = ((scaled + total_contract - 1) // total_contract, scaled / total_contract)
        return out

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p, prm = rota.problem, self.params
        team, _ = self._shares(p)
        if len(team) < 2:
            return out
        devs = self.deviations(rota)
        out.charge("team", prm.weight * max(d for d, _ in devs.values()))
        for w, (d, _) in devs.items():
            out.charge(p.workers[w].id, prm.sum_weight * d)
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        devs = self.deviations(rota)
        p = rota.problem
        return {
            "unsociable_visits": {p.workers[w].id: n for w, n in self.counts(rota).items()},
            "unsociable_spread": round(max((x for _, x in devs.values()), default=0.0), 3),
        }
