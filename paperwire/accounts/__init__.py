"""Accounts: users, argon2id passwords, sessions, verification and reset links, API tokens, and the
emails they send (``emails``). Library code: no web imports; the web layer and the CLI call it."""
