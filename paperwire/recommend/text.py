"""Text → hashed terms: the recommender's tokenizer (pure).

Terms are lower-cased words of two or more letters or digits (the
``\\b\\w\\w+\\b`` pattern of scikit-learn's vectorizers), English stop words
removed, then unigrams and the bigrams of neighbouring kept words. Each term
is hashed with CRC-32 into ``2**HASH_BITS`` buckets: no vocabulary has to be
stored or kept in step, a per-user model's buckets stay valid when the
background is refitted, and unseen words work. CRC-32, not ``hash()``,
because Python salts string hashes per process.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections import Counter

HASH_BITS = 20
BUCKETS = 1 << HASH_BITS

_WORD = re.compile(r"\b\w\w+\b")

_STOP_TEXT = """
a about above after again against all almost also although always am among an and another any are around as at
be became because been before being below between both but by can cannot could did do does doing done down due
during each either else enough etc even ever every few for from further get give given had has have having he her
here hers herself him himself his how however i if in into is it its itself just least less may me might more most
much must my myself neither no nor not now of off often on once one only onto or other others otherwise our ours
ourselves out over own per perhaps rather same several she should since so some such than that the their theirs
them themselves then there thereby therefore these they this those though through throughout thus to together too
toward towards under until up upon us very via was we well were what whatever when where whereas whether which
while who whom whose why will with within without would yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def words(text: str) -> list[str]:
    """The kept words of ``text`` in order (lower-cased, stop words out)."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """Unigrams then bigrams of ``text``'s kept words."""
    kept = words(text)
    return kept + [f"{a} {b}" for a, b in itertools.pairwise(kept)]


def bucket(term: str) -> int:
    """The hash bucket of one term."""
    return zlib.crc32(term.encode("utf-8")) & (BUCKETS - 1)


def term_counts(text: str) -> Counter[int]:
    """How often each bucket occurs in ``text``."""
    return Counter(bucket(t) for t in terms(text))


def paper_text(title: str, abstract: str) -> str:
    """What a paper is read as: its title and abstract, whitespace folded."""
    return " ".join(f"{title}. {abstract}".split())
