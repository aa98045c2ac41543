from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.core.extract import SkipFile
from app.core.extract.worker import ExtractionWorker, WorkerError
from tests.core.extract.hooks import misbehave

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker():
    with ExtractionWorker(timeout=20, extract_fn=misbehave, memory_limit=1024**3) as w:
        yield w


def _touch(tmp_path, name: str, content: bytes = b"x"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _child_pid(worker: ExtractionWorker, tmp_path) -> int:
    return int(worker.extract(_touch(tmp_path, "probe.pid")).title)


def test_extracts_a_real_pdf_with_page_numbers(corpus):
    with ExtractionWorker() as w:
        doc = w.extract(corpus / "docs/pdf/keyval.pdf")
    assert doc.kind == "pdf" and doc.title == "The keyval package"
    assert any(b.page == 2 and "graphics inclusion macro" in b.text for b in doc.blocks)


def test_one_child_serves_many_files(worker, tmp_path):
    first = _child_pid(worker, tmp_path)
    assert first != os.getpid()
    assert _child_pid(worker, tmp_path) == first


def test_skip_reasons_come_back_from_the_child(worker, tmp_path):
    with pytest.raises(SkipFile, match="^empty file$"):
        worker.extract(_touch(tmp_path, "empty.txt", b""))
    with pytest.raises(SkipFile, match=r"^could not read file: KeyError$"):
        worker.extract(_touch(tmp_path, "bug.oops"))


def test_a_hanging_file_is_skipped_and_the_child_replaced(worker, tmp_path):
    before = _child_pid(worker, tmp_path)
    with pytest.raises(SkipFile, match=r"^extraction took longer than 0\.5 s$"):
        worker.extract(_touch(tmp_path, "stuck.hang"), timeout=0.5)
    assert _child_pid(worker, tmp_path) != before
    good = _touch(tmp_path, "good.txt", b"still working")
    assert worker.extract(good).text == "still working"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("dies.exit", r"extractor crashed \(exit code 3\)"),
        ("dies.segv", r"extractor crashed \(killed by SIGSEGV\)"),
    ],
)
def test_a_crash_is_a_skip_and_the_next_file_works(worker, tmp_path, name, reason):
    with pytest.raises(SkipFile, match=f"^{reason}$"):
        worker.extract(_touch(tmp_path, name))
    assert worker.extract(_touch(tmp_path, "after.txt", b"next file")).text == "next file"


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux only"
)
def test_memory_is_limited_in_the_child(worker, tmp_path):
    with pytest.raises(SkipFile, match="^not enough memory to extract the text$"):
        worker.extract(_touch(tmp_path, "big.hog"))


def test_undecodable_file_names_cross_the_process_boundary(worker, tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(raw, "wb") as f:
        f.write(b"bytes in a name that is not UTF-8")
    assert worker.extract(os.fsdecode(raw)).text == "bytes in a name that is not UTF-8"


def test_close_interrupts_a_call_in_another_thread(tmp_path):
    w = ExtractionWorker(timeout=120, extract_fn=misbehave)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            w.extract(_touch(tmp_path, "forever.hang"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    w.close()
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], WorkerError)
    with pytest.raises(WorkerError):
        w.extract(_touch(tmp_path, "late.txt", b"too late"))


def test_context_exit_ends_the_child(tmp_path):
    with ExtractionWorker(extract_fn=misbehave) as w:
        pid = _child_pid(w, tmp_path)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_memory_watchdog_ends_a_child_that_grows_past_the_limit(tmp_path):
    """Where no rlimit bounds the child (macOS, Windows), a watchdog in it does: tried here on Linux too."""
    with ExtractionWorker(timeout=60, extract_fn=misbehave, memory_limit=300 * 1024**2, memory_guard="watch") as w:
        with pytest.raises(SkipFile, match=r"^extraction needed more than 0\.3 GB of memory$"):
            w.extract(_touch(tmp_path, "big.grow"))
        assert w.extract(_touch(tmp_path, "after.txt", b"next file")).text == "next file"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not reaped yet
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_the_child_ends_when_the_parent_dies_mid_file(tmp_path):
    script = ("import sys\nfrom app.core.extract.worker import ExtractionWorker\n"
              "from tests.core.extract.hooks import misbehave\n"
              "w = ExtractionWorker(timeout=600, extract_fn=misbehave)\n"
              "print(w.extract(sys.argv[1]).title, flush=True)\n"
              "w.extract(sys.argv[2])\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(_touch(tmp_path, "probe.pid")),
                               str(_touch(tmp_path, "stuck.hang"))], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the child is now inside the hanging file
    assert _alive(child)
    parent.kill()
    parent.wait(10)
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the extraction child outlived its parent"


def test_every_ocr_page_has_its_own_time_limit(tmp_path):
    # Three pages of 1.5 s each: the whole file takes longer than its 1 s limit, but no page takes longer
    # than the 2.5 s a page may, so the scan is read.
    with ExtractionWorker(timeout=1, page_timeout=2.5, extract_fn=misbehave) as w:
        doc = w.extract(_touch(tmp_path, "scan.slowpages"))
        assert [b.page for b in doc.blocks] == [1, 2, 3]
        with pytest.raises(SkipFile, match=r"^OCR of page 2 took longer than 2.5 s$"):
            w.extract(_touch(tmp_path, "scan.stuckpage"))
        assert w.extract(_touch(tmp_path, "after.txt", b"still works")).text == "still works"
