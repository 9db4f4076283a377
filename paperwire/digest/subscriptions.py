"""Subscriptions: double opt-in, signed confirm/manage/unsubscribe links, imports.

A new address is ``pending`` until its owner follows the confirmation link;
nothing but that confirmation is ever sent to a pending address. Asking
again with a known address answers the same (no enumeration): a pending one
gets a fresh confirmation (and, when the topics or frequency changed, a new
nonce: the earlier links stop working), a confirmed one a link to its manage
page, one that left gets a new confirmation. A signed-in user whose account address
is verified is confirmed at once, as the verification already proved it.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperwire.config import Settings
from paperwire.digest.tokens import read_token
from paperwire.mail.addresses import AddressError, normalize_email
from paperwire.mail.outbox import queue_mail
from paperwire.models import FREQUENCIES, Subscriber, Topic, User, parse_topic
from paperwire.search.query import parse_query
from paperwire.security.throttle import Throttle
from paperwire.store import AlreadyExists, Store

log = logging.getLogger(__name__)
MAX_TOPIC_CHARS = 200


class SubscriptionError(ValueError):
    """Input we refuse; the message is for the user."""


@dataclass
class SubscribeOutcome:
    """The subscriber a request concerns and the emails it queued."""

    subscriber: Subscriber
    mail_keys: list[str] = field(default_factory=list)


def new_nonce() -> str:
    """A subscriber's token nonce: changing it revokes every link sent before."""
    return secrets.token_hex(8)


def check_frequency(frequency: str) -> str:
    """``daily`` or ``weekly``, or ``SubscriptionError``."""
    value = frequency.strip().lower()
    if value not in FREQUENCIES:
        raise SubscriptionError("Choose daily or weekly.")
    return value


def check_topic(topic: Topic) -> Topic:
    """A topic that can be searched, or ``SubscriptionError`` saying why not."""
    if len(topic.value) > MAX_TOPIC_CHARS:
        raise SubscriptionError(f"Topic too long (at most {MAX_TOPIC_CHARS} characters): {topic.value[:40]}…")
    parsed = parse_query(topic.query())
    if not (parsed.has_terms or parsed.categories):  # exclusions or dates alone would match everything
        raise SubscriptionError(f"Topic {topic.value!r} has no words to search for.")
    return topic


def topics_from_form(queries: str = "", categories: Iterable[str] = (), authors: str = "",
                     limit: int = 20) -> list[Topic]:
    """Topics from form fields: searches and authors one per line, categories as chosen."""
    topics: list[Topic] = []
    for line in queries.splitlines():
        if line.strip():
            topics.append(parse_topic(line))
    topics += [Topic("category", c.strip()) for c in categories if c.strip()]
    topics += [Topic("author", " ".join(line.split()).strip('"')) for line in authors.splitlines() if line.strip()]
    return checked_topics(topics, limit)


def checked_topics(topics: Sequence[Topic], limit: int) -> list[Topic]:
    """Topics validated, duplicates dropped, at most ``limit``."""
    unique = list(dict.fromkeys(check_topic(t) for t in topics))
    if len(unique) > limit:
        raise SubscriptionError(f"At most {limit} topics, please.")
    return unique


