"""Text in pictures: scanned PDF pages and image files, read by OCR.

RapidOCR (``rapidocr-onnxruntime``): the PaddleOCR PP-OCRv4 detection and
recognition networks run by ONNX Runtime on the CPU. Chosen because its wheel
ships the models (about 16 MB, nothing is downloaded at run time), it is
Apache-2.0, and a page takes seconds on two cores. Tesseract needs a system
install, EasyOCR and docTR fetch their models on first use. Its one model
reads Chinese and English; other Latin-script text loses some accents (é is
kept, ä, á, ó, ñ and ß come back plain), Japanese keeps only its kanji and
Korean is not read (bench/RESULTS.md).

OCR runs only in the extraction child (:mod:`app.core.extract.worker`): it
loads native code and several hundred MB of weights, a page can take long,
and OpenCV (which it needs) links a Qt 5 of its own and points Qt's plugin
path at it, which must never happen in a process that runs the GUI.
The child reports every page it starts through :data:`on_page`, so the parent
can give each page its own time limit; a file reads at most :data:`MAX_PAGES`
pages (the document's ``note`` says so when it had more, and the file is listed
with it beside the skipped ones) and images are scaled down to :data:`MAX_SIDE`
pixels before they are read.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from app.core.documents import Block, Document
from app.core.extract.errors import SkipFile

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})
"""Image files read when OCR is on."""
MAX_PAGES = 100
"""Pages (PDF pages or image frames) read per file; the rest of a longer scan is not read, and the file
is listed with the skipped ones, saying so (:func:`unread_note`)."""
MAX_SIDE = 2500
"""Longest side, in pixels, an image is scaled down to before it is read (memory and time stay bounded)."""
PDF_DPI = 150
"""Resolution scanned PDF pages are rendered at (as good as 200 dpi on the eval PDFs, twice as fast)."""
MIN_CONFIDENCE = 0.5
"""Lines the recogniser is less sure of are noise (stains, pictures), not text."""
_MAX_PIXELS = 200_000_000  # a larger image is a decompression bomb, not a scan

on_page: Callable[[int], None] | None = None
"""Called (in the child) before each page is read, with its 1-based number; the worker sets it."""


def available() -> bool:
    """Whether the OCR library is installed (a dependency, but not for every Python version); looked up,
    not imported, so that asking from the GUI process never loads OpenCV there."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@cache
def _engine():
    if "PySide6.QtCore" in sys.modules:  # OpenCV (under the OCR library) links its own Qt 5 and repoints
        raise RuntimeError("OCR runs only in the extraction process, never next to Qt")  # Qt's plugin path
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise SkipFile("OCR is not available (the rapidocr-onnxruntime package is not installed)") from None
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return RapidOCR()


def read_image(image) -> list[str]:
    """The paragraphs of text in one PIL image, in reading order."""
    import numpy as np

    image = _bounded(image).convert("RGB")
    result, _elapsed = _engine()(np.asarray(image))
    lines = [(box, text) for box, text, score in (result or []) if score >= MIN_CONFIDENCE and text.strip()]
    return _paragraphs(lines)


def unread_note(pages: int, what: str = "pages") -> str | None:
    """What the skipped-files list says of a file with ``pages`` pages to read by OCR, of which only the first
    :data:`MAX_PAGES` are read; None when all of them are."""
    if pages <= MAX_PAGES:
        return None
    return f"only the first {MAX_PAGES} of {pages:,} {what} were read (OCR)"


def _bounded(image):
    side = max(image.size)
    if side <= MAX_SIDE:
        return image
    scale = MAX_SIDE / side
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))


def _paragraphs(lines: list[tuple[list, str]]) -> list[str]:
    """Join the recognised lines (boxes from top to bottom) into paragraphs: a gap taller than about
    half a line starts a new one."""
    paragraphs: list[list[str]] = []
    last_bottom = last_height = None
    for box, text in lines:
        top = min(p[1] for p in box)
        bottom = max(p[1] for p in box)
        height = max(bottom - top, 1.0)
        if last_bottom is None or top - last_bottom > 0.6 * max(height, last_height):
            paragraphs.append([])
        paragraphs[-1].append(text.strip())
        last_bottom, last_height = bottom, height
    return ["\n".join(p) for p in paragraphs]


def _pages(pages: Iterable[tuple[int, object]]) -> Iterator[Block]:
    for number, image in pages:
        if on_page is not None:
            on_page(number)
        try:
            paragraphs = read_image(image)
        except (SkipFile, MemoryError):
            raise
        except Exception as err:  # ONNX Runtime reports a failed allocation as its own error
            log.info("OCR of page %d failed", number, exc_info=True)
            raise SkipFile(f"OCR failed on page {number} ({type(err).__name__})") from None
        yield from (Block(paragraph, page=number) for paragraph in paragraphs)


def extract_image(data: bytes) -> Document:
    """Read an image file (every frame of a multi-page TIFF) by OCR."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.size  # noqa: B018 - opening reads the header: a bad one fails here
    except Image.DecompressionBombError:
        raise SkipFile("image too large to read") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise SkipFile("damaged image: cannot be decoded") from None
    frames = getattr(image, "n_frames", 1)

    def each() -> Iterator[tuple[int, object]]:
        for index in range(min(frames, MAX_PAGES)):
            image.seek(index)
            yield index + 1, image.copy()

    try:
        blocks = list(_pages(each()))
    except (OSError, SyntaxError, ValueError):
        raise SkipFile("damaged image: cannot be decoded") from None
    unread = unread_note(frames)
    if not blocks:
        raise SkipFile("no text found in the image (OCR)" + (f"; {unread}" if unread else ""))
    if frames == 1:
        blocks = [Block(b.text) for b in blocks]  # a page number says nothing for a single picture
    return Document(title=None, blocks=blocks, kind="image", note=unread)


def pdf_pages(render: Callable[[int], object], numbers: list[int]) -> list[Block]:
    """OCR the PDF pages ``numbers`` (1-based), the first :data:`MAX_PAGES` of them; ``render(number)`` gives
    a page's PIL image."""
    return list(_pages((n, render(n)) for n in numbers[:MAX_PAGES]))
