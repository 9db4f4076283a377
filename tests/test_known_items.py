"""Known-item sets: the 4-word copy check (on the shipped sets too), the figures by kind and split, and
``paperwire eval known-items`` over a whole instance on both stores."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.runtime import Runtime
from paperwire.search.known_items import (
    KnownItem,
    check_items,
    copied_runs,
    evaluate_instance,
    grouped,
    load_items,
)
from tests.helpers.paths import FULL, ROOT

SETS = [ROOT / "benchmarks" / "known_items.jsonl", ROOT / "benchmarks" / "known_items_75k.jsonl"]


def test_a_copied_run_is_found_whatever_its_case_and_punctuation() -> None:
    source = "Multi-Agent Debate for Safer LLMs. We let models argue."
    assert copied_runs("multi agent debate, for safety", source) == {("multi", "agent", "debate", "for")}
    assert copied_runs("debate among agents for safer models", source) == set()  # words shared, no run


def test_check_items_names_each_copy_and_each_missing_paper() -> None:
    papers = {"1": "Graph neural networks for molecules. We predict molecular properties."}
    items = [KnownItem("1", "predicting properties of molecules with GNNs"),
             KnownItem("1", "we predict molecular properties fast"), KnownItem("2", "anything")]
    problems = check_items(items, papers)
    assert problems == ["1: 'we predict molecular properties fast' copies 'we predict molecular properties'",
                        "2: not in the corpus"]


def test_load_items_reads_kind_and_split_and_rejects_a_broken_line(tmp_path: Path) -> None:
    good = tmp_path / "items.jsonl"
    good.write_text('{"id": "1", "query": "q", "kind": "short", "split": "held-out"}\n\n{"id": 2, "query": "r"}\n')
    assert load_items(good) == [KnownItem("1", "q", "short", "held-out"), KnownItem("2", "r", "all", "tune")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: not a known item"):
        load_items(bad)


def test_grouped_reports_every_kind_and_split() -> None:
    items = [KnownItem("a", "q", "short", "tune"), KnownItem("b", "q", "short", "held-out"),
             KnownItem("c", "q", "long", "tune")]
    figures = grouped(items, [1, 0, 2])
    assert figures["all"] == {"mrr@10": pytest.approx(0.5), "hit@1": pytest.approx(1 / 3),
                              "hit@10": pytest.approx(2 / 3), "queries": 3.0}
    assert figures["short"]["mrr@10"] == 0.5 and figures["held-out:short"]["hit@10"] == 0.0
    assert figures["tune:long"]["mrr@10"] == 0.5


@pytest.mark.needs_data
@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_the_shipped_sets_copy_no_four_words_of_their_papers(path: Path) -> None:
    items = load_items(path)
    wanted = {item.id for item in items}
    papers = {}
    with gzip.open(FULL, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["id"] in wanted:
                papers[record["id"]] = f"{record['title']} {record['abstract']}"
    assert check_items(items, papers) == []


def test_the_75k_set_is_big_enough_and_half_short_half_long() -> None:
    items = load_items(SETS[1])
    kinds = [item.kind for item in items]
    assert len(items) >= 200 and kinds.count("short") == kinds.count("long") == len(items) // 2
    held = sum(item.split == "held-out" for item in items) / len(items)
    assert 0.3 <= held <= 0.5


def test_an_instance_is_evaluated_as_a_user_searches_it(sample_runtime: Runtime) -> None:
    """Through the product's search (identity first, then ranking) on each store: a pasted link and an
    exact title are found first; nonsense is not found."""
    items = [KnownItem("2503.11677", "https://arxiv.org/abs/2503.11677v2", "short"),
             KnownItem("2503.11677", "retinal implant face perception simulation", "short", "held-out"),
             KnownItem("2503.11677", "zzqxv flurbnitz", "long")]
    rt = sample_runtime
    figures = evaluate_instance(rt.store, rt.indexes, rt.search_policy, items, ["keyword", "hybrid"])
    for mode in ("keyword", "hybrid"):
        assert figures[mode]["tune:short"]["hit@1"] == 1.0
        assert figures[mode]["long"]["hit@10"] == 0.0
        assert figures[mode]["all"]["queries"] == 3


def test_the_cli_prints_each_mode_kind_and_split_as_json(sample_runtime: Runtime, tmp_path: Path) -> None:
    s = sample_runtime.settings
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "2503.11677", "query": "faces for retinal prosthesis users",
                                 "kind": "short", "split": "held-out"}) + "\n")
    result = CliRunner().invoke(cli, ["--db", s.resolved_database_url(), "--data-dir", str(s.data_dir), "eval",
                                      "known-items", "--items", str(items), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {"keyword", "semantic", "hybrid"}
    assert set(figures["hybrid"]) == {"all", "short", "held-out:short"}
    assert set(figures["hybrid"]["short"]) == {"mrr@10", "hit@1", "hit@10", "queries"}
    assert figures["semantic"]["held-out:short"]["hit@10"] == 1.0
