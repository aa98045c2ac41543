"""A second start hands its request to the running instance and exits; nobody else can take its place."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from app.core import instance_socket
from app.ui.single_instance import AlreadyRunning, InstanceServer, address, hand_over, is_private, send_to_running

posix_only = pytest.mark.skipif(os.name != "posix", reason="local sockets in folders are POSIX")


@pytest.fixture
def short_tmp():
    """A folder with a short path (a socket path must fit in about 100 bytes; pytest's are longer)."""
    folder = tempfile.mkdtemp(prefix="gs-", dir="/tmp" if os.path.isdir("/tmp") else None)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def test_address_depends_on_the_data_folder(tmp_path):
    assert address(tmp_path / "a") != address(tmp_path / "b")
    assert address(tmp_path / "a") == address(tmp_path / "a")


@posix_only
def test_the_socket_lives_in_a_folder_only_this_user_can_enter(short_tmp, monkeypatch):
    tmp_path = short_tmp
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    shared = tmp_path / "tmp"
    shared.mkdir(mode=0o777)
    shared.chmod(0o1777)
    monkeypatch.setattr(instance_socket.tempfile, "gettempdir", lambda: str(shared))
    public_data = tmp_path / "data"
    public_data.mkdir(mode=0o755)
    path = address(public_data)
    assert os.path.dirname(path) != str(shared)  # never the predictable name in the shared temp folder
    assert is_private(os.path.dirname(path))
    private_data = tmp_path / "private"
    private_data.mkdir(mode=0o700)
    assert os.path.dirname(address(private_data)) == str(private_data)


@posix_only
def test_a_squatted_folder_in_the_temp_folder_is_not_used(short_tmp, monkeypatch):
    tmp_path = short_tmp
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    shared = tmp_path / "tmp"
    shared.mkdir()
    squat = shared / f"gemseek-{os.getuid()}"
    squat.mkdir(mode=0o777)  # made open by "someone else" before we ever ran
    squat.chmod(0o777)
    monkeypatch.setattr(instance_socket.tempfile, "gettempdir", lambda: str(shared))
    with pytest.raises(OSError, match="no private folder"):
        address(tmp_path / "data-not-there-yet")
    assert not hand_over(tmp_path / "data-not-there-yet", "quick", wait_s=0.2)


@posix_only
def test_a_later_start_finds_the_instance_when_the_data_folder_became_private_meanwhile(qtbot, short_tmp, monkeypatch):
    """The instance chose its socket folder while the data folder was still open to others; the later start
    (whose set-up made the data folder private) must still look where the instance listens."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    own_tmp = short_tmp / "tmp"
    own_tmp.mkdir(mode=0o700)
    monkeypatch.setattr(instance_socket.tempfile, "gettempdir", lambda: str(own_tmp))
    data = short_tmp / "data"
    data.mkdir(mode=0o755)
    server = InstanceServer(data)
    server.answer = lambda query: {"query": "still here"}
    try:
        assert os.path.dirname(server.name) == str(own_tmp / f"gemseek-{os.getuid()}")
        data.chmod(0o700)  # what `gemseek quick` does to the folders before it asks
        assert os.path.dirname(address(data)) == str(data)  # the place a new instance would choose now
        with qtbot.waitSignal(server.command, timeout=10_000) as blocker:
            assert hand_over(data, "quick", wait_s=5)
        assert blocker.args == ["quick"]
        answer = {}
        thread = threading.Thread(target=lambda: answer.update(instance_socket.ask(data, "state", timeout=5) or {}))
        thread.start()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
        assert answer == {"query": "still here"}
    finally:
        server.close()


def test_nobody_listening_means_not_handed_over(qtbot, tmp_path):
    assert not send_to_running(address(tmp_path), "quick", timeout_ms=200)
    assert not hand_over(tmp_path, "quick", wait_s=0.3)


def test_commands_reach_the_server(qtbot, tmp_path):
    server = InstanceServer(tmp_path)
    try:
        with qtbot.waitSignal(server.command, timeout=5000) as blocker:
            assert hand_over(tmp_path, "quick")
        assert blocker.args == ["quick"]
        with qtbot.assertNotEmitted(server.command, wait=200):
            send_to_running(server.name, "rm -rf /")  # unknown commands are ignored
    finally:
        server.close()


@posix_only
def test_a_process_without_qt_can_ask_the_running_app_what_it_shows(qtbot, tmp_path):
    """`gemseek status --json` and the installers' smoke test see the app from outside."""
    server = InstanceServer(tmp_path)
    server.answer = lambda query: {"asked": query, "window": {"visible": True}}
    answers: list = []
    try:
        asker = threading.Thread(target=lambda: answers.append(instance_socket.ask(tmp_path, "state")))
        asker.start()
        qtbot.waitUntil(lambda: bool(answers), timeout=5000)  # the server answers from this thread's event loop
        assert answers == [{"asked": "state", "window": {"visible": True}}]
        with qtbot.waitSignal(server.command, timeout=5000) as blocker:
            assert instance_socket.ask(tmp_path, "quit") == {}  # a command: delivered, nothing to read
        assert blocker.args == ["quit"]
    finally:
        server.close()
    assert instance_socket.ask(tmp_path, "state") is None  # nobody listens any more


def test_a_second_instance_at_the_same_moment_never_takes_over(qtbot, tmp_path):
    first = InstanceServer(tmp_path)
    try:
        with pytest.raises(AlreadyRunning):
            InstanceServer(tmp_path)  # it used to delete the first's live socket and listen itself
        with qtbot.waitSignal(first.command, timeout=5000):
            assert hand_over(tmp_path, "show")  # the first still answers
    finally:
        first.close()
    again = InstanceServer(tmp_path)  # free once the first is gone
    again.close()


@posix_only
def test_a_dead_instance_s_socket_is_replaced(qtbot, tmp_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(address(tmp_path))  # a crashed instance left its socket file
    stale.close()
    server = InstanceServer(tmp_path)
    try:
        with qtbot.waitSignal(server.command, timeout=5000):
            assert hand_over(tmp_path, "quick")
    finally:
        server.close()


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED"), reason="the OS does not tell a socket's peer")
def test_another_user_is_neither_obeyed_nor_fed(qtbot, tmp_path, monkeypatch):
    server = InstanceServer(tmp_path)
    try:
        real = os.getuid()
        monkeypatch.setattr(instance_socket.os, "getuid", lambda: real + 1)  # every peer now looks foreign
        with qtbot.assertNotEmitted(server.command, wait=500):
            assert not send_to_running(server.name, "quick")  # the client does not hand over to a stranger
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # nor does the server obey one
            client.connect(server.name)
            client.sendall(b"quick\n")
            client.close()
    finally:
        server.close()


def test_gemseek_quick_hands_off_to_the_running_instance(qtbot, paths):
    """The real command line: `gemseek quick` finds the instance of its home and exits at once."""
    server = InstanceServer(paths.data)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        with qtbot.waitSignal(server.command, timeout=60_000) as blocker:
            proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(paths.data.parent), "quick"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _out, err = proc.communicate(timeout=60)
    finally:
        server.close()
    assert blocker.args == ["quick"]
    assert proc.returncode == 0, err
    assert "Traceback" not in err


@posix_only
def test_gemseek_quit_asks_the_running_instance_and_waits_until_it_is_gone(qtbot, paths):
    server = InstanceServer(paths.data)
    server.command.connect(lambda c: server.close() if c == "quit" else None)  # an app that quits at once
    proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(paths.data.parent), "quit", "--wait", "30"],
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)
    out, err = proc.communicate()
    assert proc.returncode == 0 and "has quit" in out, err
    again = subprocess.run([sys.executable, "-m", "app", "--home", str(paths.data.parent), "quit"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "not running" in again.stdout
