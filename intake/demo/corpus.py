"""Realistic problem text for a generated city, from topics, templates and word lists.

Each problem belongs to one service topic (permits, inspections, 311, benefits, payments,
records, parks, transit, ...) and is written from templates whose slots are filled with
that topic's nouns and actions plus city-wide word lists (systems, neighbourhoods,
languages, channels, durations), all in ``corpus.toml``. Topic words repeat across thousands
of problems, as real intake text does, and the neighbourhood, street, system and form names
give the long tail, so full-text search sees common and rare lexemes in realistic proportions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from intake.demo.data import read_toml


@dataclass(frozen=True, slots=True)
class Topic:
    departments: tuple[str, ...]
    things: tuple[str, ...]  # plural noun phrases: "building permit applications"
    actors: tuple[str, ...]  # who is affected: "homeowners"
    actions: tuple[str, ...]  # what they try to do: "apply for a permit"
    groups: tuple[str, ...]  # affected_groups values
    qualifiers: tuple[str, ...] = ()  # narrow a thing: "historic district" building permits


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The generated city's words (``corpus.toml``): its service topics, its departments by
    code, and the city-wide lists the templates draw from."""

    topics: tuple[Topic, ...]
    departments: dict[str, str]
    systems: tuple[tuple[str, bool], ...]  # (name, legacy)
    channels: tuple[str, ...]
    neighbourhoods: tuple[str, ...]
    streets: tuple[str, ...]
    street_kinds: tuple[str, ...]
    languages: tuple[str, ...]
    durations: tuple[str, ...]
    seasons: tuple[str, ...]
    tools: tuple[str, ...]
    burdens: tuple[str, ...]
    risks: tuple[str, ...]
    program_words: tuple[str, ...]
    program_nouns: tuple[str, ...]
    solution_phrases: tuple[str, ...]


