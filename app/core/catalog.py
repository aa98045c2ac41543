"""The catalog: files, chunks, full-text index and stored vectors in SQLite.

SQLite runs in WAL mode, so searches read while the indexer writes. Every
change to a file's chunks happens in one transaction, so after a crash each
file is either fully indexed or not at all. Paths are stored as raw bytes
(``os.fsencode``) because file names need not be valid UTF-8.

Vectors are stored once per chunk content (``text_hash``) and model
fingerprint, as float16 at full size: a moved file or an unchanged chunk is
never embedded twice, and the vector index at any dimension can be rebuilt
from them without the model.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np

from app.core import catalog_space
from app.core.catalog_schema import migrate, register_functions
from app.core.change_log import ChangeLog
from app.core.errors import DiskFullError

log = logging.getLogger(__name__)

IN_BATCH = 500  # values per "IN (?, …)": well under SQLite's host-parameter limit (999 in older builds)


def path_key(path: str | os.PathLike[str]) -> bytes:
    """The catalog's key for a path: its bytes, as the OS sees them."""
    return os.fsencode(os.fspath(path))


def path_from_key(key: bytes) -> Path:
    return Path(os.fsdecode(key))


def display_path(key: bytes) -> str:
    """A printable form of a path whose bytes may not be valid UTF-8."""
    return key.decode("utf-8", "replace")


@dataclass(frozen=True)
class IndexStats:
    """How much is indexed: the catalog's counts, and which files were left out (and why).

    The catalog fills the counts; :meth:`app.core.services.IndexService.stats`
    adds ``skipped``, (path, reason) of each file left out or indexed only in part.
    """

    files: int = 0
    skipped_files: int = 0
    chunks: int = 0
    vectors: int = 0
    last_update: float | None = None  # when a file was last indexed (seconds since the epoch)
    skipped: tuple[tuple[str, str], ...] = ()

    def counts(self) -> dict:
        """The counts by name, without ``skipped`` (``gemseek status --json``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "skipped"}


class HashedText(NamedTuple):
    """A passage's text by its content hash (the key of its vector)."""

    text_hash: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)  # slots: a full sync holds one per file of a root
class FileRecord:
    id: int
    path: bytes
    size: int
    mtime_ns: int
    content_hash: str | None
    status: str  # "indexed" or "skipped"
    reason: str | None
    kind: str | None = None  # the extractor's ("pdf", "scan", "image", ...) for indexed files


@dataclass(frozen=True)
class NewChunk:
    """A chunk about to be stored (see app.core.chunking)."""

    seq: int
    text_hash: str
    title: str
    text: str
    char_start: int
    char_end: int
    page: int | None
    line: int | None
    tokens: int


@dataclass(frozen=True)
class ChunkHit:
    """A stored chunk with what search results show about its file."""

    chunk_id: int
    file_id: int
    path: bytes
    ext: str
    kind: str | None
    mtime_ns: int
    title: str
    text: str
    char_start: int
    char_end: int
    page: int | None
    line: int | None


@dataclass(frozen=True)
class Filters:
    """Restrictions a search applies to files."""

    types: frozenset[str] = frozenset()  # extensions or extractor kinds, lower case
    folders: tuple[bytes, ...] = ()  # path prefixes (with a trailing separator)
    after_ns: int | None = None  # modified at or after
    before_ns: int | None = None  # modified before
    folder_names: tuple[str, ...] = ()  # every one a folder (or folders, "work/2024") on the file's path
    match_all: tuple[str, ...] = ()  # FTS5 expressions some passage of the file must match (each)
    match_none: tuple[str, ...] = ()  # FTS5 expressions no passage of the file may match

    @property
    def active(self) -> bool:
        return bool(self.types or self.folders or self.after_ns is not None or self.before_ns is not None
                    or self.folder_names or self.match_all or self.match_none)


