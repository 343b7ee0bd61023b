"""`POST /api/messages`: the Teams front, on the same aiohttp application as `/slack/events`.

Per request, in this order: the activity's `serviceUrl` must be on the allow-list (replies go there with our
token, so a forged URL would leak it); then the SDK's `jwt_authorization_decorator` checks the Bearer token (on
this route only: the SDK's app-wide middleware would refuse Slack's requests); then our own checks on the verified
claims (an expiry, and the `serviceurl` claim naming the same host as the activity); then the SDK's CloudAdapter
runs the turn, which `_Agent` turns into calls on a `TeamsHandler`.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
import warnings
from typing import Any

from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ContentTypes,
    InvokeResponse,
)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    CardFactory,
    ClaimsIdentity,
    MessageFactory,
    TurnContext,
)
from yarl import URL

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.cards import notice_card
from chatbot.adapters.teams.settings import TeamsSettings
from chatbot.adapters.teams.turns import (
    CardAction,
    ConversationRef,
    ConversationUpdate,
    IncomingMessage,
    Person,
    Reply,
    TeamsHandler,
)
from chatbot.domain.errors import UserFacingError

log = logging.getLogger(__name__)

PATH = "/api/messages"
CONNECTION = "SERVICE_CONNECTION"  # the SDK's name for the bot's own Entra connection
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_ERROR_TYPE = "application/vnd.microsoft.error"  # Universal Actions' error response


def service_url_allowed(service_url: object, hosts: tuple[str, ...]) -> bool:
    """https to one of `hosts` or a subdomain of one; plain http only to a loopback host listed explicitly."""
    if not isinstance(service_url, str) or not service_url:
        return False
    try:
        url = URL(service_url)
    except ValueError:
        return False
    host = (url.host or "").lower().rstrip(".")
    if not host or url.user or url.password:
        return False
    if host in _LOOPBACK:
        return host in hosts and url.scheme in ("http", "https")
    return url.scheme == "https" and any(host == h or host.endswith("." + h) for h in hosts)


def auth_configuration(settings: TeamsSettings) -> AgentAuthConfiguration:
    return AgentAuthConfiguration(
        client_id=settings.app_id,
        client_secret=settings.client_secret,
        tenant_id=settings.tenant_id,
        connection_name=CONNECTION,
        anonymous_allowed=settings.allow_anonymous,
        # Off by default in the SDK: then any issuer whose JWKS holds the key would pass. Ours are Bot
        # Framework's and the bot's own tenant's.
        validate_issuer=True,
    )


def connection_manager(settings: TeamsSettings) -> MsalConnectionManager:
    """The bot's Entra connection (MSAL, its token cache): one per process, shared by the front and the worker's
    proactive posts."""
    return MsalConnectionManager(connections_configurations={CONNECTION: auth_configuration(settings)})


class TeamsFront:
    def __init__(
        self, settings: TeamsSettings, handler: TeamsHandler, connections: MsalConnectionManager | None = None
    ) -> None:
        self.settings = settings
        self.auth = auth_configuration(settings)
        self.connections = connections or connection_manager(settings)
        self.adapter = CloudAdapter(connection_manager=self.connections)
        # The SDK's default posts "Exception caught : <error>" into the chat; errors are ours to log, not to show.
        self.adapter.on_turn_error = _on_turn_error
        self._agent = _Agent(handler)
        self._authorized = jwt_authorization_decorator(self._process)  # type: ignore[no-untyped-call]
        if settings.allow_anonymous:
            log.warning(
                "Teams: TEAMS_ALLOW_ANONYMOUS is on: activities without a token are accepted and replies go out "
                "unauthenticated. Use it only for local trials."
            )

    def mount(self, app: web.Application, path: str = PATH) -> None:
        """Add the route to an application that is not started yet (next to `/slack/events`)."""
        # The SDK's decorator reads its configuration from this application key; it only affects this route.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            app["agent_configuration"] = self.auth
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "Invalid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "An activity is a JSON object"}, status=400)
        if not service_url_allowed(body.get("serviceUrl"), self.settings.service_url_hosts):
            log.warning("Teams: refused an activity for serviceUrl %r (not allowed)", body.get("serviceUrl"))
            return web.json_response({"error": "serviceUrl not allowed"}, status=403)
        response: web.StreamResponse = await self._authorized(request)
        return response

    async def _process(self, request: web.Request) -> web.StreamResponse:
        identity: ClaimsIdentity = request["claims_identity"]
        claims: dict[str, Any] = identity.claims or {}
        if claims:  # an authenticated request; empty claims only in anonymous mode
            problem = _claims_problem(claims, (await request.json()).get("serviceUrl"))
            if problem:
                log.warning("Teams: refused a token: %s", problem)
                return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
        response = await self.adapter.process(request, self._agent)
        return response if response is not None else web.Response(status=202)


def _claims_problem(claims: dict[str, Any], service_url: str) -> str | None:
    # PyJWT checks `exp` only when present; Bot Framework always sets it, so a token without one is not theirs.
    if not isinstance(claims.get("exp"), int | float):
        return "no expiry"
    # The SDK compares these only when its own host validator is on, which cannot allow our loopback tests.
    claim_host = URL(str(claims.get("serviceurl") or "")).host
    if not claim_host or claim_host.lower() != (URL(service_url).host or "").lower():
        return "serviceurl claim does not match the activity"
    return None


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("Teams: unhandled error in a turn (%s)", type(error).__name__, exc_info=error)


class _Agent:
    """The SDK's `Agent` protocol: one turn in, calls on the handler, cards out."""

    def __init__(self, handler: TeamsHandler) -> None:
        self.handler = handler

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.invoke and activity.name == "adaptiveCard/action":
            await self._execute(context, activity)
        elif activity.type == ActivityTypes.message and isinstance(activity.value, dict) and not activity.text:
            await self._submit(context, activity)
        elif activity.type == ActivityTypes.message:
            await self._message(context, activity)
        elif activity.type in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
            await self._conversation_update(context, activity)
        # reactions, typing, messageUpdate...: nothing to do.

    async def _conversation_update(self, context: TurnContext, activity: Activity) -> None:
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel: dict[str, Any] = channel_data["channel"] if isinstance(channel_data.get("channel"), dict) else {}
        bot = activity.recipient.id if activity.recipient else None
        update = ConversationUpdate(
            _conversation(activity),
            str(activity.type),
            event_type=channel_data.get("eventType"),
            action=activity.action,
            channel_id=channel.get("id"),
            bot_added=any(m.id == bot for m in activity.members_added or ()),
            bot_removed=any(m.id == bot for m in activity.members_removed or ()),
        )
        try:
            reply = await self.handler.on_conversation_update(update)
        except Exception as exc:  # nobody pressed anything: log it, show nothing
            _failure_card(exc)
            return
        if reply is not None:
            await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply.card)))

    async def _message(self, context: TurnContext, activity: Activity) -> None:
        text = re.sub(r"\s+", " ", html.unescape(activity.remove_recipient_mention() or "")).strip()
        turn = IncomingMessage(_person(activity), _conversation(activity), text, activity.id)
        try:
            reply = await self.handler.on_message(turn)
        except Exception as exc:
            reply = Reply(_failure_card(exc))
        if reply is None:
            return
        sent = await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply.card)))
        if reply.on_posted is not None and sent is not None and sent.id:
            await reply.on_posted(sent.id)

    async def _execute(self, context: TurnContext, activity: Activity) -> None:
        value: dict[str, Any] = activity.value if isinstance(activity.value, dict) else {}
        action: dict[str, Any] = value["action"] if isinstance(value.get("action"), dict) else {}
        data: dict[str, object] = action["data"] if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb")
        try:
            ref = ids.ActionRef.decode(data, verb if isinstance(verb, str) else None)
        except ids.BadPayload:
            await _invoke_response(context, _ERROR_TYPE, {"code": "BadRequest", "message": "Unknown card action."})
            return
        card_action = CardAction(
            _person(activity), _conversation(activity), ref, data, activity.reply_to_id, universal=True
        )
        try:
            reply = await self.handler.on_card_action(card_action)
        except Exception as exc:
            card = _failure_card(exc)
        else:
            card = reply.card
        await _invoke_response(context, ContentTypes.adaptive_card, card)

    async def _submit(self, context: TurnContext, activity: Activity) -> None:
        data: dict[str, object] = dict(activity.value) if isinstance(activity.value, dict) else {}
        try:
            ref = ids.ActionRef.decode(data)
        except ids.BadPayload:
            return  # a Submit from some other card: not ours to answer
        card_action = CardAction(
            _person(activity), _conversation(activity), ref, data, activity.reply_to_id, universal=False
        )
        try:
            card = (await self.handler.on_card_action(card_action)).card
        except Exception as exc:
            await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(_failure_card(exc))))
            return
        message = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if activity.reply_to_id:
            message.id = activity.reply_to_id  # replace the pressed card in place, as Action.Execute does
            await context.update_activity(message)
        else:
            await context.send_activity(message)


