"""One SMTP mail transaction in two steps: everything up to the last byte of the message, then the commit.

``sendmail`` does MAIL, RCPT and DATA in one call, so a sender that runs several connections can have
several messages between the server's final ``250`` and the database's "sent" at once, and a crash
then repeats each of them. Split in two, the sender can let every connection do the slow part in
parallel (MAIL, RCPT, DATA and the transfer of the message's bytes) and pass through the commit (the
final "." and the server's answer, then its own record) one connection at a time: a crash repeats at
most one message (``mail.send``, docs/digests.md).

Only aiosmtplib's public calls are used: ``mail``, ``rcpt``, ``execute_command`` and the protocol's
``write`` for the message's bytes, which are prepared as aiosmtplib's own ``data`` prepares them
(CRLF line endings, a final CRLF, leading dots doubled).
"""

from __future__ import annotations

import re

import aiosmtplib

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")
START_INPUT = 354
COMPLETED = 250


def normalized(data: bytes) -> bytes:
    """The message with CRLF line endings, ending with CRLF: what SIZE counts (RFC 1870)."""
    data = _LINE_ENDINGS.sub(b"\r\n", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def wire_bytes(data: bytes) -> bytes:
    """The message as it travels inside DATA, without the final ".": ``normalized``, and a dot at the
    start of a line doubled (RFC 5321, 4.5.2)."""
    return _LEADING_DOT.sub(b"..", normalized(data))


async def begin(client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """MAIL, RCPT, DATA and the whole message but its final "."; the server has accepted nothing yet.

    Raises what ``sendmail`` raises: ``SMTPRecipientRefused`` for a refused recipient, another
    ``SMTPResponseException`` for any other refusal (the envelope is reset first, as ``sendmail`` does),
    ``SMTPServerDisconnected`` or ``SMTPTimeoutError`` for a broken connection."""
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()
    body = wire_bytes(data)
    # SIZE (RFC 1870) lets a server refuse a message too big before it is sent
    options = [f"SIZE={len(normalized(data))}"] if client.supports_extension("size") else []
    try:
        await client.mail(sender, options=options)
        await client.rcpt(recipient)
        start = await client.execute_command(b"DATA")
        if start.code != START_INPUT:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
    except aiosmtplib.SMTPResponseException:
        await _reset(client)
        raise
    if client.protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    client.protocol.write(body)


async def commit(client: aiosmtplib.SMTP) -> aiosmtplib.SMTPResponse:
    """The final "." and the server's answer: from here the server may have accepted the message, whatever
    happens to this side. Raises ``SMTPDataError`` if it refuses it."""
    response = await client.execute_command(b".")
    if response.code != COMPLETED:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


async def _reset(client: aiosmtplib.SMTP) -> None:
    """RSET after a refusal, so the connection can carry the next message; a failure here is not news."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
