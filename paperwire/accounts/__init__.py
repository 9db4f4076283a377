"""Accounts and the community: users, passwords, sessions, tokens, throttling, upvotes, libraries,
submissions. Library code: no web imports; the web layer and the CLI call it."""
