"""roles: each team role gets its holders for the week, fairly rotated (hard + soft).

Hard: ``holds[r, w]`` only for eligible pairs (the role's skills, not a new starter, at least
``min_available_days`` days with free time this week); ``sum_w holds[r, w] <= holders[r]``;
``sum_r holds[r, w] <= 1`` (no one holds two roles); ``sum holds = F``, the most role places any
assignment can fill (a bipartite maximum matching of role places to eligible workers), so every
role is filled whenever the team can fill it and an unfillable place is reported with its reason.
Role minutes count as working time in ``weekly_limit`` and ``contract_hours`` (see their modules).

Soft, from ``role_history``: ``repeat_weight * holds[r, w]`` when w held r the week before;
``- never_held_reward * holds[r, w]`` when w has never held any role; and
``spread_weight * (max_w c_w - min_w c_w)`` over the workers eligible for some role this week,
where ``c_w`` = role-weeks in the last ``history_weeks`` weeks + roles held this week.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
from ortools.sat.python import cp_model
from pydantic import Field

from selforg_scheduler.core.interrupt import quiet_solver
from selforg_scheduler.core.problem import Problem, intersect
from selforg_scheduler.core.role_facts import RoleHistory, held_from, holder_problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import LinearExprT

Held = Mapping[int, tuple[int, ...]]
"""Per worker, the roles (indices) they hold."""


class RolesParams(RuleParams):
    min_available_days: int = Field(default=3, ge=0, le=7, description="days with free time a holder needs in the week")
    repeat_weight: int = Field(default=100, ge=0, description="cost of holding last week's role again")
    never_held_reward: int = Field(
        default=50, ge=0, description="earned when a role goes to someone who has never held one"
    )
    spread_weight: int = Field(
        default=20, ge=0, description="cost per role-week of spread (most minus fewest role-weeks)"
    )
    history_weeks: int = Field(default=12, ge=0, description="weeks of role history counted in the spread (0 = all)")


@dataclass(frozen=True)
class RoleTerm:
    """One soft term of the roles rule, before it becomes a :class:`Penalty` (model) or a cost."""

    weight: int
    subject: str
    pairs: tuple[tuple[int, int], ...] = ()
    """(role, worker) pairs whose holding pays ``weight`` each."""


@register
class Roles(Rule[RolesParams]):
    name = "roles"
    reads = "roles"
    order = 200
    summary = "team roles filled by eligible workers, one each, rotated fairly"
    Params = RolesParams

    # --- who may hold what ---------------------------------------------------------------------
    def available_days(self, problem: Problem, w: int) -> int:
        """Days of the horizon on which the worker has free time (availability less commitments)."""
        blocks = problem.free_blocks[w]
        return sum(
            1 for d in range(problem.days) if intersect(blocks, ((problem.day_start(d), problem.day_start(d + 1)),))
        )

    def why_not(self, problem: Problem, r: int, w: int) -> str | None:
        """Why worker w may not hold role r this week (None when they may)."""
        inst = problem.instance
        why = holder_problem(inst.roles[r], inst.workers[w])
        if why is not None:
            return why
        days = self.available_days(problem, w)
        if days < self.params.min_available_days:
            return f"is available on {days} day{'s' * (days != 1)} only"
        return None

    def eligible_pairs(self, problem: Problem) -> list[tuple[int, int]]:
        return [
            (r, w)
            for r in range(len(problem.roles))
            for w in range(len(problem.workers))
            if self.why_not(problem, r, w) is None
        ]

    def most_filled(self, problem: Problem) -> int:
        """The most role places any assignment can fill (maximum bipartite matching)."""
        return len(self.matching(problem))

    def matching(self, problem: Problem) -> list[tuple[int, int]]:
        """(role, worker) pairs of a maximum bipartite matching of role places and workers: an
        assignment that fills as many places as any can, on no cost of its own."""
        # integer nodes (places first, then workers): networkx's matching walks sets of nodes, and
        # ints hash alike in every process, so the matching (a hint, a fallback) is reproducible
        places = [r for r, rd in enumerate(problem.roles) for _ in range(rd.holders)]
        first = {r: places.index(r) for r in set(places)}
        graph = nx.Graph()
        graph.add_nodes_from(range(len(places) + len(problem.workers)))
        for r, w in self.eligible_pairs(problem):
            graph.add_edges_from((first[r] + k, len(places) + w) for k in range(problem.roles[r].holders))
        matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=range(len(places)))
        return sorted((places[p], matching[p] - len(places)) for p in range(len(places)) if p in matching)

    # --- fairness ------------------------------------------------------------------------------
    def _history(self, problem: Problem) -> tuple[RoleHistory, dt.date]:
        return RoleHistory.of(problem.instance), problem.origin.date()

    def terms(self, problem: Problem) -> list[RoleTerm]:
        """The per-holding soft terms: repeats of last week's role and first-ever roles."""
        history, week = self._history(problem)
        last_week = week - dt.timedelta(days=7)
        ever = history.ever_held(week)
        pairs = self.eligible_pairs(problem)
        out = []
        for r, w in pairs:
            wid = problem.workers[w].id
            if self.params.repeat_weight and wid in history.holders(problem.roles[r].id, last_week):
                out.append(RoleTerm(self.params.repeat_weight, wid, ((r, w),)))
            if self.params.never_held_reward and wid not in ever:
                out.append(RoleTerm(-self.params.never_held_reward, wid, ((r, w),)))
        return out

    def past_role_weeks(self, problem: Problem) -> dict[int, int]:
        """Role-weeks in the history window, for the workers eligible for some role this week."""
        history, week = self._history(problem)
        counts = history.role_weeks(week, self.params.history_weeks)
        who = sorted({w for _, w in self.eligible_pairs(problem)})
        return {w: counts.get(problem.workers[w].id, 0) for w in who}

    def spread(self, problem: Problem, held: Held) -> int:
        past = self.past_role_weeks(problem)
        counts = [n + len(held.get(w, ())) for w, n in past.items()]
        return max(counts) - min(counts) if counts else 0

    # --- the model -----------------------------------------------------------------------------
    def _constrain(
        self, model: cp_model.CpModel, problem: Problem, holds: Mapping[tuple[int, int], cp_model.IntVar]
    ) -> list[tuple[int, LinearExprT, str]]:
        """Add the hard constraints on ``holds``; return the soft terms as (weight, expr, subject)."""
        for r, rd in enumerate(problem.roles):
            mine = [var for (rr, _), var in holds.items() if rr == r]
            if mine:
                model.add(sum(mine) <= rd.holders)
        for w in range(len(problem.workers)):
            mine = [var for (_, ww), var in holds.items() if ww == w]
            if len(mine) > 1:
                model.add_at_most_one(mine)
        model.add(sum(holds.values()) == self.most_filled(problem))
        out: list[tuple[int, LinearExprT, str]] = []
        for term in self.terms(problem):
            out.append((term.weight, sum(holds[pair] for pair in term.pairs), term.subject))
        past = self.past_role_weeks(problem)
        if self.params.spread_weight and len(past) > 1:
            counts = []
            for w, n in past.items():
                counts.append(n + sum(var for (_, ww), var in holds.items() if ww == w))
            top = max(past.values()) + 1
            most = model.new_int_var(0, top, "role_weeks_max")
            fewest = model.new_int_var(0, top, "role_weeks_min")
            model.add_max_equality(most, counts)
            model.add_min_equality(fewest, counts)
            out.append((self.params.spread_weight, most - fewest, "team"))
        return out

    def build(self, m: ModelContext) -> list[Penalty]:
        return [
            self.penalty(weight, expr, subject)
            for weight, expr, subject in self._constrain(m.model, m.problem, m.holds)
        ]

    def floor(self, m: ModelContext, covered: bool) -> float:
        """The least the roles can cost on their own: the bound CP-SAT proves for the roles' own
        model (the same constraints and terms; a second of deterministic time: as good on any
        machine), else every filled place earning the never-held reward at best."""
        rewarded = {w for t in self.terms(m.problem) if t.weight < 0 for _, w in t.pairs}
        loose = -self.params.never_held_reward * min(len(rewarded), self.most_filled(m.problem))
        pairs = self.eligible_pairs(m.problem)
        if not pairs:
            return loose
        model = cp_model.CpModel()
        holds = {pair: model.new_bool_var(f"holds_{pair[0]}_{pair[1]}") for pair in pairs}
        terms = self._constrain(model, m.problem, holds)
        model.minimize(sum(weight * expr for weight, expr, _ in terms))
        solver = quiet_solver(cp_model.CpSolver())
        solver.parameters.num_search_workers = 1
        solver.parameters.max_deterministic_time = 1.0
        solver.parameters.max_time_in_seconds = 10.0
        if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return loose
        return max(loose, math.ceil(solver.best_objective_bound - 1e-6))

    def choose(self, problem: Problem, limit_s: float = 2.0) -> dict[int, tuple[int, ...]]:
        """The best holders for the week on the roles' own costs (the greedy's starting point),
        searched from a maximum matching, which is what it gives when ``limit_s`` finds nothing
        better (a pool of a hundred workers and fifty role places can need more than 2 s): every
        place that can be filled always is."""
        pairs = self.eligible_pairs(problem)
        if not pairs:
            return {}
        matched = self.matching(problem)
        model = cp_model.CpModel()
        holds = {pair: model.new_bool_var(f"holds_{pair[0]}_{pair[1]}") for pair in pairs}
        hinted = set(matched)
        for pair, var in holds.items():
            model.add_hint(var, pair in hinted)
        terms = self._constrain(model, problem, holds)
        model.minimize(sum(weight * expr for weight, expr, _ in terms))
        solver = quiet_solver(cp_model.CpSolver())
        solver.parameters.num_search_workers = 1
        solver.parameters.max_time_in_seconds = limit_s
        if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return held_from(matched)
        return held_from(pair for pair, var in holds.items() if solver.value(var))

    # --- the validator -------------------------------------------------------------------------
    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck(violations=self.reading_violations(rota))
        p = rota.problem
        seen: dict[int, list[int]] = {}
        for r, w in rota.role_entries:
            role, wid = p.roles[r].id, p.workers[w].id
            if r in seen.get(w, []):
                out.violations.append(self.violation(f"{wid} is listed twice for {role}"))
                continue
            seen.setdefault(w, []).append(r)
            why = self.why_not(p, r, w)
            if why is not None:
                out.violations.append(self.violation(f"{wid} holds {role} but {why}"))
        for w, roles in seen.items():
            if len(roles) > 1:
                names = ", ".join(p.roles[r].id for r in roles)
                out.violations.append(self.violation(f"{p.workers[w].id} holds {len(roles)} roles ({names})"))
        for r, rd in enumerate(p.roles):
            n = sum(1 for roles in seen.values() if r in roles)
            if n > rd.holders:
                out.violations.append(self.violation(f"{rd.id} has {n} holders; it needs {rd.holders}"))
        filled = sum(min(rd.holders, sum(1 for roles in seen.values() if r in roles)) for r, rd in enumerate(p.roles))
        best = self.most_filled(p)
        if filled < best:
            out.violations.append(self.violation(f"{filled} role places are filled; the team can fill {best}"))
        held = rota.held
        for term in self.terms(p):
            for r, w in term.pairs:
                if r in held.get(w, ()):
                    out.charge(term.subject, term.weight)
        if self.params.spread_weight:
            out.charge("team", self.params.spread_weight * self.spread(p, held))
        return out

    def unfilled(self, problem: Problem, held: Held) -> list[tuple[str, int, str]]:
        """(role id, missing holders, reason) for every role short of holders."""
        out = []
        for r, rd in enumerate(problem.roles):
            have = [w for w, roles in held.items() if r in roles]
            missing = rd.holders - len(have)
            if missing <= 0:
                continue
            able = [w for w in range(len(problem.workers)) if self.why_not(problem, r, w) is None]
            need = f"needs {rd.holders} holder{'s' * (rd.holders != 1)}"
            if len(able) < rd.holders:
                by_why: dict[str, list[str]] = {}  # why -> the workers it bars, in team order
                for wd in problem.workers:
                    if wd.index not in able:
                        by_why.setdefault(self.why_not(problem, r, wd.index) or "", []).append(wd.id)
                skills = set(problem.instance.roles[r].skills)
                barred: list[str] = []
                if skills and not any(skills <= wd.skills for wd in problem.workers):
                    barred.append(f"nobody has the skill{'s' * (len(skills) > 1)} {', '.join(sorted(skills))}")
                else:  # "w1 lacks x", "w2, w3 are new starters"
                    for why, ids in by_why.items():
                        verb, _, rest = why.partition(" ")
                        if len(ids) > 1:
                            verb = {"is": "are", "has": "have"}.get(verb, verb.removesuffix("s"))
                            rest = rest.replace("a new starter", "new starters")
                        barred.append(f"{', '.join(ids)} {verb} {rest}".rstrip())
                if not problem.workers:
                    reason = f"{need}; no one can hold it: the team has no workers"
                elif not able:
                    reason = f"{need}; no one can hold it: {'; '.join(barred)}"
                else:
                    names = ", ".join(problem.workers[w].id for w in able)
                    others = "; ".join(barred) if barred else "the team has no one else"
                    reason = f"{need}; only {names} can hold it: {others}"
            else:
                busy = [w for w in able if w not in have and held.get(w)]
                idle = [problem.workers[w].id for w in able if w not in have and not held.get(w)]
                names = ", ".join(
                    f"{problem.workers[w].id} ({'/'.join(problem.roles[x].id for x in held[w])})" for w in busy
                )
                if idle:  # (a plan that is not the fullest: given by hand, or cut short)
                    reason = f"{need}; {', '.join(idle)} could hold it but {'was' if len(idle) == 1 else 'were'} not given it"
                else:
                    reason = f"{need}; every worker who could hold it holds another role: {names}"
            out.append((rd.id, missing, reason))
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        p = rota.problem
        if not p.roles:
            return {}
        places = sum(rd.holders for rd in p.roles)
        filled = sum(
            min(rd.holders, sum(1 for roles in rota.held.values() if r in roles)) for r, rd in enumerate(p.roles)
        )
        return {"role_places_filled": filled, "role_places": places, "role_weeks_spread": self.spread(p, rota.held)}
