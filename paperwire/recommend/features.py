"""The background model and tf-idf rows (pure, numpy/scipy).

A ``Background`` is fitted once per instance on the papers it holds (not per
user): document frequencies per hash bucket give each term its idf, terms in
fewer than ``min_df`` papers or more than ``max_df`` of them get none, and a
seeded sample of papers is kept as *reference rows*. A candidate's
**hubness** is the mean of its ``hub_k`` highest cosines to the reference
rows: a paper written in the vocabulary of many papers (a survey, a broad
benchmark) is near every library, and subtracting its hubness is the
contrast with background papers that a classifier of "library vs others"
would learn (the CSLS correction of Lample et al., "Word translation without
parallel data", ICLR 2018).

Rows are tf-idf with sublinear tf (1 + ln tf) and unit length, so a dot
product of two rows is their cosine.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperwire.recommend.text import BUCKETS, term_counts

FORMAT = 1


def counts_matrix(texts: Iterable[str]) -> sp.csr_matrix:
    """Raw bucket counts, one row per text."""
    indptr = [0]
    indices: list[int] = []
    data: list[int] = []
    for text in texts:
        counts = term_counts(text)
        indices.extend(counts.keys())
        data.extend(counts.values())
        indptr.append(len(indices))
    return sp.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                          np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, BUCKETS))


def idf_weights(df: np.ndarray, n_docs: int, min_df: int, max_df: float) -> np.ndarray:
    """Smoothed idf, ln((1 + n) / (1 + df)) + 1, and 0 outside [min_df, max_df · n]."""
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    keep = (df >= min_df) & (df <= max_df * n_docs)
    return np.where(keep, idf, 0.0).astype(np.float32)


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Unit-length tf-idf rows (sublinear tf) from raw counts."""
    rows = counts.astype(np.float32, copy=True)
    # Scaled in place: a product with a 2^20-wide diagonal matrix cost more than the rest of training.
    rows.data = (1.0 + np.log(rows.data)) * idf[rows.indices]
    rows.eliminate_zeros()
    squares = np.concatenate([[0.0], np.cumsum(rows.data.astype(np.float64) ** 2)])
    norms = np.sqrt(squares[rows.indptr[1:]] - squares[rows.indptr[:-1]])
    rows.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(rows.indptr)).astype(np.float32)
    return rows


def hubness(rows: sp.csr_matrix, reference: sp.csr_matrix, k: int) -> np.ndarray:
    """Mean of each row's ``k`` highest cosines to the reference rows."""
    if reference.shape[0] == 0 or rows.shape[0] == 0:
        return np.zeros(rows.shape[0], dtype=np.float32)
    sims = (reference @ rows.T).toarray()
    k = min(k, sims.shape[0])
    top = -np.partition(-sims, k - 1, axis=0)[:k]
    return np.asarray(top.mean(axis=0), dtype=np.float32)


@dataclass(frozen=True)
class Background:
    """What every user's model shares: idf per bucket and the reference rows for hubness."""

    idf: np.ndarray
    reference: sp.csr_matrix
    n_docs: int
    min_df: int = 3
    max_df: float = 0.1
    hub_k: int = 50

    @cached_property
    def fingerprint(self) -> str:
        """A short digest of the idf: a user model remembers which background it was trained with."""
        return hashlib.sha256(self.idf.tobytes()).hexdigest()[:16]

    def rows(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Unit-length tf-idf rows of texts (see ``text.paper_text``)."""
        return tfidf_rows(counts_matrix(texts), self.idf)

    def hubness(self, rows: sp.csr_matrix) -> np.ndarray:
        """Each row's hubness against this background's reference rows."""
        return hubness(rows, self.reference, self.hub_k)

    def to_bytes(self) -> bytes:
        """The background as a compressed npz (4.7 MB for 40,717 papers and 5,000 reference rows)."""
        out = io.BytesIO()
        ref = self.reference
        np.savez_compressed(out, format=np.array([FORMAT]), idf=self.idf.astype(np.float16),
                            params=np.array([self.n_docs, self.min_df, self.max_df, self.hub_k], dtype=np.float64),
                            ref_data=ref.data.astype(np.float16), ref_indices=ref.indices, ref_indptr=ref.indptr)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Background:
        """A background written by ``to_bytes``."""
        with np.load(io.BytesIO(blob)) as z:
            if int(z["format"][0]) != FORMAT:
                raise ValueError(f"background format {int(z['format'][0])} is not {FORMAT}")
            n_docs, min_df, max_df, hub_k = (float(v) for v in z["params"])
            reference = sp.csr_matrix((z["ref_data"].astype(np.float32), z["ref_indices"], z["ref_indptr"]),
                                      shape=(len(z["ref_indptr"]) - 1, BUCKETS))
            return cls(z["idf"].astype(np.float32), reference, int(n_docs), int(min_df), max_df, int(hub_k))

    def save(self, path: Path) -> None:
        """Write the background to ``path`` (replacing it whole)."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Background:
        """Read a background written by ``save``."""
        return cls.from_bytes(path.read_bytes())


def fit_background(counts: sp.csr_matrix, *, min_df: int = 3, max_df: float = 0.1, reference_size: int = 5000,
                   hub_k: int = 50, seed: int = 0) -> Background:
    """Fit idf on the papers' raw counts (``counts_matrix``) and sample the reference rows."""
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=BUCKETS)
    idf = idf_weights(df, n_docs, min_df, max_df)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n_docs, min(reference_size, n_docs), replace=False))
    reference = tfidf_rows(counts[sample], idf)
    return Background(idf, reference, n_docs, min_df, max_df, hub_k)
