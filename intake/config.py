"""Settings read from the environment once, validated, and passed in: never a global."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from intake.lib.addresses import header_address, is_address
from intake.lib.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LOG_LEVELS = {"debug", "info", "warning", "error"}
_LOG_FORMATS = {"text", "json"}
# Who may name a request (X-Request-ID) by default: a proxy on the same host.
_LOOPBACK = "127.0.0.0/8,::1/128"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# smtp://: port 587 (submission) and STARTTLS when the server offers it; smtps://: TLS at once.
_SMTP_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True, slots=True)
class OIDCSettings:
    """Production authentication: tokens from the city's identity provider."""

    issuer: str
    audience: str
    jwks_url: str
    email_claim: str = "email"
    jwks_timeout_seconds: float = 5.0  # how long one fetch of the signing keys may take
    # The pages' sign-in (authorization code with PKCE): Intake's client id at the provider
    # (the audience when unset) and, for a confidential client, its secret.
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class MailSettings:
    """E-mail notifications: the SMTP server they are sent through, and their sender."""

    host: str
    port: int
    # smtps://: TLS from the first byte; smtp://: STARTTLS whenever the server offers it.
    implicit_tls: bool
    from_address: str
    from_name: str = ""
    username: str | None = None
    # Never in a repr, a log line or an error message.
    password: str | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        """The server as logs and messages name it: never the credentials."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Intake reads from its environment (see docs/configuration.md)."""

    data_dir: Path = Path(".intake")
    database_url: str | None = None
    # A streaming replica for reads that may lag (intake.db.replica), and how far behind it
    # may be before those reads go to the primary.
    database_replica_url: str | None = None
    replica_max_lag_seconds: int = 30
    host: str = "127.0.0.1"
    port: int = 8000
    # API processes `intake serve` runs: one per usable CPU against an external database
    # (usable_cpus), one with the embedded database, which only one process may serve.
    workers: int = 1
    log_level: str = "info"
    # "text": one readable line per record; "json": one JSON object per line, for shipping.
    log_format: str = "text"
    # The peers whose X-Request-ID is kept (a load balancer, a proxy); others get a new id.
    trusted_proxies: tuple[IPNetwork, ...] = tuple(
        ipaddress.ip_network(cidr) for cidr in _LOOPBACK.split(",")
    )
    # GET /metrics asks for this bearer token when set; unset, it answers loopback peers only.
    metrics_token: str | None = field(default=None, repr=False)
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
    # E-mail notifications: off (None) without INTAKE_SMTP_URL.
    mail: MailSettings | None = None
    # How often each API process sends due mails; 0 turns the background worker off.
    mail_seconds: int = 10
    # How often each API process embeds the problems due (intake.triage.meanings) and stores
    # their matches by meaning; 0 turns the background worker off.
    meaning_seconds: int = 2
    # Where people open Intake (links in mails), without a trailing slash.
    public_url: str | None = None
    # Slow and idle clients (docs/configuration.md): a request's headers must arrive within
    # this many seconds of the connection opening (or of the previous response) ...
    header_timeout_seconds: int = 10
    # ... and its body within this many seconds of the handler starting to read it;
    body_timeout_seconds: int = 30
    # an idle connection is closed this many seconds after its last response.
    keepalive_timeout_seconds: int = 5

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

        replica_url = env.get("INTAKE_DATABASE_REPLICA_URL", "").strip() or None
        if replica_url is not None and not replica_url.startswith("postgresql+asyncpg://"):
            problems.append("INTAKE_DATABASE_REPLICA_URL must start with postgresql+asyncpg://")

        log_level = text("INTAKE_LOG_LEVEL", "info").lower()
        if log_level not in _LOG_LEVELS:
            problems.append(f"INTAKE_LOG_LEVEL={log_level!r} must be one of {sorted(_LOG_LEVELS)}")

        log_format = text("INTAKE_LOG_FORMAT", "text").lower()
        if log_format not in _LOG_FORMATS:
            problems.append(f"INTAKE_LOG_FORMAT={log_format!r} must be text or json")
        trusted_proxies = _networks(text("INTAKE_TRUSTED_PROXIES", _LOOPBACK), problems)
        metrics_token = env.get("INTAKE_METRICS_TOKEN", "").strip() or None
        if metrics_token is not None and len(metrics_token) < 16:
            problems.append("INTAKE_METRICS_TOKEN must be at least 16 characters long")

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
                    client_id=env.get("INTAKE_OIDC_CLIENT_ID", "").strip() or None,
                    client_secret=env.get("INTAKE_OIDC_CLIENT_SECRET", "").strip() or None,
                )

        mail = _mail(env, problems)
        public_url = _public_url(env.get("INTAKE_PUBLIC_URL", "").strip(), problems)

        settings = cls(
            data_dir=Path(text("INTAKE_DATA_DIR", ".intake")),
            database_url=database_url,
            database_replica_url=replica_url,
            replica_max_lag_seconds=integer("INTAKE_REPLICA_MAX_LAG_SECONDS", 30, 0, 24 * 60 * 60),
            host=text("INTAKE_HOST", "127.0.0.1"),
            port=integer("INTAKE_PORT", 8000, 1, 65535),
            workers=integer("INTAKE_WORKERS", 1 if database_url is None else usable_cpus(), 1, 64),
            log_level=log_level,
            log_format=log_format,
            trusted_proxies=trusted_proxies,
            metrics_token=metrics_token,
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
            mail=mail,
            mail_seconds=integer("INTAKE_MAIL_SECONDS", 10, 0, 60 * 60),
            meaning_seconds=integer("INTAKE_MEANING_SECONDS", 2, 0, 60 * 60),
            public_url=public_url,
            header_timeout_seconds=integer("INTAKE_HEADER_TIMEOUT_SECONDS", 10, 1, 600),
            body_timeout_seconds=integer("INTAKE_BODY_TIMEOUT_SECONDS", 30, 1, 3600),
            keepalive_timeout_seconds=integer("INTAKE_KEEPALIVE_TIMEOUT_SECONDS", 5, 1, 600),
        )
        if settings.workers > 1 and database_url is None:
            problems.append(
                "INTAKE_WORKERS > 1 needs an external database (set INTAKE_DATABASE_URL)"
            )
        if problems:
            raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))
        return settings


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share), at most 64: the
    default number of API processes against an external database, one per CPU."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 64))


