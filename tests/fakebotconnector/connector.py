"""FakeBotConnector: a real aiohttp server on 127.0.0.1 that answers the Bot Connector REST API (v3) like Teams'.

Point an activity's `serviceUrl` at `connector.service_url` and the SDK's ConnectorClient sends its replies, card
updates and new conversations here. Every request is recorded in `calls`; `activities` holds what the bot posted
(by conversation and id) so an update in place can be checked. Checks that matter to us, as the real service
does them: a Bearer token on every call (unless built anonymous; `accept_token` decides which tokens are good),
401 without; 404 `ConversationNotFound` for a conversation it does not know; 413 `MessageSizeTooBig` for an
activity over the size limit; and injected faults: `fail_next(429, retry_after=2)`, 412, 502, 504, and
`lose_next_answer(seconds)`: the post is made, but its answer comes too late for the caller (a lost answer).
Teams' channel list (`GET /v3/teams/{team}/conversations`) answers from `teams`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .serving import start_site

JsonDict = dict[str, Any]
# Teams refuses bot messages of about 100 KB and more (Microsoft: "Format your bot messages"); it counts the
# activity it receives, so this counts the request body.
MESSAGE_SIZE_LIMIT = 100 * 1024
_FAULT_CODES = {412: "PreconditionFailed", 429: "TooManyRequests", 502: "BadGateway", 504: "GatewayTimeout"}


@dataclass(frozen=True)
class ConnectorCall:
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: Any
    authorization: str | None
    status: int
    at: float

    @property
    def operation(self) -> str:
        """`create_conversation` | `send` | `reply` | `update` | `members` | `other`."""
        if self.method == "POST" and self.conversation_id is None:
            return "create_conversation"
        if self.path.endswith("/members"):
            return "members"
        if self.method == "POST":
            return "reply" if self.activity_id else "send"
        return "update" if self.method == "PUT" else "other"


@dataclass
class Conversation:
    id: str
    members: list[JsonDict] = field(default_factory=list)
    activities: dict[str, JsonDict] = field(default_factory=dict)


class FakeBotConnector:
    def __init__(
        self,
        *,
        anonymous: bool = False,
        accept_token: Callable[[str], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`anonymous`: accept calls without a token (the SDK's anonymous mode). `accept_token`: which Bearer
        tokens are valid (default: any non-empty one)."""
        self.anonymous = anonymous
        self.accept_token = accept_token or (lambda token: bool(token))
        self.clock = clock
        self.calls: list[ConnectorCall] = []
        self.conversations: dict[str, Conversation] = {}
        self._faults: defaultdict[str, deque[tuple[int, int | None]]] = defaultdict(deque)
        self._late: defaultdict[str, deque[float]] = defaultdict(deque)
        self.teams: dict[str, list[JsonDict]] = {}  # team id -> its channels ({"id", "name"}), as Teams lists them
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._ids = 1_700_000_000_000  # Teams message ids are millisecond timestamps

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> FakeBotConnector:
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members", self._members)
        app.router.add_get("/v3/teams/{tid}/conversations", self._team_channels)
        self._runner, self._port = await start_site(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotConnector:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def service_url(self) -> str:
        """What goes into an activity's `serviceUrl` (Teams' end with a slash, e.g. .../amer/)."""
        if self._port is None:
            raise RuntimeError("FakeBotConnector is not started")
        return f"http://127.0.0.1:{self._port}/"

    # -- set-up and inspection ---------------------------------------------------------------------------------
    def conversation(self, conversation_id: str, members: list[JsonDict] | None = None) -> Conversation:
        """Make a conversation known (as if the bot were installed there)."""
        conv = self.conversations.setdefault(conversation_id, Conversation(conversation_id))
        if members:
            conv.members = list(members)
        return conv

    def fail_next(
        self, status: int = 429, *, retry_after: int | None = 1, times: int = 1, operation: str = "*"
    ) -> None:
        """Answer the next `times` calls (of `operation`, see `ConnectorCall.operation`; "*": any) with `status`."""
        for _ in range(times):
            self._faults[operation].append((status, retry_after if status == 429 else None))

    def lose_next_answer(self, seconds: float, *, operation: str = "*") -> None:
        """Make the next post (of `operation`) but answer only after `seconds`: a caller with a shorter timeout
        never learns that it was made."""
        self._late[operation].append(seconds)

    def posted(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Successful sends and replies, oldest first."""
        return [
            c
            for c in self.calls
            if c.operation in ("send", "reply", "create_conversation")
            and c.status < 300
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    # -- handlers --------------------------------------------------------------------------------------------
    async def _create_conversation(self, request: web.Request) -> web.Response:
        refused, body = await self._admit(request, None, "create_conversation")
        if refused is not None:
            return refused
        conv = self.conversation("a:1" + secrets.token_urlsafe(24))  # a personal chat id, as Teams makes them
        conv.members = list(body.get("members") or [])
        answer: JsonDict = {"id": conv.id}
        if isinstance(body.get("activity"), dict):
            answer["activityId"] = self._store(conv, body["activity"])
        return self._ok(request, None, None, body, answer, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        return await self._post_activity(request, reply=False)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._post_activity(request, reply=True)

    async def _post_activity(self, request: web.Request, *, reply: bool) -> web.Response:
        cid = request.match_info["cid"]
        aid = request.match_info.get("aid") if reply else None
        refused, body = await self._admit(request, cid, "reply" if reply else "send", aid)
        if refused is not None:
            return refused
        conv = self._known(cid)
        assert conv is not None
        new_id = self._store(conv, body)
        late = self._take_late("reply" if reply else "send")
        if late is not None:
            await asyncio.sleep(late)
        return self._ok(request, cid, aid, body, {"id": new_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        refused, body = await self._admit(request, cid, "update", aid)
        if refused is not None:
            return refused
        conv = self._known(cid)
        assert conv is not None
        if aid not in conv.activities:
            return self._error(request, cid, aid, body, 404, "ActivityNotFound", "Activity not found.")
        conv.activities[aid] = {**body, "id": aid}
        return self._ok(request, cid, aid, body, {"id": aid})

    async def _members(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        refused, _ = await self._admit(request, cid, "members")
        if refused is not None:
            return refused
        conv = self._known(cid)
        assert conv is not None
        return self._ok(request, cid, None, None, conv.members)

    async def _team_channels(self, request: web.Request) -> web.Response:
        tid = request.match_info["tid"]
        refused, _ = await self._admit(request, None, "team_channels")
        if refused is not None:
            return refused
        if tid not in self.teams:
            return self._error(request, None, None, None, 404, "NotFound", "Team not found.")
        return self._ok(request, None, None, None, {"conversations": self.teams[tid]})

    # -- the checks ------------------------------------------------------------------------------------------
    async def _admit(
        self, request: web.Request, cid: str | None, operation: str, aid: str | None = None
    ) -> tuple[web.Response | None, JsonDict]:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(request, cid, aid, raw, 400, "BadArgument", "Malformed JSON."), {}
        auth = request.headers.get("Authorization")
        if not self.anonymous:
            scheme, _, token = (auth or "").partition(" ")
            if scheme != "Bearer" or not self.accept_token(token):
                return self._error(request, cid, aid, body, 401, "Unauthorized", "Authorization has been denied."), {}
        fault = self._take_fault(operation)
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return self._error(
                request, cid, aid, body, status, _FAULT_CODES.get(status, "ServiceError"), "", headers
            ), {}
        if cid is not None and self._known(cid) is None:
            return self._error(request, cid, aid, body, 404, "ConversationNotFound", "Conversation not found."), {}
        if request.method in ("POST", "PUT") and len(raw) > MESSAGE_SIZE_LIMIT:
            message = "Activity resulted into multiple skype activities"
            return self._error(request, cid, aid, body, 413, "MessageSizeTooBig", message), {}
        if request.method in ("POST", "PUT") and not isinstance(body, dict):
            return self._error(request, cid, aid, body, 400, "BadArgument", "Missing activity."), {}
        return None, body if isinstance(body, dict) else {}

    def _known(self, cid: str) -> Conversation | None:
        # A channel thread is "<channel id>;messageid=<root post id>": known when its channel is.
        return self.conversations.get(cid) or self.conversations.get(cid.split(";messageid=")[0])

    def _take_late(self, operation: str) -> float | None:
        for key in (operation, "*"):
            if self._late.get(key):
                return self._late[key].popleft()
        return None

    def _take_fault(self, operation: str) -> tuple[int, int | None] | None:
        for key in (operation, "*"):
            if self._faults.get(key):
                return self._faults[key].popleft()
        return None

    def _store(self, conv: Conversation, activity: JsonDict) -> str:
        self._ids += 1
        new_id = str(self._ids)
        conv.activities[new_id] = {**activity, "id": new_id}
        return new_id

    def _record(self, request: web.Request, cid: str | None, aid: str | None, body: Any, status: int) -> None:
        self.calls.append(
            ConnectorCall(
                request.method, request.path, cid, aid, body, request.headers.get("Authorization"), status, self.clock()
            )
        )

    def _ok(
        self, request: web.Request, cid: str | None, aid: str | None, body: Any, answer: Any, status: int = 200
    ) -> web.Response:
        self._record(request, cid, aid, body, status)
        return web.json_response(answer, status=status)

    def _error(
        self,
        request: web.Request,
        cid: str | None,
        aid: str | None,
        body: Any,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self._record(request, cid, aid, body, status)
        # The Bot Connector's ErrorResponse shape.
        return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)
