"""EPUB: the XHTML chapters of an e-book, in reading (spine) order."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from app.core.documents import Block, Document
from app.core.extract.decode import decode_text
from app.core.extract.errors import SkipFile
from app.core.extract.html import declared_charset, html_blocks
from app.core.extract.zips import SafeZip

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_ENC = "{http://www.w3.org/2001/04/xmlenc#}"
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/xml"}
# Font obfuscation is listed in encryption.xml too, but hides no text.
_FONT_OBFUSCATION = {
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
}


def _encrypted_paths(z: SafeZip) -> set[str]:
    """Members that DRM (not mere font obfuscation) has encrypted."""
    if not z.has("META-INF/encryption.xml"):
        return set()
    paths = set()
    for data in z.xml("META-INF/encryption.xml").iter(f"{_ENC}EncryptedData"):
        method = data.find(f"{_ENC}EncryptionMethod")
        if method is not None and method.get("Algorithm") in _FONT_OBFUSCATION:
            continue
        ref = data.find(f"{_ENC}CipherData/{_ENC}CipherReference")
        if ref is not None and ref.get("URI"):
            paths.add(posixpath.normpath(unquote(ref.get("URI", ""))))
    return paths


def _package_path(z: SafeZip) -> str:
    container = z.xml("META-INF/container.xml")
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise SkipFile("damaged EPUB: no package document")
    return rootfile.get("full-path", "")


def extract_epub(data: bytes) -> Document:
    """Extract an EPUB 2/3 book. Blocks carry no line: an e-book has no lines to go to."""
    z = SafeZip(data, "EPUB")
    opf_path = _package_path(z)
    opf = z.xml(opf_path)
    base = posixpath.dirname(opf_path)
    items = {
        item.get("id"): item
        for item in opf.iterfind(f"{_OPF}manifest/{_OPF}item")
        if item.get("id") and item.get("href")
    }
    encrypted = _encrypted_paths(z)
    blocks: list[Block] = []
    for ref in opf.iterfind(f"{_OPF}spine/{_OPF}itemref"):
        item = items.get(ref.get("idref"))
        if item is None or item.get("media-type") not in _HTML_TYPES:
            continue
        path = posixpath.normpath(posixpath.join(base, unquote(item.get("href", ""))))
        if path in encrypted:
            raise SkipFile("encrypted EPUB (DRM)")
        if not z.has(path):
            continue  # a dangling spine entry loses one chapter, not the book
        raw = z.read(path)
        blocks.extend(html_blocks(decode_text(raw, declared_charset(raw)), with_lines=False)[1])
    title_node = opf.find(f".//{_DC_TITLE}")
    title = title_node.text if title_node is not None else None
    return Document(title=title, blocks=blocks, kind="epub")
