"""One settings object for every process; each knob has a default that serves a laptop."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = "sqlite:///" + str(Path("var") / "alerting.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALERTING_", env_file=".env", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = DEFAULT_SQLITE
    operator_token: str | None = None

    # Every Redis key and channel starts with this, and Celery's queue is named after it, so two
    # deployments (or two test runs) can share one Redis without seeing each other.
    redis_prefix: str = "alerting:"

    # Walking speed and route factor turn a straight-line distance into an ETA: responders walk
    # or run a street network that is on average ~1.3x longer than the crow flies.
    walking_speed_mps: float = Field(default=1.6, gt=0)
    route_factor: float = Field(default=1.3, ge=1)

    # The live index files positions into time buckets of this width; expired buckets vanish on
    # their own, so stale positions leave the searched set without a sweep.
    location_bucket_s: int = Field(default=300, ge=10)

    # Connections per process (plus as many again in overflow); a request waits this long for one
    # in a flood before it fails with 503 rather than hanging.
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout_s: float = Field(default=60.0, gt=0)

    sweep_interval_s: float = Field(default=5.0, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)

    ws_send_queue: int = Field(default=64, ge=1)
    ws_auth_timeout_s: float = Field(default=5.0, gt=0)
    ws_ping_interval_s: float = Field(default=20.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True

    # --- hardening: privacy retention and socket limits ---
    # Positions older than this are purged from the live index by the periodic retention task.
    position_retention_s: float = Field(default=86_400, gt=0)
    retention_interval_s: float = Field(default=3_600, gt=0)
    # One responder may hold a few sockets (phone and tablet); more is a leak or abuse.
    ws_max_sockets_per_responder: int = Field(default=3, ge=1)
    # A client frame larger than this is refused (close 1009): real messages are under 1 KiB.
    ws_max_message_bytes: int = Field(default=16_384, ge=256)

    @field_validator("redis_prefix")
    @classmethod
    def _prefix_has_no_braces(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("redis_prefix must not contain braces (they mark Redis Cluster hash tags)")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