class Catalog:
    """One SQLite connection to the catalog. Use one per thread."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (write()), reads see the latest commit.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        register_functions(self._db)
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA foreign_keys = ON")
        if readonly:
            self._db.execute("PRAGMA query_only = ON")
        else:
            # Only a new file takes this (before WAL mode is set); an older catalog switches at its first
            # compaction (app.core.catalog_space).
            self._db.execute(f"PRAGMA auto_vacuum = {catalog_space.INCREMENTAL}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # Migrations drop only copies of what they keep (a table rebuilt, the old full-text copy of the
            # text): overwriting those gigabytes would protect nothing, so they run without secure_delete
            # (which some builds, Debian's, turn on by default).
            self._db.execute("PRAGMA secure_delete = OFF")
            migrate(self._db)
            # The catalog holds the text of every indexed file: what is deleted (a folder taken out of the
            # index, a file that changed) is overwritten, not left readable in free pages.
            self._db.execute("PRAGMA secure_delete = ON")
        self.changes = ChangeLog(self._db, lambda: self.write(bump=False))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------
    @contextmanager
    def write(self, *, bump: bool = True) -> Iterator[None]:
        """One atomic change; the chunk generation moves on when it commits (unless not ``bump``: no chunk changed).

        Raises:
            DiskFullError: the disk (or a quota, or a file-size limit) is full;
                nothing of the change is kept, the catalog is as before.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                if bump:
                    self._db.execute("UPDATE state SET value = value + 1 WHERE key = 'generation'")
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT has already rolled back
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if _disk_full(exc):
                raise DiskFullError(f"the disk holding {self.path.parent} is full, or a quota or file-size limit "
                                    f"was reached ({exc}); free some space and index again: nothing indexed so "
                                    "far is lost") from exc
            raise

    def reclaim_space(self, min_free: int = catalog_space.MIN_FREE_BYTES,
                      min_removed: int = catalog_space.MIN_REMOVED) -> int:
        """Give the disk back the space of removed passages, when there is enough of it; returns the bytes.

        Call outside :meth:`write`. See :mod:`app.core.catalog_space` for when it compacts.
        """
        return catalog_space.reclaim(self._db, self.path, min_free, min_removed)

    def generation(self) -> int:
        """A number that changes whenever the set of chunks changes."""
        return int(self._scalar("SELECT value FROM state WHERE key = 'generation'"))

    def lineage(self) -> tuple[int, int]:
        """(epoch, highest chunk id ever given): what a vector index saved for this catalog must not exceed.

        The epoch is made once per catalog. Chunk ids only grow, so a vector
        index that knows a higher id, or another epoch, was made for a catalog
        that is not this one any more (restored from a copy, or lost commits).
        """
        epoch = int(self._scalar("SELECT value FROM state WHERE key = 'epoch'") or 0)
        top = self._scalar("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'")
        return epoch, int(top or 0)

    def _scalar(self, sql: str, args: Sequence = ()) -> object:
        row = self._db.execute(sql, args).fetchone()
        return row[0] if row else None

    # -- files -------------------------------------------------------------
    _FILE_COLS = "id, path, size, mtime_ns, content_hash, status, reason, kind"

    def get_file(self, path: bytes) -> FileRecord | None:
        row = self._db.execute(f"SELECT {self._FILE_COLS} FROM files WHERE path = ?", (path,)).fetchone()
        return FileRecord(*row) if row else None

    def iter_files(self, under: bytes | None = None) -> Iterator[FileRecord]:
        """Every file (under a folder prefix, if given), as a snapshot list."""
        if under is None:
            rows = self._db.execute(f"SELECT {self._FILE_COLS} FROM files").fetchall()
        else:  # a range of the path index (the paths that start with ``under``), not a scan of every file
            rows = self._db.execute(
                f"SELECT {self._FILE_COLS} FROM files WHERE path >= ? AND path < ?", _prefix_range(under)
            ).fetchall()
        return (FileRecord(*r) for r in rows)

    def indexed_with_hash(self, content_hash: str) -> list[FileRecord]:
        rows = self._db.execute(
            f"SELECT {self._FILE_COLS} FROM files WHERE content_hash = ? AND status = 'indexed'",
            (content_hash,),
        ).fetchall()
        return [FileRecord(*r) for r in rows]

    def store_file(
        self,
        path: bytes,
        *,
        size: int,
        mtime_ns: int,
        content_hash: str,
        kind: str,
        title: str | None,
        chunks: Sequence[NewChunk],
        note: str | None = None,
    ) -> tuple[list[int], list[int]]:
        """Record ``path`` as indexed with ``chunks``; call inside :meth:`write`.

        ``note`` says why only part of the file is indexed (listed with the skipped files).

        Chunks whose text is unchanged keep their ids (and so their place in
        the vector index). Returns (ids of new chunks, ids of removed chunks).
        """
        file_id = self._upsert_file(path, size, mtime_ns, content_hash, "indexed", note, kind, title)
        old = {
            (h, s, e): cid
            for cid, h, s, e in self._db.execute(
                "SELECT id, text_hash, char_start, char_end FROM chunks WHERE file_id = ?", (file_id,)
            )
        }
        old_by_hash: dict[str, list[int]] = {}
        for (h, _, _), cid in old.items():
            old_by_hash.setdefault(h, []).append(cid)
        added: list[int] = []
        kept: set[int] = set()
        for c in chunks:
            reuse = old_by_hash.get(c.text_hash)
            if reuse:
                cid = reuse.pop()
                kept.add(cid)
                self._db.execute(
                    "UPDATE chunks SET seq=?, char_start=?, char_end=?, page=?, line=? WHERE id=?",
                    (c.seq, c.char_start, c.char_end, c.page, c.line, cid),
                )
                continue
            cur = self._db.execute(
                "INSERT INTO chunks(file_id, seq, text_hash, title, text, char_start, char_end, page, line,"
                " tokens) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (file_id, c.seq, c.text_hash, c.title, c.text, c.char_start, c.char_end, c.page, c.line, c.tokens),
            )
            added.append(int(cur.lastrowid))  # a trigger indexes its words
        removed = [cid for cid in old.values() if cid not in kept]
        self._delete_chunks(removed)
        return added, removed

    def record_skip(self, path: bytes, *, size: int, mtime_ns: int, reason: str) -> list[int]:
        """Record ``path`` as skipped (dropping any chunks it had); call inside :meth:`write`."""
        file_id = self._upsert_file(path, size, mtime_ns, None, "skipped", reason, None, None)
        removed = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))]
        self._delete_chunks(removed)
        return removed

    def delete_file(self, path: bytes) -> list[int]:
        """Forget ``path``; returns the ids of its chunks. Call inside :meth:`write`."""
        row = self._db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        if not row:
            return []
        removed = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE file_id = ?", (row[0],))]
        self._delete_chunks(removed)
        self._db.execute("DELETE FROM files WHERE id = ?", (row[0],))
        return removed

    def move_file(self, old: bytes, new: bytes, *, size: int, mtime_ns: int) -> bool:
        """Give an indexed file a new path, keeping its chunks; call inside :meth:`write`."""
        self.delete_file(new)
        cur = self._db.execute(
            "UPDATE files SET path = ?, display = ?, ext = ?, size = ?, mtime_ns = ?, indexed_at = ? WHERE path = ?",
            (new, display_path(new), _ext(new), size, mtime_ns, time.time(), old),
        )
        return cur.rowcount == 1

    def _upsert_file(
        self,
        path: bytes,
        size: int,
        mtime_ns: int,
        content_hash: str | None,
        status: str,
        reason: str | None,
        kind: str | None,
        title: str | None,
    ) -> int:
        self._db.execute(
            "INSERT INTO files(path, display, ext, size, mtime_ns, content_hash, status, reason, kind, title,"
            " indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, content_hash=excluded.content_hash, status=excluded.status,"
            " reason=excluded.reason, kind=excluded.kind, title=excluded.title, indexed_at=excluded.indexed_at",
            (path, display_path(path), _ext(path), size, mtime_ns, content_hash, status, reason, kind, title,
             time.time()),
        )
        return int(self._scalar("SELECT id FROM files WHERE path = ?", (path,)))

    def touch_file(self, path: bytes, *, size: int, mtime_ns: int) -> None:
        """Update size and time of a file whose content did not change; call inside :meth:`write`."""
        self._db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, path))

    def _delete_chunks(self, ids: Sequence[int]) -> None:
        for cid in ids:
            self._db.execute("DELETE FROM chunks WHERE id = ?", (cid,))  # the trigger drops its FTS row

    # -- vectors -----------------------------------------------------------
    def _in_batches(self, sql: str, values: Iterable, before: Sequence = (), after: Sequence = ()) -> Iterator:
        """The rows of ``sql`` for all ``values``, asked :data:`IN_BATCH` at a time.

        ``{marks}`` in ``sql`` becomes one ``?`` per value of a batch, bound
        after the parameters in ``before`` and before those in ``after``.
        """
        items = list(values)
        for i in range(0, len(items), IN_BATCH):
            part = items[i : i + IN_BATCH]
            yield from self._db.execute(sql.replace("{marks}", ",".join("?" * len(part))), (*before, *part, *after))

    def missing_vectors(self, hashes: Iterable[str], model: str) -> set[str]:
        wanted = set(hashes)
        have = {r[0] for r in self._in_batches(
            "SELECT text_hash FROM vectors WHERE model = ? AND text_hash IN ({marks})", wanted, before=(model,))}
        return wanted - have

    def put_vectors(self, vectors: dict[str, np.ndarray], model: str) -> None:
        """Store full-size vectors (as float16); call inside :meth:`write`."""
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors(text_hash, model, vec) VALUES (?, ?, ?)",
            ((h, model, np.asarray(v, dtype=np.float16).tobytes()) for h, v in vectors.items()),
        )

    def chunk_vectors(self, chunk_ids: Sequence[int], model: str) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 matrix) of the given chunks that have a vector for ``model``."""
        ids: list[int] = []
        rows: list[bytes] = []
        for cid, blob in self._in_batches(
            "SELECT c.id, v.vec FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash AND v.model = ?"
            " WHERE c.id IN ({marks})", chunk_ids, before=(model,)
        ):
            ids.append(cid)
            rows.append(blob)
        return _as_matrix(ids, rows)

    def iter_all_vectors(self, model: str, batch: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every live chunk's (ids, float32 vectors) for ``model``, in batches."""
        last = -1
        while True:
            got = self._db.execute(
                "SELECT c.id, v.vec FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash AND v.model = ?"
                " WHERE c.id > ? ORDER BY c.id LIMIT ?",
                (model, last, batch),
            ).fetchall()
            if not got:
                return
            last = got[-1][0]
            yield _as_matrix([g[0] for g in got], [g[1] for g in got])

    def hashes_without_vectors(self, model: str, changed_after: int | None = None) -> list[str]:
        """Every distinct chunk text lacking a vector for ``model``, in the order to embed them: each file's first
        two passages before any third, newest files first.

        With ``changed_after`` (a generation the change log still covers), only
        among the chunks changed since: the cost follows the change, not the index.
        """
        # The hashes lacking a vector come from the two indexes alone, and only their chunks are read after
        # (CROSS JOIN keeps that order): at 300,000 passages and a few new ones, 0.7 s instead of 7 s, on every
        # sync the watcher starts.
        scope, args = "chunks c", [model]
        if changed_after is not None:
            scope = ("(SELECT DISTINCT chunk_id AS id FROM chunk_changes WHERE generation > ?) x"
                     " JOIN chunks c ON c.id = x.id")
            args.insert(0, changed_after)
        return [r[0] for r in self._db.execute(
            f"WITH missing AS (SELECT DISTINCT c.text_hash FROM {scope} WHERE NOT EXISTS"
            " (SELECT 1 FROM vectors v WHERE v.text_hash = c.text_hash AND v.model = ?))"
            " SELECT c.text_hash FROM missing m CROSS JOIN chunks c ON c.text_hash = m.text_hash"
            " JOIN files f ON f.id = c.file_id GROUP BY c.text_hash"
            " ORDER BY min(c.seq > 1), max(f.mtime_ns) DESC, min(c.seq), min(c.id)", args)]

    def texts_of_hashes(self, hashes: Sequence[str]) -> list[HashedText]:
        """The title and text of each hash that a chunk still has, in the order given."""
        found = {row[0]: HashedText(*row) for row in self._in_batches(
            "SELECT text_hash, min(title), min(text) FROM chunks WHERE text_hash IN ({marks}) GROUP BY text_hash",
            hashes)}
        return [found[h] for h in hashes if h in found]

    def live_chunk_ids(self) -> np.ndarray:
        return np.fromiter((r[0] for r in self._db.execute("SELECT id FROM chunks")), dtype=np.int64)

    def ids_with_vectors(self, model: str) -> np.ndarray:
        """Every chunk that has a vector for ``model``: what a vector index of that model should hold."""
        rows = self._db.execute(
            "SELECT c.id FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash AND v.model = ?", (model,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def drop_orphan_vectors(self, model: str) -> int:
        """Delete vectors no chunk uses, and all of other models; call inside :meth:`write`."""
        # Chosen through the (text_hash, model) index, not a scan of the table: that read every vector's bytes
        # (650 MB at 300,000 passages) on each full sync to find the few, if any, to delete.
        cur = self._db.execute(
            "DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors"
            " WHERE model != ? OR text_hash NOT IN (SELECT text_hash FROM chunks))", (model,)
        )
        return cur.rowcount

    # -- search ------------------------------------------------------------
    def fts_search(self, match: str, limit: int, filters: Filters = Filters(), *,
                   newest: bool = False) -> list[tuple[int, float]]:
        """(chunk id, BM25 score; higher is better) for an FTS5 MATCH expression.

        With ``newest``, the most recently stored matches instead, unscored
        (0.0): FTS5 walks its lists from the highest rowid and stops at
        ``limit``, so the cost does not grow with how common the words are.
        """
        where, args = _filter_sql(filters)
        score = "0.0" if newest else "-bm25(chunks_fts, 1.0, 0.5)"
        order = "f.rowid DESC" if newest else "score DESC"
        if filters.active:
            sql = (
                f"SELECT f.rowid, {score} AS score FROM chunks_fts f"
                " JOIN chunks c ON c.id = f.rowid JOIN files fl ON fl.id = c.file_id"
                f" WHERE chunks_fts MATCH ? {where} ORDER BY {order} LIMIT ?"
            )
        else:  # no join before the limit: FTS5 ranks its own matches much faster alone
            sql = (
                f"SELECT rowid, {score} AS score FROM chunks_fts f"
                f" WHERE chunks_fts MATCH ? ORDER BY {order} LIMIT ?"
            )
        try:
            return [(r[0], float(r[1])) for r in self._db.execute(sql, (match, *args, limit))]
        except sqlite3.OperationalError as exc:
            # A query FTS5 cannot parse is a plain SQLITE_ERROR and finds nothing; a busy, locked, damaged
            # or failing database (SQLITE_BUSY, _CORRUPT, _IOERR, ...) is not "no matches".
            if getattr(exc, "sqlite_errorname", "SQLITE_ERROR") != "SQLITE_ERROR":
                raise
            log.debug("an FTS query failed: %s", exc)  # not the query: the log holds no search text
            return []

    def chunk_hits(self, chunk_ids: Sequence[int], filters: Filters = Filters()) -> dict[int, ChunkHit]:
        """The chunks among ``chunk_ids`` that exist and pass ``filters``."""
        where, args = _filter_sql(filters)
        rows = self._in_batches(
            "SELECT c.id, c.file_id, fl.path, fl.ext, fl.kind, fl.mtime_ns, c.title, c.text, c.char_start,"
            " c.char_end, c.page, c.line FROM chunks c JOIN files fl ON fl.id = c.file_id"
            " WHERE c.id IN ({marks}) " + where, chunk_ids, after=args)
        return {row[0]: ChunkHit(*row) for row in rows}

    def chunk_count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM chunks") or 0)

    def chunk_ids_of_file(self, file_id: int) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE file_id = ? ORDER BY seq", (file_id,))]

    def newest_first_chunks(self, filters: Filters, limit: int) -> list[int]:
        """The first passage of each of the ``limit`` newest files that pass ``filters``."""
        where, args = _filter_sql(filters)
        rows = self._db.execute(
            "SELECT min(c.id) FROM chunks c JOIN files fl ON fl.id = c.file_id"
            f" WHERE 1 {where} GROUP BY fl.id ORDER BY max(fl.mtime_ns) DESC LIMIT ?", (*args, limit)
        )
        return [r[0] for r in rows]

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        """Every chunk id that passes ``filters`` (for filtered vector search)."""
        where, args = _filter_sql(filters)
        rows = self._db.execute(
            f"SELECT c.id FROM chunks c JOIN files fl ON fl.id = c.file_id WHERE 1 {where}", args
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    # -- status ------------------------------------------------------------
    def stats(self) -> IndexStats:
        count = lambda sql: int(self._scalar(sql) or 0)  # noqa: E731
        last = self._scalar("SELECT max(indexed_at) FROM files")
        return IndexStats(
            files=count("SELECT count(*) FROM files WHERE status = 'indexed'"),
            skipped_files=count("SELECT count(*) FROM files WHERE status = 'skipped'"),
            chunks=count("SELECT count(*) FROM chunks"),
            vectors=count("SELECT count(*) FROM vectors"),
            last_update=float(last) if last else None,
        )

    def skipped(self) -> list[tuple[str, str]]:
        """(path, reason) of every file left out of the index, or indexed only in part."""
        return [
            (display_path(p), r)
            for p, r in self._db.execute("SELECT path, reason FROM files WHERE status = 'skipped'"
                                         " OR (status = 'indexed' AND reason IS NOT NULL) ORDER BY path")
        ]


def _prefix_range(prefix: bytes) -> tuple[bytes, bytes]:
    """(low, high): the paths that start with ``prefix`` (a folder's, ending in a separator) are low <= p < high."""
    return prefix, prefix[:-1] + bytes([prefix[-1] + 1])


def _ext(path: bytes) -> str:
    name = os.path.basename(path)
    dot = name.rfind(b".")
    return name[dot + 1 :].decode("utf-8", "replace").lower() if dot > 0 else ""


def _as_matrix(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    mat = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), -1).astype(np.float32)
    return np.asarray(ids, dtype=np.int64), mat


def _filter_sql(f: Filters) -> tuple[str, list]:
    parts: list[str] = []
    args: list = []
    if f.types:
        marks = ",".join("?" * len(f.types))
        parts.append(f"(fl.ext IN ({marks}) OR fl.kind IN ({marks}))")
        args += sorted(f.types) * 2
    if f.folders:
        parts.append("(" + " OR ".join("substr(fl.path, 1, ?) = ?" for _ in f.folders) + ")")
        for prefix in f.folders:
            args += [len(prefix), prefix]
    if f.after_ns is not None:
        parts.append("fl.mtime_ns >= ?")
        args.append(f.after_ns)
    if f.before_ns is not None:
        parts.append("fl.mtime_ns < ?")
        args.append(f.before_ns)
    for name in f.folder_names:
        parts.append("instr(lower(fl.display), lower(?)) > 0")
        args.append(os.sep + name.replace("/", os.sep).replace("\\", os.sep) + os.sep)
    files_matching = ("fl.id {} (SELECT m.file_id FROM chunks_fts JOIN chunks m ON m.id = chunks_fts.rowid"
                      " WHERE chunks_fts MATCH ?)")
    for expr in f.match_all:
        parts.append(files_matching.format("IN"))
        args.append(expr)
    for expr in f.match_none:
        parts.append(files_matching.format("NOT IN"))
        args.append(expr)
    return "".join(f" AND {p}" for p in parts), args


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    """SQLite could not write: a full disk (SQLITE_FULL), or a write refused by a quota or a file-size
    limit, which it reports as a failed write (SQLITE_IOERR_WRITE)."""
    name = getattr(exc, "sqlite_errorname", "")
    return name in ("SQLITE_FULL", "SQLITE_IOERR_WRITE") or "disk is full" in str(exc).lower()
