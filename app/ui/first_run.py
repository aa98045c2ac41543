"""The first start: welcome, the model's licence, and the folders to index.

The model is fetched and converted by a child process (see app.ui.model_job)
while the welcome is shown; its progress appears here and in the status bar,
with Stop/Resume. Indexing starts as soon as the model is ready, and search
works on what is indexed so far.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.progress import Progress
from app.ui.index_status import describe
from app.ui.model_job import ModelJob
from app.ui.settings_dialog import FolderList

TERMS_URL = "https://ai.google.dev/gemma/terms"


def suggested_folders() -> list[str]:
    """Documents and Desktop, where they exist."""
    found = []
    for where in (QStandardPaths.StandardLocation.DocumentsLocation, QStandardPaths.StandardLocation.DesktopLocation):
        folder = QStandardPaths.writableLocation(where)
        if folder and Path(folder).is_dir() and folder not in found and Path(folder) != Path.home():
            found.append(folder)
    return found


class ModelProgress(QWidget):
    """The model job's progress with a Stop / Resume button."""

    def __init__(self, job: ModelJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.label = QLabel("Getting the model ready…", wordWrap=True)
        self.bar = QProgressBar(textVisible=False)
        self.bar.setRange(0, 0)
        self.button = QPushButton("Stop")
        self.button.clicked.connect(self.toggle)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(row)
        job.progress.connect(self.on_progress)
        job.finished.connect(self.on_finished)

    def on_progress(self, p: Progress) -> None:
        self.label.setText(describe(p, None))
        if p.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * (p.fraction or 0)))
        else:
            self.bar.setRange(0, 0)

    def on_finished(self, ok: bool, message: str) -> None:
        self.label.setText(message)
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if ok else 0)
        self.button.setText("Resume")
        self.button.setEnabled(not ok)

    def toggle(self) -> None:
        if self.job.running:
            self.job.cancel()
        else:
            self.job.start()
            self.button.setText("Stop")
            self.label.setText("Getting the model ready…")


class FirstRunDialog(QDialog):
    """Welcome: what Gemseek does, the Gemma terms, which folders to index.

    Signals:
        chosen(tuple[str, ...]): the folders to index (empty: keep the samples for now).
    """

    chosen = Signal(tuple)

    def __init__(self, model_ready: bool, job: ModelJob | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Gemseek")
        intro = QLabel(
            "<h2>Find your files by what they say</h2>"
            "<p>Gemseek reads the folders you choose and builds a search index on this computer. "
            "Nothing leaves it.</p>"
            + ("" if model_ready else
               "<p>First it gets the EmbeddingGemma model (a 1.1 GB download, checked file by file) and converts it. "
               "You can stop and resume this; choose your folders meanwhile.</p>")
            + f'<p>EmbeddingGemma is provided under the <a href="{TERMS_URL}">Gemma Terms of Use</a>.</p>'
            "<p><b>Which folders should Gemseek index?</b> Without any, it shows you its sample documents.</p>",
            wordWrap=True,
        )
        intro.setOpenExternalLinks(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.folders = FolderList(tuple(suggested_folders()))
        self.use_samples = QCheckBox("Start with the sample documents only")
        self.use_samples.toggled.connect(self.folders.setDisabled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.model_progress = ModelProgress(job) if job is not None else None
        if self.model_progress is not None:
            layout.addWidget(self.model_progress)
        layout.addWidget(self.folders)
        layout.addWidget(self.use_samples)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.chosen.emit(() if self.use_samples.isChecked() else self.folders.folders())
        super().accept()
