"""Give the disk back the space of what the catalog no longer holds (a folder taken out, files deleted).

SQLite keeps what it frees for later use, so without this a catalog never
shrinks. Three kinds of space are left behind by removed passages:

- whole free pages: new catalogs are made with ``auto_vacuum = INCREMENTAL``,
  and ``PRAGMA incremental_vacuum`` hands them back at little cost;
- room inside pages that still hold other rows: a folder's passages lie
  among everyone else's (files are indexed newest first, not folder by
  folder), so removing it mostly thins pages out rather than freeing them;
- the full-text index's deletion markers: FTS5 records a deletion beside the
  old entries and only drops both when it merges its segments.

The last two only go with a compaction: FTS5's ``optimize`` and a ``VACUUM``,
which rewrite the index and the file (minutes at a million passages, and room
for a second copy). That runs once the passages removed since the last one
reach a quarter of those left, so its cost stays in proportion to what was
removed. A catalog made before ``auto_vacuum`` can only switch with a
``VACUUM`` too: the first time a sync leaves enough free pages, which for an
older catalog is its first sync after the full-text index stopped keeping a
copy of the text (schema 3).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL
MIN_FREE_BYTES = 4 * 1024 * 1024  # fewer free pages are not worth a pass: new passages reuse them anyway
MIN_FREE_SHARE = 0.10  # ...nor fewer than this share of the file
MIN_REMOVED = 500  # passages removed before a compaction is considered...
COMPACT_SHARE = 0.25  # ...and their share of the passages left


def free_bytes(db: sqlite3.Connection) -> tuple[int, int]:
    """(bytes in free pages, bytes of the whole file) of the main database."""
    page = db.execute("PRAGMA page_size").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    total = db.execute("PRAGMA page_count").fetchone()[0]
    return free * page, total * page


def reclaim(db: sqlite3.Connection, path: Path, min_free: int = MIN_FREE_BYTES,
            min_removed: int = MIN_REMOVED) -> int:
    """Hand back free space when there is enough of it; returns the bytes given back (0 if nothing was done).

    Call with no transaction open. A failure (a full disk, a busy database)
    is logged and leaves the catalog as it was: new passages reuse the space.
    """
    started = time.monotonic()
    before = free_bytes(db)[1]
    try:
        if _removed_a_lot(db, min_removed):
            how = _compact(db, path)
        else:
            free, total = free_bytes(db)
            if free < max(min_free, MIN_FREE_SHARE * total):
                return 0
            if db.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL:
                db.executescript("PRAGMA incremental_vacuum")  # execute() would free one page: it steps once
                how = "free pages handed back"
            else:
                how = _compact(db, path)
        if not how:
            return 0
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # the log held a copy of every page moved
    except sqlite3.OperationalError as exc:
        log.warning("could not give back the free space in %s: %s", path.name, exc)
        return 0
    given = before - free_bytes(db)[1]
    log.info("gave back %d MB of %s in %.1f s (%s)", given >> 20, path.name, time.monotonic() - started, how)
    return given


def _removed_a_lot(db: sqlite3.Connection, min_removed: int) -> bool:
    row = db.execute("SELECT value FROM state WHERE key = 'removed_since_compaction'").fetchone()
    removed = row[0] if row else 0
    if removed < min_removed:
        return False  # (the count of what is left costs a scan of the passages: only asked now)
    return removed >= COMPACT_SHARE * db.execute("SELECT count(*) FROM chunks").fetchone()[0]


def _compact(db: sqlite3.Connection, path: Path) -> str:
    """Merge the full-text index and rewrite the file (switching it to incremental vacuum); "" if no room."""
    size = free_bytes(db)[1]
    if not _room_for_copy(path, size):
        return ""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")  # drops deleted entries for good
        db.execute("UPDATE state SET value = 0 WHERE key = 'removed_since_compaction'")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")  # takes effect through the VACUUM
    db.execute("VACUUM")
    return "compacted: full-text index merged, file rewritten"


def _room_for_copy(path: Path, size: int) -> bool:
    """A VACUUM writes a second copy (a temporary file, then the write-ahead log): room for two is needed."""
    try:
        room = shutil.disk_usage(path.parent).free
    except OSError:
        return False
    if room > 2 * size:
        return True
    log.warning("not compacting %s: it needs %d MB free for a while, the disk has %d MB", path.name,
                (2 * size) >> 20, room >> 20)
    return False
