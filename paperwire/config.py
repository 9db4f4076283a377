"""The one table of settings.

Every setting has a name, a default and a help text; each is read from the
environment as ``PAPERWIRE_<NAME>`` and may be overridden by a CLI option.
``paperwire settings`` and ``docs/settings.md`` are generated from this table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
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
    forwarded_allow_ips: str = Field(
        "127.0.0.1,::1", description="Comma-separated addresses (or CIDR networks, or *) of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto headers are believed. Behind a proxy that is not on this host, "
        "set it to the proxy's address, or every visitor shares the proxy's sign-in throttle (docs/deployment.md).")
    site_name: str = Field("Paperwire", description="Name shown in pages, feeds and emails.")
    web_processes: int = Field(
        1, ge=1, le=64,
        # "workers" is the job worker's name here; PAPERWIRE_WEB_WORKERS is still read, as it used to be
        validation_alias=AliasChoices("web_processes", "PAPERWIRE_WEB_PROCESSES", "PAPERWIRE_WEB_WORKERS"),
        description="Web server processes started by 'serve' (PAPERWIRE_WEB_WORKERS, its former name, "
        "is still read).",
    )
    web_threads: int = Field(
        4,
        ge=1,
        le=256,
        description="Threads per web process that run page and API handlers. The work is mostly CPU "
        "under Python's GIL, where more threads only queue for it and stretch the slowest responses; "
        "raise it when a remote database makes handlers wait.",
    )
    index_refresh_seconds: float = Field(
        5.0,
        ge=0,
        description="How often a running process checks the database for papers its local "
        "search index has not seen yet.",
    )
    web_cache_mb: int = Field(
        64,
        ge=0,
        description="Memory for each web process's cache of rendered responses, in MB (0: no cache). "
        "Entries are keyed by the store's change counter, so an import never leaves a stale page.",
    )
    web_busy_timeout_ms: int = Field(
        5000, ge=1, le=600_000,
        description="How long a web request waits for a database lock another writer holds (SQLite's busy "
        "timeout; PostgreSQL's lock_timeout and the wait for a pooled connection) before it is answered 503 with "
        "Retry-After. Commands and the worker wait 30 s (SQLite) or as long as it takes (PostgreSQL locks).")
    anonymous_rate_per_minute: float = Field(
        60.0, ge=0,
        description="Searches per minute (search page, search API, search feeds, Hugging Face–compatible search) "
        "one anonymous client address (an IPv6 /64) may make, after its burst; more are answered 429 with "
        "Retry-After. Signed-in members, valid API tokens, 304s and cached answers do not count. Each web "
        "process counts on its own. 0: no limit. The client address is the one uvicorn reports: it believes "
        "X-Forwarded-For only from FORWARDED_ALLOW_IPS (uvicorn's variable; default 127.0.0.1,::1), so a reverse "
        "proxy on another host must be listed there, or every client counts as the proxy.")
    anonymous_burst: int = Field(
        60, ge=1, description="Searches an anonymous client may make at once before anonymous_rate_per_minute "
        "applies.")
    max_body_bytes: int = Field(
        65536, ge=1024,
        description="Largest request body the web service accepts, in bytes; larger ones are answered 413 before "
        "they are read (a declared Content-Length at once, a chunked body when it crosses the limit). "
        "Paperwire's forms and JSON calls need a few hundred bytes; nothing uploads files. Set the proxy's "
        "limit (nginx client_max_body_size) to match (docs/deployment.md).",
    )
    index_refresh_wait_seconds: float = Field(
        1.0, ge=0, description="How long a web request waits for its process's index to catch up with new papers "
        "before answering from the index as it is.")
    search_max_limit: int = Field(100, ge=1, le=1000, description="Largest page size a search may ask for.")
    max_query_chars: int = Field(1000, ge=10, description="Longer search queries are rejected.")
    semantic_search: bool = Field(True, description="Embed papers and offer semantic and hybrid search (the "
                                  "embedding model ships with the package); false: keyword search only.")
    embed_pipeline_batch: int = Field(64, ge=1, le=4096, description="Papers embedded and saved per transaction "
                                      "by 'paperwire embed' and the worker (an interrupted run loses at most one).")
    search_postings_budget: int = Field(
        1_500_000, ge=0, description="A keyword query whose words' postings add up to more than this is ranked in "
        "two passes: its search_budget_candidates best papers on its rarer words, then those by every word with "
        "exact scores (bounds a long query's cost at millions of papers; no query reaches it at 75k). 0: off.")
    search_budget_candidates: int = Field(200, ge=10, le=100_000, description="Papers the first pass of an "
                                          "over-budget keyword query keeps for exact scoring (more: closer to a "
                                          "full search, slower).")
    search_index_memory_mb: int = Field(
        2000, ge=16, le=64_000, description="Memory the keyword index's writer may fill before it writes a "
        "segment out, shared by the shards (at most about 4,000 per indexing thread). Each segment costs every "
        "search a little, and a large write (a first import, a rebuild) leaves more of them with less memory: "
        "2.84M papers in 2 shards left 7 segments a shard with 128, 2 with 2000 (keyword p95 23.8 -> 19.9 ms; "
        "the writing process peaked at 0.7 and 2.1 GB). Only what a write holds is used, and given back after "
        "it: a 75k-paper import peaks at 354 MB with either.")
    search_index_shards: int = Field(1, ge=1, le=16, description="Shards of the keyword index, searched in "
                                     "parallel threads: a query's time over n shards is about 1/n on n idle cores "
                                     "(worth it from about a million papers; set it to the web host's cores). "
                                     "Changing it builds a new index from the store.")
    search_fusion: str = Field("convex", description="How hybrid search fuses keyword and semantic ranks: "
                               "convex (weighted normalised scores) or rrf (reciprocal rank fusion).")
    search_semantic_weight: float = Field(0.4, ge=0, le=1, description="Weight of the semantic side in hybrid "
                                          "fusion for descriptive queries of 15 words or more (the keyword side gets "
                                          "1 minus this).")
    search_semantic_weight_short: float = Field(0.3, ge=0, le=1, description="Weight of the semantic side in "
                                                "hybrid fusion for queries of 5 words or fewer; queries of 6-14 "
                                                "words get a weight between this and search_semantic_weight.")
    search_fusion_norm: str = Field("minmax", description="Score normalisation of convex fusion: minmax, zscore "
                                    "or dbsf.")
    semantic_min_similarity: float = Field(0.3, ge=-1, le=1, description="Semantic and hybrid search count a "
                                           "paper as a match only from this cosine similarity up (nonsense queries "
                                           "score about 0.2-0.26 against everything).")
    vector_exact_limit: int = Field(300_000, ge=1000, description="Up to this many papers vector search scans "
                                    "every vector exactly; beyond it an IVF index is used.")
    vector_nprobe: int = Field(96, ge=1, description="Lists an IVF vector search probes (recall versus speed; "
                               "96 keeps about 96 % of the exact top 100 at 1M papers, docs/benchmarks.md).")
    import_batch_size: int = Field(10_000, ge=1, description="Papers written per transaction on import.")
    import_processes: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Whether an import reads and parses its files, and updates this host's keyword index, in "
        "processes of their own beside the importing one: 'auto' reads each file of 8 MB or more in a process "
        "and indexes in one when the files make 8 MB in all; 'on' always; 'off' never (all in threads of one "
        "process: one core, less memory; docs/benchmarks.md).",
    )
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
    embed_lease_seconds: int = Field(
        120, ge=2, le=86400, description="Lease on a claimed batch of papers to embed, renewed every third of it "
        "while its process works: a killed embedding process's batch is taken over by another after this long.")
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

    # -- live ingestion (docs/ingestion.md) ---------------------------------------------
    contact_email: str = Field(
        "",
        description="Contact address put in the User-Agent of every request to arXiv, Hugging Face and "
        "GitHub (arXiv asks harvesters for one). Set it before harvesting.",
    )
    http_timeout_seconds: float = Field(
        30.0, gt=0, description="Connect and read timeout of one HTTP request to a source."
    )
    http_retries: int = Field(
        4, ge=0, le=20,
        description="Retries of a request after a network error, a 5xx or a 429 answer, with exponential "
        "backoff and jitter (a Retry-After header is honoured instead).",
    )
    http_backoff_seconds: float = Field(
        2.0, ge=0, description="First backoff before a retry; doubled on each further retry, with ±50% jitter."
    )
    http_max_backoff_seconds: float = Field(120.0, ge=0, description="Longest backoff between two retries.")
    http_max_retry_after_seconds: float = Field(
        900.0, ge=0,
        description="Longest Retry-After wait honoured; a server asking for more fails the run instead "
        "of blocking it for hours.",
    )
    http_max_response_bytes: int = Field(
        64 * 1024 * 1024, ge=1024,
        description="Largest response body accepted (after decompression); a bigger one fails that page.",
    )
    http_deadline_seconds: float = Field(
        300.0, gt=0,
        description="Longest time one request to a source may take, all included: waiting for its turn, "
        "connecting, reading and the waits between retries (a Retry-After that would end past it fails the "
        "request). A connection still busy at the deadline is cut.",
    )
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai", description="Base URL of arXiv's OAI-PMH interface ('harvest arxiv')."
    )
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query",
        description="arXiv query API, used to fetch papers by id ('harvest ids', filling gaps).",
    )
    arxiv_rss_url: str = Field(
        "https://rss.arxiv.org/atom",
        description="Base URL of arXiv's daily announcement feeds; the category is appended ('harvest listing').",
    )
    arxiv_min_interval_seconds: float = Field(
        3.0, ge=0,
        description="Least time between two requests to one arXiv host (arXiv's rule: one request every "
        "3 seconds, one connection).",
    )
    arxiv_oai_format: str = Field(
        "arXiv", pattern=r"^(arXiv|arXivRaw|oai_dc)$",
        description="OAI-PMH metadata format: arXiv (structured authors, categories, licence), arXivRaw "
        "(adds the version history) or oai_dc (Dublin Core; categories only for CS and a few others).",
    )
    harvest_sets: str = Field(
        "cs",
        description="OAI-PMH sets to harvest, separated by spaces or commas: cs, math, stat, "
        "physics:hep-th, ... ('*' harvests all of arXiv).",
    )
    harvest_categories: str = Field(
        "",
        description="Keep only harvested papers with at least one of these categories or archives "
        "(cs.CL, cs); empty keeps every paper of the harvested sets.",
    )
    listing_categories: str = Field(
        "cs",
        description="Categories or archives whose daily announcement feed 'harvest listing' reads "
        "(cs.AI cs.CL, or cs for the whole archive).",
    )
    arxiv_api_batch: int = Field(
        100, ge=1, le=2000, description="Paper ids asked of the arXiv query API per request."
    )
    fetch_max_attempts: int = Field(
        5, ge=1, le=100,
        description="Tries of a requested arXiv id (a submission, say) before it is marked failed; each failed "
        "try waits longer before the next (1, 2, 4 ... minutes, at most an hour).",
    )
    hf_url: str = Field("https://huggingface.co", description="Base URL of Hugging Face ('harvest hf').")
    hf_days_back: int = Field(
        3, ge=0, le=60,
        description="Without --from, 'harvest hf' reads today's daily papers and this many days before "
        "(upvotes keep changing for a few days).",
    )
    hf_min_interval_seconds: float = Field(1.0, ge=0, description="Least time between two requests to Hugging Face.")
    hf_fill_from_arxiv: bool = Field(
        True,
        description="Fetch daily papers missing from the store from the arXiv query API; when that fails "
        "they are added from Hugging Face's own metadata.",
    )
    github_api_url: str = Field(
        "https://api.github.com", description="Base URL of the GitHub REST API ('harvest stars')."
    )
    github_token: SecretStr = Field(
        SecretStr(""),
        description="GitHub token (no scopes needed): 5,000 requests an hour instead of 60. Optional; never logged.",
    )
    github_min_interval_seconds: float = Field(
        0.5, ge=0, description="Least time between two requests to GitHub."
    )
    github_rate_reserve: int = Field(
        10, ge=0,
        description="'harvest stars' stops when GitHub's X-RateLimit-Remaining falls to this many requests, "
        "leaving some for other tools using the same token.",
    )
    stars_check_interval_hours: float = Field(
        20.0, ge=0, description="A repository's stars are checked again only after this many hours."
    )
    stars_max_repos: int = Field(1000, ge=1, description="Most repositories checked by one 'harvest stars' run.")
    stargazer_backfill_max_stars: int = Field(
        2000, ge=0,
        description="Backfill a new repository's star history from its stargazers (100 per request) only when "
        "it has at most this many stars; 0 turns backfill off.",
    )

    # -- trending (docs/trending.md) ---------------------------------------------------------
    trending_star_weight: float = Field(
        1.0, ge=0, description="Weight of ln(1 + GitHub stars gained in the window) in the trending score.")
    trending_hf_weight: float = Field(
        1.0, ge=0, description="Weight of ln(1 + Hugging Face upvotes gained in the window) in the trending score.")
    trending_community_weight: float = Field(
        1.0, ge=0, description="Weight of ln(1 + upvotes made in the window by Paperwire's own enabled accounts) in "
        "the trending score (saves do not count). Its age discount stops at one window, so an old paper the "
        "community upvotes now can trend; 0 ignores the community.")
    trending_fresh_weight: float = Field(
        0.5, ge=0,
        description="Freshness prior added to every candidate's signal before the age decay: recent papers without "
        "stars or upvotes rank after every paper with one, newest first (keep it below ln 2 = 0.69, one star's worth "
        "at weight 1); 0 ranks only papers with signals.")
    trending_half_life_day: float = Field(
        2.0, gt=0, description="Half-life in days of the age decay of the 'day' ranking (last 24 hours).")
    trending_half_life_week: float = Field(
        7.0, gt=0, description="Half-life in days of the age decay of the 'week' ranking (last 7 days).")
    trending_half_life_month: float = Field(
        30.0, gt=0, description="Half-life in days of the age decay of the 'month' ranking (last 30 days).")
    trending_keep: int = Field(1000, ge=1, description="Papers kept in each window's stored ranking.")

    # -- "For you" recommendations (docs/recommendations.md) -------------------------------------
    recommend_exploration: float = Field(
        0.1, ge=0, le=0.5, description="Share of recommendation slots given to papers outside a reader's profile "
        "(every round(1/x)-th slot); 0: none.")
    recommend_half_life_days: float = Field(
        0.0, ge=0, description="Recency weighting of a reader's library: a signal this many days old counts half; "
        "0: every paper counts the same (measured best, docs/recommendations.md).")
    recommend_retrain_batch: int = Field(
        500, ge=1, description="Readers the recommend-retrain job retrains per run (those whose signals changed "
        "since their model, least recently changed first); the rest wait for the next run or are retrained when "
        "they next open \"For you\".")
    recommend_refit_growth: float = Field(
        0.2, ge=0, description="The recommend-retrain job refits the background model (idf and reference papers) "
        "when the collection has grown by this share since the last fit (0.2: 20 % more papers).")

    # -- worker (docs/worker.md): minutes between runs of each job; 0 disables it ----------------
    schedule_harvest_arxiv_minutes: float = Field(
        720.0, ge=0, description="Worker: minutes between arXiv OAI-PMH harvests ('harvest arxiv'); 0 disables.")
    schedule_harvest_listing_minutes: float = Field(
        360.0, ge=0, description="Worker: minutes between reads of the arXiv announcement feeds ('harvest listing'); "
        "0 disables.")
    schedule_harvest_hf_minutes: float = Field(
        180.0, ge=0,
        description="Worker: minutes between Hugging Face daily-papers fetches ('harvest hf'); 0 disables.")
    schedule_harvest_stars_minutes: float = Field(
        240.0, ge=0, description="Worker: minutes between GitHub star checks ('harvest stars'; each run checks only "
        "the repositories due); 0 disables.")
    schedule_embed_minutes: float = Field(
        30.0, ge=0, description="Worker: minutes between embedding runs for new or changed papers (skipped while no "
        "embedder is configured); 0 disables.")
    schedule_trending_minutes: float = Field(
        30.0, ge=0, description="Worker: minutes between recomputations of the trending rankings; 0 disables.")
    schedule_digest_daily_minutes: float = Field(
        30.0, ge=0, description="Worker: minutes between looks at whether the daily digests are due (Monday to "
        "Friday from digest_daily_hour_utc); each period's digests are queued once, and a subscriber confirmed "
        "later that day gets that day's digest at the next look; 0 disables.")
    schedule_digest_weekly_minutes: float = Field(
        30.0, ge=0, description="Worker: minutes between looks at whether the weekly digests are due "
        "(digest_weekly_day from digest_weekly_hour_utc); 0 disables.")
    schedule_deliver_outbox_minutes: float = Field(
        5.0, ge=0, description="Worker: minutes between deliveries of the outbox over SMTP (queued digests, "
        "confirmations and account emails, and temporary failures whose retry is due); 0 disables.")
    schedule_fetch_requested_minutes: float = Field(
        0.5, ge=0, description="Worker: minutes between looks at the fetch queue (arXiv ids that submissions and "
        "other requests asked for; fetched in batches through the arXiv query API); 0 disables.")
    schedule_recommend_retrain_minutes: float = Field(
        10, ge=0, description="Worker: minutes between retrainings of the \"For you\" models of readers whose "
        "signals changed (and background refits when the collection grew); 0 disables.")
    worker_lease_seconds: int = Field(
        300, ge=1, description="A running job's lease; the worker renews it every third of this. A worker that dies "
        "stops renewing and the job is run again once the lease has expired.")
    worker_retry_seconds: float = Field(
        300.0, ge=1, description="First retry of a failed job after this many seconds, doubled after each further "
        "consecutive failure (capped by worker_max_retry_seconds and by the job's own interval).")
    worker_max_retry_seconds: float = Field(
        21600.0, ge=1, description="Longest wait before retrying a failed job.")
    worker_poll_seconds: float = Field(
        30.0, gt=0, description="Longest sleep of an idle worker before it looks for due jobs again.")
    worker_stop_grace_seconds: float = Field(
        10.0, ge=0, description="On SIGTERM or Ctrl-C, a running job may finish within this many seconds; after it "
        "is interrupted (its open transaction rolls back) and left due for the next start.")
    worker_embed_max_papers: int = Field(
        20000, ge=1, description="Most papers one embedding run embeds (the next run continues).")
    worker_log_repeat_seconds: float = Field(
        3600.0, ge=0, description="An identical warning or error line is logged once per this many seconds; the "
        "repeats are counted and reported with the next one.")

    # -- accounts, community, email digests (docs/accounts.md, docs/digests.md) ---------
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs session-independent tokens (unsubscribe, manage and confirm links, CSRF "
        "cookies) and derives emailed account tokens. Empty: one is generated once and kept in the database "
        "(state table) so every process agrees; set it to keep it out of database backups.",
    )
    signup_enabled: bool = Field(True, description="Let visitors create accounts at /signup.")
    session_days: int = Field(30, ge=1, le=365, description="A signed-in session lasts this many days.")
    session_max_days: int = Field(
        30, ge=1, le=365, description="A session ends this many days after its sign-in however often it is used "
        "(session_days counts from the last use).")
    login_max_failures_per_account: int = Field(
        20, ge=1, le=100,
        description="Failed sign-ins per hour for one email address before sign-in is refused for it "
        "(counted whether or not the account exists, so the refusal reveals nothing).",
    )
    login_max_failures_per_ip: int = Field(
        100, ge=1, description="Failed sign-ins per hour from one client address before it is refused."
    )
    mail_max_per_address_hour: int = Field(
        5, ge=1,
        description="Account and subscription emails (confirmations, resets) sent to one address per hour; "
        "more requests are accepted but send nothing.",
    )
    submissions_per_hour: int = Field(
        20, ge=1, description="Papers one account may submit per hour (web form and API); more are refused "
        "with 429 until the hour has passed.",
    )
    comments_per_hour: int = Field(
        10, ge=1, description="Comments and replies one account may post per hour (web form and API); more are "
        "refused with 429 until the hour has passed. Moderators are not limited.",
    )
    comment_edit_minutes: int = Field(
        15, ge=0, description="How long after posting a member may edit their comment (0: never). Deleting "
        "is always possible.",
    )
    comment_hold_hours: int = Field(
        24, ge=0, description="Accounts younger than this have their comments held for a moderator until one "
        "is let through (shown to the author as awaiting review); 0 turns the hold off.",
    )
    password_reset_minutes: int = Field(
        30, ge=5, le=30, description="A password reset link works once, for this many minutes."
    )
    verify_email_hours: int = Field(48, ge=1, le=168, description="An email verification link works this long.")
    subscription_confirm_days: int = Field(
        7, ge=1, le=30, description="A subscription confirmation link works this long."
    )
    smtp_host: str = Field(
        "", description="SMTP server that delivers outgoing mail (localhost for a local relay). Empty: mail is off — "
        "nothing is sent, and every message (digests, confirmations, account emails) waits in the outbox until "
        "a server is set.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port (587 for STARTTLS, 465 for TLS, 1025 "
                           "for 'paperwire dev smtp-sink').")
    smtp_tls: str = Field(
        "none", pattern=r"^(none|starttls|tls)$",
        description="none (plain; for a local relay or the dev sink), starttls (upgrade after connecting, "
        "required, certificate verified) or tls (implicit TLS from the first byte).",
    )
    smtp_username: str = Field("", description="SMTP login; empty: no authentication.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password. Never logged.")
    smtp_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one SMTP command.")
    web_smtp_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout of one SMTP command when a web process sends a just-queued account or "
        "subscription email (its one sender thread; requests never wait for it). What it cannot send, the "
        "worker's deliver-outbox job retries.")
    smtp_connections: int = Field(
        2, ge=1, le=32, description="SMTP connections used in parallel by one sender, each reused for many messages."
    )
    smtp_messages_per_connection: int = Field(
        200, ge=1, description="Messages sent over one connection before it is closed and a new one opened."
    )
    smtp_rate_per_second: float = Field(
        20.0, ge=0, description="Most messages sent per second by one sender, all connections together; 0: no limit."
    )
    mail_from: str = Field(
        "paperwire@localhost",
        description="Sender address of every email (the site name is its display name); its domain also names "
        "Message-IDs.",
    )
    mail_unsubscribe_address: str = Field(
        "",
        description="Address in the mailto: part of List-Unsubscribe; mail to it is handled by "
        "'paperwire digest inbound' (an MTA pipe). Empty: mail_from.",
    )
    mail_max_attempts: int = Field(
        10, ge=1, le=50,
        description="Delivery attempts of one message before a temporary failure becomes permanent (with the "
        "default backoff, about 8.5 hours of retries).",
    )
    mail_retry_seconds: float = Field(
        60.0, ge=0, description="Wait before retrying a temporary failure; doubled on each further attempt."
    )
    mail_lease_seconds: int = Field(
        300, ge=1,
        description="How long a sender holds the messages it claimed; a crashed sender's messages are sent "
        "again after this (the only case where one may arrive twice).",
    )
    dkim_selector: str = Field("", description="DKIM selector; with dkim_domain and dkim_private_key_path, "
                               "every message is DKIM-signed.")
    dkim_domain: str = Field("", description="DKIM signing domain (d=).")
    dkim_private_key_path: Path | None = Field(
        None, description="Absolute path of the PEM RSA private key for DKIM signing."
    )
    digest_trending_papers: int = Field(5, ge=0, le=50, description="Top trending papers in every digest.")
    digest_topic_papers: int = Field(5, ge=1, le=50, description="Most papers per topic in one digest.")
    digest_foryou_papers: int = Field(
        5, ge=0, le=50, description="Papers of the \"For you\" section in the digest of a subscriber linked to an "
        "account (the same ranking as their For-you page, of the digest's period); 0: no such section.")
    digest_max_papers: int = Field(30, ge=1, le=200, description="Most papers in one digest.")
    digest_weekly_day: int = Field(0, ge=0, le=6, description="Weekday weekly digests go out (0 Monday … 6 Sunday).")
    digest_daily_hour_utc: int = Field(
        6, ge=0, le=23, description="Hour (UTC) from which the worker queues the day's daily digests (arXiv "
        "announces around 00:00 UTC; the trending ranking is refreshed first if it is behind).")
    digest_weekly_hour_utc: int = Field(
        6, ge=0, le=23, description="Hour (UTC) of digest_weekly_day from which the worker queues the weekly digests.")
    digest_max_topics: int = Field(20, ge=1, le=100, description="Most topics one subscriber may have.")

    @field_validator("dkim_private_key_path")
    @classmethod
    def _absolute_key_path(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_absolute():
            raise ValueError(f"dkim_private_key_path must be an absolute path, got {str(value)!r}")
        return value

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

    def secure_cookies(self) -> bool:
        """True when the public URL is HTTPS: cookies get ``Secure`` and the ``__Host-`` prefix."""
        return self.public_url().startswith("https://")

    def index_dir(self) -> Path:
        """Where this host keeps its search indexes."""
        return self.data_dir / "index"

    @staticmethod
    def _words(value: str) -> list[str]:
        return [w for w in value.replace(",", " ").split() if w]

    def harvest_set_list(self) -> list[str]:
        """The OAI-PMH sets to harvest; ``""`` stands for all of arXiv (``*``)."""
        return ["" if w == "*" else w for w in self._words(self.harvest_sets)] or [""]

    def harvest_category_list(self) -> list[str]:
        """Categories or archives a harvested paper must have one of (empty: no filter)."""
        return self._words(self.harvest_categories)

    def listing_category_list(self) -> list[str]:
        """Categories whose announcement feeds are read."""
        return self._words(self.listing_categories)


def settings_environment(settings: Settings) -> dict[str, str | None]:
    """``PAPERWIRE_*`` variables that make ``Settings()`` in another process equal ``settings``; None
    means "unset" (the default applies). Secrets are passed in clear: the environment of our own
    child processes, never a log."""
    env: dict[str, str | None] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        key = f"PAPERWIRE_{name.upper()}"
        if value is None:
            env[key] = None
        elif isinstance(value, bool):
            env[key] = "true" if value else "false"
        elif isinstance(value, str | int | float | Path):
            env[key] = str(value)
        else:  # lists, dicts: pydantic-settings reads complex values as JSON
            env[key] = json.dumps(value)
    return env


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
        elif isinstance(field.default, SecretStr):  # a secret's repr would be SecretStr('**********')
            default = field.default.get_secret_value()
        else:
            default = field.default
        yield SettingInfo(name, f"PAPERWIRE_{name.upper()}", repr(default), field.description or "")
