"""Errors that name the file, the object id and the field, so a user can fix their input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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
