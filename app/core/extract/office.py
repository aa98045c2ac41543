"""Word processor files: DOCX (Office Open XML) and ODT (OpenDocument), read from their XML.

Both are zips of XML. Reading the XML directly, streamed and within the
zip-bomb budget of :mod:`app.core.extract.zips`, needs no third-party code
and gives exactly what search wants: paragraphs in order, headings with
their level (from the paragraph style), tables as rows of cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from app.core.documents import Block, Document
from app.core.extract.errors import SkipFile
from app.core.extract.zips import SafeZip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_NAME = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


@dataclass
class _Table:
    rows: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


class _Collector:
    """Turns paragraphs and table events into blocks; tables become one block of rows."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tables: list[_Table] = []

    def paragraph(self, text: str, level: int = 0) -> None:
        if not text.strip():
            return
        if self.tables:
            self.tables[-1].paragraphs.append(text.strip())
        elif level:
            self.blocks.append(Block(" ".join(text.split()), kind="heading", level=level))
        else:
            self.blocks.append(Block(text.strip()))

    def start_table(self) -> None:
        self.tables.append(_Table())

    def end_cell(self) -> None:
        if self.tables:
            t = self.tables[-1]
            t.cells.append(" ".join(t.paragraphs))
            t.paragraphs = []

    def end_row(self) -> None:
        if self.tables:
            t = self.tables[-1]
            row = " | ".join(c for c in t.cells if c)
            if row:
                t.rows.append(row)
            t.cells = []

    def end_table(self) -> None:
        if self.tables:
            self.paragraph("\n".join(self.tables.pop().rows))


def _clear(elem: ET.Element) -> None:
    """Free a handled element's content but keep its tail: text after it that
    belongs to the parent (``<text:note>…</text:note>more words``)."""
    tail = elem.tail
    elem.clear()
    elem.tail = tail


# -- DOCX ---------------------------------------------------------------------
def _docx_heading_levels(z: SafeZip) -> dict[str, int]:
    """Map paragraph style ids to heading levels, following ``basedOn`` chains.

    Built-in style names are stored in English ("heading 1", "Title") even in
    localised documents, and an outline level marks custom heading styles.
    """
    if not z.has("word/styles.xml"):
        return {}
    own: dict[str, int] = {}
    based_on: dict[str, str] = {}
    for style in z.xml("word/styles.xml").iter(f"{_W}style"):
        sid = style.get(f"{_W}styleId")
        if not sid:
            continue
        name = style.find(f"{_W}name")
        name_val = name.get(f"{_W}val", "") if name is not None else ""
        outline = style.find(f"{_W}pPr/{_W}outlineLvl")
        m = _HEADING_NAME.match(name_val.strip())
        if m:
            own[sid] = int(m.group(1))
        elif name_val.strip().lower() == "title":
            own[sid] = 1
        elif outline is not None and outline.get(f"{_W}val", "9").isdigit():
            level = int(outline.get(f"{_W}val", "9")) + 1
            if level <= 9:
                own[sid] = level
        parent = style.find(f"{_W}basedOn")
        if parent is not None and parent.get(f"{_W}val"):
            based_on[sid] = parent.get(f"{_W}val", "")
    levels = {}
    for sid in set(own) | set(based_on):
        seen, cur = set(), sid
        while cur not in own and cur in based_on and cur not in seen:
            seen.add(cur)
            cur = based_on[cur]
        if cur in own:
            levels[sid] = own[cur]
    return levels


def _docx_paragraph_text(p: ET.Element) -> str:
    parts = []
    for node in p.iter():
        tag = node.tag
        if tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _docx_level(p: ET.Element, levels: dict[str, int]) -> int:
    style = p.find(f"{_W}pPr/{_W}pStyle")
    if style is not None and style.get(f"{_W}val") in levels:
        return levels[style.get(f"{_W}val", "")]
    outline = p.find(f"{_W}pPr/{_W}outlineLvl")
    if outline is not None and outline.get(f"{_W}val", "9").isdigit():
        level = int(outline.get(f"{_W}val", "9")) + 1
        return level if level <= 9 else 0
    return 0


def _core_title(z: SafeZip, name: str) -> str | None:
    if not z.has(name):
        return None
    node = z.xml(name).find(f".//{_DC_TITLE}")
    return node.text.strip() if node is not None and node.text and node.text.strip() else None


