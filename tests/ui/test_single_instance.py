"""A second start hands its request to the running instance and exits."""

from __future__ import annotations

import os
import subprocess
import sys

from app.ui.single_instance import InstanceServer, send_to_running, server_name


def test_server_name_depends_on_the_data_folder(tmp_path):
    assert server_name(str(tmp_path / "a")) != server_name(str(tmp_path / "b"))
    assert server_name(str(tmp_path / "a")) == server_name(str(tmp_path / "a"))


def test_nobody_listening_means_not_handed_over(qtbot, tmp_path):
    assert not send_to_running(server_name(str(tmp_path)), "quick", timeout_ms=200)


def test_commands_reach_the_server(qtbot, tmp_path):
    name = server_name(str(tmp_path))
    server = InstanceServer(name)
    try:
        with qtbot.waitSignal(server.command, timeout=5000) as blocker:
            assert send_to_running(name, "quick")
        assert blocker.args == ["quick"]
        with qtbot.assertNotEmitted(server.command, wait=200):
            send_to_running(name, "rm -rf /")  # unknown commands are ignored
    finally:
        server.close()


def test_gemseek_quick_hands_off_to_the_running_instance(qtbot, paths):
    """The real command line: `gemseek quick` finds the instance of its home and exits at once."""
    server = InstanceServer(server_name(str(paths.data)))
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
