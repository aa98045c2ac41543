"""Keep the index in step with the disk: find changes, extract, chunk, embed, store.

:meth:`Indexer.sync` is a generator of :class:`~app.core.progress.Progress`.
Reading, hashing, extraction (in a child process with a time limit) and
chunking run in a background thread that stays ahead of embedding, which runs
in the calling thread; each file is then stored in one transaction, so a crash
or kill at any moment leaves every file either fully indexed or still to do.

Incremental by design: an unchanged file (size and time) is not read; a file
whose bytes did not change is not re-extracted; a moved file keeps its chunks;
a chunk whose text (and title) did not change keeps its vector.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.budget import Budget, OverBudget, Stopped
from app.core.catalog import FileRecord, NewChunk, path_from_key, path_key
from app.core.chunking import chunk_document
from app.core.embedder import Embedder
from app.core.extract import SkipFile
from app.core.extract.pdf import NO_TEXT_LAYER
from app.core.extract.worker import ExtractionWorker
from app.core.progress import CancelToken, Progress, Stage
from app.core.reading import ReadTooSlow, hash_within
from app.core.store import Store
from app.core.walk import Found, Problem, stat_file, walk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexOptions:
    excludes: tuple[str, ...] = ()
    max_file_bytes: int = 50_000_000
    chunk_tokens: int = 256
    overlap_tokens: int = 32
    extract_timeout: float = 30.0
    ocr: bool = False  # read images and scanned PDF pages by OCR (each page has its own time limit)
    read_timeout: float = 60.0  # hashing one file (a hung network drive blocks a read for good)
    chunk_timeout: float = 30.0  # cutting one file into passages (in this process, so checked as it goes)
    max_passages: int = 2000  # per file (~500k tokens, minutes of embedding): a huge log gets its start indexed
    # Keyword search covers every file before any is embedded (reading and cutting is fast, embedding
    # slow); then passages are embedded newest file first, each file's first passages before the rest.
    keywords_first: bool = True
    group_tokens: int = 2048  # embed several small files together, up to this many tokens
    # Passage titles and shapes, each measured on the eval set (bench/RESULTS.md):
    title: str = "both"  # "both" (file name — document title), "document" or "file"
    headings_in_title: bool = True
    outline: bool = True
    min_section_tokens: int = 32


# -- what the preparing thread hands to the storing thread -------------------
@dataclass
class _Prepared:
    found: Found
    content_hash: str
    kind: str
    title: str | None
    chunks: list[NewChunk]
    tokens: int
    note: str | None = None  # why only part of the file is indexed


@dataclass
class _Skip:
    found: Found | Problem
    reason: str


@dataclass
class _Touch:
    found: Found


@dataclass
class _Move:
    old: bytes
    found: Found


# What preparing one file comes to: passages to embed and store, or a record that needs no embedding.
_Unembedded = _Skip | _Touch | _Move
_PreparedFile = _Prepared | _Unembedded


@dataclass
class _Plan:
    """What one sync has to do."""

    todo: list[Found] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    gone: dict[bytes, FileRecord] = field(default_factory=dict)
    known: dict[bytes, FileRecord] = field(default_factory=dict)


_IDLE = object()  # the producer had nothing ready: flush what waits
_MAX_CHARS_PER_TOKEN = 6  # more than any text averages: the clipped start still yields max_passages


def text_hash(title: str, text: str) -> str:
    """The key of a chunk's vector: its prompt fields, hashed."""
    return hashlib.sha256(f"{title}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Indexer:
    """Index files into a :class:`Store` with an :class:`Embedder`.

    The writable store it is given holds the data folder's index lock (see
    :class:`Store`), so a second indexer on the same folder is refused.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        options: IndexOptions = IndexOptions(),
        extractor: Callable[[], ExtractionWorker] | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.options = options
        self._make_extractor = extractor or (
            lambda: ExtractionWorker(timeout=options.extract_timeout, use_ocr=options.ocr))
        if store.readonly:
            raise ValueError("an indexer needs a writable store")

    def close(self) -> None:
        """Nothing of its own to release (the store holds the lock); kept for ``with``."""

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the job -----------------------------------------------------------
    def sync(
        self,
        roots: Sequence[Path],
        *,
        changed: Iterable[Path] = (),
        rescan: Iterable[Path] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Progress]:
        """Bring the index up to date.

        Args:
            roots: every configured root; files outside them are dropped.
            changed: single paths to look at again (from the watcher).
            rescan: folders to walk; None means all ``roots`` (a full sync).
        """
        cancel = cancel or CancelToken()
        full = rescan is None
        started_at = self.store.catalog.generation()
        yield Progress(Stage.SCAN, message="Looking for changes")
        plan = self._plan(roots, list(roots) if full else list(rescan), list(changed), full)
        total = len(plan.todo)
        yield Progress(Stage.INDEX, 0, total, "files", f"{total} files to index")
        yield from self._index(plan, cancel)
        self._forget(plan)
        # A full pass embeds whatever waits; a pass over a few changes only what they brought (cheap at any size),
        # unless the change log no longer reaches back to its start.
        since = self.store.catalog.changes.complete_after()
        yield from self._backfill(cancel, None if full or since is None or since > started_at else started_at)
        if full:
            self.store.forget_other_models()  # before their vectors go: a kill in between must not trust them
            with self.store.write():
                dropped = self.store.catalog.drop_orphan_vectors(self.store.model)
            if dropped:
                log.info("dropped %d vectors no chunk uses", dropped)
        self.store.catalog.reclaim_space()  # a folder taken out gives its space back
        yield Progress(Stage.DONE, total, total, "files", "Index is up to date")

    # -- planning ----------------------------------------------------------
    def _plan(self, roots: Sequence[Path], folders: list[Path], changed: list[Path], full: bool) -> _Plan:
        catalog = self.store.catalog
        plan = _Plan()
        seen: set[bytes] = set()  # walked paths, when single changed paths are to be looked at too
        for folder in folders:
            if not folder.exists():
                # An unmounted drive or a folder being replaced: keep what we know of it
                # rather than drop every file and read them all again when it is back.
                log.warning("folder %s is missing; its files stay in the index until it is back", folder)
                continue
            # What the catalog knows under the folder, read in one go: a query per file walked was half of
            # rescanning 100,000 unchanged files. What the walk does not find is gone.
            known = self._known_under(folder)
            for item in walk(folder, self.options.excludes, use_ocr=self.options.ocr):
                key = path_key(item.path)
                if changed:
                    seen.add(key)
                self._consider(item, known.pop(key, None), plan)
            plan.gone.update(known)
        for path in changed:
            key = path_key(path)
            if key in seen or _outside(path, roots):
                continue
            item = stat_file(path)
            record = catalog.get_file(key)
            if item is None:
                if record:
                    plan.gone[key] = record
            else:
                self._consider(item, record, plan)
        if full:  # files of roots that were removed from the settings
            prefixes = tuple(_folder_key(r) for r in roots)
            for record in catalog.iter_files():
                if record.path.startswith(prefixes):
                    continue  # inside a root, said without making a Path of each of 100,000 records
                if _outside(path_from_key(record.path), roots):
                    plan.gone[record.path] = record
        # What the user touched last is what they look for first: newest files are indexed first.
        plan.todo.sort(key=lambda f: -f.mtime_ns)
        return plan

    def _ocr_changed(self, record: FileRecord) -> bool:
        """Whether turning OCR on or off changes what this file gives, even unchanged: a scan skipped for want of
        a text layer is read once OCR is on, and one read by OCR goes back to its text layer when it is off."""
        if self.options.ocr:
            return record.status == "skipped" and record.reason == NO_TEXT_LAYER
        return record.status == "indexed" and record.kind == "scan"

    def _known_under(self, folder: Path) -> dict[bytes, FileRecord]:
        """The catalog's records of the files under ``folder`` (or of ``folder`` itself, a root that is a file)."""
        catalog = self.store.catalog
        if folder.is_file():
            record = catalog.get_file(path_key(folder))
            return {record.path: record} if record else {}
        return {record.path: record for record in catalog.iter_files(under=_folder_key(folder))}

    def _consider(self, item: Found | Problem, record: FileRecord | None, plan: _Plan) -> None:
        """Put ``item`` in the plan if it is new or changed since ``record`` (the catalog's, if any)."""
        if isinstance(item, Problem):
            if record is None or record.reason != item.reason:
                plan.problems.append(item)
            return
        if record and self._ocr_changed(record):
            record = None  # what it gave no longer holds: read it as a new file
        if record and record.size == item.size and record.mtime_ns == item.mtime_ns:
            return  # unchanged: not even read
        if record:
            plan.known[record.path] = record
        plan.todo.append(item)

    # -- the pipeline ------------------------------------------------------
    def _index(self, plan: _Plan, cancel: CancelToken) -> Iterator[Progress]:
        items: queue.Queue = queue.Queue(maxsize=16)
        stop = threading.Event()
        worker = threading.Thread(
            target=self._prepare_all, args=(plan, items, stop), name="gemseek-prepare", daemon=True
        )
        worker.start()
        done = tokens = 0
        started = time.monotonic()
        total = len(plan.todo)
        group: list[_Prepared] = []
        try:
            while True:
                cancel.check()
                try:  # with files waiting to be embedded, do not sit idle for long
                    item = items.get(timeout=0.05 if group else 0.25)
                except queue.Empty:
                    if not group:
                        continue  # nothing ready yet: look at the cancel token again
                    item = _IDLE
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _Prepared):
                    group.append(item)
                    if sum(p.tokens for p in group) < self.options.group_tokens:
                        continue
                elif item is not None and item is not _IDLE:
                    self._store(item, plan)
                    done += 1
                if group:  # full, the producer paused, or the end: embed and store the group
                    tokens += self._store_group(group)
                    done += len(group)
                    group = []
                self.store.save_if_due(busy=True)
                elapsed = max(time.monotonic() - started, 1e-6)
                message = (f"Reading files for keyword search ({done / elapsed:.1f} files/s)"
                           if self.options.keywords_first else f"Indexing ({tokens / elapsed:.0f} tokens/s)")
                yield Progress(Stage.INDEX, done, total, "files", message)
                if item is None:
                    break
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    items.get_nowait()
                except queue.Empty:
                    worker.join(0.05)

    def _prepare_all(self, plan: _Plan, out: queue.Queue, stop: threading.Event) -> None:
        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        gone_by_hash: dict[str, bytes] = {}
        for key, record in plan.gone.items():
            if record.status == "indexed" and record.content_hash:
                gone_by_hash.setdefault(record.content_hash, key)
        try:
            with self._make_extractor() as extractor:
                for found in plan.todo:
                    if stop.is_set() or not put(self._prepare(found, plan, gone_by_hash, extractor, stop)):
                        return
        except Stopped:
            return
        except BaseException as exc:  # handed to the storing thread, which raises it
            put(exc)
            return
        put(None)

    def _prepare(self, found: Found, plan: _Plan, gone_by_hash: dict[str, bytes], extractor,
                 stop: threading.Event | None = None) -> _PreparedFile:
        if found.size > self.options.max_file_bytes:
            return _Skip(found, f"file is larger than {self.options.max_file_bytes // 1_000_000} MB")
        try:
            content_hash = hash_within(found.path, self.options.read_timeout, stop)
        except FileNotFoundError:
            return _Skip(found, "file disappeared before it could be read")
        except ReadTooSlow:
            log.warning("reading %s took over %.0f s; skipped", found.path, self.options.read_timeout)
            return _Skip(found, f"reading the file took over {self.options.read_timeout:g} s "
                                "(a network drive that stopped answering?)")
        except OSError as exc:
            return _Skip(found, f"cannot read file: {exc.strerror or exc}")
        record = plan.known.get(path_key(found.path))
        if record and record.status == "indexed" and record.content_hash == content_hash:
            return _Touch(found)
        old = gone_by_hash.pop(content_hash, None)
        if old is not None:
            return _Move(old, found)
        try:
            doc = extractor.extract(found.path)
        except SkipFile as exc:
            return _Skip(found, str(exc))
        o = self.options
        name = os.fsencode(found.path.name).decode("utf-8", "replace")  # names need not be UTF-8
        budget = Budget(o.chunk_timeout, stop)
        start = doc.start(o.max_passages * o.chunk_tokens * _MAX_CHARS_PER_TOKEN)  # never cut what is not kept
        try:
            chunks = chunk_document(
                dataclasses.replace(start, title=_title(o.title, name, doc.title)), name,
                budget.guard(self.embedder.token_count), max_tokens=o.chunk_tokens, overlap_tokens=o.overlap_tokens,
                headings_in_title=o.headings_in_title, outline=o.outline, min_section_tokens=o.min_section_tokens,
            )
        except OverBudget:
            log.warning("cutting %s into passages took over %.0f s; skipped", found.path, o.chunk_timeout)
            return _Skip(found, f"took too long to cut into passages (over {o.chunk_timeout:g} s)")
        if not chunks:
            return _Skip(found, "no text to index")
        notes = [doc.note] if doc.note else []  # what extraction left out (a scan's pages past OCR's limit)
        if start is not doc or len(chunks) > o.max_passages:
            chunks = chunks[: o.max_passages]
            share = max(c.char_end for c in chunks) / max(doc.size, 1)
            notes.append(f"only its start is indexed: the first {len(chunks):,} passages, {share:.0%} of its text "
                         f"(at most {o.max_passages:,} passages per file)")
        note = "; ".join(notes) or None
        if note:
            log.info("%s: %s", found.path, note)
        new = [
            NewChunk(i, text_hash(c.title, c.text), c.title, c.text, c.char_start, c.char_end, c.page, c.line, c.tokens)
            for i, c in enumerate(chunks)
        ]
        return _Prepared(found, content_hash, doc.kind, doc.title, new, sum(c.tokens for c in chunks), note)

    def _store(self, item: _Unembedded, plan: _Plan) -> None:
        """Record a file that needs no embedding: skipped, unchanged but touched, or moved."""
        catalog = self.store.catalog
        if isinstance(item, _Skip):
            with self.store.write():
                catalog.record_skip(
                    path_key(item.found.path), size=getattr(item.found, "size", 0),
                    mtime_ns=getattr(item.found, "mtime_ns", 0), reason=item.reason,
                )
            log.info("skipped %s: %s", item.found.path, item.reason)
        elif isinstance(item, _Touch):
            with catalog.write():
                catalog.touch_file(path_key(item.found.path), size=item.found.size, mtime_ns=item.found.mtime_ns)
        elif isinstance(item, _Move):
            new = path_key(item.found.path)
            with self.store.write():
                if catalog.get_file(new):
                    catalog.delete_file(new)
                catalog.move_file(item.old, new, size=item.found.size, mtime_ns=item.found.mtime_ns)
            plan.gone.pop(item.old, None)

    def _store_group(self, group: list[_Prepared]) -> int:
        """Embed what a group of files lacks in one go, then commit them; return the tokens embedded.

        Embedding several small files together fills llama.cpp's batches; the
        group is stored in one transaction, so each file is still all or nothing.
        """
        catalog, model = self.store.catalog, self.store.model
        chunks = [c for item in group for c in item.chunks]
        missing = catalog.missing_vectors((c.text_hash for c in chunks), model)
        todo = list({c.text_hash: c for c in chunks if c.text_hash in missing}.values())
        fresh: dict[str, np.ndarray] = {}
        if todo and not self.options.keywords_first:
            vecs = self.embedder.embed_documents([c.text for c in todo], [c.title for c in todo], full=True)
            fresh = {c.text_hash: v for c, v in zip(todo, vecs)}
        with self.store.write():  # then the vector index takes the chunks whose text has a vector already
            catalog.put_vectors(fresh, model)
            for item in group:
                catalog.store_file(
                    path_key(item.found.path), size=item.found.size, mtime_ns=item.found.mtime_ns,
                    content_hash=item.content_hash, kind=item.kind, title=item.title, chunks=item.chunks,
                    note=item.note,
                )
        return sum(c.tokens for c in todo) if fresh else 0

    def _forget(self, plan: _Plan) -> None:
        """Drop files that are gone, record problems found while walking."""
        catalog = self.store.catalog
        with self.store.write():
            for key in plan.gone:
                catalog.delete_file(key)
            for problem in plan.problems:
                catalog.record_skip(path_key(problem.path), size=0, mtime_ns=0, reason=problem.reason)

    def _backfill(self, cancel: CancelToken, changed_after: int | None = None) -> Iterator[Progress]:
        """Embed the passages that have no vector for the current model: after keyword-first indexing or a
        model change. Newest files first, and every file's first two passages before anyone's third.

        With ``changed_after``, only those of chunks changed after that generation (a pass over a few files).
        """
        catalog, model = self.store.catalog, self.store.model
        pending = catalog.hashes_without_vectors(model, changed_after)
        if not pending:
            return
        total = len(pending)
        started = time.monotonic()
        yield Progress(Stage.EMBED, 0, total, "passages", f"Embedding {total:,} passages")
        for start in range(0, total, 64):
            cancel.check()
            part = catalog.texts_of_hashes(pending[start : start + 64])
            if not part:
                continue
            vecs = self.embedder.embed_documents([p.text for p in part], [p.title for p in part], full=True)
            with self.store.write():
                catalog.put_vectors({p.text_hash: v for p, v in zip(part, vecs)}, model)
            self.store.save_if_due(busy=True)
            done = min(start + 64, total)
            rate = done / max(time.monotonic() - started, 1e-6)
            yield Progress(Stage.EMBED, done, total, "passages", f"Embedding passages ({rate:.1f} passages/s)")


def _title(mode: str, name: str, doc_title: str | None) -> str:
    if mode == "file" or not doc_title:
        return name
    if mode == "both":
        return f"{name} — {doc_title}"
    return doc_title


def _folder_key(folder: Path) -> bytes:
    key, sep = path_key(folder), os.fsencode(os.sep)
    return key if key.endswith(sep) else key + sep


def _outside(path: Path, roots: Sequence[Path]) -> bool:
    return not any(path == r or r in path.parents for r in roots)
