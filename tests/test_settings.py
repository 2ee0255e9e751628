"""Settings: one frozen, validated object from defaults, WERKSTATT_* variables and flags."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.settings import Settings, sqlalchemy_url


def test_defaults() -> None:
    settings = Settings.load({})
    assert settings.port == 8080 and settings.host == "127.0.0.1"
    assert settings.database.get_secret_value() == "sqlite:///werkstatt.db"
    assert settings.redis is None and settings.default_language == "de"


def test_environment_then_flags() -> None:
    env = {
        "WERKSTATT_PORT": "9000",
        "WERKSTATT_HOST": "0.0.0.0",
        "WERKSTATT_ALLOWED_ORIGINS": "https://a.example, https://b.example/",
        "WERKSTATT_SECURE_COOKIES": "true",
        "UNRELATED": "x",
    }
    settings = Settings.load(env, port=9100)
    assert settings.port == 9100  # the flag wins
    assert settings.host == "0.0.0.0"
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.secure_cookies is True


def test_secrets_never_show() -> None:
    settings = Settings.load(
        {
            "WERKSTATT_DATABASE": "postgresql://werkstatt:s3cret@db/werkstatt",
            "WERKSTATT_REDIS": "redis://:t0ken@cache:6379/0",
        }
    )
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "s3cret" not in text and "t0ken" not in text
    assert settings.database.get_secret_value().endswith("@db/werkstatt")


def test_settings_are_frozen() -> None:
    settings = Settings.load({})
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "env",
    [
        {"WERKSTATT_PORT": "eighty"},
        {"WERKSTATT_PORT": "70000"},
        {"WERKSTATT_DEFAULT_LANGUAGE": "fr"},
        {"WERKSTATT_MAX_MESSAGE_BYTES": "10"},
        {"WERKSTATT_RATE_PER_SECOND": "0"},
    ],
)
def test_bad_values_are_refused_with_their_name(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        Settings.load(env)
    name = next(iter(env)).removeprefix("WERKSTATT_").lower()
    assert name in str(info.value)


def test_database_urls() -> None:
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"
    assert sqlalchemy_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    # the URLs of the drivers used before the store ran on threads still work
    assert sqlalchemy_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"
    assert sqlalchemy_url("postgresql+asyncpg://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ValueError, match="mysql"):
        sqlalchemy_url("mysql://u@h/db")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://stadt.example/datenschutz", "https://stadt.example/datenschutz"),
        ("/impressum#datenschutz", "/impressum#datenschutz"),
        ("", None),
    ],
)
def test_privacy_url_takes_a_web_address_or_a_path(value: str, expected: str | None) -> None:
    assert Settings.load({"WERKSTATT_PRIVACY_URL": value}).privacy_url == expected


@pytest.mark.parametrize("value", ["//evil.example/x", "javascript:alert(1)", "ftp://files.example/p", "datenschutz"])
def test_privacy_url_refuses_what_is_no_link_to_a_page(value: str) -> None:
    with pytest.raises(ValidationError, match="privacy_url"):
        Settings.load({"WERKSTATT_PRIVACY_URL": value})


def test_ice_servers_from_json_or_urls_and_their_credentials_never_show() -> None:
    env = {
        "WERKSTATT_ICE_SERVERS": '[{"urls": "turn:turn.example.org:3478", "username": "ws", "credential": "t0psecret"},'
        ' {"urls": ["stun:stun.example.org"]}]'
    }
    settings = Settings.load(env)
    turn, stun = settings.ice_servers
    assert turn.client() == {"urls": ["turn:turn.example.org:3478"], "username": "ws", "credential": "t0psecret"}
    assert stun.client() == {"urls": ["stun:stun.example.org"]}
    for text in (repr(settings), str(settings), str(settings.model_dump()), repr(turn)):
        assert "t0psecret" not in text
    plain = Settings.load({"WERKSTATT_ICE_SERVERS": "stun:a.example:3478, turn:b.example"}).ice_servers
    assert [s.urls for s in plain] == [("stun:a.example:3478",), ("turn:b.example",)]
    assert Settings.load({}).ice_servers == ()
    for bad in ("https://turn.example.org", '[{"urls": []}]', "[not json"):
        with pytest.raises(ValidationError) as info:
            Settings.load({"WERKSTATT_ICE_SERVERS": bad})
        assert "ice_servers" in str(info.value)
