"""Declarative base with a naming convention, so migrations name constraints predictably."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, DateTime, ForeignKey, MetaData, and_, func, or_
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Removable(Timestamps):
    """Timestamps, and when and by whom the record was removed.

    A removed record stays in its table: it is gone from the API from ``deleted_at`` on, but
    the portfolio's views of earlier moments still count it, because it existed then. These
    two predicates are the one place that rule is written.
    """

    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))

    def remove(self, by: uuid.UUID, at: datetime) -> None:
        """Mark the record removed by person ``by`` at ``at`` (the row stays)."""
        self.deleted_at, self.deleted_by_id, self.updated_at = at, by, at

    @classmethod
    def present(cls) -> ColumnElement[bool]:
        """Not removed: what the API lists, reads and changes."""
        return cls.deleted_at.is_(None)

    @classmethod
    def existed_at(cls, moment: ColumnElement[datetime] | datetime) -> ColumnElement[bool]:
        """Created by ``moment`` and not removed by then (now, or any past moment)."""
        return and_(
            cls.created_at <= moment, or_(cls.deleted_at.is_(None), cls.deleted_at > moment)
        )
