"""Build a held-out users file for ``paperwire eval recommend``; prints one JSON object.

    .venv/bin/python benchmarks/recsys_split.py --out /tmp/users-heldout.jsonl \
        [--corpus F] [--cutoff 2026-03-01] [--until 2026-05-01] [--users 1000] [--seed 7]

The construction of ../shared/data/eval/recsys/README.md with another period:
each reader is one author of the corpus (a name of at least two words of two
or more letters); their ``library`` is their papers announced before
``--cutoff`` (the most recent 20 at most, 5 at least) and ``relevant`` their
papers announced in [cutoff, until) (2 at least). ``--users`` authors are
drawn (seeded) from those who qualify. users-dev.jsonl's readers are opaque,
so authors cannot be excluded by name: the other period is what keeps this
split apart (libraries end two months later and nothing relevant overlaps
users-dev's window); some people are surely in both. Author names build the
split here and nowhere else: the evaluation never reads them. The file goes
where ``--out`` says, never into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "cs-2025-2026.jsonl.gz"


def is_person(name: str) -> bool:
    """At least two words, each with two or more letters (drops initials-only and one-word names)."""
    words = name.split()
    return len(words) >= 2 and all(sum(ch.isalpha() for ch in w) >= 2 for w in words)


def build(corpus: Path, cutoff: str, until: str, users: int, seed: int) -> list[dict[str, object]]:
    """The readers of the split, in a stable order."""
    papers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["announced"] >= until:
                continue
            for name in dict.fromkeys(" ".join(a.split()) for a in record.get("authors") or []):
                if is_person(name):
                    papers[name].append((record["announced"], record["id"]))
    readers = []
    for name in sorted(papers):
        dated = sorted(papers[name])
        library = [pid for day, pid in dated if day < cutoff][-20:]
        relevant = [pid for day, pid in dated if cutoff <= day < until]
        if len(library) >= 5 and len(relevant) >= 2:
            user = hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:12]
            readers.append({"user": user, "cutoff": cutoff, "until": until, "library": sorted(library),
                            "relevant": sorted(relevant)})
    chosen = random.Random(seed).sample(readers, min(users, len(readers)))
    return sorted(chosen, key=lambda r: str(r["user"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cutoff", default="2026-03-01")
    parser.add_argument("--until", default="2026-05-01")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.out.resolve().is_relative_to(ROOT):
        parser.error("write the split outside the repository")
    readers = build(args.corpus, args.cutoff, args.until, args.users, args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        for reader in readers:
            fh.write(json.dumps(reader) + "\n")
    print(json.dumps({"out": str(args.out), "users": len(readers), "cutoff": args.cutoff, "until": args.until,
                      "seed": args.seed,
                      "library_mean": round(sum(len(r["library"]) for r in readers) / max(len(readers), 1), 2),
                      "relevant_mean": round(sum(len(r["relevant"]) for r in readers) / max(len(readers), 1), 2)}))


if __name__ == "__main__":
    main()
