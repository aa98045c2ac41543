from __future__ import annotations

import pytest

from app.core.extract import extract

PAGE = """<!DOCTYPE html>
<html><head><title> A  page </title><style>p { color: red }</style>
<script>var text = "script text";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<div role="navigation">Menu text</div>
<h1>Main <a class="headerlink" href="#x">¶</a></h1>
<p>First
   paragraph<br>new line &amp; entity</p>
<ul><li>one<li>two</ul>
<table><tr><th>name<th>value<tr><td>a<td>1</table>
<pre>  indented
    code</pre>
<h2 hidden>Hidden heading</h2>
<footer>Copyright footer</footer>
</body></html>
"""


def test_structure_without_boilerplate(extract_bytes):
    doc = extract_bytes("page.html", PAGE.encode())
    assert doc.kind == "html" and doc.title == "A page"
    assert [(b.kind, b.level, b.text, b.line) for b in doc.blocks] == [
        ("heading", 1, "Main", 7),
        ("text", 0, "First paragraph\nnew line & entity", 8),
        ("text", 0, "one", 10),
        ("text", 0, "two", 10),
        ("text", 0, "name | value", 11),
        ("text", 0, "a | 1", 11),
        ("code", 0, "  indented\n    code", 12),
    ]


@pytest.mark.parametrize(
    "markup",
    [
        "<p>unclosed <b>bold <i>italic <div>text</p></span></html></body>",
        "<html><body><p>text<!-- unterminated comment",
        "<p>text</p><script>never closed",
        "<<<>>> &bogus; &#xZZ; &#99999999; <p =broken attr='x>text",
        "<![CDATA[ odd ]]><!DOCTYPE><?php echo 1 ?><p>text</p></p></p>" + "<div>" * 5000,
        "</p></div></body><p>text",
    ],
)
def test_malformed_markup_still_gives_text(extract_bytes, markup):
    doc = extract_bytes("broken.html", markup.encode())
    assert "text" in doc.text


def test_meta_charset_is_honoured(extract_bytes):
    page = '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p>'
    doc = extract_bytes("old.htm", page.encode("cp1252"))
    assert doc.title == "Café" and doc.text == "crème brûlée"


def test_title_falls_back_to_the_first_h1(extract_bytes):
    assert extract_bytes("t.html", b"<h2>Sub</h2><h1>Top</h1><p>x</p>").title == "Top"


def test_python_docs_page(corpus):
    doc = extract(corpus / "docs/python/library/colorsys.html")
    assert doc.title == "colorsys — Conversions between color systems — Python 3.11.2 documentation"
    assert (
        doc.blocks[0].kind == "heading"
        and doc.blocks[0].text == "colorsys — Conversions between color systems"
    )
    assert any(b.kind == "code" and ">>> import colorsys" in b.text for b in doc.blocks)
    assert "Report a Bug" not in doc.text and "Navigation" not in doc.text  # sidebar and menus


def test_debian_faq_page(corpus):
    doc = extract(corpus / "docs/debian-faq/contributing.en.html")
    headings = [(b.level, b.text) for b in doc.blocks if b.kind == "heading"]
    assert (2, "13.2. How can I contribute resources to the Debian project?") in headings
    assert "Table of Contents" not in doc.text
