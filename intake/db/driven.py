"""Statements sent on a session's asyncpg connection, in its transaction, without SQLAlchemy's
execution around each (its session, connection and result machinery: about a hundred Python
calls a statement, and more for a wide row).

A write that sends several statements in one request (a submit: ``intake.problems.
submitting``) sends its first through the session, which begins the transaction, and the
others here: the same SQL, compiled once per process for asyncpg, the same values (through
the statement's bind processors, as SQLAlchemy would send them), rows as asyncpg records.
Errors are asyncpg's own, which ``intake.lib.errors`` maps as it maps SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as asyncpg takes it: ``$n`` parameters, named in order, each with the
    processor SQLAlchemy applies to its value (None: sent as given)."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Any, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            params[name] if process is None else process(params[name])
            for name, process in zip(self.names, self.processors, strict=True)
        ]


def compiled(statement: ClauseElement) -> Compiled:
    """``statement`` compiled for asyncpg (once per process: keep what this returns)."""
    done = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
    names = tuple(done.positiontup or ())
    # What execution applies to each value: its type's processor for this dialect.
    processors = tuple(done.binds[name].type.bind_processor(_DIALECT) for name in names)
    return Compiled(done.string, names, processors)


async def connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection. Only after a statement sent through the session,
    which began its transaction: asyncpg's BEGIN is sent with the session's first statement."""
    raw = await (await session.connection()).get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def fetch(
    connection: asyncpg.Connection, statement: Compiled, params: Mapping[str, Any]
) -> list[asyncpg.Record]:
    """The rows of ``statement`` with ``params``."""
    try:
        rows: list[asyncpg.Record] = await connection.fetch(
            statement.sql, *statement.arguments(params)
        )
    except asyncpg.exceptions.InternalClientError as error:
        raise out_of_step(connection, error) from error
    return rows


def out_of_step(
    connection: asyncpg.Connection, error: asyncpg.exceptions.InternalClientError
) -> ConnectionResetError:
    """How asyncpg can tell of a server that died under a connection ("cannot switch to state
    ..."): the protocol is out of step, so the connection is dropped, and the request is one
    to send again (503), as for any connection lost."""
    connection.terminate()
    return ConnectionResetError(f"the database connection broke: {error}")
