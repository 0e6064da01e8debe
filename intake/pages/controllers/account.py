"""Everyone's pages: the inbox with its unread count, and the e-mail preference."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.response import Redirect

from intake.notifications import service as inbox
from intake.notifications.schemas import MarkRead
from intake.pages import paging
from intake.pages.deps import SignedInPage
from intake.pages.rendering import render
from intake.registry import service as registry
from intake.registry.schemas import MeUpdate


class AccountPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/inbox")
    async def inbox_page(
        self, signed_in: SignedInPage, unread: bool = False, cursor: str | None = None
    ) -> Any:
        session, caller = signed_in.session, signed_in.caller
        page = await paging.read(
            lambda cursor: inbox.list_notifications(
                session, caller, unread_only=unread, cursor=cursor, limit=paging.INBOX
            ),
            cursor,
        )
        return render(
            signed_in.request,
            "inbox.html",
            title="Inbox",
            page=page,
            unread=unread,
            later_page=cursor is not None,
            unread_count=page.unread_count,
        )

    @post("/inbox/read", status_code=303)
    async def mark_all_read(self, signed_in: SignedInPage) -> Any:
        await inbox.mark_many_read(signed_in.session, signed_in.caller, MarkRead(all=True))
        return Redirect("/inbox", status_code=303)

    @get("/settings")
    async def settings_page(self, signed_in: SignedInPage, saved: bool = False) -> Any:
        person = await registry.get_person(signed_in.session, signed_in.caller.id)
        return render(
            signed_in.request,
            "settings.html",
            title="Your settings",
            email_notifications=person.email_notifications,
            saved=saved,
        )

    @post("/settings", status_code=303)
    async def save_settings(self, signed_in: SignedInPage) -> Any:
        form = await signed_in.request.form()
        choice = form.get("email_notifications")
        await registry.update_me(
            signed_in.session, signed_in.caller.id, MeUpdate(email_notifications=choice == "yes")
        )
        return Redirect("/settings?saved=true", status_code=303)
