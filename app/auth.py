"""Accounts and login sessions.

A session is a random 256-bit token in an HttpOnly cookie; the database keeps only its SHA-256,
so a copy of the database does not let anyone log in. Sessions end at logout, at deactivation,
after ``session_lifetime_days``, or after ``session_idle_days`` without use.

Every change made with the cookie carries the session's CSRF token (header ``X-CSRF-Token`` for
JSON, field ``csrf_token`` for forms), and a request whose ``Origin`` or ``Sec-Fetch-Site`` says
it comes from another site is refused outright. The login form, which has no session yet, uses a
signed token in a short-lived cookie instead.

Failed logins are counted per account and per address. After a few free failures each further
attempt must wait, doubling up to a ceiling; the wait lapses by itself, so nobody is locked out
for good.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, delete, select

from app.db import new_session
from app.errors import Forbidden, Invalid, NotAuthenticated, TooManyAttempts
from app.i18n import _
from app.models import AuthSession, LoginThrottle, Membership, Person, Role, School, utcnow
from app.settings import get_settings

SESSION_COOKIE = "coulisse_session"
LOGIN_CSRF_COOKIE = "coulisse_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
TOUCH_EVERY = timedelta(minutes=5)


@lru_cache
def _hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters; the test suite alone uses cheap ones
    so that it can make hundreds of accounts."""
    if get_settings().environment == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@lru_cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing does not tell."""
    return _hasher().hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise Invalid(_("Kies een wachtwoord van minstens {n} tekens.", n=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise Invalid(_("Dit wachtwoord is te lang (maximaal {n} tekens).", n=PASSWORD_MAX))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def set_password(person: Person, password: str) -> None:
    check_password_rules(password)
    person.password_hash = hash_password(password)


def verify_password(person: Person | None, password: str) -> bool:
    if len(password) > PASSWORD_MAX:
        return False
    try:
        stored = person.password_hash if person and person.password_hash else _dummy_hash()
        return _hasher().verify(stored, password) and person is not None
    except (VerificationError, InvalidHashError):
        return False


# --- throttling ------------------------------------------------------------------------------


def _throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    s = get_settings()
    return [
        (f"account:{email}", s.login_free_failures_per_account),
        (f"address:{address}", s.login_free_failures_per_address),
    ]


def _check_throttle(session: Session, email: str, address: str) -> None:
    now = utcnow()
    for key, _free in _throttle_keys(email, address):
        row = session.get(LoginThrottle, key)
        if row and row.blocked_until and row.blocked_until > now:
            wait = int((row.blocked_until - now).total_seconds()) + 1
            raise TooManyAttempts(
                _("Te veel mislukte pogingen. Probeer het over {s} seconden opnieuw.", s=wait),
                headers={"Retry-After": str(wait)},
            )


def _record_failure(session: Session, email: str, address: str) -> None:
    s = get_settings()
    now = utcnow()
    for key, free in _throttle_keys(email, address):
        row = session.get(LoginThrottle, key)
        if row is None or now - row.last_failure_at > timedelta(hours=24):
            row = row or LoginThrottle(key=key)
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures > free:
            delay = min(2 ** (row.failures - free - 1), s.login_max_delay_seconds)
            row.blocked_until = now + timedelta(seconds=delay)
        session.add(row)


def _clear_account_failures(session: Session, email: str) -> None:
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == f"account:{email}"))


# --- sessions --------------------------------------------------------------------------------


def login(
    session: Session, *, email: str, password: str, address: str, user_agent: str = ""
) -> tuple[AuthSession, str]:
    """Check the credentials and open a new session; returns it and the cookie token."""
    email = normalise_email(email)
    if "\x00" in email or "\x00" in password or len(email) > 254:
        raise Invalid(_("Dit e-mailadres of wachtwoord bevat tekens die niet kunnen."))
    _check_throttle(session, email, address)
    person = session.exec(select(Person).where(Person.email == email)).first()
    if not verify_password(person, password) or person is None or not person.active:
        _record_failure(session, email, address)
        session.commit()
        raise NotAuthenticated(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
    _clear_account_failures(session, email)
    auth, token = open_session(session, person, user_agent=user_agent)
    session.commit()
    return auth, token


def open_session(
    session: Session, person: Person, *, user_agent: str = ""
) -> tuple[AuthSession, str]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    first = session.exec(
        select(Membership.school_id)
        .where(Membership.person_id == person.id, col(Membership.active))
        .order_by(col(Membership.created_at))
    ).first()
    auth = AuthSession(
        token_hash=token_hash(token),
        person_id=person.id,
        school_id=first,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=get_settings().session_lifetime_days),
        user_agent=user_agent[:300],
    )
    session.add(auth)
    return auth, token


def end_session(session: Session, token: str) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash(token)))


def end_all_sessions(session: Session, person_id: uuid.UUID) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.person_id) == person_id))


def _alive(auth: AuthSession, now: datetime) -> bool:
    idle = timedelta(days=get_settings().session_idle_days)
    return auth.expires_at > now and auth.last_seen_at + idle > now


# --- the person behind a request ---------------------------------------------------------------


@dataclass
class Actor:
    """Who is asking, and in which school they are working now."""

    person: Person
    auth: AuthSession
    school: School | None
    membership: Membership | None

    @property
    def roles(self) -> list[Role]:
        return self.membership.roles if self.membership else []

    def has(self, role: Role) -> bool:
        return role in self.roles


def _resolve(token: str | None) -> Actor | None:
    """Who is asking, read in a short session of its own. The request's session may be a
    write session, which on SQLite takes the write lock at its first statement: finding out
    who is asking must not hold that lock, nor wait for it."""
    if not token:
        return None
    with new_session() as session:
        actor = _resolve_token(session, token)
        session.commit()
    return actor


def _resolve_token(session: Session, token: str) -> Actor | None:
    auth = session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if auth is None or not _alive(auth, now):
        return None
    person = session.get(Person, auth.person_id)
    if person is None or not person.active:
        return None
    membership = None
    if auth.school_id is not None:
        membership = session.exec(
            select(Membership).where(
                Membership.person_id == person.id,
                Membership.school_id == auth.school_id,
                col(Membership.active),
            )
        ).first()
    if membership is None:
        membership = session.exec(
            select(Membership)
            .where(Membership.person_id == person.id, col(Membership.active))
            .order_by(col(Membership.created_at))
        ).first()
    school = session.get(School, membership.school_id) if membership else None
    if now - auth.last_seen_at > TOUCH_EVERY:
        _touch(auth.id, now)
        auth.last_seen_at = now
    return Actor(person=person, auth=auth, school=school, membership=membership)


def _touch(auth_id: uuid.UUID, now: datetime) -> None:
    # Its own short write transaction, so that a read-only request never holds the write lock.
    with new_session(write=True) as s:
        row = s.get(AuthSession, auth_id)
        if row is not None:
            row.last_seen_at = now
            s.add(row)
            s.commit()


def switch_school(session: Session, *, actor: Actor, school_id: uuid.UUID) -> None:
    membership = session.exec(
        select(Membership).where(
            Membership.person_id == actor.person.id,
            Membership.school_id == school_id,
            col(Membership.active),
        )
    ).first()
    if membership is None:
        raise Forbidden(_("Je hoort niet bij deze school."))
    actor.auth.school_id = school_id
    session.add(actor.auth)
    session.commit()
    actor.membership, actor.school = membership, session.get(School, school_id)


def check_same_origin(request: Request) -> None:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden(_("Dit verzoek komt van een andere website en is geweigerd."))
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise Forbidden(_("Dit verzoek komt van een andere website en is geweigerd."))
    elif origin == "null":
        raise Forbidden(_("Dit verzoek komt van een andere website en is geweigerd."))


async def _check_csrf(request: Request, actor: Actor) -> None:
    if request.method in SAFE_METHODS:
        return
    check_same_origin(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, actor.auth.csrf_token):
        raise Forbidden(
            _("Dit formulier is verlopen of niet van Coulisse afkomstig. Laad de pagina opnieuw.")
        )


async def optional_actor(request: Request) -> Actor | None:
    # Database work runs in the thread pool, never on the event loop.
    actor = await run_in_threadpool(_resolve, request.cookies.get(SESSION_COOKIE))
    if actor is not None:
        await _check_csrf(request, actor)
    request.state.actor = actor
    return actor


async def current_actor(request: Request) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise NotAuthenticated(_("Je bent niet (meer) ingelogd. Log opnieuw in."))
    return actor


async def school_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if actor.school is None or actor.membership is None:
        raise Forbidden(_("Je hoort (nog) niet bij een school in Coulisse."))
    return actor


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
SchoolActor = Annotated[Actor, Depends(school_actor)]


# --- the login form's CSRF token (before there is a session) -----------------------------------


def login_form_token() -> str:
    nonce = secrets.token_urlsafe(16)
    sig = hmac.new(get_settings().secret_key.encode(), nonce.encode(), "sha256").hexdigest()
    return f"{nonce}.{sig}"


def check_login_form_token(cookie: str | None, field: str | None) -> None:
    def valid(value: str | None) -> bool:
        if not value or "." not in value:
            return False
        nonce, sig = value.rsplit(".", 1)
        expected = hmac.new(get_settings().secret_key.encode(), nonce.encode(), "sha256")
        return hmac.compare_digest(sig, expected.hexdigest())

    if not (valid(cookie) and cookie == field):
        raise Forbidden(
            _("Het inlogformulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
