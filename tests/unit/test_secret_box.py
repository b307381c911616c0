"""Encrypted storage of signing keys: a development key made once, a configured key used as is."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from alerting.services.secret_box import SecretBox, SecretBoxError, load_key
from alerting.settings import Settings


def test_a_development_key_is_generated_once_and_private(tmp_path):
    settings = Settings(secret_key=None, secret_key_file=tmp_path / "var" / "secret.key")
    first, second = load_key(settings), load_key(settings)
    assert first == second
    assert stat.S_IMODE((tmp_path / "var" / "secret.key").stat().st_mode) == 0o600
    assert list((tmp_path / "var").iterdir()) == [tmp_path / "var" / "secret.key"]  # no temp file left
    Fernet(first)  # a valid key


def test_a_configured_key_wins_and_no_file_is_written(tmp_path):
    key = Fernet.generate_key().decode()
    settings = Settings(secret_key=key, secret_key_file=tmp_path / "secret.key")
    assert load_key(settings) == key.encode()
    assert not (tmp_path / "secret.key").exists()


def test_round_trip_and_a_wrong_key_is_a_clear_error():
    box = SecretBox(Fernet.generate_key())
    sealed = box.encrypt("cad_abc")
    assert "cad_abc" not in sealed and box.decrypt(sealed) == "cad_abc"
    with pytest.raises(SecretBoxError, match="ALERTING_SECRET_KEY"):
        SecretBox(Fernet.generate_key()).decrypt(sealed)


def test_a_malformed_configured_key_is_refused_at_startup():
    with pytest.raises(ValueError, match="Fernet key"):
        Settings(secret_key="not-a-key")


def test_the_refusal_does_not_echo_the_secret():
    with pytest.raises(ValueError) as refused:
        Settings(secret_key="my-very-secret-value")
    assert "my-very-secret-value" not in str(refused.value)
