"""The one error extraction raises: a file that cannot or should not be indexed."""

from __future__ import annotations

from app.core.errors import GemseekError


class SkipFile(GemseekError):
    """A file is left out of the index; the message says why, for ``gemseek status``.

    Every expected failure (binary data, a damaged or encrypted document, a
    zip bomb, a vanished file, a time limit) becomes this one type, so the
    indexer needs a single ``except`` and records ``reason`` next to the path.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
