"""Which paths under a root Gemseek never indexes nor watches.

The watcher and the indexer's folder walk share these rules, so a file the walk
skips never comes back through a change event, and the reverse.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Sequence
from pathlib import PurePath

# Folders that hold tools' state, dependencies or build output rather than a
# person's documents. Hidden names (a leading dot) are skipped anyway; the
# dotted entries are listed so the list reads as documentation.
DEFAULT_IGNORED_NAMES: frozenset[str] = frozenset(
    {
        # version control
        ".git", ".hg", ".svn", ".bzr", "_darcs", "CVS",
        # dependencies and environments
        "node_modules", "bower_components", ".venv", "venv", "site-packages", ".eggs",
        # caches
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
        ".cache", ".gradle",
        # build output
        "build", "dist", "target", "_build",
        # the operating system's own
        ".Trash", ".Trashes", "$RECYCLE.BIN", "System Volume Information", "lost+found",
        "Thumbs.db", "desktop.ini",
    }
)  # fmt: skip

# Names of editors' and downloaders' scratch files: backups (foo~), Office lock
# files (~$foo.docx), Emacs autosaves (#foo#), Vim swap files, partial downloads.
DEFAULT_IGNORED_GLOBS: tuple[str, ...] = (
    "*~", "~$*", "#*#", "*.swp", "*.swo", "*.swx", "*.tmp", "*.temp",
    "*.part", "*.crdownload", "*.egg-info",
)  # fmt: skip


def is_ignored(path: PurePath, root: PurePath, excludes: Sequence[str]) -> bool:
    """Tell whether ``path`` (inside ``root``) is to be left alone.

    Every folder and file name from the root down is checked, so a file inside
    an ignored folder is ignored too. A name is ignored when it is hidden (starts
    with a dot), is one of :data:`DEFAULT_IGNORED_NAMES`, or matches one of
    :data:`DEFAULT_IGNORED_GLOBS`. The rules look at names only, never at the
    disk, so a plain file called ``build`` is skipped like a folder would be;
    the walk and the watcher can then apply them to paths that are already gone.

    User ``excludes`` are shell globs (``*``, ``?``, ``[...]``; ``*`` also
    crosses ``/``). A glob without ``/`` is matched against every name
    (``*.log``, ``drafts``); a glob with ``/`` is matched against the path
    relative to the root and its parent folders (``archive/2019*``; a leading
    ``/`` is allowed and means the same). Matching is case-insensitive where
    the platform's paths are (Windows).

    Raises:
        ValueError: ``path`` is not inside ``root``.
    """
    parts = PurePath(path).relative_to(root).parts
    return ignore_rules(excludes).ignores(parts)


def ignore_rules(excludes: Sequence[str]) -> IgnoreRules:
    """The rules of :func:`is_ignored` for ``excludes``, compiled once (for a walk that judges name by name)."""
    return _rules(tuple(excludes))


class IgnoreRules:
    """The exclude globs of one setting, compiled once."""

    def __init__(self, excludes: tuple[str, ...]) -> None:
        name_globs = list(DEFAULT_IGNORED_GLOBS)
        path_globs = []
        for glob in excludes:
            glob = glob.strip().replace("\\", "/").rstrip("/")
            if not glob:
                continue
            if "/" in glob:
                path_globs.append(glob.lstrip("/"))
            else:
                name_globs.append(glob)
        self._names = _compile(name_globs)
        self._paths = _compile(path_globs)

    def ignores(self, parts: Sequence[str]) -> bool:
        """Whether the path of these names (relative to the root) is ignored, judging every folder on the way."""
        prefix = ""
        for name in parts:
            prefix = f"{prefix}/{name}" if prefix else name
            if self.ignores_entry(name, prefix):
                return True
        return False

    def ignores_entry(self, name: str, relative: str) -> bool:
        """Whether the entry ``name`` (at ``relative``, "/"-separated from the root) is ignored, its folder not.

        A walk that never enters an ignored folder needs only this: judging the
        whole path again for each of 100,000 files was most of a scan's time.
        """
        if name.startswith(".") or name in DEFAULT_IGNORED_NAMES:
            return True
        if self._names and self._names.match(os.path.normcase(name)):
            return True
        return bool(self._paths and self._paths.match(_normcase_posix(relative)))


@functools.lru_cache(maxsize=16)
def _rules(excludes: tuple[str, ...]) -> IgnoreRules:
    return IgnoreRules(excludes)


def _compile(globs: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for many globs: a path event is checked with one match per name."""
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(_normcase_posix(g)) for g in globs))


def _normcase_posix(text: str) -> str:
    # normcase lower-cases on Windows but also turns "/" into "\"; keep "/" so
    # globs and relative paths agree on every platform.
    return os.path.normcase(text).replace("\\", "/")
