"""A real OpenID Provider on loopback for the single sign-on tests, built on authlib's server
(Flask integration): discovery, JWKS, authorization code with PKCE (S256 required), nonce, and
RS256 ID tokens. The person "signed in" at the provider is chosen by the test (`sign_in_as`), and
the test can make it misbehave the ways a hostile or broken provider would: sign with a key it
does not publish, issue for another audience, issue an expired token, or repeat an old nonce.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.models import ClientMixin
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, redirect, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from tests.support.stack import free_port


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class User:
    sub: str
    email: str
    name: str
    email_verified: bool = True


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OpenIDProvider:
    """`start()` serves on a free loopback port; `issuer` is its base URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.signed_in: User | None = None
        self.codes: dict[str, Code] = {}
        self.keys: list[RSAKey] = [self._new_key()]
        self.unpublished = self._new_key()
        # misbehaviour for the next ID tokens, set by a test
        self.forge = False
        self.claims_override: dict[str, Any] = {}
        self.nonce_override: str | None = None
        self.challenges_seen: list[str | None] = []
        self.jwks_fetches = 0
        self._server = None
        self._thread: threading.Thread | None = None
        self.app = self._build()

    @staticmethod
    def _new_key() -> RSAKey:
        return RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:12], "use": "sig", "alg": "RS256"})

    # -- what a test controls --------------------------------------------------------------
    def register_client(self, redirect_uri: str) -> Client:
        client = Client(f"client-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(24), [redirect_uri])
        self.clients[client.client_id] = client
        return client

    def add_user(self, email: str, name: str, *, email_verified: bool = True) -> User:
        user = User(uuid.uuid4().hex, email, name, email_verified)
        self.users[email] = user
        return user

    def sign_in_as(self, email: str) -> None:
        self.signed_in = self.users[email]

    def rotate_keys(self, *, keep_old: bool = False) -> None:
        """A new signing key, published at once; the old one kept or dropped from the JWKS."""
        self.keys = [self._new_key(), *(self.keys if keep_old else [])]

    @property
    def signing_key(self) -> RSAKey:
        return self.unpublished if self.forge else self.keys[0]

    # -- the provider ----------------------------------------------------------------------
    def _build(self) -> Flask:
        app = Flask(__name__)
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    user=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> User:
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.signing_key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": provider.signing_key.kid or ""}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.client_id], "exp": int(time.time()) + 300}

            def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.nonce_override is not None:
                    claims["nonce"] = provider.nonce_override
                return claims | provider.claims_override

            def generate_user_info(self, user: User, scope: str) -> UserInfo:
                return UserInfo(sub=user.sub, name=user.name, email=user.email, email_verified=user.email_verified)

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=lambda token, req: None)
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                {
                    "issuer": provider.issuer,
                    "authorization_endpoint": f"{provider.issuer}/authorize",
                    "token_endpoint": f"{provider.issuer}/token",
                    "jwks_uri": f"{provider.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "email", "profile"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "code_challenge_methods_supported": ["S256"],
                    "claims_supported": ["sub", "email", "email_verified", "name"],
                }
            )

        @app.get("/jwks")
        def jwks():
            provider.jwks_fetches += 1
            return jsonify(KeySet(list(provider.keys)).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            provider.challenges_seen.append(request.args.get("code_challenge"))
            if request.args.get("code_challenge_method") != "S256":
                return jsonify({"error": "invalid_request", "error_description": "PKCE S256 required"}), 400
            if provider.signed_in is None:
                return jsonify({"error": "login_required"}), 400
            return server.create_authorization_response(grant_user=provider.signed_in)

        @app.post("/token")
        def token():
            return server.create_token_response()

        @app.get("/")
        def home():
            return redirect("/.well-known/openid-configuration")

        return app

    def start(self) -> OpenIDProvider:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
