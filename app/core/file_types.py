"""Kinds of files a person can choose to index or leave out, by name suffix."""

from __future__ import annotations

GROUPS: dict[str, str] = {
    "documents": "Documents (PDF, Word, OpenDocument, RTF, EPUB)",
    "text": "Text and notes (plain text, Markdown, reStructuredText)",
    "code": "Source code",
    "web": "Web pages (HTML)",
}
"""Group name → what the settings show."""

_SUFFIXES = {
    "documents": (".pdf", ".docx", ".odt", ".rtf", ".epub"),
    "text": (".txt", ".text", ".log", ".csv", ".tsv", ".md", ".markdown", ".mdown", ".mkd", ".rst", ".rest"),
    "web": (".html", ".htm", ".xhtml"),
}


def suffixes(group: str) -> tuple[str, ...]:
    if group == "code":
        from app.core.extract.code import LANGUAGES  # the extractors load only when needed

        return tuple(sorted(LANGUAGES))
    return _SUFFIXES[group]


def exclude_globs(skipped: tuple[str, ...]) -> tuple[str, ...]:
    """Exclude patterns that leave out the ``skipped`` groups."""
    return tuple(f"*{ext}" for group in skipped for ext in suffixes(group))
