"""Query operators: parsed in one place, with clear messages, and applied by the searcher."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.query import ParsedQuery, QueryError, parse_query
from app.core.search import Searcher
from tests.core.test_search import store  # noqa: F401 - the small real index, shared
from tests.helpers.fakes import FakeEmbedder


def ns(day: str) -> int:
    return int(datetime.fromisoformat(day).timestamp() * 1e9)


def test_plain_queries_have_no_operators():
    for q in ("the letter about the rent increase", "error: file not found", "http://example.org/x",
              "state-of-the-art retry", "C++ templates", "-5 degrees", "TODO:",
              "rebuild the index databases used by man -k", "Go flag that counts how many times, like -vvv",
              "rm -rf a folder"):
        p = parse_query(q)
        assert p.operators == () and not p.has_rules, q


def test_every_operator():
    p = parse_query('invoice "late fee" -draft -"old copy" type:pdf,DOCX in:work/2024 after:2025-01-31 '
                    "before:2025-03")
    assert p.text == "invoice late fee"
    assert p.phrases == ("late fee",) and p.excluded == ("draft", "old copy")
    assert p.types == {"pdf", "docx"} and p.folders == ("work/2024",)
    assert p.after_ns == ns("2025-01-31") and p.before_ns == ns("2025-03-01")
    assert p.has_rules and len(p.operators) == 7


def test_an_unclosed_quote_runs_to_the_end_while_typing():
    assert parse_query('rent "late fe').phrases == ("late fe",)
    assert parse_query('"').operators == ()


def test_keys_are_case_insensitive_and_only_known_ones_are_operators():
    assert parse_query("TYPE:md notes").types == {"md"}
    assert parse_query("lang:fr notes") == ParsedQuery(text="lang:fr notes")


@pytest.mark.parametrize(("query", "message"), [
    ("type: notes", r"type: needs a value, e\.g\. type:pdf"),
    ("in:", "in: needs a value"),
    ("after:yesterday", r"after: wants a date like 2025-01-31 \(or 2025-01, or 2025\), not 'yesterday'"),
    ("before:2025-13-01", "before: wants a date"),
    ("after:2025-05-01 before:2025-04-01", "before: must be a later day than after:"),
])
def test_malformed_operators_say_what_they_want(query, message):
    with pytest.raises(QueryError, match=message):
        parse_query(query)


def names(results):
    return sorted(r.path.name for r in results)


def test_the_searcher_applies_operators(store):  # noqa: F811
    s = Searcher(store, FakeEmbedder(256))
    assert names(s.search('"monthly rent"', 5)) == ["rent.txt"]  # must contain the phrase
    assert names(s.search('"rent monthly"', 5)) == []  # in that order
    assert "rent.txt" not in names(s.search("rent heating bill -landlord", 5))
    assert names(s.search("tomatoes type:md", 5)) == ["garden.md"]
    assert names(s.search("bill in:letters", 5)) == ["heating.txt", "rent.txt"]
    assert names(s.search("bill in:etters", 5)) == []  # a folder's whole name, not part of it
    assert names(s.search("bill before:2002", 5)) == ["heating.txt"]  # modified in 2001
    assert "heating.txt" not in names(s.search("bill after:2002-01-01", 5))
    assert names(s.search('"数据库"', 5)) == ["zh.txt"]


def test_rules_alone_list_the_newest_files_that_follow_them(store):  # noqa: F811
    s = Searcher(store, FakeEmbedder(256))
    listed = s.search("in:letters", 10)
    assert [r.path.name for r in listed] == ["rent.txt", "heating.txt"]  # newest first
    assert listed[0].snippet


def test_operators_and_filters_both_hold(store):  # noqa: F811
    from app.core.catalog import Filters

    s = Searcher(store, FakeEmbedder(256))
    assert s.search("tomatoes type:md", 5, Filters(types=frozenset({"txt"}))) == []
    assert names(s.search("tomatoes type:md", 5, Filters(types=frozenset({"md", "txt"})))) == ["garden.md"]


def test_a_query_without_operators_is_searched_exactly_as_typed(store, monkeypatch):  # noqa: F811
    emb = FakeEmbedder(256)
    seen = []
    real = emb.embed_query
    monkeypatch.setattr(emb, "embed_query", lambda text, **kw: seen.append(text) or real(text, **kw))
    Searcher(store, emb).search("rent   increase:  soon", 5)
    assert seen == ["rent   increase:  soon"]



def test_like_finds_the_closest_other_files_from_stored_vectors(store, monkeypatch):  # noqa: F811
    emb = FakeEmbedder(256)
    monkeypatch.setattr(emb, "embed_query", lambda *a, **k: pytest.fail("similar files must not embed anything"))
    s = Searcher(store, emb)
    rent = store.root / "letters/rent.txt"
    results = s.similar(rent, 3)
    assert rent not in [r.path for r in results] and len(results) == 3
    assert results[0].passage and results[0].score > results[-1].score
    via_box = s.search(f'like:"{rent}"', 3)
    assert [r.path for r in via_box] == [r.path for r in results]
    assert [r.path.name for r in s.search(f"like:{rent} type:md", 3)] == ["garden.md"]


def test_like_explains_a_file_that_is_not_indexed(store, tmp_path):  # noqa: F811
    from app.core.errors import GemseekError

    with pytest.raises(GemseekError, match="is not in the index"):
        Searcher(store, FakeEmbedder(256)).search(f'like:"{tmp_path / "nope.txt"}"', 3)
    with pytest.raises(QueryError, match="like: finds the files most like one file"):
        parse_query("like:/x/y.txt rent")
    assert parse_query('like:"/home/me/My Docs/a b.pdf" type:pdf').like == "/home/me/My Docs/a b.pdf"
