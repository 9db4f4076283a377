"""What one run of one source did: counted as it goes, printed as one summary line."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperwire.models import BatchResult, UpsertResult


@dataclass
class HarvestReport:
    """Counts of one source run; ``errors`` non-empty means the run failed (partly)."""

    source: str
    requests: int = 0
    pages: int = 0
    papers: UpsertResult = field(default_factory=UpsertResult)
    withdrawn: int = 0
    skipped: int = 0
    rejected: int = 0
    links: int = 0
    hf_entries: int = 0
    repos: int = 0
    snapshots: int = 0
    backfilled: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, result: BatchResult) -> None:
        """Count what one ``Store.papers.save_batch`` wrote."""
        self.papers += result.papers
        self.links += result.new_links
        self.hf_entries += result.hf_entries

    def line(self) -> str:
        """One line: what was fetched and written, and how it ended."""
        p = self.papers
        parts = [f"{self.pages} pages" if self.pages != 1 else "1 page"] if self.pages or self.source != "stars" else []
        if p.inserted or p.updated or p.unchanged or self.source in ("arxiv", "listing", "ids"):
            parts.append(f"{p.inserted} new papers, {p.updated} updated, {p.unchanged} unchanged")
        for count, label in ((self.withdrawn, "withdrawn"), (self.skipped, "skipped"),
                             (self.rejected, "rejected records"), (self.hf_entries, "HF daily entries"),
                             (self.repos, "repositories checked"), (self.snapshots, "star snapshots"),
                             (self.backfilled, "star histories backfilled")):
            if count:
                parts.append(f"{count} {label}")
        if self.source != "stars":
            parts.append(f"{self.links} new code links")
        if not parts:
            parts.append("nothing due")
        requests = f"{self.requests} request" + ("" if self.requests == 1 else "s")
        text = f"{self.source}: {', '.join(parts)}; {requests} in {self.seconds:.1f} s"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        if self.errors:
            text += f"; FAILED: {self.errors[0]}" + (f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else "")
        return text
