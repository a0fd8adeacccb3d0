"""The house keeps its promises: a rule is one module, and nothing outside ``rules/`` names one.

Every other module asks every rule the same question through the hooks of ``rules/base.py``
(frame, prices, reasons, annotations, roles); the import contracts in ``pyproject.toml``
(``lint-imports``) keep the layers. These tests read the source, so a new rule is covered the
moment it registers.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from selforg_scheduler.rules.base import REGISTRY
from selforg_scheduler.rules.config import default_rules  # noqa: F401  (imports every rule module)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "selforg_scheduler"
RULES = PACKAGE / "rules"
MAX_LINES = 500


def _outside_rules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if RULES not in p.parents)


def _rule_modules() -> set[str]:
    return {cls.__module__ for cls in REGISTRY.values()}


def _names_a_rule(node: ast.AST, names: set[str]) -> str | None:
    """What in ``node`` names a rule: ``x.is_on("travel")``, ``rules["travel"]``,
    ``rule.name == "travel"`` / ``in (...)``, or a collection literal of two or more rule names."""

    def literal(n: ast.AST) -> str | None:
        return n.value if isinstance(n, ast.Constant) and n.value in names else None

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "is_on":
        for arg in node.args:
            if literal(arg):
                return f"is_on({literal(arg)!r})"
    if isinstance(node, ast.Subscript):
        target = node.value
        tail = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if "rule" in tail.lower() and literal(node.slice):
            return f"{tail}[{literal(node.slice)!r}]"
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        if any(isinstance(s, ast.Attribute) and s.attr == "name" for s in sides):
            for s in sides:
                found = [literal(e) for e in getattr(s, "elts", [s]) if literal(e)]
                if found:
                    return f".name compared with {found[0]!r}"
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):  # all rule names: a list of rules, not of fields
        strings = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(strings) >= 2 and all(s in names for s in strings):
            return f"a collection of rule names {sorted(strings)}"
    if isinstance(node, ast.Dict):  # a table keyed by rule (labels), not a contract object
        found = [
            literal(k)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None and literal(k) and isinstance(v, ast.Constant)
        ]
        if len(found) >= 2:
            return f"a table keyed by rule names {sorted(found)}"
    return None


def test_no_module_outside_rules_names_a_rule() -> None:
    names = set(REGISTRY)
    modules = _rule_modules()
    problems = []
    for path in _outside_rules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            why = _names_a_rule(node, names)
            if why:
                problems.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {why}")
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {node.module}")
            if isinstance(node, ast.Import):
                problems += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: imports {a.name}" for a in node.names if a.name in modules
                ]
    assert not problems, "modules outside rules/ name a rule:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        'rules.is_on("travel")',
        'rules["continuity"].params',
        'self.rules["time_windows"]',
        'rule.name in ("availability", "skills")',
        'rule.name == "roles"',
        'PROXY = frozenset({"coverage", "travel"})',
        'LABELS = {"flexible_working": "x", "lone_working": "y"}',
    ],
)
def test_the_guard_sees_each_way_of_naming_a_rule(source: str) -> None:
    tree = ast.parse(source)
    assert any(_names_a_rule(node, set(REGISTRY)) for node in ast.walk(tree))


@pytest.mark.parametrize(
    "source",
    [
        '{"travel": {"method": "matrix"}, "skills": ["s1"], "roles": []}',
        'Block("travel", name)',
        "rules.travel_on",
        'obj="roles"',
    ],
)
def test_the_guard_lets_contract_field_names_be(source: str) -> None:
    """The contract has fields called travel, skills, roles...: naming a field is not naming a rule."""
    tree = ast.parse(source)
    assert not any(_names_a_rule(node, set(REGISTRY)) for node in ast.walk(tree))


def test_the_import_contract_forbids_every_rule_module_outside_rules() -> None:
    """``lint-imports`` enforces it; this keeps its list of rule modules complete."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (forbidden,) = [c for c in contracts if c["type"] == "forbidden"]
    assert set(forbidden["forbidden_modules"]) == _rule_modules()


def test_no_source_file_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these (over {MAX_LINES} lines): {long}"
