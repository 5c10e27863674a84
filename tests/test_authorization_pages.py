"""Who may use which page and form: the authorization matrix of the server-rendered app.

Every route that is not in the OpenAPI schema (the pages, their forms, the installable app's
files) is tried by every role against every kind of record, and the exact outcome is asserted:
the status, where a redirect leads (303 to ``/inloggen`` for someone not logged in) and the
Dutch reason a refusal shows. The routes are read from the app's own router, so a new page or
form without an entry in ``PAGES`` fails here until someone decides who may use it.

The rule is the JSON matrix's (``test_authorization.py``): records one may not see are 404,
never 403, so their existence does not leak; what one's relation to a visible record does not
allow is 403. A page one's role does not open at all (the admin pages for anyone but the
school's leaders, the session pack for anyone outside the development group) is 403 whatever
the record, checked before any record is looked up, so that tells nothing either. A school's
leader is an admin of that school alone: every person, team, semester and code of another
school is 404 to them.

Around every form, and every page that could be mistaken for one (an observation, which notes
who opened it; an invitation; a "really delete?" page), every row of both schools and of their
people's accounts is compared before and after. A refused request changes nothing. An allowed
page changes nothing but the read log; an allowed form changes something, and nothing of a
school the person is not working in. Every form is also sent without its CSRF token, by every
role: refused, and nothing changed.
"""

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, SQLModel, select

from app import auth, codebook, db, people
from app.main import create_app
from app.models import Comment, Invitation, Person, School, Semester, Share, utcnow
from tests.factories import PASSWORD, make_person, make_team, unique
from tests.test_pages import ADMIN_PAGES
from tests.world import MEMBERSHIPS, RECORDS, World, build_world, make_record, relation


