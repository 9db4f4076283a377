"""Progress bars for long commands (rich), kept apart from the work they watch."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from paperwire.importing import import_and_index
from paperwire.ingest.bulk import ImportReport
from paperwire.runtime import Runtime
from paperwire.search.embed_papers import EmbedReport, embed_missing


class RateColumn(ProgressColumn):
    """Items per second, from a task field (the bar itself may count bytes)."""

    def __init__(self, field: str, unit: str) -> None:
        super().__init__()
        self.field, self.unit = field, unit

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        count = task.fields.get(self.field, 0)
        rate = count / elapsed if elapsed > 0 else 0.0
        return Text(f"{count:,} {self.unit} · {rate:,.0f}/s", style="progress.data.speed")


def import_with_progress(runtime: Runtime, paths: list[Path], batch_size: int | None, show: bool) -> ImportReport:
    """Run an import with a progress bar (rate and ETA) when ``show``; errors go to stderr."""
    console = Console(stderr=True)
    size = batch_size or runtime.settings.import_batch_size
    mode = runtime.settings.import_processes
    processes = None if mode == "auto" else mode == "on"
    if not show:
        return import_and_index(runtime.store, runtime.indexes, paths, size,
                                on_error=lambda m: console.print(m, markup=False, highlight=False, soft_wrap=True),
                                index_process=processes, reader_process=processes)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               RateColumn("papers", "papers"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        reading = bar.add_task("importing", total=None, papers=0)
        indexing = bar.add_task("indexing", total=None, papers=0, visible=False)

        def on_read(done: int, total: int, papers: int) -> None:
            bar.update(reading, completed=done, total=total, papers=papers)

        def on_index(count: int) -> None:
            task = bar.tasks[indexing]
            bar.update(indexing, visible=True, advance=count, papers=task.fields["papers"] + count)

        report = import_and_index(
            runtime.store, runtime.indexes, paths, size,
            on_error=lambda m: bar.console.print(m, markup=False, highlight=False, soft_wrap=True),
            progress=on_read, index_progress=on_index, index_process=processes, reader_process=processes,
        )
    return report



def embed_with_progress(runtime: Runtime, reembed: bool, limit: int | None, show: bool) -> EmbedReport:
    """Embed missing papers with a progress bar (rate and ETA) when ``show``."""
    embedder = runtime.embedder
    assert embedder is not None
    store, batch = runtime.store, runtime.settings.embed_pipeline_batch
    lease = runtime.settings.embed_lease_seconds
    if not show:
        report = embed_missing(store, embedder, batch, reembed=reembed, limit=limit, lease_seconds=lease)
    else:
        todo = store.embeddings.count_papers_to_embed(embedder.model_id)
        total = min(todo, limit) if limit else todo
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   RateColumn("papers", "papers"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task("embedding", total=total, papers=0)

            def advance(done: int, _left: int) -> None:
                bar.update(task, advance=done, papers=bar.tasks[task].fields["papers"] + done)

            report = embed_missing(store, embedder, batch, reembed=reembed, progress=advance, limit=limit,
                                   lease_seconds=lease)
    runtime.indexes.sync()
    return report
