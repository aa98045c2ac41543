"""PDF: the text layer, page by page, through PDFium.

PDFium (the engine in Chrome) via pypdfium2: permissive licences, a C++
core that is fast and tolerant of the broken files found on real disks, and
wheels for every platform with no system dependency. A file it crashes on
crashes only the extraction worker process.
"""

from __future__ import annotations

import logging
import unicodedata

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from app.core.documents import Block, Document
from app.core.extract.errors import SkipFile

log = logging.getLogger(__name__)

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "cannot be opened",
    pdfium_c.FPDF_ERR_FORMAT: "not a PDF or corrupted",
    pdfium_c.FPDF_ERR_PAGE: "page not found or content error",
}
_SHORT_LINE = 0.6  # of a page's typical line length: a line this short ends a paragraph


def _open(data: bytes) -> pdfium.PdfDocument:
    if b"%PDF-" not in data[:1024]:
        raise SkipFile("damaged PDF: not a PDF file")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if err.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise SkipFile("encrypted PDF (password protected)") from None
        if err.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise SkipFile("encrypted PDF (unsupported security handler)") from None
        raise SkipFile(
            f"damaged PDF: {_OPEN_ERRORS.get(err.err_code, 'cannot be parsed')}"
        ) from None


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_bounded()
        finally:
            textpage.close()
    finally:
        page.close()


def page_paragraphs(text: str) -> list[str]:
    """Split one page's text into paragraphs.

    PDFs have no paragraph marks, only lines. A line clearly shorter than the
    page's usual line (the end of a paragraph, a heading, a list item) closes
    its paragraph. PDFium marks a hyphen it joined across lines with \\x02.
    """
    text = unicodedata.normalize("NFKC", text.replace("\x02", ""))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lengths = sorted(len(line) for line in lines if line.strip())
    if not lengths:
        return []
    typical = lengths[int(0.5 * (len(lengths) - 1))]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        if current and (not line.strip() or len(line) < _SHORT_LINE * typical):
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def extract_pdf(data: bytes) -> Document:
    """Extract a PDF's text layer; every block carries its 1-based page number."""
    pdf = _open(data)
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
        blocks: list[Block] = []
        for index in range(len(pdf)):
            try:
                text = _page_text(pdf, index)
            except pdfium.PdfiumError as err:  # one bad page does not lose the others
                log.info("PDF page %d unreadable: %s", index + 1, err)
                continue
            blocks.extend(Block(p, page=index + 1) for p in page_paragraphs(text))
    finally:
        pdf.close()
    if not blocks:
        raise SkipFile("no text layer (scanned PDF?)")
    return Document(title=title, blocks=blocks, kind="pdf")
