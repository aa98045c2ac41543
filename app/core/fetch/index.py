"""Read a project's file list from a Python package index's simple API.

Asks for the PEP 691 JSON form and falls back to parsing the PEP 503 HTML
page, which every index serves.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser

from app.core.errors import FetchError
from app.core.fetch import net

DEFAULT_INDEX = "https://pypi.org/simple/"
INDEX_ENV = "GEMSEEK_PYPI_INDEX"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


@dataclass(frozen=True)
class RemoteFile:
    """A file the index offers: where it is, its sha256, and its size when known."""

    filename: str
    url: str
    sha256: str | None
    size: int | None = None


def index_url(override: str | None = None) -> str:
    """The simple-API root: ``override``, else ``$GEMSEEK_PYPI_INDEX``, else PyPI."""
    return override or os.environ.get(INDEX_ENV) or DEFAULT_INDEX


def project_url(root: str, project: str) -> str:
    """The simple-API page of ``project`` (PEP 503 name normalization)."""
    name = re.sub(r"[-_.]+", "-", project).lower()
    return f"{root.rstrip('/')}/{name}/"


def list_files(root: str, project: str) -> dict[str, RemoteFile]:
    """Map each file name the index offers for ``project`` to its :class:`RemoteFile`.

    Raises:
        FetchError: the index cannot be reached or its answer cannot be read.
    """
    url = project_url(root, project)
    text, content_type, final_url = net.get_text(url, accept=ACCEPT)
    try:
        parse = _parse_json if content_type == JSON_TYPE else _parse_html
        files = parse(text, final_url)
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"cannot read the package index page {url}: {exc}") from exc
    return {f.filename: f for f in files}


def _parse_json(text: str, base: str) -> list[RemoteFile]:
    data = json.loads(text)
    return [
        RemoteFile(
            filename=item["filename"],
            url=urllib.parse.urljoin(base, item["url"]),
            sha256=item.get("hashes", {}).get("sha256"),
            size=item.get("size"),
        )
        for item in data["files"]
    ]


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _parse_html(text: str, base: str) -> list[RemoteFile]:
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    files = []
    for href, label in parser.links:
        url, fragment = urllib.parse.urldefrag(urllib.parse.urljoin(base, href))
        name = label or urllib.parse.unquote(url.rsplit("/", 1)[-1])
        algo, _, value = fragment.partition("=")
        files.append(RemoteFile(name, url, value if algo == "sha256" and value else None))
    return files
