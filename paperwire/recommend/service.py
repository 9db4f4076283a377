"""The one entry point to "For you": the page, the private feed, the API, the CLI, the digests and the
worker all call these, so they all show the same ranking.

- ``ensure_background`` / ``refresh_background``: the instance's background model, fitted on the stored
  papers and stored once (``store.recommendations``); refitted when the collection grew by
  ``recommend_refit_growth``.
- ``user_model``: a reader's model, loaded, or retrained (incrementally) when their signals changed since
  it was trained (``signals_at`` holds the signals version it saw) or the background changed. A 👎 bumps
  the version, so the next ranking is made with it.
- ``recommend``: the ranked papers of a window (the last announced day, week or month, or ``since`` a
  date; the listing's category filter) with their reasons; ``pool_for`` is the window's papers,
  featurised once per process and change of the collection and shared by every reader.
- ``retrain_stale``: the worker's ``recommend-retrain`` job.
- ``reset``, ``set_exploration``, ``exploration_for``; ``create_feed_token``, ``revoke_feed_token``,
  ``user_for_feed_token`` for the private Atom feed (only the token's SHA-256 is stored).

Everything numeric happens in the pure modules (``ranking``, ``scoring``, ``training``); this module
reads and writes the store at the edges.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from paperwire.config import Settings
from paperwire.models import Paper, UserSignals
from paperwire.recommend.explain import Explanation
from paperwire.recommend.features import Background, counts_matrix, fit_background
from paperwire.recommend.model import FORMAT, ModelFormatError, UserModel
from paperwire.recommend.ranking import Pool, Ranked, rank_pool, ranked_items, seed_for
from paperwire.recommend.scoring import RankConfig
from paperwire.recommend.text import paper_text
from paperwire.recommend.training import Signal, TrainConfig, train
from paperwire.store import Store
from paperwire.store.recommendations import ForYouSettings, StoredModel

WINDOWS: dict[str, int] = {"day": 1, "week": 7, "month": 30}
"""Days of announcements each window covers, ending at the newest announced day."""
ENOUGH_SIGNALS = 5
"""Below this many saved or liked papers the page says the ranking is still rough and how to teach it."""
MAX_POOL = 5000
"""The most papers one window ranks (the newest): a month of cs.* is about 4,000."""
EXPLORATION_CHOICES: dict[str, float] = {"off": 0.0, "a little": 0.05, "some": 0.1, "more": 0.2, "a lot": 0.34}
MIN_BACKGROUND_PAPERS = 20
"""Fewer stored papers than this and there is nothing to learn document frequencies from."""


class NoBackground(RuntimeError):
    """The instance holds too few papers to fit a background model."""


@dataclass(slots=True)
class ForYou:
    """A reader's ranking of one window: the items and what the page says around them."""

    user_id: int
    window: str
    start: date | None
    end: date | None
    category: str | None
    items: list[Ranked] = field(default_factory=list)
    candidates: int = 0
    """Papers in the window (before mutes and papers already rated)."""
    signals: int = 0
    """Saved, upvoted and liked papers the model learns from."""
    exploration: float = 0.0

    @property
    def enough(self) -> bool:
        """Whether the reader gave enough signals for a ranking worth its name."""
        return self.signals >= ENOUGH_SIGNALS


# -- the background --------------------------------------------------------------------------

_lock = threading.Lock()
POOL_CACHE = 8


@dataclass(slots=True)
class _Cache:
    """One database's parsed background (with the stamp it was stored under) and recent pools."""

    background: tuple[str, Background] | None = None
    pools: OrderedDict[tuple[object, ...], Pool] = field(default_factory=OrderedDict)


# per database object (weakly: a closed store's cache goes with it, and a new one never inherits it)
_caches: weakref.WeakKeyDictionary[object, _Cache] = weakref.WeakKeyDictionary()


def _cache(store: Store) -> _Cache:
    with _lock:
        return _caches.setdefault(store.db, _Cache())


