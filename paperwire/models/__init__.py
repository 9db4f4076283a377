"""Plain data types every layer passes around, one module per area. No I/O here.

Everything is re-exported here, so ``from paperwire.models import Paper, User`` works; the
submodules say which area a type belongs to. Nothing under ``paperwire/models`` imports
anything of Paperwire but other models (and nothing does I/O).
"""

from __future__ import annotations

from paperwire.models.accounts import (
    API_SCOPES,
    TOKEN_PURPOSES,
    AccountToken,
    ApiToken,
    AuthSession,
    User,
)
from paperwire.models.community import (
    CommunityActivity,
    PaperCommunity,
    Submission,
)
from paperwire.models.digests import (
    FREQUENCIES,
    SUBSCRIBER_STATES,
    TOPIC_KINDS,
    DigestEntry,
    DigestPeriod,
    Subscriber,
    Topic,
    parse_topic,
    period_for,
)
from paperwire.models.fetches import (
    FETCH_REASONS,
    FETCH_STATES,
    FetchRequest,
    FetchWaiter,
)
from paperwire.models.mail import (
    OUTBOX_STATES,
    Email,
    OutboxMessage,
)
from paperwire.models.papers import (
    ARXIV_ID_RE,
    BatchResult,
    DataVersion,
    EmbedTask,
    IndexEntry,
    Paper,
    SearchHit,
    SearchResults,
    SourceBatch,
    StoredEmbedding,
    StoreStats,
    UpsertResult,
    Version,
    arxiv_id_in,
    doi_in,
    is_arxiv_id,
    split_version,
    title_key,
)
from paperwire.models.signals import (
    CODE_LINK_SOURCES,
    CodeLink,
    HFDailyEntry,
    RepoCheck,
    Repository,
    SignalData,
    StarSnapshot,
)
from paperwire.models.trending import (
    TRENDING_WINDOWS,
    HFActivity,
    RepoStars,
    TrendingEntry,
    TrendingInputs,
    TrendingPage,
)

__all__ = [
    "API_SCOPES",
    "ARXIV_ID_RE",
    "CODE_LINK_SOURCES",
    "FETCH_REASONS",
    "FETCH_STATES",
    "FREQUENCIES",
    "OUTBOX_STATES",
    "SUBSCRIBER_STATES",
    "TOKEN_PURPOSES",
    "TOPIC_KINDS",
    "TRENDING_WINDOWS",
    "AccountToken",
    "ApiToken",
    "AuthSession",
    "BatchResult",
    "CodeLink",
    "CommunityActivity",
    "DataVersion",
    "DigestEntry",
    "DigestPeriod",
    "Email",
    "EmbedTask",
    "FetchRequest",
    "FetchWaiter",
    "HFActivity",
    "HFDailyEntry",
    "IndexEntry",
    "OutboxMessage",
    "Paper",
    "PaperCommunity",
    "RepoCheck",
    "RepoStars",
    "Repository",
    "SearchHit",
    "SearchResults",
    "SignalData",
    "SourceBatch",
    "StarSnapshot",
    "StoreStats",
    "StoredEmbedding",
    "Submission",
    "Subscriber",
    "Topic",
    "TrendingEntry",
    "TrendingInputs",
    "TrendingPage",
    "UpsertResult",
    "User",
    "Version",
    "arxiv_id_in",
    "doi_in",
    "is_arxiv_id",
    "parse_topic",
    "period_for",
    "split_version",
    "title_key",
]
