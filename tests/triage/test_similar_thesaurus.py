"""The civic thesaurus similar problems read (intake/triage/thesaurus/): words for one thing
are one term, things of one kind share their concept, phrases count in order, and every
word and stem belongs to one group only."""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from intake.triage import words
from tests.builders import City
from tests.helpers import PLAIN, Client, ids, similar_to, submitted


async def test_different_things_of_one_kind_find_each_other(client: Client, city: City) -> None:
    # Sofas and mattresses share no word, nor a synonym: both are bulky items.
    sofas = await submitted(
        client,
        city,
        **PLAIN,
        title="Sofas dumped outside apartment buildings",
        problem_statement="Couches sit there for a month.",
    )
    mattresses = await submitted(
        client,
        city,
        "health",
        **PLAIN,
        title="Mattresses pile up by the road",
        problem_statement="Box springs stay out all week.",
    )
    await submitted(
        client,
        city,
        "parks",
        **PLAIN,
        title="Parking meters reject coins",
        problem_statement="Drivers get tickets anyway.",
    )

    assert ids(await similar_to(client, city, sofas)) == [mattresses["id"]]


async def test_a_lift_is_an_elevator(client: Client, city: City) -> None:
    lifts = await submitted(
        client,
        city,
        **PLAIN,
        title="Lifts out of order at stations",
        problem_statement="Riders using wheelchairs turn back.",
    )
    elevators = await submitted(
        client,
        city,
        "health",
        **PLAIN,
        title="Broken elevators strand passengers",
        problem_statement="Platforms cannot be reached for weeks.",
    )

    [match] = await similar_to(client, city, lifts)

    assert match["id"] == elevators["id"]
    assert match["other_department"] is True


def test_a_phrase_counts_only_with_its_words_in_order() -> None:
    groups = [words.Group(("heatwave", "extreme heat", "e-mail"), "health")]
    stems = {
        "heatwave": ("heatwav",),
        "extreme heat": ("extrem", "heat"),
        "e-mail": ("e-mail", "e", "mail"),
    }
    vocabulary = words.build_vocabulary(groups, stems, {})

    assert words.terms_of(["extrem", "heat", "warn"], vocabulary) == [
        "extrem",
        "heat",
        "warn",
        "~heatwave",
        "^health",
    ]
    assert words.terms_of(["heat", "season", "extrem"], vocabulary) == ["heat", "season", "extrem"]
    # A hyphenated member is the phrase of its parts, as a text's words are read.
    assert "~heatwave" in words.terms_of(["e-mail", "e", "mail"], vocabulary)


async def test_each_word_and_each_stem_belongs_to_one_group(db: asyncpg.Connection) -> None:
    groups = words.thesaurus()
    members = sorted({word for group in groups for word in group.words})
    rows = await db.fetch(
        "SELECT word, ARRAY(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, word)) "
        "ORDER BY positions[1]) AS lexemes FROM unnest($1::text[]) AS word",
        members,
    )
    stems = {row["word"]: row["lexemes"] for row in rows}
    owners: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        for word in group.words:
            owners[word].add(group.words[0])
            if len(stems[word]) == 1 and " " not in word:
                owners["stem " + stems[word][0]].add(group.words[0])

    shared = {key: sorted(names) for key, names in owners.items() if len(names) > 1}
    assert shared == {}
    assert len(groups) >= 350
    assert {group.concept for group in groups} >= {
        "transport",
        "courts",
        "bulky_item",
        "homelessness",
    }
