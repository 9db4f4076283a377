"""Sentence embeddings: all-MiniLM-L6-v2 on onnxruntime, no torch.

``Embedder.from_settings(settings).embed(texts)`` returns unit-length float32
vectors of shape ``(n, 384)``: the model's last hidden state mean-pooled over
the attention mask, then L2-normalised (what sentence-transformers does for
this model), so a dot product is the cosine similarity.

Three details decide both quality and speed:

- The packaged ``tokenizer.json`` pads every input to 128 tokens and
  truncates at 128. Both are switched off here: texts are truncated at
  ``max_tokens`` (256 by default, the model's training length) and padded
  only to the longest text of their model call, and padding never enters
  the mean because pooling honours the attention mask.
- The int8 variants quantize activations dynamically, with one range per
  model call: texts embedded in one call would change each other's vectors
  (cosine ≈ 0.99 to the text embedded alone). So by default each text runs
  in its own call (``batch_size=1``), which also wastes nothing on padding;
  the parallelism comes from ``threads`` workers running calls side by side,
  each on one core, which measured faster on 256-token abstracts than
  batching with onnxruntime's intra-op threads (docs/benchmarks.md).
- Texts are sorted by token length (longest first, so the workers finish
  together; with ``batch_size > 1`` each call holds texts of similar
  length); results come back in input order.

The model files and their variants (the faster re-quantised and fused
builds) are handled by :mod:`paperwire.search.model_files`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from paperwire.config import Settings
from paperwire.search.model_files import (
    DEFAULT_VARIANT,
    HIDDEN_SIZE,
    MODEL_NAME,
    MODEL_SHA256,
    RECIPE,
    ModelFileError,
    ModelFiles,
    Variant,
    prepare_model,
)

#: The model's position embeddings end here.
MAX_POSITIONS = 512

Progress = Callable[[int], None]

__all__ = ["Embedder", "LazyEmbedder", "ModelFileError", "Progress"]


def model_id_for(label: str, max_tokens: int, source_sha256: str = MODEL_SHA256) -> str:
    """The identity of a variant (``label``: e.g. ``fused-r1``) of the packaged model at a token cap."""
    return f"{MODEL_NAME}/sha256:{source_sha256[:16]}/{label}/max{max_tokens}"


class Embedder:
    """Embeds texts with one verified model variant; safe to share between threads."""

    dim = HIDDEN_SIZE

    def __init__(self, files: ModelFiles, *, threads: int = 0, batch_size: int = 1, max_tokens: int = 256) -> None:
        """Open ``files`` (as returned by :func:`prepare_model`, which verified them).

        ``threads`` model calls run side by side, each single-threaded (0: one
        per CPU available to this process); ``batch_size`` texts go into one
        call (keep 1 with the int8 variants, see the module docstring);
        ``max_tokens`` counts the [CLS] and [SEP] tokens.
        """
        if not 3 <= max_tokens <= MAX_POSITIONS:
            raise ValueError(f"max_tokens must be between 3 and {MAX_POSITIONS}, got {max_tokens}")
        if batch_size < 1 or threads < 0:
            raise ValueError("batch_size must be >= 1 and threads >= 0")
        self.files = files
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads or len(os.sched_getaffinity(0))
        # imported here: a process that never embeds (an import, a keyword search) does not pay for them
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Parallel calls on one core each beat intra-op threading here (no fork/join per operator).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(files.model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    @classmethod
    def load(
        cls,
        models_dir: Path,
        variant: Variant = DEFAULT_VARIANT,
        *,
        threads: int = 0,
        batch_size: int = 1,
        max_tokens: int = 256,
        source: Path | None = None,
        tokenizer: Path | None = None,
    ) -> Embedder:
        """Verify (and on first use build) ``variant`` in ``models_dir``, then open it.

        ``source`` and ``tokenizer`` override the packaged files; they must
        still have the pinned sha256 (:class:`ModelFileError` otherwise).
        """
        files = prepare_model(models_dir, variant, source=source, tokenizer=tokenizer)
        return cls(files, threads=threads, batch_size=batch_size, max_tokens=max_tokens)

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder configured by ``embed_*`` settings, its derived files under ``data_dir/models``."""
        return cls.load(settings.models_dir(), settings.embed_variant, threads=settings.embed_threads,
                        batch_size=settings.embed_batch_size, max_tokens=settings.embed_max_tokens)

    @property
    def model_id(self) -> str:
        """Names the model, its source hash, variant and token cap; stored vectors carry it.

        Vectors made under another id are not comparable and must be recomputed.
        """
        return model_id_for(self.files.label, self.max_tokens, self.files.source_sha256)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, shape ``(len(texts), dim)``, in input order.

        ``progress`` is called with the number of texts finished after each batch.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_query() for one")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [enc.ids for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=True)]
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        # Stable sort, longest first: equal lengths keep input order, so the calls do not depend on timing.
        order = np.argsort(-lengths, kind="stable")
        calls = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(call: np.ndarray) -> np.ndarray:
            return self._embed_ids([ids[i] for i in call])

        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed") if self.threads > 1 < len(calls) else None
        try:
            results = pool.map(run, calls) if pool else map(run, calls)
            for call, vectors in zip(calls, results, strict=True):
                out[call] = vectors
                if progress:
                    progress(len(call))
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One text's unit-length vector, shape ``(dim,)``."""
        vector: np.ndarray = self.embed([text])[0]
        return vector

    def _embed_ids(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, token_ids in enumerate(batch):
            input_ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        hidden: np.ndarray = self.session.run(None, feed)[0]
        weights = mask.astype(np.float32)
        # Mean over real tokens only: padding must not pull short texts towards the [PAD] vector.
        counts = np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        pooled: np.ndarray = np.einsum("bsd,bs->bd", hidden, weights) / counts
        unit: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return unit.astype(np.float32)


class LazyEmbedder:
    """The configured embedder, opened on first use.

    Its identity is known without opening the model, so a process that only
    imports or serves keyword searches never pays for loading it.
    """

    dim = HIDDEN_SIZE

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        variant = settings.embed_variant
        label = variant if variant == "original" else f"{variant}-r{RECIPE}"
        self.model_id = model_id_for(label, settings.embed_max_tokens)
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Embedder:
        """The real embedder (verifying, and on first use building, its files)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder.from_settings(self.settings)
                if self._embedder.model_id != self.model_id:
                    raise ModelFileError(f"model id {self._embedder.model_id} differs from {self.model_id}")
            return self._embedder

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self.loaded.embed(texts, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.loaded.embed_query(text)
