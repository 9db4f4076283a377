"""A small hand-made world for the recommender's tests: three topics, a background, a reader."""

from __future__ import annotations

from datetime import date, timedelta

from paperwire.models import Paper
from paperwire.recommend.features import Background, counts_matrix, fit_background
from paperwire.recommend.scoring import Candidates
from paperwire.recommend.text import paper_text
from paperwire.recommend.training import Signal
from paperwire.store import Store

TOPICS = {
    "graphs": ["graph neural network message passing", "molecular property prediction", "node classification"],
    "speech": ["automatic speech recognition", "acoustic model transducer", "spoken language audio"],
    "robots": ["robot manipulation grasping", "reinforcement learning policy", "legged locomotion controller"],
}


def paper(topic: str, i: int) -> tuple[str, str, str]:
    """(id, title, abstract) of the i-th paper on a topic: its phrases plus a word of its own."""
    phrases = TOPICS[topic]
    title = f"{phrases[i % 3].title()} with method{topic}{i}"
    abstract = f"We study {phrases[0]} and {phrases[1]}. Our {phrases[2]} improves on strong baselines {i}."
    return f"{topic}-{i}", title, abstract


def library_texts() -> dict[str, str]:
    """Texts of ten papers per topic (ids ``graphs-0`` … ``robots-9``)."""
    out = {}
    for topic in TOPICS:
        for i in range(10):
            pid, title, abstract = paper(topic, i)
            out[pid] = paper_text(title, abstract)
    return out


def background() -> Background:
    """A background over the library texts and generic filler, every term kept."""
    texts = list(library_texts().values()) + [f"a survey of methods number {i} for learning" for i in range(30)]
    return fit_background(counts_matrix(texts), min_df=1, max_df=1.0, reference_size=20, hub_k=3)


def candidates(bg: Background, per_topic: int = 4) -> Candidates:
    """New papers on every topic (ids ``new-graphs-0`` …), categories by topic, one author each."""
    rows = [paper(topic, 100 + i) for topic in TOPICS for i in range(per_topic)]
    cats = [[f"cs.{topic[:2].upper()}"] for topic in TOPICS for _ in range(per_topic)]
    authors = [[f"Author {topic} {i}"] for topic in TOPICS for i in range(per_topic)]
    return Candidates.build(bg, [f"new-{pid}" for pid, _, _ in rows], [t for _, t, _ in rows],
                            [a for _, _, a in rows], cats, authors)


def saves(*ids: str, at: date = date(2026, 1, 1)) -> list[Signal]:
    """A save of each paper on one day."""
    return [Signal(pid, "save", at) for pid in ids]


LIBRARY_DAY = date(2026, 6, 1)
NEW_DAY = date(2026, 7, 6)


def world_id(topic: str, i: int, new: bool = False, arxiv: bool = False) -> str:
    """The id ``stored_world`` gives the i-th older (``new`` False) or new paper of a topic: ``graphs-3`` and
    ``new-graphs-103``, or with ``arxiv`` ids of the form ``2605.00003`` and ``2607.00003`` (topic t: t·100 + i)."""
    if arxiv:
        return f"{'2607' if new else '2605'}.{list(TOPICS).index(topic) * 100 + i:05d}"
    return f"new-{topic}-{100 + i}" if new else f"{topic}-{i}"


def stored_world(store: Store, per_topic: int = 10, new_per_topic: int = 6, arxiv: bool = False
                 ) -> dict[str, list[str]]:
    """Store the three topics' papers: ``per_topic`` older ones each (announced ``LIBRARY_DAY``) and
    ``new_per_topic`` new ones each (announced ``NEW_DAY`` or the day before, alternately), each in category
    cs.<TO> and by ``Author <topic> <i>`` (older ones by ``Old <topic> <i>``), ids by ``world_id``, plus
    filler that makes a background. Returns the new papers' ids per topic."""
    papers: list[Paper] = []
    new: dict[str, list[str]] = {}
    for topic in TOPICS:
        for i in range(per_topic):
            _, title, abstract = paper(topic, i)
            papers.append(Paper(world_id(topic, i, False, arxiv), title, abstract, authors=[f"Old {topic} {i}"],
                                categories=[f"cs.{topic[:2].upper()}"], announced=LIBRARY_DAY))
        for i in range(new_per_topic):
            _, title, abstract = paper(topic, 100 + i)
            pid = world_id(topic, i, True, arxiv)
            papers.append(Paper(pid, title, abstract, authors=[f"Author {topic} {i}"],
                                categories=[f"cs.{topic[:2].upper()}"], announced=NEW_DAY - timedelta(days=i % 2)))
            new.setdefault(topic, []).append(pid)
    papers += [Paper(f"filler-{i}", f"A survey of methods number {i}", f"A survey of methods number {i} for learning",
                     announced=LIBRARY_DAY) for i in range(30)]
    store.papers.upsert_papers(papers)
    return new
