"""Terminal output helpers: a progress line that redraws in place."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from app.core.progress import Progress, human_bytes


class ProgressPrinter:
    """Render :class:`Progress` records as one redrawn line on a terminal.

    When the stream is not a terminal, a line is printed per stage change and
    at most every few seconds, so logs stay readable.
    """

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval
        self._stage: str | None = None
        self._last = 0.0
        self._start = time.monotonic()
        self._width = 0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        new_stage = p.stage != self._stage
        if new_stage:
            self._start = now
            if self.tty and self._stage is not None:
                self.stream.write("\n")
            self._stage = p.stage
        elif not self.tty and now - self._last < self.interval and p.done != p.total:
            return
        self._last = now
        line = self._format(p, now)
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _format(self, p: Progress, now: float) -> str:
        parts = [p.message or p.stage]
        if p.total:
            frac = p.fraction or 0.0
            bar = "#" * int(frac * 24)
            parts.append(f"[{bar:<24}] {frac * 100:5.1f}%")
            parts.append(self._amount(p))
            elapsed = now - self._start
            if 0 < frac < 1 and elapsed > 2:
                eta = elapsed * (1 - frac) / frac
                parts.append(f"ETA {eta:.0f}s")
        elif p.done:
            parts.append(self._amount(p))
        return "  ".join(parts)

    @staticmethod
    def _amount(p: Progress) -> str:
        if p.unit == "B":
            total = f"/{human_bytes(p.total)}" if p.total else ""
            return f"{human_bytes(p.done)}{total}"
        total = f"/{p.total}" if p.total else ""
        return f"{p.done}{total} {p.unit}".rstrip()

    def close(self) -> None:
        if self.tty and self._stage is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._stage = None
