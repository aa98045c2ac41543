"""How well OCR reads each language of the eval sets: pages of their own text, drawn, then read back.

    python bench/ocr_languages.py [--lines 16] [--cjk-font PATH] [--font PATH]

For every language of the two eval sets (the ``language`` column of their manifest.tsv), lines of real text
are taken from that language's plain-text and HTML files, spread evenly over them: 15 to 60 characters, most
of them in the language's own script, and, for a language written in Latin letters other than English, at
least one letter beyond ASCII (an accent, ß, ç, ñ, ğ...), since those are what an English-trained reader
loses. Each language's lines are drawn on one white A4 page at 200 dpi in 12 pt: Chinese, Japanese and Korean
in Noto Sans CJK (the ``noto-cjk-sans-otc`` package of the test extra), the others in DejaVu Sans (Debian's
fonts-dejavu-core), whose glyphs cover Turkish and Ukrainian letters that Noto Sans CJK lacks; a line with a
letter its font cannot draw is not used. The page is saved as a PNG and read exactly as the app reads a
picture: through the extraction worker, OCR on.

Scored per language, whitespace ignored and both sides NFKC-normalised (so a full-width ``，`` and a plain
``,`` count as the same):

* character accuracy: 1 − edit distance / characters drawn;
* letters beyond ASCII kept: of the accented, CJK, Hangul or Cyrillic letters drawn, the share that comes
  back (counted as a bag, position ignored), which shows accents and whole scripts being dropped;
* seconds for the page, models already loaded.

Writes bench/out/ocr_languages.json (with what was drawn and what was read).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_dir, strip_markup
from bench.quality import OUT, SETS

PAGE = (1654, 2339)  # A4 at 200 dpi, a scanner's usual setting
MARGIN = 120
FONT_PX = 33  # 12 pt at 200 dpi
LINE_GAP = 2.0  # line pitch in font heights
_TEXT_FORMATS = {"text", "html"}


def _script(char: str) -> str:
    """The writing system of one letter, as far as this bench tells them apart."""
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
        return "han"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if char.isalpha():
        return "latin"
    return "other"


def _fits(line: str, language: str) -> bool:
    """Whether a line is a fair sample of ``language``: mostly its script, and for Latin-script
    languages other than English at least one letter beyond ASCII."""
    if not 15 <= len(line) <= 60:
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 0.6 * len(line.replace(" ", "")):
        return False  # option lists, paths, numbers
    scripts = Counter(_script(c) for c in letters)
    if language == "ko":
        return scripts["hangul"] >= 0.6 * len(letters)
    if language == "ja":
        return scripts["kana"] > 0 and scripts["kana"] + scripts["han"] >= 0.6 * len(letters)
    if language == "zh":
        return scripts["kana"] == 0 and scripts["han"] >= 0.6 * len(letters)
    if language in ("ru", "uk"):
        return scripts["cyrillic"] >= 0.6 * len(letters)
    if scripts["latin"] < 0.9 * len(letters):
        return False
    beyond_ascii = any(ord(c) > 127 for c in letters)
    return not beyond_ascii if language == "en" else beyond_ascii


def _files_by_language() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for set_dir in SETS.values():
        root = corpus_dir(set_dir)
        with open(set_dir / "manifest.tsv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["format"] in _TEXT_FORMATS:
                    found.setdefault(row["language"], []).append(root / row["relpath"])
    return found


def _text(path: Path) -> str:
    """A file's text in whatever encoding it was saved (the Korean page is EUC-KR)."""
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        import charset_normalizer

        raw = str(charset_normalizer.from_bytes(data).best())
    return strip_markup(raw, path.suffix)


def _drawable(font, line: str) -> bool:
    """Whether ``font`` has a glyph for every character of ``line`` (a missing one is drawn as an empty box,
    the same box as a private-use character's)."""
    missing = font.getmask("\U0010fffd")
    box = (missing.size, bytes(missing))
    for char in set(line) - {" "}:
        mask = font.getmask(char)
        if (mask.size, bytes(mask)) == box:
            return False
    return True


def language_lines(per_language: int, fonts: dict[str, object]) -> dict[str, list[str]]:
    """``per_language`` sample lines of every language of the eval sets, spread evenly over its files."""
    width = PAGE[0] - 2 * MARGIN
    chosen = {}
    for language, files in sorted(_files_by_language().items()):
        font = font_for(language, fonts)
        seen: dict[str, None] = {}
        for path in sorted(files):
            for raw in _text(path).splitlines():
                line = " ".join(raw.split())
                if _fits(line, language) and font.getlength(line) <= width and _drawable(font, line):
                    seen.setdefault(line)
        lines = list(seen)
        step = max(len(lines) / per_language, 1)
        chosen[language] = [lines[int(i * step)] for i in range(min(per_language, len(lines)))]
    return chosen


