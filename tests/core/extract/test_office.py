from __future__ import annotations

import re
import time
import zipfile

import pytest

from app.core.extract import SkipFile, extract
from tests.core.extract.makers import docx_paragraph, make_docx, make_docx_bomb, make_odt

STYLES = (
    '<w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Chapitre"><w:name w:val="Chapitre"/>'
    '<w:basedOn w:val="Titre1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Sous"><w:name w:val="Sous"/>'
    '<w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Heading"><w:name w:val="Heading"/></w:style>'
)


def test_docx_headings_from_styles_and_tables(tmp_path):
    body = (
        docx_paragraph("Localised heading", "Titre1")
        + docx_paragraph("Inherited heading", "Chapitre")
        + docx_paragraph("Outline heading", "Sous")
        + docx_paragraph("Base style is not a heading", "Heading")
        + "<w:p><w:r><w:t>tab</w:t><w:tab/><w:t>and</w:t><w:br/><w:t>break</w:t></w:r></w:p>"
        + "<w:tbl><w:tr><w:tc>"
        + docx_paragraph("a")
        + "</w:tc><w:tc>"
        + docx_paragraph("b")
        + "</w:tc></w:tr><w:tr><w:tc>"
        + docx_paragraph("c")
        + "</w:tc><w:tc>"
        + docx_paragraph("d")
        + "</w:tc></w:tr></w:tbl>"
        + '<w:p xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:r>'
        "<mc:AlternateContent><mc:Choice><w:t>box text</w:t></mc:Choice>"
        "<mc:Fallback><w:t>box text</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    doc = extract(make_docx(tmp_path / "report.docx", body, title="The Report", styles=STYLES))
    assert doc.kind == "docx" and doc.title == "The Report"
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Localised heading"),
        ("heading", 1, "Inherited heading"),
        ("heading", 2, "Outline heading"),
        ("text", 0, "Base style is not a heading"),
        ("text", 0, "tab\tand\nbreak"),
        ("text", 0, "a | b\nc | d"),
        ("text", 0, "box text"),  # once, not again from the fallback
    ]


def test_real_docx(corpus):
    doc = extract(corpus / "docs/office/virtual-environments-tutorial.docx")
    assert doc.title == "12. Virtual Environments and Packages — Python 3.11.2 documentation"
    headings = [(b.level, b.text) for b in doc.blocks if b.kind == "heading"]
    assert (2, "12.2. Creating Virtual Environments¶") in headings
    assert "python3 -m venv tutorial-env" in doc.text


def test_real_italian_docx(corpus):
    doc = extract(corpus / "docs/office/debian-faq-software.it.docx")
    assert ("heading", 1, "Capitolo 5. Software disponibile nel sistema Debian") in [
        (b.kind, b.level, b.text) for b in doc.blocks
    ]


def test_real_odt(corpus):
    doc = extract(corpus / "docs/office/python-faq-installed.odt")
    assert doc.kind == "odt"
    assert (
        doc.title == "“Why is Python Installed on my Computer?” FAQ — Python 3.11.2 documentation"
    )
    assert ("heading", 2, "What is Python?¶") in [(b.kind, b.level, b.text) for b in doc.blocks]
    assert "Python is a programming language" in doc.text


def test_odt_spaces_notes_and_tables(tmp_path):
    body = (
        '<text:h text:outline-level="2">Part <text:span>two</text:span></text:h>'
        '<text:p>a<text:s text:c="3"/>b<text:tab/>c<text:note><text:note-body>'
        "<text:p>footnote</text:p></text:note-body></text:note>d</text:p>"
        "<table:table><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell>"
        "<table:table-cell><text:p>y</text:p></table:table-cell></table:table-row></table:table>"
    )
    doc = extract(make_odt(tmp_path / "notes.odt", body, title="Notes"))
    assert doc.title == "Notes"
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 2, "Part two"),
        ("text", 0, "a   b\tcd"),
        ("text", 0, "x | y"),
    ]


def test_odt_space_counts_are_clamped(tmp_path):
    """A 1 KB file asking for two billion spaces (or nonsense counts) gets a handful, at once."""
    body = ('<text:p>rent<text:s text:c="2000000000"/>increase<text:s text:c="99999999999999999999999"/>'
            'letter<text:s text:c="abc"/>x<text:s text:c="0"/>y<text:s text:c="²"/>z</text:p>')
    path = make_odt(tmp_path / "bomb.odt", body)
    assert path.stat().st_size < 2000
    started = time.monotonic()
    doc = extract(path)
    assert time.monotonic() - started < 2
    assert doc.text.split() == ["rent", "increase", "letter", "x", "y", "z"]
    assert len(doc.text) < 200


def test_docx_zip_bomb_is_refused_without_inflating(tmp_path, monkeypatch):
    bomb = make_docx_bomb(tmp_path / "bomb.docx")  # word/document.xml: 1 GiB of "a"
    assert bomb.stat().st_size < 2_000_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(SkipFile, match=r"^archive expands too much \(possible zip bomb\)$"):
        extract(bomb)
    assert "word/document.xml" not in opened  # refused from its header, not by inflating


def test_docx_bomb_that_lies_about_its_size_stops_at_the_declared_size(tmp_path):
    bomb = make_docx_bomb(tmp_path / "liar.docx", declared=50_000)
    with pytest.raises(
        SkipFile, match=r"^damaged DOCX: word/document.xml is corrupt \(BadZipFile\)$"
    ):
        extract(bomb)


def test_docx_entity_expansion_bomb(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{laughs}]><d>&l9;</d>'
    path = tmp_path / "laughs.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", xml)
    with pytest.raises(SkipFile, match=r"^damaged DOCX: invalid XML in word/document.xml$"):
        extract(path)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("plain.docx", b"this is not a zip", "damaged DOCX: not a zip file"),
        (
            "locked.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "encrypted DOCX (password protected) or old .doc format",
        ),
        ("plain.odt", b"PK\x03\x04 truncated", "damaged ODT: not a zip file"),
    ],
)
def test_documents_that_are_not_zips(extract_bytes, name, data, reason):
    with pytest.raises(SkipFile, match=f"^{re.escape(reason)}$"):
        extract_bytes(name, data)


def test_docx_without_its_document_part(tmp_path):
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(SkipFile, match="^damaged DOCX: no word/document.xml$"):
        extract(path)
