"""Exploration: some papers from outside the profile, mixed into a ranking (pure).

With rate ``r``, every ``round(1/r)``-th slot of the ranking holds a paper
drawn (seeded) from the rest of the candidates instead of the next best one,
so a reader sees topics their library does not predict and their reactions
(a save, a thumbs-down) teach the model about them. The draw is uniform over
the rest: exploration is meant to be outside the profile, not its runner-up.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def mix(ranked: Sequence[int], rest: Sequence[int], rate: float, seed: int = 0) -> list[tuple[int, bool]]:
    """``ranked`` with every ``round(1/rate)``-th slot taken from ``rest``: (item, explored) pairs, same length."""
    if not 0.0 <= rate <= 0.5:
        raise ValueError(f"exploration rate {rate} is outside [0, 0.5]")
    if rate == 0 or not rest:
        return [(item, False) for item in ranked]
    every = max(2, round(1 / rate))
    pool = random.Random(seed).sample(list(rest), min(len(rest), len(ranked) // every + 1))
    out: list[tuple[int, bool]] = []
    best = iter(ranked)
    for slot in range(len(ranked)):
        if (slot + 1) % every == 0 and pool:
            out.append((pool.pop(), True))
        else:
            out.append((next(best), False))
    return out