def _writable(name: str, address: str) -> bool:
    try:
        header_address(name, address)
    except ValueError:
        return False
    return True


def _mail(env: Mapping[str, str], problems: list[str]) -> MailSettings | None:
    """INTAKE_SMTP_URL and INTAKE_MAIL_FROM, or None when e-mail is off. A problem names the
    variable and what is wrong, never the URL itself: it may hold a password."""
    before = len(problems)
    sender = env.get("INTAKE_MAIL_FROM", "").strip()
    from_name, from_address = parseaddr(sender)
    if sender and not (
        is_address(from_address)
        and not any(c in sender for c in "\r\n")
        and _writable(from_name, from_address)
    ):
        problems.append(
            f"INTAKE_MAIL_FROM={sender!r} is not an e-mail address "
            "(e.g. intake@city.example or Intake <intake@city.example>)"
        )
    url = env.get("INTAKE_SMTP_URL", "").strip()
    if not url:
        return None
    if not sender:
        problems.append("INTAKE_SMTP_URL needs INTAKE_MAIL_FROM, the address mails come from")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_PORTS:
        problems.append(
            "INTAKE_SMTP_URL must start with smtp:// (STARTTLS when the server offers it) "
            "or smtps:// (TLS from the start)"
        )
    if not parts.hostname:
        problems.append("INTAKE_SMTP_URL names no host (e.g. smtp://mail.city.example:587)")
    try:
        port = parts.port or _SMTP_PORTS.get(scheme, 587)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        problems.append("INTAKE_SMTP_URL's port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        problems.append("INTAKE_SMTP_URL takes no path, query or fragment after the port")
    if parts.password is not None and not parts.username:
        problems.append("INTAKE_SMTP_URL has a password but no user name")
    if len(problems) > before:
        return None
    return MailSettings(
        host=parts.hostname or "",
        port=port,
        implicit_tls=scheme == "smtps",
        from_address=from_address,
        from_name=from_name,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _public_url(raw: str, problems: list[str]) -> str | None:
    """INTAKE_PUBLIC_URL without its trailing slash, or None when unset."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        problems.append(
            f"INTAKE_PUBLIC_URL={raw!r} must be an http(s) URL, e.g. https://intake.city.example"
        )
        return None
    if parts.query or parts.fragment:
        problems.append(f"INTAKE_PUBLIC_URL={raw!r} takes no query or fragment")
        return None
    return raw.rstrip("/")


def _networks(raw: str, problems: list[str]) -> tuple[IPNetwork, ...]:
    """INTAKE_TRUSTED_PROXIES: addresses or CIDRs separated by commas; ``none`` trusts no one."""
    if raw.lower() == "none":
        return ()
    networks = []
    for part in (item.strip() for item in raw.split(",")):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            problems.append(
                f"INTAKE_TRUSTED_PROXIES: {part!r} is not an address or a CIDR "
                "(e.g. 10.0.0.0/8, ::1)"
            )
    return tuple(networks)
