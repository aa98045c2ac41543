"""Query operators: what the search box and ``gemseek search`` accept besides words.

    "exact phrase"   the file must contain these words in this order
    -word, -"a b"    the file must not contain it (a word of 3+ letters: -k or -vvv stay flags)
    type:pdf         only this file type (an extension or a kind; type:pdf,md for several)
    in:invoices      only files inside a folder of that name (in:work/2024 for a path part)
    after:2025-01-31 / before:2025-02-01   modified on or after / before that day
    like:PATH        files whose content is closest to that file's (like:"a path with spaces")

Everything else is searched by meaning, as without operators (a phrase's words
are part of it too). Only these four ``key:`` words are operators, so
"error: file not found" or a URL is just text. An unclosed quote runs to the
end of the query (the box searches as you type). A malformed operator raises
:class:`QueryError` with a message that says what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from app.core.errors import GemseekError

OPERATORS = ("type", "in", "after", "before", "like")
HINT = ('"exact phrase" · -word · type:pdf · in:folder · after:2025-01-31 · before:2025-12-31 · '
        'like:"path of a file" (similar files)')

# A quoted phrase (closed, or open to the end), optionally negated; a key:value operator; a -word; a word.
_TOKEN = re.compile(
    r'(?P<neg>-)?"(?P<phrase>[^"]*)(?:"|$)'
    r'|(?<!\S)(?P<key>[A-Za-z]+):(?:"(?P<qvalue>[^"]*)(?:"|$)|(?P<value>\S*))'
    r"|(?<!\S)-(?P<excl>[^\W\d][\w'’.-]*)"
    r"|(?P<word>\S+)"
)


class QueryError(GemseekError):
    """An operator in the query is malformed; the message says what it wants."""


@dataclass(frozen=True)
class ParsedQuery:
    """A query taken apart: the words to search by meaning, and the rules a file must follow."""

    text: str
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    types: frozenset[str] = frozenset()
    folders: tuple[str, ...] = ()  # folder names or path parts, as typed
    after_ns: int | None = None
    before_ns: int | None = None
    like: str | None = None  # a file whose similar files are wanted
    operators: tuple[str, ...] = field(default=(), compare=False)  # what was recognised, for display

    @property
    def has_rules(self) -> bool:
        return bool(self.phrases or self.excluded or self.types or self.folders or self.like
                    or self.after_ns is not None or self.before_ns is not None)


def parse_query(query: str) -> ParsedQuery:
    """Split ``query`` into meaning text and operators.

    Raises:
        QueryError: an operator has no value or a value it cannot take.
    """
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    types: set[str] = set()
    folders: list[str] = []
    after = before = None
    like = None
    seen: list[str] = []
    for m in _TOKEN.finditer(query):
        if m.group("phrase") is not None:
            phrase = " ".join(m.group("phrase").split())
            if not phrase:
                continue
            if m.group("neg"):
                excluded.append(phrase)
                seen.append(f'-"{phrase}"')
            else:
                phrases.append(phrase)
                words.append(phrase)
                seen.append(f'"{phrase}"')
        elif m.group("key") is not None and m.group("key").lower() in OPERATORS:
            key = m.group("key").lower()
            value = (m.group("qvalue") if m.group("qvalue") is not None else m.group("value")).strip()
            if not value:
                raise QueryError(f"{key}: needs a value, e.g. {_EXAMPLE[key]}")
            seen.append(f"{key}:{value}")
            if key == "type":
                types.update(t.lower().lstrip(".") for t in value.split(",") if t.strip(". "))
            elif key == "in":
                folders.append(value.strip("/\\"))
            elif key == "like":
                like = value
            elif key == "after":
                after = _day(key, value)
            else:
                before = _day(key, value)
        elif m.group("excl") is not None and _is_exclusion(m.group("excl")):
            excluded.append(m.group("excl"))
            seen.append(f"-{m.group('excl')}")
        else:
            words.append(m.group(0))
    if after is not None and before is not None and before <= after:
        raise QueryError("before: must be a later day than after:")
    if like is not None and (words or excluded):
        raise QueryError("like: finds the files most like one file; search for words separately "
                         "(type:, in:, after: and before: still apply)")
    return ParsedQuery(
        text=" ".join(words), phrases=tuple(phrases), excluded=tuple(excluded), types=frozenset(types),
        folders=tuple(f for f in folders if f), after_ns=after, before_ns=before, like=like,
        operators=tuple(seen),
    )


def _is_exclusion(word: str) -> bool:
    """``-word`` excludes a word; ``-k``, ``-rf`` or ``-vvv`` in "man -k" is a command-line flag, kept as text."""
    letters = word.replace("-", "")
    return len(letters) >= 3 and len(set(letters.lower())) > 1


_EXAMPLE = {"type": "type:pdf", "in": "in:invoices", "after": "after:2025-01-31", "before": "before:2025-12-31",
            "like": 'like:"/home/me/report.pdf"'}


def _day(key: str, value: str) -> int:
    """Local midnight at the start of ``value`` (YYYY-MM-DD, YYYY-MM or YYYY) in ns (before: is exclusive)."""
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            day = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return int(day.timestamp() * 1e9)
    raise QueryError(f"{key}: wants a date like 2025-01-31 (or 2025-01, or 2025), not {value!r}")

