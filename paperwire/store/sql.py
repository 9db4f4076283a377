"""The Store implemented once in portable SQL; backends add connections."""

from __future__ import annotations

from paperwire.store.base import Store
from paperwire.store.embeddings import EmbeddingsSQL
from paperwire.store.jobs import JobsSQL
from paperwire.store.papers import PapersSQL
from paperwire.store.tables import TablesSQL


class SQLStore(PapersSQL, EmbeddingsSQL, JobsSQL, TablesSQL, Store):
    """Every part of the Store interface, in SQL both databases understand."""
