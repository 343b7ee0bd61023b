"""A fake Teams/Bot Framework world for end-to-end tests over real HTTP on loopback.

- ``FakeBotConnector`` (``connector.py``): the Bot Connector REST API that replies and card updates go to.
- ``FakeMicrosoftLogin`` (``identity.py``): Bot Framework's JWKS (incoming tokens) and Entra's token endpoint
  (MSAL, outgoing calls), over TLS with a test CA (``pki.py``), reached through ``ConnectProxy`` (``proxy.py``).
- ``activities``: Teams-shaped activities built from the SDK's models.
"""

from .connector import ConnectorCall, FakeBotConnector
from .identity import FakeMicrosoftLogin, SigningKey
from .pki import TestCA
from .proxy import ConnectProxy

__all__ = ["ConnectProxy", "ConnectorCall", "FakeBotConnector", "FakeMicrosoftLogin", "SigningKey", "TestCA"]
