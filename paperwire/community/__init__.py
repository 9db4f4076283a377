"""The community: upvotes, personal libraries, submissions by arXiv id or URL, moderation
(``service``). Library code over the store; the web layer and the CLI call it."""