def page_routes(app: FastAPI) -> list[str]:
    """Every method and path of the app's routes that the OpenAPI schema does not list (the
    static files aside): the pages and forms."""
    schema = {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if isinstance(route.original_route, APIRoute) and not path.startswith("/static"):
            found |= {f"{method} {path}" for method in route.methods or ()} - schema
    return sorted(found)


PAGE_ROUTES = page_routes(create_app(check_schema=False))

ROLES = (
    "anonymous",
    "coach",
    "coach2",
    "teacher1",
    "teacher2",
    "devgroup",
    "admin",
    "member_of_B",
    "admin_of_B",
)
ADMINS = ("admin", "admin_of_B")
TEACHERS = ("teacher1", "teacher2", "devgroup", "member_of_B")
# The admin records (a person, team, semester or code): of school A, of school B, or none.
SCHOOL_TARGETS = ("in_A", "in_B", "unknown")
TARGET_RECORDS = tuple(RECORDS)
HEADERS = {
    "accept": "text/html,application/xhtml+xml",
    "origin": "http://testserver",
    "sec-fetch-site": "same-origin",
}
NEW_PASSWORD = "een lang en goed wachtwoord"

# The reasons a refusal shows (source texts of app.access, app.auth and the pages).
ADMIN_ONLY = "Alleen de schoolleiding beheert de school."
CSRF_MISSING = "Dit formulier is verlopen of niet van Coulisse afkomstig. Laad de pagina opnieuw."
LOGIN_FORM_MISSING = (
    "Het inlogformulier is verlopen. Laad de pagina opnieuw en probeer het nog eens."
)
WRONG_PASSWORD = "Dit e-mailadres en wachtwoord horen niet bij elkaar."
WRONG_CURRENT_PASSWORD = "Je huidige wachtwoord klopt niet."
ENDED_SESSIONS = "/mijn-account?melding=apparaten#apparaten"
NOT_MY_SCHOOL = "Je hoort niet bij deze school."
NOT_MY_INVITATION = "Deze uitnodiging is voor een ander account."
JOIN_WITHOUT_PASSWORD = (
    "Met deze uitnodiging kies je geen wachtwoord. Log in met je account en accepteer."
)
INVITATION_GONE = (
    "Deze uitnodiging is verlopen of al gebruikt. Vraag de schoolleiding om een nieuwe."
)
NO_OBSERVATION = "Deze observatie bestaat niet of je hebt er geen toegang toe."
NO_PERSON = "Deze persoon hoort niet bij deze school."
NO_TEAM = "Dit team bestaat niet."
NO_SEMESTER = "Dit semester bestaat niet."
NO_CODE = "Deze code staat niet in het codeboek van de school."
TEAM_OF_OTHERS = "Alleen mensen van deze school kunnen in een team."
REFLECT_ONLY = "Alleen de geobserveerde docent schrijft de reflectie."
COMMENT_ONLY = "Alleen de observator en de geobserveerde docent voeren dit gesprek."
WITHDRAW_ONLY = "Alleen wie een reactie schreef, kan haar intrekken."
SHARE_ONLY = "Alleen de geobserveerde docent kan deze observatie delen."
SHARE_OUTSIDE = "Je kunt alleen delen met een collega van deze school."
EXCLUDE_ONLY = "Alleen de geobserveerde docent beslist over teamgegevens."
MOMENT_ELSEWHERE = "Dit moment hoort niet (meer) bij deze observatie."
LESSONS_ONLY = "Mijn lessen is er voor docenten: de observaties van hun eigen lessen."
PACK_ONLY = "Alleen de ontwikkelgroep maakt het sessiepakket."
EXPORT_ONLY = "Alleen de ontwikkelgroep en de schoolleiding kunnen exporteren."

NEW = "\x00"  # in an expected location: the id of a record the request itself made


def school_of(role: str) -> str:
    return MEMBERSHIPS[role][0]


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int
    location: str | None = None  # where a 303 leads, with {path} and the request's ids
    reason: str | None = None  # the Dutch message the page shows
    allowed: bool = False  # the person may do this (a refusal must change nothing)
    effect: bool = False  # and doing it must change something


def ok(status: int = 200, location: str | None = None, *, effect: bool = False) -> Outcome:
    return Outcome(status, location, allowed=True, effect=effect)


def no(status: int, reason: str) -> Outcome:
    return Outcome(status, reason=reason)


def log_in_first(method: str) -> Outcome:
    """Not logged in: a page sends you to the login and back; a form to the login."""
    return Outcome(303, "/inloggen?volgende={path}" if method == "GET" else "/inloggen")


Expected = Callable[[str, str], Outcome]


def everyone(outcome: Outcome) -> Expected:
    return lambda _role, _target: outcome


def only(roles: tuple[str, ...], outcome: Outcome, reason: str) -> Expected:
    return lambda role, _target: outcome if role in roles else no(403, reason)


def in_own_school(roles: tuple[str, ...], outcome: Outcome, reason: str, missing: str) -> Expected:
    """Only ``roles`` use this page (403 for others, whatever the target); they reach what is
    ``in_`` their own school, and for them anything else does not exist."""

    def expected(role: str, target: str) -> Outcome:
        if role not in roles:
            return no(403, reason)
        return outcome if target == f"in_{school_of(role)}" else no(404, missing)

    return expected


def by_relation(allowed: dict[str, Outcome], reason: str = "") -> Expected:
    """``allowed`` maps the relations to the record that may do this to their outcome; other
    relations to a visible record get 403 with ``reason``, to an invisible one 404."""

    def expected(role: str, target: str) -> Outcome:
        rel = relation(role, RECORDS[target])
        if rel in allowed:
            return allowed[rel]
        if rel in ("observer", "observed", "shared"):
            return no(403, reason)
        return no(404, NO_OBSERVATION)

    return expected


# --- the scene: the world, and the admin records and invitations of both schools ---------------


@dataclass
class Record:
    id: uuid.UUID
    moment: uuid.UUID
    comment: uuid.UUID  # a remark by its observer
    observer: uuid.UUID  # who also holds a share of it, to be revoked
    other_school_person: uuid.UUID  # someone it may never be shared with
    share_with: uuid.UUID  # a colleague of its school with no share yet: the school's admin


@dataclass
class Period:
    starts_on: date
    ends_on: date


@dataclass
class Scene:
    world: World
    domain: str
    tokens: dict[str, str] = field(default_factory=dict)  # each role's session CSRF token
    records: dict[str, Record] = field(default_factory=dict)
    persons: dict[str, uuid.UUID] = field(default_factory=dict)
    pending: dict[str, Person] = field(default_factory=dict)  # invited, no password yet
    teams: dict[str, uuid.UUID] = field(default_factory=dict)
    semesters: dict[str, uuid.UUID] = field(default_factory=dict)
    periods: dict[str, Period] = field(default_factory=dict)  # of every semester made here
    codes: dict[str, str] = field(default_factory=dict)
    phases: dict[str, str] = field(default_factory=dict)
    invitations: dict[str, str] = field(default_factory=dict)  # kind -> token
    login_person: Person | None = None
    victim: Person | None = None  # whose sessions no one else may end
    years: Iterator[int] = field(default_factory=lambda: itertools.count(2040))
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)  # see state()

    def school(self, name: str) -> School:
        return self.world.schools[name]

    def email(self, prefix: str = "p") -> str:
        return f"{unique(prefix)}@{self.domain}"

    def new_person(self, session: Session, school: str) -> Person:
        roles = MEMBERSHIPS["teacher1"][1]
        return make_person(session, self.school(school), roles, email=self.email())

    def invite(self, session: Session, school: str) -> tuple[Person, str]:
        """A new person invited to ``school``, and the link's token."""
        email = self.email("uitgenodigd")
        invited = people.invite(
            session,
            school_id=self.school(school).id,
            email=email,
            name=unique("Uitgenodigd"),
            roles=MEMBERSHIPS["teacher1"][1],
        )
        assert invited.link is not None
        person = session.exec(select(Person).where(Person.email == email)).one()
        return person, invited.link.rsplit("/", 1)[1]

    def record(self, session: Session, target: str) -> Record:
        spec = RECORDS[target]
        obs, moment = make_record(session, self.world, spec)
        remark = Comment(
            id=uuid.uuid4(), observation_id=obs.id, author_id=obs.observer_id, body="Mooi moment."
        )
        session.add(remark)
        session.add(
            Share(
                observation_id=obs.id,
                person_id=obs.observer_id,
                created_by_id=obs.observed_teacher_id,
            )
        )
        session.commit()
        other = "teacher1" if spec.school == "B" else "teacher_B"
        admin = "admin" if spec.school == "A" else "admin_of_B"
        return Record(
            obs.id,
            moment.id,
            remark.id,
            obs.observer_id,
            self.world.id(other),
            self.world.id(admin),
        )

    def semester(self, session: Session, school: str) -> uuid.UUID:
        year = next(self.years)
        row = Semester(
            school_id=self.school(school).id,
            name=unique("Semester"),
            starts_on=date(year, 1, 1),
            ends_on=date(year, 6, 30),
        )
        session.add(row)
        session.commit()
        self.periods[str(row.id)] = Period(row.starts_on, row.ends_on)
        return row.id

    def other_school_account(self, role: str, target: str) -> Person:
        """Someone of the school ``role`` does not work in: with a password, or invited."""
        other = "B" if own_school(role) == "A" else "A"
        if target == "a_pending_account_of_the_other_school":
            return self.pending[f"in_{other}"]
        return self.world.people["teacher1" if other == "A" else "teacher_B"]

    def invitation(self, kind: str) -> str:
        return self.invitations.get(kind, "onbekend-" + uuid.uuid4().hex)

    def dates(self, ident: str) -> dict[str, str]:
        """The dates of a semester, for a form that keeps them (any for an unknown one)."""
        known = self.periods.get(ident)
        starts, ends = (
            (known.starts_on, known.ends_on) if known else (date(2039, 1, 1), date(2039, 6, 30))
        )
        return {"starts_on": starts.isoformat(), "ends_on": ends.isoformat()}

    def target(self, session: Session, kind: str, target: str, *, fresh: bool) -> str:
        """The id (a code's key) of a ``kind`` of record ``in_A``, ``in_B`` or unknown: the
        scene's own, or one made for this request alone."""
        if target == "unknown":
            return f"geen-code-{uuid.uuid4().hex[:8]}" if kind == "code" else str(uuid.uuid4())
        school = target.removeprefix("in_")
        if not fresh:
            mine: dict[str, dict[str, Any]] = {
                "person": self.persons,
                "pending": {k: p.id for k, p in self.pending.items()},
                "team": self.teams,
                "semester": self.semesters,
                "code": self.codes,
            }
            return str(mine[kind][target])
        if kind == "person":
            return str(self.new_person(session, school).id)
        if kind == "pending":
            return str(self.invite(session, school)[0].id)
        if kind == "team":
            return str(make_team(session, self.school(school)).id)
        if kind == "semester":
            return str(self.semester(session, school))
        return self.code(session, school)

    def code(self, session: Session, school: str) -> str:
        key = f"eigen-{uuid.uuid4().hex[:12]}"
        codebook.add_code(
            session,
            school_id=self.school(school).id,
            by=self.world.id("admin" if school == "A" else "admin_of_B"),
            key=key,
            family="ludificering",
            kind="signaal",
            label=unique("Eigen code"),
            description="Een code die alleen deze school kent.",
        )
        return key


