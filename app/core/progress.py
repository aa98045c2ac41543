"""Progress records and cancellation for long jobs.

Long work in the core is a generator that yields :class:`Progress` and checks
a :class:`CancelToken`; front ends (a terminal bar, a Qt worker) only drive it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The phases long jobs report in :attr:`Progress.stage`.

    A conversion reports ``convert:<step>`` with the converter's own step
    names (check, hash, write, quantize): see :func:`converting`.
    """

    SCAN = "scan"  # indexing: looking for changes
    INDEX = "index"  # reading, cutting (and, unless keywords come first, embedding) files
    EMBED = "embed"  # embedding passages that have no vector yet
    DOWNLOAD = "download"  # getting the checkpoint: from Hugging Face or a package index
    ASSEMBLE = "assemble"
    EXTRACT = "extract"
    COPY = "copy"  # from a folder the user has
    VERIFY = "verify"
    INSTALL = "install"
    CONVERT = "convert"  # the converter child: checkpoint → GGUF
    ENGINE = "engine"  # measuring how to run the model on this machine
    NOTE = "note"  # a sentence worth a line of its own
    DONE = "done"  # the job is over; the message says how it ended


def converting(step: str) -> str:
    """The stage of the converter's ``step``: ``convert:write`` and so on."""
    return f"{Stage.CONVERT}:{step}"


@dataclass(frozen=True)
class Progress:
    """One step of a long job.

    Attributes:
        stage: the phase, a :class:`Stage` (a conversion's steps: see :func:`converting`).
        done: units finished in this stage.
        total: units in this stage, or None when unknown.
        unit: what is counted ("B" for bytes, "files", "texts", ...).
        message: a sentence for humans.
    """

    stage: str
    done: int = 0
    total: int | None = None
    unit: str = ""
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class CancelToken:
    """A thread-safe flag a front end sets to stop a job at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was asked for."""
        if self._event.is_set():
            raise Cancelled()


def human_bytes(n: float) -> str:
    """Format a byte count the way people read it (1.2 GB)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
