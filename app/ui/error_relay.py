"""Carries an unexpected error from whatever thread raised it to the GUI thread, which shows it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class ErrorRelay(QObject):
    """Lives on the GUI thread; ``unexpected.emit`` from any thread reaches its slots there (queued).

    Signals:
        unexpected(str): a one-line description of an error nobody caught.
    """

    unexpected = Signal(str)
