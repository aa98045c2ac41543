"""Run extraction in a child process with a time limit and a memory limit.

Extraction runs native code (PDFium) on files from anywhere; one of them
will eventually hang, eat all memory or crash. :class:`ExtractionWorker`
keeps that away from the indexing process: one long-lived child, started
with "spawn" (the parent runs llama.cpp threads, and forking a threaded
process is unsafe), reads files on request. A file that takes too long gets
the child killed and is skipped; a crash is a skip too; the next call starts
a fresh child transparently.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Self

from app.core.documents import Document
from app.core.errors import GemseekError
from app.core.extract import DEFAULT_MAX_BYTES, extract, ocr
from app.core.extract.errors import SkipFile

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_PAGE_TIMEOUT = 60.0
"""Seconds OCR may take on one page (a scan's pages each get their own limit, so a long scan can finish)."""
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
"""Memory the child may use: address space on Linux (an rlimit), peak resident size elsewhere (a watchdog);
PDFium on a hostile file can want more."""
OCR_MEMORY_LIMIT = 4 * 1024**3
"""The child's limit while OCR is on: ONNX Runtime's threads reserve address space well beyond the ~1 GB
they touch (a 2 GB address-space limit failed on the third picture of a test run)."""
MEMORY_EXIT = 86  # the child's exit status when its watchdog found it over the memory limit
_GUARD_INTERVAL = 0.25
_START_TIMEOUT = 120.0  # a cold start imports Python, pypdfium2 and charset-normalizer

Extractor = Callable[..., Document]


class WorkerError(GemseekError):
    """The extraction process could not be started or was closed.

    Not a :class:`SkipFile`: it says nothing about the file, so the indexer
    should stop (or retry later) rather than record the file as skipped.
    """


def _limit_memory(limit: int | None) -> None:
    if limit is None or not sys.platform.startswith("linux"):
        return
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _peak_rss() -> int:
    """This process's peak resident size in bytes (0 where it cannot be read)."""
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaNonPagedPoolUsage", ctypes.c_size_t), ("PagefileUsage", ctypes.c_size_t),
                        ("PeakPagefileUsage", ctypes.c_size_t)]

        c = Counters(cb=ctypes.sizeof(Counters))
        handle = ctypes.windll.kernel32.GetCurrentProcess()
        ok = ctypes.windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(c), c.cb)
        return int(c.PeakWorkingSetSize) if ok else 0
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def _guard(memory_limit: int | None, rss_watch: bool) -> None:
    """In the child: end it when the parent is gone (even mid-file), or, with ``rss_watch``, when it grew past
    ``memory_limit`` (where no rlimit bounds it)."""
    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None

    def watch() -> None:
        while True:
            if sentinel is not None and multiprocessing.connection.wait([sentinel], _GUARD_INTERVAL):
                os._exit(0)  # the parent died: nobody will ever read what we extract
            if sentinel is None:
                time.sleep(_GUARD_INTERVAL)
            if rss_watch and memory_limit is not None and _peak_rss() > memory_limit:
                os._exit(MEMORY_EXIT)

    threading.Thread(target=watch, name="gemseek-extract-guard", daemon=True).start()


def default_memory_guard() -> str:
    """"rlimit" where the kernel enforces an address-space limit (Linux), else "watch" (a watchdog thread)."""
    return "rlimit" if sys.platform.startswith("linux") else "watch"


