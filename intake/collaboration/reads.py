"""A problem's comments, watchers and collaborators, each in one statement
(``intake.web.reads``, ``problems.reads.on_problem_sql``); the services give the same
answers to service accounts and build them for the writes."""

from __future__ import annotations

import uuid
from typing import cast

import asyncpg
import msgspec

from intake.collaboration import comments, schemas
from intake.collaboration.comments import INTERNAL
from intake.problems.reads import BY_CREATION, lean_lister, on_problem_sql, rows_on_problem
from intake.problems.rows import department_ref
from intake.problems.schemas import PersonRef

_PEOPLE = msgspec.json.Decoder(list[PersonRef])


def _comments_sql(after: bool) -> str:
    seek = "AND (cm.created_at, cm.id) > ($6::timestamptz, $7::uuid)" if after else ""
    return on_problem_sql(
        """x.author_id, a.name AS author_name, x.body, x.visibility, x.version, x.created_at,
       x.updated_at,
       (SELECT coalesce(json_agg(json_build_object('id', mp.id, 'name', mp.name)
                                 ORDER BY m.n), '[]')::text
        FROM unnest(x.mentions) WITH ORDINALITY AS m (person_id, n)
        JOIN people mp ON mp.id = m.person_id) AS mentions""",
        f"""SELECT cm.* FROM comments cm
        WHERE cm.problem_id = pr.id
          AND (cm.visibility = 'all' OR (c.dti AND cm.visibility = '{INTERNAL}')) {seek}
        ORDER BY cm.created_at, cm.id LIMIT $5""",
        joins="LEFT JOIN people a ON a.id = x.author_id",
        order="x.created_at, x.id",
    )


def _comments(page: list[asyncpg.Record]) -> list[schemas.Comment]:
    return [
        schemas.Comment(
            id=row["id"],
            problem_id=row["problem_id"],
            author=PersonRef(id=row["author_id"], name=row["author_name"]),
            body=row["body"],
            visibility=cast(schemas.Visibility, row["visibility"]),
            mentions=_PEOPLE.decode(row["mentions"]),
            version=row["version"],
            created_at=row["created_at"],
            edited=row["version"] > 1,
            edited_at=row["updated_at"] if row["version"] > 1 else None,
        )
        for row in page
    ]


comments_for = lean_lister(comments.list_comments, _comments_sql, BY_CREATION, _comments)


_WATCHERS_SQL = on_problem_sql(
    "x.name",
    """SELECT p.id, p.name, w.added_at FROM problem_watchers w
        JOIN people p ON p.id = w.person_id
        WHERE w.problem_id = pr.id AND p.active""",
    order="x.added_at, x.id",
)


async def watchers_for(
    connection: asyncpg.Connection, email: str, problem_id: uuid.UUID
) -> list[PersonRef]:
    """``watchers.list_watchers`` for the person ``email``, in one statement."""
    rows = await rows_on_problem(connection, email, problem_id, _WATCHERS_SQL)
    return [PersonRef(id=row["id"], name=row["name"]) for row in rows]


_COLLABORATORS_SQL = on_problem_sql(
    """x.added_at, x.department_id, d.code AS department_code, d.name AS department_name,
       x.person_id, p.name AS person_name""",
    "SELECT pc.* FROM problem_collaborators pc WHERE pc.problem_id = pr.id",
    joins="""LEFT JOIN departments d ON d.id = x.department_id
LEFT JOIN people p ON p.id = x.person_id""",
    order="x.added_at, x.id",
)


async def collaborators_for(
    connection: asyncpg.Connection, email: str, problem_id: uuid.UUID
) -> list[schemas.Collaborator]:
    """``collaborators.list_collaborators`` for the person ``email``, in one statement."""
    rows = await rows_on_problem(connection, email, problem_id, _COLLABORATORS_SQL)
    return [
        schemas.Collaborator(
            id=row["id"],
            kind="department" if row["department_code"] is not None else "person",
            department=department_ref(row) if row["department_code"] is not None else None,
            person=PersonRef(id=row["person_id"], name=row["person_name"])
            if row["person_name"] is not None
            else None,
            added_at=row["added_at"],
        )
        for row in rows
    ]
