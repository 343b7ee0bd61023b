"""An event loop in a thread of its own, for fakes that must answer while the test's loop is blocked.

MSAL is synchronous: when the SDK builds its MSAL client (on the first outgoing call of a turn), MSAL fetches the
tenant's OpenID configuration right there, on the event loop's thread. A fake login served by that same loop
could never answer (deadlock), so the login and its proxy run here, like a remote service would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-microsoft", daemon=True)
        self._thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the background loop; await its result from the caller's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()
