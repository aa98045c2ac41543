"""Source code: blocks split where a top-level definition starts.

Each language has one regular expression for the lines, at column 0, that
open a definition (``def``, ``func``, ``fn``, ``CREATE TABLE``, ...). A
definition's block runs until the next definition or top-level statement, so
a function stays whole with its comments and decorators; indented lines and
blank lines inside never split it. Files with no recognisable definition are
split into blank-line paragraphs.
"""

from __future__ import annotations

import re

from app.core.documents import Block, Document
from app.core.extract.blocks import paragraphs
from app.core.extract.decode import decode_text

_C_FAMILY = (
    r"(?:typedef|struct|union|enum|class|namespace|template)\b"
    r"|(?!(?:if|for|while|switch|return|else|do|case|goto|sizeof)\b)[A-Za-z_][\w \t*&:<>,~]*\("
    r"|[A-Za-z_][\w \t*]*$"
)
_JVM_ETC = (
    r"(?:(?:public|private|protected|internal|abstract|final|sealed|static|open|data"
    r"|partial|export|inline|override|case|async)\s+)*"
    r"(?:class|interface|enum|record|struct|object|trait|fun|def|func|extension|protocol"
    r"|namespace|module|val|var|let|impl|package)\b"
)
_DEFINITIONS: dict[str, str] = {
    "python": r"(?:async\s+def|def|class)\b",
    "c": _C_FAMILY,
    "js": r"(?:export\s+(?:default\s+)?)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\*?|class|interface|enum|namespace|module|type|const|let|var)\b",
    "go": r"(?:func|type|var|const)\b",
    "rust": r"(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+|async\s+|const\s+|extern\s+\"[^\"]*\"\s+)*"
    r"(?:fn|struct|enum|impl|trait|mod|type|union|static|const|macro_rules!)",
    "ruby": r"(?:def|class|module)\b",
    "php": r"(?:(?:abstract|final|readonly)\s+)*(?:function|class|interface|trait|enum)\b",
    "perl": r"(?:sub|package)\b",
    "shell": r"(?:function\s+[\w:.-]+|[\w:.-]+\s*\(\s*\))",
    "sql": r"(?i:create|alter|drop|insert|update|delete|select|with|begin|grant|revoke"
    r"|comment|do|set)\b",
    "jvm": _JVM_ETC,
    "lua": r"(?:local\s+)?function\b",
    "r": r"[\w.]+\s*(?:<-|=)\s*function\b",
    "haskell": r"(?:data|type|newtype|class|instance|module)\b|[a-z_][\w']*\s*::",
    "ocaml": r"(?:let|type|module|class|exception)\b",
    "elixir": r"(?:defmodule|defprotocol|defimpl)\b",
    "lisp": r"\((?:def\w*|ns|cl-def\w*|use-package)\b",
    "vim": r"(?:fu(?:nction)?!?|augroup|command!?)\s",
    "make": r"[\w.%/$(){}-]+\s*::?(?!=)",
    "matlab": r"(?:function\b|@interface|@implementation|[-+]\s*\()",
    "cmake": r"(?i:function|macro)\s*\(",
    "docker": r"(?i:from)\s",
    "section": r"\[",  # TOML, INI, cfg: a new [section]
    "yaml": r"[\w.\"'-]+\s*:",
}
_PATTERNS = {lang: re.compile(p) for lang, p in _DEFINITIONS.items()}

LANGUAGES: dict[str, str] = {
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".c": "c", ".h": "c", ".cpp": "c", ".hpp": "c", ".cc": "c", ".hh": "c", ".cxx": "c",
    ".js": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js", ".jsx": "js",
    ".go": "go", ".rs": "rust", ".rb": "ruby", ".php": "php", ".pl": "perl", ".pm": "perl",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".sql": "sql",
    ".java": "jvm", ".kt": "jvm", ".kts": "jvm", ".scala": "jvm", ".swift": "jvm",
    ".cs": "jvm", ".groovy": "jvm", ".dart": "jvm",
    ".lua": "lua", ".r": "r", ".m": "matlab", ".hs": "haskell", ".ml": "ocaml",
    ".mli": "ocaml", ".ex": "elixir", ".exs": "elixir", ".clj": "lisp", ".el": "lisp",
    ".lisp": "lisp", ".scm": "lisp", ".vim": "vim", ".sed": "sed", ".awk": "awk",
    ".toml": "section", ".ini": "section", ".cfg": "section", ".conf": "section",
    ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".cmake": "cmake",
    ".mk": "make", ".ps1": "powershell", ".bat": "batch", ".tex": "tex",
}  # fmt: skip
"""Extension → language key; keys without a pattern fall back to paragraphs."""

