"""What a new user does: fetch the model, run the demo, look at the status (real model, real CLI)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real_model


def gemseek(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "--home", str(home), *args],
        capture_output=True, text=True, timeout=600, check=False,
    )


def test_fetch_demo_and_status(real_paths, tmp_path):
    home = tmp_path / "home"
    fetched = gemseek("model", "fetch", "--source", str(real_paths.checkpoint), home=home)
    assert fetched.returncode == 0, fetched.stderr
    assert "Gemma Terms of Use" in fetched.stdout

    demo = gemseek(home=home)  # no command: the demo, which converts Q8_0 first
    assert demo.returncode == 0, demo.stderr
    ranked = [line for line in demo.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert "rent goes up" in ranked[0]  # the sample query finds the rent letter first
    assert "Traceback" not in demo.stderr

    status = json.loads(gemseek("model", "status", "--json", home=home).stdout)
    assert status["checkpoint"]["verified"] is True
    assert [(g["qtype"], g["active"]) for g in status["gguf"]] == [("Q8_0", True)]

    again = gemseek("model", "fetch", home=home)  # a good copy: nothing to do, no network
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert "Gemma Terms of Use" not in again.stdout
