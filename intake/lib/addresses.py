"""E-mail addresses: the one rule for what Intake takes as an address, and how a mail
header carries one.

An address is what mail delivery (``intake.mail``) can send to: an ASCII dot-atom local
part (letters, digits and ``!#$%&'*+-/=?^_`{|}~``, dots only between them, up to 64
characters) and a domain name of at least two labels (letters, digits and inner hyphens;
the last label starts with a letter), up to 254 characters in all. That takes every
ordinary address (``first.last+tag@sub.city.example``) and refuses what no header can carry
or no server is sure to take: a trailing or doubled dot, spaces, comments and quoted local
parts, IP literals, non-ASCII (which needs SMTPUTF8). Every API field that registers an
address (``EmailAddress``) and INTAKE_MAIL_FROM use it; addresses stored before it are not
checked again, so delivery still checks each To (``header_address``).

A field that names someone already registered (a team member, a watcher, a triager, a
metric's owner: ``RegisteredAddress``) takes any address a person may have been registered
with, before the rule too, so everyone registered can be named; whether it names anyone is
the lookup's answer (a 422 naming the field), and no mail goes to what it says.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Annotated

import msgspec

MAX_LENGTH = 254
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Anchored both ends and with no line break anywhere: msgspec matches with re.search, where
# "$" also matches before a final "\n". Written so JSON Schema (ECMA) regexes read it alike.
PATTERN = rf"^(?!.*\n)(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+{_TOP_LABEL}$"
_ADDRESS = re.compile(PATTERN)

EmailAddress = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description=(
            "An e-mail address mail can be sent to: ASCII, local part up to 64 characters, "
            "a domain name with a dot (no trailing dot, no spaces, no IP literal)"
        ),
        examples=["maria.lopez@city.example"],
    ),
]


def is_address(value: str) -> bool:
    """True when ``value`` is an address by the rule above."""
    return len(value) <= MAX_LENGTH and _ADDRESS.match(value) is not None


def header_address(name: str, address: str) -> Address:
    """The name and address as a mail header carries them; ValueError when no header can
    (no trailing or doubled dots, no line breaks). The one check for INTAKE_MAIL_FROM's name
    and every mail's To, including addresses stored before the rule above."""
    try:
        return Address(name, addr_spec=address)
    # The header parser's errors for a bad address (HeaderParseError is no ValueError).
    except (ValueError, IndexError, HeaderParseError) as error:
        raise ValueError(f"{address!r} cannot be written as an e-mail address") from error


# What people were registered with before the rule above (any x@y.z without whitespace).
_REGISTERED_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
RegisteredAddress = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_LENGTH,
        pattern=_REGISTERED_PATTERN,
        description="The e-mail address of a person registered in Intake (any case)",
        examples=["maria.lopez@city.example"],
    ),
]
