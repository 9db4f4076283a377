"""The per-user model: what is stored for each reader, versioned and small.

A ``UserModel`` holds the tf-idf rows of the reader's positive papers (saves,
upvotes, thumbs-up), each cut to its heaviest terms and given a weight, and
the rows of their thumbs-down papers. Ranking compares candidates with these
rows (see ``scoring``), so training is vectorising a few papers and
retraining after a new signal touches only that paper's row.

``to_bytes`` writes a flat binary layout (format ``FORMAT``): a header, the
paper ids, the positives' weights, and per row its term count, its largest
value (float16) and one uint32 per term: the 20-bit bucket shifted left by 8
over the value quantised to 8 bits of that largest value. A paper's row has
about 120 terms (480 bytes); ``training`` keeps a model under
``MAX_MODEL_BYTES`` by dropping the lightest positives.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from paperwire.recommend.text import BUCKETS

FORMAT = 1
MAX_MODEL_BYTES = 16 * 1024
MAGIC = b"PWRM"
_HEADER = struct.Struct("<4sB8sHH10s")


class ModelFormatError(ValueError):
    """Bytes that are not a user model this code can read (another format or corrupt)."""


@dataclass(frozen=True)
class UserModel:
    """One reader's content profile.

    ``background`` is the fingerprint of the ``Background`` the rows were
    made with; ``trained_on`` the ISO day recency weights were computed for.
    """

    background: str
    trained_on: str
    positive_ids: tuple[str, ...]
    positive_weights: np.ndarray
    positives: sp.csr_matrix
    negative_ids: tuple[str, ...]
    negatives: sp.csr_matrix

    @property
    def empty(self) -> bool:
        """True when there is nothing to learn from (a new reader)."""
        return not self.positive_ids

    def to_bytes(self) -> bytes:
        """The model in its stored form."""
        ids = "\n".join(self.positive_ids + self.negative_ids).encode("utf-8")
        header = _HEADER.pack(MAGIC, FORMAT, bytes.fromhex(self.background), len(self.positive_ids),
                              len(self.negative_ids), self.trained_on.encode("ascii"))
        rows = sp.vstack([self.positives, self.negatives]).tocsr() if self.negative_ids else self.positives
        return b"".join([header, struct.pack("<I", len(ids)), ids, self.positive_weights.astype("<f2").tobytes(),
                         *(encode_row(rows.indices[a:b], rows.data[a:b])
                           for a, b in zip(rows.indptr[:-1], rows.indptr[1:], strict=True))])

    @classmethod
    def from_bytes(cls, blob: bytes) -> UserModel:
        """A model written by ``to_bytes``; ``ModelFormatError`` for anything else."""
        try:
            magic, fmt, fingerprint, n_pos, n_neg, day = _HEADER.unpack_from(blob, 0)
        except struct.error as exc:
            raise ModelFormatError("too short for a user model") from exc
        if magic != MAGIC or fmt != FORMAT:
            raise ModelFormatError(f"not a user model of format {FORMAT}")
        try:
            at = _HEADER.size
            (id_len,) = struct.unpack_from("<I", blob, at)
            at += 4
            ids = blob[at:at + id_len].decode("utf-8").split("\n") if id_len else []
            at += id_len
            weights = np.frombuffer(blob, "<f2", n_pos, at).astype(np.float32)
            at += 2 * n_pos
            indptr, indices, data = [0], [], []
            for _ in range(n_pos + n_neg):
                cols, values, at = decode_row(blob, at)
                indices.append(cols)
                data.append(values)
                indptr.append(indptr[-1] + len(cols))
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"corrupt user model: {exc}") from exc
        if len(ids) != n_pos + n_neg or at != len(blob):
            raise ModelFormatError("corrupt user model: counts do not match")
        rows = sp.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                              np.concatenate(indices) if indices else np.zeros(0, np.int32), np.asarray(indptr)),
                             shape=(n_pos + n_neg, BUCKETS))
        return cls(fingerprint.hex(), day.decode("ascii"), tuple(ids[:n_pos]), weights, rows[:n_pos],
                   tuple(ids[n_pos:]), rows[n_pos:])


def fixed_bytes(ids: Sequence[str], n_positives: int) -> int:
    """The stored size of everything but the rows."""
    return _HEADER.size + 4 + len("\n".join(ids).encode("utf-8")) + 2 * n_positives


def row_bytes(nnz: int) -> int:
    """The stored size of a row with ``nnz`` terms."""
    return 4 + 4 * nnz


def encode_row(indices: np.ndarray, values: np.ndarray) -> bytes:
    """One row: term count (uint16), largest value (float16), then (bucket << 8 | 8-bit value) per term."""
    top = float(values.max()) if values.size else 0.0
    q = np.clip(np.rint(values / top * 255), 1, 255).astype(np.uint32) if top > 0 else np.zeros(0, np.uint32)
    packed = (indices.astype(np.uint32) << 8) | q
    return struct.pack("<H", len(indices)) + np.float16(top).tobytes() + packed.astype("<u4").tobytes()


def decode_row(blob: bytes, at: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The row at offset ``at``: its buckets, values and the offset after it."""
    (nnz,) = struct.unpack_from("<H", blob, at)
    top = float(np.frombuffer(blob, "<f2", 1, at + 2)[0])
    packed = np.frombuffer(blob, "<u4", nnz, at + 4)
    if len(packed) != nnz:
        raise ValueError("row cut short")
    return (packed >> 8).astype(np.int32), ((packed & 255) * (top / 255)).astype(np.float32), at + row_bytes(nnz)
