"""Answering a workspace form, the one way every one of them is answered: its values
converted into the service's input, the service called once (a create form's idempotency
key), then back to the workspace; or the workspace again with the form as typed and what is
wrong, or, for a form read before someone else's change, what changed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from intake.delivery import milestones
from intake.pages import work_forms
from intake.pages.deps import (
    Conflict,
    PreconditionFailed,
    ProblemForm,
    ValidationFailed,
)
from intake.pages.work_forms import Filled
from intake.pages.workspace_view import workspace_page

_AT = re.compile(r"at `\$\.([\w\[\].]+)`")
_NAMED = re.compile(r"`([\w\[\].]+)`")


def _schema_error(filled: Filled, error: msgspec.ValidationError) -> None:
    """Place a schema's refusal on the form's field, in plain words."""
    text = str(error)
    found = _AT.search(text) or _NAMED.search(text)
    name = work_forms.field_of(filled.form, found.group(1) if found else "")
    if "bidirectional" in text:
        message = "Remove the characters that change the direction of the text"
    elif "at least" in text:
        message = "Enter some text people can see"
    elif "day between" in text:
        message = "Enter a date between 1900 and 2999"
    else:
        message = "Check this answer"
    filled.add(name, message)


def _convert(
    filled: Filled, into: type[Any], shape: Callable[[dict[str, Any]], dict[str, Any]] | None
) -> Any:
    """The form's values as the service's input, or None when the form has mistakes (those
    the schema finds are added to them)."""
    if filled.errors:
        return None
    try:
        return msgspec.convert(shape(filled.values) if shape else filled.values, into)
    except msgspec.ValidationError as error:
        _schema_error(filled, error)
        return None


async def answer(
    posted: ProblemForm,
    filled: Filled,
    act: Callable[[Any], Awaitable[object]],
    *,
    saved: str,
    section: str,
    into: type[Any] | None = None,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    creates: bool = False,
    stale: Callable[[], Awaitable[str]] | None = None,
) -> Any:
    """Call ``act`` with the form's values as ``into`` (a create form once per idempotency
    key) and go back to the workspace at ``section``; a form with mistakes, refused or stale
    comes back on the workspace instead (``stale`` says what changed)."""
    data = _convert(filled, into, shape) if into is not None else None
    if filled.errors:
        return await workspace_page(posted, failed=filled, status=422)

    async def run() -> None:
        await act(data)

    location = f"/problems/{posted.problem_id}/work?saved={saved}#{section}"
    try:
        return await posted.once(location, run, keyed=creates)
    except ValidationFailed as error:
        for item in error.errors or []:
            filled.add(work_forms.field_of(filled.form, item.field), item.message)
        if not filled.errors:
            filled.add(work_forms.field_of(filled.form, ""), error.detail)
        return await workspace_page(posted, failed=filled, status=422)
    except PreconditionFailed:
        notice = await stale() if stale is not None else "Someone changed this meanwhile."
        return await workspace_page(posted, failed=filled, notice=notice, status=412)
    except Conflict as error:
        filled.add(work_forms.field_of(filled.form, "name"), error.detail)
        return await workspace_page(posted, failed=filled, status=409)


async def milestone_changed(posted: ProblemForm, milestone_id: uuid.UUID) -> str:
    """What a stale milestone form is told: what changed since the form's ``seen_*`` fields
    were read (its target, its done date, its title when the form carried it)."""
    now = await milestones.get_milestone(*posted.on, milestone_id)
    seen = {name: posted.text(f"seen_{name}") for name in ("target", "done", "title")}
    changes = []
    if now.target_date.isoformat() != seen["target"]:
        changes.append(f"its target date is now {now.target_date.isoformat()}")
    done = now.done_on.isoformat() if now.done_on else ""
    if done != seen["done"]:
        changes.append(f"it was marked done on {done}" if done else "it was reopened")
    if seen["title"] and now.title != seen["title"]:
        changes.append(f"its title is now “{now.title}”")
    if not changes:
        changes.append(
            "its description changed" if seen["title"] else "its title or description changed"
        )
    return (
        f"Someone changed the milestone “{now.title}” after you opened the page, so nothing was "
        f"saved: {'; '.join(changes)}. Check it below and try again."
    )