CJK = frozenset({"zh", "ja", "ko"})
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def load_fonts(cjk: str | None = None, other: str | None = None, size: int = FONT_PX) -> dict[str, object]:
    """The fonts pages are drawn in: {"cjk": Noto Sans CJK (``noto-cjk-sans-otc``) or ``cjk``,
    "other": DejaVu Sans or ``other``}."""
    from PIL import ImageFont

    if cjk is None:
        try:
            import noto_cjk_sans_otc
        except ImportError:
            raise SystemExit("install the test extra (noto-cjk-sans-otc) or pass --cjk-font") from None
        cjk = str(next(Path(noto_cjk_sans_otc.__file__).parent.glob("*.tt[cf]")))
    if other is None:
        if not _DEJAVU.is_file():
            raise SystemExit(f"{_DEJAVU} is missing (Debian: fonts-dejavu-core); pass --font")
        other = str(_DEJAVU)
    return {"cjk": ImageFont.truetype(cjk, size), "other": ImageFont.truetype(other, size)}


def font_for(language: str, fonts: dict[str, object]):
    return fonts["cjk" if language in CJK else "other"]


def render_page(lines: list[str], font):
    """The lines drawn one under another on a white page, as a greyscale PIL image."""
    from PIL import Image, ImageDraw

    page = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((MARGIN, MARGIN + i * LINE_GAP * FONT_PX), line, fill=0, font=font)
    return page


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def scores(drawn: str, read: str) -> dict:
    """Character accuracy and the share of letters beyond ASCII that came back (see the module doc)."""
    ref, hyp = _normal(drawn), _normal(read)
    accuracy = max(0.0, 1 - _edit_distance(ref, hyp) / max(len(ref), 1))
    wanted = Counter(c for c in ref if c.isalpha() and ord(c) > 127)
    got = Counter(c for c in hyp if c.isalpha() and ord(c) > 127)
    kept = sum(min(n, got[c]) for c, n in wanted.items()) / sum(wanted.values()) if wanted else None
    return {"chars": len(ref), "accuracy": round(accuracy, 4),
            "beyond_ascii_kept": None if kept is None else round(kept, 4)}


def read_pages(pages: dict[str, Path]) -> dict[str, tuple[str, float]]:
    """Each page read by the app's OCR (through the extraction worker), with its seconds."""
    from app.core.extract.worker import ExtractionWorker

    read = {}
    with ExtractionWorker(timeout=600, use_ocr=True) as worker:
        worker.extract(next(iter(pages.values())))  # start the child and load the models before timing
        for language, path in pages.items():
            t0 = time.perf_counter()
            doc = worker.extract(path)
            read[language] = (doc.text, round(time.perf_counter() - t0, 2))
    return read


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=16, help="lines per language (one page)")
    p.add_argument("--cjk-font", help="a font file for Chinese, Japanese and Korean instead of Noto Sans CJK")
    p.add_argument("--font", help="a font file for the other languages instead of DejaVu Sans")
    args = p.parse_args()
    from app.core.engine.machine import Machine

    fonts = load_fonts(args.cjk_font, args.font)
    lines = language_lines(args.lines, fonts)
    with tempfile.TemporaryDirectory() as tmp:
        pages = {}
        for language, chosen in lines.items():
            pages[language] = Path(tmp) / f"{language}.png"
            render_page(chosen, font_for(language, fonts)).save(pages[language])
        read = read_pages(pages)
    report = {"machine": Machine.current().to_json(), "font_px": FONT_PX, "languages": {}}
    print("| language | lines | characters | character accuracy | letters beyond ASCII kept | s per page |")
    print("|---|---|---|---|---|---|")
    for language, chosen in lines.items():
        text, seconds = read[language]
        s = scores("\n".join(chosen), text)
        report["languages"][language] = {**s, "lines": len(chosen), "seconds": seconds,
                                         "drawn": chosen, "read": text}
        kept = "–" if s["beyond_ascii_kept"] is None else f"{s['beyond_ascii_kept']:.3f}"
        print(f"| {language} | {len(chosen)} | {s['chars']} | {s['accuracy']:.3f} | {kept} | {seconds} |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ocr_languages.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {OUT / 'ocr_languages.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
