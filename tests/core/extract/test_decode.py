from __future__ import annotations

import codecs
import os

import pytest

from app.core.extract import SkipFile, extract
from app.core.extract.decode import decode_text, looks_binary

FRENCH = (
    "Le café de l'hôtel est fermé le dimanche. À côté, la boulangerie propose des "
    "crêpes, des éclairs et des gâteaux à la crème fraîche. Où est passé le garçon ?\n"
) * 5


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + FRENCH.encode("utf-8"),
        FRENCH.encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + FRENCH.encode("utf-16-be"),
        FRENCH.encode("utf-32"),
        FRENCH.encode("utf-16-le"),  # no BOM: recognised by where the NULs sit
        FRENCH.encode("cp1252"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16be-bom", "utf32", "utf16le-no-bom", "cp1252"],
)
def test_encodings_are_detected(data):
    assert decode_text(data) == FRENCH
    assert not looks_binary(data[:8192])


def test_legacy_chinese_encoding_is_detected(corpus):
    original = (corpus / "manpages/zh_CN/chage.1.zh_CN.txt").read_text("utf-8")
    assert decode_text(original.encode("gb18030")) == original


def test_stray_bytes_in_utf8_text_do_not_change_its_encoding():
    data = FRENCH.encode("utf-8") + b"\xff corrupt \xfe\n" + "déjà vu\n".encode()
    assert decode_text(data) == FRENCH + "\ufffd corrupt \ufffd\ndéjà vu\n"


def test_declared_charset_is_used_when_utf8_fails():
    assert decode_text("naïve".encode("latin-1"), declared="latin-1") == "naïve"


def test_newlines_overstrike_and_terminal_colours_are_normalised():
    data = b"one\r\ntwo\rthree\nN\x08NA\x08AM\x08ME\x08E \x1b[1;31mred\x1b[0m"
    assert decode_text(data) == "one\ntwo\nthree\nNAME red"


def test_random_bytes_named_txt_are_binary(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(SkipFile, match="^binary file$"):
        extract(path)


def test_control_characters_without_nul_mean_binary():
    data = bytes(range(1, 256)) * 16
    assert b"\0" not in data and looks_binary(data)


def test_a_few_control_characters_do_not():
    data = ("plain words " * 200).encode() + b"\x01\x02"
    assert not looks_binary(data)
