"""Settings that reach the runtime directly, checked where they are parsed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.settings import Settings
from tests.support.stack import production_secrets


def test_gc_thresholds_come_from_the_environment_as_a_list(monkeypatch):
    monkeypatch.setenv("ALERTING_GC_THRESHOLDS", "[20000, 20, 50]")
    assert Settings().gc_thresholds == (20_000, 20, 50)


@pytest.mark.parametrize("bad", ["[0, 10, 10]", "[700, 10]", "[700, 10, -1]"])
def test_gc_thresholds_that_would_stop_or_break_the_collector_are_refused(monkeypatch, bad):
    monkeypatch.setenv("ALERTING_GC_THRESHOLDS", bad)
    with pytest.raises(ValidationError, match="gc_thresholds"):
        Settings()


def test_the_environment_is_read_from_alerting_env_and_its_former_name(monkeypatch):
    monkeypatch.setenv("ALERTING_ENVIRONMENT", "production")
    for name, value in production_secrets().items():
        monkeypatch.setenv(f"ALERTING_{name.upper()}", value)
    assert Settings().environment == "production"  # the name docs/console.md gave first
    monkeypatch.setenv("ALERTING_ENV", "development")
    assert Settings().environment == "development"  # the current name wins
    monkeypatch.delenv("ALERTING_ENV")
    monkeypatch.delenv("ALERTING_ENVIRONMENT")
    assert Settings().environment == "development"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("operator_token", "ALERTING_OPERATOR_TOKEN must be set"),
        ("secret_key", "ALERTING_SECRET_KEY must be set"),
        ("vapid_private_key", "ALERTING_VAPID_PRIVATE_KEY must be set"),
    ],
)
def test_production_refuses_to_generate_a_secret(missing, named):
    given = {k: v for k, v in production_secrets().items() if k != missing}
    with pytest.raises(ValidationError, match=named):
        Settings(environment="production", **given)
    assert Settings(environment="development", **given).environment == "development"  # a laptop makes its own


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("operator_token", "changeme", "ALERTING_OPERATOR_TOKEN must be set"),
        ("operator_token", "  ", "ALERTING_OPERATOR_TOKEN must be set"),
        ("operator_token", "short-but-chosen", "at least 32 characters"),
        ("vapid_private_key", "CHANGETHIS", "ALERTING_VAPID_PRIVATE_KEY must be set"),
        ("vapid_private_key", "bm90IGEga2V5", "not a P-256 private key"),
    ],
)
def test_production_refuses_placeholder_secrets(field, value, named):
    with pytest.raises(ValidationError, match=named):
        Settings(environment="production", **{**production_secrets(), field: value})


def test_production_starts_with_real_secrets_in_either_vapid_form():
    from py_vapid import Vapid02

    assert Settings(environment="production", **production_secrets()).environment == "production"
    pem = Vapid02()
    pem.generate_keys()
    settings = Settings(
        environment="production", **{**production_secrets(), "vapid_private_key": pem.private_pem().decode()}
    )
    assert settings.vapid_private_key


def test_the_cli_refuses_to_start_and_says_why(monkeypatch):
    from alerting.cli import main
    from alerting.settings import get_settings

    monkeypatch.setenv("ALERTING_ENV", "production")
    monkeypatch.delenv("ALERTING_OPERATOR_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match="refusing to start: in production, ALERTING_OPERATOR_TOKEN must be set"):
            main(["migrate"])
    finally:
        get_settings.cache_clear()


def test_one_retention_knob_sets_the_index_buckets_and_the_purge(tmp_path):
    from alerting.services.context import build_services

    settings = Settings(
        position_retention_s=7200,
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        vapid_key_file=str(tmp_path / "vapid.pem"),
        secret_key_file=tmp_path / "secret.key",
    )
    assert build_services(settings).index.retention_s == 7200
    assert "location_retention_s" not in Settings.model_fields


def test_the_api_keeps_idle_connections_longer_than_clients_keep_theirs(monkeypatch):
    from fastapi import FastAPI

    from alerting.serve import server_config

    def config() -> int:
        s = Settings()
        cfg = server_config(
            FastAPI(), host="127.0.0.1", port=0, ws_ping_interval_s=20, ws_max_size=1, keep_alive_s=s.http_keep_alive_s
        )
        return cfg.timeout_keep_alive

    assert config() == 75  # not uvicorn's 5 s, which a CAD's pooled connection races
    monkeypatch.setenv("ALERTING_HTTP_KEEP_ALIVE_S", "120")
    assert config() == 120
    monkeypatch.setenv("ALERTING_HTTP_KEEP_ALIVE_S", "0")
    with pytest.raises(ValidationError, match="http_keep_alive_s"):
        Settings()
