from __future__ import annotations

import io
import zipfile

import pytest

from app.core.extract import SkipFile, extract, zips
from tests.core.extract.makers import make_epub

ENCRYPTION = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
  xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
  <enc:EncryptionMethod Algorithm="{algorithm}"/>
  <enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>
</enc:EncryptedData></encryption>"""


def test_chapters_in_spine_order_with_the_book_title(tmp_path):
    path = make_epub(
        tmp_path / "book.epub",
        {
            "b.xhtml": "<h1>Chapter Two</h1><p>Second&nbsp;text.</p>",
            "a.xhtml": "<h1>Chapter One</h1><p>First.</p>",
        },
        title="The Book",
        spine=["a.xhtml", "b.xhtml"],
    )
    doc = extract(path)
    assert doc.kind == "epub" and doc.title == "The Book"
    assert [(b.kind, b.text, b.line) for b in doc.blocks] == [
        ("heading", "Chapter One", None),
        ("text", "First.", None),
        ("heading", "Chapter Two", None),
        ("text", "Second text.", None),  # &nbsp; is a space to search
    ]


def test_drm_encrypted_book_is_skipped(tmp_path):
    enc = ENCRYPTION.format(
        algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc", uri="OEBPS/a.xhtml"
    )
    path = make_epub(
        tmp_path / "drm.epub", {"a.xhtml": "<p>x</p>"}, extra={"META-INF/encryption.xml": enc}
    )
    with pytest.raises(SkipFile, match=r"^encrypted EPUB \(DRM\)$"):
        extract(path)


def test_obfuscated_fonts_do_not_count_as_drm(tmp_path):
    enc = ENCRYPTION.format(algorithm="http://www.idpf.org/2008/embedding", uri="OEBPS/a.xhtml")
    path = make_epub(
        tmp_path / "fonts.epub",
        {"a.xhtml": "<p>readable</p>"},
        extra={"META-INF/encryption.xml": enc},
    )
    assert extract(path).text == "readable"


def test_unpacked_budget_covers_the_whole_archive(tmp_path, monkeypatch):
    text = " ".join(
        f"word{i}" for i in range(60_000)
    )  # ~470 kB, compresses well below the ratio limit
    chapters = {f"c{i}.xhtml": f"<p>{text}</p>" for i in range(3)}
    path = make_epub(tmp_path / "long.epub", chapters)
    assert len(extract(path).blocks) == 3
    monkeypatch.setattr(zips, "MAX_UNPACKED_BYTES", 1_000_000)
    with pytest.raises(SkipFile, match=r"^archive expands too much \(possible zip bomb\)$"):
        extract(path)


def test_epub_without_container(extract_bytes):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    with pytest.raises(SkipFile, match="^damaged EPUB: META-INF/container.xml is missing$"):
        extract_bytes("broken.epub", buf.getvalue())
