"""Rule sets: which rules are on, hard or soft, and with what weights, loaded from YAML.

A YAML file must be UTF-8 and may not give a key twice; every weight or reward (a parameter
named ``weight``, ``*_weight``, ``weight_*``, ``*_reward``...) is at most :data:`MAX_WEIGHT`, so the
solver's 64-bit objective cannot overflow.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

import selforg_scheduler.rules as _rules_pkg
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import read_text
from selforg_scheduler.core.problem import Interval, Problem, intersect
from selforg_scheduler.core.terms import FREE, Prices
from selforg_scheduler.rules.base import REGISTRY, RoleAssigner, Rule, RuleParams

if TYPE_CHECKING:
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.core.rota import Rota

_NOT_RULES = {"base", "config", "frame", "validator"}
ALWAYS: tuple[Interval, ...] = ((-(10**7), 10**7),)
"""Free time of a worker no rule limits."""
MAX_RESOLUTION = 1000
"""Finest time a rule set may ask for: a thousandth of a minute."""
MAX_WEIGHT = 1_000_000
"""Largest weight or reward per unit (minute, visit, change...): a week's worth of costs at this
weight stays far inside CP-SAT's 64-bit objective (at 10**15 the model is MODEL_INVALID)."""
_WEIGHT_NAME = re.compile(r"(^|_)(weight|reward)(_|$)")
"""Parameter names that are weights or rewards: weight, sum_weight, weight_per_minute, link_worker_reward..."""


def _discover() -> None:
    """Import every rule module of the package so it registers itself; order by ``order``."""
    for info in pkgutil.iter_modules(_rules_pkg.__path__):
        if info.name not in _NOT_RULES:
            importlib.import_module(f"{_rules_pkg.__name__}.{info.name}")
    ordered = sorted(REGISTRY.items(), key=lambda item: (item[1].order, item[0]))
    REGISTRY.clear()
    REGISTRY.update(ordered)


_discover()


class RuleSet:
    """The typed parameters of every registered rule, in registry order."""

    def __init__(self, params: Mapping[str, RuleParams], source: str | None = None, resolution: int = 1) -> None:
        self.params = dict(params)
        self.source = source
        self.resolution = resolution
        """Ticks per minute of the problem's time (1 = whole minutes)."""
        self.rules: dict[str, Rule[Any]] = {name: REGISTRY[name](self.params[name]) for name in REGISTRY}

    def __getitem__(self, name: str) -> Rule[Any]:
        return self.rules[name]

    def active(self) -> Iterator[Rule[Any]]:
        """Enabled rules, in registry order."""
        for rule in self.rules.values():
            if rule.params.enabled:
                yield rule

    def is_on(self, name: str) -> bool:
        rule = self.rules[name]
        return rule.params.enabled

    # --- every active rule asked the same question (the hooks of rules/base.py) ---------------
    @property
    def travel_on(self) -> bool:
        """Whether travel takes time: a rota leaves room for it."""
        return any(rule.keeps_travel_time for rule in self.active())

    @property
    def linked_starts_on(self) -> bool:
        """Whether linked visits keep the gaps between their starts."""
        return any(rule.keeps_linked_starts for rule in self.active())

    def start_range(self, problem: Problem, v: int) -> tuple[int, int]:
        """The range visit v may start in: anywhere on its day, as narrowed by every rule."""
        vd = problem.visits[v]
        day0, day1 = problem.day_start(vd.day), problem.day_start(vd.day + 1)  # 23 or 25 h across a change
        lo, hi = day0, max(day0, day1 - vd.duration)
        for rule in self.active():
            lo, hi = rule.start_range(problem, v, (lo, hi))
        return lo, hi

    def free_time(self, problem: Problem, w: int) -> tuple[Interval, ...]:
        """Worker w's free time: what every rule that limits it leaves."""
        free = ALWAYS
        for rule in self.active():
            limit = rule.free_time(problem, w)
            if limit is not None:
                free = limit if free is ALWAYS else intersect(free, limit)
        return free

    def prices(self, problem: Problem) -> Prices:
        """The route searches' prices: every active rule's added up (exact only if all are)."""
        total = FREE
        for rule in self.active():
            total = total + rule.prices(problem)
        return total

    def kept_off(self, problem: Problem, v: int, w: int) -> tuple[str, str] | None:
        """(rule, why) for the first rule that keeps worker w off visit v whatever the rota, in
        words that follow the worker's name. A rule that forbids the pair outright (``allows``)
        speaks before one that only narrows its time; a rule that prunes the pair without words
        of its own is named ("is kept off it by <rule>")."""
        window = self.start_range(problem, v)
        active = list(self.active())
        outright = [rule for rule in active if not rule.allows(problem, v, w)]
        for rule in [*outright, *(r for r in active if r not in outright)]:
            why = rule.keeps_off(problem, v, w, window)
            if why is not None:
                return rule.name, why
        return None

    def week_cap(self, problem: Problem, w: int) -> float | None:
        """Most minutes worker w may work in the week under every rule (None: no ceiling)."""
        caps = [c for c in (rule.week_cap(problem, w) for rule in self.active()) if c is not None]
        return min(caps) if caps else None

    def role_assigner(self) -> RoleAssigner | None:
        """The active rule that gives out the team roles, if any."""
        for rule in self.active():
            if isinstance(rule, RoleAssigner):
                return rule
        return None

    def role_pairs(self, problem: Problem) -> list[tuple[int, int]]:
        """The (role, worker) pairs that may hold a role this week (none without a role rule)."""
        assigner = self.role_assigner()
        return assigner.eligible_pairs(problem) if assigner is not None else []

    def annotate(self, rota: Rota, solution: Solution) -> Solution:
        """The solution with what each rule adds to a finished rota (breaks, check-ins)."""
        for rule in self.active():
            solution = rule.annotate(rota, solution)
        return solution

    def worker_figures(self, rota: Rota, w: int) -> dict[str, Any]:
        """Every rule's figures of worker w's week (for the reports)."""
        out: dict[str, Any] = {}
        for rule in self.active():
            out.update(rule.worker_figures(rota, w))
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rules": {name: p.model_dump(mode="json") for name, p in self.params.items()}}
        if self.resolution != 1:
            out["resolution"] = self.resolution
        return out


