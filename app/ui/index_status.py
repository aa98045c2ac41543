"""The status bar's account of the index: files, progress with ETA, paused state."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from app.core.catalog import IndexStats
from app.core.progress import Progress, Stage, human_bytes
from app.ui.workers import IndexState


class EtaClock:
    """Estimates the time left in a stage from its progress so far."""

    def __init__(self) -> None:
        self._stage: str | None = None
        self._started = 0.0

    def eta(self, p: Progress, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        if p.stage != self._stage or not p.done:
            self._stage, self._started = p.stage, now
            return None
        frac = p.fraction
        elapsed = now - self._started
        if not frac or frac >= 1 or elapsed < 2:
            return None
        return elapsed * (1 - frac) / frac


def describe(p: Progress, eta: float | None) -> str:
    """One short line for the status bar."""
    text = p.message or p.stage
    if p.total and p.unit == "B":
        text += f" — {human_bytes(p.done)} of {human_bytes(p.total)}"
    elif p.total:
        text += f" — {p.done} of {p.total} {p.unit}"
    if eta is not None:
        text += f" — about {eta / 60:.0f} min left" if eta >= 90 else f" — about {eta:.0f} s left"
    return text


class IndexStatus(QObject):
    """Fills a status bar from the index runner's signals (a QObject, so connections end with the bar)."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.files = QLabel("No files indexed yet")
        self.activity = QLabel()
        self.progress = QProgressBar(maximumWidth=160, textVisible=False)
        self.progress.hide()
        self.pause_button = QPushButton("Pause indexing", flat=True)
        bar.addWidget(self.files)
        bar.addWidget(self.activity, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.pause_button)
        self._clock = EtaClock()
        self.state = IndexState.STARTING

    def on_progress(self, p: Progress) -> None:
        if self.state == IndexState.PAUSED:
            return
        self.activity.setText(describe(p, self._clock.eta(p)))
        if p.total and p.stage != Stage.DONE:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * (p.fraction or 0)))
            self.progress.show()
        elif p.stage in (Stage.SCAN, Stage.VERIFY) or (p.stage.startswith(Stage.CONVERT) and not p.total):
            self.progress.setRange(0, 0)  # busy, amount unknown
            self.progress.show()
        else:
            self.progress.hide()

    def on_state(self, state: IndexState) -> None:
        self.state = state
        resumable = state in (IndexState.PAUSED, IndexState.MODEL_MISSING)
        self.pause_button.setText("Resume indexing" if resumable else "Pause indexing")
        self.pause_button.setEnabled(state not in (IndexState.FAILED, IndexState.STOPPED))
        if state == IndexState.PAUSED:
            self.activity.setText("Indexing paused")
            self.progress.hide()
        elif state == IndexState.WATCHING:
            self.activity.setText("Up to date; watching for changes")
            self.progress.hide()

    def on_stats(self, stats: IndexStats) -> None:
        text = f"{stats.files:,} files · {stats.chunks:,} passages"
        if stats.skipped_files:
            text += f" · {stats.skipped_files} skipped"
        self.files.setText(text)

    def show_activity(self, text: str) -> None:
        self.activity.setText(text)

    def on_failed(self, message: str) -> None:
        self.activity.setText(f"Indexing stopped: {message}")
        self.progress.hide()
