"""Plain urllib HTTP: a User-Agent, timeouts, a few retries, verified downloads.

No pip and no requests: this runs inside the frozen app.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from app import __version__
from app.core.checkpoint import hash_copy
from app.core.errors import NO_SPACE, DiskFullError, FetchError, IntegrityError
from app.core.progress import CancelToken

log = logging.getLogger(__name__)

USER_AGENT = f"gemseek/{__version__}"
TIMEOUT = 30.0
# Pauses before the second and third attempts; tests set them to zero.
RETRY_DELAYS: tuple[float, ...] = (1.0, 4.0)

# An index page (a project's file list) is a few kilobytes; a server sending more is not an index.
MAX_PAGE_BYTES = 8 << 20

T = TypeVar("T")


def require_secure(url: str) -> None:
    """Refuse any URL but ``https:`` (plain ``http:`` only to this computer, a local mirror).

    Raises:
        FetchError: naming the URL and what is allowed.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname or "")):
        return
    raise FetchError(f"refusing to download from {url}: only https:// addresses are used (plain http:// only "
                     "to this computer)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SecureRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        require_secure(newurl)  # an https index must not hand us over to plain http
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SecureRedirects)


def urlopen(url: str, accept: str | None = None):
    """Open ``url`` (https, or http to this computer) with our headers, timeout and redirect check."""
    require_secure(url)
    return _opener.open(request(url, accept), timeout=TIMEOUT)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    if isinstance(exc, OSError) and exc.errno in NO_SPACE:
        return False
    return isinstance(exc, (OSError, http.client.HTTPException))


def with_retries(what: str, attempt: Callable[[], T]) -> T:
    """Run ``attempt``, retrying network failures; raise :class:`FetchError` in the end."""
    delays = list(RETRY_DELAYS)
    while True:
        try:
            return attempt()
        except (OSError, http.client.HTTPException) as exc:
            _wait_to_retry(what, exc, delays)


def _wait_to_retry(what: str, exc: OSError | http.client.HTTPException, delays: list[float]) -> None:
    """After a failed attempt at ``what``: wait the next of ``delays``, or raise FetchError when it is no use."""
    if not _retryable(exc) or not delays:
        raise FetchError(f"cannot download {what}: {_describe(exc)}") from exc
    delay = delays.pop(0)
    log.warning("downloading %s failed (%s); retrying in %.0fs", what, _describe(exc), delay)
    time.sleep(delay)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def request(url: str, accept: str | None = None) -> urllib.request.Request:
    """A GET request carrying our User-Agent (and ``Accept`` when given)."""
    headers = {"User-Agent": USER_AGENT}
    if accept:
        headers["Accept"] = accept
    return urllib.request.Request(url, headers=headers)


def get_text(url: str, accept: str | None = None) -> tuple[str, str, str]:
    """Fetch a small document; return (text, content type, final URL)."""

    def attempt() -> tuple[str, str, str]:
        with urlopen(url, accept) as resp:
            charset = resp.headers.get_content_charset() or "utf-8"
            raw = resp.read(MAX_PAGE_BYTES + 1)
            if len(raw) > MAX_PAGE_BYTES:
                raise FetchError(f"{url} sent more than {MAX_PAGE_BYTES >> 20} MB for an index page; "
                                 "is the package index address right?")
            return raw.decode(charset, errors="replace"), resp.headers.get_content_type(), resp.geturl()

    return with_retries(url, attempt)


def download(
    url: str,
    dest: Path,
    sha256: str,
    cancel: CancelToken | None = None,
) -> Iterator[int]:
    """Download ``url`` to ``dest`` only if its sha256 matches.

    Yields how many bytes the current attempt has received so far (a retried
    attempt starts again from zero). The bytes go to ``dest.part`` first and
    are renamed into place once verified, so a file at ``dest`` is always
    complete.

    Raises:
        FetchError: the download kept failing, or ``url`` is not https.
        IntegrityError: the bytes do not match ``sha256``.
        DiskFullError: ``dest``'s disk (or a quota or file-size limit) is full; not retried.
    """
    require_secure(url)
    part = dest.with_name(dest.name + ".part")
    delays = list(RETRY_DELAYS)
    try:
        while True:
            got = 0
            digest = hashlib.sha256()
            try:
                with (
                    urlopen(url) as resp,
                    open(part, "wb") as out,
                ):
                    for n in hash_copy(resp, out, digest, cancel):
                        got += n
                        yield got
                break
            except (OSError, http.client.HTTPException) as exc:
                if isinstance(exc, OSError) and exc.errno in NO_SPACE:
                    raise DiskFullError(f"the disk holding {dest.parent} is full ({exc.strerror}) while downloading "
                                        f"{dest.name}; free some space and try again") from exc
                _wait_to_retry(url, exc, delays)  # (a generator: with_retries cannot wrap it)
        if digest.hexdigest() != sha256:
            raise IntegrityError(
                f"{dest.name}: expected sha256 {sha256}, got {digest.hexdigest()} (from {url})"
            )
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
