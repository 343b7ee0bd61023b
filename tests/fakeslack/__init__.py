"""A fake Slack for end-to-end tests over real HTTP.

- ``FakeSlack``: Web API + response_urls on 127.0.0.1 (``server.py``), with fault injection (``faults.py``).
- ``signing``: Slack's request signing, body builders shaped like the captured payloads, ``SlackSender``.
"""

from .faults import TokenBucket
from .ids import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_ID,
)
from .records import RecordedCall, ResponsePost
from .server import FakeSlack
from .serving import serving
from .signing import (
    FORM,
    JSON,
    SlackBody,
    SlackReply,
    SlackSender,
    block_actions_body,
    event_body,
    message_event,
    selected_option,
    sign,
    slash_command_body,
    state_values,
    text_input,
    url_verification_body,
    view_submission_body,
)
from .socket_mode import SocketModeHub, socket_payload

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "FORM",
    "JSON",
    "FakeSlack",
    "RecordedCall",
    "ResponsePost",
    "SlackBody",
    "SlackReply",
    "SlackSender",
    "SocketModeHub",
    "TokenBucket",
    "block_actions_body",
    "event_body",
    "message_event",
    "selected_option",
    "serving",
    "sign",
    "slash_command_body",
    "socket_payload",
    "state_values",
    "text_input",
    "url_verification_body",
    "view_submission_body",
]
