"""Rendering digests and subscription notices as subject, plain text and HTML (MIME: ``mail.mime``).

HTML uses tables and inline styles only (what Gmail, Outlook and Apple Mail
all render) and is autoescaped, so a hostile title stays text. Math is
plain Unicode text (``digest.text``). Each paper's block is rendered once
per run and reused for every subscriber who gets it, which is most of the
speed of a 10,000-digest run.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from paperwire.config import Settings
from paperwire.digest.text import authors_line, excerpt, plain
from paperwire.digest.tokens import make_token
from paperwire.mail.outbox import sender_address
from paperwire.mail.render import Notices, Render
from paperwire.models import DigestEntry, Email, OutboxMessage, Paper, Subscriber

TEMPLATES = Path(__file__).parent / "templates"
_REASON_TEXT = {"foryou": "For you", "trending-day": "Trending today", "trending-week": "Trending this week",
                "new-day": "New today",
                "new-week": "New this week"}
_REASON_FORMAT = {"query": "Matches your topic {}", "category": "New in your category {}",
                  "author": "By {}, whom you follow"}
_REASON_HTML = {"query": "Matches your topic <em>{}</em>", "category": "New in your category <em>{}</em>",
                "author": "By <em>{}</em>, whom you follow"}



def _ranked(kind: str, value: str) -> str:
    """``Trending this week: +312 stars this week · announced 2 days ago`` (``Trending this week`` alone
    when the ranking gave no reasons)."""
    label = _REASON_TEXT[kind]
    return f"{label}: {value}" if value else label


def why_text(reasons: list[tuple[str, str]]) -> str:
    """``Trending today: +40 stars today · Matches your topic energy-based models``."""
    return " · ".join(_REASON_FORMAT[k].format(v) if k in _REASON_FORMAT
                      else _ranked(k, v) if k in _REASON_TEXT else v for k, v in reasons)


def why_html(reasons: list[tuple[str, str]]) -> Markup:
    """The same with topic names emphasised (and everything escaped)."""
    parts = [Markup(_REASON_HTML[k]).format(v) if k in _REASON_HTML
             else escape(_ranked(k, v) if k in _REASON_TEXT else v) for k, v in reasons]
    return Markup(" &middot; ").join(parts)


class Renderer:
    """Renders the outbox's messages for one site (settings and secret)."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.secret = secret
        self.base = settings.public_url()
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self._papers: dict[str, tuple[Markup, str]] = {}
        self._digest_html = self.env.get_template("digest.html")
        self._digest_text = self.env.get_template("digest.txt")
        self._paper_html = self.env.get_template("paper.html")
        self.notices = Notices(settings)

    # -- links ---------------------------------------------------------------------------------
    def url(self, path: str, **params: str) -> str:
        """An absolute link on the site."""
        return f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return self.url("/unsubscribe", token=make_token(self.secret, "unsubscribe", subscriber))

    def manage_url(self, subscriber: Subscriber) -> str:
        return self.url("/subscriptions/manage", token=make_token(self.secret, "manage", subscriber))

    def unsubscribe_mailto(self, subscriber: Subscriber) -> str:
        address = self.settings.mail_unsubscribe_address or sender_address(self.settings)
        token = make_token(self.secret, "unsubscribe", subscriber)
        return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"

    def list_headers(self, subscriber: Subscriber) -> list[tuple[str, str]]:
        """RFC 2369 / RFC 8058 headers: one-click HTTPS unsubscribe and a mailto fallback."""
        return [
            ("List-Unsubscribe", f"<{self.unsubscribe_url(subscriber)}>, <{self.unsubscribe_mailto(subscriber)}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]

    # -- digests --------------------------------------------------------------------------------
    def paper_blocks(self, paper: Paper) -> tuple[Markup, str]:
        """The HTML and text blocks of one paper (cached for the run)."""
        cached = self._papers.get(paper.id)
        if cached is not None:
            return cached
        title = plain(paper.title)
        meta = " · ".join(x for x in (paper.primary_category, paper.announced.isoformat() if paper.announced else "")
                          if x)
        abstract = excerpt(plain(paper.abstract))
        paper_url = self.url(f"/paper/{paper.id}")
        html = Markup(self._paper_html.render(title=title, authors=authors_line(paper.authors), meta=meta,
                                              excerpt=abstract, paper_url=paper_url, abs_url=paper.abs_url,
                                              pdf_url=paper.pdf_url))
        lines = textwrap.wrap(title, 72, initial_indent="", subsequent_indent="   ")
        byline = " · ".join(x for x in (authors_line(paper.authors), meta) if x)
        lines += ["   " + line for line in textwrap.wrap(byline, 69)]
        lines += ["   " + line for line in textwrap.wrap(abstract, 69)]
        lines.append(f"   {paper_url}")
        text = "\n".join(lines)
        self._papers[paper.id] = (html, text)
        return html, text

    def digest(self, message: OutboxMessage, subscriber: Subscriber, papers: Mapping[str, Paper]) -> Email:
        """A digest from its outbox payload (entries and period), for one subscriber."""
        payload = message.payload
        entries = [DigestEntry.from_json(e) for e in payload["entries"]]
        entries = [e for e in entries if e.paper_id in papers]
        day = date.fromisoformat(payload["day"])
        weekly = payload.get("frequency") == "weekly"
        heading = f"Week to {day:%A %-d %B %Y}" if weekly else f"{day:%A %-d %B %Y}"
        mine = [e for e in entries if any(k == "foryou" for k, _ in e.reasons)]
        trending = [e for e in entries if e not in mine and any(k.startswith(("trending-", "new-"))
                                                                 for k, _ in e.reasons)]
        topical = [e for e in entries if e not in trending and e not in mine]
        # the newest papers, listed when no ranking was ever computed, are not called trending
        newest = any(k.startswith("new-") for e in trending for k, _ in e.reasons)
        top_title = "New" if newest else "Trending"
        sections_html, sections_text = [], []
        for title, group in (("For you", mine), (top_title, trending), ("On your topics", topical)):
            if not group:
                continue
            items_html, items_text = [], []
            for number, entry in enumerate(group, start=1):
                html, text = self.paper_blocks(papers[entry.paper_id])
                items_html.append({"block": html, "why": why_html(entry.reasons)})
                items_text.append({"block": f"{number}. {text}", "why": why_text(entry.reasons)})
            sections_html.append({"title": title, "items": items_html})
            sections_text.append({"title": title, "items": items_text})
        n = len(entries)
        top_word = top_title.lower()
        summary = (f"{n} paper{'s' if n != 1 else ''}: {len(trending)} {top_word}, {len(topical)} on your topics."
                   if subscriber.topics else f"{n} {top_word} paper{'s' if n != 1 else ''}.")
        if mine:
            summary = (f"{n} paper{'s' if n != 1 else ''}: {len(mine)} for you, {len(trending)} {top_word}"
                       + (f", {len(topical)} on your topics." if subscriber.topics else "."))
        kind = "weekly" if weekly else "daily"
        subject = f"{self.settings.site_name} {kind} digest: {n} paper{'s' if n != 1 else ''} ({day:%-d %b %Y})"
        context: dict[str, Any] = {
            "subject": subject, "site_name": self.settings.site_name, "site_url": self.base + "/",
            "heading": heading, "summary": summary, "frequency": "weekly" if weekly else "daily",
            "email": subscriber.email, "manage_url": self.manage_url(subscriber),
            "unsubscribe_url": self.unsubscribe_url(subscriber),
        }
        return Email(subject, self._digest_text.render(sections=sections_text, **context),
                     self._digest_html.render(sections=sections_html, **context), self.list_headers(subscriber))

    # -- notices ---------------------------------------------------------------------------------
    def notice(self, message: OutboxMessage, subscriber: Subscriber | None) -> Email:
        """A subscription's confirmation or manage-link email."""
        site = self.settings.site_name
        if subscriber is None:
            raise ValueError(f"a {message.kind!r} message needs its subscriber")
        if message.kind == "subscription_confirm":
            created = message.created_at or datetime.now(UTC)
            expires = created + timedelta(days=self.settings.subscription_confirm_days)
            return self.notices.render(
                f"Confirm your {site} subscription", "Confirm your subscription",
                [f"Someone, probably you, asked for {subscriber.frequency} {site} digests at "
                 f"{subscriber.email}. Nothing will be sent until you confirm."],
                self.url("/subscriptions/confirm", token=make_token(self.secret, "confirm", subscriber, expires)),
                "Confirm my subscription",
                [f"The link works until {expires:%-d %B %Y}. If you did not ask for this, ignore this email: "
                 "you will not hear from us again.",
                 f"To change the topics or frequency first: {self.manage_url(subscriber)}"])
        if message.kind == "subscription_manage":
            return self.notices.render(
                f"Your {site} subscription", "Your subscription",
                [f"{subscriber.email} already receives {subscriber.frequency} {site} digests. "
                 "To change its topics or frequency, or to stop it, use the link below."],
                self.manage_url(subscriber), "Manage my subscription", headers=self.list_headers(subscriber))
        raise ValueError(f"cannot render a {message.kind!r} message")

    def render(self, message: OutboxMessage, subscriber: Subscriber | None, papers: Mapping[str, Paper]) -> Email:
        """A digest or a subscription notice."""
        if message.kind == "digest":
            if subscriber is None:
                raise ValueError("a digest needs its subscriber")
            return self.digest(message, subscriber, papers)
        return self.notice(message, subscriber)


KINDS = ("digest", "subscription_confirm", "subscription_manage")


def renderers(settings: Settings, secret: bytes) -> dict[str, Render]:
    """A renderer for each kind of message digests and subscriptions queue (one ``Renderer``, whose
    per-run cache of paper blocks all digests of a delivery share)."""
    render = Renderer(settings, secret).render
    return dict.fromkeys(KINDS, render)
