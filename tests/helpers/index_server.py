"""A miniature package index (PEP 503 HTML or PEP 691 JSON) on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class IndexServer:
    """Serve one project's files from memory in a background thread; log every request.

    Args:
        project: the project name (its page is ``/simple/<project>/``).
        files: what the index lists (and hashes).
        served: what is actually sent for a file name, when it differs from
            ``files`` (to fake a corrupted download).
        fmt: ``"html"`` (PEP 503 only) or ``"json"`` (PEP 691).
    """

    def __init__(
        self,
        project: str,
        files: dict[str, bytes],
        *,
        served: dict[str, bytes] | None = None,
        fmt: str = "html",
    ) -> None:
        self.project = project
        self.files = files
        self.served = {**files, **(served or {})}
        self.fmt = fmt
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/simple/"

    def start(self) -> IndexServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def file_requests(self) -> list[str]:
        with self._lock:
            return [r for r in self.requests if r.startswith("/files/")]

    def _page(self) -> tuple[str, bytes]:
        rows = [
            (name, f"../../files/{name}", hashlib.sha256(data).hexdigest(), len(data))
            for name, data in sorted(self.files.items())
        ]
        if self.fmt == "json":
            body = {
                "meta": {"api-version": "1.1"},
                "name": self.project,
                "files": [
                    {"filename": n, "url": u, "hashes": {"sha256": h}, "size": s}
                    for n, u, h, s in rows
                ],
            }
            return JSON_TYPE, json.dumps(body).encode()
        links = "\n".join(f'<a href="{u}#sha256={h}">{n}</a><br/>' for n, u, h, _ in rows)
        html = (
            f"<!DOCTYPE html><html><body><h1>Links for {self.project}</h1>\n{links}\n</body></html>"
        )
        return "text/html; charset=utf-8", html.encode()

    def _route(self, path: str) -> tuple[str, bytes] | None:
        if path == f"/simple/{self.project}/":
            return self._page()
        name = path.removeprefix("/files/")
        if path.startswith("/files/") and name in self.served:
            return "application/octet-stream", self.served[name]
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the http.server API needs this name
                with server._lock:
                    server.requests.append(self.path)
                found = server._route(self.path)
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
