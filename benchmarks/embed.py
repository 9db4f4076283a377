"""Embedding throughput and retrieval quality per model variant; prints one JSON object.

    .venv/bin/python benchmarks/embed.py [--docs 1000] [--runs 3] [--variants original,requantized,fused]
                                        [--openvino] [--batch-sizes 1,8,32] [--no-scifact]

Throughput: docs/s embedding ``--docs`` real arXiv abstracts (title + abstract,
256-token cap) from arxiv/sample-2k.jsonl.gz, the median of ``--runs`` runs.
The variants run interleaved (round-robin) so each run of each variant sees
the same background load; CPU-time throughput (docs per CPU-second) is given
too, as it varies less on a shared machine. Fidelity: mean and minimum cosine
of each variant's vectors to the ``original`` variant's. Quality:
semantic-only SciFact nDCG@10 (exact cosine search over the 5,183-doc corpus,
the 809 training claims, qrels-train), and each variant's difference to the
``original`` with a 95 % paired-bootstrap interval over those queries.

``--openvino`` adds the packaged model compiled by OpenVINO (fp32), if the
``openvino`` package is importable; it is not a dependency of Paperwire.
Derived variants are built from scratch in a temporary models directory;
their build time is reported.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.search.embedder import Embedder
from paperwire.search.model_files import DEFAULT_VARIANT, VARIANTS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def arxiv_texts(path: Path, n: int) -> list[str]:
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            texts.append(f"{record['title']}. {record['abstract']}")
            if len(texts) == n:
                break
    return texts


def load_scifact(root: Path) -> tuple[list[str], list[str], list[str], dict[str, dict[str, int]]]:
    """Corpus ids, corpus texts (title + text, as BEIR does), query texts by id, and qrels."""
    doc_ids, docs = [], []
    with gzip.open(root / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            doc_ids.append(str(record["_id"]))
            docs.append(f"{record.get('title', '')} {record['text']}".strip())
    qrels: dict[str, dict[str, int]] = {}
    with open(root / "qrels-train.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = int(row["score"])
    query_ids, queries = [], []
    with open(root / "queries-train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if str(record["_id"]) in qrels:
                query_ids.append(str(record["_id"]))
                queries.append(record["text"])
    return doc_ids, docs, [*zip(query_ids, queries, strict=True)], qrels  # type: ignore[return-value]


def ndcg_per_query(scores: np.ndarray, doc_ids: list[str], query_ids: list[str],
                   qrels: dict[str, dict[str, int]]) -> np.ndarray:
    """nDCG@10 of each query (linear gain, as BEIR's pytrec_eval)."""
    top = np.argsort(-scores, axis=1)[:, :10]
    out = np.zeros(len(query_ids))
    for row, qid in enumerate(query_ids):
        rels = qrels[qid]
        dcg = sum(rels.get(doc_ids[j], 0) / math.log2(rank + 2) for rank, j in enumerate(top[row]))
        ideal = sum(g / math.log2(rank + 2) for rank, g in enumerate(sorted(rels.values(), reverse=True)[:10]))
        out[row] = dcg / ideal if ideal else 0.0
    return out


def paired_difference(a: np.ndarray, b: np.ndarray, resamples: int = 10_000) -> dict[str, object]:
    """Mean of ``a - b`` over the same queries and its 95 % paired-bootstrap interval (seeded)."""
    diff = a - b
    rng = np.random.default_rng(0)
    means = diff[rng.integers(0, len(diff), (resamples, len(diff)))].mean(axis=1)
    return {"mean": round(float(diff.mean()), 4),
            "ci95": [round(float(np.quantile(means, 0.025)), 4), round(float(np.quantile(means, 0.975)), 4)],
            "queries_better": int((diff > 0).sum()), "queries_worse": int((diff < 0).sum())}


class OpenVinoSession:
    """Runs the packaged ONNX model with OpenVINO behind onnxruntime's ``run`` signature."""

    def __init__(self, model: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.version = ov.__version__

    def run(self, _outputs: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [self.request.infer(feed)[self.compiled.outputs[0]]]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data directory")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--openvino", action="store_true", help="also measure OpenVINO (fp32) if installed")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--batch-sizes", default="", help="also sweep these batch sizes on the default variant")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--no-scifact", action="store_true")
    args = parser.parse_args()

    texts = arxiv_texts(args.data / "arxiv" / "sample-2k.jsonl.gz", args.docs)
    machine = {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
               "loadavg_start": os.getloadavg()[0]}
    result: dict[str, Any] = {"machine": machine, "docs": len(texts), "runs": args.runs, "batch_size": args.batch_size,
                              "threads": args.threads, "max_tokens": args.max_tokens, "variants": {}}
    with tempfile.TemporaryDirectory(prefix="pw-embed-bench-") as tmp:
        embedders: dict[str, Embedder] = {}
        for variant in args.variants.split(","):
            started = time.perf_counter()
            embedders[variant] = Embedder.load(Path(tmp), variant, threads=args.threads,  # type: ignore[arg-type]
                                               batch_size=args.batch_size, max_tokens=args.max_tokens)
            result["variants"][variant] = {"model_id": embedders[variant].model_id,
                                           "build_and_load_s": round(time.perf_counter() - started, 1)}
        if args.openvino:
            try:
                base = embedders.get("original") or Embedder.load(Path(tmp), "original", max_tokens=args.max_tokens)
                # One infer request is not reentrant: calls run one at a time, OpenVINO threads each
                # call itself, and (fp32, so batch-mates cannot shift vectors) 32 length-sorted texts a call.
                ov = Embedder(base.files, threads=1, batch_size=32, max_tokens=args.max_tokens)
                session = OpenVinoSession(base.files.model, args.threads)
                ov.session = session  # type: ignore[assignment]
                embedders["openvino"] = ov
                result["variants"]["openvino"] = {"model_id": f"openvino-{session.version}-fp32:{base.model_id}",
                                                  "batch_size": 32}
            except ImportError:
                result["openvino"] = "not installed"
        vectors: dict[str, np.ndarray] = {}
        for embedder in embedders.values():
            embedder.embed(texts[:32])  # warm up: allocations, thread pools
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in embedders}
        for _ in range(args.runs):
            for name, embedder in embedders.items():
                times[name].append(timed(lambda e=embedder, n=name: vectors.__setitem__(n, e.embed(texts))))
        reference = vectors.get("original")
        for name, runs in times.items():
            entry = result["variants"][name]
            entry["docs_per_s"] = round(len(texts) / statistics.median(w for w, _ in runs), 1)
            entry["docs_per_s_runs"] = [round(len(texts) / w, 1) for w, _ in runs]
            entry["docs_per_cpu_s"] = round(len(texts) / statistics.median(c for _, c in runs), 1)
            if reference is not None:
                cosines = (vectors[name] * reference).sum(axis=1)
                entry["cosine_to_original"] = {"mean": round(float(cosines.mean()), 4),
                                               "min": round(float(cosines.min()), 4)}
        if args.batch_sizes:
            name = DEFAULT_VARIANT if DEFAULT_VARIANT in embedders else list(embedders)[-1]
            embedder = embedders[name]
            sweep: dict[str, dict[str, float]] = {}
            for size in (int(s) for s in args.batch_sizes.split(",")):
                embedder.batch_size = size
                out: list[np.ndarray] = []
                runs_s = [timed(lambda e=embedder, o=out: o.append(e.embed(texts)))[0] for _ in range(args.runs)]
                # with int8 activations quantized per call, batch-mates shift each other's vectors
                cosines = (out[-1] * vectors[name]).sum(axis=1)
                sweep[str(size)] = {"docs_per_s": round(len(texts) / statistics.median(runs_s), 1),
                                    "cosine_to_batch_size_default_min": round(float(cosines.min()), 4)}
            embedder.batch_size = args.batch_size
            result["batch_size_sweep"] = {"variant": name, "batch_sizes": sweep}
        if not args.no_scifact:
            doc_ids, docs, queries, qrels = load_scifact(args.data / "eval" / "scifact")
            query_ids = [q for q, _ in queries]
            per_query: dict[str, np.ndarray] = {}
            for name, embedder in embedders.items():
                wall, _ = timed(lambda e=embedder, n=name: vectors.__setitem__(n, e.embed(docs)))
                scores = embedder.embed([text for _, text in queries]) @ vectors[name].T
                per_query[name] = ndcg_per_query(scores, doc_ids, query_ids, qrels)
                result["variants"][name]["scifact_ndcg@10"] = round(float(per_query[name].mean()), 4)
                result["variants"][name]["scifact_corpus_docs_per_s"] = round(len(docs) / wall, 1)
            if "original" in per_query:  # is a variant's loss real, or within what 809 queries can tell?
                for name, values in per_query.items():
                    if name != "original":
                        result["variants"][name]["scifact_ndcg@10_minus_original"] = paired_difference(
                            values, per_query["original"])
            result["scifact"] = {"corpus": len(docs), "queries": len(queries), "split": "train"}
    result["machine"]["loadavg_end"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
