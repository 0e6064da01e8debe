"""The `intake` command against a real database, and `intake serve` end to end."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import signal
import subprocess
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from intake import __version__
from intake.cli import _banner
from intake.config import Settings
from intake.db.embedded import EmbeddedPostgres
from intake.triage import meaning
from tests.builders import City
from tests.helpers import Client, act, answers, draft, events, intake, intake_serve, submitted


def test_people_add_then_token_then_duplicate_is_an_error(cli_env: dict[str, str]) -> None:
    assert intake("demo", env=cli_env).returncode == 0
    added = intake(
        "people",
        "add",
        "--email",
        "new.hire@city.example",
        "--name",
        "New Hire",
        "--department",
        "DOT",
        "--role",
        "requester",
        "--role",
        "leadership",
        env=cli_env,
    )
    assert added.returncode == 0, added.stderr
    assert "New Hire" in added.stdout

    token = intake("token", "new.hire@city.example", env=cli_env)
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().splitlines()[-1].count(".") == 2  # a JWT on the last line

    again = intake(
        "people",
        "add",
        "--email",
        "NEW.HIRE@city.example",
        "--name",
        "Again",
        "--department",
        "DOT",
        env=cli_env,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_people_add_rejects_unknown_department_and_role(
    cli_env: dict[str, str], city: City
) -> None:
    """The small city's departments (DOT among them) are all it needs: seeding the demo city
    costs more than the test."""
    unknown = intake(
        "people",
        "add",
        "--email",
        "a@city.example",
        "--name",
        "A",
        "--department",
        "ZZZ",
        env=cli_env,
    )
    assert unknown.returncode == 1
    assert "ZZZ" in unknown.stderr
    bad_role = intake(
        "people",
        "add",
        "--email",
        "a@city.example",
        "--name",
        "A",
        "--department",
        "DOT",
        "--role",
        "king",
        env=cli_env,
    )
    assert bad_role.returncode == 2


def test_first_department_and_admin_on_an_empty_database(cli_env: dict[str, str]) -> None:
    added = intake("departments", "add", "--code", "DTI", "--name", "Technology", env=cli_env)
    assert added.returncode == 0, added.stderr
    admin = intake(
        "people",
        "add",
        "--email",
        "ops@city.example",
        "--name",
        "Ops",
        "--department",
        "DTI",
        "--role",
        "admin",
        env=cli_env,
    )
    assert admin.returncode == 0, admin.stderr
    again = intake("departments", "add", "--code", "DTI", "--name", "Again", env=cli_env)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    bad = intake("departments", "add", "--code", "lower", "--name", "Bad", env=cli_env)
    assert bad.returncode == 1


def test_token_for_unknown_person_fails(cli_env: dict[str, str]) -> None:
    result = intake("token", "nobody@city.example", env=cli_env)
    assert result.returncode == 1
    assert "no person" in result.stderr


def test_version() -> None:
    result = intake("--version", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"intake {__version__}"


@pytest.mark.parametrize(
    ("database", "made"),
    [("embedded", False), ("embedded", True), ("configured", False)],
    ids=["embedded-missing", "embedded-empty-folder", "configured-missing"],
)
def test_token_names_a_data_folder_that_is_not_one_and_creates_nothing(
    cli_env: dict[str, str], tmp_path: Path, database: str, made: bool
) -> None:
    """A token signed with a key made up in the wrong folder would be refused by the
    server, and a new empty cluster knows nobody: say so in one line instead."""
    folder = tmp_path / "not-intake"
    if made:
        folder.mkdir()
    env = {**cli_env, "INTAKE_DATA_DIR": str(folder)}
    if database == "embedded":
        del env["INTAKE_DATABASE_URL"]
    result = intake("token", "requester@city.example", env=env)
    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert str(folder) in result.stderr and "INTAKE_DATA_DIR" in result.stderr
    assert folder.exists() is made
    assert not made or list(folder.iterdir()) == []


def test_token_on_a_database_without_tables_says_so(
    cli_env: dict[str, str], server_url: str
) -> None:
    empty = f"intake_cli_empty_{uuid.uuid4().hex[:8]}"
    admin = server_url.replace("postgresql+asyncpg://", "postgresql://")

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{empty}"'))
    try:
        url = make_url(cli_env["INTAKE_DATABASE_URL"]).set(database=empty)
        env = {**cli_env, "INTAKE_DATABASE_URL": url.render_as_string(hide_password=False)}
        result = intake("token", "requester@city.example", env=env)
    finally:
        asyncio.run(run(f'DROP DATABASE "{empty}" WITH (FORCE)'))
    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no Intake tables" in result.stderr and "intake db upgrade" in result.stderr


def test_the_banner_names_the_data_folder_a_token_needs() -> None:
    banner = _banner(replace(Settings(), data_dir=Path("/srv/intake data")))
    assert "INTAKE_DATA_DIR='/srv/intake data' " in banner
    assert "token requester@city.example" in banner.split("INTAKE_DATA_DIR=")[1]


def test_db_check_and_demo_is_idempotent(cli_env: dict[str, str]) -> None:
    check = intake("db", "check", env=cli_env)
    assert check.returncode == 0, check.stdout + check.stderr
    first = intake("demo", env=cli_env)
    assert "Seeded" in first.stdout
    second = intake("demo", env=cli_env)
    assert "already" in second.stdout


async def test_similar_backfill_fills_the_problems_from_before(
    client: Client, city: City, db: asyncpg.Connection, cli_env: dict[str, str]
) -> None:
    older = await submitted(client, city, title="Paper forms for restaurant inspections")
    newer = await submitted(client, city, "health", title="Restaurant inspections on paper forms")
    await submitted(client, city, "parks", title="Picnic shelter reservations double booked")
    await draft(client, city, title="Paper forms for inspections, a draft")
    # As the migration leaves a city from before similar problems were stored.
    await db.execute("DELETE FROM problem_similarities")
    await db.execute("UPDATE problems SET similar_computed_at = NULL")

    result = intake("similar", "backfill", "--batch", "2", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Filled 3 problems" in result.stdout  # the submitted ones; drafts wait for a read
    assert "similar" in result.stderr and "3/3" in result.stderr  # progress
    unfilled = await db.fetchval(
        "SELECT count(*) FROM problems WHERE reference IS NOT NULL AND similar_computed_at IS NULL"
    )
    assert unfilled == 0

    found = await client.get(
        f"/api/v1/problems/{older['id']}/similar", headers=city.auth("requester")
    )
    assert [match["id"] for match in found.json()][:1] == [newer["id"]]
    again = intake("similar", "backfill", env=cli_env)
    assert again.returncode == 0, again.stderr
    assert "Filled 0 problems" in again.stdout  # only what is left


async def test_similar_recompute_follows_a_dictionary_change_with_progress(
    client: Client, city: City, db: asyncpg.Connection, cli_env: dict[str, str]
) -> None:
    families = await submitted(
        client,
        city,
        title="Families miss out on benefits",
        problem_statement="Families do not apply for benefits they qualify for.",
    )
    households = await submitted(
        client,
        city,
        "health",
        title="Eligible households do not get assistance",
        problem_statement="Households do not sign up for assistance programs.",
    )
    await submitted(client, city, "parks", title="Picnic shelter reservations double booked")
    # As a city whose matches an older dictionary built, one that did not join the words.
    await db.execute("UPDATE similar_dictionary SET dictionary = 'older'")
    await db.execute("DELETE FROM problem_similarities")
    ready = (await client.get("/health/ready")).json()
    assert "intake similar recompute" in ready["similar_problems"]
    path = f"/api/v1/problems/{families['id']}/similar"
    assert (await client.get(path, headers=city.auth("requester"))).json() == []

    result = intake("similar", "recompute", "--batch", "2", env=cli_env)

    assert result.returncode == 0, result.stderr
    assert "Recomputed 3 problems" in result.stdout
    for stage in ("terms", "weights", "similar"):  # progress, pass by pass
        assert f"{stage}" in result.stderr and "3/3" in result.stderr
    found = (await client.get(path, headers=city.auth("requester"))).json()
    assert [match["id"] for match in found][:1] == [households["id"]]
    assert "similar_problems" not in (await client.get("/health/ready")).json()
    again = intake("similar", "recompute", env=cli_env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout


async def test_similar_recompute_without_the_model_changes_nothing(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    families = await submitted(client, city, title="Families miss out on benefits")
    await submitted(client, city, "health", title="Families miss out on their benefits")
    await db.execute("UPDATE similar_dictionary SET dictionary = 'older'")
    before = await db.fetch(
        "SELECT problem_id, similar_id, score FROM problem_similarities ORDER BY 1, 2"
    )
    terms = await db.fetchval("SELECT similar_terms FROM problems WHERE id = $1", families["id"])
    assert before and terms

    def not_installed() -> Path:
        raise meaning.ModelUnavailable("The sentence model package is not installed")

    # As a machine without the model package (the encoder of earlier tests forgotten).
    monkeypatch.setattr(meaning, "model_directory", not_installed)
    monkeypatch.setattr(
        meaning, "_encoder", functools.cache(lambda: meaning.Encoder(meaning.model_directory()))
    )
    result = intake("similar", "recompute", env=cli_env)

    assert result.returncode != 0
    assert "not installed" in result.stderr and "nothing was changed" in result.stderr
    after = await db.fetch(
        "SELECT problem_id, similar_id, score FROM problem_similarities ORDER BY 1, 2"
    )
    assert after == before
    assert (
        await db.fetchval("SELECT similar_terms FROM problems WHERE id = $1", families["id"])
        == terms
    )
    assert await db.fetchval("SELECT dictionary FROM similar_dictionary") == "older"


def test_bad_configuration_is_a_clear_error(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "INTAKE_PORT": "eighty", "INTAKE_DATABASE_URL": "sqlite:///x.db"}
    result = intake("db", "check", env=env)
    assert result.returncode == 2
    assert "INTAKE_PORT='eighty' is not a whole number" in result.stderr
    assert "postgresql+asyncpg://" in result.stderr


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_with_embedded_database_end_to_end() -> None:
    """What `make run` does: embedded PostgreSQL, migrations, demo city, serve, Ctrl-C; and
    when its PostgreSQL dies, serve starts it again and answers again by itself."""
    data_dir = Path(__file__).resolve().parents[2] / ".intake" / f"serve-test-{os.getpid()}"
    with intake_serve({"INTAKE_DATA_DIR": str(data_dir)}) as serving:
        port, env = serving.port, serving.env
        token = intake("token", "requester@city.example", env=env)
        assert token.returncode == 0, token.stderr
        status, body = _get(
            f"http://127.0.0.1:{port}/api/v1/problems", token.stdout.strip().splitlines()[-1]
        )
        assert status == 200
        assert b'"items"' in body
        assert EmbeddedPostgres(data_dir).running_port() is not None  # the CLI left it running

        postmaster = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
        os.kill(int(postmaster[0]), signal.SIGKILL)
        answers(f"{serving.url}/health/ready", 503)  # the database is gone: not a 500
        answers(f"{serving.url}/health/ready", 200)  # started again in the same folder
        again = _get(f"http://127.0.0.1:{port}/api/v1/problems", token.stdout.split()[-1])
        assert again[0] == 200
        assert b'"items"' in again[1]
    output = serving.output
    assert serving.process.returncode == 0, output
    assert "Seeded the demo city" in output
    assert f"http://127.0.0.1:{port}/schema" in output
    assert "intake token" in output
    assert EmbeddedPostgres(data_dir).running_port() is None  # Ctrl-C stopped the database too
    shutil.rmtree(data_dir, ignore_errors=True)


async def test_sla_recompute_gives_due_times_kept_the_old_way_their_current_value(
    client: Client, city: City, db: asyncpg.Connection, cli_env: dict[str, str]
) -> None:
    problem = await submitted(client, city)
    for action, body in (("triage", None), ("request-info", {"questions": "How many?"})):
        assert (await act(client, city, problem, action, body=body)).status_code == 200
    # Submitted 30 days ago: the decision clock ran out well before the pause began, but
    # the due time was cleared when the questions were asked (as before the rule changed).
    problem_id = uuid.UUID(problem["id"])
    await db.execute(
        "UPDATE problems SET submitted_at = now() - interval '30 days', "
        "decision_due_at = NULL WHERE id = $1",
        problem_id,
    )
    queue = await client.get(
        "/api/v1/triage/queue", params={"breached": "true"}, headers=city.auth("triager")
    )
    assert queue.json()["items"] == []

    result = intake("sla", "recompute", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Checked the due times of 1 open problems; 1 changed." in result.stdout
    queue = await client.get(
        "/api/v1/triage/queue", params={"breached": "true"}, headers=city.auth("triager")
    )
    [row] = queue.json()["items"]
    assert row["id"] == problem["id"] and row["decision"]["breached"] is True
    assert (await events(client, city, problem["id"]))[-1]["type"] == "sla_recomputed"
    again = intake("sla", "recompute", env=cli_env)
    assert "1 open problems; 0 changed." in again.stdout


async def test_service_accounts_create_list_rotate_and_revoke(
    cli_env: dict[str, str], client: Client, city: City
) -> None:
    """The CLI manages service accounts as an admin does over the API: the token it prints
    once reads the feed; rotating and revoking take effect on the next request."""

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(intake, "service-accounts", *args, env=cli_env)

    created = await run("create", "data-platform", "--scope", "feed:read", "--days", "30")
    assert created.returncode == 0, created.stderr
    first = created.stdout.strip().splitlines()[-1]
    assert first.startswith("intake_sa_")
    feed = "/api/v1/events"
    assert (await client.get(feed, headers={"Authorization": f"Bearer {first}"})).status_code == 200

    listed = await run("list")
    assert listed.returncode == 0, listed.stderr
    assert "data-platform\tfeed:read\tcity\t1 live token(s)" in listed.stdout
    assert first not in listed.stdout

    rotated = await run("rotate", "Data-Platform")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.strip().splitlines()[-1]
    assert (await client.get(feed, headers={"Authorization": f"Bearer {first}"})).status_code == 401
    assert (
        await client.get(feed, headers={"Authorization": f"Bearer {second}"})
    ).status_code == 200

    assert (await run("revoke", "data-platform")).returncode == 0
    assert (
        await client.get(feed, headers={"Authorization": f"Bearer {second}"})
    ).status_code == 401

    unknown = await run("rotate", "nobody")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
    bad = await run("create", "x", "--scope", "feed:read", "--department", "ZZZ")
    assert bad.returncode == 1 and "ZZZ" in bad.stderr
