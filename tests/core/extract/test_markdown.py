from __future__ import annotations

from app.core.extract import extract

SAMPLE = b"""---
layout: post
title: "Front matter title"
---
Intro with a [link](https://example.com/a_(b)) and ![a logo](logo.png).

# Top heading #
Text right below.

```python
# not a heading
def f():
    pass
```

Second
------

<!-- a comment
over lines -->
[ref]: https://example.com
last paragraph
"""


def test_structure_lines_and_inline_markup(extract_bytes):
    doc = extract_bytes("doc.md", SAMPLE)
    assert doc.title == "Front matter title"
    assert [(b.kind, b.level, b.text, b.line) for b in doc.blocks] == [
        ("text", 0, "Intro with a link and a logo.", 5),
        ("heading", 1, "Top heading", 7),
        ("text", 0, "Text right below.", 8),
        ("code", 0, "# not a heading\ndef f():\n    pass", 11),
        ("heading", 2, "Second", 16),
        ("text", 0, "last paragraph", 22),
    ]


def test_title_is_the_first_top_level_heading_without_front_matter(extract_bytes):
    doc = extract_bytes("doc.md", b"## Install\n\ntext\n\n# Name\n\n# Other\n")
    assert doc.title == "Name"


def test_unterminated_fence_keeps_the_rest_as_code(extract_bytes):
    doc = extract_bytes("doc.md", b"text\n\n```\ncode to the end\n")
    assert doc.blocks[-1].kind == "code" and doc.blocks[-1].text == "code to the end"


def test_corpus_readme(corpus):
    path = corpus / "notes/libcbor0.8/README.md"
    lines = path.read_text().split("\n")
    doc = extract(path)
    assert doc.kind == "markdown" and doc.title == "libcbor"
    started = next(b for b in doc.blocks if b.text == "Getting started")
    assert started.kind == "heading" and started.level == 2
    assert lines[started.line - 1] == "## Getting started"
    assert any(b.kind == "code" and "#include <cbor.h>" in b.text for b in doc.blocks)


def test_extensionless_readme_with_markdown_headings(tmp_path):
    path = tmp_path / "README"
    path.write_text("# Tool\n\nDoes things.\n")
    doc = extract(path)
    assert doc.kind == "markdown" and doc.title == "Tool"
