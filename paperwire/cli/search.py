"""Commands about finding papers: search, similar, embed, and the quality evaluations."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.models import SearchResults

MODE_CHOICE = click.Choice(["hybrid", "keyword", "semantic"])


def _row(paper: Any, score: float, ranks: dict[str, int]) -> dict[str, Any]:
    return {
        "id": paper.id, "title": paper.title, "score": round(score, 6), "authors": paper.authors,
        "categories": paper.categories, "announced": paper.announced.isoformat() if paper.announced else None,
        "url": paper.abs_url, "ranks": ranks,
    }


def _results_json(results: SearchResults) -> list[dict[str, Any]]:
    return [_row(h.paper, h.score, h.ranks) for h in results.hits if h.paper is not None]


def _print_rows(rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows, start=1):
        first = row["authors"][0] + (" et al." if len(row["authors"]) > 1 else "") if row["authors"] else ""
        click.echo(f"{i:>3}. [{row['score']:.3f}] {row['id']}  {row['title']}")
        click.echo(f"     {first} · {row['announced'] or 'undated'} · {' '.join(row['categories'][:3])}")


@click.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--mode", type=MODE_CHOICE, default="hybrid", show_default=True,
              help="hybrid (keyword + semantic, fused), keyword (BM25) or semantic (embeddings).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "trending"]), default="relevance", show_default=True,
              help="trending: the most relevant matches in this month's trending order.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def search(ctx: Context, query: str, limit: int, mode: str, sort: str, as_json: bool) -> None:
    """Search papers (query syntax: "phrase", -word, author:, cat:, after:, before:, has:code)."""
    from paperwire.search.engine import SearchError, SearchRequest
    from paperwire.search.engine import search as run_search

    runtime = ctx.runtime
    runtime.indexes.sync()
    try:
        results = run_search(runtime.store, runtime.indexes,
                             SearchRequest(query, limit=limit, sort=sort, mode=mode), runtime.search_policy)
    except SearchError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(_results_json(results), ensure_ascii=False, indent=2))
        return
    if not results.hits:
        click.echo("no papers found", err=True)
    _print_rows(_results_json(results))
    note = "" if results.mode == mode else f" (answered by {results.mode}: run 'paperwire embed' for {mode})"
    at_least = "" if results.total_exact else "at least "
    papers = "paper" if results.total == 1 else "papers"
    click.echo(f"{at_least}{results.total} matching {papers}{note}", err=True)


@click.command()
@click.argument("paper_id")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def similar(ctx: Context, paper_id: str, limit: int, as_json: bool) -> None:
    """Papers most like PAPER_ID (nearest neighbours by embedding)."""
    from paperwire.models import split_version
    from paperwire.search.similar import similar as find_similar

    runtime = ctx.runtime
    paper = runtime.store.papers.get_paper(split_version(paper_id)[0])
    if paper is None:
        raise click.ClickException(f"no paper with id {paper_id!r}")
    runtime.indexes.sync()
    ranked, method = find_similar(runtime.indexes, paper, limit)
    papers = runtime.store.papers.get_papers([key for key, _ in ranked])
    rows = [_row(papers[key], score, {}) for key, score in ranked if key in papers]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"like {paper.id}: {paper.title}  ({method})", err=True)
    _print_rows(rows)


@click.command()
@click.option("--reembed", is_flag=True, help="Replace embeddings made by another model (or all of them).")
@click.option("--limit", type=click.IntRange(1), help="Embed at most this many papers now (run again to continue).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_ctx
def embed(ctx: Context, reembed: bool, limit: int | None, quiet: bool) -> None:
    """Compute missing embeddings (title + abstract), resumably: an interrupted run loses at most one batch."""
    from paperwire.cli.progress import embed_with_progress
    from paperwire.search.embed_papers import ModelMismatch

    runtime = ctx.runtime
    if runtime.embedder is None:
        raise click.ClickException("semantic search is switched off (PAPERWIRE_SEMANTIC_SEARCH=false)")
    try:
        report = embed_with_progress(runtime, reembed, limit, show=not quiet and sys.stderr.isatty())
    except ModelMismatch as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: finished batches are saved; run the same command again to continue", err=True)
        sys.exit(130)
    click.echo(report.summary())


@click.group(name="eval")
def eval_group() -> None:
    """Measure search and recommendation quality on public benchmarks."""


def _print_metrics(metrics: dict[str, float], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({k: (int(v) if k == "queries" else round(v, 4)) for k, v in metrics.items()}))
        return
    for key, value in metrics.items():
        click.echo(f"{key:<20} {int(value) if key == 'queries' else f'{value:.4f}'}")


def _settings(ctx: click.Context) -> Any:
    obj = ctx.find_object(Context)
    assert obj is not None
    return obj.settings()


FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@eval_group.command(name="beir")
@click.option("--corpus", type=FILE, required=True)
@click.option("--queries", type=FILE, required=True)
@click.option("--qrels", type=FILE, required=True)
@click.option("--mode", type=MODE_CHOICE, default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def eval_beir(ctx: click.Context, corpus: Path, queries: Path, qrels: Path, mode: str, as_json: bool) -> None:
    """nDCG@10, Recall@100 and MRR@10 on a BEIR-layout benchmark (a throwaway index)."""
    from paperwire.search.evaluation import evaluate_beir

    _print_metrics(evaluate_beir(corpus, queries, qrels, mode, settings=_settings(ctx)), as_json)


@eval_group.command(name="csfcube")
@click.argument("path", type=FILE)
@click.option("--mode", type=MODE_CHOICE, default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def eval_csfcube(ctx: click.Context, path: Path, mode: str, as_json: bool) -> None:
    """NDCG@20 of ranking CSFCube's judged candidates for each query paper."""
    from paperwire.search.evaluation import evaluate_csfcube

    _print_metrics(evaluate_csfcube(path, mode, settings=_settings(ctx)), as_json)


