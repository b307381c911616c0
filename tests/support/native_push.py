"""FCM and APNs as their clients see them, served on loopback over TLS by hypercorn.

`FcmService` is Google's OAuth 2.0 token endpoint and the FCM HTTP v1 `messages:send`: it
verifies the service account's signed JWT assertion (RFC 7523) with the account's public key,
issues bearers, and takes a message only with one of them and in FCM's shape. `ApnsService` is
APNs over HTTP/2 (ALPN h2, nothing else): it verifies the ES256 provider token against the key's
public half and checks the apns-* headers and the payload. Both answer their services' error
shapes for the devices a test marks (unregistered, invalid, busy, down).

The TLS certificate is made here (a CA and a leaf for 127.0.0.1); clients trust the CA by
SSL_CERT_FILE, which httpx reads, as a deployment behind a TLS-inspecting proxy would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls(folder: Path) -> Tls:
    """A CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopback test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    tls = Tls(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tls


class _Served:
    """A Starlette app served by hypercorn over TLS on a loopback port of its own."""

    port: int = 0
    alpn: tuple[str, ...] = ("h2", "http/1.1")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # the service's "now", which a test may move with its client's
        self.changed = asyncio.Condition()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def app(self) -> Starlette:
        raise NotImplementedError

    async def start(self, tls: Tls) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # connections made before hypercorn serves wait in the backlog
        self.port = sock.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the socket now
        config.certfile, config.keyfile = str(tls.cert_file), str(tls.key_file)
        config.alpn_protocols = list(self.alpn)
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 2
        self._task = asyncio.create_task(serve(self.app(), config, shutdown_trigger=self._stop.wait))  # type: ignore[arg-type]

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _changed(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 20) -> None:
        async def met() -> None:
            async with self.changed:
                await self.changed.wait_for(condition)

        await asyncio.wait_for(met(), timeout)


def _aip193(code: int, status: str, message: str, error_code: str | None = None, **extra: Any) -> JSONResponse:
    """A Google API error answer, as FCM sends it."""
    details: list[dict[str, Any]] = []
    if error_code:
        details.append({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code})
    if "field" in extra:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": extra["field"], "description": message}],
            }
        )
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status, "details": details}},
        status_code=code,
        headers=extra.get("headers"),
    )


@dataclass
class Answer:
    """How the service answers one device: `times` answers of `status` first (0: always)."""

    kind: str  # unregistered | invalid | busy | down
    times: int = 0


