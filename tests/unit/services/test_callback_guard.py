"""Which callback URLs may receive webhooks: each refused address class, the allow-list, https."""

from __future__ import annotations

import pytest

from alerting.services.callback_guard import refusal
from alerting.settings import Settings
from tests.support.stack import production_secrets


def resolving_to(*addresses: str):
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


async def not_resolving(host: str, port: int) -> list[str]:
    raise OSError("Name or service not known")


DEV = Settings(environment="development")


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd00::5", "private"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "shared"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
async def test_each_address_class_is_refused_by_name_and_by_literal(address, words):
    reason = await refusal("http://cad.example.org/hook", DEV, resolver=resolving_to(address))
    assert reason is not None and words in reason and "callback_url" in reason
    literal = f"[{address}]" if ":" in address else address
    assert words in (await refusal(f"http://{literal}:8080/hook", DEV, resolver=not_resolving) or "")


async def test_a_public_address_is_accepted():
    assert await refusal("https://cad.example.org/hook", DEV, resolver=resolving_to("93.184.215.14")) is None


async def test_one_private_address_among_public_ones_refuses_the_host():
    reason = await refusal("https://cad.example.org/", DEV, resolver=resolving_to("93.184.215.14", "10.0.0.1"))
    assert reason is not None and "private" in reason


async def test_a_host_that_does_not_resolve_is_refused():
    assert "does not resolve" in (await refusal("https://nowhere.invalid/", DEV, resolver=not_resolving) or "")


async def test_the_allow_list_names_hosts_and_networks():
    settings = Settings(callback_allowed_hosts="cad.internal, 10.20.0.0/16,::1")
    assert await refusal("http://cad.internal/hook", settings, resolver=not_resolving) is None
    assert await refusal("http://dispatch.trust/", settings, resolver=resolving_to("10.20.3.4")) is None
    assert await refusal("http://[::1]:9000/", settings, resolver=not_resolving) is None
    assert "private" in (await refusal("http://dispatch.trust/", settings, resolver=resolving_to("10.21.0.1")) or "")
    assert "loopback" in (await refusal("http://127.0.0.1/", settings, resolver=not_resolving) or "")


async def test_https_is_required_outside_development():
    production = Settings(environment="production", callback_allowed_hosts=["cad.internal"], **production_secrets())
    assert await refusal("http://cad.internal/hook", production) == "callback_url must be https"
    assert await refusal("https://cad.internal/hook", production) is None
    assert (
        await refusal("http://cad.internal/hook", DEV.model_copy(update={"callback_allowed_hosts": ["cad.internal"]}))
        is None
    )
