"""``paperwire eval recommend`` on a small hand-made benchmark, and the rule that authors are never read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.recommend.evaluation import evaluate, load_corpus, load_readers
from tests.helpers.recommend import TOPICS, paper


def _write(tmp_path: Path, authors: bool = True) -> tuple[Path, Path]:
    lines = []
    for topic in TOPICS:
        for i in range(12):
            pid, title, abstract = paper(topic, i)
            day = f"2025-{1 + i % 10:02d}-15" if i < 8 else f"2026-01-{10 + i:02d}"
            lines.append({"id": pid, "title": title, "abstract": abstract, "categories": ["cs.LG"], "announced": day,
                          "authors": [f"Writer of {topic}"] if authors else [], "comment": "secret"})
    # enough other papers that each topic's words are in under a tenth of the corpus (the default max_df)
    for i in range(100):
        lines.append({"id": f"bg-{i}", "title": f"A survey number {i}", "abstract": "methods for learning",
                      "categories": ["cs.AI"], "announced": "2025-06-01", "authors": ["Writer of graphs"]})
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines))
    users = tmp_path / "users.jsonl"
    users.write_text("".join(json.dumps({
        "user": f"u-{topic}", "cutoff": "2026-01-01", "until": "2026-03-01",
        "library": [f"{topic}-{i}" for i in range(8)], "relevant": [f"{topic}-{i}" for i in range(8, 12)],
    }) + "\n" for topic in TOPICS))
    return corpus, users


def test_cli_prints_the_documented_figures(tmp_path: Path) -> None:
    corpus, users = _write(tmp_path)
    result = CliRunner().invoke(cli, ["eval", "recommend", "--corpus", str(corpus), "--users", str(users), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"ndcg@10", "recall@100", "mrr@10", "users"}
    assert figures["users"] == 3
    # each reader's four papers of their own topic lead the twelve candidates
    assert figures["ndcg@10"] == pytest.approx(1.0) and figures["mrr@10"] == pytest.approx(1.0)
    text = CliRunner().invoke(cli, ["eval", "recommend", "--corpus", str(corpus), "--users", str(users)])
    assert text.output.splitlines()[0].startswith("ndcg@10")


def test_authors_and_comments_are_never_read(tmp_path: Path) -> None:
    corpus, users = _write(tmp_path)
    papers = load_corpus(corpus)
    assert not hasattr(papers[0], "authors") and not hasattr(papers[0], "comment")
    with_names = evaluate(papers, load_readers(users))
    (tmp_path / "bare").mkdir()
    bare, _ = _write(tmp_path / "bare", authors=False)
    assert evaluate(load_corpus(bare), load_readers(users)) == with_names
