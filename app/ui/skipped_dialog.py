"""The files Gemseek left out, each with its reason, and a way to try them again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import IndexStats


class SkippedDialog(QDialog):
    """Lists skipped files; "Try again" asks the indexer to retry the selected ones.

    Signals:
        retry(list[Path])
    """

    retry = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skipped files")
        self.resize(760, 420)
        self.summary = QLabel()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self._retry)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.set_skipped([])

    def show_stats(self, stats: IndexStats) -> None:
        """List the skipped files of the index's latest counts."""
        self.set_skipped(stats.skipped)

    def set_skipped(self, skipped: Sequence[tuple[str, str]]) -> None:
        self.table.setRowCount(len(skipped))
        for row, (path, reason) in enumerate(skipped):
            self.table.setItem(row, 0, QTableWidgetItem(path))
            self.table.setItem(row, 1, QTableWidgetItem(reason))
        self.summary.setText(f"{len(skipped)} files were left out of the index, or indexed only in part." if skipped
                             else "No file was left out.")
        self.retry_button.setEnabled(bool(skipped))

    def _retry(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}) or range(self.table.rowCount())
        files = [Path(self.table.item(r, 0).text()) for r in rows]
        if files:
            self.retry.emit(files)
