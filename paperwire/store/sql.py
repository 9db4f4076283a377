"""The Store implemented once in portable SQL; backends add connections."""

from __future__ import annotations

from paperwire.store.accounts import AccountsSQL
from paperwire.store.base import Store
from paperwire.store.community import CommunitySQL
from paperwire.store.digests import DigestsSQL
from paperwire.store.embeddings import EmbeddingsSQL
from paperwire.store.jobs import JobsSQL
from paperwire.store.signals import SignalsSQL
from paperwire.store.sources import SourcesSQL
from paperwire.store.stars import StarsSQL
from paperwire.store.tables import TablesSQL
from paperwire.store.trending import TrendingSQL


class SQLStore(SourcesSQL, StarsSQL, TrendingSQL, SignalsSQL, EmbeddingsSQL, JobsSQL, TablesSQL, AccountsSQL,
               CommunitySQL, DigestsSQL, Store):
    """Every part of the Store interface, in SQL both databases understand."""
