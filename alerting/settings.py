"""One settings object for every process; each knob has a default that serves a laptop."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, PositiveInt, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE = "sqlite:///" + str(Path("var") / "alerting.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ALERTING_",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
        populate_by_name=True,  # Settings(environment=...) as well as ALERTING_ENV
    )

    redis_url: str = "redis://127.0.0.1:6379/0"
    # A Redis Cluster: `redis_url` names any one of its nodes (the rest are discovered), and every
    # client becomes a cluster client. A trust's keys share one slot (hash tags), frames travel by
    # sharded pub/sub; Celery cannot queue on a cluster, so `broker_url` must then be set.
    redis_cluster: bool = False
    # Celery's broker: unset, the Redis at `redis_url`; or RabbitMQ (`amqp://user:pass@host:5672/vhost`),
    # or another Redis. Locks, referees and the bus stay on `redis_url` whatever the broker is.
    broker_url: str | None = None
    database_url: str = DEFAULT_SQLITE
    operator_token: str | None = None

    # Every Redis key and channel starts with this, and Celery's queue is named after it, so two
    # deployments (or two test runs) can share one Redis without seeing each other.
    redis_prefix: str = "alerting:"

    # Walking speed and route factor turn a straight-line distance into an ETA: responders walk
    # or run a street network that is on average ~1.3x longer than the crow flies.
    walking_speed_mps: float = Field(default=1.6, gt=0)
    route_factor: float = Field(default=1.3, ge=1)
    # A responder's profile says how they travel; these replace the walking speed in their ETA.
    # 4.5 m/s is an urban cycling pace; 8.0 m/s (~29 km/h) a car in town, parking included.
    bike_speed_mps: float = Field(default=4.5, gt=0)
    car_speed_mps: float = Field(default=8.0, gt=0)

    # The live index files positions into time buckets of this width; expired buckets vanish on
    # their own, so stale positions leave the searched set without a sweep.
    location_bucket_s: int = Field(default=300, ge=10)

    # Connections per process (plus as many again in overflow); a request waits this long for one
    # in a flood before it fails with 503 rather than hanging.
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout_s: float = Field(default=60.0, gt=0)

    sweep_interval_s: float = Field(default=5.0, gt=0)
    # Phase timers and push checks are gathered this long and sent to the worker as one message
    # per due time (alerting/services/task_queue.py); 0 sends each at once.
    task_batch_window_s: float = Field(default=0.1, ge=0, le=1)
    # Each API process remembers who a bearer token belongs to this long; any change to credentials
    # or a responder's status empties every process's memory at once (services/credential_cache.py).
    credential_cache_s: float = Field(default=5.0, ge=0, le=60)
    # Each API process checks this often whether Redis lost the live index, and writes its sockets'
    # positions back; phases wait for that, at most `index_rebuild_max_wait_s` (live/index_generation.py).
    index_heartbeat_s: float = Field(default=1.0, gt=0, le=60)
    index_rebuild_max_wait_s: float = Field(default=15.0, gt=0, le=300)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    # Hosts a callback_url may name although they resolve to loopback, link-local, private or
    # multicast addresses (refused otherwise, against server-side request forgery): exact host
    # names or IP networks, comma-separated, e.g. `cad.internal,10.20.0.0/16`.
    callback_allowed_hosts: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # AED registers and zone files as published (an Overpass answer for a region, a regions file)
    # are larger than any API call: these two uploads may be this big.
    register_max_bytes: int = Field(default=32 * 1_048_576, gt=0)

    ws_send_queue: int = Field(default=64, ge=1)
    ws_auth_timeout_s: float = Field(default=5.0, gt=0)
    ws_ping_interval_s: float = Field(default=20.0, gt=0)
    # How long the API keeps an idle HTTP keep-alive connection (alerting/serve.py says why: longer
    # than clients keep theirs, so the client closes first).
    http_keep_alive_s: int = Field(default=75, ge=1, le=3600)
    # The API process's garbage collector (gc.set_threshold). CPython's default (700, 10, 10) made
    # an API process holding 10,000 sockets run full collections of its whole heap, ~0.36 s each,
    # 14 times in a one-minute benchmark; these collect young objects in a few ms and leave the
    # long-lived socket state alone (BENCHMARKS.md, "Garbage collection").
    gc_thresholds: tuple[PositiveInt, PositiveInt, PositiveInt] = (10_000, 50, 100)

    # --- Realtime delivery: location ingest and Web Push ---
    # Positions per responder per second (token bucket of `location_burst`); the excess is dropped
    # with an `error` frame on the socket or 429 over HTTP. Admitted positions are written to the
    # live index in batches of up to `location_batch_max`.
    location_rate_per_s: float = Field(default=1.0, gt=0)
    location_burst: int = Field(default=1, ge=1)
    location_batch_max: int = Field(default=500, ge=1)
    # Web Push (RFC 8030/8291/8292). The VAPID private key is a PEM or a base64url raw P-256 key;
    # when unset, one is generated into `vapid_key_file` on first start and reused after.
    vapid_private_key: str | None = None
    vapid_key_file: str = str(Path("var") / "vapid_private.pem")
    vapid_subject: str = "mailto:operator@localhost"
    push_timeout_s: float = Field(default=10.0, gt=0)
    # Real push services are https; plain http endpoints are for tests and local development only.
    push_allow_http: bool = False
    # Devices one responder may register for pushes (phone, tablet, ...); a new one beyond replaces
    # the one registered longest ago.
    push_max_devices: int = Field(default=10, ge=1, le=100)
    # A push its service answered 429 or 5xx is sent again, up to this many sends in all, after the
    # service's Retry-After or a jittered backoff from `push_retry_base_s`, never waiting more than
    # `push_retry_max_wait_s` in all (an alert is worth seconds).
    push_retry_attempts: int = Field(default=3, ge=1, le=10)
    push_retry_base_s: float = Field(default=0.5, gt=0)
    push_retry_max_wait_s: float = Field(default=10.0, ge=0)
    # Native pushes (alerting/push/fcm.py, apns.py). A kind is offered (`GET /v1/me/push-config`
    # `kinds`) once its credentials are set; in production credentials that do not read stop the
    # start. FCM: a service-account key file's JSON, or its path; the project defaults to the
    # account's `project_id`.
    fcm_service_account: SecretStr | None = None
    fcm_project_id: str | None = None
    fcm_url: str = "https://fcm.googleapis.com"
    # APNs token-based auth: the .p8 key (PEM, or its path), its key id and the team id; `apns_topics`
    # the apps' bundle ids a device may register for (comma-separated; empty: any); the sandbox
    # serves development builds of the app. `apns_url` overrides both hosts.
    apns_key: SecretStr | None = None
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_topics: Annotated[list[str], NoDecode] = []
    apns_sandbox: bool = False
    apns_url: str | None = None
    # --- What-if replay ---
    # How often the worker counts available responders into the density history (counts per H3 cell,
    # group set and hour of week; never positions): every 5 min is 12 samples per hour each week.
    density_interval_s: float = Field(default=300.0, gt=0)
    # The longest period one replay may cover: a year of incidents stays well inside a request.
    replay_max_days: int = Field(default=366, ge=1)
    # --- Geo ---
    # An AED farther than this from an incident is not put in the alert: fetching it would take
    # longer than the ambulance. 2,000 m is ~27 minutes there and back at the default walking pace.
    aed_max_distance_m: float = Field(default=2000.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True

    # --- CAD webhooks, CAD key rotation and per-key rate limits ---
    # Fernet key that encrypts the CAD keys kept for signing webhooks (they must be retrievable,
    # unlike every other credential). Unset: generated once into secret_key_file (development).
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("var") / "secret.key"
    # A failed delivery is retried after a jittered delay below base * 2^(attempts-1), capped.
    webhook_backoff_base_s: float = Field(default=1.0, gt=0)
    webhook_backoff_cap_s: float = Field(default=300.0, gt=0)
    # After a rotation the previous CAD key keeps working (and signing) for this long.
    cad_key_grace_s: float = Field(default=86_400.0, ge=0)
    # A time the CAD gives (ambulance_arrived_at) may be this far ahead of ours, and no further.
    cad_clock_skew_s: float = Field(default=120.0, ge=0)
    # Token bucket per credential: a sustained rate per second and a burst.
    rate_limits_enabled: bool = True
    rate_limit_cad_per_s: float = Field(default=20.0, gt=0)
    rate_limit_cad_burst: int = Field(default=100, ge=1)
    rate_limit_per_s: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=200, ge=1)

    @field_validator("callback_allowed_hosts", "apns_topics", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from cryptography.fernet import Fernet

            try:
                Fernet(value.get_secret_value().encode())
            except ValueError as exc:
                raise ValueError(
                    "secret_key must be a Fernet key (32 url-safe base64-encoded bytes); "
                    "generate one with cryptography.fernet.Fernet.generate_key()"
                ) from exc
        return value

    # --- Privacy retention and socket limits ---
    # How long a position is kept: the live index's time buckets expire this long after they end,
    # and the periodic retention task (every `retention_interval_s`) drops any older position left
    # in a bucket still alive. A policy's `location_max_age_s` beyond it finds nobody older.
    position_retention_s: int = Field(default=86_400, ge=60)
    retention_interval_s: float = Field(default=3_600, gt=0)
    # One responder may hold a few sockets (phone and tablet); more is a leak or abuse.
    ws_max_sockets_per_responder: int = Field(default=3, ge=1)
    # A client frame larger than this is refused (close 1009): real messages are under 1 KiB.
    ws_max_message_bytes: int = Field(default=16_384, ge=256)

    # --- Admin console and responder web client (alerting/web, alerting/api/console.py) ---
    # Map tiles (Leaflet URL template); the pages still draw areas, rings and markers without them.
    web_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    web_tile_attribution: str = "&copy; OpenStreetMap contributors"
    # The live map authenticates with a single-use ticket, so the admin key never travels in a URL.
    console_ticket_ttl_s: int = Field(default=30, ge=5, le=600)
    # A live-map stream ends after this long and the page reconnects with a new ticket.
    console_stream_max_s: float = Field(default=300, gt=0)
    # The live map re-sends open incidents this often, so responders' positions move on screen.
    console_refresh_s: float = Field(default=10, gt=0)
    # A cancelled or closed incident stays on the live map, greyed, this long after it ended.
    console_ended_keep_s: float = Field(default=900, ge=0)
    console_import_max_rows: int = Field(default=5000, ge=1)

    # --- Staff sign-in (alerting/services/staff_sessions.py, sso.py) ---
    # ALERTING_ENV (ALERTING_ENVIRONMENT, its former name, is read too). `development` serves a
    # laptop over plain http: session cookies without `Secure`, identity providers and callback
    # URLs on http, keys generated into var/. `production` refuses to start without real secrets
    # (operator token, secret key, VAPID key) rather than generating them (`_production_secrets`).
    environment: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("ALERTING_ENV", "ALERTING_ENVIRONMENT")
    )
    # Where people reach the console; invite links start with it. Unset: the address of the request.
    public_url: str | None = None
    # A session ends after this long without a request, and after `absolute` whatever happens.
    session_idle_timeout_s: float = Field(default=1_800, gt=0)
    session_absolute_timeout_s: float = Field(default=43_200, gt=0)
    staff_invite_ttl_s: float = Field(default=259_200, gt=0)
    # Failed sign-ins allowed per account and per client address within the window (a token
    # bucket refilling over the window); beyond them the answer is 429 with Retry-After.
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_s: float = Field(default=900, gt=0)
    # After a rotation the previous admin (API) key keeps working for this long.
    admin_key_grace_s: float = Field(default=3_600.0, ge=0)
    # A single sign-on attempt must come back from the identity provider within this time.
    sso_state_ttl_s: int = Field(default=600, ge=30)
    sso_http_timeout_s: float = Field(default=10.0, gt=0)

    # --- Responder onboarding (alerting/services/invites.py, registrations.py, credentials.py) ---
    # Responder invite links and QR codes start with `public_url` (above) too.
    invite_ttl_s: int = Field(default=7 * 86_400, ge=60)
    # Applications without a credential: per client address, a sustained rate and a burst.
    registration_rate_per_hour: float = Field(default=10.0, gt=0)
    registration_burst: int = Field(default=5, ge=1)
    # Credential files (PDF, JPEG or PNG, checked by content): 5 MiB each, at most this many per
    # application.
    credential_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    registration_max_files: int = Field(default=10, ge=1)
    # A verified credential this close to its expiry reminds its responder once (frame and push);
    # the worker looks this often.
    credential_reminder_days: int = Field(default=30, ge=1)
    credential_reminder_interval_s: float = Field(default=3_600, gt=0)
    # --- Aftercare (alerting/services/check_ins.py) ---
    # The worker looks this often for check-ins due (one due sooner is also queued at its time).
    check_in_interval_s: float = Field(default=60, gt=0)
    # A responder's check-in and their answers are kept this long after the check-in was made.
    check_in_retention_s: int = Field(default=180 * 86_400, ge=3_600)
    # Email to a trust's wellbeing contacts ("need to talk"). Without smtp_host nothing is sent:
    # the request is only in the console's wellbeing queue, and the log says so.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_starttls: bool = True  # upgrade the connection before signing in (port 587)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "alerting@localhost"
    smtp_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("redis_prefix")
    @classmethod
    def _prefix_has_no_braces(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("redis_prefix must not contain braces (they mark Redis Cluster hash tags)")
        return value

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    @model_validator(mode="after")
    def _cluster_has_a_broker(self) -> Settings:
        if self.redis_cluster and not self.broker_url:
            raise ValueError(
                "ALERTING_REDIS_CLUSTER needs ALERTING_BROKER_URL: Celery cannot queue tasks on a Redis Cluster "
                "(use RabbitMQ, amqp://..., or a standalone Redis)"
            )
        return self

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        """Outside development every secret is given, and none is a placeholder: a deployment of
        several processes that each generated its own key would fail in ways hard to trace."""
        if self.environment == "development":
            return self
        problems = []
        if not self.operator_token or _placeholder(self.operator_token):
            problems.append("ALERTING_OPERATOR_TOKEN must be set")
        elif len(self.operator_token) < MIN_TOKEN_CHARS:
            problems.append(f"ALERTING_OPERATOR_TOKEN must be at least {MIN_TOKEN_CHARS} characters")
        if self.secret_key is None:
            problems.append("ALERTING_SECRET_KEY must be set (a Fernet key)")
        if not self.vapid_private_key or _placeholder(self.vapid_private_key):
            problems.append(
                "ALERTING_VAPID_PRIVATE_KEY must be set (a P-256 private key: PEM, or base64url raw or DER)"
            )
        elif not _vapid_key_reads(self.vapid_private_key):
            problems.append("ALERTING_VAPID_PRIVATE_KEY is not a P-256 private key")
        if problems:
            raise ValueError(f"in {self.environment}, {'; '.join(problems)}; see .env.example")
        return self


MIN_TOKEN_CHARS = 32
# Values copied from an example file rather than chosen: refused like a missing secret.
PLACEHOLDERS = frozenset({"changeme", "change-me", "change_me", "changethis", "secret", "placeholder", "todo", "xxx"})


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or not value.strip()


def _vapid_key_reads(value: str) -> bool:
    from py_vapid import Vapid02

    try:
        if value.lstrip().startswith("-----BEGIN"):
            Vapid02.from_pem(value.strip().encode())
        else:
            Vapid02.from_string(value.strip())
    except Exception:  # noqa: BLE001 - py_vapid raises whatever its decoders raise; all mean "not a key"
        return False
    return True


@lru_cache
def get_settings() -> Settings:
    return Settings()
