from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfWriter

from app.core.extract import SkipFile, extract


@pytest.fixture(scope="module")
def keyval(corpus) -> bytes:
    return (corpus / "docs/pdf/keyval.pdf").read_bytes()


def _rewrite(data: bytes, **encrypt) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    if encrypt:
        writer.encrypt(**encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pages_title_and_joined_hyphens(corpus):
    doc = extract(corpus / "docs/pdf/keyval.pdf")
    assert doc.kind == "pdf" and doc.title == "The keyval package"
    assert all(b.page is not None and b.line is None for b in doc.blocks)
    assert {b.page for b in doc.blocks} == {1, 2, 3, 4, 5}
    example = next(b for b in doc.blocks if "graphics inclusion macro" in b.text)
    assert example.page == 2
    assert "setting of parameters" in doc.text  # "param-" + "eters" across a line break


def test_a_latex_news_issue(corpus):
    doc = extract(corpus / "docs/pdf/l3news01.pdf")
    assert any(b.page == 1 and b.text == "Welcome to LATEX3" for b in doc.blocks)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_damaged(extract_bytes, keyval, fraction):
    with pytest.raises(SkipFile, match="^damaged PDF: "):
        extract_bytes("cut.pdf", keyval[: int(len(keyval) * fraction)])


def test_garbage_after_a_pdf_header(extract_bytes):
    with pytest.raises(SkipFile, match="^damaged PDF: "):
        extract_bytes("junk.pdf", b"%PDF-1.7\n" + os.urandom(20_000))


def test_not_a_pdf_at_all(extract_bytes):
    with pytest.raises(SkipFile, match="^damaged PDF: not a PDF file$"):
        extract_bytes("fake.pdf", b"just some words\n")


def test_password_protected_pdf(extract_bytes, keyval):
    data = _rewrite(keyval, user_password="secret", owner_password="owner")
    with pytest.raises(SkipFile, match=r"^encrypted PDF \(password protected\)$"):
        extract_bytes("locked.pdf", data)


def test_pdf_with_only_an_owner_password_is_read(extract_bytes, keyval):
    doc = extract_bytes(
        "restricted.pdf", _rewrite(keyval, user_password="", owner_password="owner")
    )
    assert "graphics inclusion macro" in doc.text


def test_pdf_without_text_layer(extract_bytes):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(SkipFile, match=r"^no text layer \(scanned PDF\?\)$"):
        extract_bytes("scan.pdf", out.getvalue())
