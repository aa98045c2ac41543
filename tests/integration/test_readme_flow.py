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

    demo = gemseek(home=home)  # no command: converts Q8_0, indexes the samples, runs sample searches
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    firsts = {}
    query = None
    for line in demo.stdout.splitlines():
        if line.startswith("Search: "):
            query = line[len('Search: "'):-1]
        elif line.startswith(" 1. ") and query:
            firsts[query] = line.split()[1].rsplit("/", 1)[-1]
    assert firsts == {  # each sample query finds its document first, across languages and formats
        "speech honoring soldiers who died on a battlefield": "gettysburg-address.txt",
        "poem about a father riding through the night with his child": "erlkoenig.md",
        "save food for the winter instead of singing all summer": "la-cigale-et-la-fourmi.html",
        "a cat that has no name yet": "wagahai-wa-neko-de-aru.txt",
        "function that retries HTTP calls": "http_retry.py",
    }

    status = json.loads(gemseek("model", "status", "--json", home=home).stdout)
    assert status["checkpoint"]["verified"] is True
    assert [(g["qtype"], g["active"]) for g in status["gguf"]] == [("Q8_0", True)]

    again = gemseek("model", "fetch", home=home)  # a good copy: nothing to do, no network
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert "Gemma Terms of Use" not in again.stdout