class FcmService(_Served):
    """Google's token endpoint and FCM's messages:send for one project and one service account."""

    def __init__(self, project_id: str = "responders-test", clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.project_id = project_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.client_email = f"alerting@{project_id}.iam.gserviceaccount.com"
        self.public_key = RSAKey.import_key(
            self._key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self.bearers: dict[str, float] = {}  # issued access token -> expiry
        self.sign_ins = 0
        self.refused_sign_ins: list[str] = []
        self.received: dict[str, list[dict[str, Any]]] = {}  # registration token -> messages
        self.attempts: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}
        self.expires_in = 3600

    def service_account(self) -> dict[str, Any]:
        """The key file as Google's console downloads it."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.key_id,
            "private_key": self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "client_email": self.client_email,
            "client_id": "1" * 21,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": f"{self.url}/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com",
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/v1/projects/{project}/messages:send", self._send, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        try:
            if form.get("grant_type") != JWT_BEARER:
                raise ValueError("unsupported_grant_type")
            token = jwt.decode(str(form.get("assertion", "")), self.public_key, algorithms=["RS256"])
            claims, now = token.claims, self.clock()
            if token.header.get("kid") != self.key_id:
                raise ValueError("kid")
            if claims.get("iss") != self.client_email or claims.get("aud") != f"{self.url}/token":
                raise ValueError("iss/aud")
            if FCM_SCOPE not in str(claims.get("scope", "")).split():
                raise ValueError("scope")
            if not (claims["iat"] - 60 <= now <= claims["exp"]) or claims["exp"] - claims["iat"] > 3600:
                raise ValueError("lifetime")
        except (ValueError, KeyError, TypeError, JoseError) as exc:
            self.refused_sign_ins.append(str(exc))
            await self._changed()
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid JWT"}, status_code=400)
        bearer = "ya29." + secrets.token_urlsafe(32)
        self.bearers[bearer] = self.clock() + self.expires_in
        self.sign_ins += 1
        await self._changed()
        return JSONResponse({"access_token": bearer, "expires_in": self.expires_in, "token_type": "Bearer"})

    async def _send(self, request: Request) -> Response:
        raw = await request.body()  # read whole before answering: hypercorn's h2 trips on a stream answered early
        auth = request.headers.get("authorization", "")
        bearer = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or self.bearers.get(bearer, 0) < self.clock():
            return _aip193(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if request.path_params["project"] != self.project_id:
            return _aip193(403, "PERMISSION_DENIED", "Permission denied.", "SENDER_ID_MISMATCH")
        body = json.loads(raw)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("token"), str):
            return _aip193(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", "INVALID_ARGUMENT")
        data = message.get("data", {})
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return _aip193(400, "INVALID_ARGUMENT", "Invalid value at 'message.data'", "INVALID_ARGUMENT")
        android = message.get("android", {})
        if android.get("priority") not in (None, "normal", "high") or not str(android.get("ttl", "0s")).endswith("s"):
            return _aip193(400, "INVALID_ARGUMENT", "Invalid value at 'message.android'", "INVALID_ARGUMENT")
        device = message["token"]
        self.attempts[device] = self.attempts.get(device, 0) + 1
        answer = self.answers.get(device)
        try:
            if answer is not None and (answer.times == 0 or self.attempts[device] <= answer.times):
                return self._refuse(answer)
            self.received.setdefault(device, []).append(message)
            return JSONResponse({"name": f"projects/{self.project_id}/messages/{secrets.token_hex(8)}"})
        finally:
            await self._changed()

    @staticmethod
    def _refuse(answer: Answer) -> Response:
        if answer.kind == "unregistered":
            return _aip193(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if answer.kind == "invalid":
            return _aip193(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
                field="message.token",
            )
        if answer.kind == "busy":
            return _aip193(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED", headers={"Retry-After": "1"})
        return _aip193(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")


class ApnsService(_Served):
    """APNs's provider API for one team's signing key, over HTTP/2 only."""

    alpn = ("h2",)

    def __init__(
        self, topics: tuple[str, ...] = ("uk.nhs.responders",), clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(clock)
        self.topics = topics
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.key_id = "ABC123DEFG"
        self.team_id = "DEF123GHIJ"
        self.public_key = ECKey.import_key(
            self._key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self.received: dict[str, list[dict[str, Any]]] = {}  # device token -> {headers, payload}
        self.attempts: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}
        self.refused: list[str] = []  # reasons given for requests refused for their shape or auth
        self.provider_tokens: set[str] = set()

    def p8(self) -> str:
        """The signing key as Apple's developer site downloads it (AuthKey_<key id>.p8)."""
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/3/device/{token}", self._push, methods=["POST"])])

    async def _push(self, request: Request) -> Response:
        try:
            return await self._answer(request)
        finally:
            await self._changed()

    def _refuse(self, status: int, reason: str) -> Response:
        if status in (400, 403):
            self.refused.append(reason)
        body: dict[str, Any] = {"reason": reason}
        if status == 410:
            body["timestamp"] = int(time.time() * 1000)
        return JSONResponse(body, status_code=status, headers={"apns-id": secrets.token_hex(16)})

    async def _answer(self, request: Request) -> Response:
        raw = await request.body()  # read whole before answering: hypercorn's h2 trips on a stream answered early
        if request.scope.get("http_version") != "2":
            return self._refuse(400, "BadRequest (HTTP/2 only)")
        device = request.path_params["token"]
        auth = request.headers.get("authorization", "")
        if not auth.startswith("bearer "):
            return self._refuse(403, "MissingProviderToken")
        try:
            token = jwt.decode(auth.removeprefix("bearer "), self.public_key, algorithms=["ES256"])
        except (JoseError, ValueError):
            return self._refuse(403, "InvalidProviderToken")
        if token.header.get("kid") != self.key_id or token.claims.get("iss") != self.team_id:
            return self._refuse(403, "InvalidProviderToken")
        if not isinstance(token.claims.get("iat"), int) or self.clock() - token.claims["iat"] > 3600:
            return self._refuse(403, "ExpiredProviderToken")
        self.provider_tokens.add(auth)
        headers = request.headers
        if headers.get("apns-topic") not in self.topics:
            return self._refuse(400, "TopicDisallowed")
        if headers.get("apns-push-type") != "alert":
            return self._refuse(400, "InvalidPushType")
        if headers.get("apns-priority") not in ("10", "5"):
            return self._refuse(400, "BadPriority")
        if not headers.get("apns-expiration", "").isdigit():
            return self._refuse(400, "BadExpirationDate")
        if len(device) != 64 or any(c not in "0123456789abcdef" for c in device):
            return self._refuse(400, "BadDeviceToken")
        if len(raw) > 4096:
            return self._refuse(413, "PayloadTooLarge")
        try:
            payload = json.loads(raw)
            alert = payload["aps"]["alert"]
            assert isinstance(alert, dict) and alert.get("title") and alert.get("body")
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._refuse(400, "PayloadEmpty")
        self.attempts[device] = self.attempts.get(device, 0) + 1
        answer = self.answers.get(device)
        if answer is not None and (answer.times == 0 or self.attempts[device] <= answer.times):
            status, reason = {
                "unregistered": (410, "Unregistered"),
                "invalid": (400, "BadDeviceToken"),
                "busy": (429, "TooManyRequests"),
                "down": (503, "ServiceUnavailable"),
            }[answer.kind]
            return self._refuse(status, reason)
        self.received.setdefault(device, []).append({"headers": dict(headers), "payload": payload})
        return Response(status_code=200, headers={"apns-id": headers.get("apns-id") or secrets.token_hex(16)})
