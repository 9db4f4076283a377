"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd, recording what it accepts.

It can also misbehave on purpose: answer 451 (try later) or 550 (no such
user) to chosen recipients, drop the connection instead of accepting a
message, and take its time over each message. ``silent_server()`` is worse:
it accepts connections and never greets.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers.net import free_port


@dataclass
class Received:
    """One accepted message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.data)

    def part(self, subtype: str) -> str:
        for p in self.message.walk():
            if p.get_content_type() == f"text/{subtype}":
                payload = p.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode("utf-8")
        raise KeyError(subtype)


@dataclass
class Handler:
    """aiosmtpd handler with switches for failures."""

    messages: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)            # 550 at RCPT
    tempfail: Counter[str] = field(default_factory=Counter)  # 451 at RCPT, this many times per address
    drop: int = 0                                             # drop the connection at DATA this many times
    delay: float = 0.0                                        # seconds spent on each DATA
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
                          ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
                          ) -> str:
        with self.lock:
            if address in self.reject:
                return f"550 5.1.1 <{address}>: no such user here"
            if self.tempfail[address] > 0:
                self.tempfail[address] -= 1
                return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            dropping = self.drop > 0
            if dropping:
                self.drop -= 1
        if dropping:
            server.transport.close()
            return "421 4.4.2 connection dropped"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 2.0.0 accepted"

    # -- reading what arrived ---------------------------------------------------------------
    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(r for m in self.messages for r in m.rcpt_tos)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return True
            time.sleep(0.02)
        return False


@contextmanager
def smtp_server(handler: Handler | None = None) -> Iterator[tuple[Handler, int]]:
    """Run an aiosmtpd server on 127.0.0.1 for the block: ``(handler, port)``."""
    handler = handler or Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word (no SMTP greeting),
    like a wedged mail relay: yields its port. Connections stay open until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, name="silent-smtp", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
