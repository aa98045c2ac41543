"""The vector index on disk: one file per segment graph, a list of removed entries, and a sidecar naming them.

A save never writes over a file the sidecar names: a segment that changed
goes to a new file named after the save, one that did not keeps the file it
was saved to before. The sidecar ``PATH.json`` is replaced last (atomically),
after every file it names is on disk (fsync), and only then are the files no
sidecar names any more removed. A kill at any moment therefore leaves the
previous save or the new one whole, and a save costs the segments that changed
(the newest, usually), not the whole graph.

Format 2 (this one): ``segments`` [{name, size, crc32, count}], ``removed``
(an .npy of (segment number, chunk id) rows: entries still in a graph but no
longer live). Format 1 (one graph and a list of live ids) is not read: the
store rebuilds the index from the catalog's stored vectors once instead.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import hnswlib
import numpy as np

from app.core.errors import NO_SPACE, DiskFullError

log = logging.getLogger(__name__)

VERSION = 2


@dataclass(frozen=True)
class SavedGraph:
    """A segment graph's file as a save left it."""

    name: str
    size: int
    crc32: int
    count: int


class Part(NamedTuple):
    """One segment to save: its graph, how many entries it holds, and its file if it has not changed since."""

    graph: hnswlib.Index
    count: int
    saved: SavedGraph | None


class Loaded(NamedTuple):
    info: dict
    graphs: list[tuple[hnswlib.Index, SavedGraph]]
    removed: np.ndarray  # (segment number, chunk id) rows


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def save(path: Path, dim: int, parts: Sequence[Part], removed: np.ndarray, info: dict,
         min_entry_bytes: int) -> list[SavedGraph]:
    """Save ``parts`` under ``path`` with the sidecar fields ``info``; return each part's file, in order.

    ``min_entry_bytes``: the least a graph file holds per entry (hnswlib writes through an unchecked stream:
    a full disk gives a short file, not an error).

    Raises:
        DiskFullError: the disk is full; the previous save is kept whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = f"{path.name}.{info['generation']}-{os.getpid()}-{time.monotonic_ns()}"
    side = sidecar(path)
    side_tmp = side.with_name(side.name + ".tmp")
    written: list[Path] = []
    listed: list[SavedGraph] = []
    try:
        for number, part in enumerate(parts):
            if (part.saved is not None and part.saved.name.startswith(f"{path.name}.")
                    and path.with_name(part.saved.name).is_file()):
                listed.append(part.saved)  # unchanged since that save
                continue
            graph = path.with_name(f"{stem}.{number}.bin")
            written.append(graph)
            part.graph.save_index(str(graph))
            size = graph.stat().st_size
            if size < part.count * min_entry_bytes:
                raise OSError(errno.ENOSPC, "the vector index was cut short", str(graph))
            listed.append(SavedGraph(graph.name, size, _crc32(graph), part.count))
        removed_file = path.with_name(f"{stem}.removed.npy")
        written.append(removed_file)
        np.save(removed_file, np.asarray(removed, dtype=np.int64).reshape(-1, 2))
        body = {**info, "version": VERSION, "dim": dim, "segments": [asdict(s) for s in listed],
                "removed": removed_file.name}
        side_tmp.write_text(json.dumps(body), encoding="utf-8")
        for f in (*written, side_tmp):
            _fsync(f)
        _replace(side_tmp, side)
    except OSError as exc:
        for f in (*written, side_tmp):
            f.unlink(missing_ok=True)
        if exc.errno in NO_SPACE:
            raise DiskFullError(f"the disk holding {path.parent} is full ({exc.strerror}); free some space "
                                "and index again: the index saved before is kept") from exc
        raise
    _fsync_dir(path.parent)
    keep = {side.name, removed_file.name, *(s.name for s in listed)}
    for old in path.parent.glob(f"{path.name}.*"):
        if old.name not in keep:
            try:
                old.unlink(missing_ok=True)
            except OSError as exc:  # Windows: a searching process is reading it; the next save retries
                log.debug("could not remove %s yet: %s", old.name, exc)
    return listed


def load(path: Path, dim: int, model: str) -> Loaded | None:
    """The graphs and removed entries of the save at ``path`` if it is whole and made for ``dim`` and ``model``.

    Raises:
        OSError, ValueError, KeyError, TypeError, RuntimeError: a file is missing or unreadable.
    """
    info = json.loads(sidecar(path).read_text(encoding="utf-8"))
    if info.get("version") != VERSION or info["dim"] != dim or info["model"] != model:
        if info.get("version") != VERSION:
            log.info("the vector index at %s is in an older format; it will be rebuilt", path)
        return None
    graphs = []
    for entry in info["segments"]:
        saved = SavedGraph(**entry)
        file = path.with_name(saved.name)
        # hnswlib trusts its input and can crash on a damaged file: check it first.
        if file.stat().st_size != saved.size or _crc32(file) != saved.crc32:
            log.warning("vector index file %s is damaged; the index will be rebuilt", file)
            return None
        graph = hnswlib.Index(space="ip", dim=dim)
        graph.load_index(str(file), max_elements=max(saved.count, 16))
        if graph.element_count != saved.count:
            return None
        graphs.append((graph, saved))
    removed = np.load(path.with_name(info["removed"])).reshape(-1, 2)
    return Loaded(info, graphs, removed)


def saved_model(side: Path) -> str | None:
    """The model a saved index was made with, from its sidecar (None when unreadable)."""
    try:
        return str(json.loads(side.read_text(encoding="utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _replace(src: Path, dst: Path, tries: int = 20) -> None:
    """os.replace, waiting a little while another process has ``dst`` open (Windows refuses then)."""
    for attempt in range(tries):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(0.05)


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