@eval_group.command(name="known-items")
@click.option("--items", type=FILE, required=True, help="JSON lines of {id, query, kind, split}.")
@click.option("--papers", type=FILE, default=None,
              help="Search a throwaway index of this Paperwire JSON-lines file instead of the instance "
                   "(--data-dir / --db): the instance's own indexes, every paper it holds.")
@click.option("--mode", "modes", type=MODE_CHOICE, multiple=True,
              help="Repeatable. Default: hybrid with --papers; keyword, semantic and hybrid over the instance.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def eval_known_items(ctx: click.Context, items: Path, papers: Path | None, modes: tuple[str, ...],
                     as_json: bool) -> None:
    """Known-item lookups: MRR@10 and hit@1/hit@10 of finding each query's one target paper, by kind
    (short, long, ...) and by split (tune, held-out), per mode."""
    if papers is not None:
        from paperwire.search.evaluation import evaluate_known_items

        for mode in modes or ("hybrid",):
            _print_metrics(evaluate_known_items(papers, items, mode, settings=_settings(ctx)), as_json)
        return
    from paperwire.search.known_items import evaluate_instance, load_items

    obj = ctx.find_object(Context)
    assert obj is not None
    rt = obj.runtime
    found = evaluate_instance(rt.store, rt.indexes, rt.search_policy, load_items(items),
                              modes or ("keyword", "semantic", "hybrid"))
    if as_json:
        click.echo(json.dumps({mode: {group: {k: (int(v) if k == "queries" else round(v, 4)) for k, v in m.items()}
                                      for group, m in groups.items()} for mode, groups in found.items()}))
        return
    for mode, groups in found.items():
        for group, m in groups.items():
            click.echo(f"{mode:<9} {group:<18} MRR@10 {m['mrr@10']:.3f}  hit@1 {m['hit@1']:.3f}  "
                       f"hit@10 {m['hit@10']:.3f}  ({int(m['queries'])} queries)")


@eval_group.command(name="recommend")
@click.option("--corpus", type=FILE, required=True, help="The papers: a Paperwire JSON-lines file (.gz or not).")
@click.option("--users", type=FILE, required=True,
              help="JSON lines of {user, cutoff, until, library, relevant} (simulated readers).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_recommend(corpus: Path, users: Path, as_json: bool) -> None:
    """nDCG@10, recall@100 and MRR@10 of "For you" recommendations for simulated readers."""
    from paperwire.recommend.evaluation import evaluate, load_corpus, load_readers

    metrics = evaluate(load_corpus(corpus), load_readers(users))
    if as_json:
        click.echo(json.dumps({k: (int(v) if k == "users" else round(v, 4)) for k, v in metrics.items()}))
        return
    for key, value in metrics.items():
        click.echo(f"{key:<20} {int(value) if key == 'users' else f'{value:.4f}'}")


COMMANDS = [search, similar, embed, eval_group]