def _serve(conn: Connection, memory_limit: int | None, extract_fn: Extractor, guard: str = "rlimit") -> None:
    """The child's loop: receive ``(path, max_bytes, use_ocr)``, send ``("page", n)`` before each page OCR
    reads, then ``(status, payload)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if guard == "rlimit":
        _limit_memory(memory_limit)
    _guard(memory_limit, rss_watch=guard == "watch")
    ocr.on_page = lambda number: conn.send(("page", number))
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the parent closed the pipe or went away
            return
        path, max_bytes, use_ocr = request
        reply: tuple[str, Any]
        try:
            reply = ("ok", extract_fn(path, max_bytes=max_bytes, use_ocr=use_ocr))
        except SkipFile as err:
            reply = ("skip", err.reason)
        except MemoryError:
            reply = ("skip", "not enough memory to extract the text")
        except Exception as err:
            reply = ("skip", f"could not read file: {type(err).__name__}")
        conn.send(reply)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ExtractionWorker:
    """Extract files in one child process, with a per-file time limit.

    Use it from one thread at a time (calls are serialised by a lock); the
    indexer's prefetch thread is the intended caller. The child starts on the
    first call and is reused, so its start-up cost is paid once.

    Args:
        timeout: seconds a file may take before it is skipped.
        memory_limit: bytes the child may use, or None.
        memory_guard: how that limit is kept: "rlimit" (address space, Linux) or "watch" (the child
            ends itself past that peak resident size); the platform's default when None.
        max_bytes: passed to :func:`app.core.extract.extract`.
        use_ocr: read images and scanned PDF pages by OCR; each page then has ``page_timeout``
            seconds of its own (the file's ``timeout`` covers the rest), and the memory limit is
            at least :data:`OCR_MEMORY_LIMIT`.
        extract_fn: a picklable module-level function with the signature of
            :func:`~app.core.extract.extract`; tests swap in misbehaving ones.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        memory_guard: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        use_ocr: bool = False,
        page_timeout: float = DEFAULT_PAGE_TIMEOUT,
        extract_fn: Extractor = extract,
    ) -> None:
        self.timeout = timeout
        self.use_ocr = use_ocr
        self.page_timeout = page_timeout
        if use_ocr and memory_limit is not None:
            memory_limit = max(memory_limit, OCR_MEMORY_LIMIT)
        self.memory_limit = memory_limit
        self.memory_guard = memory_guard or default_memory_guard()
        self.max_bytes = max_bytes
        self._extract_fn = extract_fn
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._closed = False

    # -- life cycle ----------------------------------------------------------
    def _start(self) -> Connection:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_serve,
            args=(child, self.memory_limit, self._extract_fn, self.memory_guard),
            name="gemseek-extract",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        try:
            ready = parent.poll(_START_TIMEOUT) and parent.recv()
        except (EOFError, OSError):
            ready = None
        if not ready or ready[0] != "ready":
            code = self._stop()
            raise WorkerError(f"the text extraction process did not start ({_describe_exit(code)})")
        log.debug("extraction process %d started", proc.pid)
        return parent

    def _stop(self) -> int | None:
        """Kill the child (if any), reap it, and return its exit code."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        code = None
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(10)
            code = proc.exitcode
            if code is not None:
                proc.close()
        if conn is not None:
            conn.close()
        return code

    def close(self) -> None:
        """Stop the child. A call in progress in another thread ends with WorkerError."""
        self._closed = True
        proc = self._proc
        try:
            if proc is not None and proc.is_alive():
                proc.kill()  # wakes up an extract() waiting on the pipe
        except ValueError:  # the other thread has just reaped and closed it
            pass
        with self._lock:
            self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- work ----------------------------------------------------------------
    def extract(self, path: str | os.PathLike[str], timeout: float | None = None) -> Document:
        """Extract ``path`` in the child process.

        Raises:
            SkipFile: as :func:`app.core.extract.extract` does; also when the
                file takes longer than the time limit or the child crashes.
            WorkerError: the child cannot start, or the worker was closed.
        """
        limit = self.timeout if timeout is None else timeout
        with self._lock:
            if self._closed:
                raise WorkerError("the extraction worker is closed")
            conn = self._conn or self._start()
            if self._closed:  # closed while the child was starting: close() could not see it yet
                self._stop()
                raise WorkerError("the extraction worker was closed")
            try:
                conn.send((os.path.abspath(os.fsdecode(os.fspath(path))), self.max_bytes, self.use_ocr))
                status, payload = self._reply(conn, limit)
            except (EOFError, OSError):
                code = self._stop()
                if self._closed:
                    raise WorkerError("the extraction worker was closed") from None
                if code == MEMORY_EXIT and self.memory_limit:
                    raise SkipFile(f"extraction needed more than {self.memory_limit / 1024**3:.1f} GB of memory") \
                        from None
                raise SkipFile(f"extractor crashed ({_describe_exit(code)})") from None
        if status == "ok":
            return payload
        raise SkipFile(payload)

    def _reply(self, conn: Connection, limit: float) -> tuple[str, Any]:
        """Wait for the child's answer: ``limit`` seconds, and ``page_timeout`` more for every page OCR reads."""
        page = None
        while True:
            wait = limit if page is None else self.page_timeout
            if not conn.poll(wait):
                self._stop()
                if page is None:
                    raise SkipFile(f"extraction took longer than {limit:g} s")
                raise SkipFile(f"OCR of page {page} took longer than {wait:g} s")
            status, payload = conn.recv()
            if status != "page":
                return status, payload
            page = payload
