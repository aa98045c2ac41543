"""Build small documents (DOCX, ODT, EPUB, zip bombs) for extraction tests."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_paragraph(text: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def make_docx(
    path: Path, body: str, *, title: str | None = None, styles: str | None = None
) -> Path:
    """Write a minimal DOCX whose ``<w:body>`` holds ``body`` (WordprocessingML)."""
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document)
        if styles is not None:
            z.writestr("word/styles.xml", f'<w:styles xmlns:w="{W_NS}">{styles}</w:styles>')
        if title is not None:
            z.writestr(
                "docProps/core.xml",
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></cp:coreProperties>',
            )
    return path


def make_odt(path: Path, body: str, *, title: str | None = None) -> Path:
    """Write a minimal ODT whose ``<office:text>`` holds ``body``."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        z.writestr(
            "content.xml",
            f"<office:document-content {ns}><office:body><office:text>{body}</office:text></office:body></office:document-content>",
        )
        if title is not None:
            z.writestr(
                "meta.xml",
                f'<office:document-meta {ns} xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<office:meta><dc:title>{title}</dc:title></office:meta></office:document-meta>",
            )
    return path


def make_epub(path: Path, chapters: dict[str, str], *, title: str = "A Book", spine: list[str] | None = None,
              extra: dict[str, str] | None = None) -> Path:  # fmt: skip
    """Write an EPUB with XHTML ``chapters`` (file name → body HTML) under OEBPS/."""
    spine = spine if spine is not None else list(chapters)
    manifest = "".join(
        f'<item id="c{i}" href="{name}" media-type="application/xhtml+xml"/>'
        for i, name in enumerate(chapters)
    )
    order = "".join(f'<itemref idref="c{list(chapters).index(name)}"/>' for name in spine)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        z.writestr(
            "OEBPS/content.opf",
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{title}</dc:title></metadata><manifest>{manifest}</manifest><spine>{order}</spine></package>",
        )
        for name, body in chapters.items():
            z.writestr(
                f"OEBPS/{name}",
                '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>{name}</title></head><body>{body}</body></html>",
            )
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return path


def _deflate_repeated(block: bytes, count: int) -> bytes:
    """A raw deflate stream of ``block`` repeated ``count`` times, built in milliseconds.

    A full flush resets the compressor, so every repetition compresses to the
    same bytes and the stream is one compressed piece repeated.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    return piece * count + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


def write_raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """Write a zip from ``(name, raw deflate data, declared size, crc)`` entries.

    The declared size may be anything: that is the point, for zip bombs.
    """
    local, central = bytearray(), bytearray()
    for name, data, size, crc in members:
        fname = name.encode()
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(fname), 0
        )
        local += fname + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
            len(fname), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += fname
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


def make_docx_bomb(path: Path, inflated: int = 1 << 30, *, declared: int | None = None) -> Path:
    """A DOCX whose word/document.xml inflates to ``inflated`` bytes (1 GiB by default).

    ``declared`` lets the header lie about that size.
    """
    mib = 1 << 20
    stream = _deflate_repeated(b"a" * mib, inflated // mib)
    header = zlib.compressobj(9, zlib.DEFLATED, -15)
    ct = header.compress(b"<Types/>") + header.flush()
    return write_raw_zip(
        path,
        [
            ("[Content_Types].xml", ct, 8, zlib.crc32(b"<Types/>")),
            ("word/document.xml", stream, inflated if declared is None else declared, 0),
        ],
    )