def fit_stored(store: Store) -> Background:
    """A background fitted on every stored paper's title and abstract (about 6 s for 40,000 papers)."""
    texts = [paper_text(p.title, p.abstract) for p in store.papers.iter_papers()]
    if len(texts) < MIN_BACKGROUND_PAPERS:
        raise NoBackground(f"{len(texts)} papers stored; the background needs at least {MIN_BACKGROUND_PAPERS}")
    # small collections (a new instance, tests) keep rare terms; a real one drops terms in under 3 papers
    min_df = 3 if len(texts) >= 1000 else 1
    max_df = 0.1 if len(texts) >= 1000 else 0.5
    return fit_background(counts_matrix(texts), min_df=min_df, max_df=max_df)


def load_background(store: Store) -> Background | None:
    """The stored background, parsed once per process and change (one cheap read validates the copy)."""
    stamp = store.recommendations.background_updated_at()
    if stamp is None:
        return None
    cache = _cache(store)
    cached = cache.background
    if cached and cached[0] == stamp:
        return cached[1]
    blob = store.recommendations.get_background()
    if blob is None:
        return None
    background = Background.from_bytes(blob)
    cache.background = (stamp, background)
    return background


def refresh_background(store: Store, settings: Settings, force: bool = False) -> tuple[Background, bool]:
    """The background, refitted and stored when there is none, when ``force``, or when the collection grew
    by ``recommend_refit_growth`` since the last fit; True when it was (re)fitted."""
    current = load_background(store)
    if current is not None and not force:
        total = store.papers.count_papers() or 0
        if total <= current.n_docs * (1 + settings.recommend_refit_growth):
            return current, False
    background = fit_stored(store)
    store.recommendations.save_background(background.to_bytes())
    stamp = store.recommendations.background_updated_at()
    # the stamp may equal the previous one (two fits in a second): this process keeps the new fit
    _cache(store).background = (stamp or "", background)
    return background, True


def ensure_background(store: Store, settings: Settings) -> Background:
    """The stored background, fitted first if there is none yet (``NoBackground`` on an empty instance)."""
    current = load_background(store)
    return current if current is not None else refresh_background(store, settings)[0]


# -- a reader's model ------------------------------------------------------------------------

def training_signals(signals: UserSignals) -> list[Signal]:
    """The store's signals as the trainer reads them (dated by day)."""
    return [Signal(s.paper_id, s.kind, s.at.date()) for s in (*signals.positives, *signals.negatives)]


def train_user(store: Store, settings: Settings, background: Background, signals: UserSignals,
               previous: UserModel | None = None, today: date | None = None) -> UserModel:
    """Train a reader's model from their signals (reusing ``previous``'s rows) and store it."""
    wanted = [*signals.positive_ids(), *signals.negative_ids()]
    papers = store.papers.get_papers(wanted)
    texts = {pid: paper_text(p.title, p.abstract) for pid, p in papers.items()}
    # papers not stored yet (an import waiting for the fetch queue) are left out until they are
    known = [s for s in training_signals(signals) if s.paper_id in texts]
    model = train(background, known, texts, today or store.clock().date(), TrainConfig.from_settings(settings),
                  previous=previous)
    store.recommendations.save_model(signals.user_id, model.to_bytes(), FORMAT, str(signals.version))
    return model


def user_model(store: Store, settings: Settings, background: Background, signals: UserSignals,
               stored: StoredModel | Literal[False] | None = False) -> UserModel:
    """The reader's model: the stored one when it saw these signals and this background, else retrained
    (``stored``: the stored model when the caller read it already, None for none)."""
    if stored is False:
        stored = store.recommendations.get_model(signals.user_id)
    previous = None
    if stored is not None and stored.format == FORMAT:
        try:
            previous = UserModel.from_bytes(stored.model)
        except ModelFormatError:
            previous = None
    if previous is not None and previous.background == background.fingerprint \
            and stored is not None and stored.signals_at == str(signals.version):
        return previous
    return train_user(store, settings, background, signals, previous)


# -- the window's papers ---------------------------------------------------------------------

