"""The vector index: cosine search over paper embeddings, with filters applied before top-k.

Vectors live in faiss as 8-bit scalar-quantised codes (384 bytes per paper
at 384 dimensions, plus the filter columns below): an exact scan
(``IndexScalarQuantizer``) up to ``exact_limit`` papers, where it stays
within the latency target, and an inverted-file index (``IndexIVFScalarQuantizer``,
searched with ``nprobe`` lists) beyond. faiss was chosen over usearch by
measurement (docs/benchmarks.md): its scan of 8-bit codes is faster here, and
its ``IDSelectorBitmap`` restricts a search to allowed rows *inside* the
scan, which is what "filters before top-k" needs.

Each row carries filter columns (announcement day, has-code flag, category
codes) so date, category and code filters become a row bitmap; rows whose
paper got a new vector are marked dead and skipped the same way. In an IVF
index, a row bitmap that keeps few rows is searched exactly over those rows
alone, so it never misses filtered results that its probed lists do not hold.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from paperwire.search.keyword import day_number
from paperwire.search.query import ParsedQuery

MAX_CATEGORIES = 6
# components of all-MiniLM-L6-v2 unit vectors stay well inside this; wider only costs precision
FIXED_RANGE = 0.6
SUBSET_EXACT = 20_000
# up to this many rows a search may not return are dropped from its results instead of skipped in the scan
FEW_BLOCKED = 64


@dataclass(slots=True)
class RowMeta:
    """What filters need to know of one row's paper."""

    day: int
    has_code: bool
    categories: Sequence[str]


REBUILD_CHUNK = 100_000  # rows decoded at a time when rebuilding (150 MB of float32 at 384 dimensions)


