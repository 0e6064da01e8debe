"""One address rule (intake.lib.addresses) for every API field and INTAKE_MAIL_FROM: it takes
ordinary addresses and refuses what mail delivery could not send to."""

from __future__ import annotations

import random
import string

import msgspec
import pytest

from intake.config import Settings
from intake.lib.addresses import EmailAddress, header_address, is_address
from intake.lib.errors import ConfigError

ORDINARY = [
    "maria.lopez@city.example",
    "first.last+intake@city.example",
    "ops-team@mail.dti.city.example",
    "user42@dept9.city.gov",
    "o'brien@city.example",
    "Ana.Silva@CITY.example",
    "a_b@x-y.city.example",
    "x@city.xn--p1ai",
    "a@b.co",
]
UNSENDABLE = [
    "a@b.c.",  # a trailing dot: no header can carry it
    "a..b@city.example",
    ".a@city.example",
    "a.@city.example",
    "a@city..example",
    "a@.city.example",
    "a@city",  # no dot in the domain
    "a@-city.example",
    "a@city-.example",
    "a@ci_ty.example",
    "a@city.123",
    "josé@city.example",  # non-ASCII needs SMTPUTF8, which no server promises
    "a@bücher.example",
    '"a b"@city.example',
    "a(comment)@city.example",  # the header would drop the comment: another address
    "a@[10.0.0.1]",
    "a b@city.example",
    " a@city.example",
    "a@city.example ",
    "a@city.example\n",
    "a\r@city.example",
    "a\x00@city.example",
    "a@b@city.example",
    "@city.example",
    "a@",
    "x" * 65 + "@city.example",
    "a@" + "b" * 64 + ".example",  # a label of 64
    "a@" + ".".join(["b" * 61] * 4) + ".example",  # 257 characters
    "",
]


@pytest.mark.parametrize("address", ORDINARY)
def test_ordinary_addresses_are_taken(address: str) -> None:
    assert is_address(address)
    assert msgspec.convert(address, EmailAddress) == address
    assert header_address("Name", address).addr_spec == address


@pytest.mark.parametrize("address", UNSENDABLE)
def test_addresses_mail_could_not_carry_are_refused(address: str) -> None:
    assert not is_address(address)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(address, EmailAddress)


def test_every_address_the_rule_takes_a_header_carries_unchanged() -> None:
    """The rule is stricter than the header parser, never looser: what the API takes, a
    mail's To can hold as it is."""
    rng = random.Random(9457)
    local_chars = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-."
    domain_chars = string.ascii_letters + string.digits + "-."
    taken = 0
    for _ in range(20_000):
        local = "".join(rng.choices(local_chars, k=rng.randint(1, 10)))
        domain = "".join(rng.choices(domain_chars, k=rng.randint(1, 14)))
        address = f"{local}@{domain}"
        if is_address(address):
            taken += 1
            assert header_address("Name", address).addr_spec == address
    assert taken > 1_000  # the sample did exercise the rule


@pytest.mark.parametrize(
    ("sender", "ok"),
    [
        ("Intake <intake+notify@mail.city.example>", True),
        ("intake@city.example", True),
        ("Intake <intake@[10.0.0.1]>", False),
        ("Intake <intake@city>", False),
        ("intake@city.example.", False),
    ],
)
def test_intake_mail_from_follows_the_same_rule(sender: str, ok: bool) -> None:
    env = {"INTAKE_MAIL_FROM": sender}
    if ok:
        Settings.from_env(env)
    else:
        with pytest.raises(ConfigError, match="INTAKE_MAIL_FROM"):
            Settings.from_env(env)
