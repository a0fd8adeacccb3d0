"""The typer app every command registers on, its two consoles, the options and helpers several
commands share, and the wrapper that turns any failure into one line and an exit code.

Bad input exits with code 2 and one line naming the file, the object id and the field; an
unexpected failure exits 3 with one line, and the traceback only with ``-vv``. A path or option
value typer itself refuses (a file it cannot read, ``-t abc``) is one line and exit 2 as well,
not typer's usage box.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar, overload

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from typer.core import TyperGroup

from selforg_scheduler.contract.errors import InputError

if TYPE_CHECKING:
    from selforg_scheduler.contract.instance import Instance
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.rules.config import RuleSet

__all__ = [
    "WORKERS_HELP",
    "RulesOpt",
    "SetOpt",
    "VerboseOpt",
    "app",
    "err",
    "guarded",
    "load_rule_set",
    "log",
    "out",
    "parse_when",
    "setup_logging",
    "write_page",
]

# The solver's modules (and OR-Tools) are imported inside the commands that need them, so that
# pair-buddies and schema start in a fraction of a second.

_PATH_REFUSED = re.compile(r"(?:file|dir|directory|path) '(?P<path>.*)' (?P<what>[a-z ]+)\.")
_PATH_WORDS = {
    "is not readable": "cannot read: permission denied",
    "does not exist": "file not found",
    "is a directory": "is a folder, not a file",
    "is a file": "is a file, not a folder",
    "is not writable": "cannot write: permission denied",
}


class OneLineErrors(TyperGroup):
    """The app's command group: a value typer refuses before the command runs (a path it cannot
    read, a number that is not one) is one line naming the file or option, and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            if any(c.__name__ == "MissingParameter" for c in type(exc).__mro__):  # the usage box helps
                raise
            err.print(f"error: {refused_value(exc)}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


def refused_value(exc: typer.BadParameter) -> str:
    """``FILE: cannot read: permission denied`` for a path; else click's own one line, e.g.
    ``Invalid value for '--time-limit' / '-t': Input should be a valid number ...``."""
    found = _PATH_REFUSED.fullmatch(exc.message.strip())
    if found and found["what"] in _PATH_WORDS:
        return f"{found['path']}: {_PATH_WORDS[found['what']]}"
    return exc.format_message().replace("Value error, ", "")


app = typer.Typer(
    cls=OneLineErrors,
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Weekly rotas for self-organising home-care teams (OR-Tools CP-SAT).",
)
out = Console()
err = Console(stderr=True)
log = logging.getLogger("selforg_scheduler")
P = ParamSpec("P")
R = TypeVar("R")
WORKERS_HELP = "CP-SAT search workers (and cost-search chains); 0 = one per core"

RulesOpt = Annotated[
    Path | None, typer.Option("--rules", "-r", help="constraint YAML file (default: built-in defaults)")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="override a rule parameter: rule.param=value (repeatable)"),
]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v progress, -vv debug")]


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn bad input into exit 2 with one line, and any other failure into one line too."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            err.print(f"error: {exc.one_line()}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except typer.Exit:
            raise
        except ValidationError as exc:  # parameters built from options
            first = exc.errors(include_url=False)[0]
            field = ".".join(str(k) for k in first["loc"])
            err.print(f"error: {field}: {first['msg']}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # the CLI never shows a traceback by default
            if log.isEnabledFor(logging.DEBUG):
                raise
            err.print(
                f"internal error: {type(exc).__name__}: {exc} (run with -vv for the traceback)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(3) from None

    return wrapper


def load_rule_set(path: Path | None, overrides: list[str] | None) -> RuleSet:
    """The rule set of ``--rules`` and ``--set`` (the built-in defaults without ``--rules``)."""
    from selforg_scheduler.rules.config import load_rules

    return load_rules(path, overrides or ())


@overload
def parse_when(text: str, option: str) -> datetime: ...
@overload
def parse_when(text: None, option: str) -> None: ...
@overload
def parse_when(text: str | None, option: str) -> datetime | None: ...


def parse_when(text: str | None, option: str) -> datetime | None:
    """A local date-time option (``--from``, ``--to``, ``--now``); bad text is an input error, and
    so is a UTC offset: the contract's times are local to the team's time zone, without one."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a local date-time (YYYY-MM-DDTHH:MM): {text!r}", field=option) from None
    if when.tzinfo is not None:
        raise InputError(
            f"give a local date-time without a UTC offset (the team's time zone applies), not {text!r}", field=option
        )
    return when


def write_page(inst: Instance, sol: Solution, path: Path) -> Path:
    """Write the rota's HTML page (``render``, and ``solve`` unless ``--no-html``)."""
    from selforg_scheduler.outputs.render import render_html

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(inst, sol), encoding="utf-8")
    return path
