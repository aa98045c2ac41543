"""Shared fixtures, loaded for every test through ``pytest_plugins`` in tests/conftest.py.

``clean_env`` is autouse: every test ignores the developer's GEMSEEK_* variables
(GEMSEEK_MODELS would otherwise point the tests at the real model cache),
writes XDG config (autostart entries) into its tmp dir, and retries do not pause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from app.core.fetch import net
from app.core.paths import Paths
from tests.helpers.index_server import IndexServer
from tests.helpers.wheels import FakeRelease


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("GEMSEEK_HOME", "GEMSEEK_MODELS", "GEMSEEK_PYPI_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # autostart entries land here
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(net, "RETRY_DELAYS", ())


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths.resolve(tmp_path / "home")


@pytest.fixture
def serve() -> Iterator[Callable[..., IndexServer]]:
    """Start an :class:`IndexServer` for a release: ``serve(release, fmt=..., served=...)``."""
    servers: list[IndexServer] = []

    def start(release: FakeRelease, **kwargs) -> IndexServer:
        server = IndexServer(release.pack.project, release.wheels, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
