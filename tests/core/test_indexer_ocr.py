"""Turning OCR on and off: images and scans are read, and given back, without touching other files."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.core.extract.pdf import NO_TEXT_LAYER
from app.core.extract.worker import ExtractionWorker
from app.core.indexer import Indexer, IndexOptions
from app.core.paths import Paths
from app.core.search import Searcher
from app.core.store import Store
from tests.core.extract.hooks import short_ocr
from tests.helpers.fakes import FakeEmbedder

IMAGE_OFF = "unsupported type: .png images are read only with OCR on (Settings, or gemseek index --ocr)"


def _picture(words: str) -> Image.Image:
    image = Image.new("L", (1400, 220), 255)
    ImageDraw.Draw(image).text((40, 70), words, fill=0, font=ImageFont.load_default(size=48))
    return image


def _index(paths: Paths, root: Path, emb: FakeEmbedder, ocr: bool) -> Store:
    store = Store(paths, emb.fingerprint, 768)
    with Indexer(store, emb, IndexOptions(ocr=ocr, keywords_first=False)) as ix:
        list(ix.sync([root]))
    return store


def test_ocr_on_reads_scans_and_images_and_off_gives_them_back(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "letter.txt").write_text("Dear tenant, the rent goes up in March.")
    _picture("invoice for the garden fence").save(root / "receipt.png")
    _picture("minutes of the allotment committee").save(root / "scan.pdf", "PDF", resolution=150)
    paths, emb = Paths.resolve(tmp_path / "home"), FakeEmbedder()

    store = _index(paths, root, emb, ocr=False)
    skipped = {Path(p).name: r for p, r in store.catalog.skipped()}
    assert skipped == {"receipt.png": IMAGE_OFF, "scan.pdf": NO_TEXT_LAYER}
    store.close()

    store = _index(paths, root, emb, ocr=True)  # neither file changed: the setting alone brings them in
    assert store.catalog.skipped() == []
    kinds = {Path(r.path.decode()).name: r.kind for r in store.catalog.iter_files()}
    assert kinds == {"letter.txt": "text", "receipt.png": "image", "scan.pdf": "scan"}
    hits = [r.path.name for r in Searcher(store, emb).search("garden fence invoice", 3)]
    assert hits[0] == "receipt.png"
    hits = [r.path.name for r in Searcher(store, emb).search("allotment committee minutes", 3)]
    assert hits[0] == "scan.pdf"
    embedded = len(emb.embedded)
    store.close()

    store = _index(paths, root, emb, ocr=True)  # again: nothing is read or embedded twice
    assert len(emb.embedded) == embedded and store.catalog.skipped() == []
    store.close()

    store = _index(paths, root, emb, ocr=False)
    skipped = {Path(p).name: r for p, r in store.catalog.skipped()}
    assert skipped == {"receipt.png": IMAGE_OFF, "scan.pdf": NO_TEXT_LAYER}
    assert [r.path.name for r in Searcher(store, emb).search("garden fence invoice", 3)] == ["letter.txt"]
    store.close()


def test_the_default_extractor_follows_the_option(tmp_path):
    emb = FakeEmbedder()
    store = Store(Paths.resolve(tmp_path / "home"), emb.fingerprint, 768)
    try:
        for ocr in (False, True):
            with Indexer(store, emb, IndexOptions(ocr=ocr))._make_extractor() as worker:
                assert isinstance(worker, ExtractionWorker) and worker.use_ocr is ocr
    finally:
        store.close()


def test_a_scan_longer_than_ocr_reads_is_indexed_and_listed_with_how_much_was_read(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    pages = [_picture(f"page {n}") for n in range(1, 6)]
    pages[0].save(root / "lease.pdf", "PDF", resolution=150, save_all=True, append_images=pages[1:])
    pages[0].save(root / "short.pdf", "PDF", resolution=150, save_all=True, append_images=pages[1:2])
    paths, emb = Paths.resolve(tmp_path / "home"), FakeEmbedder()
    store = Store(paths, emb.fingerprint, 768)
    reader = partial(ExtractionWorker, timeout=30, use_ocr=True, extract_fn=short_ocr)  # OCR reads 2 pages at most
    with Indexer(store, emb, IndexOptions(ocr=True, keywords_first=False), extractor=reader) as ix:
        list(ix.sync([root]))
    kinds = {Path(r.path.decode()).name: (r.status, r.kind) for r in store.catalog.iter_files()}
    assert kinds == {"lease.pdf": ("indexed", "scan"), "short.pdf": ("indexed", "scan")}
    assert {Path(p).name: r for p, r in store.catalog.skipped()} == {
        "lease.pdf": "only the first 2 of 5 pages were read (OCR)"}  # listed in `gemseek status` and the dialog
    assert store.catalog.stats().skipped_files == 0
    assert Searcher(store, emb).search("tenancy agreement scanned page", 3)[0].path.name in ("lease.pdf", "short.pdf")
    store.close()