def default_rules() -> RuleSet:
    """Every rule with its defaults (what ``constraints/default.yaml`` writes out)."""
    return rules_from_dict({})


def rules_from_dict(raw: Any, file: str | None = None, overrides: Sequence[str] = ()) -> RuleSet:
    """Validate a rule-set mapping (``{"rules": {name: {param: value}}}``), then apply overrides."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError("a rule set is a mapping with a 'rules' key", file=file)
    unknown_top = set(raw) - {"rules", "description", "resolution"}
    if unknown_top:
        raise InputError(
            f"unknown key {sorted(unknown_top)[0]!r}; valid keys: description, resolution, rules", file=file
        )
    resolution = raw.get("resolution", 1)
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 1 <= resolution <= MAX_RESOLUTION:
        raise InputError(
            f"ticks per minute: a whole number from 1 to {MAX_RESOLUTION}, not {resolution!r}",
            file=file,
            field="resolution",
        )
    rules_raw = raw.get("rules") or {}
    if not isinstance(rules_raw, Mapping):
        raise InputError("'rules' must map rule names to their parameters", file=file, obj="rules")
    merged: dict[str, dict[str, Any]] = {}
    for name, body in rules_raw.items():
        _known_rule(name, file)
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise InputError("parameters must be a mapping", file=file, obj=f"rules.{name}")
        merged[name] = dict(body)
    from_cli: set[tuple[str, str]] = set()
    for item in overrides:
        name, param, value = _parse_override(item)
        _known_rule(name, "--set")
        merged.setdefault(name, {})[param] = value
        from_cli.add((name, param))
    params: dict[str, RuleParams] = {}
    for name, cls in REGISTRY.items():
        body = merged.get(name, {})
        try:
            params[name] = cls.Params.model_validate(body)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = ".".join(str(k) for k in err["loc"])
            if err["type"] == "extra_forbidden":
                valid = ", ".join(cls.Params.model_fields)
                message = f"unknown parameter; valid parameters of {name}: {valid}"
            else:
                message = err["msg"]
            source = "--set" if (name, str(err["loc"][0]) if err["loc"] else "") in from_cli else file
            raise InputError(message, file=source, obj=f"rules.{name}", field=field) from None
        for param in weight_params(cls.Params):
            value = getattr(params[name], param)
            if isinstance(value, int | float) and value > MAX_WEIGHT:
                raise InputError(
                    f"at most {MAX_WEIGHT} (larger weights overflow the solver's 64-bit objective), not {value}",
                    file="--set" if (name, param) in from_cli else file,
                    obj=f"rules.{name}",
                    field=param,
                )
    rule_set = RuleSet(params, source=file, resolution=resolution)
    for rule in rule_set.active():
        why = rule.resolution_problem(resolution)
        if why is not None:
            raise InputError(f"{why} (resolution is {resolution})", file=file, obj=f"rules.{rule.name}")
    return rule_set


def weight_params(params: type[RuleParams]) -> list[str]:
    """The weights and rewards among a rule's parameters (each at most :data:`MAX_WEIGHT`)."""
    return [name for name in params.model_fields if _WEIGHT_NAME.search(name)]


def load_rules(path: str | Path | None = None, overrides: Sequence[str] = ()) -> RuleSet:
    """Load a rule-set YAML file (defaults when ``path`` is None) and apply ``rule.param=value``."""
    if path is None:
        return rules_from_dict({}, overrides=overrides)
    text = read_text(path, "; save the file as UTF-8")
    return rules_from_dict(read_yaml(text, str(path)), file=str(path), overrides=overrides)


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *defaults': keys given beside a merge override it, as YAML intends
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the safe loader's own error names it
            line = key_node.start_mark.line + 1
            if first is not None:
                raise InputError(f"key {key!r} given twice (lines {first} and {line}); the later would win silently")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str, file: str | None) -> Any:
    """Parse YAML text with :class:`StrictLoader`; any failure is one line naming the file."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: builds plain data only
    except InputError as exc:
        raise InputError(exc.message, file=file) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}".replace("\n", " "), file=file) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", file=file) from None


def _known_rule(name: Any, file: str | None) -> None:
    if name not in REGISTRY:
        valid = ", ".join(REGISTRY)
        raise InputError(f"unknown rule {name!r}; valid rules: {valid}", file=file, obj="rules")


def _parse_override(item: str) -> tuple[str, str, Any]:
    target, sep, value = item.partition("=")
    name, dot, param = target.strip().partition(".")
    if not sep or not dot or not name or not param:
        raise InputError(f"expected rule.param=value, got {item!r}", file="--set")
    if re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        return name, param, value.strip()  # a clock time; YAML 1.1 would read 11:00 as 660
    try:
        parsed = yaml.load(value, Loader=StrictLoader) if value.strip() else None
    except (yaml.YAMLError, InputError, RecursionError):
        parsed = value
    return name, param, parsed
