"""OCR quality and cost: the eval PDFs as pictures, searched against the same PDFs with their text layer.

    python bench/ocr.py [--set dev|eval2|both] [--dpi 200] [--cost-only]

For each set, a copy of the corpus is indexed three ways with the real model and the real command line
(``gemseek index``, then ``gemseek search --queries-file --json``), on the queries whose relevant files
include a PDF:

1. ``text``: the PDFs as they are (their text layer), OCR off;
2. ``tiff``: every PDF replaced by a multi-page TIFF of its pages rendered at ``--dpi`` (a scanner's output),
   read with OCR on; results are mapped back to the PDF's name for scoring;
3. ``scan``: every PDF replaced by an image-only PDF of the same pages (a scanned PDF, same name), OCR on.

Every other file of the corpus stays as a distractor. To save the hour of embedding the whole corpus again,
the bench home starts as a copy of bench/quality.py's (``quality-home``), which holds every passage's vector
by its text: only what OCR reads is embedded anew. Run bench/quality.py first.
Seconds per page are timed in the extraction worker on the TIFFs, before indexing, with the child's peak
resident memory (Linux). ``--cost-only`` times OCR on the TIFFs and stops there (no index, no scores; it needs
no quality-home). Writes bench/out/ocr.json.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_dir
from bench.quality import OUT, SETS, gemseek, score, search_results, set_queries, write_run


def _pdf_queries(set_dir: Path, dest: Path) -> list[dict]:
    chosen = [q for q in set_queries(set_dir) if any(p.endswith(".pdf") for p in q["relevant"])]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in chosen), encoding="utf-8")
    return chosen


def _page_images(pdf_path: Path, dpi: int) -> list:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    finally:
        pdf.close()


def _write_tiff(images: list, path: Path) -> None:
    images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_deflate")


def _write_scan(images: list, path: Path, dpi: int) -> None:
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    path.write_bytes(out.getvalue())


def _settings(home: Path, roots: list[str], ocr: bool) -> None:
    f = home / "config" / "settings.json"
    data = json.loads(f.read_text())
    data.update(roots=roots, ocr=ocr)
    f.write_text(json.dumps(data))


def _child_proc(name: str) -> str | None:
    """The extraction child's /proc/PID/``name`` (Linux), while it runs."""
    for child in multiprocessing.active_children():
        if child.name == "gemseek-extract":
            try:
                return Path(f"/proc/{child.pid}/{name}").read_text()
            except OSError:
                return None
    return None


def _peak_rss_mb() -> int | None:
    """The extraction child's peak resident memory so far, in MB."""
    found = re.search(r"VmHWM:\s+(\d+) kB", _child_proc("status") or "")
    return round(int(found.group(1)) / 1024) if found else None


def _cpu_seconds() -> float | None:
    """CPU seconds (user and system, all threads) the extraction child has used: unlike the wall clock, not
    inflated when other work shares the cores."""
    stat = _child_proc("stat")
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ocr_seconds(files: list[Path]) -> dict:
    from app.core.extract.worker import ExtractionWorker

    pages = 0
    chars = 0
    with ExtractionWorker(timeout=600, use_ocr=True) as worker:
        worker.extract(files[0])  # start the child and load the OCR models before timing
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        for path in files:
            doc = worker.extract(path)
            pages += max((b.page or 1) for b in doc.blocks)
            chars += doc.size
        seconds, cpu1 = time.perf_counter() - t0, _cpu_seconds()
        peak = _peak_rss_mb()
    cpu = round((cpu1 - cpu0) / max(pages, 1), 2) if cpu0 is not None and cpu1 is not None else None
    return {"pages": pages, "seconds": round(seconds, 1), "s_per_page": round(seconds / max(pages, 1), 2),
            "cpu_s_per_page": cpu, "chars": chars, "peak_rss_mb": peak}


