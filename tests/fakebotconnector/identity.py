"""The Microsoft login endpoints the Teams front talks to, served by the tests over TLS on loopback.

- Bot Framework's OpenID configuration and JWKS (login.botframework.com/v1/.well-known/...): the SDK's
  JwtTokenValidator fetches the signing key of every incoming activity's Bearer token there. The key is an RSA key
  generated at test time; `sign_activity_token` signs tokens shaped like the ones Bot Framework sends Teams bots.
- Entra's tenant discovery and token endpoint (login.microsoftonline.com/{tenant}/...): MSAL's client-credentials
  flow, which the SDK runs for every outgoing call to the Bot Connector. Issued tokens are recorded so the fake
  connector can check that a reply carries one of them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .pki import TestCA
from .serving import start_site

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"  # `iss` of tokens the Bot Connector sends bots
BOT_FRAMEWORK_HOST = "login.botframework.com"
ENTRA_HOST = "login.microsoftonline.com"
HOSTS = (BOT_FRAMEWORK_HOST, ENTRA_HOST)


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_hex(8), rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        key = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        # Bot Framework's keys carry the channels they are endorsed for; the SDK does not check endorsements.
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})


_SESSION_KEY: list[SigningKey] = []


def session_signing_key() -> SigningKey:
    """The one key Bot Framework "publishes" for the whole test session (generated on first use).

    Like Bot Framework's real keys it does not change between requests: the SDK keeps one JWKS client per URL for
    the whole process, caching the key set for 5 minutes, and PyJWT refetches for an unknown key id at most once
    per 30 s. A new key per test would be refused by the cache, not by the code under test.
    """
    if not _SESSION_KEY:
        _SESSION_KEY.append(SigningKey.generate())
    return _SESSION_KEY[0]


@dataclass
class TokenRequest:
    tenant: str
    form: dict[str, str]


@dataclass
class FakeMicrosoftLogin:
    ca: TestCA
    client_id: str
    client_secret: str
    tenant_id: str
    key: SigningKey = field(default_factory=session_signing_key)
    issued: set[str] = field(default_factory=set)
    token_requests: list[TokenRequest] = field(default_factory=list)
    jwks_fetches: int = 0
    unknown: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> FakeMicrosoftLogin:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._bf_openid)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._entra_openid)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner, self.port = await start_site(app, ssl_context=self.ca.server_context(list(HOSTS)))
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sign_activity_token(
        self,
        service_url: str,
        *,
        audience: str | None = None,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        lifetime: int = 3600,
        not_before_offset: int = -60,
        key: SigningKey | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A Bearer token like the Bot Connector's for an activity: iss, aud (the bot's app id), serviceurl,
        nbf, exp. `key`: sign with another key (a forgery); `lifetime` < 0: already expired."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience or self.client_id,
            "serviceurl": service_url,
            "nbf": now + not_before_offset,
            "exp": now + lifetime,
            **(extra or {}),
        }
        return (key or self.key).sign(claims)

    async def _bf_openid(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": BOT_FRAMEWORK_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"https://{BOT_FRAMEWORK_HOST}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": [self.key.jwk()]})

    async def _entra_openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"https://{ENTRA_HOST}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(TokenRequest(tenant, form))
        # What Entra checks for client credentials, and answers in its error format when it refuses.
        if tenant != self.tenant_id:
            return _oauth_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "AADSTS70003")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != "https://api.botframework.com/.default":
            return _oauth_error(400, "invalid_scope", "AADSTS70011: The provided value for scope is not valid.")
        now = int(time.time())
        token = self.key.sign(
            {
                "iss": f"https://sts.windows.net/{tenant}/",
                "aud": "https://api.botframework.com",
                "appid": self.client_id,
                "tid": tenant,
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
            }
        )
        self.issued.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.host}{request.path_qs}")
        return web.json_response({"error": "not_found"}, status=404)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
