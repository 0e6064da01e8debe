"""@mentions: ``@`` followed by a person's full e-mail, resolved to people who may read it.

Only an ``@`` that starts a word begins a mention, so a plain address (``rosa@city.example``),
``meet @ 5`` and ``@rosa`` are just text. A mention that names nobody, or somebody who could
not read the comment, is refused (422) rather than silently dropped: the author meant to tell
someone, and they would otherwise never hear of it.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.collaboration.access import can_see, is_dti
from intake.db import models
from intake.lib.errors import FieldError, ValidationFailed

# Not after a word character, dot, plus, hyphen or another @: "x@y" is an address, not a mention.
# The domain is dot-separated labels, so a full stop ending the sentence is not part of it.
MENTION = re.compile(
    r"(?<![\w.+@-])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
)
MAX_MENTIONS = 20


def mentioned_emails(text: str) -> list[str]:
    """The distinct e-mails mentioned in ``text``, lower-cased, in order of appearance."""
    return list(dict.fromkeys(match.group(1).lower() for match in MENTION.finditer(text)))


async def resolve(
    session: AsyncSession, text: str, *, problem_id: uuid.UUID, internal: bool
) -> list[models.Person]:
    """The people ``text`` mentions, in order; 422 naming every mention that cannot stand."""
    emails = mentioned_emails(text)
    if not emails:
        return []
    if len(emails) > MAX_MENTIONS:
        raise ValidationFailed(
            f"A comment can mention at most {MAX_MENTIONS} people.",
            [FieldError("body", f"{len(emails)} people mentioned; at most {MAX_MENTIONS}")],
        )
    rows = await session.scalars(
        select(models.Person).where(func.lower(models.Person.email).in_(emails))
    )
    by_email = {person.email.lower(): person for person in rows}
    people, errors = [], []
    for email in emails:
        person = by_email.get(email)
        if person is None or not person.active:
            errors.append(FieldError("body", f"@{email}: no active person has this e-mail"))
        elif internal and not is_dti(person):
            errors.append(
                FieldError(
                    "body",
                    f"@{email}: {person.name} is not DTI staff and cannot read a DTI-internal "
                    "comment",
                )
            )
        elif not await can_see(session, person, problem_id):
            errors.append(FieldError("body", f"@{email}: {person.name} cannot see this problem"))
        else:
            people.append(person)
    if errors:
        raise ValidationFailed(
            "The comment mentions people who cannot be notified about it.", errors
        )
    return people
