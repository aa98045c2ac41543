from __future__ import annotations

import os
import sys
import threading

import pytest

from app.core.extract import SkipFile
from app.core.extract.worker import ExtractionWorker, WorkerError
from tests.core.extract.hooks import misbehave


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