FILE_NAMES: dict[str, str] = {
    "makefile": "make", "gnumakefile": "make", "dockerfile": "docker",
    "containerfile": "docker", "cmakelists.txt": "cmake", "rakefile": "ruby",
    "gemfile": "ruby", "vagrantfile": "ruby", "jenkinsfile": "jvm",
}  # fmt: skip
"""Lower-cased file names of code files without a telling extension."""

_INTERPRETERS = {
    "python": "python", "sh": "shell", "bash": "shell", "zsh": "shell", "dash": "shell",
    "ksh": "shell", "perl": "perl", "ruby": "ruby", "node": "js", "php": "php",
    "lua": "lua", "rscript": "r", "sed": "sed", "awk": "awk",
}  # fmt: skip
_SHEBANG = re.compile(rb"^#!\s*\S*?([\w.-]+)(?:\s+(?:-\S+\s+)*([\w.-]+))?")
# Comments, decorators and preprocessor lines that may precede a definition.
_LEAD = re.compile(r"^\s*(?:#|//|/\*|\*|--|;|%|@|\"|\(\*|\{-)")
_STATEMENTS, _COMMENT, _DEFINITION = range(3)  # kinds of group in code_blocks
_CLOSERS = re.compile(r"^(?:[})\]]|end\b|fi\b|done\b|esac\b)")


def shebang_language(head: bytes) -> str | None:
    """The language a ``#!`` line names (``#!/usr/bin/env python3`` → python), or None."""
    m = _SHEBANG.match(head)
    if not m:
        return None
    names = [g.decode("ascii", "replace").lower() for g in m.groups() if g]
    for name in reversed(names):  # "env python3": the last name is the interpreter
        base = name.rstrip("0123456789.")
        if base in _INTERPRETERS:
            return _INTERPRETERS[base]
    return None


def _starts_definition(run: list[str], pattern: re.Pattern[str]) -> bool:
    for line in run:
        if not _LEAD.match(line):
            return not line[:1].isspace() and bool(pattern.match(line))
    return False


def _starts_top_level(run: list[str]) -> bool:
    return not run[0][:1].isspace() and not _CLOSERS.match(run[0])


def code_blocks(lines: list[str], language: str) -> list[Block]:
    """Group the paragraphs of a source file into one block per top-level definition."""
    runs = list(paragraphs(lines))
    pattern = _PATTERNS.get(language)
    if pattern is None or not any(_starts_definition(run, pattern) for _, run in runs):
        return [Block("\n".join(run), kind="code", line=first + 1) for first, run in runs]
    groups: list[list[int]] = []  # [first line, last line, kind of group]
    previous_first = -1
    for first, run in runs:
        last = first + len(run) - 1
        previous = groups[-1][2] if groups else None
        if _starts_definition(run, pattern):
            kind = _DEFINITION
            # A lone comment paragraph just above belongs to the definition.
            extend = previous == _COMMENT and groups[-1][0] == previous_first
        elif not _starts_top_level(run):  # indented: the body of what came before
            kind, extend = previous if previous is not None else _STATEMENTS, bool(groups)
        elif all(_LEAD.match(line) for line in run):
            kind, extend = _COMMENT, previous == _COMMENT
        else:
            kind, extend = _STATEMENTS, previous in (_COMMENT, _STATEMENTS)
        if extend:
            groups[-1][1:] = [last, kind]
        else:
            groups.append([first, last, kind])
        previous_first = first
    return [
        Block("\n".join(lines[first : last + 1]), kind="code", line=first + 1)
        for first, last, _ in groups
    ]


def extract_code(data: bytes, language: str | None = None) -> Document:
    """Extract a source file; ``language`` is a key of :data:`LANGUAGES` or from a shebang."""
    language = language or shebang_language(data[:256]) or ""
    lines = decode_text(data).split("\n")
    return Document(title=None, blocks=code_blocks(lines, language), kind="code")
