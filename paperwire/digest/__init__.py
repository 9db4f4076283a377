"""Email digests: subscriptions (double opt-in), building, rendering, and sending through an outbox.

The worker calls ``run_digests(runtime, period, day)`` (in ``digest.service``);
see docs/digests.md for the delivery guarantee.
"""
