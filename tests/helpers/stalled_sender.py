"""A sender whose database stalls at every "sent": ``python -m tests.helpers.stalled_sender DB DATA_DIR PORT``.

It delivers the outbox over 2 SMTP connections (the default) like ``paperwire digest deliver``, but every
record of a message as sent waits forever, as if the database had stopped answering right after the
server's ``250``. The test kills it there (SIGKILL): whatever the server accepted by then is accepted and
not recorded, and is sent again by the next sender. ``test_digest_crash.py`` counts those.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from paperwire.digest.service import deliver_outbox
from paperwire.runtime import Runtime
from paperwire.store.digests import Outbox
from tests.helpers.community import mail_settings

LEASE_SECONDS = 1


def main(db_url: str, data_dir: str, port: int) -> None:
    record = Outbox.finish_outbox

    def stalled(self: Outbox, results: Sequence[tuple[str, str, str | None, datetime | None]], owner: str) -> int:
        if any(state == "sent" for _, state, _, _ in results):
            threading.Event().wait()  # never returns: the process is killed here
        return record(self, results, owner)

    Outbox.finish_outbox = stalled  # type: ignore[method-assign]
    settings = mail_settings(db_url, Path(data_dir).parent, port, smtp_connections=2,
                             mail_lease_seconds=LEASE_SECONDS)
    deliver_outbox(Runtime(settings))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
