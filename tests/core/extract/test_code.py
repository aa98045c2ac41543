from __future__ import annotations

import pytest

from app.core.extract import extract

PYTHON = b'''"""Module docstring."""

import os


# Helpers for paths.

@cache
def first(x):
    y = x

    return y


class Thing:
    def method(self):
        pass

    def other(self):
        pass


if __name__ == "__main__":
    first(1)
'''


def test_python_blocks_follow_top_level_definitions(extract_bytes):
    doc = extract_bytes("mod.py", PYTHON)
    assert doc.kind == "code" and doc.title is None
    assert [(b.kind, b.line, b.text.split("\n")[0]) for b in doc.blocks] == [
        ("code", 1, '"""Module docstring."""'),
        ("code", 6, "# Helpers for paths."),  # the comment and decorator stay with the function
        ("code", 15, "class Thing:"),
        ("code", 23, 'if __name__ == "__main__":'),
    ]
    assert doc.blocks[1].text.endswith("    return y")
    assert "def other(self)" in doc.blocks[2].text  # blank lines inside a class do not split it


C_SOURCE = b"""#include <stdio.h>

static int depth;

/* Print one line. */
static void
print_line(const char *s)
{
    puts(s);

    depth++;
}

int main(void) {
    print_line("hi");
    return 0;
}
"""


def test_c_functions_with_the_return_type_on_its_own_line(extract_bytes):
    doc = extract_bytes("prog.c", C_SOURCE)
    assert [(b.line, b.text.split("\n")[0]) for b in doc.blocks] == [
        (1, "#include <stdio.h>"),
        (5, "/* Print one line. */"),
        (14, "int main(void) {"),
    ]


@pytest.mark.parametrize(
    ("name", "source", "starts"),
    [
        (
            "a.go",
            'package main\n\nimport "fmt"\n\nfunc A() {\n\n\tfmt.Println()\n}\n\ntype T struct{}\n',
            [1, 5, 10],
        ),
        (
            "a.rs",
            "use std::io;\n\npub fn a() {\n\n    b();\n}\n\nimpl T {\n    fn c() {}\n}\n",
            [1, 3, 8],
        ),
        (
            "a.ts",
            "import x from 'x';\n\nexport async function a() {\n\n  return 1;\n}\n\nclass B {}\n",
            [1, 3, 8],
        ),
        ("a.sql", "-- table\nCREATE TABLE t (id int);\n\nINSERT INTO t VALUES (1);\n", [1, 4]),
        ("a.rb", "require 'x'\n\nmodule M\n\n  def a; end\nend\n", [1, 3]),
        ("a.sh", "set -e\n\nusage() {\n\n  echo hi\n}\n\nusage\n", [1, 3, 8]),
    ],
)
def test_definitions_in_other_languages(extract_bytes, name, source, starts):
    assert [b.line for b in extract_bytes(name, source.encode()).blocks] == starts


def test_without_definitions_paragraphs_are_blocks(extract_bytes):
    doc = extract_bytes("data.json", b'{\n  "a": 1\n}\n\n\n{"b": 2}\n')
    assert [(b.text, b.line) for b in doc.blocks] == [('{\n  "a": 1\n}', 1), ('{"b": 2}', 6)]


def test_shebang_script_without_extension(extract_bytes):
    doc = extract_bytes(
        "deploy", b"#!/usr/bin/env python3\nimport sys\n\n\ndef main():\n    pass\n"
    )
    assert doc.kind == "code"
    assert [b.line for b in doc.blocks] == [1, 5]


def test_makefile_by_name(extract_bytes):
    doc = extract_bytes(
        "Makefile", b"CC = cc\n\nall: prog\n\tcc -o prog prog.c\n\nclean:\n\trm prog\n"
    )
    assert doc.kind == "code" and [b.line for b in doc.blocks] == [1, 3, 6]


def test_corpus_sources_start_every_block_at_its_line(corpus):
    for path in sorted((corpus / "src").rglob("*.*")):
        lines = path.read_text().split("\n")
        doc = extract(path)
        assert doc.blocks, path
        for block in doc.blocks:
            assert lines[block.line - 1].rstrip() == block.text.split("\n")[0].rstrip(), (
                path,
                block.line,
            )


def test_corpus_python_function_is_one_block(corpus):
    doc = extract(corpus / "src/python/colorsys.py")
    block = next(b for b in doc.blocks if b.text.startswith("def hls_to_rgb"))
    assert "return (_v(m1, m2, h+ONE_THIRD)" in block.text and "def _v" not in block.text
