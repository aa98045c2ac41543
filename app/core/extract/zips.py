"""Reading the insides of zip-based documents (DOCX, ODT, EPUB) without being bombed.

A zip bomb declares, or hides, a member that inflates to gigabytes. Members
are checked against their declared size and compression ratio before any
byte is inflated, and reads stop at a budget whatever the headers claim, so
no archive costs more than :data:`MAX_UNPACKED_BYTES` of work.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from app.core.extract.errors import SkipFile

MAX_MEMBER_BYTES = 100_000_000
"""Largest member (once inflated) a document may have; real ones are far below."""
MAX_UNPACKED_BYTES = 200_000_000
"""Most bytes inflated from one archive, over all the members read."""
MAX_RATIO = 200
"""Highest compression ratio believed for a member larger than :data:`RATIO_FLOOR`."""
RATIO_FLOOR = 1_000_000
_CHUNK = 1 << 16
_BOMB = "archive expands too much (possible zip bomb)"


class SafeZip:
    """A zip archive held in memory, read member by member within a budget.

    Args:
        data: the archive's bytes.
        fmt: the format's name for reasons ("DOCX", "ODT", "EPUB").
    """

    def __init__(self, data: bytes, fmt: str) -> None:
        self.fmt = fmt
        self.budget = MAX_UNPACKED_BYTES
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise SkipFile(f"damaged {fmt}: not a zip file") from None
        except (zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError) as err:
            raise SkipFile(f"damaged {fmt}: {type(err).__name__}") from None

    def has(self, name: str) -> bool:
        try:
            self.zf.getinfo(name)
        except KeyError:
            return False
        return True

    def _check(self, name: str) -> zipfile.ZipInfo:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise SkipFile(f"damaged {self.fmt}: {name} is missing") from None
        if info.flag_bits & 0x1:
            raise SkipFile(f"encrypted {self.fmt} (password protected)")
        if info.file_size > min(MAX_MEMBER_BYTES, self.budget):
            raise SkipFile(_BOMB)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SkipFile(_BOMB)
        return info

    def chunks(self, name: str) -> Iterator[bytes]:
        """Yield the inflated bytes of member ``name`` in pieces, within the budget.

        Raises:
            SkipFile: missing, encrypted, too large (declared or actual) or corrupt.
        """
        self._check(name)
        limit = min(MAX_MEMBER_BYTES, self.budget)
        try:
            with self.zf.open(name) as member:
                while chunk := member.read(_CHUNK):
                    limit -= len(chunk)
                    self.budget -= len(chunk)
                    if limit < 0:  # the header lied about the size
                        raise SkipFile(_BOMB)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError) as err:  # fmt: skip
            raise SkipFile(
                f"damaged {self.fmt}: {name} is corrupt ({type(err).__name__})"
            ) from None

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))

    def xml(self, name: str) -> ET.Element:
        """Parse a small member (metadata, manifest) as a whole XML tree."""
        return parse_xml(self.read(name), f"{self.fmt}: {name}")

    def iter_xml(self, name: str) -> Iterator[tuple[str, ET.Element]]:
        """Parse a member incrementally, yielding ``("start"|"end", element)`` events.

        The caller clears elements it has used, so a large document body never
        sits in memory as a whole tree.
        """
        parser = ET.XMLPullParser(events=("start", "end"))
        try:
            for chunk in self.chunks(name):
                parser.feed(chunk)
                yield from parser.read_events()
            parser.close()
            yield from parser.read_events()
        except ET.ParseError:
            raise SkipFile(f"damaged {self.fmt}: invalid XML in {name}") from None


def parse_xml(data: bytes, what: str) -> ET.Element:
    """Parse XML bytes; expat (>= 2.4) refuses entity-expansion bombs by itself."""
    try:
        return ET.fromstring(data)
    except ET.ParseError:
        raise SkipFile(f"damaged {what}: invalid XML") from None
