"""Errors that name the file, the object id and the field, so a user can fix their input."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

MAX_JSON_DEPTH = 32
"""Nesting no contract file comes near (a flexible-working entry's weekday is 6 levels down)."""
DISCRIMINATORS = ("method", "kind")
"""The tag fields of the contract's unions (travel, flexible working)."""


class InputError(Exception):
    """Bad input: a file that cannot be read, or data that breaks the contract.

    ``str(error)`` is one line: ``FILE: OBJECT.FIELD: message``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        obj: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.obj = obj
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ".".join(part for part in (self.obj, self.field) if part)
        parts = [p for p in (self.file, where) if p]
        return ": ".join([*parts, self.message])


def describe_location(raw: Any, loc: Sequence[int | str]) -> tuple[str | None, str | None]:
    """Turn a pydantic error location into (object, field), naming objects by their ``id``.

    ``("visits", 12, "duration_min")`` on data whose 13th visit has id ``v0013`` becomes
    ``("visits[v0013]", "duration_min")``.
    """
    obj_parts: list[str] = []
    node: Any = raw
    last_named = 0
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, Sequence) and not isinstance(node, str):
            item = node[key] if 0 <= key < len(node) else None
            label = str(key)
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                label = item["id"]
            elif isinstance(item, Mapping) and isinstance(item.get("visit"), str):
                label = item["visit"]
            if obj_parts:
                obj_parts[-1] = f"{obj_parts[-1]}[{label}]"
            else:
                obj_parts.append(f"[{label}]")
            last_named = i + 1
            node = item
        else:
            obj_parts.append(str(key))
            node = node.get(key) if isinstance(node, Mapping) else None
    if not obj_parts:
        return None, None
    # The field is whatever follows the last list element; the object is everything up to it.
    n_obj = sum(1 for k in loc[:last_named] if not isinstance(k, int))
    obj = ".".join(obj_parts[:n_obj]) or None
    field = ".".join(obj_parts[n_obj:]) or None
    if obj is None and field is not None and "." in field:
        head, _, tail = field.partition(".")
        obj, field = head, tail
    return obj, field


def check_json(raw: Any, file: str | None) -> None:
    """Refuse what Python's json reads but the contract has no use for: NaN, Infinity (also a
    number too large for a float, which reads as Infinity) and nesting deeper than
    :data:`MAX_JSON_DEPTH`. The first one in document order is named by object and field."""
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(raw, ())]
    while stack:
        node, loc = stack.pop()
        if len(loc) > MAX_JSON_DEPTH:
            raise InputError(f"not valid JSON: nested too deeply (more than {MAX_JSON_DEPTH} levels)", file=file)
        bad = _not_finite(node)
        if bad is not None:
            obj, field = describe_location(raw, loc)
            raise InputError(f"{bad} is not a finite number", file=file, obj=obj, field=field)
        if isinstance(node, Mapping):
            stack.extend((value, (*loc, str(key))) for key, value in reversed(list(node.items())))
        elif isinstance(node, Sequence) and not isinstance(node, str | bytes):
            stack.extend((value, (*loc, i)) for i, value in reversed(list(enumerate(node))))


def _not_finite(value: Any) -> str | None:
    """How a non-finite number reads in JSON (NaN, Infinity, -Infinity); None for anything else."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e308:
        return "a number this large"
    return None


def validation_error(exc: ValidationError, raw: Any, file: str | None) -> InputError:
    """The first pydantic error as one line naming object id and field, plus a count of others.

    A misspelt key shows up twice in pydantic (an unknown key and a missing one); the unknown key
    is what the user typed, so it is reported, with the missing name as the suggestion.
    """
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = without_tags(raw, first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        parent = tuple(loc[:-1])
        missing = [
            str(e["loc"][-1])
            for e in errors
            if e["type"] == "missing" and tuple(without_tags(raw, e["loc"])[:-1]) == parent
        ]
        close = difflib.get_close_matches(str(loc[-1]), missing, n=1)
        message = "unknown field (not in the contract)" + (
            f"; did you mean {close[0]!r}?" if close else "; check the spelling"
        )
    elif first["type"] == "union_tag_not_found":  # the union's tag (method, kind) is missing
        loc = [*loc, str(first.get("ctx", {}).get("discriminator", "")).strip("'") or "kind"]
        message = "Field required"
    elif first["type"].endswith("_type") and "input" in first:
        message += f", not {_json_type(first['input'])}"  # types are not converted: say what it was
    if not loc and first["type"] == "model_type":
        message = f"should be a JSON object {{...}}, not {_json_type(first.get('input'))}"
    obj, field = describe_location(raw, loc)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return InputError(message, file=file, obj=obj, field=field)


def without_tags(raw: Any, loc: Sequence[int | str]) -> list[int | str]:
    """A pydantic location without the tags discriminated unions put into it (``haversine``,
    ``day_off``, ...): a key is a tag where the object it is read in has it as its ``method`` or
    ``kind``; once per object, so a field of the same name (``earliest_start``) stays a field."""
    out: list[int | str] = []
    node: Any = raw
    tagged = False
    for key in loc:
        if isinstance(node, Mapping) and not tagged and any(node.get(d) == key for d in DISCRIMINATORS):
            tagged = True
            continue
        out.append(key)
        tagged = False
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(key, int) and isinstance(node, Sequence) and not isinstance(node, str) and 0 <= key < len(node):
            node = node[key]
        else:
            node = None
    return out


def _json_type(value: Any) -> str:
    """A JSON value as an error message shows it: ``the string "30"``, ``true``, ``a list``."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__
