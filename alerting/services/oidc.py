"""The OpenID Connect relying party: provider discovery, JWKS with key rotation, the code exchange
with PKCE, and ID token checks (signature, `iss`, `aud`, `exp`, `nonce`) with authlib and joserfc.

One `Providers` object per process caches each issuer's discovery document and key set. A token
signed by a key the cache does not know makes one fresh fetch of the JWKS (the provider rotated
its keys); a token that still does not verify is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

__all__ = ["Attempt", "ProviderError", "Providers", "TokenRefused"]

METADATA_TTL_S = 3_600.0
LEEWAY_S = 60


class ProviderError(RuntimeError):
    """The identity provider could not be reached or answered something unusable."""


class TokenRefused(ValueError):
    """The provider refused the code, or its ID token failed a check."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the browser is sent to the provider with, and what must come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass
class Providers:
    timeout_s: float = 10.0
    _metadata: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _jwks: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                r = await http.get(url, headers={"Accept": "application/json"})
                r.raise_for_status()
                body = r.json()
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise ProviderError(f"{url}: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise ProviderError(f"{url}: not a JSON object")
        return body

    async def metadata(self, issuer: str) -> dict[str, Any]:
        cached = self._metadata.get(issuer)
        if cached and time.monotonic() - cached[0] < METADATA_TTL_S:
            return cached[1]
        meta = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if meta.get("issuer") != issuer:
            raise ProviderError(f"the discovery document names issuer {meta.get('issuer')!r}, not {issuer!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(meta.get(key), str):
                raise ProviderError(f"the discovery document has no {key}")
        self._metadata[issuer] = (time.monotonic(), meta)
        return meta

    async def _keys(self, issuer: str, *, fresh: bool) -> KeySet:
        if fresh or issuer not in self._jwks:
            self._jwks[issuer] = await self._get_json((await self.metadata(issuer))["jwks_uri"])
        try:
            return KeySet.import_key_set(self._jwks[issuer])  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise ProviderError("the provider's JWKS cannot be read") from exc

    async def begin(self, issuer: str, *, client_id: str, redirect_uri: str) -> Attempt:
        meta = await self.metadata(issuer)
        state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
        url = add_params_to_uri(
            meta["authorization_endpoint"],
            [
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("scope", "openid email profile"),
                ("state", state),
                ("nonce", nonce),
                ("code_challenge", create_s256_code_challenge(verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return Attempt(url, state, nonce, verifier)

    async def exchange(
        self,
        issuer: str,
        *,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        nonce: str,
    ) -> dict[str, Any]:
        """The verified ID token's claims for this authorization code."""
        meta = await self.metadata(issuer)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        basic = "client_secret_basic" in methods
        if not basic:
            form |= {"client_id": client_id, "client_secret": client_secret}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                r = await http.post(
                    meta["token_endpoint"],
                    data=form,
                    auth=httpx.BasicAuth(client_id, client_secret) if basic else httpx.USE_CLIENT_DEFAULT,
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise ProviderError(f"token endpoint: {type(exc).__name__}") from exc
        if r.status_code != 200:
            raise TokenRefused(f"the identity provider refused the code ({r.status_code})")
        try:
            token = r.json()
            id_token = token["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenRefused("the identity provider sent no ID token") from exc
        return await self.verify(
            issuer, id_token, client_id=client_id, nonce=nonce, access_token=token.get("access_token")
        )

    async def verify(
        self, issuer: str, id_token: str, *, client_id: str, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        meta = await self.metadata(issuer)
        algorithms = [a for a in meta.get("id_token_signing_alg_values_supported") or ["RS256"] if a != "none"]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                decoded = jwt.decode(id_token, await self._keys(issuer, fresh=False), registry=registry)
            except InvalidKeyIdError:  # a key we have not seen: the provider may have rotated
                decoded = jwt.decode(id_token, await self._keys(issuer, fresh=True), registry=registry)
            params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
            if access_token:
                params["access_token"] = access_token
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
                params,
            )
            claims.validate(leeway=LEEWAY_S)
        except (JoseError, ValueError) as exc:
            raise TokenRefused(f"the ID token is not valid ({type(exc).__name__})") from exc
        return dict(claims)