def cost_set(name: str, dpi: int) -> dict:
    """OCR's seconds per page on a set's PDFs drawn as TIFFs, without indexing anything."""
    corpus = corpus_dir(SETS[name])
    pdfs = sorted(corpus.rglob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        tiffs = []
        for i, pdf in enumerate(pdfs):
            tiffs.append(Path(tmp) / f"{i}.tiff")
            _write_tiff(_page_images(pdf, dpi), tiffs[-1])
        cost = _ocr_seconds(tiffs)
    print(f"== {name}: {cost['pages']} pages in {cost['seconds']} s = {cost['s_per_page']} s per page, "
          f"{cost['cpu_s_per_page']} CPU s per page (child peak {cost['peak_rss_mb']} MB resident)")
    return {"pdfs": len(pdfs), "dpi": dpi, "ocr_cost": cost}


def run_set(name: str, dpi: int, env: dict) -> dict:
    set_dir = SETS[name]
    tag = "" if name == "dev" else f"-{name}"
    source_home = OUT / f"quality-home{tag}"
    if not source_home.is_dir():
        raise SystemExit(f"{source_home} is missing: run `python bench/quality.py --set {name}` first")
    subset = OUT / f"ocr-set-{name}"
    queries = _pdf_queries(set_dir, subset)
    corpus = OUT / f"ocr-corpus-{name}"
    home = OUT / f"ocr-home-{name}"
    for old in (corpus, home):
        shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(corpus_dir(set_dir), corpus)
    shutil.copytree(source_home, home)
    pdfs = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.pdf"))
    print(f"== {name}: {len(queries)} queries whose answers include a PDF; {len(pdfs)} PDFs")

    results: dict[str, dict] = {}
    timings: dict[str, float] = {}

    def index_and_score(label: str, ocr: bool, rename: dict[str, str]) -> None:
        _settings(home, [str(corpus)], ocr)
        t0 = time.perf_counter()
        gemseek("index", env=env, home=home)
        timings[label] = round(time.perf_counter() - t0, 1)
        answers = search_results(home, queries, corpus, env, "-n", "10")
        results[label] = score(write_run(OUT / f"ocr-run-{name}-{label}.jsonl", queries, answers, rename), subset)
        status = json.loads(gemseek("status", "--json", env=env, home=home))
        print(f"  {label}: nDCG@10 {results[label]['ALL']['nDCG@10']:.3f}  recall@10 "
              f"{results[label]['ALL']['recall@10']:.3f}  (index run {timings[label]:.0f} s, "
              f"{status['files']} files, {status['chunks']} passages)")

    index_and_score("text", False, {})
    images = {rel: _page_images(corpus / rel, dpi) for rel in pdfs}
    for rel, pages in images.items():
        (corpus / rel).unlink()
        _write_tiff(pages, (corpus / rel).with_suffix(".tiff"))
    cost = _ocr_seconds([(corpus / rel).with_suffix(".tiff") for rel in pdfs])
    print(f"  OCR: {cost['pages']} pages in {cost['seconds']} s = {cost['s_per_page']} s per page")
    index_and_score("tiff", True, {str(Path(rel).with_suffix(".tiff").as_posix()): rel for rel in pdfs})
    for rel, pages in images.items():
        (corpus / rel).with_suffix(".tiff").unlink()
        _write_scan(pages, corpus / rel, dpi)
    index_and_score("scan", True, {})
    return {"queries": len(queries), "pdfs": len(pdfs), "dpi": dpi, "ocr_cost": cost, "index_run_s": timings,
            "results": results}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", choices=("dev", "eval2", "both"), default="both")
    p.add_argument("--dpi", type=int, default=200, help="resolution the pages are rendered at (a scan's)")
    p.add_argument("--cost-only", action="store_true", help="only time OCR on the TIFFs: no index, no scores")
    args = p.parse_args()
    env = dict(os.environ)
    if "GEMSEEK_MODELS" not in env:
        from app.core.paths import Paths

        env["GEMSEEK_MODELS"] = str(Paths.resolve().models)
    from app.core.engine.machine import Machine

    report = {"machine": Machine.current().to_json(), "sets": {}}
    for name in ("dev", "eval2") if args.set == "both" else (args.set,):
        report["sets"][name] = cost_set(name, args.dpi) if args.cost_only else run_set(name, args.dpi, env)
    if args.cost_only:
        (OUT / "ocr.json").write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {OUT / 'ocr.json'}")
        return 0
    print("\n| set | queries | text layer nDCG@10 | TIFF by OCR | scanned PDF by OCR | recall@10 text / TIFF / scan "
          "| s per page |")
    print("|---|---|---|---|---|---|---|")
    for name, r in report["sets"].items():
        res = r["results"]
        print(f"| {name} | {r['queries']} | {res['text']['ALL']['nDCG@10']:.3f} | {res['tiff']['ALL']['nDCG@10']:.3f} "
              f"| {res['scan']['ALL']['nDCG@10']:.3f} | {res['text']['ALL']['recall@10']:.3f} / "
              f"{res['tiff']['ALL']['recall@10']:.3f} / {res['scan']['ALL']['recall@10']:.3f} "
              f"| {r['ocr_cost']['s_per_page']} |")
    (OUT / "ocr.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT / 'ocr.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
