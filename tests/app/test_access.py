"""The access table: every endpoint of discovery, delivery, outcomes and collaboration, for
every kind of caller, on an open and on a restricted problem.

Each table row is an endpoint; each column the status one actor gets from a well-formed
request (the right If-Match, a valid body), so a refusal can only come from access rules.
On the restricted problem everything is the same except that the other department (``parks``)
sees nothing: every problem endpoint is a 404 for it. DTI roles and leadership see restricted
problems, and so does a collaborating department (``health``: DPH collaborates on both).

Writes that change or remove something act on a sub-resource made fresh for that one case,
so one actor's success never changes what the next actor is tried on.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from tests.builders import EMAILS, City
from tests.helpers import Client, in_phase

ACTORS = (
    "requester",  # req: the owning department (DOT), who submitted the problem
    "health",  # dph: a collaborating department's requester
    "parks",  # prk: another department's requester
    "triager",  # tri: the problem's triager
    "other_triager",  # tr2: a triager of other problems
    "team_member",  # mem: on the team paired with the problem
    "other_member",  # mm2: on another team
    "leader",  # ldr: leadership (Office of the Mayor)
    "admin",  # adm: DTI operations
)
EXTRA_PEOPLE = {  # actors beyond the conftest city: (e-mail, name, roles)
    "other_triager": ("pm.two@city.example", "Pat Two", ["triager"]),
    "other_member": ("dev.two@city.example", "Dee Two", ["team_member"]),
}
HIDDEN_WHEN_RESTRICTED = frozenset({"parks"})
DTI = frozenset({"triager", "other_triager", "team_member", "other_member", "admin"})

# Endpoints under /api/v1/problems/{id}. A label after the path tells two rows apart.
# fmt: off
PROBLEM_TABLE: dict[str, str] = {
    #                                                    req dph prk tri tr2 mem mm2 ldr adm
    # discovery
    "GET    /findings":                                 "200 200 200 200 200 200 200 200 200",
    "POST   /findings":                                 "403 403 403 201 403 201 403 403 403",
    "GET    /findings/{finding}":                       "200 200 200 200 200 200 200 200 200",
    "PATCH  /findings/{finding}":                       "403 403 403 200 403 200 403 403 403",
    "DELETE /findings/{finding}":                       "403 403 403 204 403 204 403 403 403",
    "GET    /journey":                                  "200 200 200 200 200 200 200 200 200",
    "PUT    /journey":                                  "403 403 403 200 403 200 403 403 403",
    # delivery
    "GET    /milestones":                               "200 200 200 200 200 200 200 200 200",
    "POST   /milestones":                               "403 403 403 201 403 201 403 403 403",
    "GET    /milestones/{milestone}":                   "200 200 200 200 200 200 200 200 200",
    "PATCH  /milestones/{milestone}":                   "403 403 403 200 403 200 403 403 403",
    "DELETE /milestones/{milestone}":                   "403 403 403 204 403 204 403 403 403",
    "GET    /updates":                                  "200 200 200 200 200 200 200 200 200",
    "POST   /updates":                                  "403 403 403 201 403 201 403 403 403",
    "GET    /updates/{update}":                         "200 200 200 200 200 200 200 200 200",
    # outcomes (the metric's owner is the requester: owners record measurements too)
    "GET    /metrics":                                  "200 200 200 200 200 200 200 200 200",
    "POST   /metrics":                                  "403 403 403 201 403 201 403 403 403",
    "GET    /metrics/{metric}":                         "200 200 200 200 200 200 200 200 200",
    "PATCH  /metrics/{metric}":                         "403 403 403 200 403 200 403 403 403",
    "DELETE /metrics/{metric}":                         "403 403 403 204 403 204 403 403 403",
    "GET    /metrics/{metric}/measurements":            "200 200 200 200 200 200 200 200 200",
    "POST   /metrics/{metric}/measurements":            "201 403 403 201 403 201 403 403 403",
    "GET    /metrics/{metric}/measurements/{measured}": "200 200 200 200 200 200 200 200 200",
    # comments: anyone who sees the problem; dti_internal ones exist for DTI roles only
    "GET    /comments":                                 "200 200 200 200 200 200 200 200 200",
    "POST   /comments":                                 "201 201 201 201 201 201 201 201 201",
    "POST   /comments  dti_internal":                   "403 403 403 201 201 201 201 403 201",
    "GET    /comments/{comment}":                       "200 200 200 200 200 200 200 200 200",
    "GET    /comments/{internal}":                      "404 404 404 200 200 200 200 404 200",
    "PATCH  /comments/{comment}  own":                  "200 200 200 200 200 200 200 200 200",
    "PATCH  /comments/{comment}  another's":            "403 403 403 403 403 403 403 403 403",
    "PATCH  /comments/{internal}  the triager's":       "404 404 404 200 403 403 403 404 403",
    # watchers: follow yourself; the owning requesters and the problem's team manage others
    "GET    /watchers":                                 "200 200 200 200 200 200 200 200 200",
    "GET    /watchers/{person}":                        "200 200 200 200 200 200 200 200 200",
    "POST   /watchers  yourself":                       "201 201 201 201 201 201 201 201 201",
    "DELETE /watchers/{person}  yourself":              "204 204 204 204 204 204 204 204 204",
    "POST   /watchers  someone else":                   "201 403 403 201 403 201 403 403 403",
    "DELETE /watchers/{person}  someone else":          "204 403 403 204 403 204 403 403 403",
    # collaborators: the owning requesters, the problem's team, and admins
    "GET    /collaborators":                            "200 200 200 200 200 200 200 200 200",
    "GET    /collaborators/{collaborator}":             "200 200 200 200 200 200 200 200 200",
    "POST   /collaborators":                            "201 403 403 201 403 201 403 403 201",
    "DELETE /collaborators/{collaborator}":             "204 403 403 204 403 204 403 403 204",
}

# The inbox, under /api/v1/me/notifications: everyone's own, nobody else's ({notification}
# is one of the requester's). It is not about one problem, so nothing here is hidden.
INBOX_TABLE: dict[str, str] = {
    #                                                    req dph prk tri tr2 mem mm2 ldr adm
    "GET    ":                                          "200 200 200 200 200 200 200 200 200",
    "POST   /{notification}/read":                      "200 404 404 404 404 404 404 404 404",
    "POST   /read  the requester's":                    "200 404 404 404 404 404 404 404 404",
    "POST   /read  all of yours":                       "200 200 200 200 200 200 200 200 200",
}

# The phase actions, POST /api/v1/problems/{id}/<action>, each tried in the state it needs.
PHASE_TABLE: dict[str, str] = {
    #                                                    req dph prk tri tr2 mem mm2 ldr adm
    "start-discovery":                                  "403 403 403 200 403 200 403 403 403",
    "start-delivery":                                   "403 403 403 200 403 200 403 403 403",
    "launch":                                           "403 403 403 200 403 200 403 403 403",
    "close":                                            "403 403 403 200 403 200 403 403 403",
}
# fmt: on

EVIDENCE = [{"source": "Interview at the permit counter", "date": "2026-10-02", "who": "Clerk"}]
REVIEW = {"result": "achieved", "summary": "Decisions in 4 days.", "lessons": "Start early."}
PHASE_BODIES: dict[str, dict[str, Any] | None] = {
    "start-discovery": None,
    "start-delivery": {"phase": "alpha"},
    "launch": None,
    "close": REVIEW,
}


def statuses(row: str) -> dict[str, int]:
    codes = [int(code) for code in row.split()]
    assert len(codes) == len(ACTORS), row
    return dict(zip(ACTORS, codes, strict=True))


def split(endpoint: str) -> tuple[str, str]:
    """``"PATCH  /comments/{comment}  own"`` -> ``("PATCH", "/comments/{comment}")``."""
    method, _, rest = endpoint.strip().partition(" ")
    path = rest.strip().split("  ")[0] if rest.strip() else ""
    return method, path


# -- the world every row runs against -----------------------------------------------------------


@dataclass
class Cast:
    """Everyone in ACTORS (and requester2) with their ids and tokens."""

    client: Client
    city: City
    ids: dict[str, str]
    emails: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = self.city.keys.issue(self.emails[who])
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def send(
        self,
        method: str,
        url: str,
        who: str,
        json: Any = None,
        if_match: str | None = None,
    ) -> Any:
        headers = self.auth(who)
        if if_match is not None:
            headers["If-Match"] = if_match
        if json is None:
            return await self.client.request(method, url, headers=headers)
        return await self.client.request(method, url, json=json, headers=headers)


async def cast_of(client: Client, city: City, db: asyncpg.Connection) -> Cast:
    """The conftest city plus a triager of other problems and a member of another team."""
    emails = dict(EMAILS)
    ids = {who: str(person) for who, person in city.people.items()}
    for who, (email, name, roles) in EXTRA_PEOPLE.items():
        person = await db.fetchval(
            "INSERT INTO people (id, email, name, department_id, roles) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            uuid.uuid4(),
            email,
            name,
            city.departments["DTI"],
            roles,
        )
        emails[who], ids[who] = email, str(person)
    team = await client.post(
        "/api/v1/teams",
        json={
            "name": "Libraries Team",
            "disciplines": ["product_management", "software_engineering"],
            "wip_limit": 5,
            "members": [{"email": emails["other_member"], "discipline": "software_engineering"}],
        },
        headers=city.auth("admin"),
    )
    assert team.status_code == 201, team.text
    return Cast(client=client, city=city, ids=ids, emails=emails)


@dataclass
class World:
    """One problem in delivery (so every work record is writable), with one of each record."""

    cast: Cast
    problem: dict[str, Any]
    shared: dict[str, Any]  # path placeholders every row may use
    hidden: frozenset[str]
    serial: itertools.count[int] = field(default_factory=itertools.count)
    unchanged: dict[str, Case] = field(default_factory=dict)  # fresh cases not yet changed

    @property
    def url(self) -> str:
        return f"/api/v1/problems/{self.problem['id']}"

    def name(self, what: str) -> str:
        return f"{what} {next(self.serial)}"

    async def make(self, path: str, body: Any, who: str = "team_member") -> dict[str, Any]:
        """POST a record under the problem; returns it with its ETag (if any)."""
        response = await self.cast.send("POST", self.url + path, who, json=body)
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        made["etag"] = response.headers.get("etag")
        return made


async def build_world(cast: Cast, *, restricted: bool, team: str = "Permits Team") -> World:
    client, city = cast.client, cast.city
    problem = await in_phase(client, city, "delivery", restricted=restricted, team_name=team)
    world = World(
        cast=cast,
        problem=problem,
        shared={},
        hidden=HIDDEN_WHEN_RESTRICTED if restricted else frozenset(),
    )
    # The health department sees a restricted problem only as a collaborator.
    before = await cast.send("GET", world.url, "health")
    assert before.status_code == (404 if restricted else 200)
    dph = await world.make("/collaborators", {"department": "DPH"}, who="requester")
    for _ in range(2):  # a journey to reorder
        await world.make("/findings", journey_step(world))
    finding = await world.make("/findings", insight(world))
    milestone = await world.make("/milestones", milestone_body(world))
    update = await world.make("/updates", {"status": "on_track", "summary": "On track."})
    metric = await world.make("/metrics", metric_body(world, owner="requester"))
    measured = await world.make(f"/metrics/{metric['id']}/measurements", measurement_body())
    comment = await world.make("/comments", {"body": "Shall we meet Tuesday?"}, who="requester")
    internal = await world.make(
        "/comments", {"body": "Vendor quote", "visibility": "dti_internal"}, who="triager"
    )
    inbox = await cast.send("GET", "/api/v1/me/notifications?limit=100", "requester")
    assert inbox.status_code == 200, inbox.text
    notification = next(
        item["id"] for item in inbox.json()["items"] if item["problem"]["id"] == problem["id"]
    )
    world.shared = {
        "finding": finding["id"],
        "milestone": milestone["id"],
        "update": update["id"],
        "metric": metric["id"],
        "measured": measured["id"],
        "comment": comment["id"],
        "internal": internal["id"],
        "person": cast.ids["triager"],  # follows the problem since triage
        "collaborator": dph["id"],
        "notification": notification,
    }
    return world


# -- request bodies ---------------------------------------------------------------------------

Case = dict[str, Any]  # path placeholders for one case, and "if_match" when it needs one


def journey_step(world: World, _: Case | None = None) -> dict[str, Any]:
    return {"kind": "journey_step", "title": world.name("Step"), "evidence": EVIDENCE}


def insight(world: World, _: Case | None = None) -> dict[str, Any]:
    return {"kind": "insight", "title": world.name("Insight"), "evidence": EVIDENCE}


def milestone_body(world: World, _: Case | None = None) -> dict[str, Any]:
    return {"title": world.name("Beta in Ward 3"), "target_date": "2027-03-31"}


def metric_body(world: World, _: Case | None = None, owner: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": world.name("Median days to a decision"),
        "unit": "days",
        "direction": "decrease",
        "baseline": 31,
        "target": 7,
        "target_date": "2027-06-30",
    }
    if owner is not None:
        body["owner_email"] = world.cast.emails[owner]
    return body


def measurement_body(*_: Any) -> dict[str, Any]:
    return {"value": 20, "measured_on": "2026-10-01"}


def comment_body(world: World, _: Case | None = None) -> dict[str, Any]:
    return {"body": world.name("A comment")}


# -- fresh sub-resources: made for one case, as the problem's team unless said otherwise ------

Fresh = Callable[[World, str], Awaitable[Case]]


async def a_finding(world: World, actor: str) -> Case:
    made = await world.make("/findings", insight(world))
    return {"finding": made["id"], "if_match": made["etag"]}


async def the_journey(world: World, actor: str) -> Case:
    response = await world.cast.send("GET", world.url + "/journey", "team_member")
    assert response.status_code == 200, response.text
    return {
        "if_match": response.headers["etag"],
        "steps": [step["id"] for step in response.json()["steps"]],
    }


async def a_milestone(world: World, actor: str) -> Case:
    made = await world.make("/milestones", milestone_body(world))
    return {"milestone": made["id"], "if_match": made["etag"]}


async def a_metric(world: World, actor: str) -> Case:
    made = await world.make("/metrics", metric_body(world))
    return {"metric": made["id"], "if_match": made["etag"]}


async def own_comment(world: World, actor: str) -> Case:
    # Someone who cannot see the problem cannot have commented; they get a colleague's.
    author = "requester2" if actor in world.hidden else actor
    made = await world.make("/comments", comment_body(world), who=author)
    return {"comment": made["id"], "if_match": made["etag"]}


async def anothers_comment(world: World, actor: str) -> Case:
    made = await world.make("/comments", comment_body(world), who="requester2")
    return {"comment": made["id"], "if_match": made["etag"]}


async def triagers_internal_comment(world: World, actor: str) -> Case:
    body = {"body": world.name("Internal"), "visibility": "dti_internal"}
    made = await world.make("/comments", body, who="triager")
    return {"internal": made["id"], "if_match": made["etag"]}


async def _follows(world: World, who: str, following: bool) -> None:
    """Make ``who`` follow the problem or not (a no-op for someone who cannot see it)."""
    if following:
        response = await world.cast.send("POST", world.url + "/watchers", who)
        assert response.status_code in (200, 201, 404), response.text
    else:
        person = world.cast.ids[who]
        response = await world.cast.send("DELETE", f"{world.url}/watchers/{person}", who)
        assert response.status_code in (204, 404), response.text


async def actor_not_following(world: World, actor: str) -> Case:
    await _follows(world, actor, following=False)
    return {}


async def actor_following(world: World, actor: str) -> Case:
    await _follows(world, actor, following=True)
    return {"person": world.cast.ids[actor]}


async def requester2_not_following(world: World, actor: str) -> Case:
    await _follows(world, "requester2", following=False)
    return {}


async def requester2_following(world: World, actor: str) -> Case:
    await _follows(world, "requester2", following=True)
    return {"person": world.cast.ids["requester2"]}


async def _mayor_collaboration(world: World) -> str | None:
    response = await world.cast.send("GET", world.url + "/collaborators", "admin")
    assert response.status_code == 200, response.text
    for row in response.json():
        if row["department"] and row["department"]["code"] == "MYR":
            return str(row["id"])
    return None


async def mayor_not_collaborating(world: World, actor: str) -> Case:
    # The Office of the Mayor: adding it changes nobody's view (leadership sees everything).
    existing = await _mayor_collaboration(world)
    if existing is not None:
        url = f"{world.url}/collaborators/{existing}"
        assert (await world.cast.send("DELETE", url, "admin")).status_code == 204
    return {}


async def mayor_collaborating(world: World, actor: str) -> Case:
    existing = await _mayor_collaboration(world)
    if existing is None:
        existing = (await world.make("/collaborators", {"department": "MYR"}, who="admin"))["id"]
    return {"collaborator": existing}


@dataclass(frozen=True)
class Call:
    """How to make a well-formed request for a row: its body and any fresh sub-resource.

    A fresh sub-resource is made again only after a request changed it (a 2xx), since a
    refused one leaves it as it was; ``per_actor`` ones are made for each actor.
    """

    body: Callable[[World, Case], Any] | None = None
    fresh: Fresh | None = None
    per_actor: bool = False


CALLS: dict[str, Call] = {
    "GET    /findings": Call(),
    "POST   /findings": Call(body=insight),
    "GET    /findings/{finding}": Call(),
    "PATCH  /findings/{finding}": Call(
        body=lambda w, c: {"title": w.name("Edited")}, fresh=a_finding
    ),
    "DELETE /findings/{finding}": Call(fresh=a_finding),
    "GET    /journey": Call(),
    "PUT    /journey": Call(body=lambda w, c: {"step_ids": c["steps"][::-1]}, fresh=the_journey),
    "GET    /milestones": Call(),
    "POST   /milestones": Call(body=milestone_body),
    "GET    /milestones/{milestone}": Call(),
    "PATCH  /milestones/{milestone}": Call(
        body=lambda w, c: {"target_date": "2027-04-30", "reason": "Translation"}, fresh=a_milestone
    ),
    "DELETE /milestones/{milestone}": Call(fresh=a_milestone),
    "GET    /updates": Call(),
    "POST   /updates": Call(body=lambda w, c: {"status": "at_risk", "summary": "Slipping."}),
    "GET    /updates/{update}": Call(),
    "GET    /metrics": Call(),
    "POST   /metrics": Call(body=metric_body),
    "GET    /metrics/{metric}": Call(),
    "PATCH  /metrics/{metric}": Call(body=lambda w, c: {"target": 5}, fresh=a_metric),
    "DELETE /metrics/{metric}": Call(fresh=a_metric),
    "GET    /metrics/{metric}/measurements": Call(),
    "POST   /metrics/{metric}/measurements": Call(body=measurement_body),
    "GET    /metrics/{metric}/measurements/{measured}": Call(),
    "GET    /comments": Call(),
    "POST   /comments": Call(body=comment_body),
    "POST   /comments  dti_internal": Call(
        body=lambda w, c: {"body": w.name("Internal"), "visibility": "dti_internal"}
    ),
    "GET    /comments/{comment}": Call(),
    "GET    /comments/{internal}": Call(),
    "PATCH  /comments/{comment}  own": Call(body=comment_body, fresh=own_comment, per_actor=True),
    "PATCH  /comments/{comment}  another's": Call(body=comment_body, fresh=anothers_comment),
    "PATCH  /comments/{internal}  the triager's": Call(
        body=comment_body, fresh=triagers_internal_comment
    ),
    "GET    /watchers": Call(),
    "GET    /watchers/{person}": Call(),
    "POST   /watchers  yourself": Call(fresh=actor_not_following, per_actor=True),
    "DELETE /watchers/{person}  yourself": Call(fresh=actor_following, per_actor=True),
    "POST   /watchers  someone else": Call(
        body=lambda w, c: {"email": w.cast.emails["requester2"]}, fresh=requester2_not_following
    ),
    "DELETE /watchers/{person}  someone else": Call(fresh=requester2_following),
    "GET    /collaborators": Call(),
    "GET    /collaborators/{collaborator}": Call(),
    "POST   /collaborators": Call(
        body=lambda w, c: {"department": "MYR"}, fresh=mayor_not_collaborating
    ),
    "DELETE /collaborators/{collaborator}": Call(fresh=mayor_collaborating),
    # the inbox
    "GET    ": Call(),
    "POST   /{notification}/read": Call(),
    "POST   /read  the requester's": Call(body=lambda w, c: {"ids": [c["notification"]]}),
    "POST   /read  all of yours": Call(body=lambda w, c: {"all": True}),
}


# -- running the tables -------------------------------------------------------------------------


async def attempt(
    world: World,
    base: str,
    endpoint: str,
    actor: str,
    owner: World | None = None,
    unknown_ids: bool = False,
) -> Any:
    """Send the row's request as ``actor``: fresh sub-resources first, then the call itself.

    With ``owner``, the sub-resources are another problem's, sent under this one's URL; with
    ``unknown_ids``, the ids in the path name nothing at all.
    """
    call = CALLS[endpoint]
    owner = owner or world
    case: Case = dict(owner.shared)
    if call.fresh is not None:
        if call.per_actor or endpoint not in owner.unchanged:
            owner.unchanged[endpoint] = await call.fresh(owner, actor)
        case.update(owner.unchanged[endpoint])
    method, path = split(endpoint)
    if unknown_ids:
        case.update({key: str(uuid.uuid4()) for key in case if f"{{{key}}}" in path})
    url = base + path.format(**case)
    body = call.body(world, case) if call.body is not None else None
    response = await world.cast.send(method, url, actor, json=body, if_match=case.get("if_match"))
    if response.status_code < 300:
        owner.unchanged.pop(endpoint, None)
    return response


def apart_from_request_id(text: str) -> Any:
    """A problem+json body without the member that names its request (each has its own)."""
    body = json.loads(text)
    body.pop("request_id", None)
    return body


def mismatch(label: str, endpoint: str, actor: str, expected: int, response: Any) -> str | None:
    """What is wrong with the response, or None. A refusal must be RFC 9457 problem+json."""
    got, case = response.status_code, f"{label}: {' '.join(endpoint.split())} as {actor}"
    if got != expected:
        leak = " (ALLOWED where it must be refused)" if got < 300 <= expected else ""
        return f"{case}: expected {expected}, got {got}{leak}\n    {response.text[:300]}"
    if expected >= 400:
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("application/problem+json"):
            return f"{case}: {got} is not problem+json"
    return None


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
async def test_access_table(
    client: Client, city: City, db: asyncpg.Connection, restricted: bool
) -> None:
    """Every row, for every actor: all mismatches are reported at once, each naming the
    problem variant, the endpoint and the actor (and a success where a refusal was due
    says so)."""
    assert set(CALLS) == set(PROBLEM_TABLE) | set(INBOX_TABLE)
    world = await build_world(await cast_of(client, city, db), restricted=restricted)
    label = "restricted" if restricted else "open"
    wrong: list[str] = []
    tables = [
        (PROBLEM_TABLE, world.url, True),
        (INBOX_TABLE, "/api/v1/me/notifications", False),
    ]
    tried = 0
    for table, base, about_the_problem in tables:
        for endpoint, row in table.items():
            for actor, expected in statuses(row).items():
                if about_the_problem and actor in world.hidden:
                    expected = 404
                response = await attempt(world, base, endpoint, actor)
                tried += 1
                if problem := mismatch(label, endpoint, actor, expected, response):
                    wrong.append(problem)
    assert tried == len(ACTORS) * (len(PROBLEM_TABLE) + len(INBOX_TABLE))
    assert not wrong, f"{len(wrong)} of {tried} cases wrong:\n" + "\n".join(wrong)


async def test_records_of_a_problem_are_not_reachable_through_another(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """Every row naming a sub-resource, sent under the open problem's URL with the restricted
    problem's ids, is refused exactly as if the ids named nothing: never a success, for the
    triager and team of both problems neither, and no different status that would tell."""
    cast = await cast_of(client, city, db)
    open_world = await build_world(cast, restricted=False)
    restricted = await build_world(cast, restricted=True, team="Roads Team")
    rows = [
        endpoint
        for endpoint in PROBLEM_TABLE
        if "{" in endpoint and "{person}" not in endpoint  # watchers are people, not records
    ]
    assert rows
    wrong = []
    for endpoint in rows:
        for actor in ("requester", "parks", "triager", "team_member", "admin"):
            url = open_world.url
            unknown = await attempt(open_world, url, endpoint, actor, unknown_ids=True)
            assert unknown.status_code in (403, 404), (endpoint, actor, unknown.text)
            response = await attempt(open_world, url, endpoint, actor, owner=restricted)
            if problem := mismatch("across", endpoint, actor, unknown.status_code, response):
                wrong.append(problem)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
async def test_phase_action_table(
    client: Client, city: City, db: asyncpg.Connection, restricted: bool
) -> None:
    """Every actor tries every phase action in the state it needs, with the current ETag;
    two problems take turns, so both the triager and the team member take each action."""
    cast = await cast_of(client, city, db)
    hidden = HIDDEN_WHEN_RESTRICTED if restricted else frozenset()
    label = "restricted" if restricted else "open"
    turns = [
        ("triager", "team_member", "triager", "team_member"),
        ("team_member", "triager", "team_member", "triager"),
    ]
    wrong: list[str] = []
    for number, turn in enumerate(turns):
        problem = await in_phase(
            client, city, "accepted", restricted=restricted, team_name=f"Team {number}"
        )
        added = await cast.send(
            "POST",
            f"/api/v1/problems/{problem['id']}/collaborators",
            "requester",
            json={"department": "DPH"},
        )
        assert added.status_code == 201, added.text
        for (action, row), taker in zip(PHASE_TABLE.items(), turn, strict=True):
            expected_by = statuses(row)
            assert expected_by[taker] == 200, (action, taker)
            url = f"/api/v1/problems/{problem['id']}/{action}"
            body = PHASE_BODIES[action]
            for actor, expected in expected_by.items():
                if expected == 200:
                    continue  # the allowed actors take it below, in turn
                if actor in hidden:
                    expected = 404
                response = await cast.send("POST", url, actor, json=body, if_match=problem["etag"])
                if problem_text := mismatch(label, f"POST /{action}", actor, expected, response):
                    wrong.append(problem_text)
            response = await cast.send("POST", url, taker, json=body, if_match=problem["etag"])
            assert response.status_code == 200, f"{label}: {action} as {taker}: {response.text}"
            problem["etag"] = response.headers["etag"]
        assert response.json()["status"] == "closed"
    assert not wrong, "\n".join(wrong)


# -- DTI-internal comments never reach anyone outside DTI --------------------------------------

SECRET = "Vendor-quote-4711 is over budget"


async def test_internal_comments_never_reach_a_requester_in_any_response(
    client: Client, city: City, db: asyncpg.Connection
) -> None:
    """A DTI-internal comment (mentioning DTI staff, then edited) shows nowhere outside DTI:
    not in the comment list, its detail (404, like a comment that never existed), the
    history, the problem, the inbox, the watchers, the collaborators or the problem list."""
    cast = await cast_of(client, city, db)
    world = await build_world(cast, restricted=False)
    # Mentions the admin (who starts following), then is edited: an edit history exists too.
    internal = await world.make(
        "/comments",
        {"body": f"@{EMAILS['admin']} {SECRET}", "visibility": "dti_internal"},
        who="team_member",
    )
    edited = await cast.send(
        "PATCH",
        f"{world.url}/comments/{internal['id']}",
        "team_member",
        json={"body": f"@{EMAILS['admin']} {SECRET}, by 12%"},
        if_match=internal["etag"],
    )
    assert edited.status_code == 200, edited.text
    public = await world.make("/comments", {"body": "Site visit on Tuesday"}, who="triager")

    def reads(who: str) -> list[tuple[str, int]]:
        """Every response that could carry the comment, and the status each must have."""
        return [
            (f"{world.url}/comments?limit=100", 200),
            (f"{world.url}/comments/{internal['id']}", 404 if who not in DTI else 200),
            (f"{world.url}/history?limit=100", 200),
            (world.url, 200),
            ("/api/v1/me/notifications?limit=100", 200),
            (f"{world.url}/watchers", 200),
            (f"{world.url}/collaborators", 200),
            ("/api/v1/problems?limit=100", 200),
        ]

    # The control: DTI staff do get the comment, its text and its mention.
    texts = {}
    for url, status in reads("admin"):
        response = await cast.send("GET", url, "admin")
        assert response.status_code == status, (url, response.text)
        texts[url] = response.text
    assert SECRET in texts[f"{world.url}/comments?limit=100"]
    assert internal["id"] in texts[f"{world.url}/history?limit=100"]
    assert any(
        item["kind"] == "mention"
        for item in (await cast.send("GET", "/api/v1/me/notifications", "admin")).json()["items"]
    )

    unknown = str(uuid.uuid4())
    for who in ("requester", "health", "parks", "leader"):
        for url, status in reads(who):
            response = await cast.send("GET", url, who)
            assert response.status_code == status, (who, url, response.text)
            text = response.text
            if internal["id"] in url:
                # The 404 names only what was asked for, exactly as for a comment that
                # never existed.
                never = await cast.send("GET", url.replace(internal["id"], unknown), who)
                assert apart_from_request_id(text.replace(internal["id"], unknown)) == (
                    apart_from_request_id(never.text)
                )
                text = never.text
            for secret in (SECRET, internal["id"], world.shared["internal"]):
                assert secret not in text, (who, url, secret)
        listed = await cast.send("GET", f"{world.url}/comments?limit=100", who)
        assert public["id"] in listed.text  # the list itself works for them
