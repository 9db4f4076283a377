"""The Store implemented once in portable SQL; backends add connections."""

from __future__ import annotations

from paperwire.store.base import Store
from paperwire.store.jobs import JobsSQL
from paperwire.store.sources import SourcesSQL
from paperwire.store.stars import StarsSQL


class SQLStore(SourcesSQL, StarsSQL, JobsSQL, Store):
    """Every part of the Store interface, in SQL both databases understand."""
