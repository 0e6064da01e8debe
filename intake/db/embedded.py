"""The embedded PostgreSQL: a real server in the data folder, for `make run` and the tests.

Binaries come from the ``pgserver`` package (PostgreSQL 16) or, failing that, from the
system's PostgreSQL installation. The cluster listens on loopback only, on a free port
chosen at start, with a random password kept in the data folder (mode 0600). PostgreSQL
refuses to run as root, so under root the cluster belongs to an unprivileged system user.

Several Intake processes share one cluster: whoever finds it stopped starts it, and only
the process that started it stops it (``intake serve`` on exit; a CLI command that had to
start it for a moment stops it again). ``intake serve`` also watches the cluster it started
(``Supervisor``) and starts it again should its postmaster die.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from intake.lib.errors import ConfigError

logger = logging.getLogger(__name__)

DATABASE_NAME = "intake"
SUPERUSER = "intake"
_SYSTEM_USERS = ("postgres", "intake-pg")


def binary_dirs() -> list[Path]:
    """Where PostgreSQL's programs may be, in order: pgserver's bundle, the system's
    installations (newest first), then the PATH."""
    candidates = []
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: [int(p) for p in path.parent.name.split(".") if p.isdigit()],
        reverse=True,
    )
    on_path = shutil.which("pg_ctl") or shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    return candidates


def find_binaries() -> Path:
    """Directory holding initdb, pg_ctl and postgres: pgserver's bundle, else the system's."""
    for candidate in binary_dirs():
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise ConfigError(
        "No PostgreSQL binaries found: install the 'pgserver' package or PostgreSQL, "
        "or point INTAKE_DATABASE_URL at a running server."
    )


def _free_port(wanted: int | None = None) -> int:
    """``wanted`` when PostgreSQL could listen on it now, else any free port."""
    if wanted is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As PostgreSQL binds: connections of the server before, still in TIME_WAIT,
            # do not keep it from listening on the port again.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", wanted))
            except OSError:
                pass
            else:
                return wanted
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def holds_cluster(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds an embedded cluster already (nothing is created)."""
    return (data_dir / "postgres" / "PG_VERSION").exists()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs; a killed one nobody has reaped yet (a zombie) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by the cluster's user
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: the signal said it is there
    return stat_line.rpartition(")")[2].split()[:1] != ["Z"]


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster living in ``<data_dir>/postgres``."""

    data_dir: Path
    fast_and_unsafe: bool = False  # tests only: no fsync, the data is thrown away

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.pgdata = self.data_dir / "postgres"
        self.password_file = self.data_dir / "postgres-password"
        self.log_file = self.data_dir / "postgres.log"
        self.bin_dir = find_binaries()
        self._run_as = self._system_user() if os.geteuid() == 0 else None

    # -- lifecycle --------------------------------------------------------------------

    def ensure_initialized(self) -> None:
        """Create the cluster on first use (initdb), with a random password."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if holds_cluster(self.data_dir):
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted initdb
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password)
        self.password_file.chmod(0o600)
        self.pgdata.mkdir(mode=0o700)
        pwfile = self.pgdata.parent / f".initdb-pw-{secrets.token_hex(4)}"
        pwfile.write_text(password)
        try:
            self._hand_over(self.pgdata, pwfile)
            self._run(
                self.bin_dir / "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        settings = [
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
        ]
        if self.fast_and_unsafe:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# Intake embedded settings\n" + "\n".join(settings) + "\n")

    def follow(self, primary_url: str) -> None:
        """Make this cluster, not yet created, a streaming standby (a read replica) of the
        server at ``primary_url``: ``pg_basebackup -R`` with these binaries, so the primary
        must run the same major version and allow replication connections (an initdb
        cluster, the embedded one included, allows them from loopback). Then ``start`` it."""
        if holds_cluster(self.data_dir):
            raise ConfigError(f"{self.pgdata} holds a cluster already")
        primary = urlsplit(primary_url)
        password = unquote(primary.password or "")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text(password)
        self.password_file.chmod(0o600)
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made copy from an interrupted backup
        self.pgdata.mkdir(mode=0o700)
        self._hand_over(self.pgdata)
        self._run(
            self.bin_dir / "pg_basebackup",
            "--pgdata",
            str(self.pgdata),
            "--write-recovery-conf",
            "--checkpoint=fast",
            "--no-password",
            "--host",
            primary.hostname or "127.0.0.1",
            "--port",
            str(primary.port or 5432),
            "--username",
            unquote(primary.username or SUPERUSER),
            env={"PGPASSWORD": password},
        )

    def running_port(self) -> int | None:
        """The port of the cluster's running postmaster, or None when it is stopped."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4:
            return None
        try:
            pid, port = int(lines[0]), int(lines[3])
        except ValueError:
            return None
        return port if _alive(pid) else None

    def start(self, port: int | None = None) -> bool:
        """Start the cluster if it is stopped, on ``port`` if it is free, else on any free
        port; True when this call started it."""
        self.ensure_initialized()
        if self.running_port() is not None:
            return False
        if not self.log_file.exists():
            self.log_file.touch()
        self._hand_over(self.log_file)
        port = _free_port(port)
        try:
            self._run(
                self.bin_dir / "pg_ctl",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {port}",
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as error:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise ConfigError(f"The embedded PostgreSQL did not start:\n{tail}") from error
        return True

    def stop(self) -> None:
        if self.running_port() is None:
            return
        self._run(self.bin_dir / "pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def url(self, database: str = DATABASE_NAME) -> str:
        port = self.running_port()
        if port is None:
            raise ConfigError("The embedded PostgreSQL is not running.")
        password = quote(self.password_file.read_text().strip(), safe="")
        return f"postgresql+asyncpg://{SUPERUSER}:{password}@127.0.0.1:{port}/{database}"

    # -- running as root ----------------------------------------------------------------

    def _system_user(self) -> str:
        for name in _SYSTEM_USERS:
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            return name
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "intake-pg",
            ],
            check=True,
            capture_output=True,
        )
        return "intake-pg"

    def _hand_over(self, *paths: Path) -> None:
        """Under root: give the cluster's files to its user and let it reach them."""
        if self._run_as is None:
            return
        user = pwd.getpwnam(self._run_as)
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)
        for parent in [self.data_dir, *self.data_dir.parents]:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)

    def _run(self, *command: str | Path, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            [str(part) for part in command],
            check=True,
            env=None if env is None else {**os.environ, **env},
            capture_output=True,
            user=self._run_as,
            cwd=self.data_dir,
            start_new_session=True,  # Ctrl-C in the terminal reaches Intake, which stops us
        )


