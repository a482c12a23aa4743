"""Embeddings: sentences/s of `dbkit.embed` against onnxruntime called directly on the same model file.

The direct side is what a reader would write from onnxruntime's and tokenizers' docs: default session
options, the tokenizer truncating at 256 and padding each batch of 32 to its longest, mean pooling, L2
normalisation. The texts are memories the IBEX grammar writes (another seed than the database's), so
their lengths are the seed's. The cache is measured apart: cold (compute and write) and warm (read).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._measure import Bench, median, ratio, side_by_side, timed


def texts(count: int, seed: int = 3) -> list[str]:
    """`count` distinct memory texts from the IBEX grammar (hashing vectors: only the texts are wanted)."""
    from dbkit.embed import HashingEmbedder
    from dbkit.seed import SeedContext
    from dbkit.seed.ibex import generate

    scale = 1
    while True:
        ctx = SeedContext("ibex_core", seed=seed, scale=scale, embed=HashingEmbedder().embed)
        memories = next(t for t in generate(ctx) if t.name == "memories").rows
        found = list(dict.fromkeys(m["content"] for m in memories))
        if len(found) >= count:
            return found[:count]
        scale *= 2


class _Direct:
    """onnxruntime and tokenizers used as their documentation shows, on the file dbkit loads."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from dbkit import embed

        self.tokenizer = Tokenizer.from_file(str(embed._tokenizer_path()))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.enable_padding()
        self.session = ort.InferenceSession(str(embed._model_path()), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, sentences: list[str], batch: int = 32) -> np.ndarray:
        out = []
        for at in range(0, len(sentences), batch):
            encodings = self.tokenizer.encode_batch(sentences[at : at + batch])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
            }
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            mask = feed["attention_mask"][:, :, None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out).astype(np.float32)


def measure(bench: Bench) -> None:
    from dbkit.embed import EmbeddingCache, MiniLMEmbedder

    with bench.area("embeddings") as found:
        sample = texts(bench.times(1000, 50))
        kit, direct = MiniLMEmbedder(), _Direct()
        agreement = float((kit.compute(sample[:100]) * direct.embed(sample[:100])).sum(axis=1).min())
        runs = side_by_side(
            {"dbkit": lambda: kit.compute(sample), "direct": lambda: direct.embed(sample)}, bench.times(3), warmup=0
        )
        rates = {name: len(sample) / median(times) for name, times in runs.items()}
        found.update(
            texts=len(sample),
            sentences_per_s={name: round(rate, 1) for name, rate in rates.items()},
            ratio=round(ratio(rates["dbkit"], rates["direct"]), 3),
            min_cosine_dbkit_vs_direct=round(agreement, 6),
        )
        bench.target("embeddings", "`dbkit.embed` sentences/s vs onnxruntime called directly (same model)",
                     f"{rates['dbkit']:.0f}/s vs {rates['direct']:.0f}/s = {ratio(rates['dbkit'], rates['direct']):.2f}x",
                     ">= 0.9x", ratio(rates["dbkit"], rates["direct"]) >= 0.9)  # fmt: skip
        found["cache"] = _cache(kit, sample, EmbeddingCache)


def _cache(kit: Any, sample: list[str], cache_class: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as folder:
        kit.cache = cache_class(Path(folder), kit.id)
        cold, vectors = timed(lambda: kit.embed(sample))
        warm, again = timed(lambda: kit.embed(sample))
        kit.cache.close()
        kit.cache = None
        size = sum(p.stat().st_size for p in Path(folder).iterdir())  # the file alone once closed
    return {
        "cold_s": round(cold, 3),
        "warm_s": round(warm, 4),
        "warm_texts_per_s": round(len(sample) / warm),
        "identical_bytes": bool(vectors.tobytes() == again.tobytes()),
        "bytes_per_vector": round(size / len(sample)),
    }
