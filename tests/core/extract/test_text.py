from __future__ import annotations

from app.core.extract import extract


def test_paragraphs_keep_their_start_lines(extract_bytes):
    doc = extract_bytes("notes.txt", b"first para\nstill first\n\n\n   second para\n\nthird\n")
    assert [(b.text, b.line) for b in doc.blocks] == [
        ("first para\nstill first", 1),
        ("   second para", 5),
        ("third", 7),
    ]
    assert doc.kind == "text" and doc.title is None


def test_underlined_headings_get_levels_and_the_first_is_the_title(extract_bytes):
    doc = extract_bytes(
        "notes.txt", b"Release Notes\n=============\n\nFixes\n-----\n * a fix\n\n-----\n"
    )
    assert [(b.kind, b.level, b.text, b.line) for b in doc.blocks] == [
        ("heading", 1, "Release Notes", 1),
        ("heading", 2, "Fixes", 4),
        ("text", 0, " * a fix", 6),
        ("text", 0, "-----", 8),
    ]
    assert doc.title == "Release Notes"


def test_man_page_sections_are_headings_and_name_is_the_title(corpus):
    path = corpus / "manpages/openssl/openssl-dgst.1ssl.txt"
    lines = path.read_text().split("\n")
    doc = extract(path)
    assert doc.title == "openssl-dgst - perform digest operations"
    headings = {b.text: b.line for b in doc.blocks if b.kind == "heading"}
    assert {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"} <= set(headings)
    assert lines[headings["SYNOPSIS"] - 1] == "SYNOPSIS"


def test_man_page_in_chinese(corpus):
    doc = extract(corpus / "manpages/zh_CN/chsh.1.zh_CN.txt")
    assert doc.title == "chsh - 更改登录 shell"
    assert [b.text for b in doc.blocks if b.kind == "heading"][:3] == ["名称", "大纲", "描述"]


def test_release_notes_from_the_corpus(corpus):
    doc = extract(corpus / "notes/git-release-notes/1.8.0.1.txt")
    assert doc.title == "Git v1.8.0.1 Release Notes"
    assert (doc.blocks[1].kind, doc.blocks[1].level, doc.blocks[1].line) == ("heading", 2, 4)


def test_every_text_block_starts_at_its_line(corpus):
    for path in sorted((corpus / "manpages").rglob("*.txt")):
        lines = path.read_text().split("\n")
        for block in extract(path).blocks:
            assert lines[block.line - 1].strip() == block.text.split("\n")[0].strip(), (path, block)