class Supervisor:
    """Keeps a cluster this process owns running: when its postmaster dies (a crash, the
    out-of-memory killer, ``kill -9``), starts it again in the same folder, on the same port
    when that is free. Connections follow the port (``follow_port``), so the API answers 503
    while the database is away and recovers by itself once it is back.
    """

    def __init__(self, server: EmbeddedPostgres, every: float = 1.0) -> None:
        self.server = server
        self.every = every
        self.port = server.running_port()

    def follow_port(self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        """SQLAlchemy's ``do_connect`` hook: connect to the port the cluster listens on now."""
        if self.port is not None:
            cparams["port"] = self.port

    async def watch(self) -> None:
        """Check every ``every`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            if self.server.running_port() is not None:
                continue
            logger.warning(
                "The embedded PostgreSQL in %s has stopped; starting it again.",
                self.server.pgdata,
            )
            starting = asyncio.ensure_future(asyncio.to_thread(self.server.start, self.port))
            try:
                await asyncio.shield(starting)
            except asyncio.CancelledError:
                # Shutting down: let the start finish, so that whoever stops the cluster
                # next finds it running rather than leaving it behind.
                with contextlib.suppress(Exception):
                    await starting
                raise
            except (ConfigError, OSError, subprocess.SubprocessError) as error:
                # Its old processes may still hold the shared memory for a moment.
                last_line = str(error).strip().splitlines()[-1:]
                logger.warning(
                    "The embedded PostgreSQL did not start (%s); trying again.",
                    last_line[0] if last_line else type(error).__name__,
                )
                continue
            self.port = self.server.running_port()
            logger.warning("The embedded PostgreSQL is running again, on port %s.", self.port)
