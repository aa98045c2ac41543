"""chunk_document on random documents: it always returns, linearly, with chunks that fit and cover the text.

The counter here is a stand-in tokenizer with the features that make real
chunking hard: seams between blocks cost tokens (newlines are tokens), long
words are several tokens, CJK characters are one token each.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.chunking import chunk_document
from app.core.documents import Block, Document
from app.core.embedder import document_prompt

_TOKEN = re.compile(r"[A-Za-z0-9_]{1,6}|[\u3040-\u30ff\u4e00-\u9fff]|\n|[^\w\s]|\w")
_WORD = re.compile(r"[A-Za-z0-9_]{1,6}|[\u3040-\u30ff\u4e00-\u9fff]|[^\w\s]|\w")


def count(text: str) -> int:
    return len(_TOKEN.findall(text)) + 2


_words = st.one_of(
    st.text("abcdefghij", min_size=1, max_size=12),
    st.text("abcdefghijklmnop", min_size=30, max_size=400),  # a long word: many tokens, no space to cut at
    st.text("日本語の文章中文字", min_size=1, max_size=30),
    st.sampled_from([".", ",", "!", "?", "。", "(", ")", "--"]),
)
_block_text = st.lists(_words, min_size=1, max_size=120).map(" ".join) | st.lists(
    st.lists(_words, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=30
).map("\n".join)
_block = st.builds(
    lambda text, kind: Block(text.strip() or "x", kind, 1 if kind == "heading" else 0),
    _block_text, st.sampled_from(["text", "text", "text", "code", "heading"]),
)
_title = st.one_of(st.none(), st.lists(_words, min_size=0, max_size=120).map(" ".join))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(_block, min_size=1, max_size=40),
    title=_title,
    max_tokens=st.integers(24, 600),
    overlap=st.integers(0, 64),
    headings_in_title=st.booleans(),
    outline=st.booleans(),
    min_section=st.sampled_from([0, 0, 32]),
)
def test_chunking_terminates_fits_covers_and_overlaps_at_most_the_overlap(
    blocks, title, max_tokens, overlap, headings_in_title, outline, min_section
):
    doc = Document(title, blocks)
    text = doc.text
    calls = 0

    def counter(s: str) -> int:
        nonlocal calls
        calls += 1
        return count(s)

    chunks = chunk_document(doc, "file.txt", counter, max_tokens=max_tokens, overlap_tokens=overlap,
                            headings_in_title=headings_in_title, outline=outline, min_section_tokens=min_section)
    # Linear work: a bounded number of counts per token of text (a loop would blow through this).
    assert calls <= 40 * (count(text) + len(blocks)) + 200

    for c in chunks:
        assert c.tokens == count(document_prompt(c.text, c.title)) <= max_tokens
    passages = chunks
    if outline:  # the outline passage lists the headings; the others are the same as without it
        passages = chunk_document(doc, "file.txt", count, max_tokens=max_tokens, overlap_tokens=overlap,
                                  headings_in_title=headings_in_title, min_section_tokens=min_section)
        assert chunks[: len(passages)] == passages and len(chunks) - len(passages) in (0, 1)
    for c in passages:
        assert text[c.char_start : c.char_end] == c.text
    # Every word of the document is in a passage, in order.
    covered = [False] * len(text)
    for c in passages:
        for i in range(c.char_start, c.char_end):
            covered[i] = True
    missing = "".join(ch for ch, ok in zip(text, covered) if not ok)
    assert not missing.strip(), f"text left out: {missing.strip()[:80]!r}"
    for a, b in itertools.pairwise(passages):
        assert b.char_start >= a.char_start and b.char_end > a.char_end  # forward, always something new
        if b.char_start < a.char_end:  # a cut section repeats at most the overlap
            assert len(_WORD.findall(text[b.char_start : a.char_end])) <= overlap

