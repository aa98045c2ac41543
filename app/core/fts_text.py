"""Text for SQLite FTS5: segment Chinese and Japanese, build safe MATCH queries.

FTS5's unicode61 tokenizer keeps a run of CJK characters as one token, so a
Chinese sentence would only match itself. We index CJK text one character per
token and search it as a phrase, which finds any CJK word inside a sentence.
"""

from __future__ import annotations

import re

# Han, Hiragana, Katakana, Hangul syllables and the CJK punctuation-free blocks.
_CJK = (
    "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
)
_CJK_CHAR = re.compile(f"([{_CJK}])")
_WORD = re.compile(rf"[{_CJK}]+|[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_CJK_RUN = re.compile(f"^[{_CJK}]+$")

STOPWORDS = frozenset(
    """a an and are as at be by for from how i in is it of on or that the
    this to was what when where which who why with my me do does can""".split()  # noqa: SIM905
)


def fts_body(text: str) -> str:
    """Text as it goes into the FTS index: CJK characters spaced out."""
    return _CJK_CHAR.sub(r" \1 ", text)


def query_terms(query: str) -> list[str]:
    """The words of a query (CJK runs kept whole), lower case, stop words dropped."""
    words = [w.lower() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def match_expression(query: str, most: int | None = None) -> str | None:
    """An FTS5 MATCH expression OR-ing the query's terms; None when there are none.

    Every term is quoted, so FTS5 syntax in user input (AND, NEAR, ``*``,
    quotes, parentheses) is taken literally and can never make a query fail.
    A CJK run becomes a phrase of its characters. With ``most``, only that
    many terms are used, the longest (in practice the rarest, so the cheapest
    to look up and the most telling).
    """
    terms = query_terms(query)
    if most is not None:
        keep = set(sorted(terms, key=len, reverse=True)[:most])
        terms = [t for t in terms if t in keep]
    parts = []
    for term in terms:
        if _CJK_RUN.match(term):
            parts.append('"' + " ".join(term) + '"')
        else:
            parts.append('"' + term.replace('"', '""') + '"')
    return " OR ".join(dict.fromkeys(parts)) or None


def phrase_expression(phrase: str) -> str | None:
    """An FTS5 phrase matching ``phrase``'s words in order (stop words kept; CJK one character per token)."""
    tokens: list[str] = []
    for word in _WORD.findall(phrase):
        tokens.extend(list(word) if _CJK_RUN.match(word) else [word.lower()])
    if not tokens:
        return None
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'