def window_range(store: Store, window: str, since: date | None = None) -> tuple[date | None, date | None]:
    """``[start, end]`` of a window, ending on the newest announced day (``since`` replaces the start)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose one of {', '.join(WINDOWS)}")
    end = store.papers.latest_day()
    if end is None:
        return None, None
    start = since if since is not None else end - timedelta(days=WINDOWS[window] - 1)
    return start, end


def pool_for(store: Store, background: Background, start: date | None, end: date | None,
             category: str | None = None) -> Pool:
    """The window's papers (newest ``MAX_POOL``), featurised; cached per process until the collection changes."""
    if start is None or end is None or start > end:
        return Pool.build(background, [])
    key = (background.fingerprint, start, end, category, store.papers.last_change()[0])
    pools = _cache(store).pools
    with _lock:
        if key in pools:
            pools.move_to_end(key)
            return pools[key]
    papers = store.papers.list_papers(start, end, category, limit=MAX_POOL)
    pool = Pool.build(background, papers)
    with _lock:
        pools[key] = pool
        while len(pools) > POOL_CACHE:
            pools.popitem(last=False)
    return pool


# -- the ranking -----------------------------------------------------------------------------

def exploration_for(store: Store, settings: Settings, user_id: int) -> float:
    """The reader's exploration rate: their own choice, else the instance's ``recommend_exploration``."""
    return _exploration(settings, store.recommendations.settings(user_id))


def _exploration(settings: Settings, chosen: ForYouSettings) -> float:
    return chosen.exploration if chosen.exploration is not None else settings.recommend_exploration


def set_exploration(store: Store, user_id: int, rate: float | None) -> None:
    """Choose the reader's exploration rate in [0, 0.5] (None: the instance default)."""
    if rate is not None and not 0.0 <= rate <= 0.5:
        raise ValueError("exploration is between 0 and 0.5")
    store.recommendations.set_exploration(user_id, rate)


def rank_for(store: Store, settings: Settings, user_id: int, pool: Pool, background: Background,
             signals: UserSignals | None = None, limit: int = 20, offset: int = 0) -> list[Ranked]:
    """Rank a pool for one reader (used by ``recommend``; the digests use ``rank_many``: the same ranking)."""
    signals = signals if signals is not None else store.preferences.user_signals(user_id)
    if not _learns(signals):
        return []
    model = user_model(store, settings, background, signals)
    picked = _picked(model, pool, signals, exploration_for(store, settings, user_id), limit, offset)
    like = {pid for _, _, _, why in picked for pid in why.like}
    titles = {pid: p.title for pid, p in store.papers.get_papers(sorted(like)).items()}
    return ranked_items(pool, picked, signals, titles)


def rank_many(store: Store, settings: Settings, user_ids: Sequence[int], pool: Pool, background: Background,
              limit: int = 20, on_error: Callable[[int, Exception], None] | None = None,
              batch: int = 500) -> dict[int, list[Ranked]]:
    """``rank_for`` for many readers sharing one pool (a digest run), each reader's top ``limit``: the store
    is read per ``batch`` of readers (their signals, models, choices and the titles their reasons name), not
    per reader. A reader whose ranking fails is reported to ``on_error`` (else raised) and left out;
    readers with nothing to learn from are absent."""
    out: dict[int, list[Ranked]] = {}
    ids = list(dict.fromkeys(user_ids))
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        signals = store.preferences.signals_of(chunk)
        stored = store.recommendations.get_models(chunk)
        chosen = store.recommendations.settings_of(chunk)
        picks: dict[int, list[tuple[int, bool, float, Explanation]]] = {}
        for uid in chunk:
            if not _learns(signals[uid]):
                continue
            try:
                model = user_model(store, settings, background, signals[uid], stored.get(uid))
                rate = _exploration(settings, chosen.get(uid, ForYouSettings()))
                picks[uid] = _picked(model, pool, signals[uid], rate, limit, 0)
            except Exception as exc:  # one reader's broken model must not stop everyone's ranking
                if on_error is None:
                    raise
                on_error(uid, exc)
        like = sorted({pid for picked in picks.values() for _, _, _, why in picked for pid in why.like})
        titles = {pid: p.title for pid, p in store.papers.get_papers(like).items()}
        for uid, picked in picks.items():
            out[uid] = ranked_items(pool, picked, signals[uid], titles)
    return out


