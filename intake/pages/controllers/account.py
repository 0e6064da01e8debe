"""Everyone's pages: the inbox with its unread count, and the e-mail preference."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from intake.notifications import service as inbox
from intake.notifications.schemas import MarkRead
from intake.pages import paging
from intake.pages.deps import Caller
from intake.pages.rendering import render
from intake.registry import service as registry
from intake.registry.schemas import MeUpdate


class AccountPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/inbox")
    async def inbox_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        unread: bool = False,
        cursor: str | None = None,
    ) -> Any:
        page = await paging.read(
            lambda cursor: inbox.list_notifications(
                db_session, caller, unread_only=unread, cursor=cursor, limit=paging.INBOX
            ),
            cursor,
        )
        return render(
            request,
            "inbox.html",
            title="Inbox",
            page=page,
            unread=unread,
            later_page=cursor is not None,
            unread_count=page.unread_count,
        )

    @post("/inbox/read", status_code=303)
    async def mark_all_read(self, db_session: AsyncSession, caller: Caller) -> Any:
        await inbox.mark_many_read(db_session, caller, MarkRead(all=True))
        return Redirect("/inbox", status_code=303)

    @get("/settings")
    async def settings_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        caller: Caller,
        saved: bool = False,
    ) -> Any:
        person = await registry.get_person(db_session, caller.id)
        return render(
            request,
            "settings.html",
            title="Your settings",
            email_notifications=person.email_notifications,
            saved=saved,
        )

    @post("/settings", status_code=303)
    async def save_settings(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, caller: Caller
    ) -> Any:
        form = await request.form()
        choice = form.get("email_notifications")
        await registry.update_me(
            db_session, caller.id, MeUpdate(email_notifications=choice == "yes")
        )
        return Redirect("/settings?saved=true", status_code=303)
