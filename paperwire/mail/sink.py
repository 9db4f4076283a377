"""A local SMTP sink for development: ``paperwire dev smtp-sink`` accepts every message, prints a
summary of it and can save it (``.eml``, plus the HTML part as ``.html`` to open in a browser).

It needs aiosmtpd, a development dependency (``make .venv/.dev`` installs it); without it the
command says so instead of failing obscurely.
"""

from __future__ import annotations

import email
import itertools
import threading
import time
from collections.abc import Callable
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

MISSING = ("the SMTP sink needs aiosmtpd, a development dependency: run 'make .venv/.dev' "
           "(or '.venv/bin/pip install -r requirements-dev.txt')")


def _header(message: email.message.Message, name: str) -> str:
    return str(make_header(decode_header(message.get(name, ""))))


class SinkHandler:
    """aiosmtpd handler: print and optionally save each message."""

    def __init__(self, out: Callable[[str], None], directory: Path | None = None) -> None:
        self.out = out
        self.directory = directory
        self.count = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.content)
        message = email.message_from_bytes(data)
        with self.lock:
            number = next(self.count)
        lines = [f"#{number} from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}",
                 f"  Subject: {_header(message, 'Subject')}", f"  Message-ID: {message.get('Message-ID', '')}"]
        if message.get("List-Unsubscribe"):
            lines.append(f"  List-Unsubscribe: {' '.join(message.get('List-Unsubscribe', '').split())}")
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    links = [w for w in payload.decode("utf-8", "replace").split() if w.startswith("http")]
                    lines += [f"  link: {link}" for link in links[:3] if "/paper/" not in link]
        if self.directory is not None:
            stem = self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{number:05d}"
            stem.with_suffix(".eml").write_bytes(data)
            for part in message.walk():
                if part.get_content_type() == "text/html":
                    payload = part.get_payload(decode=True)
                    if isinstance(payload, bytes):
                        stem.with_suffix(".html").write_bytes(payload)
            lines.append(f"  saved: {stem}.eml")
        self.out("\n".join(lines))
        return "250 2.0.0 accepted by the Paperwire sink"


def run_sink(host: str, port: int, directory: Path | None, out: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise RuntimeError(MISSING) from None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(SinkHandler(out, directory), hostname=host, port=port)
    controller.start()
    out(f"SMTP sink listening on {host}:{port}; point Paperwire at it with\n"
        f"  PAPERWIRE_SMTP_HOST={host} PAPERWIRE_SMTP_PORT={port} PAPERWIRE_SMTP_TLS=none\n"
        "Ctrl-C stops it.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
