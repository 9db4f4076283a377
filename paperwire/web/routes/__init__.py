"""The web's routes, one module per area (api, hf, feeds, search, pages, accounts, community,
subscriptions). A route module ``routes/X.py`` answers with what the helper ``web/X.py`` builds where
one exists (``routes/feeds.py`` → ``web/feeds.py``, ``routes/hf.py`` → ``web/hf.py``,
``routes/search.py`` → ``web/search.py``); routes stay a few lines each over the library."""
