"""Similar problems measured on paraphrases: the same problem told by two departments in
other words must come up in the first five similar problems, among the other problems of a
city (written by the demo city's generator, intake.demo.corpus).

The matches are the meaning worker's (intake.triage.meanings: meaning and terms), run after
the submits as the app runs it. tests/corpus/paraphrases.txt holds the pairs the ranking,
the blend of meaning and terms, and the first synonym dictionary were tuned on (the civic
thesaurus that replaced it was written from city services, not from the pairs);
paraphrases_heldout.txt, pairs written before that and never tuned on;
paraphrases_fresh.txt, pairs written before the second pass changed anything (measured first,
then looked at). bench/similar.py measures the same among 10,000 problems."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.demo.corpus import TOPICS, ProblemWriter
from intake.triage import words
from intake.web.reads import caller_of
from tests.builders import EMAILS, City
from tests.helpers import Client, embed_all, submitted, submitted_by_services

pytestmark = pytest.mark.costly  # scheduled first (tests/timing.py)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TOP = 5
TARGET = 0.9  # issue 18's target: of the pairs, the share whose paraphrase is in the first TOP
BACKGROUND = 300  # other problems of the city
CORPORA = ("paraphrases.txt", "paraphrases_heldout.txt", "paraphrases_fresh.txt")
# The rest of each record shares no word with the texts, so only title and statement count.
PLAIN = {
    "current_process": "Done by hand.",
    "workarounds": None,
    "impact_resident_burden": None,
    "desired_outcome": "It just works.",
}


def records(path: Path) -> list[tuple[str, str]]:
    """(title, statement) of each text line of a corpus file, in order."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            parts = [part.strip() for part in line.split("|")]
            found.append((parts[-2], parts[-1]))
    return found


def pairs(name: str = "paraphrases.txt") -> list[tuple[tuple[str, str], tuple[str, str]]]:
    texts = records(CORPUS / name)
    return list(zip(texts[0::2], texts[1::2], strict=True))


async def submit(client: Client, city: City, who: str, title: str, statement: str) -> Any:
    return await submitted(client, city, who, title=title, problem_statement=statement, **PLAIN)


def test_the_paraphrase_corpus_has_forty_pairs_across_departments() -> None:
    lines = [
        line.split("|")[0].strip()
        for line in (CORPUS / "paraphrases.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    departments = list(zip(lines[0::2], lines[1::2], strict=True))

    assert len(departments) >= 40
    assert all(first != second for first, second in departments)


async def test_paraphrases_from_other_departments_are_found(
    client: Client,
    city: City,
    db: asyncpg.Connection,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The background through the services the routes call; the pairs through the API.
    writer, rng = ProblemWriter(random.Random(18)), random.Random(18)
    dot = await caller_of(db, EMAILS["requester2"])
    for _ in range(BACKGROUND):
        text = writer.write(rng.choice(TOPICS), "Department of Transportation")
        title, statement = str(text["title"]), str(text["problem_statement"])
        await submitted_by_services(
            sessions, dot, title=title, problem_statement=statement, **PLAIN
        )
    corpora = {name: pairs(name) for name in CORPORA}
    seconds = {
        n: [await submit(client, city, "health", *b) for _, b in c] for n, c in corpora.items()
    }
    firsts = {
        n: [await submit(client, city, "parks", *a) for a, _ in c] for n, c in corpora.items()
    }
    await embed_all(sessions)  # what the app's meaning worker does after the submits

    shares, missed = {}, []
    for name in corpora:
        found = 0
        for first, second in zip(firsts[name], seconds[name], strict=True):
            response = await client.get(
                f"/api/v1/problems/{first['id']}/similar", headers=city.auth("triager")
            )
            assert response.status_code == 200, response.text
            top = [match["id"] for match in response.json()[:TOP]]
            if second["id"] in top:
                found += 1
                [match] = [m for m in response.json() if m["id"] == second["id"]]
                assert match["other_department"] is True
                assert "consider collaborating" in match["suggestion"]
            else:
                missed.append(f"{name}: {first['title']}")
        shares[name] = found / len(corpora[name])
        with capsys.disabled():
            print(f"\nsimilar, {name}: {found}/{len(corpora[name])} in the first {TOP}")

    # What meaning and terms reach among 300 (docs/triage.md#measured): 39/40, 21/21, 21/22
    # (the terms alone: 36/40, 21/21, 21/22).
    assert shares["paraphrases.txt"] >= 0.975, "\n".join(missed)
    assert shares["paraphrases_heldout.txt"] >= 1.0, "\n".join(missed)
    assert shares["paraphrases_fresh.txt"] >= 0.95, "\n".join(missed)


def test_a_synonym_group_is_one_term_numbers_and_compounds_are_not() -> None:
    vocabulary = words.Vocabulary(
        {"household": "~household", "famili": "~household", "snap": "~food stamps"},
        ((("food", "stamp"), "~food stamps"),),
        {},
    )

    terms = words.terms_of(["famili", "food", "stamp", "rent", "11", "spanish-speak"], vocabulary)

    assert terms == ["~household", "food", "stamp", "rent", "~food stamps"]
