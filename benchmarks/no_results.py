"""What a search page without results costs next to a normal one; prints one JSON object.

    .venv/bin/python benchmarks/no_results.py [--file F] [--keep DIR] [--rounds 5]

Imports the 2k sample (or --file) into a SQLite store, embeds every paper with the configured model (so
searches are hybrid, the default), then asks the search page in process (FastAPI's test client, no
network) for:

- normal: ``/search?q=gaussian splatting`` and four other short queries that find papers;
- no_results_132_words: a query of 132 made-up words that matches nothing, the review's case: its
  "no results" suggestions used to run one hybrid search per word.

Each case is timed best-of ``--rounds`` (the response cache is off, so every request searches), in CPU
seconds of this process (``time.process_time``: other load on a shared machine does not count) and in
wall seconds; ``ratio`` is no_results over normal. ``--keep DIR`` keeps the embedded store so that a
second run (another checkout, the same DIR) measures the same data without embedding again.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.importing import import_and_index
from paperwire.runtime import Runtime
from paperwire.search.embed_papers import embed_missing
from paperwire.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv" / "sample-2k.jsonl.gz"
NORMAL = ["gaussian splatting", "large language model reasoning", "robot grasping", "speech recognition",
          "graph neural networks"]
NONSENSE = " ".join(f"qqz{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(132))


def prepared(file: Path, data_dir: Path) -> Runtime:
    """A runtime over ``file`` imported and embedded in ``data_dir`` (reused when already there)."""
    settings = Settings(database_url=f"sqlite:///{data_dir / 'bench.db'}", data_dir=data_dir,
                        index_refresh_seconds=0, web_cache_mb=0, anonymous_rate_per_minute=0)
    rt = Runtime(settings)
    if rt.store.stats().papers == 0:
        import_and_index(rt.store, rt.indexes, [file])
    if rt.embedder is not None:
        embed_missing(rt.store, rt.embedder, batch_size=256)
    rt.indexes.sync()
    return rt


def timed(client: TestClient, queries: list[str], rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` CPU and wall seconds of one request per query, per request."""
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for q in queries:
            r = client.get("/search", params={"q": q})
            assert r.status_code == 200, (q[:40], r.status_code)
        cpu.append((time.process_time() - c0) / len(queries))
        wall.append((time.perf_counter() - w0) / len(queries))
    return {"cpu_s": round(min(cpu), 5), "wall_s": round(min(wall), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=SAMPLE)
    parser.add_argument("--keep", type=Path, help="directory to build (or reuse) the embedded store in")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = prepared(args.file, (args.keep or Path(tmp)).absolute())
        papers = rt.store.stats().papers
        app = create_app(rt.settings, rt.store)
        with TestClient(app) as client:
            client.get("/search", params={"q": NORMAL[0]})  # warm: model loaded, index opened
            normal = timed(client, NORMAL, args.rounds)
            nothing = timed(client, [NONSENSE], args.rounds)
            page = client.get("/search", params={"q": NONSENSE}).text
        rt.close()
    report = {
        "papers": papers, "file": str(args.file), "rounds": args.rounds,
        "mode": "hybrid" if rt.settings.semantic_search else "keyword",
        "normal": normal, "no_results_132_words": nothing, "no_results_found_nothing": "No papers match" in page,
        "ratio_cpu": round(nothing["cpu_s"] / normal["cpu_s"], 1),
        "ratio_wall": round(nothing["wall_s"] / normal["wall_s"], 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