class Subscriptions:
    """Subscription operations over one store."""

    def __init__(self, store: Store, settings: Settings, secret: bytes, throttle: Throttle | None = None) -> None:
        self.store = store
        self.settings = settings
        self.secret = secret
        self.throttle = throttle or Throttle(store, settings)

    def _mail(self, kind: str, subscriber: Subscriber) -> list[str]:
        if not self.throttle.mail_allowed(subscriber.email):
            log.warning("not sending %s to subscriber %s: hourly limit reached", kind, subscriber.id)
            return []
        key = f"{kind}:{subscriber.id}:{secrets.token_hex(6)}"
        queue_mail(self.store, self.settings, kind, subscriber.email, key, {}, subscriber_id=subscriber.id)
        return [key]

    def subscribe(self, email: str, frequency: str, topics: Sequence[Topic], user: User | None = None
                  ) -> SubscribeOutcome:
        """Subscribe an address (see the module's doc for what each case sends)."""
        try:
            address = normalize_email(email)
        except AddressError as exc:
            raise SubscriptionError(str(exc)) from None
        frequency = check_frequency(frequency)
        topics = checked_topics(topics, self.settings.digest_max_topics)
        own = user is not None and not user.disabled and user.email == address
        trusted = own and user is not None and user.verified
        existing = self.store.subscriptions.get_subscriber_by_email(address)
        if existing is None:
            try:  # a signed-in user's own address is linked to the account (confirmed only once verified)
                sub = self.store.subscriptions.add_subscriber(address, frequency, topics,
                                                              "confirmed" if trusted else "pending",
                                                              "account" if own else "web", new_nonce(),
                                                              user.id if own and user else None)
            except AlreadyExists:  # subscribed concurrently: treat as known
                existing = self.store.subscriptions.get_subscriber_by_email(address)
                assert existing is not None
                return SubscribeOutcome(existing)
            return SubscribeOutcome(sub, [] if trusted else self._mail("subscription_confirm", sub))
        if trusted and user is not None:
            linked = self.store.subscriptions.update_subscriber(existing.id, frequency=frequency, topics=topics,
                                                                state="confirmed", user_id=user.id)
            assert linked is not None
            return SubscribeOutcome(linked)
        if existing.state == "confirmed":
            # the form must not change a confirmed subscription: its owner gets the manage link
            return SubscribeOutcome(existing, self._mail("subscription_manage", existing))
        # Anyone may post this form for any address, so a pending subscription whose topics or frequency
        # change gets a new nonce: links sent before die and only the newest email, which its owner
        # reads before confirming, confirms what is now stored. The same request again (a double
        # click) changes nothing and leaves the first email's link working.
        changed = existing.state != "pending" or existing.frequency != frequency or existing.topics != topics
        again = self.store.subscriptions.update_subscriber(existing.id, frequency=frequency, topics=topics,
                                                           state="pending", nonce=new_nonce() if changed else None)
        assert again is not None
        return SubscribeOutcome(again, self._mail("subscription_confirm", again))

    def _read(self, purpose: str, token: str) -> Subscriber | None:
        return read_token(self.secret, purpose, token, self.store.subscriptions.get_subscriber)

    def confirm(self, token: str) -> Subscriber | None:
        """Confirm with a confirmation link; None when invalid or expired. Idempotent."""
        sub = self._read("confirm", token)
        if sub is None or sub.state not in ("pending", "confirmed"):
            return None
        if sub.state == "confirmed":
            return sub
        return self.store.subscriptions.update_subscriber(sub.id, state="confirmed")

    def manageable(self, token: str) -> Subscriber | None:
        """The subscriber a manage link opens."""
        return self._read("manage", token)

    def unsubscribable(self, token: str) -> Subscriber | None:
        """The subscriber an unsubscribe link names (not yet unsubscribed by reading it)."""
        return self._read("unsubscribe", token)

    def unsubscribe(self, token: str, purpose: str = "unsubscribe") -> Subscriber | None:
        """Unsubscribe at once (pending digests are cancelled); None for an invalid token."""
        sub = self._read(purpose, token)
        if sub is None:
            return None
        if sub.state == "unsubscribed":
            return sub
        return self.store.subscriptions.update_subscriber(sub.id, state="unsubscribed")

    def new_links(self, subscriber: Subscriber) -> SubscribeOutcome:
        """Revoke every link sent to a subscriber (a new nonce: old confirm, manage and unsubscribe links
        stop working) and email the new manage link, to the address only: whoever holds a leaked link
        must not get the new one. Without that email (hourly limit) the next digest carries new links."""
        sub = self.store.subscriptions.update_subscriber(subscriber.id, nonce=new_nonce())
        assert sub is not None
        log.info("subscriber %s revoked their links", sub.id)
        return SubscribeOutcome(sub, self._mail("subscription_manage", sub) if sub.state == "confirmed" else [])

    def update(self, subscriber: Subscriber, frequency: str, topics: Sequence[Topic]) -> Subscriber:
        """Change frequency and topics from the manage page; a subscriber who had left is back
        (the manage link proves the address)."""
        state = "confirmed" if subscriber.state in ("unsubscribed", "confirmed", "pending") else None
        sub = self.store.subscriptions.update_subscriber(subscriber.id, frequency=check_frequency(frequency),
                                                         topics=checked_topics(topics, self.settings.digest_max_topics),
                                                         state=state)
        assert sub is not None
        return sub


@dataclass
class ImportReport:
    """What ``import_csv`` did; ``errors`` are ``(line number, problem)``."""

    added: int = 0
    known: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"added {self.added} confirmed subscribers, {len(self.known)} already known (left as they are), "
                f"{len(self.errors)} rows rejected")


def parse_csv(text: str, max_topics: int) -> tuple[list[tuple[str, str, list[Topic]]], list[tuple[int, str]]]:
    """Rows ``email,frequency,topics`` (topics separated by ``;``, in the query syntax; ``cat:X`` is a
    category, ``author:"Name"`` an author). A header row is skipped. Returns rows and errors."""
    rows: list[tuple[str, str, list[Topic]]] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not any(f.strip() for f in record):
            continue
        if number == 1 and record[0].strip().lower() in ("email", "e-mail", "address"):
            continue
        try:
            if len(record) > 3:
                raise SubscriptionError(f"expected email,frequency,topics; got {len(record)} fields")
            email = normalize_email(record[0])
            frequency = check_frequency(record[1] if len(record) > 1 and record[1].strip() else "weekly")
            raw = record[2] if len(record) > 2 else ""
            topics = checked_topics([parse_topic(t) for t in raw.split(";") if t.strip()], max_topics)
        except (SubscriptionError, AddressError) as exc:
            errors.append((number, str(exc)))
            continue
        if email in seen:
            errors.append((number, f"{email} appears twice in the file"))
            continue
        seen.add(email)
        rows.append((email, frequency, topics))
    return rows, errors


def import_csv(store: Store, settings: Settings, path: Path, source: str | None = None) -> ImportReport:
    """Add subscribers confirmed elsewhere from a CSV file, marked with their source
    (``import:<file name>`` by default). Known addresses, including ones that unsubscribed, are
    left alone: an import never resubscribes anybody."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionError(f"cannot read {path}: {exc}") from None
    rows, errors = parse_csv(text, settings.digest_max_topics)
    added, known = store.subscriptions.import_subscribers([(e, f, t, new_nonce()) for e, f, t in rows],
                                                          source or f"import:{path.name}")
    return ImportReport(added, known, errors)