def build_scene(session: Session) -> Scene:
    domain = f"{uuid.uuid4().hex[:8]}.pagina.example"
    scene = Scene(world=build_world(session, domain=domain), domain=domain)
    for name in TARGET_RECORDS:
        scene.records[name] = scene.record(session, name)
    scene.persons = {"in_A": scene.world.id("teacher1"), "in_B": scene.world.id("teacher_B")}
    for school in ("A", "B"):
        target = f"in_{school}"
        scene.pending[target] = scene.invite(session, school)[0]
        teacher = scene.world.people["teacher1" if school == "A" else "teacher_B"]
        scene.teams[target] = make_team(session, scene.school(school), [teacher]).id
        scene.semesters[target] = scene.semester(session, school)
        scene.codes[target] = scene.code(session, school)
        scene.phases[school] = "\n".join(scene.school(school).phases)
    _pending, scene.invitations["valid"] = scene.invite(session, "A")
    for kind in ("used", "expired"):
        _pending, token = scene.invite(session, "A")
        row = session.exec(
            select(Invitation).where(Invitation.token_hash == auth.token_hash(token))
        ).one()
        if kind == "used":
            row.used_at = utcnow()
        else:
            row.expires_at = utcnow() - timedelta(days=1)
        session.add(row)
        session.commit()
        scene.invitations[kind] = token
    # School A asks an account of school B to join: only that account, logged in, accepts.
    joining = people.invite(
        session,
        school_id=scene.school("A").id,
        email=scene.world.people["teacher_B"].email,
        name=unique("Gevraagd"),
        roles=MEMBERSHIPS["teacher1"][1],
    )
    assert joining.link is not None
    scene.invitations["for_another_account"] = joining.link.rsplit("/", 1)[1]
    scene.login_person = scene.new_person(session, "A")
    scene.victim = scene.new_person(session, "A")
    return scene


def browser(app: FastAPI, address: str | None = None) -> TestClient:
    client = TestClient(app, client=(address, 50000)) if address else TestClient(app)
    client.__enter__()
    client.headers.update(HEADERS)
    return client


def log_in(client: TestClient, person: Person) -> str:
    """Log in (through the API, which is quicker than the form); returns the session's CSRF
    token, which forms carry as a field (the client sends no header)."""
    response = client.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


@pytest.fixture(scope="module")
def scene(migrated: None, app: FastAPI) -> Iterator[Scene]:
    with db.new_session(write=True) as session:
        s = build_scene(session)
    for role in ROLES:
        client = browser(app)
        if role != "anonymous":
            s.tokens[role] = log_in(client, s.world.people[role])
        s.world.clients[role] = client
    yield s
    for client in s.world.clients.values():
        client.__exit__(None, None, None)


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # for the expected location
    fresh_client: bool = False  # the form ends or replaces the session it is sent with
    login_form: str | None = None  # a form without a session: its token's cookie path
    address: str | None = None  # the client's own network address (login throttling)
    after: Callable[[], None] | None = None  # puts back what an allowed form changed


# A builder makes the request for one role and target. ``allowed``: the request is expected to
# succeed, so it gets records of its own; a refused one may use the scene's, which it must
# leave as they are.
Builder = Callable[[Scene, Session, str, str, bool], Request]


def page(url: str) -> Builder:
    return lambda _s, _session, _role, _target, _allowed: Request("GET", url)


def form(url: str, data: Callable[[Scene, str, str], dict[str, Any]] | None = None) -> Builder:
    """A form that acts on the person's current school as a whole; ``data`` gets the role
    and the target."""

    def make(s: Scene, _session: Session, role: str, target: str, _allowed: bool) -> Request:
        return Request("POST", url, data(s, role, target) if data else {})

    return make


def own_school(role: str) -> str:
    return school_of(role) if role != "anonymous" else "A"


def school_choice(s: Scene, _session: Session, role: str, target: str, _allowed: bool) -> Request:
    mine = own_school(role)
    chosen = mine if target == "current_school" else {"A": "B", "B": "A"}[mine]
    return Request("POST", "/school", {"school_id": str(s.school(chosen).id)})


def login_form(s: Scene, session: Session, _role: str, target: str, allowed: bool) -> Request:
    person = s.new_person(session, "A") if allowed else s.login_person
    assert person is not None
    email, password = person.email, PASSWORD
    address = None
    if target == "wrong_password":
        # An address of its own, and an account that does not exist, so that the failure
        # slows down no other test's logins.
        n = uuid.uuid4().int
        email, password = s.email("niemand"), "geen-goed-wachtwoord"
        address = f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250}"
    return Request(
        "POST",
        "/inloggen",
        {"email": email, "password": password},
        fresh_client=True,
        login_form="/inloggen",
        address=address,
    )


