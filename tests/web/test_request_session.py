"""The request's session: committed before a success is sent, closed whatever fails."""

from __future__ import annotations

import asyncpg
import pytest
from litestar import Litestar

from tests.builders import City
from tests.helpers import Client, assert_problem_json
from tests.pages.helpers import form, sign_in

# A check PostgreSQL makes only at COMMIT, refusing the department coded NOPE as a
# serializable transaction's commit can be refused: the handler succeeds, the commit fails.
REFUSE_AT_COMMIT = """
CREATE FUNCTION test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'serialization_failure';
END $$;
CREATE CONSTRAINT TRIGGER test_refuse_at_commit AFTER INSERT ON departments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.code = 'NOPE')
    EXECUTE FUNCTION test_refuse_at_commit();
"""
ALLOW_AGAIN = """
DROP TRIGGER test_refuse_at_commit ON departments;
DROP FUNCTION test_refuse_at_commit();
"""


async def test_a_commit_that_fails_is_never_a_success(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await db.execute(REFUSE_AT_COMMIT)
    try:
        refused = await client.post(
            "/api/v1/departments", json={"code": "NOPE", "name": "Nope"}, headers=city.auth("admin")
        )
        kept = await client.post(
            "/api/v1/departments", json={"code": "YES", "name": "Yes"}, headers=city.auth("admin")
        )
    finally:
        await db.execute(ALLOW_AGAIN)
    assert_problem_json(refused, 503)
    assert refused.headers["Retry-After"] == "1"
    assert kept.status_code == 201, kept.text
    codes = {row["code"] for row in await db.fetch("SELECT code FROM departments")}
    assert "NOPE" not in codes
    assert "YES" in codes


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/portfolio/summary", {"as_of": "yesterday"}),
        ("/api/v1/portfolio/flow", {"team": "not-a-uuid"}),
        ("/api/v1/portfolio/sla", {"department": "no spaces allowed"}),
        ("/api/v1/portfolio/export.csv", {"from": "2026-13-40"}),
        ("/api/v1/portfolio/export.csv", {"as_of": "yesterday"}),
        ("/api/v1/events", {"type": "no_such_event"}),
        ("/api/v1/events", {"limit": "0"}),
    ],
)
async def test_a_bad_shared_parameter_leaves_no_database_connection_behind(
    app: Litestar, client: Client, city: City, path: str, query: dict[str, str]
) -> None:
    """The caller is looked up (a connection checked out) before the shared parameters
    (the portfolio's filters, the feed's query) are read and refused."""
    pool = app.state.engine.pool
    response = await client.get(path, params=query, headers=city.auth("leader"))
    assert_problem_json(response, 422)
    assert pool.checkedout() == 0


async def test_a_refused_form_leaves_no_database_connection_behind(
    app: Litestar, client: Client, city: City, db: asyncpg.Connection
) -> None:
    """The browser's session is read before its CSRF token is checked and refused."""
    await sign_in(client, "requester")
    pool = app.state.engine.pool
    response = await client.post("/problems/new", data=form(csrf_token="forged"))
    assert response.status_code == 403
    assert pool.checkedout() == 0
    assert await db.fetchval("SELECT count(*) FROM problems") == 0
