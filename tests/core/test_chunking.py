"""Chunking: fits the budget, follows structure, overlaps cut sections, keeps offsets true."""

from __future__ import annotations

import itertools
import re

import pytest

from app.core.chunking import chunk_document
from app.core.documents import Block, Document
from app.core.embedder import document_prompt

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count(text: str) -> int:  # a stand-in tokenizer: words and punctuation, plus BOS/EOS
    return len(_TOKEN.findall(text)) + 2


def sentences(n: int, word: str = "word") -> str:
    return " ".join(f"This is {word} sentence number {i}." for i in range(n))


def check_invariants(doc: Document, chunks, max_tokens: int) -> None:
    text = doc.text
    for c in chunks:
        assert c.tokens == count(document_prompt(c.text, c.title)) <= max_tokens
        assert text[c.char_start : c.char_end] == c.text


def test_small_document_is_one_chunk_titled_by_its_title_and_heading():
    doc = Document("Rent letter", [Block("Increase", "heading", 1, line=1), Block("The rent goes up.", line=3)])
    [c] = chunk_document(doc, "letter.txt", count)
    assert c.title == "Rent letter — Increase"
    assert c.text == "Increase\n\nThe rent goes up." and c.line == 1


def test_file_name_is_the_title_when_the_document_has_none():
    [c] = chunk_document(Document(None, [Block("body text")]), "notes.md", count)
    assert c.title == "notes.md"
    [c] = chunk_document(Document(None, [Block("body")]), "notes.md", count, headings_in_title=False)
    assert c.title == "notes.md"


def test_headings_start_new_chunks():
    doc = Document("Doc", [
        Block("One", "heading", 1), Block("alpha beta"),
        Block("Two", "heading", 2), Block("gamma delta"),
    ])
    chunks = chunk_document(doc, "d.txt", count)
    assert [c.title for c in chunks] == ["Doc — One", "Doc — Two"]
    assert "gamma" not in chunks[0].text


@pytest.mark.parametrize("max_tokens", [48, 64, 256])
def test_long_section_is_cut_within_budget_with_overlap(max_tokens):
    doc = Document(None, [Block(sentences(60), line=1)])
    chunks = chunk_document(doc, "long.txt", count, max_tokens=max_tokens, overlap_tokens=12)
    assert len(chunks) > 1
    check_invariants(doc, chunks, max_tokens)
    for a, b in itertools.pairwise(chunks):
        assert b.char_start < a.char_end  # overlap
        assert b.char_start > a.char_start  # progress
    assert chunks[-1].char_end == len(doc.text)


def test_paragraphs_stay_whole_when_they_fit():
    paras = [Block(sentences(3, f"p{i}")) for i in range(12)]
    doc = Document(None, paras)
    chunks = chunk_document(doc, "p.txt", count, max_tokens=96)
    check_invariants(doc, chunks, 96)
    starts = {b.text[:12] for b in paras}
    for c in chunks:  # every chunk begins at a paragraph start
        assert c.text[:12] in starts