def invitation_page(
    s: Scene, _session: Session, _role: str, target: str, _allowed: bool
) -> Request:
    return Request("GET", f"/uitnodiging/{s.invitation(target)}")


def invitation_form(s: Scene, session: Session, _role: str, target: str, allowed: bool) -> Request:
    if target == "valid" and allowed:
        _person, token = s.invite(session, "A")
    else:
        token = s.invitation(target)
    return Request(
        "POST",
        f"/uitnodiging/{token}",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        fresh_client=allowed,
        login_form="/uitnodiging",
    )


def password_form(s: Scene, _session: Session, role: str, target: str, allowed: bool) -> Request:
    person = s.world.people[role] if role != "anonymous" else None
    current = PASSWORD if target == "own_password" else "niet-mijn-wachtwoord"
    data = {"current": current, "new": NEW_PASSWORD, "again": NEW_PASSWORD}

    def put_back() -> None:  # later cases log in as this person with the usual password
        assert person is not None
        with db.new_session(write=True) as session:
            row = session.get(Person, person.id)
            assert row is not None
            row.password_hash = auth.hash_password(PASSWORD)
            session.add(row)
            session.commit()

    return Request(
        "POST", "/mijn-account/wachtwoord", data, after=put_back if allowed and person else None
    )


def sessions_form(s: Scene, session: Session, role: str, target: str, _allowed: bool) -> Request:
    """End one session: another of one's own (opened here), or one of someone else's."""
    owner = s.victim if target == "someone_elses_session" or role == "anonymous" else None
    owner = owner or s.world.people[role]
    row, _token = auth.open_session(session, owner)
    session.commit()
    return Request(
        "POST", "/mijn-account/apparaten", {"password": PASSWORD, "sessies": [str(row.id)]}
    )


def observation(
    suffix: str = "",
    data: Callable[[Scene, Record], dict[str, Any]] | None = None,
    method: str = "POST",
) -> Builder:
    """A page or form of one observation; ``suffix`` may name the record's remark and person."""

    def make(s: Scene, session: Session, _role: str, target: str, allowed: bool) -> Request:
        rec = s.record(session, target) if allowed and method == "POST" else s.records[target]
        path = suffix.format(comment=rec.comment, person=rec.observer)
        return Request(
            method,
            f"/observaties/{rec.id}{path}",
            data(s, rec) if data else {},
            ids={"observation": str(rec.id)},
        )

    return make


def other_lesson_moment(s: Scene, rec: Record) -> dict[str, Any]:
    elsewhere = next(r for r in s.records.values() if r.id != rec.id)
    return {"body": "Hier ging het om.", "moment_id": str(elsewhere.moment)}


def school_record(
    kind: str,
    suffix: str = "",
    data: Callable[[Scene, str, str], dict[str, Any]] | None = None,
    method: str = "POST",
) -> Builder:
    """A page or form of one person, team, semester or code of a school (``kind``). ``data``
    gets the school the target belongs to and the target's id."""
    base = {
        "person": "/beheer/mensen/",
        "pending": "/beheer/mensen/",
        "team": "/beheer/teams/",
        "semester": "/beheer/semesters/",
        "code": "/beheer/codeboek/",
    }[kind]

    def make(s: Scene, session: Session, _role: str, target: str, allowed: bool) -> Request:
        school = target.removeprefix("in_") if target != "unknown" else "A"
        ident = s.target(session, kind, target, fresh=allowed and method == "POST")
        body = data(s, school, ident) if data else {}
        return Request(method, f"{base}{ident}{suffix}", body, ids={kind: ident})

    return make


def coulissen(url: str, param: str = "") -> Builder:
    def make(s: Scene, _session: Session, _role: str, target: str, _allowed: bool) -> Request:
        if not param:
            return Request("GET", url)
        ident = s.semesters[target] if param == "semester" else s.teams[target]
        return Request("GET", f"{url}?{param}={ident}")

    return make


def csv_of(email: str, role: str) -> str:
    return f"email,naam,rollen\n{email},{unique('Geïmporteerd')},{role}\n"


def teacher_of(s: Scene, school: str) -> str:
    return str(s.world.id("teacher1" if school == "A" else "teacher_B"))


# --- the matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """Who may use one page or form: its targets, the request per target, the outcome."""

    targets: tuple[str, ...]
    expected: Expected
    request: Builder
    variant: str = ""
    public: bool = False  # open without logging in: ``expected`` also answers for anonymous
    watch: bool = False  # a page that must change nothing when refused (checked for every form)
    touches: tuple[str, ...] = ()  # schools an allowed request may change besides one's own
    keeps: tuple[str, ...] = ()  # parts or tables even an allowed request leaves alone


LOGGED_IN = ok(303, "/")
OBSERVATION_PAGE = "/observaties/{observation}"
OTHER_SCHOOL_ACCOUNTS = ("an_account_of_the_other_school", "a_pending_account_of_the_other_school")

