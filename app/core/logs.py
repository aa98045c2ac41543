"""Logging set-up: a rotating file under the log folder, warnings to the terminal."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading

from app.core.paths import Paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(paths: Paths, verbose: bool = False) -> None:
    """Send our log records to ``paths.logs/gemseek.log`` and problems to stderr.

    Also installs hooks so that an unexpected exception in any thread is logged
    rather than lost.
    """
    root = logging.getLogger("app")
    if getattr(root, "_gemseek_configured", False):
        return
    root.setLevel(logging.DEBUG)
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            paths.logs / "gemseek.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler.setLevel(logging.DEBUG)
        root.addHandler(file_handler)
    except OSError as exc:  # a read-only home must not stop the app
        print(f"gemseek: warning: cannot write the log file: {exc}", file=sys.stderr)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("gemseek: %(levelname)s: %(message)s"))
    root.addHandler(console)
    root._gemseek_configured = True  # type: ignore[attr-defined]
    _install_thread_hook()


def _install_thread_hook() -> None:
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("app").error(
            "unexpected error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        previous(args)

    threading.excepthook = hook
