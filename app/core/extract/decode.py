"""Bytes to text: binary sniffing, encoding detection, newline normalisation."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (  # UTF-32 first: its little-endian BOM starts like UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# C0 controls that never occur in real text. Tab, newlines, form feed, ESC
# (terminal colours in logs) and backspace (overstrike in man pages) do.
_CONTROL = frozenset(range(32)) - {8, 9, 10, 12, 13, 27} | {127}
_MAX_CONTROL_RATIO = 0.05

# Legacy encodings still found on disks, most common first: the order breaks
# ties when charset-normalizer finds several equally plausible (cp1250 and
# cp1252 read most French alike, but not "À"). Limiting the candidates to
# these also keeps it from picking rarities such as ISO-8859-5 for Chinese.
_LEGACY = (
    "cp1252", "gb18030", "big5", "shift_jis", "euc_jp", "cp949", "cp1251", "koi8_r",
    "cp1250", "iso8859_2", "iso8859_15", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp874", "cp1258",
)  # fmt: skip
_ASCII = bytes(range(128))
_OVERSTRIKE = re.compile(".\x08")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark announces, or None."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """Guess BOM-less UTF-16 from where the NUL bytes sit.

    Mostly-Latin UTF-16 text has a NUL in every other byte, all on the same
    side; binary formats scatter them.
    """
    even, odd = head[0::2], head[1::2]
    if len(odd) < 16:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.02:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.02:
        return "utf-16-be"
    return None


def sniff_encoding(head: bytes) -> str | None:
    """An encoding the first bytes make certain (BOM, BOM-less UTF-16), else None."""
    return bom_encoding(head) or (_utf16_without_bom(head) if b"\0" in head else None)


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file say it is not text, whatever its name.

    A NUL byte outside UTF-16/32, or more than a few control characters, is
    enough: text in any 8-bit or multibyte encoding has neither.
    """
    if sniff_encoding(head):
        return False
    if b"\0" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL)
    return controls > _MAX_CONTROL_RATIO * len(head)


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file's bytes and normalise newlines to ``\\n``.

    Order: a BOM (or BOM-less UTF-16) decides; else UTF-8, which almost never
    fits text in another encoding (a few bad bytes among many good UTF-8
    sequences become replacement characters); else the encoding the file
    declares (HTML ``<meta charset>``); else charset-normalizer's guess among
    common legacy encodings; else UTF-8 with replacement characters, so that
    some text always comes out.
    """
    text = None
    sniffed = sniff_encoding(data[:4096])
    if sniffed:
        text = _try(data, sniffed)
        if text is None and sniffed != "utf-16-le" and sniffed != "utf-16-be":
            text = data.decode(sniffed, errors="replace")
    if text is None:
        text = _try(data, "utf-8") or _mostly_utf8(data)
    if text is None and declared:
        text = _try(data, declared)
    if text is None:
        text = _guess_legacy(data)
    if text is None:
        text = data.decode("utf-8", errors="replace")
    return normalize_newlines(text)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with replacement characters, if the invalid bytes are rare strays.

    In UTF-8 every non-ASCII character takes two or more high bytes; in a
    legacy 8-bit encoding each high byte is a character of its own and nearly
    all of them are invalid UTF-8. A log with one corrupt byte stays UTF-8.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    high = len(data.translate(None, _ASCII))
    return text if 0 < 20 * bad < high else None


def _guess_legacy(data: bytes) -> str | None:
    """Decode with the most plausible legacy encoding, or None when none fits."""
    results = charset_normalizer.from_bytes(data, cp_isolation=list(_LEGACY), threshold=0.5)
    best = results.best()
    if best is None:
        return None
    ties = [
        m for m in results
        if abs(m.chaos - best.chaos) < 0.005 and abs(m.coherence - best.coherence) < 0.005
    ]  # fmt: skip
    chosen = min(ties, key=lambda m: _LEGACY.index(m.encoding) if m.encoding in _LEGACY else 99)
    return str(chosen)


def normalize_newlines(text: str) -> str:
    """Use ``\\n`` for every line break; drop terminal overstrike and colour codes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\b" in text:
        text = _OVERSTRIKE.sub("", text)
    if "\x1b" in text:
        text = _ANSI_ESCAPE.sub("", text)
    return text
