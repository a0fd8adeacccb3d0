"""Files the outputs write: safe names made from data, where a path may be written, and atomic
writes.

* :func:`safe_name` / :func:`unique_names`: a file name made from an id (a worker's, a team's)
  keeps ``[A-Za-z0-9._-]``, every other character becomes ``_``, never starts with a dot and is
  never empty; two ids that come out the same name (or the same but for case) in one folder get
  ``-2``, ``-3``, ... . :func:`inside` joins a folder and such a name and refuses any path
  outside the folder.
* :func:`check_writable`: before a long solve, whether an output path could be written; bad paths
  are an :class:`~selforg_scheduler.contract.errors.InputError` naming the option and the path.
* :func:`atomic_path`, :func:`write_text_atomic`, :func:`write_bytes_atomic`: write a temporary
  file in the target's folder, then ``os.replace`` it onto the target, so a failure or a Ctrl-C
  never leaves a half-written file (an existing file stays as it was).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from selforg_scheduler.contract.errors import InputError

__all__ = [
    "MAX_NAME",
    "atomic_path",
    "check_writable",
    "inside",
    "safe_name",
    "unique_names",
    "write_bytes_atomic",
    "write_text_atomic",
]

MAX_NAME = 100
"""Longest stem of a name made from data (file systems allow 255 bytes; the suffix and a ``-N``
must still fit)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str, fallback: str = "_") -> str:
    """``text`` as a file name stem: characters outside ``[A-Za-z0-9._-]`` become ``_``, leading
    dots are dropped (no hidden files, no ``..``), at most :data:`MAX_NAME` characters; an empty
    result is ``fallback``. ``"../escaped"`` -> ``"_escaped"``, ``"a/b"`` -> ``"a_b"``,
    ``".hidden"`` -> ``"hidden"``."""
    name = _UNSAFE.sub("_", text).lstrip(".")[:MAX_NAME]
    return name or fallback


def unique_names(ids: Iterable[str], suffix: str = "") -> dict[str, str]:
    """Per id (in order), a file name ``safe_name(id) + suffix`` unique in one folder: a name
    already taken (also one differing only in case, for case-insensitive file systems) gets
    ``-2``, ``-3``, ... before the suffix."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for key in ids:
        if key in names:
            continue
        stem = safe_name(key)
        name, k = stem + suffix, 1
        while name.casefold() in taken:
            k += 1
            name = f"{stem}-{k}{suffix}"
        taken.add(name.casefold())
        names[key] = name
    return names


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing any name that would lead outside ``folder`` (a safe name
    never does; this is the last guard)."""
    if name in ("", ".", "..") or Path(name).name != name or "/" in name or (os.altsep or "/") in name:
        raise ValueError(f"file name {name!r} leads outside {folder}")
    path = folder / name
    if path.parent.resolve() != folder.resolve():  # pragma: no cover - a single plain component
        raise ValueError(f"file name {name!r} leads outside {folder}")
    return path


def _nearest_existing(path: Path) -> Path:
    """``path`` itself if it exists, else its nearest existing ancestor."""
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe(folder: Path) -> str | None:
    """Why no file can be created in the existing ``folder`` (None: it can). ``os.access`` alone
    says yes to root everywhere, /proc included: a temporary file is made and removed."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to write in {folder}"
    try:
        fd, probe = tempfile.mkstemp(prefix=".selforg-probe-", dir=folder)
    except OSError as exc:
        return f"cannot create a file in {folder}: {exc.strerror or exc}"
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def check_writable(path: Path, option: str, *, folder: bool = False) -> None:
    """Refuse, before any work, an output path that could not be written: its nearest existing
    ancestor must be a folder a file can be made in, and an existing target must not be a folder
    (``folder=True``: the target is a folder of files, and must be one if it exists).

    The error names the option and the path: ``--out /proc/x/rota.json: cannot write there (...)``.
    """

    def refuse(why: str) -> InputError:
        return InputError(f"cannot write there ({why})", field=f"{option} {path}")

    if path.exists():
        if folder and not path.is_dir():
            raise refuse(f"{path} is a file, not a folder")
        if not folder and path.is_dir():
            raise refuse(f"{path} is a folder")
        target_dir = path if folder else path.absolute().parent
    else:
        target_dir = _nearest_existing(path.absolute().parent)
        if not target_dir.is_dir():
            raise refuse(f"{target_dir} is a file, not a folder")
    why = _probe(target_dir)
    if why is not None:
        raise refuse(why)


def _mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file (0o666 less the umask)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder (same suffix, so writers that read the format from
    it work) to write to; on leaving without an error it replaces ``path`` atomically, on an
    error it is removed and ``path`` is untouched. Missing folders are made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_path`); returns ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes_atomic(path, text.encode("utf-8"))