PAGES: dict[str, list[Entry]] = {
    # --- logging in and out, the school one works in, invitations
    "GET /inloggen": [
        Entry(
            ("page",),
            lambda role, _t: ok(200) if role == "anonymous" else LOGGED_IN,
            page("/inloggen"),
            public=True,
        )
    ],
    "POST /inloggen": [
        Entry(
            ("an_account_of_A", "wrong_password"),
            lambda _role, target: (
                ok(303, "/", effect=True)
                if target == "an_account_of_A"
                else no(401, WRONG_PASSWORD)
            ),
            login_form,
            public=True,
            touches=("A",),  # a session in school A, for an account of school A
        )
    ],
    "POST /uitloggen": [
        Entry(
            ("own_session",),
            everyone(ok(303, "/inloggen", effect=True)),
            lambda _s, _session, _r, _t, _a: Request("POST", "/uitloggen", fresh_client=True),
        )
    ],
    "GET /uitnodiging/{token}": [
        Entry(
            ("valid", "for_another_account", "used", "expired", "unknown"),
            lambda _role, target: (
                ok(200) if target in ("valid", "for_another_account") else no(404, INVITATION_GONE)
            ),
            invitation_page,
            public=True,
            watch=True,
        )
    ],
    "POST /uitnodiging/{token}": [
        Entry(
            ("valid", "for_another_account", "used", "expired", "unknown"),
            lambda _role, target: (
                ok(303, "/", effect=True)
                if target == "valid"
                else no(403, JOIN_WITHOUT_PASSWORD)
                if target == "for_another_account"
                else no(404, INVITATION_GONE)
            ),
            invitation_form,
            public=True,
            touches=("A",),
        )
    ],
    "POST /uitnodiging/{token}/accepteren": [
        Entry(
            ("for_another_account", "used", "unknown"),
            lambda _role, target: (
                no(403, NOT_MY_INVITATION)
                if target == "for_another_account"
                else no(404, INVITATION_GONE)
            ),
            lambda s, _session, _role, target, _allowed: Request(
                "POST", f"/uitnodiging/{s.invitation(target)}/accepteren"
            ),
        )
    ],
    "GET /mijn-account": [Entry(("own_account",), everyone(ok(200)), page("/mijn-account"))],
    "POST /mijn-account/wachtwoord": [
        Entry(
            ("own_password", "without_the_current_password"),
            lambda _role, target: (
                ok(303, "/mijn-account?melding=wachtwoord#wachtwoord", effect=True)
                if target == "own_password"
                else no(422, WRONG_CURRENT_PASSWORD)
            ),
            password_form,
        )
    ],
    "POST /mijn-account/apparaten": [
        Entry(
            ("own_other_session", "someone_elses_session"),
            lambda _role, target: (
                ok(303, ENDED_SESSIONS, effect=True)
                if target == "own_other_session"
                else Outcome(303, ENDED_SESSIONS)  # accepted, and no one's session ends
            ),
            sessions_form,
        )
    ],
    "GET /": [
        Entry(
            ("page",),
            lambda role, _t: Outcome(303, "/inloggen") if role == "anonymous" else ok(200),
            page("/"),
            public=True,
        )
    ],
    "POST /school": [
        Entry(
            ("current_school", "school_not_mine"),
            lambda _role, target: (
                ok(303, "/?melding=school")
                if target == "current_school"
                else no(403, NOT_MY_SCHOOL)
            ),
            school_choice,
        )
    ],
    # --- the school's leaders: their own school's people, teams, semesters, codebook
    **{
        f"GET {url}": [Entry(("page",), only(ADMINS, ok(200), ADMIN_ONLY), page(url))]
        for url in ADMIN_PAGES
    },
    "POST /beheer/mensen": [
        Entry(
            ("new_address",),
            only(ADMINS, ok(200, effect=True), ADMIN_ONLY),
            form(
                "/beheer/mensen",
                lambda s, _r, _t: {
                    "name": unique("Nieuw"),
                    "email": s.email(),
                    "roles": ["teacher"],
                },
            ),
        ),
        # Asking someone of the other school to join (with a password, or still invited): a
        # link for them to accept, and neither their account, nor any school's members, nor
        # their school change until they do.
        Entry(
            OTHER_SCHOOL_ACCOUNTS,
            only(ADMINS, ok(200, effect=True), ADMIN_ONLY),
            form(
                "/beheer/mensen",
                lambda s, role, target: {
                    "name": unique("Overgenomen"),
                    "email": s.other_school_account(role, target).email,
                    "roles": ["coach", "admin"],
                },
            ),
            variant="an_account_of_the_other_school",
            keeps=("accounts", "membership"),
        ),
    ],
    "POST /beheer/mensen/import": [
        Entry(
            ("new_address",),
            only(ADMINS, ok(200, effect=True), ADMIN_ONLY),
            form(
                "/beheer/mensen/import",
                lambda s, _r, _t: {"text": csv_of(s.email(), "docent")},
            ),
        ),
        Entry(
            OTHER_SCHOOL_ACCOUNTS,
            only(ADMINS, ok(200, effect=True), ADMIN_ONLY),
            form(
                "/beheer/mensen/import",
                lambda s, role, target: {
                    "text": csv_of(s.other_school_account(role, target).email, "schoolleider")
                },
            ),
            variant="an_account_of_the_other_school",
            keeps=("accounts", "membership"),
        ),
    ],
    "GET /beheer/mensen/{person_id}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_PERSON),
            school_record("person", method="GET"),
        )
    ],
    "POST /beheer/mensen/{person_id}/rollen": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/mensen/{person}?melding=rollen", effect=True),
                ADMIN_ONLY,
                NO_PERSON,
            ),
            school_record(
                "person", "/rollen", lambda _s, _school, _id: {"roles": ["coach", "teacher"]}
            ),
        )
    ],
    "POST /beheer/mensen/{person_id}/actief": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/mensen/{person}?melding=uit", effect=True),
                ADMIN_ONLY,
                NO_PERSON,
            ),
            school_record("person", "/actief", lambda _s, _school, _id: {"actief": "nee"}),
        )
    ],
    "POST /beheer/mensen/{person_id}/uitnodiging": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200, effect=True), ADMIN_ONLY, NO_PERSON),
            school_record("pending", "/uitnodiging"),
        )
    ],
    "POST /beheer/teams": [
        Entry(
            ("new_team",),
            only(
                ADMINS, ok(303, f"/beheer/teams/{NEW}?melding=team-nieuw", effect=True), ADMIN_ONLY
            ),
            form("/beheer/teams", lambda _s, _r, _t: {"name": unique("Team")}),
        )
    ],
    "GET /beheer/teams/{team_id}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_TEAM),
            school_record("team", method="GET"),
        )
    ],
    "POST /beheer/teams/{team_id}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/teams/{team}?melding=team-naam", effect=True),
                ADMIN_ONLY,
                NO_TEAM,
            ),
            school_record("team", data=lambda _s, _school, _id: {"name": unique("Team")}),
        )
    ],
    "POST /beheer/teams/{team_id}/leden": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/teams/{team}?melding=team-leden", effect=True),
                ADMIN_ONLY,
                NO_TEAM,
            ),
            school_record(
                "team", "/leden", lambda s, school, _id: {"members": [teacher_of(s, school)]}
            ),
        ),
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, no(422, TEAM_OF_OTHERS), ADMIN_ONLY, NO_TEAM),
            school_record(
                "team",
                "/leden",
                lambda s, school, _id: {"members": [teacher_of(s, "B" if school == "A" else "A")]},
            ),
            variant="with_a_person_of_the_other_school",
        ),
    ],
    "GET /beheer/teams/{team_id}/verwijderen": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_TEAM),
            school_record("team", "/verwijderen", method="GET"),
            watch=True,
        )
    ],
    "POST /beheer/teams/{team_id}/verwijderen": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS, ok(303, "/beheer/teams?melding=team-weg", effect=True), ADMIN_ONLY, NO_TEAM
            ),
            school_record("team", "/verwijderen"),
        )
    ],
    "POST /beheer/semesters": [
        Entry(
            ("new_semester",),
            only(
                ADMINS,
                ok(303, "/beheer/semesters?melding=semester-nieuw", effect=True),
                ADMIN_ONLY,
            ),
            form("/beheer/semesters", lambda s, _r, _t: _new_semester(s)),
        )
    ],
    "GET /beheer/semesters/{semester_id}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_SEMESTER),
            school_record("semester", method="GET"),
        )
    ],
    "POST /beheer/semesters/{semester_id}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/semesters?melding=semester-opgeslagen", effect=True),
                ADMIN_ONLY,
                NO_SEMESTER,
            ),
            school_record(
                "semester",
                data=lambda s, _school, ident: {"name": unique("Semester"), **s.dates(ident)},
            ),
        )
    ],
    "GET /beheer/semesters/{semester_id}/verwijderen": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_SEMESTER),
            school_record("semester", "/verwijderen", method="GET"),
            watch=True,
        )
    ],
    "POST /beheer/semesters/{semester_id}/verwijderen": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/semesters?melding=semester-weg", effect=True),
                ADMIN_ONLY,
                NO_SEMESTER,
            ),
            school_record("semester", "/verwijderen"),
        )
    ],
    "POST /beheer/codeboek": [
        Entry(
            ("new_code",),
            only(ADMINS, ok(303, "/beheer/codeboek?melding=code-nieuw", effect=True), ADMIN_ONLY),
            form(
                "/beheer/codeboek",
                lambda _s, _r, _t: {
                    "key": f"nieuw-{uuid.uuid4().hex[:12]}",
                    "family": "ludificering",
                    "kind": "signaal",
                    "label": unique("Nieuwe code"),
                    "description": "Wat deze school wil zien.",
                },
            ),
        )
    ],
    "GET /beheer/codeboek/{key}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(ADMINS, ok(200), ADMIN_ONLY, NO_CODE),
            school_record("code", method="GET"),
        )
    ],
    "POST /beheer/codeboek/{key}": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/codeboek?melding=code-opgeslagen", effect=True),
                ADMIN_ONLY,
                NO_CODE,
            ),
            school_record(
                "code",
                data=lambda _s, _school, _id: {
                    "label": unique("Code"),
                    "description": "Anders gezegd.",
                },
            ),
        )
    ],
    "POST /beheer/codeboek/{key}/status": [
        Entry(
            SCHOOL_TARGETS,
            in_own_school(
                ADMINS,
                ok(303, "/beheer/codeboek?melding=code-uit", effect=True),
                ADMIN_ONLY,
                NO_CODE,
            ),
            school_record("code", "/status", lambda _s, _school, _id: {"uitgezet": "ja"}),
        )
    ],
    "POST /beheer/school": [
        Entry(
            ("own_school",),
            only(
                ADMINS, ok(303, "/beheer/school?melding=school-opgeslagen", effect=True), ADMIN_ONLY
            ),
            form(
                "/beheer/school",
                lambda s, role, _t: {
                    "name": unique("School"),
                    "aggregate_minimum": "5",
                    "retention_years": "2",
                    "phases": s.phases[own_school(role)],
                },
            ),
        )
    ],
    # --- one observation and its forms
    "GET /observaties/{observation_id}": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": ok(200), "observed": ok(200), "shared": ok(200)}),
            observation(method="GET"),
            watch=True,  # the read log: a refused view must not land in it
        )
    ],
    "POST /observaties/{observation_id}/reflectie": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {
                    "observed": ok(
                        303, OBSERVATION_PAGE + "?melding=reflectie#reflectie", effect=True
                    )
                },
                REFLECT_ONLY,
            ),
            observation(
                "/reflectie",
                lambda _s, _r: {
                    "dominant_mechanism": "Ludificering bij de overgang.",
                    "zones": "",
                    "next_step": "",
                    "version": "",
                },
            ),
        )
    ],
    "POST /observaties/{observation_id}/gesprek": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {
                    rel: ok(303, OBSERVATION_PAGE + "?melding=reactie#gesprek", effect=True)
                    for rel in ("observer", "observed")
                },
                COMMENT_ONLY,
            ),
            observation("/gesprek", lambda _s, _r: {"body": "Zag je dat ook?"}),
        ),
        Entry(
            TARGET_RECORDS,
            by_relation(
                {rel: no(422, MOMENT_ELSEWHERE) for rel in ("observer", "observed")}, COMMENT_ONLY
            ),
            observation("/gesprek", other_lesson_moment),
            variant="on_a_moment_of_another_lesson",
        ),
    ],
    "POST /observaties/{observation_id}/gesprek/{comment_id}/intrekken": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {
                    "observer": ok(
                        303, OBSERVATION_PAGE + "?melding=reactie-ingetrokken#gesprek", effect=True
                    )
                },
                WITHDRAW_ONLY,
            ),
            observation("/gesprek/{comment}/intrekken"),
        )
    ],
    "POST /observaties/{observation_id}/delen": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {"observed": ok(303, OBSERVATION_PAGE + "?melding=gedeeld#delen", effect=True)},
                SHARE_ONLY,
            ),
            observation("/delen", lambda _s, r: {"person_id": str(r.share_with)}),
        ),
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": no(422, SHARE_OUTSIDE)}, SHARE_ONLY),
            observation("/delen", lambda _s, r: {"person_id": str(r.other_school_person)}),
            variant="with_someone_of_another_school",
        ),
    ],
    "POST /observaties/{observation_id}/delen/{person_id}/intrekken": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {"observed": ok(303, OBSERVATION_PAGE + "?melding=ingetrokken#delen", effect=True)},
                SHARE_ONLY,
            ),
            observation("/delen/{person}/intrekken"),
        )
    ],
    "POST /observaties/{observation_id}/teamgegevens": [
        Entry(
            TARGET_RECORDS,
            by_relation(
                {"observed": ok(303, OBSERVATION_PAGE + "?melding=buiten-team#delen", effect=True)},
                EXCLUDE_ONLY,
            ),
            observation("/teamgegevens", lambda _s, _r: {"buiten": "ja"}),
        )
    ],
    "GET /lessen": [Entry(("page",), only(TEACHERS, ok(200), LESSONS_ONLY), page("/lessen"))],
    # --- the coulissen-ruimte: aggregates of one's own school
    **{
        f"GET {url}": [
            Entry(("whole_school",), only(roles, ok(200), reason), coulissen(url)),
            Entry(
                ("in_A", "in_B"),
                in_own_school(roles, ok(200), reason, NO_SEMESTER),
                coulissen(url, "semester"),
                variant="semester",
            ),
            Entry(
                ("in_A", "in_B"),
                in_own_school(roles, ok(200), reason, NO_TEAM),
                coulissen(url, "team"),
                variant="team",
            ),
        ]
        for url, roles, reason in (
            ("/coulissen", ROLES[1:], ""),
            ("/coulissen/sessiepakket", ("devgroup",), PACK_ONLY),
            ("/coulissen/projectie", ("devgroup",), PACK_ONLY),
            ("/coulissen/export.csv", ("devgroup", *ADMINS), EXPORT_ONLY),
        )
    },
    # --- the installable app: its shell holds nothing of anyone
    **{
        f"GET {url}": [Entry(("public",), everyone(ok(200)), page(url), public=True)]
        for url in ("/service-worker.js", "/manifest.webmanifest", "/offline", "/opnemen")
    },
}


