"""Change batches: what the watcher hands the indexer, and how changes pile up into one.

Kept apart from the watchdog plumbing because it is plain data and pure logic:
the coalescing rules can be read, and tested, without any thread or file system.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChangeBatch:
    """Changes seen under the roots since the previous batch.

    Attributes:
        paths: files created, modified, deleted or moved (both ends of a move);
            the indexer re-stats each to learn which it was.
        rescan: folders to walk again: a root that reappeared or is polled, a
            folder created, deleted or moved, or a root whose burst of changes
            was too big to list file by file. No path in ``paths`` lies inside
            one of them, and none of them lies inside another.
    """

    paths: frozenset[Path]
    rescan: frozenset[Path]


class PendingChanges:
    """Changes gathered for the next batch, folded into rescans when they grow too many.

    Each path is recorded with the root it belongs to, so that a burst too big
    to list (a ``git checkout`` touching 10,000 files) becomes one rescan of the
    root it happened in rather than 10,000 re-stats. Not thread-safe: the
    watcher's own thread owns one, and the hand-over slot is used under a lock.
    """

    def __init__(self, max_paths: int) -> None:
        self._max_paths = max_paths
        self._paths: dict[Path, Path] = {}  # file -> its root
        self._rescan: dict[Path, Path] = {}  # folder -> its root

    def __bool__(self) -> bool:
        return bool(self._paths or self._rescan)

    def add_path(self, path: Path, root: Path) -> None:
        """Record a changed file, unless a pending rescan already covers it."""
        if not self._covered(path):
            self._paths[path] = root
            self._fold_if_too_many()

    def add_rescan(self, folder: Path, root: Path) -> None:
        """Record a folder to walk again.

        Paths and folders inside it are pruned when the batch is taken rather
        than now: a burst creating thousands of folders would otherwise cost a
        scan of everything pending for each one.
        """
        if not self._covered(folder):
            self._rescan[folder] = root
            self._fold_if_too_many()

    def absorb(self, other: PendingChanges) -> None:
        """Add everything ``other`` holds (a batch the consumer has not taken yet)."""
        for folder, root in other._rescan.items():
            self.add_rescan(folder, root)
        for path, root in other._paths.items():
            self.add_path(path, root)

    def take(self) -> ChangeBatch:
        """Return the pending changes as a batch and start empty again."""
        rescan = frozenset(f for f in self._rescan if not self._covered(f, strictly=True))
        paths = frozenset(p for p in self._paths if not self._covered(p))
        self._paths, self._rescan = {}, {}
        return ChangeBatch(paths=paths, rescan=rescan)

    def _covered(self, path: Path, *, strictly: bool = False) -> bool:
        if not self._rescan:
            return False
        if not strictly and path in self._rescan:
            return True
        return any(parent in self._rescan for parent in path.parents)

    def _fold_if_too_many(self) -> None:
        """Replace the busiest roots' entries by a rescan of the root until few enough remain."""
        if len(self._paths) + len(self._rescan) <= self._max_paths:
            return
        load = Counter(self._paths.values())
        load.update(self._rescan.values())
        for root, _count in load.most_common():
            self._paths = {p: r for p, r in self._paths.items() if r != root}
            self._rescan = {f: r for f, r in self._rescan.items() if r != root}
            self._rescan[root] = root
            if len(self._paths) + len(self._rescan) <= self._max_paths:
                return
