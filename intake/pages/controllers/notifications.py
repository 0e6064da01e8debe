"""Marking one notification read from the inbox, as ``POST /me/notifications/{id}/read``
does; the inbox's own page marks all of them (``intake/pages/controllers/account.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, post
from litestar.params import Parameter
from litestar.response import Redirect

from intake.notifications import service as inbox
from intake.pages.deps import SignedInPage


class NotificationPages(Controller):
    path = "/inbox"
    include_in_schema = False

    @post("/{notification_id:int}/read", status_code=303)
    async def mark_read(
        self,
        signed_in: SignedInPage,
        notification_id: Annotated[int, Parameter(ge=1, le=2**63 - 1)],
    ) -> Any:
        """A notification that is not the caller's (or no longer visible to them) is a 404."""
        await inbox.mark_read(signed_in.session, signed_in.caller, notification_id)
        form = await signed_in.request.form()
        back = "/inbox?unread=true" if form.get("unread") == "true" else "/inbox"
        return Redirect(f"{back}#notification-{notification_id}", status_code=303)
