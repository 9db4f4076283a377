"""The email that tells a member someone replied to their comment (only sent to those who opted in).

``renderers(settings, secret)`` gives the mail engine the ``Render`` of the ``comment_reply`` kind; its
opt-out link (also the ``List-Unsubscribe`` header, one click per RFC 8058) turns reply emails off
without signing in.
"""

from __future__ import annotations

from collections.abc import Mapping

from paperwire.community.discussions import REPLY_KIND, opt_out_token
from paperwire.config import Settings
from paperwire.mail.render import Notices, Render
from paperwire.models import Email, OutboxMessage, Paper, Subscriber


def renderers(settings: Settings, secret: bytes) -> dict[str, Render]:
    """A renderer for the reply email."""
    notices = Notices(settings)
    site = settings.site_name

    def reply(message: OutboxMessage, _sub: Subscriber | None, _papers: Mapping[str, Paper]) -> Email:
        p = message.payload
        off = notices.url("/comments/replies/off", token=opt_out_token(secret, int(p["user_id"])))
        return notices.render(
            f"{p['replier']} replied to your comment on {site}", f"{p['replier']} replied to you",
            [f"On “{p['paper_title']}” (arXiv:{p['paper_id']}), {p['replier']} wrote:", p["excerpt"]],
            notices.url(f"/paper/{p['paper_id']}") + f"#comment-{p['comment_id']}", "Read the discussion",
            [f"You get this email because you asked to hear about replies to your comments. "
             f"Stop these emails: {off}"],
            headers=[("List-Unsubscribe", f"<{off}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")])

    return {REPLY_KIND: reply}