class VectorIndex:
    """Vectors of one embedding model on this host."""

    def __init__(self, dim: int, exact_limit: int = 300_000, nprobe: int = 96) -> None:
        self.dim = dim
        self.exact_limit = exact_limit
        self.nprobe = nprobe
        self.index: faiss.Index = self._new_flat()
        self.keys: list[str] = []
        self.row_of: dict[str, int] = {}
        self.alive = np.zeros(0, dtype=bool)
        self.day = np.zeros(0, dtype=np.int32)
        self.has_code = np.zeros(0, dtype=bool)
        self.cats = np.zeros((0, MAX_CATEGORIES), dtype=np.int16)
        self.cat_codes: dict[str, int] = {}

    # -- building ----------------------------------------------------------------------
    def _new_flat(self) -> faiss.Index:
        index = faiss.IndexScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        # a fixed symmetric range trains the quantiser without data, so the first vector can be added
        bounds = np.vstack([np.full(self.dim, FIXED_RANGE), np.full(self.dim, -FIXED_RANGE)]).astype(np.float32)
        index.train(bounds)
        return index

    @property
    def is_ann(self) -> bool:
        return isinstance(self.index, faiss.IndexIVF)

    def __len__(self) -> int:
        return int(self.alive.sum())

    def _codes(self, categories: Sequence[str]) -> list[int]:
        codes = []
        for cat in categories:
            for value in dict.fromkeys((cat.lower(), cat.split(".")[0].lower())):
                if value not in self.cat_codes:
                    self.cat_codes[value] = len(self.cat_codes) + 1
                codes.append(self.cat_codes[value])
        return (codes + [0] * MAX_CATEGORIES)[:MAX_CATEGORIES]

    def add(self, keys: Sequence[str], vectors: np.ndarray, meta: Sequence[RowMeta]) -> None:
        """Add (or replace) the vectors of ``keys``; vectors must be unit length."""
        if not len(keys):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        start = len(self.keys)
        for key in keys:
            old = self.row_of.get(key)
            if old is not None:
                self.alive[old] = False
        self.index.add(vectors)
        for offset, key in enumerate(keys):
            self.row_of[key] = start + offset
        self.keys.extend(keys)
        self.alive = np.concatenate([self.alive, np.ones(len(keys), dtype=bool)])
        self.day = np.concatenate([self.day, np.array([m.day for m in meta], dtype=np.int32)])
        self.has_code = np.concatenate([self.has_code, np.array([m.has_code for m in meta], dtype=bool)])
        self.cats = np.concatenate([self.cats, np.array([self._codes(m.categories) for m in meta], dtype=np.int16)])

    def update_meta(self, key: str, meta: RowMeta) -> None:
        """A paper's metadata changed (its categories, date or code link), its vector did not."""
        row = self.row_of.get(key)
        if row is not None:
            self.day[row] = meta.day
            self.has_code[row] = meta.has_code
            self.cats[row] = self._codes(meta.categories)

    def needs_rebuild(self) -> bool:
        """Too many dead rows, or grown past the exact-scan limit."""
        dead = len(self.keys) - len(self)
        return dead > 0.2 * max(len(self.keys), 1) or (not self.is_ann and len(self) > self.exact_limit)

    def rebuilt(self) -> VectorIndex:
        """A compacted copy: live rows only, IVF when past the exact limit (trained on these vectors)."""
        live = np.flatnonzero(self.alive)
        fresh = VectorIndex(self.dim, self.exact_limit, self.nprobe)
        if len(live) > self.exact_limit:
            nlist = int(4 * np.sqrt(len(live)))
            quantizer = faiss.IndexFlatIP(self.dim)
            fresh.index = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                        faiss.METRIC_INNER_PRODUCT)
            size = min(len(live), 50 * nlist)
            picked = np.sort(np.random.default_rng(0).choice(len(live), size, replace=False))
            fresh.index.train(self.index.reconstruct_batch(live[picked]))
        # rows are decoded and added a chunk at a time: all of them as float32 at once took 4 GB at
        # 2.7M papers, beside the two indexes
        for start in range(0, len(live), REBUILD_CHUNK):
            fresh.index.add(self.index.reconstruct_batch(live[start:start + REBUILD_CHUNK]))
        if fresh.is_ann:  # rows must stay reconstructable for exact subset scans and "similar papers"
            faiss.extract_index_ivf(fresh.index).make_direct_map()
        fresh.keys = [self.keys[r] for r in live]
        fresh.row_of = {key: i for i, key in enumerate(fresh.keys)}
        fresh.alive = np.ones(len(live), dtype=bool)
        fresh.day, fresh.has_code, fresh.cats = self.day[live], self.has_code[live], self.cats[live]
        fresh.cat_codes = dict(self.cat_codes)
        return fresh

    # -- searching ---------------------------------------------------------------------
    def mask(self, q: ParsedQuery | None, allowed: Sequence[str] | None = None,
             excluded: Sequence[str] = ()) -> np.ndarray:
        """Rows a search may return: alive and passing the query's date, category and code filters."""
        keep = self.alive.copy()
        if q is not None:
            if q.after:
                keep &= self.day >= day_number(q.after)
            if q.before:
                keep &= (self.day < day_number(q.before)) & (self.day > 0)
            if q.has_code is not None:
                keep &= self.has_code == q.has_code
            if q.categories:  # one comparison per category: np.isin sorted the whole table first (10x slower)
                wanted = np.zeros(len(keep), dtype=bool)
                for c in q.categories:
                    wanted |= (self.cats == self.cat_codes.get(c.lower(), -1)).any(axis=1)
                keep &= wanted
            for cat in q.exclude_categories:
                keep &= ~(self.cats == self.cat_codes.get(cat.lower(), -1)).any(axis=1)
        if allowed is not None:
            only = np.zeros(len(self.keys), dtype=bool)
            only[[self.row_of[k] for k in allowed if k in self.row_of]] = True
            keep &= only
        for key in excluded:
            if key in self.row_of:
                keep[self.row_of[key]] = False
        return keep

    def search(self, query: np.ndarray, k: int, keep: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` nearest rows by cosine among those ``keep`` allows, best first."""
        if keep is None:
            keep = self.alive
        allowed = int(keep.sum())
        if allowed == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        # An IVF search probes a few lists only, and could miss filtered rows outside them: few enough
        # allowed rows are scored exactly instead. An exact scan skips disallowed rows before decoding
        # them, which beat decoding the allowed rows alone by 10x at 75k (docs/benchmarks.md).
        if self.is_ann and allowed <= SUBSET_EXACT:
            rows = np.flatnonzero(keep)
            scores = self.index.reconstruct_batch(rows) @ query[0]
            top = np.argsort(-scores)[:k]
            return [(self.keys[rows[i]], float(scores[i])) for i in top]
        if self.is_ann:
            ivf = faiss.SearchParametersIVF()
            ivf.nprobe = self.nprobe
            params: faiss.SearchParameters = ivf
        else:
            params = faiss.SearchParameters()
        blocked = len(keep) - allowed
        if blocked <= FEW_BLOCKED:
            # A selector is checked row by row inside the scan (it nearly doubled an exact scan's time);
            # a few blocked rows (dead ones, the paper itself for "similar") are cheaper dropped after.
            scores, rows = self.index.search(query, min(k + blocked, len(keep)), params=params)
            hits = [(self.keys[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0 and keep[r]]
            return hits[:k]
        bits = np.packbits(keep, bitorder="little")
        params.sel = faiss.IDSelectorBitmap(len(keep), faiss.swig_ptr(bits))
        scores, rows = self.index.search(query, min(k, allowed), params=params)
        return [(self.keys[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def vector_of(self, key: str) -> np.ndarray | None:
        """The stored (dequantised) vector of a paper, for "similar papers"."""
        row = self.row_of.get(key)
        if row is None or not self.alive[row]:
            return None
        return np.asarray(self.index.reconstruct(row), dtype=np.float32)

    # -- persistence -------------------------------------------------------------------
    def save(self, path: Path, watermarks: dict[str, int]) -> None:
        """Write the index and its columns to ``path`` (a directory), atomically replacing it."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(tmp / "vectors.faiss"))
        np.savez(tmp / "columns.npz", alive=self.alive, day=self.day, has_code=self.has_code, cats=self.cats)
        (tmp / "meta.json").write_text(json.dumps({
            "dim": self.dim, "keys": self.keys, "cat_codes": self.cat_codes, "watermarks": watermarks,
        }))
        if path.exists():
            old = path.with_name(path.name + ".old")
            os.replace(path, old)
            os.replace(tmp, path)
            for child in old.iterdir():
                child.unlink()
            old.rmdir()
        else:
            os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, exact_limit: int = 300_000, nprobe: int = 96) -> tuple[VectorIndex, dict[str, int]]:
        """Read an index written by ``save``, with its watermarks."""
        meta = json.loads((path / "meta.json").read_text())
        self = cls(int(meta["dim"]), exact_limit, nprobe)
        self.index = faiss.read_index(str(path / "vectors.faiss"))
        if self.is_ann:
            faiss.extract_index_ivf(self.index).make_direct_map()
        columns = np.load(path / "columns.npz")
        self.alive, self.day = columns["alive"], columns["day"]
        self.has_code, self.cats = columns["has_code"], columns["cats"]
        self.keys = list(meta["keys"])
        self.row_of = {k: i for i, k in enumerate(self.keys) if self.alive[i]}
        self.cat_codes = dict(meta["cat_codes"])
        return self, {k: int(v) for k, v in meta["watermarks"].items()}