def extract_docx(data: bytes) -> Document:
    """Extract a Word document's body: paragraphs, headings, tables (not notes or comments)."""
    if data.startswith(_OLE_MAGIC):  # Office wraps password-protected OOXML in OLE
        raise SkipFile("encrypted DOCX (password protected) or old .doc format")
    z = SafeZip(data, "DOCX")
    if not z.has("word/document.xml"):
        raise SkipFile("damaged DOCX: no word/document.xml")
    levels = _docx_heading_levels(z)
    out = _Collector()
    fallback = 0  # inside mc:Fallback, which repeats what mc:Choice already holds
    for event, elem in z.iter_xml("word/document.xml"):
        tag = elem.tag
        if tag == _MC_FALLBACK:
            fallback += 1 if event == "start" else -1
            if event == "end":
                _clear(elem)
        elif fallback:
            continue
        elif event == "start":
            if tag == f"{_W}tbl":
                out.start_table()
        elif tag == f"{_W}p":
            out.paragraph(_docx_paragraph_text(elem), _docx_level(elem, levels))
            _clear(elem)
        elif tag == f"{_W}tc":
            out.end_cell()
        elif tag == f"{_W}tr":
            out.end_row()
        elif tag == f"{_W}tbl":
            out.end_table()
            _clear(elem)
    title = _core_title(z, "docProps/core.xml")
    return Document(title=title, blocks=out.blocks, kind="docx")


# -- ODT ----------------------------------------------------------------------
_ODF_SKIP = {
    f"{_TEXT}note", f"{_OFFICE}annotation", f"{_TEXT}tracked-changes",
    f"{_TEXT}table-of-content", f"{_TEXT}alphabetical-index", f"{_TEXT}illustration-index",
    f"{_TEXT}table-index", f"{_TEXT}object-index", f"{_TEXT}user-index",
    f"{_TEXT}bibliography", f"{_SVG}title", f"{_SVG}desc",
}  # fmt: skip


def _odf_text(elem: ET.Element) -> str:
    """The text of an ODF paragraph, with its mixed content in order."""
    parts = [elem.text or ""]
    for child in elem:
        tag = child.tag
        if tag == f"{_TEXT}s":
            parts.append(" " * _space_count(child.get(f"{_TEXT}c", "1")))
        elif tag == f"{_TEXT}tab":
            parts.append("\t")
        elif tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif tag not in _ODF_SKIP:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


_MAX_SPACES = 64  # a run of spaces says no more to a search beyond this; a 1 KB file must not ask for gigabytes


def _space_count(value: str | None) -> int:
    """``text:c`` of ``<text:s/>``: how many spaces, at least 1 and at most :data:`_MAX_SPACES`."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return 1
    return max(1, min(int(value[:6]), _MAX_SPACES))


def extract_odt(data: bytes) -> Document:
    """Extract an OpenDocument text: paragraphs, headings (``text:h``), tables."""
    z = SafeZip(data, "ODT")
    if not z.has("content.xml"):
        raise SkipFile("damaged ODT: no content.xml")
    if z.has("META-INF/manifest.xml") and b"encryption-data" in z.read("META-INF/manifest.xml"):
        raise SkipFile("encrypted ODT (password protected)")
    out = _Collector()
    skipped = 0
    for event, elem in z.iter_xml("content.xml"):
        tag = elem.tag
        if tag in _ODF_SKIP:
            skipped += 1 if event == "start" else -1
            if event == "end":
                _clear(elem)
        elif skipped or event == "start":
            if tag == f"{_TABLE}table" and not skipped:
                out.start_table()
        elif tag == f"{_TEXT}h":
            level = elem.get(f"{_TEXT}outline-level", "1")
            out.paragraph(_odf_text(elem), int(level) if level.isdigit() else 1)
            _clear(elem)
        elif tag == f"{_TEXT}p":
            out.paragraph(_odf_text(elem))
            _clear(elem)
        elif tag == f"{_TABLE}table-cell":
            out.end_cell()
        elif tag == f"{_TABLE}table-row":
            out.end_row()
        elif tag == f"{_TABLE}table":
            out.end_table()
            _clear(elem)
    title = _core_title(z, "meta.xml")
    return Document(title=title, blocks=out.blocks, kind="odt")
