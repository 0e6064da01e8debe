"""The pages over HTTP: sign-in and sessions, forms, errors, redirects and visibility."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import asyncpg
import pytest

from intake.pages import static
from tests.builders import City
from tests.helpers import submitted
from tests.pages.helpers import Client, csrf_of, form, hidden, sign_in


async def test_pages_send_a_signed_out_browser_to_sign_in(client: Client, city: City) -> None:
    response = await client.get("/problems/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fproblems%2Fnew"


async def test_sign_in_starts_a_new_session_and_sign_out_revokes_it(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    page = await client.get("/sign-in")
    visitor = client.cookies["intake_session"]
    assert "Rosa Diaz" in page.text
    response = await client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(page.text),
            "email": "rosa.diaz@city.example",
            "next": "/inbox",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Max-Age=" in cookie
    signed_in = client.cookies["intake_session"]
    assert signed_in != visitor  # a new session id at sign-in
    home = await client.get("/")
    assert "Signed in as Rosa Diaz" in home.text

    out = await client.post(
        "/sign-out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM web_sessions WHERE person_id IS NOT NULL") == 0
    client.cookies.set("intake_session", signed_in)  # the old cookie signs nobody in
    again = await client.get("/", follow_redirects=False)
    assert again.status_code == 303


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    await sign_in(client, "requester")
    response = await client.post("/problems/new", data=form(csrf_token="forged"))
    assert response.status_code == 403
    assert "did not come from Intake" in response.text
    assert response.headers["content-type"].startswith("text/html")
    missing = await client.post("/problems/new", data=form())
    assert missing.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM problems") == 0


async def test_every_page_sends_the_security_headers(client: Client, city: City) -> None:
    await sign_in(client, "requester")
    unknown = "/problems/6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11"  # the 404 page
    for path in ("/sign-in", "/static/intake.css", unknown):
        response = await client.get(path)
        assert response.status_code == (404 if path == unknown else 200)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self' 'nonce-" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_a_browser_keeps_the_pages_files_until_a_release_changes_them(
    client: Client, city: City
) -> None:
    page = await client.get("/sign-in")
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert sorted(address.split("?")[0] for address in addresses) == [
        "/static/intake.css",
        "/static/intake.js",
    ]
    for address in addresses:
        version = address.partition("?v=")[2]
        response = await client.get(address)
        assert response.status_code == 200
        # The address names the content: another file is another address.
        assert len(version) == 12
        assert hashlib.sha256(response.content).hexdigest().startswith(version)
        cache = response.headers["cache-control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
        # Without its version, or with another (asked of an older process during a switch),
        # the file is not kept: no old file is kept under a new address.
        for other in (address.partition("?")[0], address.replace(version, "0" * 12)):
            answer = await client.get(other)
            assert answer.status_code == 200 and answer.content == response.content
            assert answer.headers["cache-control"] == "no-store"
    assert (await client.get("/sign-in")).headers["cache-control"] == "no-store"


def test_a_static_file_edited_while_intake_runs_gets_a_new_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static, "STATIC", tmp_path)
    style = tmp_path / "intake.css"
    style.write_text("body { color: black; }")
    first = static.static_url("intake.css")
    style.write_text("body { color: navy; }")
    os.utime(style, ns=(1, style.stat().st_mtime_ns + 1))  # even within the clock's tick

    second = static.static_url("intake.css")

    assert first != second
    assert second == f"/static/intake.css?v={hashlib.sha256(style.read_bytes()).hexdigest()[:12]}"


async def test_the_draft_form_lists_every_error_at_the_top(client: Client, city: City) -> None:
    csrf = await sign_in(client, "requester")
    response = await client.post(
        "/problems/new",
        data=form(
            csrf_token=csrf,
            title="Ab",
            affected_people_per_year="lots",
            urgency_deadline="next spring",
        ),
    )
    assert response.status_code == 422
    summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#title"' in summary and "between 5 and 200 characters" in summary
    assert 'href="#affected_people_per_year"' in summary and "whole number" in summary
    assert 'href="#urgency_deadline"' in summary and "YYYY-MM-DD" in summary
    assert 'value="lots"' in response.text  # what was typed stays in the form


async def test_preview_shows_framing_hints_without_saving(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    csrf = await sign_in(client, "requester")
    response = await client.post(
        "/problems/new",
        data=form(csrf_token=csrf, title="We need an app for tree permits", action="preview"),
    )
    assert response.status_code == 200
    assert "Describe the problem, not a solution" in response.text
    assert "need an app" in response.text
    assert await db.fetchval("SELECT count(*) FROM problems") == 0


async def test_save_then_submit_a_draft(client: Client, city: City, db: asyncpg.Connection) -> None:
    csrf = await sign_in(client, "requester")
    saved = await client.post("/problems/new", data=form(csrf_token=csrf), follow_redirects=False)
    assert saved.status_code == 303
    location = saved.headers["location"]
    page = await client.get(location)
    assert "Submit to DTI" in page.text
    submit = await client.post(
        f"{location}/submit",
        data={
            "csrf_token": csrf,
            "version": hidden(page.text, "version"),
            "idempotency_key": hidden(page.text, "idempotency_key"),
        },
    )
    assert submit.status_code == 200
    assert "Your problem has been sent to DTI" in submit.text
    assert await db.fetchval("SELECT status FROM problems") == "submitted"
    assert "Submit to DTI" not in submit.text  # an illegal action is not offered


async def test_a_double_clicked_submit_and_save_create_one_problem(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    csrf = await sign_in(client, "requester")
    new = await client.get("/problems/new")
    key = hidden(new.text, "idempotency_key")
    first = await client.post(
        "/problems/new", data=form(csrf_token=csrf, idempotency_key=key), follow_redirects=False
    )
    second = await client.post(
        "/problems/new", data=form(csrf_token=csrf, idempotency_key=key), follow_redirects=False
    )
    assert first.headers["location"] == second.headers["location"]
    assert await db.fetchval("SELECT count(*) FROM problems") == 1

    page = await client.get(first.headers["location"])
    data = {
        "csrf_token": csrf,
        "version": hidden(page.text, "version"),
        "idempotency_key": hidden(page.text, "idempotency_key"),
    }
    one = await client.post(
        f"{first.headers['location']}/submit", data=data, follow_redirects=False
    )
    two = await client.post(
        f"{first.headers['location']}/submit", data=data, follow_redirects=False
    )
    assert one.status_code == two.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM problem_events WHERE type = 'submitted'") == 1


async def test_submit_lists_the_missing_fields(client: Client, city: City) -> None:
    csrf = await sign_in(client, "requester")
    saved = await client.post(
        "/problems/new",
        data={"csrf_token": csrf, "title": "Permits take too long", "action": "save"},
        follow_redirects=False,
    )
    location = saved.headers["location"]
    page = await client.get(location)
    response = await client.post(
        f"{location}/submit",
        data={
            "csrf_token": csrf,
            "version": hidden(page.text, "version"),
            "idempotency_key": hidden(page.text, "idempotency_key"),
        },
    )
    assert response.status_code == 422
    assert "Before you can submit, fill in these" in response.text
    assert f'href="{location}/edit#problem_statement"' in response.text
    assert f'href="{location}/edit#impact_staff_hours_per_year"' in response.text


async def test_a_stale_edit_says_someone_changed_the_problem(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    csrf = await sign_in(client, "requester")
    saved = await client.post("/problems/new", data=form(csrf_token=csrf), follow_redirects=False)
    location = saved.headers["location"]
    edit = await client.get(f"{location}/edit")
    version = hidden(edit.text, "version")
    first = await client.post(
        f"{location}/edit", data=form(csrf_token=csrf, version=version, workarounds="Phone calls")
    )
    assert first.status_code == 200
    stale = await client.post(
        f"{location}/edit",
        data=form(csrf_token=csrf, version=version, title="Tree permits take six weeks"),
    )
    assert stale.status_code == 412
    assert "Someone changed this problem after you opened it" in stale.text
    assert "Workarounds" in stale.text.split("Someone changed")[1].split("</p>")[0]
    title = await db.fetchval("SELECT title FROM problems")
    assert title == "Residents wait weeks for a street tree planting permit"


async def test_another_departments_restricted_problem_is_a_404_page(
    client: Client, city: City
) -> None:
    hidden_problem = await submitted(client, city, "health", restricted=True)
    open_problem = await submitted(client, city, "health")
    await sign_in(client, "requester")
    response = await client.get(f"/problems/{hidden_problem['id']}")
    assert response.status_code == 404
    assert "does not exist, or you do not have access" in response.text
    assert hidden_problem["title"] not in response.text
    visible = await client.get(f"/problems/{open_problem['id']}")
    assert visible.status_code == 200
    assert "Edit" not in visible.text.split('class="actions"')[1].split("</div>")[0]


async def test_follow_comment_and_unfollow(client: Client, city: City) -> None:
    other = await submitted(client, city, "health")
    csrf = await sign_in(client, "requester")
    location = f"/problems/{other['id']}"
    await client.post(f"{location}/follow", data={"csrf_token": csrf})
    home = await client.get("/")
    assert other["title"] in home.text.split("Problems I follow from other departments")[1]
    commented = await client.post(
        f"{location}/comments", data={"csrf_token": csrf, "body": "We see this too at DOT."}
    )
    assert commented.status_code == 200
    assert "We see this too at DOT." in commented.text
    assert "Stop following" in commented.text
    await client.post(f"{location}/unfollow", data={"csrf_token": csrf})
    home = await client.get("/")
    assert other["title"] not in home.text


async def test_answer_a_request_for_information(client: Client, city: City) -> None:
    problem = await submitted(client, city, "requester")
    auth = city.auth("triager")
    taken = await client.post(
        f"/api/v1/problems/{problem['id']}/triage",
        headers={**auth, "If-Match": problem["etag"]},
    )
    asked = await client.post(
        f"/api/v1/problems/{problem['id']}/request-info",
        json={"questions": "How many permits a month?"},
        headers={**auth, "If-Match": taken.headers["etag"]},
    )
    assert asked.status_code == 200, asked.text
    csrf = await sign_in(client, "requester")
    inbox = await client.get("/inbox")
    assert "You have 2 unread notifications" in inbox.text  # taken into triage, and asked
    location = f"/problems/{problem['id']}"
    page = await client.get(location)
    assert "DTI asked for more information" in page.text
    empty = await client.post(
        f"{location}/respond",
        data={"csrf_token": csrf, "version": hidden(page.text, "version"), "answer": ""},
    )
    assert empty.status_code == 422
    answered = await client.post(
        f"{location}/respond",
        data={"csrf_token": csrf, "version": hidden(page.text, "version"), "answer": "About 200."},
    )
    assert answered.status_code == 200
    assert "In triage" in answered.text
    assert "About 200." in answered.text  # in the history


async def test_inbox_marks_read_and_settings_save_the_email_preference(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    csrf = await sign_in(client, "requester")
    settings = await client.get("/settings")
    assert 'value="yes" checked' in settings.text
    saved = await client.post("/settings", data={"csrf_token": csrf, "email_notifications": "no"})
    assert saved.status_code == 200 and "Your settings are saved" in saved.text
    assert (
        await db.fetchval(
            "SELECT email_notifications FROM people WHERE email = 'rosa.diaz@city.example'"
        )
        is False
    )
    marked = await client.post("/inbox/read", data={"csrf_token": csrf})
    assert marked.status_code == 200 and "no unread notifications" in marked.text


async def test_bad_input_is_a_page_never_a_500(client: Client, city: City) -> None:
    csrf = await sign_in(client, "requester")
    for path, data in (
        ("/problems/new", {"csrf_token": csrf, "title": "x" * 10_000, "action": "save"}),
        ("/problems/new", {"csrf_token": csrf, "title": "Nul \x00 byte", "action": "save"}),
        ("/sign-in", {"csrf_token": csrf, "email": "nobody@city.example"}),
        ("/sign-in", {"csrf_token": csrf, "email": "nul\x00@city.example"}),
        ("/sign-in", {"csrf_token": csrf, "email": "x" * 400 + "@city.example"}),
    ):
        response = await client.post(path, data=data)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), (path, response.text)
    unknown = await client.get("/problems/6f1c2d1e-4a7b-4b59-9d55-1b2f0f5a9e11")
    assert unknown.status_code == 404


async def test_sign_in_page_is_absent_when_oidc_is_configured(
    city: City, settings: object, database_url: str
) -> None:
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from intake.app import create_app
    from intake.config import OIDCSettings, Settings

    assert isinstance(settings, Settings)
    oidc = OIDCSettings(
        issuer="http://127.0.0.1:9", audience="intake", jwks_url="http://127.0.0.1:9/jwks"
    )
    app = create_app(replace(settings, oidc=oidc), database_url)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/sign-in")).status_code == 404
        redirect = await client.get("/", follow_redirects=False)
        assert redirect.headers["location"].startswith("/auth/login")


async def test_there_is_no_demo_sign_in_on_an_operated_database(
    city: City, settings: object, database_url: str
) -> None:
    """Choosing a person without a password is for the embedded default only: with
    INTAKE_DATABASE_URL set and no OIDC, nobody can sign in as anyone."""
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from intake.app import create_app
    from intake.config import Settings

    assert isinstance(settings, Settings)
    app = create_app(replace(settings, database_url=database_url), database_url)
    async with AsyncTestClient(app=app) as client:
        page = await client.get("/sign-in")
        assert page.status_code == 404
        attempt = await client.post("/sign-in", data={"email": "rosa.diaz@city.example"})
        assert attempt.status_code in (403, 404)
        assert (await client.get("/inbox", follow_redirects=False)).status_code == 303
