from __future__ import annotations

from app.core.fts_text import fts_body, match_expression, query_terms
from app.core.snippets import highlights, make_snippet


def test_cjk_is_spaced_out_for_the_index():
    assert fts_body("创建数据库 now").split() == ["创", "建", "数", "据", "库", "now"]


def test_query_terms_drop_stop_words_unless_nothing_is_left():
    assert query_terms("How do I create the database?") == ["create", "database"]
    assert query_terms("the") == ["the"]


def test_match_expression_quotes_everything():
    assert match_expression('foo "bar" NEAR(x)') == '"foo" OR "bar" OR "near" OR "x"'
    assert match_expression("数据库") == '"数 据 库"'
    assert match_expression("  ?!  ") is None
    assert match_expression("how to fold origami dinosaurs at home", most=2) == '"origami" OR "dinosaurs"'


def test_snippet_centres_on_the_matches_and_marks_them():
    text = "filler words here. " * 30 + "The landlord raised the rent. " + "more filler. " * 30
    snippet, marks = make_snippet(text, "rent raise")
    assert "landlord raised the rent" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert sorted(snippet[a:b].lower() for a, b in marks) == ["raised", "rent"]


def test_short_text_is_shown_whole():
    snippet, marks = make_snippet("Retry HTTP calls with backoff", "retries http")
    assert snippet == "Retry HTTP calls with backoff"
    assert [snippet[a:b] for a, b in marks] == ["Retry", "HTTP"]


def test_highlights_need_word_starts_and_short_words_whole():
    assert highlights("parental rent", "rent") == [(9, 13)]
    text = "allow all calls"
    assert [text[a:b] for a, b in highlights(text, "all call")] == ["all", "calls"]