def _new_semester(s: Scene) -> dict[str, str]:
    year = next(s.years)
    return {"name": unique("Semester"), "starts_on": f"{year}-01-01", "ends_on": f"{year}-06-30"}


# --- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    route: str
    entry: Entry | None
    role: str
    target: str
    without_token: bool = False

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0]

    @property
    def id(self) -> str:
        variant = f"[{self.entry.variant}]" if self.entry and self.entry.variant else ""
        token = " without its token" if self.without_token else ""
        return f"{self.route}{variant}{token} as {self.role} on {self.target}"


def cases() -> list[Case]:
    found = []
    for route in PAGE_ROUTES:
        entries = PAGES.get(route)
        if not entries:
            found.append(Case(route, None, "-", "-"))
            continue
        for entry in entries:
            found += [
                Case(route, entry, role, target) for role in ROLES for target in entry.targets
            ]
        if route.startswith("POST "):
            first = entries[0]
            found += [Case(route, first, role, first.targets[0], True) for role in ROLES]
    return found


def test_every_page_and_form_has_an_entry_and_no_entry_is_stale() -> None:
    assert PAGE_ROUTES, "no page routes found in the app's router"
    assert set(PAGES) == set(PAGE_ROUTES)


def expected_outcome(case: Case) -> Outcome:
    assert case.entry is not None
    if case.role == "anonymous" and not case.entry.public:
        return log_in_first(case.method)
    if case.without_token:
        public_form = case.route in ("POST /inloggen", "POST /uitnodiging/{token}")
        return no(403, LOGIN_FORM_MISSING if public_form else CSRF_MISSING)
    return case.entry.expected(case.role, case.target)


