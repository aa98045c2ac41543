from __future__ import annotations

from app.core.extract import extract

SAMPLE = b"""=========
The Title
=========

.. image:: https://example.com/badge.svg
   :target: https://example.com

Intro with `a link <https://example.com>`_ and :func:`os.path.join`.

Section
-------

Example::

    $ run --this

.. code-block:: python

    print("hi")

Sub
~~~

Another section
---------------

Body.
"""


def test_levels_follow_the_order_styles_appear(extract_bytes):
    doc = extract_bytes("doc.rst", SAMPLE)
    assert doc.title == "The Title"
    got = [(b.kind, b.level, b.text, b.line) for b in doc.blocks]
    assert got == [
        ("heading", 1, "The Title", 1),
        ("text", 0, "Intro with a link and os.path.join.", 8),
        ("heading", 2, "Section", 10),
        ("text", 0, "Example:", 13),
        ("code", 0, "    $ run --this", 15),
        ("code", 0, '    print("hi")', 19),
        ("heading", 3, "Sub", 21),
        ("heading", 2, "Another section", 24),
        ("text", 0, "Body.", 27),
    ]


def test_corpus_readme(corpus):
    doc = extract(corpus / "notes/python3-jwt/README.rst")
    assert doc.kind == "rst" and doc.title == "PyJWT"
    assert ("heading", 2, "Installing") in [(b.kind, b.level, b.text) for b in doc.blocks]
    assert not any("badge.svg" in b.text for b in doc.blocks)
    assert any(b.kind == "code" and "pip install PyJWT" in b.text for b in doc.blocks)