def test_a_giant_word_is_still_cut():
    doc = Document(None, [Block("x" * 5000 + " " + "y" * 3000)])
    chunks = chunk_document(doc, "bin.txt", lambda s: len(s) // 4 + 2, max_tokens=200)
    assert all(c.tokens <= 200 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == "x" * 5000 + "y" * 3000


def test_lines_and_pages_follow_the_cut():
    text = "\n".join(f"line {i} of the listing." for i in range(200))
    doc = Document(None, [Block(text, "code", line=10, page=None)])
    chunks = chunk_document(doc, "f.py", count, max_tokens=64)
    for c in chunks:
        first_line = c.text.splitlines()[0]
        assert c.line == 10 + int(first_line.split()[1])
    pdf = Document(None, [Block("page one text.", page=1), Block(sentences(40), page=2)])
    assert {c.page for c in chunk_document(pdf, "a.pdf", count, max_tokens=64)} == {1, 2}


def test_empty_document_has_no_chunks():
    assert chunk_document(Document(None, [Block("   ")]), "e.txt", count) == []


def test_outline_chunk_lists_the_headings():
    doc = Document("Guide", [
        Block("Install", "heading", 1, line=1), Block("pip install x", line=2),
        Block("Configure", "heading", 1, line=4), Block("edit the file", line=5),
    ])
    chunks = chunk_document(doc, "g.md", count, outline=True)
    outline = chunks[-1]
    assert outline.text == "Install\nConfigure" and outline.title == "Guide" and outline.line == 1
    assert len(chunk_document(Document("One", [Block("Only", "heading", 1), Block("x")]), "o.md", count,
                              outline=True)) == 1  # a single heading is no outline


def test_stub_sections_join_their_neighbour():
    doc = Document("tool(1)", [
        Block("NAME", "heading", 1), Block(sentences(8, "name")),
        Block("AUTHOR", "heading", 1), Block("Written by A. Person."),
        Block("BUGS", "heading", 1), Block(sentences(8, "bug")),
    ])
    plain = chunk_document(doc, "tool.1", count, max_tokens=400)
    merged = chunk_document(doc, "tool.1", count, max_tokens=400, min_section_tokens=32)
    assert len(plain) == 3 and len(merged) == 2
    assert merged[1].title == "tool(1) — AUTHOR" and "Written by" in merged[1].text and "bug sentence" in merged[1].text
    check_invariants(doc, merged, 400)


# -- termination and invariants on any document (issue: chunking hang) ----------

_SEAMY = re.compile(r"\w+|[^\w\s]|\n")


def seamy_count(text: str) -> int:
    """Like ``count``, but every newline is a token: joining blocks costs tokens at each seam (as in a real
    tokenizer), so a chunk's exact size is more than its pieces' sum."""
    return len(_SEAMY.findall(text)) + 2


def test_long_title_and_costly_seams_do_not_loop_forever():
    # The shape of the HTML page that hung the indexer: a long "file — module — summary — project"
    # title leaves a small budget, and a section of many short paragraphs is cut mid-way, where
    # the joined text is larger than its pieces.
    title = "library.html — " + " — ".join(["module summary of the reference page"] * 5)
    blocks = [Block("Functions", "heading", 1)] + [Block(f"w{i}a w{i}b w{i}c.") for i in range(40)]
    doc = Document(title, blocks)
    calls = []

    def counter(text: str) -> int:
        calls.append(1)
        assert len(calls) < 20_000, "chunking does not terminate"
        return seamy_count(text)

    chunks = chunk_document(doc, "library.html", counter, max_tokens=64, overlap_tokens=32,
                            min_section_tokens=32, outline=True)
    check_invariants_with(doc, chunks, 64, seamy_count)
    assert all(f"w{i}b" in doc.text for i in range(40))
    covered = "".join(doc.text[c.char_start:c.char_end] for c in chunks)
    assert all(f"w{i}b" in covered for i in range(40))


def check_invariants_with(doc: Document, chunks, max_tokens: int, counter) -> None:
    text = doc.text
    for c in chunks:
        assert c.tokens == counter(document_prompt(c.text, c.title)) <= max_tokens
        assert text[c.char_start : c.char_end] == c.text


def test_a_title_longer_than_the_budget_is_shortened():
    title = " ".join(f"word{i}" for i in range(300))
    doc = Document(title, [Block(sentences(30))])
    chunks = chunk_document(doc, "t.txt", count, max_tokens=64)
    check_invariants(doc, chunks, 64)
    assert chunks and all(c.title.endswith("…") and c.title.startswith("word0 word1") for c in chunks)
    assert "".join(c.text for c in chunks).count("sentence number 29") >= 1


def test_a_budget_with_no_room_for_text_is_refused():
    with pytest.raises(ValueError, match="no room"):
        chunk_document(Document(None, [Block("text")]), "t.txt", count, max_tokens=10)


def test_a_document_s_start_keeps_whole_blocks_then_cuts_one():
    from app.core.documents import Block, Document

    doc = Document("t", [Block("aaaa"), Block("bbbb"), Block("cccc")])
    assert doc.size == len(doc.text) == 16
    assert doc.start(100) is doc
    assert doc.start(8).text == "aaaa\n\nbb"
    assert doc.start(4).text == "aaaa"
    assert doc.start(8).blocks[1].kind == "text"
