"""Logging set-up: a rotating file under the log folder, problems to the terminal."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading

from app.core.paths import Paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be swapped)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(paths: Paths, verbose: bool = False) -> None:
    """Send our records to ``paths.logs/gemseek.log`` and warnings (or all, if verbose) to stderr.

    Calling it again replaces the handlers, so a process that switches homes
    (tests do) logs into the right folder. Also installs a hook so that an
    unexpected exception in any thread is logged rather than lost.
    """
    root = logging.getLogger("app")
    for handler in list(root.handlers):
        if getattr(handler, "_gemseek", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)
    # llama.cpp says hundreds of lines per context at its debug and info levels: kept out of
    # the log file unless asked for (--verbose).
    logging.getLogger("app.llama_cpp").setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            paths.logs / "gemseek.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True
        )
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        _add(root, file_handler)
    except OSError as exc:  # a read-only home must not stop the app
        print(f"gemseek: warning: cannot write the log file: {exc}", file=sys.stderr)
    console = _StderrHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("gemseek: %(levelname)s: %(message)s"))
    _add(root, console)
    _install_thread_hook()


def _add(logger: logging.Logger, handler: logging.Handler) -> None:
    handler._gemseek = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


_hook_installed = False


def _install_thread_hook() -> None:
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("app").error(
            "unexpected error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        previous(args)

    threading.excepthook = hook
