"""Turn a file into a :class:`~app.core.documents.Document`, or say why it cannot be indexed.

:func:`extract` picks an extractor by file name (extension, or well-known
names such as README and Makefile), sniffs the content of files without an
extension or with one it does not know (text is text, whatever it is called),
and turns every failure into :class:`SkipFile` with a short
reason: bad files must never stop indexing. Run it through
:class:`app.core.extract.worker.ExtractionWorker` to add a time and memory
limit and to survive crashes inside native libraries.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from app.core.documents import Document
from app.core.extract import code, ocr
from app.core.extract.blocks import tidy
from app.core.extract.decode import looks_binary
from app.core.extract.epub import extract_epub
from app.core.extract.errors import SkipFile
from app.core.extract.files import read_bytes
from app.core.extract.html import extract_html
from app.core.extract.markdown import extract_markdown
from app.core.extract.office import extract_docx, extract_odt
from app.core.extract.pdf import NO_TEXT_LAYER, extract_pdf
from app.core.extract.rst import extract_rst
from app.core.extract.rtf import extract_rtf
from app.core.extract.text import extract_text

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_EXTENSIONS", "SkipFile", "extract", "is_supported", "unsupported_reason"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50_000_000
"""Files larger than this are skipped: they are data, not documents, or would stall indexing."""


@dataclass(frozen=True)
class _Format:
    label: str  # for reasons: "could not read PDF: KeyError"
    extract: Callable[..., Document]
    textual: bool = True  # checked for binary content before decoding
    reads_pictures: bool = False  # extract() takes use_ocr=


_TEXT = _Format("text file", extract_text)
_MARKDOWN = _Format("Markdown", extract_markdown)
_HTML = _Format("HTML", extract_html)
_PDF = _Format("PDF", extract_pdf, textual=False, reads_pictures=True)
_IMAGE = _Format("image", ocr.extract_image, textual=False)  # only when OCR is on
_RTF = _Format("RTF", extract_rtf)
_FORMATS: dict[str, _Format] = {
    **{ext: _TEXT for ext in (".txt", ".text", ".log", ".csv", ".tsv", ".nfo", ".me", ".1st")},
    ".md": _MARKDOWN, ".markdown": _MARKDOWN, ".mdown": _MARKDOWN, ".mkd": _MARKDOWN,
    ".rst": _Format("reStructuredText", extract_rst), ".rest": _Format("reStructuredText", extract_rst),
    ".html": _HTML, ".htm": _HTML, ".xhtml": _HTML,
    ".pdf": _PDF,
    ".docx": _Format("DOCX", extract_docx, textual=False),
    ".odt": _Format("ODT", extract_odt, textual=False),
    ".epub": _Format("EPUB", extract_epub, textual=False),
    ".rtf": _RTF,
    **{ext: _Format("source file", partial(code.extract_code, language=lang))
       for ext, lang in code.LANGUAGES.items()},
}  # fmt: skip

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_FORMATS)
"""Lower-case extensions (with the dot) that :func:`extract` reads by name."""

TEXT_NAMES = frozenset({
    "readme", "news", "changelog", "changes", "authors", "contributors", "copying",
    "license", "licence", "install", "todo", "thanks", "hacking", "contributing", "notice",
    "bugs", "faq", "maintainers", "credits", "history", "copyright", "version", "release",
})  # fmt: skip
"""Names (before the first dot, any case) of text files whatever follows: README.Debian, NEWS."""

_TEMPLATE_SUFFIXES = frozenset({".example", ".sample", ".dist", ".in", ".tmpl", ".template"})
# Suffixes of formats Gemseek does not read (even README.png, changelog.Debian.gz): not worth a
# read, and reported as "unsupported type". Any other name is read when its content is text.
_BINARY_SUFFIXES = frozenset({
    ".gz", ".bz2", ".xz", ".zst", ".lz", ".z", ".zip", ".tar", ".tgz", ".7z", ".rar", ".png",
    ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tif", ".tiff", ".heic", ".psd", ".xcf",
    ".svgz", ".doc", ".xls", ".ppt", ".xlsx", ".pptx", ".ods", ".odp", ".odg", ".exe", ".dll",
    ".so", ".dylib", ".o", ".a", ".bin", ".db", ".sqlite", ".deb", ".rpm", ".jar", ".class",
    ".pyc", ".mo", ".mp3", ".mp4", ".m4a", ".mkv", ".avi", ".mov", ".webm", ".wav", ".flac",
    ".ogg", ".opus", ".iso", ".img", ".dmg", ".ttf", ".otf", ".woff", ".woff2",
})  # fmt: skip
_SNIFF = _Format("file", extract_text)  # decided from the content at extract time
_MARKDOWN_HINT = re.compile(rb"^(?:#{1,6} |```)", re.MULTILINE)


def _format_by_name(name: str, use_ocr: bool = False) -> _Format | None:
    lower = name.lower()
    if lower in code.FILE_NAMES:
        return _Format("source file", partial(code.extract_code, language=code.FILE_NAMES[lower]))
    stem, ext = os.path.splitext(lower)
    if use_ocr and ext in ocr.IMAGE_SUFFIXES:
        return _IMAGE
    if ext in _FORMATS:
        return _FORMATS[ext]
    if ext in _TEMPLATE_SUFFIXES:  # config.toml.example reads as TOML
        return _FORMATS.get(os.path.splitext(stem)[1], _SNIFF)
    if ext in _BINARY_SUFFIXES:
        return None
    return _SNIFF  # README.Debian, no extension, or one we do not know (a bc program's .b): the content decides


def _format_by_content(name: str, head: bytes) -> _Format:
    """Decide the format of a file without a telling name from its first bytes."""
    if b"%PDF-" in head[:1024]:
        return _PDF
    start = head.lstrip()[:64].lower()
    if start.startswith(b"{\\rtf"):
        return _RTF
    if looks_binary(head):
        raise SkipFile("binary file")
    if head.startswith(b"#!"):
        return _Format("source file", code.extract_code)
    if start.startswith((b"<!doctype html", b"<html")):
        return _HTML
    if name.lower().split(".")[0] in TEXT_NAMES and _MARKDOWN_HINT.search(head):
        return _MARKDOWN
    return _TEXT


def is_supported(path: str | os.PathLike[str], *, use_ocr: bool = False) -> bool:
    """Whether :func:`extract` would try ``path``, judging by its name alone.

    Names without an extension or with one Gemseek does not know count (their
    content decides at extract time), so a walker can ask this before reading
    anything; only formats known not to be text (images unless ``use_ocr``,
    archives, media, spreadsheets) are not tried.
    """
    return _format_by_name(os.path.basename(os.fspath(path)), use_ocr) is not None


def unsupported_reason(path: str | os.PathLike[str]) -> str:
    """Why a file that :func:`is_supported` turns down is left out, for the skipped-files list."""
    ext = os.path.splitext(os.path.basename(os.fspath(path)))[1].lower()
    if ext in ocr.IMAGE_SUFFIXES:
        return f"unsupported type: {ext} images are read only with OCR on (Settings, or gemseek index --ocr)"
    return f"unsupported type: {ext} files are not read" if ext else "unsupported type"


def extract(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, use_ocr: bool = False) -> Document:
    """Read the file at ``path`` and return its text as a :class:`Document`.

    Args:
        path: the file; a ``str`` may carry undecodable name bytes as
            surrogate escapes (``os.fsdecode``).
        max_bytes: files larger than this are skipped.
        use_ocr: read image files, and PDF pages without a text layer, by OCR
            (slow: call it in the extraction worker).

    Raises:
        SkipFile: the file is unsupported, unreadable, binary, empty, too
            large, damaged, encrypted, ... — and for any unexpected error
            inside an extractor, so that one bad file never stops indexing.
    """
    path = os.fsdecode(os.fspath(path))
    name = os.path.basename(path)
    fmt = _format_by_name(name, use_ocr)
    if fmt is None:
        raise SkipFile(unsupported_reason(name))
    sniffed: list[_Format] = []

    def check_head(head: bytes) -> None:
        if fmt is _SNIFF:
            sniffed.append(_format_by_content(name, head))
        elif fmt.textual and looks_binary(head):
            raise SkipFile("binary file")

    data = read_bytes(path, max_bytes, check_head)
    fmt = sniffed[0] if sniffed else fmt
    try:
        doc = tidy(fmt.extract(data, use_ocr=use_ocr) if fmt.reads_pictures else fmt.extract(data))
    except SkipFile:
        raise
    except MemoryError:
        raise SkipFile("not enough memory to extract the text") from None
    except Exception as err:  # a library's bug or an input nobody foresaw
        log.info("extracting %r failed", path, exc_info=True)
        raise SkipFile(f"could not read {fmt.label}: {type(err).__name__}") from None
    if not doc.blocks:
        raise SkipFile(NO_TEXT_LAYER if fmt is _PDF and not use_ocr else "no text in file")
    return doc