# --- what a refused request must leave alone ---------------------------------------------------


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def _owner(table: sa.Table, owners: sa.Table, column: str, ids: Any) -> Any:
    """A condition on ``table``'s rows that belong to ``ids`` of ``owners`` (schools or
    people): directly, or through the row a foreign key names. None if they do not."""
    if table is owners:
        return table.c.id.in_(ids)
    if column in table.c:
        return table.c[column].in_(ids)
    # A key that every row has first: a remark always has its lesson, not always a moment.
    for fk in sorted(table.foreign_keys, key=lambda fk: (fk.parent.nullable, fk.parent.name)):
        parent = fk.column.table
        if column in parent.c:
            return fk.parent.in_(sa.select(fk.column).where(parent.c[column].in_(ids)))
    return None


Query = str | sa.Select[Any]


def snapshot_queries(s: Scene, dialect: sa.Dialect) -> dict[str, dict[str, Query]]:
    """Every row of school A, of school B, and of the scene's people's accounts, table by
    table (whatever tables the schema has), leaving out when a session was last used. On
    SQLite as plain SQL, so that rows come back as the driver gives them, without decoding:
    hundreds of snapshots stay cheap."""
    people = _table(Person)
    parts: dict[str, dict[str, Query]] = {"A": {}, "B": {}, "accounts": {}}
    mine = sa.select(people.c.id).where(people.c.email.endswith(f"@{s.domain}"))

    def query(table: sa.Table, where: Any) -> Query:
        rows = sa.select(*(c for c in table.c if c.name != "last_seen_at")).where(where)
        if dialect.name != "sqlite":
            return rows
        return str(rows.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    for table in SQLModel.metadata.sorted_tables:
        for school in ("A", "B"):
            where = _owner(table, _table(School), "school_id", [s.school(school).id])
            if where is not None:
                parts[school][table.name] = query(table, where)
        if table.name not in parts["A"]:
            where = _owner(table, people, "person_id", mine)
            if where is not None:
                parts["accounts"][table.name] = query(table, where)
    return parts


State = dict[str, dict[str, set[tuple[Any, ...]]]]


def frozen(value: Any) -> Any:
    """A column's value in a form a set can hold: PostgreSQL's driver decodes JSON columns
    (phases, focus codes) to lists and dicts."""
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


def state(session: Session, s: Scene) -> State:
    """What a refused request must leave alone: school A, school B, and the accounts."""
    session.rollback()  # a fresh snapshot, and no lock held while the app works
    conn = session.connection()
    if not s.queries:  # built once
        s.queries = snapshot_queries(s, conn.dialect)
    found = {
        part: {
            name: {
                tuple(map(frozen, row))
                for row in (conn.exec_driver_sql(q) if isinstance(q, str) else conn.execute(q))
            }
            for name, q in queries.items()
        }
        for part, queries in s.queries.items()
    }
    session.rollback()
    return found


def differences(before: State, after: State) -> list[str]:
    return [
        f"{part}: {table}"
        for part, tables in before.items()
        for table, rows in tables.items()
        if after[part][table] != rows
    ]


# --- the test ----------------------------------------------------------------------------------


def location_pattern(template: str, path: str, ids: dict[str, str]) -> str:
    filled = template.format(path=quote(path), **ids)
    return re.escape(filled).replace(re.escape(NEW), "[0-9a-f-]{36}")


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_the_page_matrix(case: Case, scene: Scene, session: Session, app: FastAPI) -> None:
    if case.entry is None:
        pytest.fail(
            f"{case.route} is a page or form of the app but not in the authorization matrix "
            "PAGES: decide who may use it and add it."
        )
    outcome = expected_outcome(case)
    req = case.entry.request(scene, session, case.role, case.target, outcome.allowed)
    try:
        check(case, case.entry, outcome, req, scene, session, app)
    finally:
        if req.after is not None:
            req.after()


def check(
    case: Case,
    entry: Entry,
    outcome: Outcome,
    req: Request,
    scene: Scene,
    session: Session,
    app: FastAPI,
) -> None:
    client = scene.world.clients[case.role]
    token = scene.tokens.get(case.role)
    fresh = req.fresh_client or req.address is not None
    if fresh:
        client = browser(app, req.address)
        if case.role != "anonymous":
            token = log_in(client, scene.world.people[case.role])
    if req.login_form is not None:
        token = auth.login_form_token()
        client.cookies.set(
            auth.LOGIN_CSRF_COOKIE, token, domain="testserver.local", path=req.login_form
        )
    data = dict(req.data)
    if case.method == "POST" and token is not None and not case.without_token:
        data["csrf_token"] = token
    before = state(session, scene) if case.method == "POST" or entry.watch else None
    try:
        response = client.request(case.method, req.url, data=data or None, follow_redirects=False)
    finally:
        if fresh:
            client.__exit__(None, None, None)

    assert response.status_code == outcome.status, response.text[:3000]
    if outcome.location is not None:
        pattern = location_pattern(outcome.location, urlsplit(req.url).path, req.ids)
        assert re.fullmatch(pattern, response.headers["location"]), response.headers["location"]
    elif response.status_code == 303:
        pytest.fail(f"an unexpected redirect to {response.headers['location']}")
    if outcome.reason is not None:
        assert str(escape(outcome.reason)) in response.text, response.text[:3000]
    if before is None:
        return
    changed = differences(before, state(session, scene))
    if not outcome.allowed:
        assert changed == [], "a refused request changed something"
        return
    if case.method == "GET":  # a page only ever notes who opened an observation
        assert [c for c in changed if not c.endswith(": observationread")] == []
        return
    mine = {"accounts", *entry.touches}
    if case.role != "anonymous":
        mine.add(school_of(case.role))
    assert [
        c for c in changed if c.split(": ")[0] not in mine or {*c.split(": ")} & {*entry.keeps}
    ] == [], (
        "the request changed what it must leave alone: a school the person does not work "
        "in, or an account"
    )
    if outcome.effect:
        assert changed, "the request succeeded but changed nothing"


# --- lists and details agree, and the observed teacher's decisions stay theirs ------------------

LINK = re.compile(r'href="/observaties/([0-9a-f-]{36})')


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_observation_a_page_lists_opens_and_none_it_may_not_see_is_listed(
    role: str, scene: Scene
) -> None:
    client = scene.world.clients[role]
    listed: set[str] = set()
    for url in ("/", "/lessen"):
        response = client.get(url)
        if url == "/lessen" and role not in TEACHERS:
            assert response.status_code == 403
            continue
        assert response.status_code == 200, response.text
        listed |= set(LINK.findall(response.text))
    for ident in listed:
        assert client.get(f"/observaties/{ident}").status_code == 200, ident
    for name, spec in RECORDS.items():
        if relation(role, spec) not in ("observer", "observed", "shared"):
            assert str(scene.records[name].id) not in listed, name


@pytest.mark.parametrize("role", ROLES[1:])
def test_only_the_observed_teacher_sees_who_it_is_shared_with_and_who_opened_it(
    role: str, scene: Scene
) -> None:
    client = scene.world.clients[role]
    for name, spec in RECORDS.items():
        rel = relation(role, spec)
        if rel not in ("observer", "observed", "shared"):
            continue
        rec = scene.records[name]
        page = client.get(f"/observaties/{rec.id}").text
        owner = rel == "observed"
        assert (f'action="/observaties/{rec.id}/delen"' in page) == owner, name
        assert ('class="reads"' in page or 'class="shares"' in page) == owner, name
