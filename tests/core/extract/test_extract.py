from __future__ import annotations

import csv
import os
import re
import shutil

import pytest

import app.core.extract as extraction
from app.core.extract import SUPPORTED_EXTENSIONS, SkipFile, extract, is_supported
from bench.shared import shared_dir

KINDS_OF_FORMAT = {
    "text": {"text", "markdown"},  # an extensionless README may well be Markdown (libyajl2's is)
    "markdown": {"markdown"}, "html": {"html"}, "rst": {"rst"}, "pdf": {"pdf"}, "docx": {"docx"},
    "odt": {"odt"}, "code-c": {"code"}, "code-python": {"code"}, "code-perl": {"code"},
    "code-sed": {"code"}, "code-sql": {"text"},  # the SQL examples are named *.example
}  # fmt: skip


def test_every_corpus_file_is_extracted_as_its_format(corpus):
    with open(shared_dir() / "eval" / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == 206
    for row in rows:
        path = corpus / row["relpath"]
        assert is_supported(path), path
        doc = extract(path)
        assert doc.kind in KINDS_OF_FORMAT[row["format"]], path
        assert len(doc.text) > 0.3 * int(row["text_chars"]), path
        assert all(
            b.text.strip() and b.text == b.text.rstrip() and not b.text.startswith("\n")
            for b in doc.blocks
        )


def test_supported_names():
    assert {
        ".txt",
        ".md",
        ".rst",
        ".py",
        ".c",
        ".sql",
        ".html",
        ".pdf",
        ".docx",
        ".odt",
        ".epub",
        ".rtf",
    } <= (SUPPORTED_EXTENSIONS)
    for name in (
        "notes.TXT",
        "README",
        "README.Debian",
        "NEWS.Debian",
        "Makefile",
        "config.toml.example",
        "x/y/.bashrc",
        "pi.b",  # a bc program
        "startup.tcsh",
        "notes.whatever",
    ):
        assert is_supported(name), name
    for name in ("photo.jpg", "archive.tar.gz", "movie.mkv", "lib.so", "changelog.Debian.gz", "sheet.xlsx"):
        assert not is_supported(name), name


def test_unsupported_type(extract_bytes):
    reason = "unsupported type: .jpg images are read only with OCR on (Settings, or gemseek index --ocr)"
    with pytest.raises(SkipFile, match=f"^{re.escape(reason)}$"):
        extract_bytes("photo.jpg", b"\xff\xd8\xff\xe0")
    with pytest.raises(SkipFile, match="^unsupported type: .mkv files are not read$"):
        extract_bytes("movie.mkv", b"\x1a\x45\xdf\xa3")


def test_text_is_read_whatever_its_extension(extract_bytes):
    doc = extract_bytes("pi.b", b"/* compute pi to 100 digits */\nscale = 100\n4 * a(1)\n")
    assert "compute pi" in doc.text
    doc = extract_bytes("login.tcsh", b"#!/bin/tcsh\nsetenv EDITOR vi\n")
    assert "setenv EDITOR" in doc.text
    with pytest.raises(SkipFile, match="^binary file$"):  # an unknown extension with binary content
        extract_bytes("data.xyz", bytes(range(256)) * 8)


def test_empty_and_blank_files(extract_bytes):
    with pytest.raises(SkipFile, match="^empty file$"):
        extract_bytes("empty.md", b"")
    with pytest.raises(SkipFile, match="^no text in file$"):
        extract_bytes("blank.txt", b"  \n\t\n\n")


def test_size_limit_is_a_parameter(extract_bytes):
    with pytest.raises(SkipFile, match="^file is larger than 1 kB$"):
        extract_bytes("big.txt", b"word " * 400, max_bytes=1000)
    assert extract_bytes("small.txt", b"word " * 100, max_bytes=1000).text.startswith("word")


def test_default_limit_is_50_mb(tmp_path):
    path = tmp_path / "huge.log"
    with open(path, "wb") as f:
        f.truncate(50_000_001)  # sparse: no 50 MB written
    with pytest.raises(SkipFile, match="^file is larger than 50 MB$"):
        extract(path)


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("this user reads files whatever their mode (root); see the next test")
        with pytest.raises(SkipFile, match="^permission denied$"):
            extract(path)
    finally:
        path.chmod(0o644)


def test_permission_error_while_opening(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("hidden")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(SkipFile, match="^permission denied$"):
        extract(path)


def test_file_deleted_after_listing(tmp_path):
    with pytest.raises(SkipFile, match="^file disappeared before it could be read$"):
        extract(tmp_path / "gone.txt")


def test_broken_symlink_and_loop(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(SkipFile, match="^broken symbolic link$"):
        extract(tmp_path / "dangling.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(SkipFile, match="^symbolic link loop$"):
        extract(tmp_path / "a.txt")


def test_fifo_and_directory_are_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # opening it for reading would block without O_NONBLOCK
    with pytest.raises(SkipFile, match="^not a regular file$"):
        extract(tmp_path / "pipe.txt")
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(SkipFile, match="^not a regular file$"):
        extract(tmp_path / "folder.md")


def test_invalid_utf8_in_the_file_name(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"r\xe9sum\xe9 \xff.md")
    with open(raw, "wb") as f:
        f.write(b"# CV\n\nExperience.\n")
    path = os.fsdecode(raw)  # a str with surrogate escapes, as os.listdir gives it
    doc = extract(path)
    assert doc.title == "CV" and doc.kind == "markdown"


def test_a_library_bug_becomes_a_skip(extract_bytes, monkeypatch):
    def broken(data: bytes):
        raise KeyError("bug")

    fmt = extraction._FORMATS[".md"]
    monkeypatch.setitem(extraction._FORMATS, ".md", type(fmt)(fmt.label, broken))
    with pytest.raises(SkipFile, match="^could not read Markdown: KeyError$"):
        extract_bytes("notes.md", b"# fine")


def test_extensionless_files_are_sniffed(extract_bytes, corpus):
    assert extract_bytes("NOTES", b"Some plain notes.\n").kind == "text"
    pdf = (corpus / "docs/pdf/cite.pdf").read_bytes()
    assert extract_bytes("manual", pdf).kind == "pdf"
    assert extract_bytes("index", b"<!DOCTYPE html><title>T</title><p>x</p>").kind == "html"
    with pytest.raises(SkipFile, match="^binary file$"):
        extract_bytes("program", b"\x7fELF\x02\x01\x01" + bytes(200))


def test_binary_content_whatever_the_extension(extract_bytes):
    for name in ("data.md", "page.html", "main.py", "notes.rtf"):
        with pytest.raises(SkipFile, match="^binary file$"):
            extract_bytes(name, b"PK\x03\x04" + bytes(range(256)) * 4)


def test_path_like_and_relative_paths(tmp_path, monkeypatch, corpus):
    shutil.copy(corpus / "notes/jq/README", tmp_path / "README")
    monkeypatch.chdir(tmp_path)
    assert extract("README").title == "jq"
