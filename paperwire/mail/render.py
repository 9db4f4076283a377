"""Turning outbox messages into emails: the notice layout every feature shares, and dispatch by kind.

The mail engine does not know what a digest or an account is. Each feature supplies a ``Render``
for the kinds of message it queues (``digest.render.renderers``, ``accounts.emails.renderers``);
``by_kind`` joins them into the one function the sender calls. ``Notices`` renders the short
one-action emails (confirm, verify, reset, …) in one layout, so they all look alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from paperwire.config import Settings
from paperwire.models import Email, OutboxMessage, Paper, Subscriber

TEMPLATES = Path(__file__).parent / "templates"

Render = Callable[[OutboxMessage, Subscriber | None, Mapping[str, Paper]], Email]
"""Renders one claimed message, given its subscriber (if any) and the papers its payload names."""


class UnknownKind(ValueError):
    """No renderer for a message's kind: a message queued by a feature that is not wired in."""


def by_kind(renderers: Mapping[str, Render]) -> Render:
    """One ``Render`` that hands each message to the renderer of its kind."""
    table = dict(renderers)

    def render(message: OutboxMessage, subscriber: Subscriber | None, papers: Mapping[str, Paper]) -> Email:
        try:
            chosen = table[message.kind]
        except KeyError:
            raise UnknownKind(f"cannot render a {message.kind!r} message") from None
        return chosen(message, subscriber, papers)

    return render


class Notices:
    """The layout of short notices: a heading, a few paragraphs, one action button and notes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.public_url()
        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self._html = env.get_template("notice.html")
        self._text = env.get_template("notice.txt")

    def url(self, path: str, **params: str) -> str:
        """An absolute link on the site."""

        return f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")

    def render(self, subject: str, heading: str, paragraphs: list[str], action_url: str = "",
               action_label: str = "", notes: list[str] | None = None,
               headers: list[tuple[str, str]] | None = None) -> Email:
        """The notice as an ``Email`` (both parts from the same context)."""
        context = {"subject": subject, "site_name": self.settings.site_name, "site_url": self.base + "/",
                   "heading": heading, "paragraphs": paragraphs, "action_url": action_url,
                   "action_label": action_label, "notes": notes or []}
        return Email(subject, self._text.render(**context), self._html.render(**context), headers or [])
