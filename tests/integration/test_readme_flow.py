"""What a new user does, through the real command line and the real model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.engine.config import AUTO_TYPES, FAITHFUL
from app.core.paths import resources_dir

pytestmark = pytest.mark.real_model


def gemseek(*args: str, home: Path) -> subprocess.CompletedProcess:
    # As on CI: no display, so a bare `gemseek` falls back to the terminal demo.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run(
        [sys.executable, "-m", "app", "--home", str(home), *args],
        capture_output=True, text=True, timeout=900, check=False, env=env,
    )


@pytest.fixture(scope="module")
def home(real_paths, tmp_path_factory):
    home = tmp_path_factory.mktemp("cli") / "home"
    fetched = gemseek("model", "fetch", "--source", str(real_paths.checkpoint), home=home)
    assert fetched.returncode == 0, fetched.stderr
    assert "Gemma Terms of Use" in fetched.stdout
    return home


def test_demo_converts_indexes_the_samples_and_finds_each(home):
    demo = gemseek(home=home)  # no command, no display: converts and measures the engine, indexes, searches
    assert demo.returncode == 0, demo.stderr
    assert "no display found" in demo.stderr
    assert "Traceback" not in demo.stderr
    firsts, query = {}, None
    for line in demo.stdout.splitlines():
        if line.startswith("Search: "):
            query = line[len('Search: "'):-1]
        elif line.startswith(" 1. ") and query:
            firsts[query] = Path(line.split()[1]).name
    assert firsts == {  # each sample query finds its document first, across languages and formats
        "speech honoring soldiers who died on a battlefield": "gettysburg-address.txt",
        "poem about a father riding through the night with his child": "erlkoenig.md",
        "save food for the winter instead of singing all summer": "la-cigale-et-la-fourmi.html",
        "a cat that has no name yet": "wagahai-wa-neko-de-aru.txt",
        "function that retries HTTP calls": "http_retry.py",
    }
    status = json.loads(gemseek("model", "status", "--json", home=home).stdout)
    assert status["checkpoint"]["verified"] is True
    engine = status["engine"]  # measured on this machine, in child processes, before anything was embedded
    chosen = engine["config"]["qtype"]
    assert engine["measured"] and chosen in FAITHFUL and engine["backend"] == "CPU"
    assert engine["fidelity"]["cos_mean"] >= 0.9995 and engine["fidelity"]["cos_min"] >= 0.998
    assert engine["tokens_per_s"] > 0 and engine["query_ms"] > 0 and engine["probe_seconds"] < 120
    assert {t["config"]["qtype"] for t in engine["trials"]} == set(AUTO_TYPES)
    assert all(t["ok"] or t["reason"] for t in engine["trials"])
    # The chosen file and Q8_0 stay; a candidate that lost is removed again.
    assert {(g["qtype"], g["active"]) for g in status["gguf"]} == {(chosen, True), ("Q8_0", chosen == "Q8_0")}
    assert status["active"]["quantization"] == "auto" and status["active"]["type"] == chosen
    again = gemseek("model", "fetch", home=home)  # a good copy: nothing to do, no network
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert "Gemma Terms of Use" not in again.stdout


def test_index_search_status_on_real_files(home, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(resources_dir() / "samples", docs)
    (docs / "noise.txt").write_bytes(os.urandom(3000))
    indexed = gemseek("index", str(docs), home=home)
    assert indexed.returncode == 0, indexed.stderr
    assert "9 files indexed" in indexed.stdout and "1 skipped" in indexed.stdout

    found = json.loads(gemseek("search", "rights of the people to change their government", "--json",
                               home=home).stdout)
    top = found["results"][0]
    assert top["path"] == str(docs / "founding-texts-usa.pdf")
    assert top["location"]["page"] == 1 and top["snippet"] and top["highlights"]
    only_md = json.loads(gemseek("search", "government", "--type", "md", "--json", home=home).stdout)
    assert [Path(r["path"]).suffix for r in only_md["results"]] == [".md"]

    queries = tmp_path / "q.txt"
    queries.write_text("missing home while looking at the moon\n\n{\"query\": \"a cat that has no name yet\"}\n")
    lines = gemseek("search", "--queries-file", str(queries), "--json", "-n", "3", home=home).stdout.splitlines()
    answers = [json.loads(x) for x in lines]
    assert [a["query"] for a in answers] == ["missing home while looking at the moon", "a cat that has no name yet"]
    assert [Path(a["results"][0]["path"]).name for a in answers] == ["jing-ye-si.txt", "wagahai-wa-neko-de-aru.txt"]

    status = json.loads(gemseek("status", "--json", home=home).stdout)
    assert status["files"] == 9 and status["roots"] == [str(docs)]
    assert status["skipped"] == [{"path": str(docs / "noise.txt"), "reason": "binary file"}]
    assert status["model"]["quantization"] == "auto" and status["model"]["type"] in FAITHFUL
    assert status["model"]["dimension"] == 768 and status["index_bytes"] > 0

    (docs / "gettysburg-address.txt").unlink()  # deleted files leave the results
    gemseek("index", home=home)
    after = json.loads(gemseek("search", "speech honoring soldiers who died on a battlefield", "--json",
                               home=home).stdout)
    assert all(not r["path"].endswith("gettysburg-address.txt") for r in after["results"])
