"""FakeSlack: a real aiohttp server on 127.0.0.1 that answers the Web API and response_urls like Slack does.

Point the app at it with ``AsyncWebClient(token="xoxb-...", base_url=slack.api_url)``. Every request is recorded in
``slack.calls``; state is inspectable (``messages``, ``ephemerals``, ``views``, ``responses``); faults (429, 5xx,
latency, the per-channel posting limit) are injected through ``fail_next`` / ``delay`` / ``rate_limit_post_message``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web

from chatbot.manifest import BOT_SCOPES

from . import ids
from .api import METHODS
from .faults import Delay, Fault, FaultPlan
from .http_parsing import parse_params, parse_response_body
from .records import (
    JsonDict,
    Params,
    RecordedCall,
    ResponsePost,
    ResponseUrlBinding,
    SlackError,
    TriggerRecord,
)
from .response_urls import apply_response, check_usable
from .scopes import scope_error
from .serving import start_site
from .socket_mode import SocketModeHub
from .workspace import Workspace

RESPONSE_URL_METHOD = "response_url"


def _dumps(body: Any) -> str:
    # orjson: the fake answers every chat.update with the whole message, and shares the cores with the app.
    return orjson.dumps(body).decode()


class FakeSlack:
    def __init__(
        self,
        *,
        tokens: Collection[str] | None = None,
        team_id: str = ids.DEFAULT_TEAM_ID,
        team_domain: str = ids.DEFAULT_TEAM_DOMAIN,
        app_id: str = ids.DEFAULT_APP_ID,
        bot_user_id: str = ids.DEFAULT_BOT_USER_ID,
        bot_id: str = ids.DEFAULT_BOT_ID,
        auto_users: bool = True,
        clock: Callable[[], float] = time.monotonic,
        scopes: Collection[str] | None = None,
    ) -> None:
        """``tokens``: the accepted bot tokens; None accepts any ``xoxb-`` token. ``clock`` drives trigger_id
        expiry, response_url lifetime, the rate limiter and ``RecordedCall.time``. ``scopes``: what the bot token
        was granted; None means the scopes the app's own manifest asks for (`chatbot manifest`)."""
        self.valid_tokens: set[str] | None = set(tokens) if tokens is not None else None
        self.scopes: set[str] = set(BOT_SCOPES if scopes is None else scopes)
        self.clock = clock
        self.workspace = Workspace(
            clock=clock,
            team_id=team_id,
            team_domain=team_domain,
            app_id=app_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            auto_users=auto_users,
        )
        self.faults = FaultPlan(clock)
        self.calls: list[RecordedCall] = []
        self.responses: list[ResponsePost] = []
        self.response_urls: dict[str, ResponseUrlBinding] = {}
        self._progress = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.socket_mode = SocketModeHub(app_id)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name}", self._handle_response_url)
        self.socket_mode.attach(app)
        self._runner, self._port = await start_site(app)
        self._stopping.clear()
        return self

    async def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in an injected delay
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)``; the trailing slash matters (the client appends the method)."""
        return f"{self.base_url}/api/"

    def response_url(
        self,
        name: str,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A response_url on this server. Bind it like Slack would: to the message an interaction happened on
        (``channel`` + ``message_ts``, ``ephemeral=True`` with ``user_id`` for an ephemeral one), or to the
        channel+user of a slash command. Calling again with the same name and no binding returns the same URL."""
        binding = self.response_urls.get(name)
        if binding is None or any(v is not None for v in (channel, message_ts, user_id)) or ephemeral:
            self.response_urls[name] = ResponseUrlBinding(
                name=name,
                channel=channel,
                message_ts=message_ts,
                user_id=user_id,
                ephemeral=ephemeral,
                created_at=self.clock(),
            )
        return f"{self.base_url}/response/{name}"

    # -- inspection --------------------------------------------------------------------------------------------
    @property
    def messages(self) -> defaultdict[str, list[JsonDict]]:
        return self.workspace.messages

    @property
    def ephemerals(self) -> defaultdict[str, list[JsonDict]]:
        return self.workspace.ephemerals

    @property
    def views(self) -> dict[str, JsonDict]:
        return self.workspace.views

    @property
    def view_stacks(self) -> defaultdict[str, list[str]]:
        return self.workspace.view_stacks

    @property
    def home_views(self) -> dict[str, JsonDict]:
        return self.workspace.home_views

    @property
    def users(self) -> dict[str, JsonDict]:
        return self.workspace.users

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    # A timeout argument (not asyncio.timeout) keeps the call short in tests: `await slack.wait_for("views.open")`.
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        """Wait until ``count`` calls to ``method`` have been processed (effects applied); return them all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            done = [call for call in self.calls_to(method) if call.status is not None]
            if len(done) >= count:
                return done
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = sorted({call.method for call in self.calls})
                raise TimeoutError(f"{len(done)}/{count} calls to {method} after {timeout}s; methods seen: {seen}")
            progress = self._progress
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), remaining)

    # -- configuration ----------------------------------------------------------------------------------------
    def issue_trigger_id(self, user_id: str = ids.DEFAULT_USER_ID, *, age: float = 0.0) -> str:
        """A trigger_id as Slack would put in an interaction by ``user_id``; ``age`` backdates it (expiry tests)."""
        return self.workspace.issue_trigger_id(user_id, age=age)

    @property
    def triggers(self) -> dict[str, TriggerRecord]:
        return self.workspace.triggers

    def add_user(self, user_id: str, **profile: Any) -> JsonDict:
        return self.workspace.add_user(user_id, **profile)

    def set_presence(self, user_id: str, presence: str) -> None:
        if presence not in ("active", "away"):
            raise ValueError("presence is 'active' or 'away'")
        self.workspace.presence[user_id] = presence

    def set_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        self.workspace.usergroups[usergroup_id] = list(user_ids)

    def set_channel_error(self, channel: str, error: str | None) -> None:
        """Make every write to ``channel`` fail with ``error`` (not_in_channel, is_archived, ...); None clears."""
        if error is None:
            self.workspace.channel_errors.pop(channel, None)
        else:
            self.workspace.channel_errors[channel] = error

    def refuse_block_types(self, *types: str) -> None:
        """Answer invalid_blocks to any message with a block of these types (a workspace without them); none clears."""
        self.workspace.unsupported_blocks = set(types)

    def inject_message(self, channel: str, text: str, *, user: str = ids.DEFAULT_USER_ID, **extra: Any) -> JsonDict:
        """A message from a human in ``channel`` (as if typed in Slack); returns the stored message."""
        return self.workspace.inject_message(channel, text, user=user, **extra)

    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1, error: str | None = None
    ) -> None:
        """The next ``times`` calls to ``method`` fail: 429 + Retry-After + ratelimited, or a 5xx with a JSON error.
        ``method`` may be ``"response_url"``."""
        self.faults.fail_next(method, status=status, retry_after=retry_after, times=times, error=error)

    def delay(self, method: str, seconds: float, *, times: int | None = None, effect_first: bool = True) -> None:
        """Answer ``method`` ``seconds`` late (``times`` calls, or all). By default the call takes effect at once and
        only the answer is late, so a client timeout leaves e.g. a posted message behind; 0 removes the delay."""
        self.faults.delay(method, seconds, times=times, effect_first=effect_first)

    def limit_history(self, per_minute: float = 1.0, page: int = 15) -> None:
        """Enforce Slack's history limit for non-Marketplace apps: one read a minute, 15 messages a page."""
        self.faults.limit_history(per_minute=per_minute, page=page)

    def rate_limit_post_message(self, per_second: float = 1.0, burst: int = 3) -> None:
        """Enforce Slack's per-channel chat.postMessage limit (token bucket); excess posts get 429 + Retry-After."""
        self.faults.rate_limit_post_message(per_second=per_second, burst=burst)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- HTTP handlers ------------------------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        # Multipart bodies are streamed into request.post(); anything else is read once and parsed from the bytes.
        raw = b"" if request.content_type == "multipart/form-data" else await request.read()
        call = RecordedCall(
            method=method,
            params={},
            headers=dict(request.headers),
            time=self.clock(),
            http_method=request.method,
            content_type=request.content_type,
            raw_body=raw,
        )
        self.calls.append(call)
        try:
            params = await parse_params(request, raw)
        except SlackError as error:
            return self._finish(call, 200, error.body())
        call.params = params.values

        delay = self.faults.take_delay(method)
        if delay is not None and not delay.effect_first:
            await self._sleep(delay)
        status, body, headers = self._dispatch(method, params, request)
        response = self._finish(call, status, body, headers)
        if delay is not None and delay.effect_first:
            await self._sleep(delay)
        return response

    def _dispatch(self, method: str, params: Params, request: web.Request) -> tuple[int, JsonDict, dict[str, str]]:
        if method == "apps.connections.open":  # the one method that takes the app-level token
            if not request.headers.get("Authorization", "").startswith("Bearer xapp-"):
                return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
            return 200, {"ok": True, **self.socket_mode.open_connection(self.base_url)}, {}
        handler = METHODS.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        fault = self.faults.take_failure(method)
        if fault is not None:
            return fault.status, fault.body(), fault.headers()
        auth_error = self._auth_error(request, params)
        if auth_error is not None:
            return 200, {"ok": False, "error": auth_error}, {}
        refused = scope_error(method, params, self.scopes)
        if refused is not None:
            return 200, refused, {}
        if method in ("conversations.history", "conversations.replies"):
            limited_read = self.faults.check_history()
            if limited_read is not None:
                return limited_read.status, limited_read.body(), limited_read.headers()
            page = self.faults.history_page
            if page is not None and params.integer("limit", 100) > page:
                params.values["limit"] = page  # Slack gives no more than its page, whatever was asked
        if method == "chat.postMessage" and params.get("channel"):
            limited: Fault | None = self.faults.check_post_message(str(params.get("channel")))
            if limited is not None:
                return limited.status, limited.body(), limited.headers()
        try:
            return 200, {"ok": True, **handler(self.workspace, params)}, {}
        except SlackError as error:
            return 200, error.body(), {}

    def _auth_error(self, request: web.Request, params: Params) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token: str | None = header[len("Bearer ") :].strip()
        elif request.content_type == "application/json":
            token = None  # Slack reads the token of a JSON body only from the Authorization header
        else:
            token = params.string("token")
        if not token:
            return "not_authed"
        if self.valid_tokens is None:
            return None if token.startswith("xoxb-") else "invalid_auth"
        return None if token in self.valid_tokens else "invalid_auth"

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        call = RecordedCall(
            method=RESPONSE_URL_METHOD,
            params={},
            headers=dict(request.headers),
            time=self.clock(),
            content_type=request.content_type,
            raw_body=raw,
        )
        self.calls.append(call)
        try:
            body = parse_response_body(raw)
        except SlackError as error:
            return self._finish(call, 400, error.body())
        call.params = body
        post = ResponsePost(name=name, body=body, time=call.time)
        self.responses.append(post)

        delay = self.faults.take_delay(RESPONSE_URL_METHOD)
        if delay is not None and not delay.effect_first:
            await self._sleep(delay)
        fault = self.faults.take_failure(RESPONSE_URL_METHOD)
        headers: dict[str, str] = {}
        if fault is not None:
            status, answer, headers = fault.status, fault.body(), fault.headers()
            post.outcome = "fault"
        else:
            status, answer = self._apply_response(name, body, post)
        post.status = status
        response = self._finish(call, status, answer, headers)
        if delay is not None and delay.effect_first:
            await self._sleep(delay)
        return response

    def _apply_response(self, name: str, body: JsonDict, post: ResponsePost) -> tuple[int, JsonDict]:
        binding = self.response_urls.get(name)
        if binding is None:
            post.outcome = "unknown_url"
            return 404, {"ok": False, "error": "invalid_url"}
        try:
            check_usable(binding, self.clock())
            binding.uses += 1
            post.outcome = apply_response(self.workspace, binding, body)
            return 200, {"ok": True}
        except SlackError as error:
            post.outcome = error.error
            status = 404 if error.error in ("expired_url", "used_url", "message_not_found") else 400
            return status, error.body()

    def _finish(
        self, call: RecordedCall, status: int, body: JsonDict, headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status = status
        call.response = body
        # Wake every wait_for() and arm a fresh event for the next change.
        self._progress.set()
        self._progress = asyncio.Event()
        return web.json_response(body, status=status, headers=headers or {}, dumps=_dumps)

    async def _sleep(self, delay: Delay) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay.seconds)
