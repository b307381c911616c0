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
    console_import_max_rows: int = Field(default=5000, ge=1)

    @field_validator("redis_prefix")
    @classmethod
    def _prefix_has_no_braces(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("redis_prefix must not contain braces (they mark Redis Cluster hash tags)")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
