"""Email digests: subscriptions (double opt-in), building and rendering; sending is the mail engine's
(``paperwire.mail``), which ``digest.service.deliver_outbox`` drives with every feature's renderers.

The worker's ``digest-daily``/``digest-weekly`` jobs call ``scheduled_digests`` and its
``deliver-outbox`` job ``deliver_outbox`` (both in ``digest.service``); see docs/digests.md for the
delivery guarantee.
"""
