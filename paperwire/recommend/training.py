"""Signals → a ``UserModel`` (pure functions).

Positives are saves, upvotes and thumbs-up; a thumbs-down makes a paper a
negative and overrides earlier positive signals on it (the latest opinion
counts). Each positive is weighted by its strongest signal and, when
``half_life_days`` is set, by the age of its latest signal, 2^(−age / half-life):
recency weighting of the library. It is off by default because on the
benchmark it lowered nDCG@10 (docs/recommendations.md): an author's topics
hold over the months a library spans.

Training vectorises the papers with the background and keeps each row's
``terms_per_paper`` heaviest terms; ``update`` reuses the rows of papers the
previous model already had, so a new signal costs one paper's row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import scipy.sparse as sp

from paperwire.config import Settings
from paperwire.recommend.features import Background
from paperwire.recommend.model import MAX_MODEL_BYTES, UserModel, fixed_bytes, row_bytes
from paperwire.recommend.text import BUCKETS

POSITIVE_KINDS: Mapping[str, float] = {"save": 1.0, "upvote": 1.0, "thumbs_up": 1.0}
NEGATIVE_KIND = "thumbs_down"
KINDS = (*POSITIVE_KINDS, NEGATIVE_KIND)


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing a reader did to a paper, on a day."""

    paper_id: str
    kind: str
    at: date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown signal {self.kind!r}; choose one of {', '.join(KINDS)}")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How much of a reader is kept: the caps keep a model under 16 KB."""

    terms_per_paper: int = 255
    negative_terms: int = 40
    max_positives: int = 200
    max_negatives: int = 10
    half_life_days: float = 0.0
    max_bytes: int = MAX_MODEL_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainConfig:
        """The training the settings describe."""
        return cls(half_life_days=settings.recommend_half_life_days)


def recency_weight(age_days: float, half_life_days: float) -> float:
    """2^(−age / half-life); 1 when the half-life is 0 (no recency weighting)."""
    if half_life_days <= 0:
        return 1.0
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


def split_signals(signals: Iterable[Signal], today: date, config: TrainConfig
                  ) -> tuple[list[tuple[str, float]], list[str]]:
    """Weighted positives (heaviest first, capped) and negatives (latest first, capped)."""
    latest: dict[str, Signal] = {}
    strongest: dict[str, float] = {}
    for s in sorted(signals, key=lambda s: s.at):
        latest[s.paper_id] = s
        if s.kind in POSITIVE_KINDS:
            strongest[s.paper_id] = max(strongest.get(s.paper_id, 0.0), POSITIVE_KINDS[s.kind])
    positives, negatives = [], []
    for paper_id, s in latest.items():
        if s.kind == NEGATIVE_KIND:
            negatives.append((s.at, paper_id))
        else:
            weight = strongest[paper_id] * recency_weight((today - s.at).days, config.half_life_days)
            positives.append((weight, s.at, paper_id))
    positives.sort(key=lambda p: (-p[0], -p[1].toordinal(), p[2]))
    negatives.sort(reverse=True)
    return ([(pid, w) for w, _, pid in positives[:config.max_positives]],
            [pid for _, pid in negatives[:config.max_negatives]])


def truncate_rows(rows: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's ``k`` heaviest entries, re-normalised to unit length."""
    indptr, indices, data = [0], [], []
    for i in range(rows.shape[0]):
        lo, hi = rows.indptr[i], rows.indptr[i + 1]
        values, cols = rows.data[lo:hi], rows.indices[lo:hi]
        if hi - lo > k:
            top = np.argpartition(-values, k - 1)[:k]
            values, cols = values[top], cols[top]
        order = np.argsort(cols)
        norm = float(np.sqrt((values ** 2).sum())) or 1.0
        indices.append(cols[order])
        data.append((values[order] / norm).astype(np.float32))
        indptr.append(indptr[-1] + len(order))
    return sp.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                          np.concatenate(indices) if indices else np.zeros(0, np.int32), np.asarray(indptr)),
                         shape=(rows.shape[0], BUCKETS))


def _rows_for(ids: Sequence[str], background: Background, texts: Mapping[str, str], terms: int,
              reuse: Mapping[str, sp.csr_matrix]) -> sp.csr_matrix:
    fresh = [pid for pid in ids if pid not in reuse]
    made = truncate_rows(background.rows([texts.get(pid, "") for pid in fresh]), terms)
    made_rows = {pid: made[i] for i, pid in enumerate(fresh)}
    parts = [reuse[pid] if pid in reuse else made_rows[pid] for pid in ids]
    return sp.vstack(parts).tocsr() if parts else sp.csr_matrix((0, BUCKETS), dtype=np.float32)


def within_budget(positive_ids: Sequence[str], positive_nnz: Sequence[int], negative_ids: Sequence[str],
                  negative_nnz: Sequence[int], max_bytes: int) -> int:
    """How many of the positives (heaviest first) fit in ``max_bytes`` beside all the negatives."""
    used = sum(row_bytes(n) for n in negative_nnz) + fixed_bytes(negative_ids, 0)
    keep = 0
    for pid, nnz in zip(positive_ids, positive_nnz, strict=True):
        used += row_bytes(nnz) + len(pid.encode("utf-8")) + 1 + 2
        if used > max_bytes:
            break
        keep += 1
    return keep


def train(background: Background, signals: Iterable[Signal], texts: Mapping[str, str], today: date,
          config: TrainConfig | None = None, previous: UserModel | None = None) -> UserModel:
    """A reader's model from their signals; ``texts`` maps paper ids to ``text.paper_text``.

    With ``previous`` (made with the same background), rows of papers it
    already had are reused: retraining after one new signal vectorises one
    paper. The lightest positives are dropped until the model fits ``max_bytes``.
    """
    config = config or TrainConfig()
    positives, negatives = split_signals(signals, today, config)
    reuse_pos: dict[str, sp.csr_matrix] = {}
    reuse_neg: dict[str, sp.csr_matrix] = {}
    if previous is not None and previous.background == background.fingerprint:
        reuse_pos.update({pid: previous.positives[i] for i, pid in enumerate(previous.positive_ids)})
        reuse_neg.update({pid: previous.negatives[i] for i, pid in enumerate(previous.negative_ids)})
    pos_ids = [pid for pid, _ in positives]
    pos_rows = _rows_for(pos_ids, background, texts, config.terms_per_paper, reuse_pos)
    neg_rows = _rows_for(negatives, background, texts, config.negative_terms, reuse_neg)
    keep = within_budget(pos_ids, np.diff(pos_rows.indptr).tolist(), negatives, np.diff(neg_rows.indptr).tolist(),
                         config.max_bytes)
    return UserModel(
        background=background.fingerprint, trained_on=today.isoformat(), positive_ids=tuple(pos_ids[:keep]),
        positive_weights=np.asarray([w for _, w in positives[:keep]], dtype=np.float32),
        positives=pos_rows[:keep], negative_ids=tuple(negatives), negatives=neg_rows,
    )
