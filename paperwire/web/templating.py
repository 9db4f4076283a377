"""The Jinja environment of the pages: globals and small text filters."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates

from paperwire.config import Settings
from paperwire.ingest.records import http_url
from paperwire.models import author_slug
from paperwire.taxonomy import category_name
from paperwire.web.assets import asset_url
from paperwire.web.discussions import comment_html


def excerpt(text: str, limit: int = 300) -> str:
    """About ``limit`` characters ending on a word, never inside ``$...$`` math (so it still renders)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if cut.count("$") % 2:  # cut inside math: end before it starts
        cut = cut[: cut.rfind("$")]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


_MATH_RE = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])", re.S)
_TYPOGRAPHY = (("``", "“"), ("''", "”"), ("---", "—"), ("--", "–"))


def tex_text(text: str) -> str:
    """TeX's text conventions as the characters they stand for (````a''`` -> “a”, ``--`` -> –),
    leaving math alone so KaTeX still sees it as written."""
    parts = _MATH_RE.split(text)
    for i in range(0, len(parts), 2):  # even indexes are the text between math spans
        for old, new in _TYPOGRAPHY:
            parts[i] = parts[i].replace(old, new)
    return "".join(parts)


def short_date(value: date | datetime | None) -> str:
    """``1 Jul 2026``."""
    return f"{value.day} {value:%b %Y}" if value else ""


def long_date(value: date | datetime | None) -> str:
    """``Wednesday 1 July 2026``."""
    return f"{value:%A} {value.day} {value:%B %Y}" if value else ""


def author_search(name: str) -> str:
    """The search URL of one author's papers."""
    return "/search?q=author:%22" + quote(name, safe="") + "%22"


def author_url(name: str) -> str:
    """The page of the author of that name (``/author/zoe-van-der-berg``); a search for a name with no
    letters or digits, which names no page."""
    slug = author_slug(name)
    return "/author/" + quote(slug, safe="-") if slug else author_search(name)


def thousands(value: int) -> str:
    """``12,345``."""
    return f"{value:,}"


def make_templates(directory: Path, settings: Settings, katex: bool,
                   context_processors: list[Callable[[Request], dict[str, object]]] | None = None) -> Jinja2Templates:
    """The templates with Paperwire's globals and filters (``context_processors`` add what every page
    needs from the request: the navigation's member, ``web.nav``)."""
    templates = Jinja2Templates(directory=directory, context_processors=context_processors)
    env = templates.env
    env.globals.update(site_name=settings.site_name, base_url=settings.public_url(), asset=asset_url, katex=katex,
                       category_name=category_name, author_search=author_search, author_url=author_url,
                       comment_html=comment_html)
    # http_url: every stored URL a page renders as a link goes through it (defence in depth: the parsers
    # already drop other schemes, but rows stored before them, or written another way, may hold any text)
    env.filters.update(excerpt=excerpt, tex_text=tex_text, short_date=short_date, long_date=long_date,
                       thousands=thousands, http_url=http_url)
    return templates
