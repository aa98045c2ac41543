"""Progress records and cancellation for long jobs, and progress as JSON lines between processes.

Long work in the core is a generator that yields :class:`Progress` and checks
a :class:`CancelToken`; front ends (a terminal bar, a Qt worker) only drive it.

A child process tells its parent how it gets on in JSON lines on stdout, one
object a line: each step ``{"stage", "done", "total", "unit", "message"}``,
then ``{"stage": "error", "message"}`` when it failed, or a last record of its
own (``"ready"`` from ``gemseek model prepare``, ``"done"`` from the
converter). :func:`json_line` writes them and :func:`read_json_line` reads
them. The converter (convert/cli.py) writes the same lines with its own code:
it never imports app.
"""

from __future__ import annotations

import json
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


# -- progress as JSON lines (a child process to its parent) -----------------
ERROR = "error"  # the stage of the last line when the child failed; its message says why
READY = "ready"  # the stage of the last line of `gemseek model prepare`; its message says which model


def json_line(record: Progress | dict) -> str:
    """One line for the parent: a step, or a final record such as ``{"stage": ERROR, "message": ...}``."""
    if isinstance(record, Progress):
        record = {"stage": record.stage, "done": record.done, "total": record.total, "unit": record.unit,
                  "message": record.message}
    return json.dumps(record)


def read_json_line(line: str | bytes) -> dict | None:
    """The record on one line from a child, or None for a line that is not one (a stray print)."""
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def progress_from(rec: dict) -> Progress:
    """The step a child reported in ``rec``."""
    return Progress(rec.get("stage", ""), int(rec.get("done") or 0), rec.get("total"), rec.get("unit") or "",
                    rec.get("message") or "")


def human_bytes(n: float) -> str:
    """Format a byte count the way people read it (1.2 GB)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
