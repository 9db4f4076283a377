"""Digest building and rendering: periods, topics, what goes in and why, signed tokens, MIME, DKIM."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email.message import Message

import dkim
import pytest

from paperwire.config import Settings
from paperwire.digest import build
from paperwire.digest.build import build_digests, compose, strict_query, topic_matches
from paperwire.digest.render import Renderer
from paperwire.digest.text import math_text, plain
from paperwire.digest.tokens import make_token, read_token
from paperwire.mail.mime import DkimSigner, to_bytes
from paperwire.models import DigestEntry, OutboxMessage, Subscriber, Topic, parse_topic, period_for
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchRequest, search
from tests.helpers.community import HOSTILE
from tests.helpers.paths import FIXTURES

SETTINGS = Settings(digest_trending_papers=2, digest_topic_papers=2, digest_max_papers=5)
SECRET = b"secret"


def sub(sid: int = 1, topics: list[Topic] | None = None, nonce: str = "n1", email: str = "a@example.org") -> Subscriber:
    return Subscriber(id=sid, email=email, frequency="daily", state="confirmed", source="web", nonce=nonce,
                      topics=topics or [])


def test_periods() -> None:
    monday = period_for("daily", date(2026, 6, 29))
    assert (monday.start, monday.end, monday.key, monday.window) == (date(2026, 6, 27), date(2026, 6, 29),
                                                                     "daily:2026-06-29", "day")
    tuesday = period_for("daily", date(2026, 6, 30))
    assert tuesday.start == tuesday.end == date(2026, 6, 30)
    week = period_for("weekly", date(2026, 7, 1))
    assert (week.start, week.key, week.window) == (date(2026, 6, 25), "weekly:2026-W27", "week")
    assert period_for("weekly", date(2026, 6, 29)).key == week.key  # one weekly digest per ISO week
    with pytest.raises(ValueError):
        period_for("hourly", date(2026, 6, 29))


@pytest.mark.parametrize(("text", "topic"), [
    ("cat:cs.CL", Topic("category", "cs.CL")),
    ('author:"Yann LeCun"', Topic("author", "Yann LeCun")),
    ("author:Hinton", Topic("author", "Hinton")),
    ('  "energy-based   models" ', Topic("query", '"energy-based models"')),
    ("cat:cs.CL transformers", Topic("query", "cat:cs.CL transformers")),
])
def test_topics(text: str, topic: Topic) -> None:
    assert parse_topic(text) == topic
    assert parse_topic(topic.query()) == topic


def test_compose_trending_then_topics_never_repeating() -> None:
    period = period_for("daily", date(2026, 6, 30))
    s = sub(topics=[Topic("query", "ebm"), Topic("author", "Ada")])
    matches = {"ebm": ["p1", "p3", "p4", "p5"], 'author:"Ada"': ["p3", "p6"]}
    entries = compose(s, ["p1", "p2", "p9"], matches, {(1, "p4")}, period, SETTINGS)
    assert [e.paper_id for e in entries] == ["p1", "p2", "p3", "p6"]
    by_id = {e.paper_id: e.reasons for e in entries}
    assert by_id["p1"] == [("trending-day", ""), ("query", "ebm")]  # found twice: listed once, both reasons
    assert by_id["p3"] == [("query", "ebm"), ("author", "Ada")]
    assert compose(s, ["p1"], matches, {(2, "p1")}, period, SETTINGS)[0].paper_id == "p1"  # another's history
    assert compose(s, [], {}, set(), period, SETTINGS) == []
    many = compose(sub(topics=[Topic("query", f"t{i}") for i in range(5)]), ["x", "y"],
                   {f"t{i}": [f"p{i}a", f"p{i}b", f"p{i}c"] for i in range(5)}, set(), period, SETTINGS)
    assert len(many) == 5  # digest_max_papers


def test_topic_matches_are_what_a_search_finds(sample_runtime: Runtime) -> None:
    period = period_for("weekly", date(2025, 6, 2))
    topics = [Topic("query", "language models"), Topic("category", "cs.CV"), Topic("query", '"reinforcement learning"'),
              Topic("query", "zzqxv flurbnitz")]
    found = topic_matches(sample_runtime.store, sample_runtime.indexes, sample_runtime.search_policy, topics,
                          period, 10)
    assert found["zzqxv flurbnitz"] == [] and any(found.values())
    for topic in topics:
        typed = f"{strict_query(topic.query())} after:{period.start} before:{period.end + timedelta(days=1)}"
        results = search(sample_runtime.store, sample_runtime.indexes, SearchRequest(typed, limit=10, mode="keyword"),
                         sample_runtime.search_policy)
        assert found[topic.query()] == [h.paper_id for h in results.hits]
        papers = sample_runtime.store.papers.get_papers(found[topic.query()])
        assert all(period.start <= p.announced <= period.end for p in papers.values() if p.announced)


def test_every_word_of_a_topic_is_required() -> None:
    assert strict_query("energy-based models") == 'energy-based models "energy-based" "models"'
    assert strict_query("the transformer cat:cs.CL") == 'the transformer cat:cs.CL "transformer"'
    assert strict_query('author:"Ada Lovelace"') == 'author:"Ada Lovelace"'


def test_identical_topics_are_searched_once(mail_rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = build.search

    def counting(store: object, indexes: object, request: SearchRequest, policy: object) -> object:
        calls.append(request.query)
        return real(store, indexes, request, policy)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "search", counting)
    for i in range(6):
        topics = [Topic("query", "energy-based models"), Topic("category", "cs.CV")]
        mail_rt.store.subscriptions.add_subscriber(f"s{i}@example.org", "daily", topics, "confirmed", "web", "n")
    report = build_digests(mail_rt.store, mail_rt.indexes, mail_rt.settings, "daily", date(2026, 6, 29))
    assert report.built == 6 and report.topics == 2
    assert sorted(calls) == ["cat:cs.CV", strict_query("energy-based models")]


def test_build_windows_skips_empty_and_never_repeats(mail_rt: Runtime) -> None:
    store = mail_rt.store
    ebm = store.subscriptions.add_subscriber("ebm@example.org", "daily", [Topic("query", "energy-based models")],
                                             "confirmed", "web", "n")
    store.subscriptions.add_subscriber("none@example.org", "daily", [Topic("query", "quantum gravity")], "confirmed",
                                       "web", "n")
    store.subscriptions.add_subscriber("wait@example.org", "daily", [Topic("query", "energy")], "pending", "web", "n")

    def no_trending(window: str, day: date, limit: int) -> list[str]:
        return []

    monday = build_digests(store, mail_rt.indexes, mail_rt.settings, "daily", date(2026, 6, 29), no_trending)
    assert (monday.subscribers, monday.built, monday.empty) == (2, 1, 1)  # pending: never; empty: skipped
    (message,) = store.outbox.list_outbox(kind="digest")
    assert message.recipient == "ebm@example.org" and message.subscriber_id == ebm.id
    ids = [e["id"] for e in message.payload["entries"]]
    assert sorted(ids) == ["2606.00001", "2606.00002"]  # Monday's window (Sat-Mon): not May's, not Tuesday's
    again = build_digests(store, mail_rt.indexes, mail_rt.settings, "daily", date(2026, 6, 29), no_trending)
    assert (again.built, again.already) == (0, 1)

    def sticky(window: str, day: date, limit: int) -> list[str]:
        return ["2606.00001", "2606.00006"]  # a trending paper that stays trending

    tuesday = build_digests(store, mail_rt.indexes, mail_rt.settings, "daily", date(2026, 6, 30), sticky)
    assert tuesday.built == 2
    mine = next(m for m in store.outbox.list_outbox(kind="digest") if m.period == "daily:2026-06-30"
                and m.subscriber_id == ebm.id)
    entries = [DigestEntry.from_json(e) for e in mine.payload["entries"]]
    assert [e.paper_id for e in entries] == ["2606.00006"]  # 2606.00001 was sent on Monday
    assert entries[0].reasons == [("trending-day", ""), ("query", "energy-based models")]


def test_tokens_are_signed_purposeful_and_revocable() -> None:
    s = sub(7)
    token = make_token(SECRET, "unsubscribe", s)

    def load(sid: int) -> Subscriber | None:
        return s if sid == 7 else sub(sid, nonce="other")

    assert read_token(SECRET, "unsubscribe", token, load) is s
    assert read_token(SECRET, "manage", token, load) is None  # another purpose
    assert read_token(b"other secret", "unsubscribe", token, load) is None
    sid, stamp, signature = token.split(".")
    assert read_token(SECRET, "unsubscribe", f"8.{stamp}.{signature}", load) is None  # someone else's id
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert read_token(SECRET, "unsubscribe", f"{sid}.{stamp}.{flipped}", load) is None
    for junk in ("", "7", "7.0", "x.0.abc", token + "x", "7.0." + "A" * 43, "<script>"):
        assert read_token(SECRET, "unsubscribe", junk, load) is None
    s.nonce = "rotated"
    assert read_token(SECRET, "unsubscribe", token, load) is None  # a new nonce revokes old links
    soon = datetime.now(UTC) + timedelta(hours=1)
    confirm = make_token(SECRET, "confirm", s, soon)
    assert read_token(SECRET, "confirm", confirm, load) is s
    assert read_token(SECRET, "confirm", confirm, load, now=soon + timedelta(seconds=1)) is None


def test_math_as_plain_text() -> None:
    assert plain("On $\\alpha$-divergences and $O(n^2)$ cost") == "On α-divergences and O(n²) cost"
    assert plain("A $\\mathbb{R}^{d}$ map, $\\frac{1}{2}$ and $x_{i}$, $x_1$") == "A ℝ^d map, 1/2 and x_i, x₁"
    assert math_text("\\mathcal{L}_{\\text{CE}} \\leq \\epsilon") == "L_(CE) ≤ ε"
    assert plain("no $ closing") == "no $ closing"


def _digest_message(key: str = "digest:1:daily:2026-06-29") -> OutboxMessage:
    entries = [DigestEntry("2606.00004", [("query", HOSTILE)]), DigestEntry("2606.00001", [("trending-day", "")])]
    payload = {"period": "daily:2026-06-29", "frequency": "daily", "day": "2026-06-29", "start": "2026-06-27",
               "end": "2026-06-29", "entries": [e.to_json() for e in entries]}
    return OutboxMessage(key=key, kind="digest", recipient="a@example.org", payload=payload,
                         message_id="<digest.abc@example.org>", subscriber_id=1,
                         created_at=datetime(2026, 6, 29, 6, 0, tzinfo=UTC))


def _parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_subtype()] = payload.decode()
    return found


def test_rendered_digest_escapes_hostile_text_and_has_list_headers(mail_rt: Runtime) -> None:
    settings = mail_rt.settings
    papers = mail_rt.store.papers.get_papers(["2606.00004", "2606.00001"])
    s = sub(1, topics=[Topic("query", HOSTILE)])
    rendered = Renderer(settings, SECRET).digest(_digest_message(), s, papers)
    data = to_bytes(rendered, _digest_message(), settings)
    message = email.message_from_bytes(data)
    parts = _parts(message)
    assert HOSTILE not in parts["html"] and "<script>" not in parts["html"] and "&lt;script&gt;" in parts["html"]
    assert "onerror=alert" not in parts["html"].replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "Energy-Based Models for Protein Design" in parts["html"] and "α-helix" in parts["html"]
    assert HOSTILE in parts["plain"]  # plain text shows it as the harmless text it is
    assert f"Matches your topic {HOSTILE}" in parts["plain"] and "Trending today" in parts["plain"]
    assert message["Subject"] == "Paperwire daily digest: 2 papers (29 Jun 2026)"
    assert message["Message-ID"] == "<digest.abc@example.org>" and message["To"] == "a@example.org"
    unsubscribe = " ".join(message["List-Unsubscribe"].split())
    assert unsubscribe.startswith("<http://testserver/unsubscribe?token=1.0.") and "<mailto:" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]  # type: ignore[union-attr]
    assert "http://testserver/subscriptions/manage?token=" in parts["html"]
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only


def test_header_injection_is_refused(mail_rt: Runtime) -> None:
    message = _digest_message()
    message.recipient = "a@example.org\r\nBcc: everyone@example.org"
    papers = mail_rt.store.papers.get_papers(["2606.00001"])
    rendered = Renderer(mail_rt.settings, SECRET).digest(message, sub(1), papers)
    with pytest.raises(ValueError, match="line break"):
        to_bytes(rendered, message, mail_rt.settings)


def test_dkim_signature_covers_the_list_headers(mail_rt: Runtime) -> None:
    key = FIXTURES / "dkim" / "test-rsa2048.key"
    settings = mail_rt.settings.model_copy(update={"dkim_selector": "pw", "dkim_domain": "example.org",
                                                   "dkim_private_key_path": key})
    signer = DkimSigner.from_settings(settings)
    assert signer is not None
    message = _digest_message()
    rendered = Renderer(settings, SECRET).digest(message, sub(1), mail_rt.store.papers.get_papers(["2606.00001"]))
    data = to_bytes(rendered, message, settings, signer)
    assert data.startswith(b"DKIM-Signature:")
    public = (FIXTURES / "dkim" / "test-rsa2048.pub.b64").read_text().strip()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"pw._domainkey.example.org."
        return b"v=DKIM1; k=rsa; p=" + public.encode()

    assert dkim.verify(data, dnsfunc=dns)
    signed = email.message_from_bytes(data)["DKIM-Signature"]
    assert "list-unsubscribe" in signed.lower() and "list-unsubscribe-post" in signed.lower()
    assert not dkim.verify(data.replace(b"One-Click", b"One-Klick"), dnsfunc=dns)
    with pytest.raises(ValueError, match="needs all"):
        DkimSigner.from_settings(Settings(dkim_selector="pw"))
    with pytest.raises(ValueError, match="absolute"):
        Settings(dkim_private_key_path="relative.key")  # type: ignore[arg-type]
