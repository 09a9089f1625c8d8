"""Files the archive writes for the user — exports, failure reports, backups: never over the archive
itself or an input, and never half-written.

``khabar export --db a.db -o a.db`` once truncated the archive to 0 bytes; ``--report INPUT`` once
overwrote an input. :func:`refuse_clobber` refuses such a path before anything is opened, and
:func:`atomic_output` writes to a temporary file beside the target and renames it over the target
only when everything was written: a full disk, an error or a kill leaves the old file as it was.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_output(folder / "out.jsonl") as fh:
...     _ = fh.write("{}\\n")
>>> sorted(p.name for p in folder.iterdir())
['out.jsonl']
>>> refuse_clobber(folder / "a.db-wal", protected=[folder / "a.db", folder / "a.db-wal"])
Traceback (most recent call last):
khabar.errors.InvalidInput: ... is the archive's own file: writing there would destroy the archive (choose another path)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from khabar.errors import InvalidInput, KhabarError

__all__ = ["atomic_output", "refuse_clobber"]


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)  # hard links and symlinks too
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def refuse_clobber(output: str | os.PathLike[str], *, protected: Iterable[str | os.PathLike[str]] = (),
                   inputs: Iterable[str] = ()) -> None:
    """Raise :class:`InvalidInput` when ``output`` is one of the archive's files (``protected``: the
    database and its ``-wal``/``-shm``/``-journal``) or an input (a source file, or a path inside a
    source folder, which the next run would read as an article)."""
    target = Path(output)
    shown = os.fspath(output)
    for path in protected:
        if _same(target, Path(path)):
            raise InvalidInput(f"{shown}: is the archive's own file: writing there would destroy the archive "
                               "(choose another path)")
    for source in inputs:
        if not source or source == "-" or "://" in source:
            continue
        src = Path(source)
        if _same(target, src):
            raise InvalidInput(f"{shown}: is an input of this run: writing there would overwrite it "
                               "(choose another path)")
        if src.is_dir() and _inside(target, src):
            raise InvalidInput(f"{shown}: is inside the input folder {source}: the next run would read it as an "
                               "article (choose a path outside it)")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path`` (one rename),
    on any error it is removed and ``path`` is untouched. A path that is not a regular file (a
    device such as /dev/null, a FIFO) is written directly."""
    target = Path(path)
    if target.exists() and not target.is_file():
        with open(target, mode, **kwargs) as fh:
            yield fh
        return
    folder = target.parent
    if not folder.is_dir():
        raise KhabarError(f"{os.fspath(path)}: cannot write (folder {folder} does not exist; create it first)")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as err:
        raise KhabarError(f"{os.fspath(path)}: cannot write ({err.strerror or err})") from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; an export is an ordinary file
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise KhabarError(f"{os.fspath(path)}: cannot write ({err.strerror or err}); nothing was written "
                              "there") from None
        raise
