"""Mail, the engine every feature sends through: the outbox (``outbox``: queue once per key, stable
Message-IDs), rendering by kind (``render``: features supply a renderer per kind of message), MIME
and DKIM (``mime``), SMTP delivery with leases and retries (``send``), address normal form
(``addresses``) and the development SMTP sink (``sink``). It knows nothing of digests or accounts.
"""
