"""The probe child says it is still working after every pass and every query, so a slow computer is measured."""

from __future__ import annotations

from app.core.engine import worker


class SlowEmbedder:
    def __init__(self) -> None:
        self.calls = 0

    def embed_prompts(self, texts, dimension=None):
        self.calls += 1
        return [[0.0]] * len(texts)


def test_every_pass_and_every_query_is_followed_by_a_sign_of_life():
    emitted: list[dict] = []
    emb = SlowEmbedder()
    out = worker._timings(emb, (["a", "b"], 10), ["q1", "q2", "q3"], first=(20.0, 0.5),
                          request={"min_seconds": 0, "query_rounds": 2}, emit=emitted.append)
    ticks = [e for e in emitted if e == {"event": "tick"}]
    passes_after_the_first = out["passes"] - 1
    assert len(ticks) == passes_after_the_first + 2 * 3
    assert emb.calls == passes_after_the_first + 2 * 3
