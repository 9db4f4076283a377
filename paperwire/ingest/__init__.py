"""Ingestion: one module per source; pure parsers, plus fetchers at the edges."""
