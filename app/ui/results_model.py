"""The search results as a Qt list model, one row per file."""

from __future__ import annotations

import html
import time
from enum import IntEnum

from PySide6.QtCore import QAbstractListModel, QFileInfo, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFileIconProvider

from app.core.search import Result

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    RESULT = Qt.ItemDataRole.UserRole + 1
    PATH = Qt.ItemDataRole.UserRole + 2
    FOLDER = Qt.ItemDataRole.UserRole + 3
    SNIPPET_HTML = Qt.ItemDataRole.UserRole + 4
    DETAILS = Qt.ItemDataRole.UserRole + 5
    WEAK = Qt.ItemDataRole.UserRole + 6  # a weak match (drawn faded)
    FIRST_WEAK = Qt.ItemDataRole.UserRole + 7  # the first weak match: the "Weaker matches" divider goes above it


def marked_html(text: str, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """``text`` as HTML with the ``spans`` (start, end) in bold."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def relevance(score: float) -> str:
    """A coarse cue people can read: the cosine scores of this model sit between 0.2 and 0.8."""
    if score >= 0.55:
        return "●●●"
    if score >= 0.4:
        return "●●○"
    return "●○○"


def when(modified: float, now: float | None = None) -> str:
    now = time.time() if now is None else now
    t = time.localtime(modified)
    if time.localtime(now)[:3] == t[:3]:
        return time.strftime("today %H:%M", t)
    return time.strftime("%Y-%m-%d", t)


class ResultsModel(QAbstractListModel):
    """Rows of :class:`~app.core.search.Result`, replaced as a whole for each answer."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Result] = []
        self._provider = QFileIconProvider()
        self._icons: dict[str, QIcon] = {}  # by suffix: the icon comes from the name, never from the disk

    def set_results(self, results: list[Result]) -> None:
        self.beginResetModel()
        self._rows = list(results)
        self.endResetModel()

    def result(self, row: int) -> Result | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def _icon(self, suffix: str) -> QIcon:
        if suffix not in self._icons:
            self._icons[suffix] = self._provider.icon(QFileInfo(f"file{suffix}"))
        return self._icons[suffix]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return r.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.display
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(r.path.suffix.lower())
        if role == Role.RESULT:
            return r
        if role == Role.PATH:
            return str(r.path)
        if role == Role.FOLDER:
            return str(r.path.parent)
        if role == Role.WEAK:
            return r.weak
        if role == Role.FIRST_WEAK:
            return r.weak and (index.row() == 0 or not self._rows[index.row() - 1].weak)
        if role == Role.SNIPPET_HTML:
            return marked_html(r.snippet, r.highlights)
        if role == Role.DETAILS:
            where = f" · page {r.page}" if r.page else (f" · line {r.line}" if r.line else "")
            return f"{r.path.parent} · {when(r.modified)}{where} · {relevance(r.score)}"
        return None