WORDS = read_toml("corpus.toml", Vocabulary)
TOPICS = WORDS.topics


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class ProblemWriter:
    """Writes one problem's text fields from a seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def street(self) -> str:
        pick = self.rng.choice
        return f"{pick(WORDS.streets)} {pick(WORDS.street_kinds)}"

    def write(self, topic: Topic, department_name: str) -> dict[str, object]:
        rng, pick = self.rng, self.rng.choice
        thing, actor, action = pick(topic.things), pick(topic.actors), pick(topic.actions)
        if topic.qualifiers and rng.random() < 0.8:
            thing = f"{pick(topic.qualifiers)} {thing}"
        system, legacy = pick(WORDS.systems)
        other_system, other_legacy = pick(WORDS.systems)
        channel, place = pick(WORDS.channels), pick(WORDS.neighbourhoods)
        duration, language, tool = pick(WORDS.durations), pick(WORDS.languages), pick(WORDS.tools)
        per_year = rng.choice((120, 300, 800, 1500, 2400, 5000, 12000, 40000, 150000))
        per_year = int(per_year * rng.uniform(0.6, 1.6))
        hours = rng.choice((200, 600, 1200, 2500, 5000, 9000))
        form = f"Form {rng.choice(topic.departments)}-{rng.randint(100, 9999)}"
        program = f"{pick(WORDS.program_words)} {pick(WORDS.program_nouns)}"
        title = pick(
            (
                f"{_cap(actor)} wait {duration} for {thing}",
                f"{_cap(thing)} are tracked in {tool}",
                f"{_cap(actor)} cannot {action} online",
                f"Staff re-key {thing} from {channel} into {system}",
                f"{_cap(thing)} backlog grows every {pick(WORDS.seasons)}",
                f"No way to see the status of {thing}",
                f"{_cap(thing)} get lost between departments",
                f"Duplicate {thing} because {actor} get no confirmation",
                f"{_cap(actor)} call 311 repeatedly to check on {thing}",
                f"{_cap(thing)} are only available in English",
                f"{_cap(thing)} still depend on {system}",
                f"{_cap(thing)} in {place} take longer than anywhere else",
                f"{_cap(actor)} abandon {thing} halfway through",
                f"{form} for {thing} is confusing and often incomplete",
            )
        )
        statement_parts = [
            pick(
                (
                    f"Every year about {per_year:,} {actor} need to {action}.",
                    f"To {action}, {actor} have to use {channel} and wait {duration}.",
                    f"{_cap(thing)} arrive by {channel} and are keyed into {system} by hand.",
                    f"{_cap(actor)} in {place} and across the city struggle to {action}.",
                )
            ),
            pick(
                (
                    "Nobody can tell them where their request stands, so they call again.",
                    "About a third of submissions are missing a document and bounce back.",
                    "Staff spend hours each week answering status questions by phone.",
                    f"The {form} asks for the same information three times.",
                    f"Requests pile up around {pick(WORDS.seasons)} and take months to clear.",
                    f"Information is copied between {system} and {other_system}, with errors.",
                )
            ),
            pick(
                (
                    f"Residents who speak {language} often give up because nothing is translated.",
                    f"People without a car must travel to the counter on {self.street()}.",
                    "Small businesses lose days of trading while they wait.",
                    f"Errors lead to {pick(WORDS.risks)}.",
                    f"Applicants end up {pick(WORDS.burdens)}.",
                )
            ),
        ]
        if rng.random() < 0.4:
            statement_parts.insert(
                1, f"The {program} program depends on this step and has stalled in {place}."
            )
        if rng.random() < 0.5:
            statement_parts.append(
                f"{department_name} has tried to fix this with overtime, but demand keeps growing."
            )
        if rng.random() < 0.12:
            statement_parts.append(pick(WORDS.solution_phrases))
        outcome = pick(
            (
                f"{_cap(actor)} can {action} in one visit, online or by phone, in plain language.",
                f"{_cap(actor)} know within a week whether their request is approved.",
                f"Staff stop re-keying {thing} and spend the time on cases that need judgement.",
                f"Every {thing[:-1] if thing.endswith('s') else thing} has a visible status.",
                f"Fewer {actor} give up before finishing, especially in {place}.",
            )
        )
        measures = pick(
            (
                f"Median days from request to decision for {thing}.",
                f"Share of {thing} completed online; repeat calls to 311 per request.",
                "Staff hours per year spent re-keying; error rate found in audits.",
                "Abandonment rate, by ward and by language.",
            )
        )
        systems = [{"name": system, "legacy": legacy, "notes": f"holds {thing}"}]
        if rng.random() < 0.4 and other_system != system:
            systems.append({"name": other_system, "legacy": other_legacy, "notes": ""})
        deadline_reason = rng.random()
        return {
            "title": title[:200],
            "problem_statement": " ".join(statement_parts),
            "affected_groups": list(dict.fromkeys(rng.sample(topic.groups, rng.randint(1, 2)))),
            "affected_people_per_year": per_year,
            "current_process": pick(
                (
                    f"{_cap(thing)} come in through {channel}. A clerk checks them against "
                    f"{system} and files them in {tool}; follow-ups are by phone.",
                    f"Intake staff open each request from {channel}, copy it into {system}, "
                    f"and email the {program} coordinator.",
                    f"{_cap(actor)} fill in {form}; a supervisor approves it and the data is "
                    f"typed into {system} at the end of the week.",
                    f"Requests are triaged at the {self.street()} office and routed by "
                    f"interoffice mail to whoever covers {place}.",
                )
            ),
            "workarounds": pick(
                (
                    f"Staff keep {tool} of pending cases and call {actor} back one by one.",
                    f"Supervisors print a weekly list from {system} and assign it by hand.",
                    f"A volunteer translates notices into {language} when one is available.",
                    f"The counter on {self.street()} stays open late twice a month.",
                )
            ),
            "impact_staff_hours_per_year": hours,
            "impact_cost_per_year": hours * rng.choice((45, 60, 75)),
            "impact_risk": f"Risk of {pick(WORDS.risks)}." if rng.random() < 0.6 else None,
            "impact_resident_burden": f"{_cap(actor)} report {pick(WORDS.burdens)}.",
            "urgency_reason": (
                None
                if deadline_reason < 0.6
                else pick(("legal_mandate", "funding_expiry", "contract_end", "public_safety"))
            ),
            "urgency_notes": (
                f"The support contract for {system} ends and the vendor will not renew it."
                if deadline_reason >= 0.6
                else None
            ),
            "desired_outcome": outcome,
            "success_measures": measures,
            "systems_involved": systems,
            "data_sensitivity": pick(("public", "internal", "internal", "confidential")),
            "equity_considerations": (
                f"Residents in {place} and {pick(WORDS.neighbourhoods)} are affected most; many "
                f"speak {language} at home."
                if rng.random() < 0.55
                else None
            ),
            "communities_affected": sorted({place, f"Ward {rng.randint(1, 15)}"}),
            "accessibility_needs": (
                "Forms must work with screen readers and on phones." if rng.random() < 0.3 else None
            ),
            "language_access_needs": (
                f"Notices and forms in {language} and {pick(WORDS.languages)}."
                if rng.random() < 0.4
                else None
            ),
        }