def _learns(signals: UserSignals) -> bool:
    """Whether a reader gave anything to rank by (a saved, upvoted or 👍 paper, a followed author or category)."""
    return bool(signals.positives or signals.followed_authors or signals.followed_categories)


def _picked(model: UserModel, pool: Pool, signals: UserSignals, exploration: float, limit: int,
            offset: int) -> list[tuple[int, bool, float, Explanation]]:
    day = pool.papers[0].announced.isoformat() if pool.papers and pool.papers[0].announced else ""
    picked, _ = rank_pool(model, pool, signals, exploration, seed_for(signals.user_id, day), limit, offset,
                          RankConfig())
    return picked


def recommend(store: Store, settings: Settings, user_id: int, window: str = "day", since: date | None = None,
              category: str | None = None, limit: int = 20, offset: int = 0) -> ForYou:
    """The reader's "For you" ranking of a window, every item with its reasons."""
    start, end = window_range(store, window, since)
    signals = store.preferences.user_signals(user_id)
    out = ForYou(user_id, window, start, end, category, signals=len(signals.positive_ids()),
                 exploration=exploration_for(store, settings, user_id))
    try:
        background = ensure_background(store, settings)
    except NoBackground:
        return out
    pool = pool_for(store, background, start, end, category)
    out.candidates = len(pool)
    out.items = rank_for(store, settings, user_id, pool, background, signals, limit, offset)
    return out


def reset(store: Store, user_id: int, thumbs: bool = False) -> int:
    """Forget the reader's model (it is retrained from their library at the next ranking) and, with
    ``thumbs``, every 👍 and 👎 they gave; how many thumbs were taken back."""
    removed = store.preferences.clear_thumbs(user_id) if thumbs else 0
    store.recommendations.delete_model(user_id)
    return removed


# -- retraining in the worker ----------------------------------------------------------------

@dataclass(slots=True)
class RetrainReport:
    """What one ``recommend-retrain`` run did."""

    retrained: int = 0
    refitted: bool = False
    seconds: float = 0.0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for ``paperwire jobs``."""
        text = f"readers retrained: {self.retrained}" + ("; background refitted" if self.refitted else "")
        if self.waiting:
            text += f"; {self.waiting}+ still waiting"
        return text + f"; {self.seconds:.1f} s"


def retrain_stale(store: Store, settings: Settings, limit: int | None = None) -> RetrainReport:
    """Refit the background when the collection grew, then retrain up to ``limit`` readers whose signals
    changed since their model (incremental: their previous model's rows are reused)."""
    started = time.perf_counter()
    report = RetrainReport()
    try:
        background, report.refitted = refresh_background(store, settings)
    except NoBackground as exc:
        report.errors.append(str(exc))
        return report
    batch = limit if limit is not None else settings.recommend_retrain_batch
    stale = store.recommendations.stale_users(batch + 1)
    report.waiting = max(0, len(stale) - batch)
    for user_id, _ in stale[:batch]:
        signals = store.preferences.user_signals(user_id)
        user_model(store, settings, background, signals)
        report.retrained += 1
    report.seconds = time.perf_counter() - started
    return report


# -- the private feed's token ----------------------------------------------------------------

def token_hash(token: str) -> str:
    """What is stored of a feed token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_feed_token(store: Store, user_id: int) -> str:
    """A new secret for the reader's private feed, replacing (revoking) any earlier one; shown once."""
    token = secrets.token_urlsafe(32)
    store.recommendations.set_feed_token(user_id, token_hash(token))
    return token


def revoke_feed_token(store: Store, user_id: int) -> None:
    """Turn the reader's private feed off: its URL stops working."""
    store.recommendations.set_feed_token(user_id, None)


def user_for_feed_token(store: Store, token: str) -> int | None:
    """The reader a feed token belongs to, or None (unknown, revoked, or a disabled account)."""
    if not token or len(token) > 200:
        return None
    return store.recommendations.user_for_feed(token_hash(token))


def papers_of(items: list[Ranked]) -> list[Paper]:
    """The papers of a ranking, in order."""
    return [item.paper for item in items]
