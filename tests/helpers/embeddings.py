"""The real embedder with its vectors cached on disk across test runs (``embed_sample``), for the sample
stores of tests/conftest.py."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from paperwire.runtime import Runtime
from tests.helpers.paths import ROOT


class CachedEmbedder:
    """The real embedder, remembering vectors by text in a file shared by test runs and workers.

    Embedding the 2k sample takes about a minute; every backend's sample store (and every later
    run) reuses those vectors. The vectors are the model's own: nothing is faked.
    """

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner, self.path = inner, path
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed(self, texts: Any) -> Any:
        import fcntl

        import numpy as np

        from paperwire.search.embed_papers import text_hash

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cache = dict(np.load(self.path)) if self.path.exists() else {}
            keys = [text_hash(t) for t in texts]
            missing = [t for t, k in zip(texts, keys, strict=True) if k not in cache]
            if missing:
                for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                    cache[text_hash(text)] = vector
                tmp = self.path.with_suffix(".tmp.npz")
                np.savez(tmp, **cache)
                os.replace(tmp, self.path)
        return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)


def embed_sample(rt: Runtime) -> None:
    """Embed the store's papers with the real model (vectors cached across runs), then index them."""
    from paperwire.search.embed_papers import embed_missing

    assert rt.embedder is not None
    name = uuid.uuid5(uuid.NAMESPACE_URL, rt.embedder.model_id).hex
    cached = CachedEmbedder(rt.embedder, ROOT / "test-output" / "cache" / f"embeddings-{name}.npz")
    report = embed_missing(rt.store, cached, batch_size=500)
    assert report.embedded == rt.store.stats().papers
    rt.indexes.sync()
