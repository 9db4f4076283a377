"""The accounts area: users, sessions, emailed tokens, API tokens, throttling counters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from paperwire.models import AccountToken, ApiToken, AuthSession, User
from paperwire.store.community import bump_community_version
from paperwire.store.core import AlreadyExists, Database, Tx, iso, parse_instant, placeholders

_USER_COLUMNS = "id, email, handle, password_hash, created_at, verified_at, disabled_at, is_admin, library_public"
_U_USER_COLUMNS = ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
_SESSION_COLUMNS = "s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen"
_TOKEN_COLUMNS = "id, user_id, purpose, created_at, expires_at, used_at"
_API_COLUMNS = "id, user_id, name, prefix, scopes, created_at, last_used, revoked_at"
# a session or token's last use is written at most this often: reads stay reads
_TOUCH_EVERY = timedelta(minutes=10)


def _instant(value: Any) -> datetime:
    result = parse_instant(value)
    assert result is not None
    return result


def row_user(r: Sequence[Any]) -> User:
    """A row of ``_USER_COLUMNS`` as a User."""
    return User(id=int(r[0]), email=r[1], handle=r[2], password_hash=r[3], created_at=_instant(r[4]),
                verified_at=parse_instant(r[5]), disabled_at=parse_instant(r[6]), is_admin=bool(r[7]),
                library_public=bool(r[8]))


def _row_api(r: Sequence[Any]) -> ApiToken:
    return ApiToken(id=int(r[0]), user_id=int(r[1]), name=r[2], prefix=r[3], scopes=orjson.loads(r[4]),
                    created_at=_instant(r[5]), last_used=parse_instant(r[6]), revoked_at=parse_instant(r[7]))


def _row_token(r: Sequence[Any]) -> AccountToken:
    return AccountToken(id=r[0], user_id=int(r[1]), purpose=r[2], created_at=_instant(r[3]),
                        expires_at=_instant(r[4]), used_at=parse_instant(r[5]))


class Accounts:
    """Users, sessions, emailed tokens, API tokens and throttling counters.

    Secrets never reach the store in the clear: sessions, emailed tokens and
    API tokens are looked up by their SHA-256 digest.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users -------------------------------------------------------------------------
    def create_user(self, email: str, handle: str, password_hash: str) -> User:
        """A new, unverified account; ``AlreadyExists`` when the email or the handle is taken."""
        now = self.db.now()
        with self.db.write() as tx:
            # DO NOTHING on either unique column: a concurrent sign-up with the same email loses cleanly
            tx.execute("INSERT INTO users (email, handle, handle_key, password_hash, created_at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (email, handle, handle.lower(), password_hash, now))
            inserted = tx.rowcount == 1
            row = tx.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?", (email,)).one()
        if not inserted:
            raise AlreadyExists("email" if row is not None else "handle")
        assert row is not None
        return row_user(row)

    def _user_where(self, where: str, value: Any) -> User | None:
        with self.db.read() as tx:
            row = tx.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE {where} = ?", (value,)).one()
        return row_user(row) if row else None

    def get_user(self, user_id: int) -> User | None:
        """One user by id."""
        return self._user_where("id", user_id)

    def get_user_by_email(self, email: str) -> User | None:
        """One user by (normalised) email."""
        return self._user_where("email", email)

    def get_user_by_handle(self, handle: str) -> User | None:
        """One user by handle, in any case."""
        return self._user_where("handle_key", handle.lower())

    def list_users(self, limit: int = 100, offset: int = 0) -> list[User]:
        """Users, oldest first."""
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id LIMIT ? OFFSET ?",
                              (limit, offset)).all()
        return [row_user(r) for r in rows]

    def update_user(self, user_id: int, *, verified: bool | None = None, disabled: bool | None = None,
                    is_admin: bool | None = None, library_public: bool | None = None) -> User | None:
        """Change flags; disabling also ends the user's sessions. None when there is no such user."""
        now = self.db.now()
        changes: list[tuple[str, Any]] = []
        if verified is not None:
            changes.append(("verified_at = COALESCE(verified_at, ?)" if verified else "verified_at = ?",
                            now if verified else None))
        if disabled is not None:
            changes.append(("disabled_at = ?", now if disabled else None))
        if is_admin is not None:
            changes.append(("is_admin = ?", int(is_admin)))
        if library_public is not None:
            changes.append(("library_public = ?", int(library_public)))
        with self.db.write() as tx:
            if changes:
                tx.execute(f"UPDATE users SET {', '.join(c for c, _ in changes)} WHERE id = ?",
                           (*(v for _, v in changes), user_id))
            if disabled:
                tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            if disabled is not None:  # a disabled account's upvotes and submissions stop counting
                bump_community_version(tx, now)
            row = tx.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).one()
        return row_user(row) if row else None

    def set_password(self, user_id: int, password_hash: str, *, sign_out: bool = True) -> None:
        """Replace the password hash; with ``sign_out`` also end every session of the user and revoke
        every API token, in the same transaction (whoever holds one may be why the password changes)."""
        with self.db.write() as tx:
            tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            if sign_out:
                tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
                tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                           (self.db.now(), user_id))

    def claim_account(self, user_id: int, password_hash: str, handle: str) -> User:
        """Give a never-verified account to whoever proved they own its address: their password and
        public name, verified, library private; the sessions, API tokens and emailed links of whoever
        signed up with the address are deleted. ``AlreadyExists("handle")`` when another account has
        the name."""
        now = self.db.now()
        with self.db.write() as tx:
            if tx.execute("SELECT id FROM users WHERE handle_key = ? AND id <> ?", (handle.lower(), user_id)).one():
                raise AlreadyExists("handle")
            tx.execute("UPDATE users SET handle = ?, handle_key = ?, password_hash = ?, library_public = 0, "
                       "verified_at = COALESCE(verified_at, ?) WHERE id = ?",
                       (handle, handle.lower(), password_hash, now, user_id))
            tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            tx.execute("DELETE FROM api_tokens WHERE user_id = ?", (user_id,))
            tx.execute("UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (now, user_id))
            row = tx.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).one()
        assert row is not None
        return row_user(row)

    # -- sessions ------------------------------------------------------------------------
    def create_session(self, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime,
                       ip: str | None, user_agent: str | None) -> AuthSession:
        """Record a new session."""
        now = self.db.clock()
        with self.db.write() as tx:
            tx.execute("DELETE FROM sessions WHERE expires_at < ?", (iso(now),))  # housekeeping, indexed
            tx.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen, "
                       "ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (token_hash, user_id, csrf_token, iso(now), iso(expires_at), iso(now), ip,
                        (user_agent or "")[:300] or None))
        return AuthSession(token_hash, user_id, csrf_token, now, expires_at, now)

    def get_session(self, token_hash: str, max_age: timedelta | None = None) -> tuple[AuthSession, User] | None:
        """An unexpired session and its (enabled) user; one signed in ``max_age`` ago or earlier is ended
        (deleted) instead, however recently it was used."""
        with self.db.read() as tx:
            row = tx.execute(
                f"SELECT {_SESSION_COLUMNS}, {_U_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
                (token_hash, self.db.now()),
            ).one()
        if row is None:
            return None
        session = AuthSession(row[0], int(row[1]), row[2], _instant(row[3]), _instant(row[4]), _instant(row[5]))
        # the store's own clock stamped created_at, so the store's clock judges its age
        if max_age is not None and session.created_at <= self.db.clock() - max_age:
            self.delete_session(token_hash)
            return None
        return session, row_user(row[6:])

    def touch_session(self, token_hash: str, expires_at: datetime) -> None:
        """Note activity and extend the session."""
        now = self.db.clock()
        with self.db.write() as tx:
            tx.execute("UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_hash = ? AND last_seen < ?",
                       (iso(now), iso(expires_at), token_hash, iso(now - _TOUCH_EVERY)))

    def delete_session(self, token_hash: str) -> None:
        """End one session."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # -- emailed tokens ----------------------------------------------------------------------
    def create_account_token(self, token_id: str, token_hash: str, user_id: int, purpose: str,
                             expires_at: datetime) -> None:
        """Record an emailed token (its id and digest)."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("DELETE FROM account_tokens WHERE expires_at < ?", (now,))
            tx.execute("INSERT INTO account_tokens (id, token_hash, user_id, purpose, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (token_id, token_hash, user_id, purpose, now, iso(expires_at)))

    def _valid_token(self, tx: Tx, token_hash: str, purpose: str) -> AccountToken | None:
        row = tx.execute(f"SELECT {_TOKEN_COLUMNS} FROM account_tokens WHERE token_hash = ? AND purpose = ? "
                         "AND used_at IS NULL AND expires_at > ?", (token_hash, purpose, self.db.now())).one()
        return _row_token(row) if row else None

    def get_account_token(self, token_hash: str, purpose: str) -> AccountToken | None:
        """A valid (unused, unexpired) token, without using it."""
        with self.db.read() as tx:
            return self._valid_token(tx, token_hash, purpose)

    def use_account_token(self, token_hash: str, purpose: str) -> AccountToken | None:
        """Use a valid token once: it and every other unused token of the same purpose and user
        become used, in one transaction. None when invalid, expired or already used."""
        with self.db.write() as tx:
            token = self._valid_token(tx, token_hash, purpose)
            if token is None:
                return None
            # the UPDATE's own condition makes the use single even if two requests race past the read
            tx.execute("UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
                       (self.db.now(), token.user_id, purpose))
            return token if tx.rowcount >= 1 else None

    # -- API tokens ------------------------------------------------------------------------
    def create_api_token(self, user_id: int, name: str, token_hash: str, prefix: str,
                         scopes: Sequence[str]) -> ApiToken:
        """Record a new API token."""
        with self.db.write() as tx:
            tx.execute("INSERT INTO api_tokens (user_id, name, token_hash, prefix, scopes, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (user_id, name, token_hash, prefix, orjson.dumps(list(scopes)).decode(), self.db.now()))
            row = tx.execute(f"SELECT {_API_COLUMNS} FROM api_tokens WHERE token_hash = ?", (token_hash,)).one()
        assert row is not None
        return _row_api(row)

    def api_token_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """An unrevoked token and its enabled user; notes its use."""
        cols = ", ".join(f"t.{c.strip()}" for c in _API_COLUMNS.split(","))
        with self.db.read() as tx:
            row = tx.execute(f"SELECT {cols}, {_U_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id "
                             "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
                             (token_hash,)).one()
        if row is None:
            return None
        token, user = _row_api(row[:8]), row_user(row[8:])
        now = self.db.clock()
        if token.last_used is None or token.last_used < now - _TOUCH_EVERY:
            with self.db.write() as tx:
                tx.execute("UPDATE api_tokens SET last_used = ? WHERE id = ?", (iso(now), token.id))
        return token, user

    def list_api_tokens(self, user_id: int) -> list[ApiToken]:
        """A user's tokens, newest first (revoked ones included)."""
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_API_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id DESC",
                              (user_id,)).all()
        return [_row_api(r) for r in rows]

    def revoke_api_token(self, user_id: int, token_id: int) -> bool:
        """Revoke one of the user's tokens; False when there is no such live token."""
        with self.db.write() as tx:
            tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                       (self.db.now(), token_id, user_id))
            return tx.rowcount == 1

    # -- throttling ----------------------------------------------------------------------------
    def count_events(self, scopes: Sequence[str], since: datetime) -> dict[str, int]:
        """How many events each scope recorded at or after ``since``."""
        if not scopes:
            return {}
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT scope, COUNT(*) FROM throttle WHERE scope IN ({placeholders(len(scopes))}) "
                              "AND at >= ? GROUP BY scope", (*scopes, iso(since))).all()
        found = {r[0]: int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in scopes}

    def oldest_event(self, scope: str, since: datetime) -> datetime | None:
        """The oldest event of ``scope`` at or after ``since`` (when the count drops by one), or None."""
        with self.db.read() as tx:
            value = tx.execute("SELECT MIN(at) FROM throttle WHERE scope = ? AND at >= ?", (scope, iso(since))).scalar()
        return parse_instant(value)

    def record_event(self, scopes: Sequence[str], keep_since: datetime) -> None:
        """Count one event in each scope now; forget every event older than ``keep_since``."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute("DELETE FROM throttle WHERE at < ?", (iso(keep_since),))
            tx.executemany("INSERT INTO throttle (scope, at) VALUES (?, ?)", [(s, now) for s in scopes])

    def clear_events(self, scope: str) -> None:
        """Forget a scope's events (a successful sign-in clears its account's failures)."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM throttle WHERE scope = ?", (scope,))
