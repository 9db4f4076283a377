"""The one table of settings.

Every setting has a name, a default and a help text; each is read from the
environment as ``PAPERWIRE_<NAME>`` and may be overridden by a CLI option.
``paperwire settings`` and ``docs/settings.md`` are generated from this table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/paperwire``, or ``~/.local/share/paperwire``.

    Never the working directory: a service started from another directory
    must find the same data.
    """
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "paperwire"


class Settings(BaseSettings):
    """All of Paperwire's settings, with defaults and help text."""

    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory for the default SQLite database and the local search indexes. "
        "Must be absolute; default $XDG_DATA_HOME/paperwire or ~/.local/share/paperwire.",
    )
    database_url: str = Field(
        "",
        description="Database URL: sqlite:///relative/or/absolute.db (a relative path is taken "
        "from the working directory, as any file argument), sqlite:////abs/path.db, or "
        "postgresql://user@host:port/dbname[?schema=name]. Empty: sqlite in data_dir/paperwire.db.",
    )
    host: str = Field("127.0.0.1", description="Address the web service listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the web service listens on.")
    base_url: str = Field(
        "",
        description="Public URL of the site, used in canonical links, feeds and emails. "
        "Empty: http://HOST:PORT.",
    )
    site_name: str = Field("Paperwire", description="Name shown in pages, feeds and emails.")
    web_workers: int = Field(1, ge=1, le=64, description="Web server processes started by 'serve'.")
    index_refresh_seconds: float = Field(
        5.0,
        ge=0,
        description="How often a running process checks the database for papers its local "
        "search index has not seen yet.",
    )
    search_max_limit: int = Field(100, ge=1, le=1000, description="Largest page size a search may ask for.")
    max_query_chars: int = Field(1000, ge=10, description="Longer search queries are rejected.")
    import_batch_size: int = Field(2000, ge=1, description="Papers written per transaction on import.")
    pg_pool_max: int = Field(8, ge=1, description="Connections per process in the PostgreSQL pool.")
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING or ERROR.")
    embed_variant: Literal["original", "requantized", "fused"] = Field(
        "fused",
        description="Build of the all-MiniLM-L6-v2 embedding model: 'original' (the packaged int8 file, fp32 "
        "MatMuls), 'requantized' (int8 MatMuls) or 'fused' (fused attention and int8 kernels; fastest at the "
        "same retrieval quality, see docs/benchmarks.md). Derived builds are made once from the packaged "
        "file and cached in data_dir/models. Changing it changes the model id: stored vectors are recomputed.",
    )
    embed_threads: int = Field(
        0, ge=0, le=256, description="Embedding model calls run side by side, one core each; 0: one per CPU."
    )
    embed_batch_size: int = Field(
        1,
        ge=1,
        le=1024,
        description="Texts per embedding model call. 1 is fastest on abstracts, and the int8 variants need it: "
        "they quantize activations per call, so texts sharing a call change each other's vectors.",
    )
    embed_max_tokens: int = Field(
        256,
        ge=8,
        le=512,
        description="Texts are cut to this many tokens before embedding (the model was trained on 256). "
        "Part of the model id.",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        value = value.expanduser()
        if not value.is_absolute():
            raise ValueError(f"data_dir must be an absolute path, got {str(value)!r}")
        return value

    def resolved_database_url(self) -> str:
        """The database URL, with the default filled in."""
        return self.database_url or f"sqlite:///{self.data_dir / 'paperwire.db'}"

    def public_url(self) -> str:
        """The site's public URL without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def models_dir(self) -> Path:
        """Where derived embedding model files are cached."""
        return self.data_dir / "models"

    def index_dir(self) -> Path:
        """Where this host keeps its search indexes."""
        return self.data_dir / "index"


@dataclass(frozen=True)
class SettingInfo:
    """One row of the settings table, for ``paperwire settings`` and the docs."""

    name: str
    env: str
    default: str
    help: str


def settings_table() -> Iterator[SettingInfo]:
    """Every setting with its environment variable, default and help."""
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default: Any = "(computed, see help)"
        else:
            default = field.default
        yield SettingInfo(name, f"PAPERWIRE_{name.upper()}", repr(default), field.description or "")
