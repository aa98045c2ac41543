"""Search over a small real index: modes, fusion, filters, grouping, snippets, edge cases."""

from __future__ import annotations

import os

import pytest

from app.core.catalog import Filters
from app.core.indexer import Indexer
from app.core.paths import Paths
from app.core.search import Searcher, SearchOptions
from app.core.services import folder_filter
from app.core.store import Store
from tests.helpers.fakes import FakeEmbedder

DOCS = {
    "letters/rent.txt": "The landlord wrote: the monthly rent increases by five percent from March.",
    "letters/heating.txt": "The heating bill for the winter quarter was lower than expected.",
    "code/retry.py": "def retry(call, attempts=3):\n    '''Retry an HTTP call with exponential backoff.'''\n",
    "notes/garden.md": "# Garden\n\nPlant tomatoes in May. Water the tomatoes daily.\n",
    "notes/zh.txt": "如何创建一个新的数据库并备份它。",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("search")
    root = tmp / "root"
    for rel, text in DOCS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    os.utime(root / "letters/heating.txt", (1_000_000_000, 1_000_000_000))  # 2001
    emb = FakeEmbedder()
    s = Store(Paths.resolve(tmp / "home"), emb.fingerprint, 256)
    with Indexer(s, emb) as ix:
        list(ix.sync([root]))
    s.root = root  # type: ignore[attr-defined]
    yield s
    s.close()


def names(results) -> list[str]:
    return [r.path.name for r in results]


@pytest.mark.parametrize("mode", ["hybrid", "vector", "keyword"])
def test_each_mode_finds_the_obvious_file(store, mode):
    assert names(Searcher(store, FakeEmbedder(256)).search("monthly rent increases", 3, mode=mode))[0] == "rent.txt"


def test_results_are_files_with_their_best_passage_and_highlights(store):
    [top, *_] = Searcher(store, FakeEmbedder(256)).search("tomatoes water", 5)
    assert top.path == store.root / "notes/garden.md"
    assert "tomatoes" in top.snippet
    assert {top.snippet[a:b].lower() for a, b in top.highlights} >= {"tomatoes", "water"}
    assert top.line == 1 and top.char_start == 0 and top.kind == "markdown"
    assert top.to_json()["location"] == {"char_start": 0, "char_end": top.char_end, "page": None, "line": 1}


def test_each_file_appears_once(store):
    results = Searcher(store, FakeEmbedder(256)).search("the", 10)
    assert len(names(results)) == len(set(names(results)))


def test_empty_and_blank_queries_find_nothing(store):
    s = Searcher(store, FakeEmbedder(256))
    assert s.search("", 10) == [] and s.search("   ", 10) == [] and s.search("?!", 10, mode="keyword") == []


def test_chinese_keyword_search(store):
    assert names(Searcher(store, None).search("数据库", 3, mode="keyword")) == ["zh.txt"]


def test_filters_by_type_folder_and_date(store):
    s = Searcher(store, FakeEmbedder(256))
    assert names(s.search("retry rent garden", 10, Filters(types=frozenset({"py"})))) == ["retry.py"]
    only_letters = Filters(folders=folder_filter([store.root / "letters"]))
    assert set(names(s.search("bill rent", 10, only_letters))) == {"rent.txt", "heating.txt"}
    recent = Filters(after_ns=1_500_000_000 * 10**9)
    assert "heating.txt" not in names(s.search("heating bill winter", 10, recent))
    assert s.search("rent", 10, Filters(types=frozenset({"docx"}))) == []


def test_keyword_evidence_lifts_an_exact_match(store):
    # Both letters talk about money; the exact words decide between them only with keyword weight.
    plain = Searcher(store, FakeEmbedder(256), SearchOptions(keyword_weight=0.0))
    boosted = Searcher(store, FakeEmbedder(256), SearchOptions(keyword_weight=1.0))
    q = "heating"
    assert names(boosted.search(q, 1)) == ["heating.txt"]
    assert boosted.search(q, 1)[0].score > plain.search(q, 1)[0].score


def test_keyword_weight_follows_the_query_style():
    from app.core.search import keyword_style

    assert keyword_style("cachegrind") == 1.0
    assert keyword_style("pip freeze requirements") == 1.0
    assert keyword_style("where is fetch_with_retry called in the client code") == 0.5
    assert keyword_style("a letter from the landlord about the rent going up") == 0.0


def test_unknown_mode_is_refused(store):
    with pytest.raises(ValueError):
        Searcher(store, None).search("x", 1, mode="fuzzy")


def test_rare_words_of_a_plain_query_recover_what_the_vector_index_missed(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    for i in range(40):
        (root / f"n{i}.txt").write_text(f"Note {i} about the weekly meeting and the budget.")
    (root / "odd.txt").write_text("Origami instructions for folding a paper dinosaur.")
    emb = FakeEmbedder()
    with Store(Paths.resolve(tmp_path / "home"), emb.fingerprint, 768) as s:
        with Indexer(s, emb) as ix:
            list(ix.sync([root]))
        odd = [cid for cid, h in s.catalog.chunk_hits(s.catalog.live_chunk_ids().tolist()).items()
               if h.path.endswith(b"odd.txt")]
        s.vectors.remove(odd)  # as if the graph could not reach it
        query = "how would I fold a dinosaur out of paper with origami"
        assert "odd.txt" not in names(Searcher(s, emb).search(query, 3, mode="vector"))
        assert names(Searcher(s, emb).search(query, 3, mode="hybrid"))[0] == "odd.txt"


def test_weak_matches_are_marked_by_floor_and_margin_over_the_background(store):
    from app.core.search import weak_bar

    assert weak_bar([0.9, 0.5], 0.3, 0.06) == 0.3  # no background yet: the floor alone
    scores = [0.8, 0.7] + [0.4] * 8 + [0.3, 0.32, 0.34]  # ranks 11-13 score about 0.32
    assert weak_bar(scores, 0.2, 0.05) == pytest.approx(0.37)
    assert weak_bar(scores, 0.5, 0.05) == 0.5
    off = Searcher(store, FakeEmbedder(256), SearchOptions(weak_floor=-1.0, weak_margin=-1.0))
    assert not any(r.weak for r in off.search("monthly rent increases", 5))
    floor = Searcher(store, FakeEmbedder(256), SearchOptions(weak_floor=2.0))
    results = floor.search("monthly rent increases", 5)
    assert all(r.weak for r in results) and results[0].to_json()["weak"] is True
    assert [r.path for r in results] == [r.path for r in off.search("monthly rent increases", 5)]  # order kept
    assert not any(r.weak for r in floor.search("monthly rent", 5, mode="keyword"))  # BM25: another scale