async def _invoke_response(context: TurnContext, kind: str, value: dict[str, Any]) -> None:
    status = 200 if kind == ContentTypes.adaptive_card else 400
    body = AdaptiveCardInvokeResponse(status_code=status, type=kind, value=value)
    await context.send_activity(
        Activity(
            type=ActivityTypes.invoke_response,
            # The HTTP answer is always 200: Teams reads the outcome from the body's statusCode.
            value=InvokeResponse(status=200, body=body.model_dump(mode="json", by_alias=True, exclude_none=True)),
        )
    )


def _failure_card(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, UserFacingError):
        return notice_card(exc.message)
    error_id = uuid.uuid4().hex[:8]
    log.error("Teams: handler failed (error id %s)", error_id, exc_info=exc)
    return notice_card(f"Something went wrong on our side. If it keeps happening, quote error id {error_id}.")


def _person(activity: Activity) -> Person:
    who = activity.from_property
    return Person(
        teams_id=who.id if who else "", aad_object_id=who.aad_object_id if who else None, name=who.name if who else None
    )


def _conversation(activity: Activity) -> ConversationRef:
    conv = activity.conversation
    tenant = conv.tenant_id
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    if not tenant and isinstance(channel_data.get("tenant"), dict):
        tenant = channel_data["tenant"].get("id")
    reference = activity.get_conversation_reference().model_dump(mode="json", by_alias=True, exclude_none=True)
    team: dict[str, Any] = channel_data["team"] if isinstance(channel_data.get("team"), dict) else {}
    return ConversationRef(
        conv.id, conv.conversation_type, activity.service_url or "", tenant, reference, team.get("id") or None
    )
