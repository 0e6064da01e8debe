"""Similar problems measured on paraphrases (tests/corpus/paraphrases.txt): the same problem
told by two departments in other words must come up in the first five similar problems, among
the other problems of a city (written by the demo city's generator, intake.demo.corpus).

bench/similar.py measures the same among 10,000 problems."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from intake.demo.corpus import TOPICS, ProblemWriter
from intake.triage import similar
from tests.conftest import City
from tests.helpers import Client, submitted

CORPUS = Path(__file__).parent / "corpus"
TOP = 5
TARGET = 0.9  # issue 18's target: of the pairs, the share whose paraphrase is in the first TOP
# Not reached yet (0.72 here when written): this floor keeps what was reached from slipping
# back while the dictionary and the ranking improve. docs/triage.md, "Measured".
FLOOR = 0.6
BACKGROUND = 300  # other problems of the city
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


def pairs() -> list[tuple[tuple[str, str], tuple[str, str]]]:
    texts = records(CORPUS / "paraphrases.txt")
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
    client: Client, city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    writer, rng = ProblemWriter(random.Random(18)), random.Random(18)
    for _ in range(BACKGROUND):
        text = writer.write(rng.choice(TOPICS), "Department of Transportation")
        await submit(client, city, "requester2", str(text["title"]), str(text["problem_statement"]))
    seconds = [await submit(client, city, "health", *second) for _, second in pairs()]
    firsts = [await submit(client, city, "parks", *first) for first, _ in pairs()]

    found, missed = 0, []
    for first, second in zip(firsts, seconds, strict=True):
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
            body = response.json()
            place = (
                [m["id"] for m in body].index(second["id"])
                if second["id"] in [m["id"] for m in body]
                else None
            )
            missed.append(f"{first['title']} (at {place}; top: {[m['title'] for m in body[:3]]})")
    share = found / len(firsts)
    with capsys.disabled():
        print(f"\nsimilar: {found}/{len(firsts)} paraphrases in the first {TOP} ({share:.2f})")

    assert share >= FLOOR, "\n".join(missed)


async def test_a_group_is_searched_as_one_term_any_member_matches(db: asyncpg.Connection) -> None:
    groups = (("household", "family", "families"), ("food stamps", "snap"))
    words = similar.Vocabulary(
        {"household": 0, "famili": 0, "snap": 1},
        ((), (("food", "stamp"),)),
        (("'household'", "'famili'"), ("'food' <-> 'stamp'", "'snap'")),
    )
    assert len(groups) == len(words.alternatives)

    query = similar.search_query(["famili", "food", "stamp", "rent"], {}, words)

    assert "'rent'" in query
    assert "('household' | 'famili')" in query
    assert "('food' <-> 'stamp' | 'snap')" in query
    # the stored document matches through any member
    assert await db.fetchval(
        "SELECT to_tsvector('english', 'Households need help') @@ to_tsquery('english', $1)",
        query,
    )
