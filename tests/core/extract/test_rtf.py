from __future__ import annotations

import pytest

from app.core.extract import SkipFile

RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\info{\title Letter to Ann}}"
    rb"\f0\pard Dear Ann,\par"
    rb"\pard The caf\'e9 costs 5 \u8364? now.\par"
    rb"{\pict\wmetafile8 0123456789abcdef}"
    rb"\pard Regards\par}"
)


def test_paragraphs_code_page_unicode_and_title(extract_bytes):
    doc = extract_bytes("letter.rtf", RTF)
    assert doc.kind == "rtf" and doc.title == "Letter to Ann"
    assert [b.text for b in doc.blocks] == ["Dear Ann,", "The café costs 5 € now.", "Regards"]
    assert all(b.line is None for b in doc.blocks)


def test_file_without_rtf_header(extract_bytes):
    with pytest.raises(SkipFile, match="^damaged RTF: no RTF header$"):
        extract_bytes("fake.rtf", b"hello")
