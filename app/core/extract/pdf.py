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
from app.core.extract import ocr
from app.core.extract.errors import SkipFile

log = logging.getLogger(__name__)

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "cannot be opened",
    pdfium_c.FPDF_ERR_FORMAT: "not a PDF or corrupted",
    pdfium_c.FPDF_ERR_PAGE: "page not found or content error",
}
NO_TEXT_LAYER = "no text layer (scanned PDF?)"
"""Why a scan is skipped with OCR off (the indexer reads such files again when OCR is turned on)."""
_MIN_PAGE_TEXT = 16  # characters: a page with less in its text layer is a scan (page numbers, stamps)
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


def _render(pdf: pdfium.PdfDocument, number: int):
    page = pdf[number - 1]
    try:
        return page.render(scale=ocr.PDF_DPI / 72, grayscale=True).to_pil()
    finally:
        page.close()


def extract_pdf(data: bytes, *, use_ocr: bool = False) -> Document:
    """Extract a PDF's text layer; every block carries its 1-based page number.

    With ``use_ocr``, pages without a text layer (scans) are read by OCR, and
    the document's kind is "scan" so that turning OCR off can find it again.
    """
    pdf = _open(data)
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
        total = len(pdf)
        pages: dict[int, list[Block]] = {}
        for index in range(total):
            try:
                text = _page_text(pdf, index)
            except pdfium.PdfiumError as err:  # one bad page does not lose the others
                log.info("PDF page %d unreadable: %s", index + 1, err)
                continue
            pages[index + 1] = [Block(p, page=index + 1) for p in page_paragraphs(text)]
        scanned = [n for n, found in pages.items() if sum(len(b.text) for b in found) < _MIN_PAGE_TEXT]
        read = ocr.pdf_pages(lambda n: _render(pdf, n), scanned) if use_ocr and scanned else []
    finally:
        pdf.close()
    by_ocr = {b.page for b in read}  # a scanned page's stray text layer (a page number) gives way to OCR
    blocks = sorted([b for n, found in pages.items() if n not in by_ocr for b in found] + read,
                    key=lambda b: b.page)
    unread = ocr.unread_note(len(scanned), "pages" if len(scanned) == total else "scanned pages") if use_ocr else None
    if not blocks:
        if not use_ocr:
            raise SkipFile(NO_TEXT_LAYER)
        raise SkipFile("no text found, not even by OCR (scanned PDF?)" + (f"; {unread}" if unread else ""))
    return Document(title=title, blocks=blocks, kind="scan" if read else "pdf", note=unread)
