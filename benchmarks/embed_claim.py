"""What an embedding claim costs on a big instance with nothing left to embed.

    .venv/bin/python benchmarks/embed_claim.py --db sqlite:////work/data-h17/sqlite-36/paperwire.db [--runs 2]

Runs ``store.embed_batches.claim`` of the configured model ``--runs`` times in a row, as each
``paperwire embed`` run and the worker's embed job do at their end, and prints for each: the seconds
it took, the longest write transaction it held (what every other writer of the database waited for at
most) and what it found. On ``scale.py``'s instance every paper has an embedding written without
batches (as on an instance older than them), the case where a claim used to read every paper.
One JSON object per run on stdout, with the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from paperwire.config import Settings
from paperwire.search.embedder import LazyEmbedder
from paperwire.store import open_store
from paperwire.store.core import Tx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="the instance's database URL")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--size", type=int, default=64, help="papers per batch (embed_pipeline_batch)")
    args = parser.parse_args()
    model = LazyEmbedder(Settings(database_url=args.db)).model_id
    store = open_store(args.db)
    longest = 0.0
    write = store.db.write

    @contextmanager
    def timed() -> Iterator[Tx]:
        nonlocal longest
        started = time.perf_counter()
        with write() as tx:
            yield tx
        longest = max(longest, time.perf_counter() - started)

    store.db.write = timed  # type: ignore[method-assign]
    try:
        for run in range(args.runs):
            longest = 0.0
            started = time.perf_counter()
            batch = store.embed_batches.claim(model, f"embed_claim.py:{os.getpid()}", 60, args.size)
            result: dict[str, Any] = {"run": run, "claim_s": round(time.perf_counter() - started, 2),
                                      "longest_write_transaction_s": round(longest, 2),
                                      "found": None if batch is None else len(batch.tasks),
                                      "frontier": store.embed_batches.frontier(model), "load": os.getloadavg()[0]}
            if batch is not None:  # a benchmark embeds nothing: give the papers back at once
                store.embed_batches.release(batch)
            print(json.dumps(result), flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
