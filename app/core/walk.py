"""List the files under the roots that Gemseek should look at.

Directory symlinks are not followed (no loops, no file seen twice); a file
symlink is indexed under its own path if it leads somewhere. Hidden, VCS and
build folders and the user's exclude globs are left out (the watcher uses the
same rule). Problems are reported, never raised: a broken link, a loop or an
unreadable folder becomes a :class:`Problem` the indexer records.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.extract import is_supported, unsupported_reason
from app.core.ignore import ignore_rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str


def walk(root: Path, excludes: Sequence[str] = (), *, use_ocr: bool = False) -> Iterator[Found | Problem]:
    """Every file under ``root`` (or ``root`` itself if it is a file): found, or a problem with its reason
    (images count as found only with ``use_ocr``)."""
    if root.is_file():
        yield _look(root)
        return
    rules = ignore_rules(excludes)
    stack = [(root, "")]  # (folder, its path relative to the root, "/"-separated)
    while stack:
        folder, relative = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError:
            continue  # removed while we walked
        except OSError as exc:
            yield Problem(folder, f"cannot read folder: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            inner = f"{relative}/{entry.name}" if relative else entry.name
            if rules.ignores_entry(entry.name, inner):  # the folders above were judged on the way down
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append((folder / entry.name, inner))
                    continue
            except OSError:
                continue
            path = folder / entry.name  # a third of the cost of parsing the whole path again
            if is_supported(entry.name, use_ocr=use_ocr):  # the name alone decides
                yield _look(path, entry.path)
            else:  # listed with its reason, so that no file is left out without a word
                yield Problem(path, unsupported_reason(entry.name))
        stack.extend(reversed(subdirs))


def _look(path: Path, as_str: str | None = None) -> Found | Problem:
    """``path`` found, or the problem with it; ``as_str`` is the same path as a string, when one is at hand."""
    try:
        st = os.stat(as_str or path)
    except FileNotFoundError:
        if path.is_symlink():
            return Problem(path, "broken symbolic link")
        return Problem(path, "file disappeared before it could be read")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Problem(path, "symbolic link loop")
        return Problem(path, f"cannot read file information: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return Problem(path, "not a regular file")
    return Found(path, st.st_size, st.st_mtime_ns)


def stat_file(path: Path) -> Found | Problem | None:
    """Look at one path again (after a change event); None if it no longer exists."""
    if not path.exists() and not path.is_symlink():
        return None
    return _look(path)
