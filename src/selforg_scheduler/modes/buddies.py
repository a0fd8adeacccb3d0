"""Buddy groups: long-term peer-coaching pairs (a triad when the team is odd), by matching.

Every pair of team members gets a compatibility score from :class:`BuddyWeights` (shared working
time, experience mix, novelty, preferences, avoidance). Existing groups whose members are still in
the team are kept; the others are matched with networkx's maximum-weight matching. When an odd
number of people must be placed, every candidate triad (three unpaired people, or one joining a
kept pair) is tried with a maximum-weight perfect matching of the rest, so the result is the best
partition into pairs plus one triad. A triad scores the sum of its three pairs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import read_text
from selforg_scheduler.core.clock import LocalClock
from selforg_scheduler.core.problem import intersect, merge
from selforg_scheduler.rules.config import read_yaml

LATE_AFTER = 20 * 60
"""Minute of the day after which a lone visit needs a buddy at work (lone_working's default)."""


class BuddyWeights(BaseModel):
    """How much each reason adds to (or takes from) a pair's score. Whole numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    overlap_per_hour: int = Field(default=1, ge=0, description="per hour both are available in the week")
    late_overlap_per_hour: int = Field(
        default=5, ge=0, description="per hour both are available after 20:00 (check-ins for late lone visits)"
    )
    mentor: int = Field(default=40, ge=0, description="a new starter with an experienced worker")
    two_new_starters: int = Field(default=100, ge=0, description="cost of pairing two new starters")
    fresh_pair: int = Field(default=20, ge=0, description="the two have not been buddies before")
    preference: int = Field(default=30, ge=0, description="per direction: one asked for the other")
    avoid: int = Field(default=1000, ge=0, description="cost when either would rather avoid the other")


def load_weights(path: str | Path | None) -> BuddyWeights:
    """Weights from a YAML file (``overlap_per_hour: 2`` ...); defaults when no file is given."""
    if path is None:
        return BuddyWeights()
    raw = (
        read_yaml(read_text(path, "; save the file as UTF-8"), str(path)) or {}
    )  # duplicate keys refused, as in rule sets
    try:
        return BuddyWeights.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(k) for k in first["loc"])
        hint = f"; valid keys: {', '.join(BuddyWeights.model_fields)}" if first["type"] == "extra_forbidden" else ""
        raise InputError(f"{first['msg']}{hint}", file=str(path), obj=key or None) from None


@dataclass(frozen=True)
class PairScore:
    score: int
    reasons: tuple[str, ...]


@dataclass
class BuddyGroup:
    members: list[str]
    score: int
    kept: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class BuddyPlan:
    groups: list[BuddyGroup]

    @property
    def total_score(self) -> int:
        return sum(g.score for g in self.groups)

    def as_lists(self) -> list[list[str]]:
        return [list(g.members) for g in self.groups]

    def to_json(self) -> dict[str, object]:
        return {
            "total_score": self.total_score,
            "groups": [
                {"members": g.members, "score": g.score, "kept": g.kept, "reasons": g.reasons} for g in self.groups
            ],
        }


class Compatibility:
    """Pair scores of one team, computed once."""

    def __init__(self, instance: Instance, weights: BuddyWeights, current: Sequence[Sequence[str]] = ()) -> None:
        self.weights = weights
        self.workers = {w.id: w for w in instance.workers}
        past = [*(g.members for g in instance.buddy_history), *current]
        self.history = {frozenset(pair) for g in past for pair in itertools.combinations(g, 2)}
        origin = datetime.combine(instance.horizon.start, time())
        clock = LocalClock(origin, ZoneInfo(instance.team.timezone), instance.horizon.days)

        def minute(when: datetime) -> int:  # real minutes, as the week's rules count them
            return int(clock.minutes(when) // 1)

        self.free = {w.id: merge([(minute(p.start), minute(p.end)) for p in w.availability]) for w in instance.workers}
        self.evenings = tuple(  # 20:00 to midnight of each local day, on the same clock as ``minute``
            (
                minute(
                    datetime.fromordinal(origin.toordinal() + d).replace(hour=LATE_AFTER // 60, minute=LATE_AFTER % 60)
                ),
                minute(datetime.fromordinal(origin.toordinal() + d + 1)),
            )
            for d in range(instance.horizon.days + 1)
        )
        self._cache: dict[frozenset[str], PairScore] = {}

    def pair(self, a: str, b: str) -> PairScore:
        key = frozenset((a, b))
        if key not in self._cache:
            self._cache[key] = self._score(*sorted(key))
        return self._cache[key]

    def _score(self, a: str, b: str) -> PairScore:
        wt, wa, wb = self.weights, self.workers[a], self.workers[b]
        score, reasons = 0, []
        hours = sum(e - s for s, e in intersect(self.free[a], self.free[b])) // 60
        if hours and wt.overlap_per_hour:
            score += hours * wt.overlap_per_hour
            reasons.append(f"share {hours} h of working time (+{hours * wt.overlap_per_hour})")
        late = sum(e - s for s, e in intersect(intersect(self.free[a], self.free[b]), self.evenings)) // 60
        if late and wt.late_overlap_per_hour:
            score += late * wt.late_overlap_per_hour
            reasons.append(f"both work {late} h after 20:00, for late check-ins (+{late * wt.late_overlap_per_hour})")
        if wa.new_starter != wb.new_starter and wt.mentor:
            new, old = (a, b) if wa.new_starter else (b, a)
            score += wt.mentor
            reasons.append(f"new starter {new} with experienced {old} (+{wt.mentor})")
        if wa.new_starter and wb.new_starter and wt.two_new_starters:
            score -= wt.two_new_starters
            reasons.append(f"both are new starters (-{wt.two_new_starters})")
        if frozenset((a, b)) not in self.history and wt.fresh_pair:
            score += wt.fresh_pair
            reasons.append(f"not buddies before (+{wt.fresh_pair})")
        for x, y in ((wa, wb), (wb, wa)):
            if y.id in x.buddy_preferences and wt.preference:
                score += wt.preference
                reasons.append(f"{x.id} asked for {y.id} (+{wt.preference})")
            if y.id in x.buddy_avoid and wt.avoid:
                score -= wt.avoid
                reasons.append(f"{x.id} would rather not be with {y.id} (-{wt.avoid})")
        return PairScore(score, tuple(reasons))

    def group(self, members: Sequence[str]) -> int:
        return sum(self.pair(a, b).score for a, b in itertools.combinations(members, 2))

    def best_pair(self, members: Sequence[str]) -> tuple[str, str]:
        pairs = list(itertools.combinations(sorted(members), 2))
        return max(pairs, key=lambda p: self.pair(*p).score)  # the first of equals: deterministic


def _perfect_matching(comp: Compatibility, people: Sequence[str]) -> tuple[int, list[tuple[str, str]]]:
    """Max-weight perfect matching of an even number of people (networkx, shifted weights)."""
    if not people:
        return 0, []
    graph = nx.Graph()
    pairs = list(itertools.combinations(sorted(people), 2))
    shift = 1 + max(0, -min(comp.pair(a, b).score for a, b in pairs))
    # Every perfect matching has the same number of edges, so a constant shift keeps the optimum.
    graph.add_weighted_edges_from((a, b, comp.pair(a, b).score + shift) for a, b in pairs)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    chosen = sorted(tuple(sorted(edge)) for edge in matching)
    return sum(comp.pair(a, b).score for a, b in chosen), chosen


def pair_buddies(
    instance: Instance,
    weights: BuddyWeights | None = None,
    fresh: bool = False,
    existing: Sequence[Sequence[str]] | None = None,
) -> BuddyPlan:
    """Buddy groups for the team: kept groups first, the rest by maximum-weight matching.

    ``existing`` defaults to ``instance.buddies``; it may name people who have left the team
    (they are dropped). ``fresh`` ignores existing groups and re-matches everyone.
    """
    current = [list(g) for g in (instance.buddies if existing is None else existing)]
    comp = Compatibility(instance, weights or BuddyWeights(), current)
    team = sorted(comp.workers)
    if len(team) < 2:
        raise InputError("a buddy group needs at least 2 workers; the team has " + str(len(team)))
    odd = len(team) % 2 == 1
    kept: list[tuple[list[str], list[str]]] = []  # (members, reasons)
    if not fresh:
        for group in current:
            here = sorted(m for m in group if m in comp.workers)
            gone = sorted(m for m in group if m not in comp.workers)
            if len(here) >= 2:
                reason = (
                    "kept: existing group, all still in the team"
                    if not gone
                    else (f"kept: existing group ({', '.join(gone)} left the team)")
                )
                kept.append((here, [reason]))
    # Sizes: pairs, and one triad only when the team is odd.
    triads = sorted((g for g in kept if len(g[0]) == 3), key=lambda g: (-comp.group(g[0]), g[0]))
    keep_triad = triads[0][0] if odd and triads else None
    final_kept: list[tuple[list[str], list[str]]] = []
    for members, why in kept:
        if len(members) == 3 and members != keep_triad:
            a, b = comp.best_pair(members)
            final_kept.append(
                ([a, b], [why[0].replace("kept: existing group", "kept: best pair of an existing triad")])
            )
        else:
            final_kept.append((members, why))
    placed = {m for members, _ in final_kept for m in members}
    unpaired = [w for w in team if w not in placed]

    new_groups: list[list[str]]
    if len(unpaired) % 2 == 0:
        _, matching = _perfect_matching(comp, unpaired)
        new_groups = [list(p) for p in matching]
    else:
        best: tuple[int, int, list[list[str]], int | None] | None = None  # score, order, groups, kept joined
        order = 0
        candidates: list[tuple[list[str], int | None]] = [(list(t), None) for t in itertools.combinations(unpaired, 3)]
        candidates += [([u], k) for u in unpaired for k, (members, _) in enumerate(final_kept) if len(members) == 2]
        for triad_part, joins in candidates:
            rest = [u for u in unpaired if u not in triad_part]
            if len(rest) % 2:
                continue
            score, matching = _perfect_matching(comp, rest)
            if joins is None:
                score += comp.group(triad_part)
            else:
                pair = final_kept[joins][0]
                score += sum(comp.pair(triad_part[0], m).score for m in pair)
            order += 1
            if best is None or score > best[0]:
                groups = [list(p) for p in matching]
                if joins is None:
                    groups.append(sorted(triad_part))
                best = (score, order, groups, joins)
        assert best is not None
        new_groups = best[2]
        if best[3] is not None:
            joiner = next(u for u in unpaired if all(u not in g for g in new_groups))
            members, why = final_kept[best[3]]
            final_kept[best[3]] = (
                sorted([*members, joiner]),
                [*why, f"{joiner} joins to make the team's one triad"],
            )
    out = []
    for members, why in final_kept:
        out.append(BuddyGroup(members, comp.group(members), True, why + _pair_reasons(comp, members)))
    for members in new_groups:
        out.append(BuddyGroup(sorted(members), comp.group(members), False, _pair_reasons(comp, members)))
    out.sort(key=lambda g: g.members)
    return BuddyPlan(out)


def _pair_reasons(comp: Compatibility, members: Sequence[str]) -> list[str]:
    out: list[str] = []
    for a, b in itertools.combinations(sorted(members), 2):
        prefix = f"{a}+{b}: " if len(members) > 2 else ""
        out.extend(prefix + r for r in comp.pair(a, b).reasons)
    return out


def write_into(path: str | Path, plan: BuddyPlan) -> None:
    """Rewrite an instance file's ``buddies`` with the plan's groups, keeping every other key and
    the file's indentation; groups that end are added to ``buddy_history`` (until the horizon
    start). The result is validated before it is written."""
    from selforg_scheduler.contract.io import instance_from_dict, read_json

    target = Path(path)
    raw = read_json(target)
    text = target.read_text(encoding="utf-8")
    lines = text.splitlines()
    indent = (len(lines[1]) - len(lines[1].lstrip())) or None if len(lines) > 1 else None
    new = plan.as_lists()
    ended = [sorted(g) for g in raw.get("buddies", []) if sorted(g) not in new]
    until = raw.get("horizon", {}).get("start")
    if ended:
        raw.setdefault("buddy_history", []).extend({"members": g, "until": until} for g in ended)
    raw["buddies"] = new
    instance_from_dict(raw, file=str(target))
    target.write_text(json.dumps(raw, indent=indent) + "\n", encoding="utf-8")
