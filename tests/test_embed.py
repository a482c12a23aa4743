"""dbkit.embed: offline MiniLM embeddings, the hashing fallback, and zero-padding to vector(1536)."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys

import numpy as np
import psycopg
import pytest

from dbkit import embed as embed_module
from dbkit.embed import HashingEmbedder, MiniLMEmbedder, embed, embedder, pad_1536

PAIRS = [
    ("The user prefers dark mode in every editor.", "In all of their code editors, the user likes a dark theme."),
    (
        "The nightly backup job failed because the disk was full.",
        "Last night's backup did not finish: no space was left on the drive.",
    ),
    ("Alice is allergic to peanuts.", "Peanuts give Alice an allergic reaction."),
    (
        "The meeting with the design team moved to Thursday at 3 pm.",
        "The design team's meeting is now on Thursday afternoon at three.",
    ),
    ("How do I reset my password?", "What are the steps to change a forgotten password?"),
]
DISTRACTORS = [
    "The user wants answers in British English.",
    "The user's favourite programming language is Rust.",
    "Bob prefers tea over coffee in the morning.",
    "The staging database runs PostgreSQL 18 with pgvector.",
    "Invoices are sent on the first day of every month.",
    "The cat knocked a glass of water off the table.",
    "Paris is the capital of France.",
    "The quarterly revenue grew by twelve percent.",
    "Remind the user to stretch every hour.",
    "The API rate limit is 100 requests per minute.",
    "The user lives in Lisbon and works remotely.",
    "Deploys are frozen during the holiday season.",
    "The recipe needs two cups of flour and one egg.",
    "The marathon starts at seven in the morning.",
    "The user turned off email notifications.",
    "Our office plants need watering twice a week.",
    "The new laptop has 32 GB of memory.",
    "The agent should never share the customer's phone number.",
    "Tomatoes grow best in full sun.",
    "The train to Porto leaves from platform four.",
    "The user's screen reader needs high-contrast text.",
    "The log files are rotated every day at midnight.",
    "The hiking trail closes after heavy rain.",
    "Alice's birthday is in March.",
]
TEXTS = [t for pair in PAIRS for t in pair] + DISTRACTORS
# Long enough to be truncated at 256 tokens, so truncation and padding are exercised too.
LONG = " ".join(["The agent summarised a very long conversation about schemas and indexes."] * 40)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()  # a required dependency: fail, don't skip, if it cannot load


@pytest.fixture
def fresh_embedder(monkeypatch):
    """`embedder()` computed anew in this test (and again after it, without the test's patches)."""
    monkeypatch.delenv("DBKIT_EMBEDDER", raising=False)
    embedder.cache_clear()
    yield
    embedder.cache_clear()


@pytest.mark.parametrize("kind", ["minilm", "hashing"])
def test_shape_dtype_and_unit_rows(kind, minilm):
    model = minilm if kind == "minilm" else HashingEmbedder()
    vectors = model.embed(TEXTS + [LONG, ""])
    assert model.dim == 384
    assert vectors.shape == (len(TEXTS) + 2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.embed([]).shape == (0, 384)
    assert model.embed([]).dtype == np.float32


@pytest.mark.parametrize("kind", ["minilm", "hashing"])
def test_same_texts_same_bytes(kind, minilm):
    model = minilm if kind == "minilm" else HashingEmbedder()
    assert model.embed(TEXTS).tobytes() == model.embed(TEXTS).tobytes()


@pytest.mark.parametrize("kind", ["", "hashing"])
def test_same_bytes_in_another_process(kind, monkeypatch, fresh_embedder):
    monkeypatch.setenv("DBKIT_EMBEDDER", kind)
    here = hashlib.sha256(embed(TEXTS).tobytes()).hexdigest()
    code = "import hashlib, sys; from dbkit.embed import embed; print(hashlib.sha256(embed(sys.argv[1:]).tobytes()).hexdigest())"
    there = subprocess.run([sys.executable, "-c", code, *TEXTS], capture_output=True, text=True, check=True)
    assert there.stdout.strip() == here
    assert there.stderr == ""  # nothing printed: onnxruntime's log is silenced


def test_a_text_alone_or_in_a_batch(minilm):
    texts = [TEXTS[0], LONG, DISTRACTORS[0]]  # the short ones padded to the long one's width in a batch
    together = minilm.embed(texts)
    alone = np.concatenate([minilm.embed([t]) for t in texts])
    reordered = minilm.embed(texts[::-1])[::-1]
    assert (together * alone).sum(axis=1).min() >= 0.9999
    assert (together * reordered).sum(axis=1).min() >= 0.9999


def test_a_batch_larger_than_batch_size(minilm):
    texts = [f"Memory number {i}: the user asked about table {i % 7}." for i in range(minilm.batch_size * 2 + 5)]
    together = minilm.embed(texts)
    assert together.shape == (len(texts), 384)
    np.testing.assert_allclose((together[-3:] * minilm.embed(texts[-3:])).sum(axis=1), 1.0, atol=1e-4)


def test_each_paraphrase_finds_its_pair(minilm):
    vectors = minilm.embed(TEXTS)
    cosine = vectors @ vectors.T
    np.fill_diagonal(cosine, -np.inf)
    for i in range(2 * len(PAIRS)):
        pair = i ^ 1  # 0<->1, 2<->3, ...
        assert cosine[i].argmax() == pair, f"{TEXTS[i]!r} is nearest to {TEXTS[cosine[i].argmax()]!r}"


def test_embedder_is_minilm_by_default_and_cached(fresh_embedder, caplog):
    with caplog.at_level(logging.INFO, logger="dbkit"):
        first = embedder()
        assert embedder() is first
    assert first.name == "all-MiniLM-L6-v2 (ONNX int8, offline)"
    assert [r.getMessage() for r in caplog.records] == [f"embedder: {first.name}"]


def test_environment_forces_the_hashing_fallback(fresh_embedder, monkeypatch):
    monkeypatch.setenv("DBKIT_EMBEDDER", "hashing")
    model = embedder()
    assert isinstance(model, HashingEmbedder)
    assert model.name == "hashing-384 (fallback: DBKIT_EMBEDDER=hashing)"
    assert embed(["x"]).tobytes() == HashingEmbedder().embed(["x"]).tobytes()


def test_a_corrupted_model_falls_back_with_the_reason(fresh_embedder, monkeypatch, tmp_path, caplog):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not a model")
    monkeypatch.setattr(embed_module, "_model_path", lambda: bad)
    with caplog.at_level(logging.INFO, logger="dbkit"):
        model = embedder()
    assert isinstance(model, HashingEmbedder)
    assert model.name.startswith("hashing-384 (fallback: ValueError: ")
    assert "sha256" in model.name and str(bad) in model.name
    assert len(caplog.records) == 1 and model.name in caplog.records[0].getMessage()


def test_a_missing_model_falls_back_with_the_reason(fresh_embedder, monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "model.onnx"
    monkeypatch.setattr(embed_module, "_model_path", lambda: missing)
    model = embedder()
    assert isinstance(model, HashingEmbedder)
    assert model.name.startswith("hashing-384 (fallback: FileNotFoundError: ")
    assert str(missing) in model.name
    assert embed(TEXTS).shape == (len(TEXTS), 384)


def test_hashing_is_deterministic_and_independent_of_the_batch():
    model = HashingEmbedder()
    alone = np.concatenate([model.embed([t]) for t in TEXTS])
    assert alone.tobytes() == model.embed(TEXTS).tobytes()
    assert not np.allclose(alone[0], alone[1])  # different texts, different vectors


def _cosine_distances(vectors: np.ndarray) -> np.ndarray:
    v = vectors.astype(np.float64)
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    return 1.0 - unit @ unit.T


def test_pad_1536_keeps_cosine_distances(minilm):
    vectors = minilm.embed(TEXTS)
    padded = pad_1536(vectors)
    assert padded.shape == (len(TEXTS), 1536) and padded.dtype == np.float32
    assert not padded[:, 384:].any()
    np.testing.assert_allclose(_cosine_distances(padded), _cosine_distances(vectors), atol=1e-6)
    assert pad_1536(np.zeros((0, 384), np.float32)).shape == (0, 1536)


def test_pad_1536_rejects_other_widths():
    with pytest.raises(ValueError, match=r"pad_1536 needs an \(n, 384\) array, got shape \(2, 1536\)"):
        pad_1536(np.zeros((2, 1536), np.float32))


def test_pgvector_sees_the_same_distances_after_padding(fresh_db):
    vectors = HashingEmbedder().embed(TEXTS[:4])
    padded = pad_1536(vectors)
    literal = lambda v: "[" + ",".join(map(repr, v.tolist())) + "]"  # noqa: E731
    with psycopg.connect(fresh_db) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        for i in range(1, 4):
            short = conn.execute(
                "SELECT %s::vector(384) <=> %s::vector(384)", (literal(vectors[0]), literal(vectors[i]))
            ).fetchone()[0]
            wide = conn.execute(
                "SELECT %s::vector(1536) <=> %s::vector(1536)", (literal(padded[0]), literal(padded[i]))
            ).fetchone()[0]
            assert wide == pytest.approx(short, abs=1e-6)


# -- the on-disk cache ---------------------------------------------------------------------------


@pytest.fixture
def cached(minilm, tmp_path):
    """The module's model with a cache of its own in tmp_path; the model's compute() calls are counted."""
    from dbkit.embed import EmbeddingCache

    computed: list[int] = []
    original = minilm.compute

    def counted(texts):
        computed.append(len(texts))
        return original(texts)

    minilm.cache, minilm.compute = EmbeddingCache(tmp_path, minilm.id), counted
    yield minilm, computed
    minilm.cache = None
    del minilm.compute


def test_a_second_embedding_reads_the_cache_and_gives_the_same_bytes(cached):
    model, computed = cached
    first = model.embed(TEXTS)
    again = model.embed(TEXTS[::-1] + TEXTS)[len(TEXTS) :]
    assert computed == [len(TEXTS)]  # nothing computed the second time
    assert again.tobytes() == first.tobytes() == model.__class__.compute(model, TEXTS).tobytes()
    assert model.embed(TEXTS + ["a text not seen yet"]).shape == (len(TEXTS) + 1, 384) and computed == [len(TEXTS), 1]


def test_the_cache_is_shared_by_processes_and_keyed_by_the_model(cached, tmp_path):
    model, _ = cached
    model.embed(TEXTS[:3])
    code = (
        "import sys; from pathlib import Path; from dbkit.embed import EmbeddingCache, MiniLMEmbedder, _key\n"
        "m = MiniLMEmbedder(); found = EmbeddingCache(Path(sys.argv[1]), m.id).get([_key(t) for t in sys.argv[2:]])\n"
        "print(len(found), m.id)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), *TEXTS[:4]], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["3", model.id]
    assert [p.name for p in tmp_path.glob("*.sqlite3")] == [f"{model.id}.sqlite3"]
    assert model.id.startswith("all-MiniLM-L6-v2-int8-") and model.id.endswith(f"-v{embed_module.CACHE_VERSION}")


def test_a_damaged_cache_is_ignored_and_the_vectors_computed(cached, tmp_path):
    model, computed = cached
    model.cache.path.write_bytes(b"this is not a SQLite file" * 100)
    assert model.embed(TEXTS).tobytes() == model.__class__.compute(model, TEXTS).tobytes()
    assert computed == [len(TEXTS)]


def test_the_environment_moves_or_turns_off_the_cache(fresh_embedder, monkeypatch, tmp_path):
    monkeypatch.setenv("DBKIT_EMBED_CACHE", str(tmp_path / "elsewhere"))
    model = embedder()
    assert model.cache is not None and model.cache.path.parent == tmp_path / "elsewhere"
    model.embed(["cached here"])
    assert model.cache.path.exists()
    embedder.cache_clear()
    monkeypatch.setenv("DBKIT_EMBED_CACHE", "off")
    assert embedder().cache is None
