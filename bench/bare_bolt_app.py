"""The baseline for bench_slack: a bare slack-bolt app that acks every button click and updates the message.

Run: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... .venv/bin/python -m bench.bare_bolt_app --port P --api-url U
Default bolt settings, as a developer would write it. ``--shared-session`` gives the Web API client one aiohttp
session (slack_sdk otherwise opens a new session, so a new connection, for every call).
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(token: str, signing_secret: str, api_url: str, session: aiohttp.ClientSession | None) -> AsyncApp:
    app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url, session=session), signing_secret=signing_secret)

    @app.action(re.compile(".*"))
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = body.get("message") or {}
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"{body['actions'][0].get('text', {}).get('text', 'Clicked')} clicked",
            blocks=message.get("blocks"),
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True, help="Web API base URL, with the trailing slash")
    parser.add_argument("--shared-session", action="store_true", help="one aiohttp session for every API call")
    args = parser.parse_args()
    token, secret = os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_SIGNING_SECRET"]
    if args.shared_session:
        # aiohttp wants a session created inside the loop that uses it: create it on bolt's startup.
        app = build(token, secret, args.api_url, None)
        web_app = app.web_app(port=args.port)

        async def open_session(_web_app: web.Application) -> None:
            app.client.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

        async def close_session(_web_app: web.Application) -> None:
            if app.client.session is not None:
                await app.client.session.close()

        web_app.on_startup.append(open_session)
        web_app.on_cleanup.append(close_session)
        web.run_app(web_app, host="127.0.0.1", port=args.port, print=None)
    else:
        build(token, secret, args.api_url, None).start(port=args.port, host="127.0.0.1")


if __name__ == "__main__":
    main()
