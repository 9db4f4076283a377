"""The embedder on the real packaged model files (no mock of the model).

The default (fused) variant is built once per session into a temporary
models directory; the cache test builds the smaller ``requantized`` variant
in its own directory. Speed is measured in benchmarks/embed.py, not here.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from paperwire.config import Settings
from paperwire.search.embedder import Embedder
from paperwire.search.model_files import (
    DEFAULT_VARIANT,
    MODEL_SHA256,
    ModelFileError,
    default_model_path,
    default_tokenizer_path,
    prepare_model,
    sha256_file,
)
from tests.helpers.paths import SAMPLE


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models_dir: Path) -> Embedder:
    return Embedder.load(models_dir, DEFAULT_VARIANT)


@pytest.fixture(scope="session")
def abstracts() -> list[str]:
    texts = []
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            texts.append(f"{record['title']}. {record['abstract']}")
            if len(texts) == 6:
                return texts
    return texts


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.needs_data
def test_shape_dtype_unit_length(embedder: Embedder, abstracts: list[str]) -> None:
    vectors = embedder.embed(abstracts)
    assert vectors.shape == (len(abstracts), 384) and vectors.dtype == np.float32
    assert embedder.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("sparse attention for long documents")
    assert query.shape == (384,) and query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_empty_inputs(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    vectors = embedder.embed(["", "   ", "\n"])  # [CLS] [SEP] only: still a unit vector
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(TypeError):
        embedder.embed("a single string is a mistake")  # type: ignore[arg-type]


@pytest.mark.needs_data
def test_alone_and_in_a_batch_with_long_texts_agree(embedder: Embedder, abstracts: list[str]) -> None:
    shorts = ["graph neural networks for molecules", "transformers", "A cat sits on the mat."]
    alone = np.stack([embedder.embed_query(text) for text in shorts])
    mixed = embedder.embed([abstracts[0], shorts[0], *abstracts[1:3], shorts[1], *abstracts[3:], shorts[2]])
    in_batch = mixed[[1, 4, len(mixed) - 1]]
    assert np.abs(alone - in_batch).max() < 1e-3


@pytest.mark.needs_data
def test_padding_is_masked_when_texts_share_a_call(models_dir: Path, abstracts: list[str]) -> None:
    # The original variant is fp32: batching is exact there, so this isolates padding and pooling.
    batched = Embedder.load(models_dir, "original", batch_size=16)
    short = "graph neural networks for molecules"
    alone = batched.embed_query(short)
    together = batched.embed([*abstracts, short])[-1]
    assert np.abs(alone - together).max() < 1e-3


@pytest.mark.needs_data
def test_deterministic(embedder: Embedder, abstracts: list[str]) -> None:
    first = embedder.embed(abstracts)
    second = embedder.embed(list(reversed(abstracts)))[::-1]
    assert np.array_equal(first, second)


def test_paraphrase_is_closer_than_an_unrelated_sentence(embedder: Embedder) -> None:
    anchor, paraphrase, unrelated = embedder.embed([
        "A neural network that translates English sentences into German.",
        "Machine translation from English to German with deep learning.",
        "The recipe needs two eggs, flour and a pinch of salt.",
    ])
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.3


def test_long_input_is_truncated_at_max_tokens(embedder: Embedder) -> None:
    words = " ".join(f"word{i % 97} protein folding" for i in range(5000))
    long_text, longer = embedder.embed([words, words + " and then something else entirely about cooking"])
    # Both are cut at max_tokens, so the tail cannot change the vector.
    assert np.abs(long_text - longer).max() < 1e-6
    assert len(embedder.tokenizer.encode(words).ids) == embedder.max_tokens


@pytest.mark.needs_data
def test_progress_counts_every_text(embedder: Embedder, abstracts: list[str]) -> None:
    seen: list[int] = []
    embedder.embed(abstracts, progress=seen.append)
    assert sum(seen) == len(abstracts)


def test_model_id_names_model_hash_variant_and_cap(models_dir: Path, embedder: Embedder) -> None:
    assert embedder.model_id.startswith("all-MiniLM-L6-v2/")
    assert MODEL_SHA256[:16] in embedder.model_id
    assert DEFAULT_VARIANT in embedder.model_id and embedder.model_id.endswith("/max256")
    other = Embedder(embedder.files, max_tokens=128)
    assert other.model_id != embedder.model_id and other.model_id.endswith("/max128")
    assert Embedder.load(models_dir, "original").model_id != embedder.model_id


def test_from_settings(tmp_path: Path, models_dir: Path) -> None:
    # Share the session's built file: from_settings must find it under data_dir/models.
    data_dir = tmp_path / "data"
    shutil.copytree(models_dir, data_dir / "models")
    settings = Settings(data_dir=data_dir, embed_threads=1, embed_max_tokens=128)
    embedder = Embedder.from_settings(settings)
    assert embedder.threads == 1 and embedder.max_tokens == 128
    assert embedder.files.model.parent == data_dir / "models"
    assert embedder.embed_query("hello").shape == (384,)


def test_corrupted_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), copy)
    flip_byte(copy, copy.stat().st_size // 2)
    with pytest.raises(ModelFileError, match="sha256") as err:
        Embedder.load(tmp_path / "models", "original", source=copy)
    assert str(copy) in str(err.value) and MODEL_SHA256 in str(err.value)


def test_corrupted_tokenizer_and_missing_files_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "tokenizer.json"
    original = default_tokenizer_path().read_text(encoding="utf-8")
    copy.write_text(original.replace('"Fixed":128', '"Fixed":64', 1), encoding="utf-8")
    assert copy.read_text(encoding="utf-8") != original
    with pytest.raises(ModelFileError, match="tokenizer"):
        prepare_model(tmp_path / "models", "original", tokenizer=copy)
    with pytest.raises(ModelFileError, match="not found"):
        prepare_model(tmp_path / "models", "original", source=tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="unknown embedding variant"):
        prepare_model(tmp_path / "models", "bogus")  # type: ignore[arg-type]


def test_invalid_arguments(embedder: Embedder) -> None:
    with pytest.raises(ValueError):
        Embedder(embedder.files, max_tokens=1000)
    with pytest.raises(ValueError):
        Embedder(embedder.files, batch_size=0)


@pytest.fixture
def requantized_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "models"


@pytest.mark.slow
def test_derived_file_is_reused_and_rebuilt_when_corrupted(requantized_dir: Path) -> None:
    files = prepare_model(requantized_dir, "requantized")
    built = files.model
    recorded = json.loads(built.with_name(built.name + ".json").read_text())
    assert recorded["sha256"] == sha256_file(built) and recorded["source_sha256"] == MODEL_SHA256
    assert MODEL_SHA256[:16] in built.name and "requantized" in built.name
    mtime = built.stat().st_mtime_ns
    os.utime(built, ns=(mtime - 10**9, mtime - 10**9))  # a rebuild would set a new mtime
    assert prepare_model(requantized_dir, "requantized").model == built
    assert built.stat().st_mtime_ns == mtime - 10**9, "the cached file was rebuilt instead of reused"
    reference = Embedder(files).embed_query("protein structure prediction")

    flip_byte(built, built.stat().st_size // 3)
    rebuilt = prepare_model(requantized_dir, "requantized")
    assert sha256_file(rebuilt.model) == recorded["sha256"]  # the build is deterministic
    np.testing.assert_array_equal(Embedder(rebuilt).embed_query("protein structure prediction"), reference)

    built.unlink()  # a missing file is rebuilt too
    assert sha256_file(prepare_model(requantized_dir, "requantized").model) == recorded["sha256"]
