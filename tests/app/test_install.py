"""An installed Intake, not a checkout: docs/deployment.md's install, end to end.

The wheel pip builds from a clean copy of the repository is installed into a fresh virtual
environment; from a folder outside the repository, its `intake` migrates a new database of
the suite's server, and `intake serve` answers a page (templates, static files) and the API
(the framing word lists, the similar problems' synonyms). The new environment borrows this
one's dependencies (a ``.pth`` file naming its site-packages) and builds with its
setuptools, so nothing is fetched. 13 s on two idle cores, 25 s on busy ones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from intake.db.models import Person
from intake.pages import sessions
from tests.builders import COMPLETE_PROBLEM, ROOT, plain_url, recreate_database, with_database
from tests.helpers import PATIENCE, intake, intake_serve

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)


def repository_files() -> list[str]:
    """What a commit of the working tree would hold (CI's fresh clone): the files git tracks
    and the new ones it does not ignore, never `.venv`, `.intake`, caches or build output."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in set(listed.split("\0")) if name and (ROOT / name).is_file())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install <checkout>` builds, from a clean copy of the repository."""
    source = tmp_path_factory.mktemp("source")
    for name in repository_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = tmp_path_factory.mktemp("wheel")
    # With this environment's setuptools (the dev extra), as `pip install` would fetch it.
    options = ["--quiet", "--no-deps", "--no-index", "--no-build-isolation"]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *options, "--wheel-dir", str(built), str(source)],
        capture_output=True,
        text=True,
        timeout=5 * PATIENCE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = built.glob("intake-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel: its `bin` folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=False)
    pip = [sys.executable, "-m", "pip", "--python", str(home / "bin" / "python")]
    result = subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=5 * PATIENCE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The dependencies: this environment's site-packages, after the new one's own (a path in
    # a .pth file is appended; the .pth files in it, this checkout's editable install among
    # them, are not read).
    ours = {sysconfig.get_path(kind) for kind in ("purelib", "platlib")}
    theirs = sysconfig.get_path("purelib", vars={"base": str(home), "platbase": str(home)})
    (Path(theirs) / "dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    return home / "bin"


@pytest.fixture
def database(server_url: str) -> Iterator[str]:
    """A new, empty database on the suite's server, dropped afterwards."""
    name = f"intake_installed_{os.getpid()}"
    asyncio.run(recreate_database(server_url, name))
    yield with_database(server_url, name)

    async def drop() -> None:
        admin = await asyncpg.connect(plain_url(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


def test_the_wheel_holds_every_file_intake_reads(wheel: Path) -> None:
    """Every file git tracks under intake/ (modules, templates, static files, word lists) and
    the migrations, as the installed package finds them (``intake.db.migrate``)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    files = repository_files()
    expected = {name for name in files if name.startswith("intake/")}
    expected |= {f"intake/{name}" for name in files if name.startswith("migrations/")}
    expected.add("intake/alembic.ini")
    assert sorted(expected - names) == []


async def page_session(url: str, email: str) -> str:
    """A signed-in page session, as the city's sign-in (OIDC) starts one: on an operated
    database there is no demo sign-in page."""
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            person = await session.scalar(select(Person.id).where(Person.email == email))
            token, _ = await sessions.start(session, person)
    finally:
        await engine.dispose()
    return token


def test_installed_intake_migrates_and_serves_from_any_folder(
    installed: Path, database: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"  # the working folder: not the repository
    elsewhere.mkdir()
    (tmp_path / "data").mkdir()  # where `intake token` and `intake serve` share their key
    settings = {"INTAKE_DATABASE_URL": database, "INTAKE_DATA_DIR": str(tmp_path / "data")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PYTHON"))}
    env.update(settings)

    def installed_intake(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(installed / "intake"), *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=2 * PATIENCE,
        )

    upgraded = installed_intake("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    # A release's migrations are not a checkout's: no new revision goes into site-packages.
    revision = installed_intake("db", "revision", "-m", "nothing")
    assert revision.returncode == 1
    assert f"installed, with its release's migrations in {installed.parent}" in revision.stderr
    # The first person, by this checkout's `intake` (in process: only the migrations, the
    # pages and the API above are the point).
    ana = ("--email", "ana@city.example", "--name", "Ana Ruiz", "--department", "DTI")
    for command in (
        ("departments", "add", "--code", "DTI", "--name", "Technology and Innovation"),
        ("people", "add", *ana),
        ("token", "ana@city.example"),
    ):
        done = intake(*command, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    auth = {"Authorization": f"Bearer {done.stdout.split()[-1]}"}

    with (
        intake_serve(settings, command=[str(installed / "intake")], cwd=elsewhere) as serving,
        httpx.Client(base_url=serving.url, timeout=PATIENCE) as http,
    ):
        body = {**COMPLETE_PROBLEM, "title": "We need an app for street tree permits"}
        created = http.post("/api/v1/problems", json=body, headers=auth)
        assert created.status_code == 201, created.text
        [hint] = created.json()["framing_hints"]  # framing_words.txt
        assert (hint["field"], hint["phrase"]) == ("title", "We need an app")
        problem_id = created.json()["id"]
        submitted = http.post(
            f"/api/v1/problems/{problem_id}/submit",
            headers={**auth, "If-Match": created.headers["etag"]},
        )
        assert submitted.status_code == 200, submitted.text
        similar = http.get(f"/api/v1/problems/{problem_id}/similar", headers=auth)
        assert similar.status_code == 200, similar.text  # synonyms.txt
        ready = http.get("/health/ready")  # no matches built with another dictionary
        assert ready.status_code == 200, ready.text
        assert "similar_problems" not in ready.json()

        http.cookies.set(sessions.COOKIE, asyncio.run(page_session(database, "ana@city.example")))
        page = http.get(f"/problems/{problem_id}")  # base.html, problem.html and the hints
        assert page.status_code == 200, page.text
        assert "Describe the problem, not a solution" in page.text
        assert "We need an app" in page.text
        assert http.get("/static/intake.css").status_code == 200
    assert serving.process.returncode == 0, serving.output
