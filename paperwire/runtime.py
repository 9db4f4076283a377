"""The objects a running Paperwire needs, built from explicit settings.

``Runtime(settings)`` opens the store (applying pending migrations) and the
local search indexes on first use; the CLI, the web app and the worker all
go through it, and tests build one with their own settings.
"""

from __future__ import annotations

import logging
from functools import cached_property

from paperwire.config import Settings
from paperwire.search.embedder import LazyEmbedder
from paperwire.search.engine import SearchPolicy
from paperwire.search.indexes import LocalIndexes
from paperwire.store import Store, open_store

log = logging.getLogger(__name__)


class Runtime:
    """Lazily opened store and indexes for one set of settings."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        if store is not None:
            self.__dict__["store"] = store

    @cached_property
    def store(self) -> Store:
        store = open_store(self.settings.resolved_database_url(), pool_max=self.settings.pg_pool_max)
        applied = store.migrate()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        return store

    @cached_property
    def embedder(self) -> LazyEmbedder | None:
        """The embedding model (opened on first use), or None when semantic search is switched off."""
        return LazyEmbedder(self.settings) if self.settings.semantic_search else None

    @cached_property
    def indexes(self) -> LocalIndexes:
        return LocalIndexes(self.store, self.settings, self.embedder)

    @cached_property
    def search_policy(self) -> SearchPolicy:
        """Limits and fusion of every search this runtime serves (``search.engine.search``)."""
        return SearchPolicy.from_settings(self.settings)

    @cached_property
    def secret_key(self) -> bytes:
        """The key that signs tokens: the setting, or one generated once and kept in the database."""
        from paperwire.security.keys import secret_key

        return secret_key(self.settings, self.store)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
