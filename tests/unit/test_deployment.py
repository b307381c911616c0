"""docker-compose.yml cannot be run here, so it is checked by reading: every role runs a real CLI
command, every variable it sets is a real setting, and nginx balances over the API services."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alerting.cli import build_parser
from alerting.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_ROLES = ["migrate", "api1", "api2", "worker", "beat"]


def test_the_topology_is_two_apis_a_worker_beat_redis_and_postgres():
    assert set(APP_ROLES + ["redis", "postgres", "nginx"]) <= set(SERVICES)
    assert "--appendonly" in SERVICES["redis"]["command"], "Redis must keep an AOF so live state survives a restart"
    assert "--no-beat" in SERVICES["worker"]["command"], "beat runs once, in its own service"


@pytest.mark.parametrize("role", ["api1", "api2", "worker", "beat", "redis", "postgres"])
def test_long_running_roles_are_restarted_when_they_exit(role):
    """A worker that loses Redis under it exits non-zero; what runs it must start it again."""
    assert SERVICES[role].get("restart") in ("always", "unless-stopped", "on-failure")


@pytest.mark.parametrize("role", APP_ROLES)
def test_each_role_runs_a_real_cli_command(role):
    command = SERVICES[role]["command"]
    assert command[:3] == ["python", "-m", "alerting"]
    build_parser().parse_args(command[3:])  # exits (fails the test) on an unknown command or flag


@pytest.mark.parametrize("role", APP_ROLES)
def test_each_variable_is_a_setting(role):
    fields = {f"ALERTING_{name.upper()}" for name, f in Settings.model_fields.items() if f.validation_alias is None}
    fields |= {a for f in Settings.model_fields.values() if f.validation_alias for a in f.validation_alias.choices}
    assert set(SERVICES[role]["environment"]) <= fields


def test_nginx_balances_over_the_api_services_and_upgrades_websockets():
    conf = (ROOT / "deploy" / "nginx" / "alerting.conf").read_text()
    upstreams = set(re.findall(r"server (\w+):8000", conf))
    assert upstreams == {"api1", "api2"}
    assert "proxy_set_header Upgrade $http_upgrade" in conf
