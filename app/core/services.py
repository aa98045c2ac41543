"""The core's jobs assembled for a front end: indexing (with watching) and searching.

The command line and the desktop app both build these from paths and
settings; they own the model, the store and the indexer for as long as they
live, and report progress through a callback.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from app.core.catalog import Filters, IndexStats, path_key
from app.core.embedder import Embedder
from app.core.errors import GemseekError
from app.core.file_types import exclude_globs
from app.core.indexer import Indexer, IndexOptions
from app.core.model_setup import load_embedder, model_fingerprint, prepare_model
from app.core.paths import Paths, resources_dir
from app.core.progress import CancelToken, Progress
from app.core.search import Result, Searcher, SearchOptions
from app.core.settings import Settings
from app.core.store import Store, catalog_path
from app.core.vector_pool import VectorPool
from app.core.watcher import ChangeBatch, Watcher

log = logging.getLogger(__name__)
ProgressSink = Callable[[Progress], None]
# A query's standing batch: queries are a few dozen tokens (a longer one gets a context of its own), and
# llama.cpp keeps ~1 MB per token of it: 64 instead of the indexer's 256 is ~190 MB less for searching.
QUERY_BATCH_TOKENS = 64
# A model unused this long is unloaded (~235 MB at BF16), and loaded again (about 1 s) when needed: a desktop app
# waiting in the tray gives the memory back. Showing a search box loads it ahead of the first query.
MODEL_IDLE_S = 300.0


def index_options(settings: Settings, paths: Paths | None = None) -> IndexOptions:
    return IndexOptions(excludes=excludes(settings, paths), max_file_bytes=settings.max_file_mb * 1_000_000,
                        ocr=settings.ocr)


def excludes(settings: Settings, paths: Paths | None = None) -> tuple[str, ...]:
    """What the walk and the watcher leave out: the user's globs, the unticked file types, and Gemseek's own
    folders where they lie inside an indexed folder (else every save of the index would be a change to index)."""
    own: list[str] = []
    if paths is not None:
        for folder in (paths.config, paths.data, paths.cache, paths.logs, paths.models):
            for root in settings.roots:
                try:
                    inside = folder.resolve().relative_to(Path(root).resolve())
                except ValueError:
                    continue
                if inside.parts:
                    own.append("/" + inside.as_posix())
    return settings.excludes + exclude_globs(settings.skip_types) + tuple(own)


def open_store_readonly(paths: Paths, settings: Settings, model: str | None = None,
                        pool: VectorPool | None = None) -> Store | None:
    """The store for searching (vectors of ``model``, or of the model in use), or None when nothing was ever indexed.

    Without ``model`` and with no engine chosen on this machine yet, the store
    has no vectors (keyword search and status still work; nothing is measured).
    """
    if not catalog_path(paths).is_file():
        return None
    model = model or model_fingerprint(paths, settings) or "not-chosen-yet"
    return Store(paths, model, settings.dimension, readonly=True, pool=pool)


def working_set(paths: Paths, settings: Settings) -> tuple[Paths, Settings]:
    """What to index and where: the user's folders, or, until there are any, the bundled samples
    (in an index of their own, so they never mix with the user's files)."""
    if settings.roots:
        return paths, settings
    samples = resources_dir() / "samples"
    return dataclasses.replace(paths, data=paths.data / "samples-index"), settings.replace(roots=(str(samples),))


def index_size(paths: Paths) -> int:
    folder = catalog_path(paths).parent
    return sum(f.stat().st_size for f in folder.glob("*") if f.is_file()) if folder.is_dir() else 0


class IndexService:
    """Owns the model, the writable store and the indexer (and its lock).

    ``pool``: share the in-memory vector index with the process's search service.
    """

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        on_progress: ProgressSink = lambda p: None,
        embedder: Embedder | None = None,
        cancel: CancelToken | None = None,
        pool: VectorPool | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.on_progress = on_progress
        if embedder is None:
            for p in prepare_model(paths, settings, cancel):
                on_progress(p)
            embedder = load_embedder(paths, settings)
            embedder.unload_when_idle(MODEL_IDLE_S)
        self.embedder = embedder
        self.store = Store(paths, embedder.fingerprint, settings.dimension, pool=pool)
        try:
            self.indexer = Indexer(self.store, embedder, index_options(settings, paths))
        except BaseException:
            self.store.close()
            raise

    @property
    def roots(self) -> list[Path]:
        return [Path(r) for r in self.settings.roots]

    def sync(self, *, changed=(), rescan=None, cancel: CancelToken | None = None) -> None:
        for p in self.indexer.sync(self.roots, changed=changed, rescan=rescan, cancel=cancel):
            self.on_progress(p)

    def retry(self, files: Iterable[Path], cancel: CancelToken | None = None) -> None:
        """Forget why ``files`` were skipped and try to index them again."""
        files = [Path(f) for f in files]
        catalog = self.store.catalog
        with self.store.write():
            for f in files:
                record = catalog.get_file(path_key(f))
                if record is not None and record.status == "skipped":
                    catalog.delete_file(record.path)
        self.sync(changed=files, rescan=[], cancel=cancel)

    def stats(self) -> IndexStats:
        """The catalog's counts, with the skipped files and their reasons under ``skipped``."""
        catalog = self.store.catalog
        return dataclasses.replace(catalog.stats(), skipped=tuple(catalog.skipped()))

    def watch(self, cancel: CancelToken | None = None, poll: float = 0.5,
              catch_up: bool = True) -> Iterator[tuple[ChangeBatch | None, dict]]:
        """Index changes as they come; yields each batch once it is indexed, with the watcher's status.

        With ``catch_up``, the watcher starts first and a full sync follows, so
        nothing changed in between is missed; ``(None, status)`` is yielded
        when that sync is done. While no change comes, the vector index is
        saved when its schedule says so, and the model's batch memory is let go;
        when one comes, a model unloaded meanwhile is loaded while the watcher
        lets the change settle.
        """
        cancel = cancel or CancelToken()
        with Watcher(self.roots, excludes=excludes(self.settings, self.paths), on_change=self._get_ready) as watcher:
            if catch_up:
                self.sync(cancel=cancel)
                yield None, watcher.status()
            while not cancel.cancelled:
                batch = watcher.get(timeout=poll)
                if batch is None:
                    self.store.save_if_due(busy=False)
                    getattr(self.embedder, "release_buffers", lambda: None)()  # ~250 MB; back in milliseconds
                    continue
                self.sync(changed=batch.paths, rescan=batch.rescan, cancel=cancel)
                yield batch, watcher.status()

    def _get_ready(self) -> None:
        """A change is coming (the watcher waits for it to settle): load the model meanwhile if it was unloaded."""
        if not getattr(self.embedder, "loaded", True):
            threading.Thread(target=self.embedder.warm, name="model-warm", daemon=True).start()

    def close(self) -> None:
        self.indexer.close()
        self.store.close()
        close = getattr(self.embedder, "close", None)
        if close:
            close()

    def __enter__(self) -> IndexService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SearchService:
    """Owns the query embedder and a read-only store.

    Without ``prepare``, a machine whose engine is not measured yet gets
    ModelMissingError rather than a fetch, conversion and probe in the caller's
    thread (the desktop app prepares in a child process and searches after).
    """

    def __init__(self, paths: Paths, settings: Settings, embedder: Embedder | None = None, *, need_model: bool = True,
                 options: SearchOptions = SearchOptions(), prepare: bool = True,
                 pool: VectorPool | None = None) -> None:
        if not catalog_path(paths).is_file():
            raise GemseekError("nothing is indexed yet; run `gemseek index FOLDER` first")
        if embedder is None and need_model:
            embedder = load_embedder(paths, settings, prepare=prepare, batch_tokens=QUERY_BATCH_TOKENS)
            embedder.unload_when_idle(MODEL_IDLE_S)
        try:
            store = open_store_readonly(paths, settings, embedder.fingerprint if embedder else None, pool)
        except BaseException:
            if embedder is not None:
                getattr(embedder, "close", lambda: None)()
            raise
        if store is None:  # the catalog went away in between
            raise GemseekError("nothing is indexed yet; run `gemseek index FOLDER` first")
        self.store = store
        self.embedder = embedder
        self.searcher = Searcher(store, embedder, options)

    def search(self, query: str, limit: int = 10, filters: Filters = Filters(), mode: str = "hybrid") -> list[Result]:
        return self.searcher.search(query, limit, filters, mode)

    def warm(self) -> None:
        """Have the query model loaded before the first query comes (it is unloaded when unused for a while)."""
        getattr(self.embedder, "warm", lambda: None)()

    def close(self) -> None:
        self.store.close()
        close = getattr(self.embedder, "close", None)
        if close:
            close()

    def __enter__(self) -> SearchService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def folder_filter(folders: list[Path]) -> tuple[bytes, ...]:
    """Path prefixes for :class:`Filters` from folder paths."""
    sep = os.sep
    return tuple(os.fsencode(str(f.expanduser().resolve()).rstrip(sep) + sep) for f in folders)
