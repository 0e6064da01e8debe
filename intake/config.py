"""Settings read from the environment once, validated, and passed in: never a global."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from intake.lib.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LOG_LEVELS = {"debug", "info", "warning", "error"}


@dataclass(frozen=True, slots=True)
class OIDCSettings:
    """Production authentication: tokens from the city's identity provider."""

    issuer: str
    audience: str
    jwks_url: str
    email_claim: str = "email"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Intake reads from its environment (see docs/configuration.md)."""

    data_dir: Path = Path(".intake")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    oidc: OIDCSettings | None = None
    token_ttl_minutes: int = 12 * 60
    db_pool_size: int = 20
    db_max_overflow: int = 10
    max_body_bytes: int = 1_048_576
    seed_demo: bool = True
    # How often each API process records SLA breaches; 0 turns the background sweep off.
    sla_sweep_seconds: int = 60
    # How often each API process delivers due webhooks; 0 turns the background worker off.
    webhook_seconds: int = 5
    # API requests a minute per caller and process; 0 turns rate limiting off.
    rate_limit_per_minute: int = 600
    # How old a current portfolio view's body may be when it answers a request while the
    # view is computed again in the background; 0: every change is computed before answering.
    portfolio_stale_seconds: int = 60

    @property
    def embedded_database(self) -> bool:
        """True when Intake runs its own PostgreSQL in the data folder."""
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate ``INTAKE_*`` variables; raise ConfigError listing every bad one."""
        env = os.environ if environ is None else environ
        problems: list[str] = []

        def text(name: str, default: str) -> str:
            value = env.get(name, "").strip()
            return value or default

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a whole number")
                return default
            if not low <= value <= high:
                problems.append(f"{name}={value} must be between {low} and {high}")
            return value

        def boolean(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw in _TRUE:
                return True
            if raw in _FALSE:
                return False
            problems.append(f"{name}={raw!r} must be true or false")
            return default

        database_url = env.get("INTAKE_DATABASE_URL", "").strip() or None
        if database_url is not None and not database_url.startswith("postgresql+asyncpg://"):
            problems.append(
                "INTAKE_DATABASE_URL must start with postgresql+asyncpg:// "
                "(Intake runs on PostgreSQL only, through asyncpg)"
            )

        log_level = text("INTAKE_LOG_LEVEL", "info").lower()
        if log_level not in _LOG_LEVELS:
            problems.append(f"INTAKE_LOG_LEVEL={log_level!r} must be one of {sorted(_LOG_LEVELS)}")

        oidc: OIDCSettings | None = None
        oidc_values = {
            name: env.get(name, "").strip()
            for name in ("INTAKE_OIDC_ISSUER", "INTAKE_OIDC_AUDIENCE", "INTAKE_OIDC_JWKS_URL")
        }
        if any(oidc_values.values()):
            missing = [name for name, value in oidc_values.items() if not value]
            if missing:
                problems.append(
                    "OIDC needs INTAKE_OIDC_ISSUER, INTAKE_OIDC_AUDIENCE and "
                    f"INTAKE_OIDC_JWKS_URL together; missing {', '.join(missing)}"
                )
            elif not oidc_values["INTAKE_OIDC_JWKS_URL"].startswith(("https://", "http://")):
                problems.append("INTAKE_OIDC_JWKS_URL must be an http(s) URL")
            else:
                oidc = OIDCSettings(
                    issuer=oidc_values["INTAKE_OIDC_ISSUER"],
                    audience=oidc_values["INTAKE_OIDC_AUDIENCE"],
                    jwks_url=oidc_values["INTAKE_OIDC_JWKS_URL"],
                    email_claim=text("INTAKE_OIDC_EMAIL_CLAIM", "email"),
                )

        settings = cls(
            data_dir=Path(text("INTAKE_DATA_DIR", ".intake")),
            database_url=database_url,
            host=text("INTAKE_HOST", "127.0.0.1"),
            port=integer("INTAKE_PORT", 8000, 1, 65535),
            workers=integer("INTAKE_WORKERS", 1, 1, 64),
            log_level=log_level,
            oidc=oidc,
            token_ttl_minutes=integer("INTAKE_TOKEN_TTL_MINUTES", 12 * 60, 1, 60 * 24 * 30),
            db_pool_size=integer("INTAKE_DB_POOL_SIZE", 20, 1, 200),
            db_max_overflow=integer("INTAKE_DB_MAX_OVERFLOW", 10, 0, 200),
            max_body_bytes=integer("INTAKE_MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
            seed_demo=boolean("INTAKE_SEED_DEMO", database_url is None),
            sla_sweep_seconds=integer("INTAKE_SLA_SWEEP_SECONDS", 60, 0, 24 * 60 * 60),
            webhook_seconds=integer("INTAKE_WEBHOOK_SECONDS", 5, 0, 60 * 60),
            rate_limit_per_minute=integer("INTAKE_RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000),
            portfolio_stale_seconds=integer("INTAKE_PORTFOLIO_STALE_SECONDS", 60, 0, 60 * 60),
        )
        if settings.workers > 1 and database_url is None:
            problems.append(
                "INTAKE_WORKERS > 1 needs an external database (set INTAKE_DATABASE_URL)"
            )
        if problems:
            raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))
        return settings
