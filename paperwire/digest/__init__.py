"""Email digests: subscriptions (double opt-in), building, rendering, and sending through an outbox.

The worker's ``digest-daily``/``digest-weekly`` jobs call ``scheduled_digests`` and its
``deliver-outbox`` job ``deliver_outbox`` (both in ``digest.service``); see docs/digests.md for the
delivery guarantee.
"""
