"""Configuration comes from INTAKE_* variables, validated with a message naming each bad one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intake.config import Settings
from intake.lib.errors import ConfigError


def test_defaults_are_the_embedded_quick_start() -> None:
    settings = Settings.from_env({})
    assert settings.embedded_database
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.data_dir == Path(".intake")
    assert settings.seed_demo is True
    assert settings.oidc is None
    assert settings.max_body_bytes == 1_048_576


def test_external_database_and_oidc() -> None:
    settings = Settings.from_env(
        {
            "INTAKE_DATABASE_URL": "postgresql+asyncpg://intake:pw@db.internal:5432/intake",
            "INTAKE_OIDC_ISSUER": "https://login.city.example",
            "INTAKE_OIDC_AUDIENCE": "intake-api",
            "INTAKE_OIDC_JWKS_URL": "https://login.city.example/.well-known/jwks.json",
            "INTAKE_WORKERS": "4",
        }
    )
    assert not settings.embedded_database
    assert settings.seed_demo is False  # never seed a real database unless asked
    assert settings.oidc is not None
    assert settings.oidc.email_claim == "email"
    assert settings.workers == 4


def test_one_api_process_per_cpu_against_an_external_database_unless_told() -> None:
    external = {"INTAKE_DATABASE_URL": "postgresql+asyncpg://intake:pw@db.internal:5432/intake"}
    assert Settings.from_env({}).workers == 1  # the embedded database: one process
    assert Settings.from_env(external).workers == len(os.sched_getaffinity(0))
    assert Settings.from_env(external | {"INTAKE_WORKERS": "3"}).workers == 3


def test_a_read_replica_and_its_lag_limit() -> None:
    assert Settings.from_env({}).database_replica_url is None
    settings = Settings.from_env(
        {
            "INTAKE_DATABASE_URL": "postgresql+asyncpg://intake:pw@db-primary:5432/intake",
            "INTAKE_DATABASE_REPLICA_URL": "postgresql+asyncpg://intake:pw@db-replica:5432/intake",
        }
    )
    assert settings.database_replica_url == "postgresql+asyncpg://intake:pw@db-replica:5432/intake"
    assert settings.replica_max_lag_seconds == 30
    limited = Settings.from_env({"INTAKE_REPLICA_MAX_LAG_SECONDS": "5"})
    assert limited.replica_max_lag_seconds == 5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INTAKE_PORT": "eighty"}, "INTAKE_PORT='eighty' is not a whole number"),
        ({"INTAKE_PORT": "70000"}, "INTAKE_PORT=70000 must be between 1 and 65535"),
        ({"INTAKE_DATABASE_URL": "sqlite:///intake.db"}, "must start with postgresql+asyncpg://"),
        (
            {"INTAKE_DATABASE_REPLICA_URL": "postgresql://db-replica/intake"},
            "INTAKE_DATABASE_REPLICA_URL must start with postgresql+asyncpg://",
        ),
        (
            {"INTAKE_REPLICA_MAX_LAG_SECONDS": "-1"},
            "INTAKE_REPLICA_MAX_LAG_SECONDS=-1 must be between 0 and 86400",
        ),
        ({"INTAKE_LOG_LEVEL": "loud"}, "INTAKE_LOG_LEVEL='loud'"),
        ({"INTAKE_SEED_DEMO": "maybe"}, "INTAKE_SEED_DEMO='maybe' must be true or false"),
        ({"INTAKE_OIDC_ISSUER": "https://login.city.example"}, "missing INTAKE_OIDC_AUDIENCE"),
        ({"INTAKE_WORKERS": "4"}, "INTAKE_WORKERS > 1 needs an external database"),
        (
            {"INTAKE_PORTFOLIO_STALE_SECONDS": "7200"},
            "INTAKE_PORTFOLIO_STALE_SECONDS=7200 must be between 0 and 3600",
        ),
        (
            {"INTAKE_HEADER_TIMEOUT_SECONDS": "0"},
            "INTAKE_HEADER_TIMEOUT_SECONDS=0 must be between 1 and 600",
        ),
        ({"INTAKE_BODY_TIMEOUT_SECONDS": "soon"}, "INTAKE_BODY_TIMEOUT_SECONDS='soon' is not"),
        (
            {"INTAKE_KEEPALIVE_TIMEOUT_SECONDS": "601"},
            "INTAKE_KEEPALIVE_TIMEOUT_SECONDS=601 must be between 1 and 600",
        ),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="Invalid configuration") as error:
        Settings.from_env(env)
    assert message in str(error.value)


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"INTAKE_PORT": "x", "INTAKE_DB_POOL_SIZE": "0"})
    assert "INTAKE_PORT" in str(error.value)
    assert "INTAKE_DB_POOL_SIZE" in str(error.value)
