"""Build the GGUF tokenizer tables from tokenizer.model and tokenizer_config.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sentencepiece import SentencePieceProcessor

from convert.errors import ConversionError

# GGUF token types (llama.cpp's llama_token_type).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
ADDED_TOKEN_SCORE = -1000.0
PAD_SCORE = -10000.0


@dataclass
class Vocab:
    """Token table plus special ids, ready for the GGUF writer."""

    tokens: list[bytes]
    scores: list[float]
    types: list[int]
    bos_id: int
    eos_id: int
    unk_id: int
    pad_id: int
    add_bos: bool
    add_eos: bool

    def __len__(self) -> int:
        return len(self.tokens)


def _looks_special(text: str) -> bool:
    # Some checkpoints leave control-like tokens unmarked; these shapes are never plain text.
    return (
        text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
        or (text.startswith("<|") and text.endswith("|>"))
        or (text.startswith("<unused") and text.endswith(">"))
    )


def _spm_type(sp: SentencePieceProcessor, i: int) -> int:
    if sp.IsUnknown(i):
        return UNKNOWN
    if sp.IsControl(i):
        return CONTROL
    if sp.IsUnused(i):
        return UNUSED
    if sp.IsByte(i):
        return BYTE
    return NORMAL


def load_vocab(folder: Path, vocab_size: int) -> Vocab:
    """Read the SentencePiece model and the added tokens, sized to ``vocab_size``.

    Tokens past ``vocab_size`` (EmbeddingGemma's ``<image_soft_token>``, id
    262144) have no embedding row and are dropped.
    """
    model_path = folder / "tokenizer.model"
    if not model_path.is_file():
        raise ConversionError(f"missing file: {model_path}")
    sp = SentencePieceProcessor()
    try:
        sp.LoadFromFile(str(model_path))
    except (OSError, RuntimeError) as exc:
        raise ConversionError(f"{model_path} is not a SentencePiece model: {exc}") from exc

    tokens = [f"[PAD{i}]".encode() for i in range(vocab_size)]
    scores = [PAD_SCORE] * vocab_size
    types = [UNUSED] * vocab_size
    for i in range(min(sp.GetPieceSize(), vocab_size)):
        tokens[i] = sp.IdToPiece(i).encode("utf-8")
        scores[i] = float(sp.GetScore(i))
        types[i] = _spm_type(sp, i)

    config = _read_tokenizer_config(folder)
    for key, entry in config.get("added_tokens_decoder", {}).items():
        token_id = int(key)
        if token_id >= vocab_size:
            continue
        text = entry["content"]
        if entry.get("special") or _looks_special(text):
            types[token_id] = CONTROL
        else:
            text = text.replace("\u2581", " ")
            types[token_id] = USER_DEFINED
        tokens[token_id] = text.encode("utf-8")
        scores[token_id] = ADDED_TOKEN_SCORE

    index: dict[bytes, int] = {}
    for i, t in enumerate(tokens):
        index.setdefault(t, i)

    def special(name: str, fallback: int) -> int:
        text = config.get(f"{name}_token")
        if isinstance(text, dict):
            text = text.get("content")
        if isinstance(text, str) and text.encode("utf-8") in index:
            return index[text.encode("utf-8")]
        if fallback < 0:
            raise ConversionError(f"tokenizer has no {name} token")
        return fallback

    return Vocab(
        tokens=tokens,
        scores=scores,
        types=types,
        bos_id=special("bos", sp.bos_id()),
        eos_id=special("eos", sp.eos_id()),
        unk_id=special("unk", sp.unk_id()),
        pad_id=special("pad", sp.pad_id()),
        add_bos=bool(config.get("add_bos_token", True)),
        add_eos=bool(config.get("add_eos_token", False)),
    )


def _read_tokenizer_config(folder: Path) -> dict:
    path = folder / "tokenizer_config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConversionError(f"missing file: {path}") from None
    except (OSError, ValueError) as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConversionError(f"{path} does not hold a JSON object")
    return data
