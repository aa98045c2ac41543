"""Draws one search result: icon, name, folder and date, and the passage with its matched words.

Weak matches are drawn faded, under a "Weaker matches" divider above the first of them.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QIcon, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.ui.results_model import Role

PAD = 6
ICON = 32
DIVIDER = "Weaker matches"


class ResultDelegate(QStyledItemDelegate):
    """Three lines per result, drawn with the palette so light and dark themes both work."""

    def __init__(self, parent=None, snippet_lines: int = 2) -> None:
        super().__init__(parent)
        self.snippet_lines = snippet_lines

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        line = option.fontMetrics.lineSpacing()
        divider = line + PAD if index.data(Role.FIRST_WEAK) else 0
        return QSize(400, PAD * 2 + line * (2 + self.snippet_lines) + divider)

    def _divider(self, painter, option: QStyleOptionViewItem) -> QStyleOptionViewItem:
        """Draw the "Weaker matches" divider at the top of the row; return the option for the rest of it."""
        line = option.fontMetrics.lineSpacing()
        band = QRect(option.rect.left(), option.rect.top(), option.rect.width(), line + PAD)
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        painter.drawText(band.adjusted(PAD, 0, -PAD, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         DIVIDER)
        y = band.center().y()
        x = band.left() + PAD * 2 + option.fontMetrics.horizontalAdvance(DIVIDER)
        painter.drawLine(x, y, band.right() - PAD, y)
        painter.restore()
        rest = QStyleOptionViewItem(option)
        rest.rect = option.rect.adjusted(0, line + PAD, 0, 0)
        return rest

    def paint(self, painter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        if index.data(Role.FIRST_WEAK):
            option = self._divider(painter, option)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget else QApplication.style()
        text_role = QPalette.ColorRole.Text
        if opt.state & QStyle.StateFlag.State_Selected:
            text_role = QPalette.ColorRole.HighlightedText
        opt.text = ""
        opt.icon = QIcon()  # draw the background and selection only
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None:
            icon.paint(painter, QRect(rect.left(), rect.top(), ICON, ICON))
        text_rect = rect.adjusted(ICON + PAD, 0, 0, 0)
        color = opt.palette.color(text_role)
        if index.data(Role.WEAK) and not opt.state & QStyle.StateFlag.State_Selected:
            color = opt.palette.color(QPalette.ColorGroup.Disabled, text_role)
        line = option.fontMetrics.lineSpacing()

        painter.save()
        painter.setPen(color)
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        name = option.fontMetrics.elidedText(index.data() or "", Qt.TextElideMode.ElideMiddle, text_rect.width())
        painter.drawText(QRect(text_rect.left(), text_rect.top(), text_rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)
        faded = opt.palette.color(QPalette.ColorGroup.Disabled, text_role)
        painter.setPen(faded if not opt.state & QStyle.StateFlag.State_Selected else color)
        details = option.fontMetrics.elidedText(index.data(Role.DETAILS) or "", Qt.TextElideMode.ElideLeft,
                                                text_rect.width())
        painter.drawText(QRect(text_rect.left(), text_rect.top() + line, text_rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, details)

        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(text_rect.width())
        doc.setHtml(index.data(Role.SNIPPET_HTML) or "")
        painter.translate(text_rect.left(), text_rect.top() + 2 * line)
        clip = QRect(0, 0, text_rect.width(), line * self.snippet_lines)
        painter.setClipRect(clip)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette.setColor(QPalette.ColorRole.Text, color)
        ctx.clip = clip
        doc.documentLayout().draw(painter, ctx)
        painter.restore()
