"""Base structs for API schemas: strict input, compact output."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, TypeVar

import msgspec
from msgspec import inspect

# PostgreSQL text cannot hold NUL; every free-text input refuses it up front.
NO_NUL = msgspec.Meta(pattern=r"^[^\x00]*$", description="Text without NUL characters")

# Marks a title or a short name (of a problem, a department, a person, a team, a metric...):
# text people read in lists and headings, where it must say what it seems to say. Added to a
# field's Annotated type beside its length; Input checks and trims it (see ``_label``).
LABEL = msgspec.Meta(extra={"label": True})

# The explicit bidirectional formatting characters: embeddings, overrides and isolates. They
# make text display in another order than it is stored ("Trojan Source"). The plain marks
# (U+200E, U+200F, U+061C) that right-to-left writing needs stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that display as nothing: the Hangul fillers and the blank Braille pattern.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

# Calendar days a city's records can mean. The extremes Python allows (year 1, year 9999)
# would be stored by PostgreSQL as -infinity/infinity and break date arithmetic later.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are rejected, so nobody can mass-assign server fields.

    Every calendar-day field must lie between EARLIEST_DAY and LATEST_DAY (else 422), and
    every label (a field typed with LABEL, here or in structs it holds) is trimmed and
    checked by ``_label``. ``examples`` are the bodies the OpenAPI document shows, on the
    struct's schema and on every operation that takes it.
    """

    examples: ClassVar[tuple[Any, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            is_day = isinstance(value, date) and not isinstance(value, datetime)
            if is_day and not EARLIEST_DAY <= value <= LATEST_DAY:
                raise ValueError(f"`{name}` must be a day between {EARLIEST_DAY} and {LATEST_DAY}")
        _check_labels(self, "")


class Output(msgspec.Struct, kw_only=True):
    """A response body; ``examples`` are what the OpenAPI document shows on its schema."""

    examples: ClassVar[tuple[Any, ...]] = ()


def shown_length(text: str) -> int:
    """How many characters of ``text`` a reader sees: leaving out invisible ones (zero-width
    spaces and joiners, soft hyphens, direction marks, control characters, blank letters)
    and then the spaces around what is left."""
    if text.isascii() and text.isprintable():  # most text: no character is invisible
        return len(text.strip())
    return len("".join(c for c in text if c.isspace() or not _invisible(c)).strip())


def _invisible(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cf") or character in BLANK_LETTERS


def _label(where: str, text: str, least: int) -> str:
    """A title or short name, trimmed; a ValueError naming the field when it would mislead:
    fewer than ``least`` characters shown (blank, or only zero-width characters), or
    characters that reorder how it displays."""
    if not text.isascii() and any(character in BIDI_CONTROLS for character in text):
        raise ValueError(
            f"`{where}` must not contain bidirectional override, embedding or isolate "
            "characters (U+202A-U+202E, U+2066-U+2069)"
        )
    least = max(least, 1)
    if shown_length(text) < least:
        characters = "a character" if least == 1 else f"{least} characters"
        raise ValueError(
            f"`{where}` needs at least {characters} besides surrounding spaces and invisible "
            "characters such as zero-width spaces"
        )
    return text.strip()


@cache
def _label_fields(struct: type[msgspec.Struct]) -> tuple[tuple[str, int | None], ...]:
    """Where ``struct`` holds labels: (field, least length) for a label, (field, None) for
    a struct, or a list of structs, whose type holds some."""
    found: list[tuple[str, int | None]] = []
    info = inspect.type_info(struct)
    assert isinstance(info, inspect.StructType)
    for field in info.fields:
        union = field.type
        for kind in union.types if isinstance(union, inspect.UnionType) else (union,):
            inner = kind.type if isinstance(kind, inspect.Metadata) else kind
            item = inner.item_type if isinstance(inner, inspect.ListType) else inner
            if isinstance(kind, inspect.Metadata) and (kind.extra or {}).get("label"):
                assert isinstance(inner, inspect.StrType), f"{struct.__name__}.{field.name}"
                found.append((field.name, inner.min_length or 1))
            elif isinstance(item, inspect.StructType) and _label_fields(item.cls):
                found.append((field.name, None))
    return tuple(found)


def _check_labels(struct: msgspec.Struct, path: str) -> None:
    for name, least in _label_fields(type(struct)):
        value = getattr(struct, name)
        where = f"{path}{name}"
        if least is not None and isinstance(value, str):
            setattr(struct, name, _label(where, value, least))
        elif isinstance(value, msgspec.Struct):
            _check_labels(value, f"{where}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, msgspec.Struct):
                    _check_labels(item, f"{where}[{index}].")


S = TypeVar("S", bound=msgspec.Struct)


def from_columns(output: type[S], *shaped: str) -> Callable[..., S]:
    """A maker of ``output`` from a record's columns of the same names (an asyncpg record),
    given the ``shaped`` fields, those the record holds under another name or shape, by
    keyword: ``make(record, department=...)``. Not checked: the statement gives each column
    its field's type. Written once, as the code it stands for would read (the way
    ``dataclasses`` writes an ``__init__``), so a hot read pays no more than for that code."""
    fields = output.__struct_fields__
    unknown = set(shaped) - set(fields)
    if unknown:
        raise TypeError(f"{output.__name__} has no field {', '.join(sorted(unknown))}")
    arguments = ", ".join(
        f"{name}={name if name in shaped else f'_record[{name!r}]'}" for name in fields
    )
    keywords = f", *, {', '.join(shaped)}" if shaped else ""
    namespace: dict[str, Any] = {"_output": output}
    source = f"def make(_record{keywords}):\n    return _output({arguments})"
    exec(source, namespace)  # noqa: S102 (made of the struct's own field names only)
    make: Callable[..., S] = namespace["make"]
    make.__qualname__ = make.__name__ = f"{output.__name__}_from_columns"
    return make


def from_row(output: type[S], row: object, **fields: Any) -> S:
    """``output`` built by msgspec from ``row``'s attributes of the same names, with
    ``fields`` for those the row holds under another name or shape (checked like the rest)."""
    copied = {name: getattr(row, name) for name in output.__struct_fields__ if name not in fields}
    return msgspec.convert({**copied, **fields}, output)
