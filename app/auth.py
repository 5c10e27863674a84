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
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, delete, select, update

from app.db import new_session, transaction
from app.errors import Forbidden, Invalid, NotAuthenticated, TooManyAttempts
from app.i18n import _
from app.models import AuthSession, LoginThrottle, Membership, Person, Role, School, utcnow
from app.settings import get_settings, over_https

SESSION_COOKIE = "coulisse_session"
LOGIN_CSRF_COOKIE = "coulisse_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
TOUCH_EVERY = timedelta(minutes=5)
DEVICE_COOKIE = "coulisse_device"
DEVICE_ACCOUNTS = 6  # accounts a shared tablet remembers for the throttle
DEVICE_DAYS = 400

log = logging.getLogger("coulisse")
security_log = logging.getLogger("coulisse.security")


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


# Words anyone would try first for an account here (ASVS 6.1.2): the product, the method, and
# the Dutch words for a password and a welcome. The person's own name, address and school are
# added where a password is chosen.
CONTEXT_WORDS = frozenset(
    {"coulisse", "coulissen", "transformatieve", "wachtwoord", "welkom", "geheim", "school"}
)


@lru_cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most used passwords, as zxcvbn ships them (a list from real leaks)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _core(text: str) -> str:
    """The word a password is built on: lower case, without digits and signs around it."""
    return text.lower().strip("0123456789!@#$%^&*()-_=+.,;:?/ ")


def check_password_rules(password: str, context: Iterable[str] = ()) -> None:
    """Length, and not a password that is known or obvious (ASVS 6.2.4, 6.2.11): any
    composition is allowed, nothing is truncated or changed."""
    if len(password) < PASSWORD_MIN:
        raise Invalid(_("Kies een wachtwoord van minstens {n} tekens.", n=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise Invalid(_("Dit wachtwoord is te lang (maximaal {n} tekens).", n=PASSWORD_MAX))
    if password.lower() in _common_passwords() or _core(password) in _common_passwords():
        raise Invalid(
            _(
                "Dit wachtwoord staat in de lijsten van veelgebruikte wachtwoorden die "
                "aanvallers als eerste proberen. Kies iets anders, bijvoorbeeld een zin van "
                "een paar woorden."
            )
        )
    words = set(CONTEXT_WORDS)
    for item in context:
        words.update(w for w in re.split(r"[^\w]+", item.lower()) if len(w) >= 4)
        words.add(_core(item))
        words.add(_core(item.split("@", 1)[0]))
        words.add(_core(re.sub(r"\W+", "", item.lower())))
    if _core(password) in words:
        raise Invalid(
            _(
                "Dit wachtwoord is makkelijk te raden: het is je naam, je e-mailadres, de "
                "school of Coulisse, met hooguit wat cijfers. Kies iets anders."
            )
        )


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
#
# Guessing is slowed per account and per address. The rightful person is not locked out by
# someone else's guesses: a successful login leaves a signed device cookie naming the account,
# and an attempt that carries one for the account it names is counted for that device alone
# (OWASP's "device cookies"). Someone guessing a colleague's password therefore slows down
# only the devices that never logged in as that colleague.


def _sign(value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, value.encode(), "sha256").hexdigest()


def _device_entries(cookie: str | None) -> list[tuple[str, str]]:
    """The (email, nonce) pairs of a device cookie whose signatures hold."""
    entries = []
    for part in (cookie or "").split("~")[:DEVICE_ACCOUNTS]:
        bits = part.split(".")
        if len(bits) != 3:
            continue
        nonce, email_hash, sig = bits
        if hmac.compare_digest(sig, _sign(f"device:{nonce}:{email_hash}")):
            entries.append((email_hash, nonce))
    return entries


def _email_key(email: str) -> str:
    return _sign(f"email:{email}")[:32]


def device_nonce(cookie: str | None, email: str) -> str | None:
    wanted = _email_key(email)
    return next((n for e, n in _device_entries(cookie) if hmac.compare_digest(e, wanted)), None)


def device_cookie(cookie: str | None, email: str) -> str:
    """The device cookie after a successful login as ``email``: that account first, and at
    most a few others that logged in on this device before (a shared tablet)."""
    key = _email_key(email)
    nonce = device_nonce(cookie, email) or secrets.token_urlsafe(12)
    kept = [(e, n) for e, n in _device_entries(cookie) if e != key]
    entries = [(key, nonce), *kept][:DEVICE_ACCOUNTS]
    return "~".join(f"{n}.{e}.{_sign(f'device:{n}:{e}')}" for e, n in entries)


def _throttle_keys(email: str, address: str, device: str | None) -> list[tuple[str, int]]:
    s = get_settings()
    if device is not None:
        return [(f"device:{device}", s.login_free_failures_per_account)]
    return [
        (f"account:{email}", s.login_free_failures_per_account),
        (f"address:{address}", s.login_free_failures_per_address),
    ]


def _check_throttle(session: Session, keys: list[tuple[str, int]]) -> None:
    now = utcnow()
    for key, _free in keys:
        row = session.get(LoginThrottle, key)
        if row and row.blocked_until and row.blocked_until > now:
            wait = int((row.blocked_until - now).total_seconds()) + 1
            raise TooManyAttempts(
                _("Te veel mislukte pogingen. Probeer het over {s} seconden opnieuw.", s=wait),
                headers={"Retry-After": str(wait)},
            )


def _record_failure(session: Session, keys: list[tuple[str, int]]) -> None:
    s = get_settings()
    now = utcnow()
    for key, free in keys:
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


def _clear_failures(session: Session, keys: list[tuple[str, int]]) -> None:
    mine = [k for k, _free in keys if not k.startswith("address:")]
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key).in_(mine)))


# --- sessions --------------------------------------------------------------------------------


@dataclass
class LoggedIn:
    auth: AuthSession
    token: str  # the session cookie
    device: str  # the device cookie


def login(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    user_agent: str = "",
    device: str | None = None,
    replaces: str | None = None,
) -> LoggedIn:
    """Check the credentials and open a new session; ``replaces`` (the session cookie the
    browser still holds) ends only once the new session is open, so that a failed attempt
    leaves it alone.

    The password hash runs with no transaction open: ``session`` (the request's, which on
    SQLite takes the write lock at its first statement) is used only afterwards, for the short
    write of the outcome, so that slow hashes never hold up other people's writes."""
    email = normalise_email(email)
    if "\x00" in email or "\x00" in password or len(email) > 254:
        raise Invalid(_("Dit e-mailadres of wachtwoord bevat tekens die niet kunnen."))
    keys = _throttle_keys(email, address, device_nonce(device, email))
    with new_session() as read:
        try:
            _check_throttle(read, keys)
        except TooManyAttempts:
            security_log.warning(
                "login throttled address=%s known_device=%s", address, bool(device)
            )
            raise
        person = read.exec(select(Person).where(Person.email == email)).first()
    if not verify_password(person, password) or person is None or not person.active:
        with transaction(session):  # the failure counts, although the login is refused
            _record_failure(session, keys)
        security_log.warning(
            "login failed person=%s address=%s", person.id if person else "unknown", address
        )
        raise NotAuthenticated(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
    with transaction(session):
        _clear_failures(session, keys)
        person = session.get(Person, person.id)
        if person is None or not person.active:
            raise NotAuthenticated(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
        row, token = open_session(session, person, user_agent=user_agent)
        if replaces:
            end_session(session, replaces)
    security_log.info("login person=%s session=%s address=%s", person.id, row.id, address)
    return LoggedIn(auth=row, token=token, device=device_cookie(device, email))


def _prove_password(
    session: Session, actor: "Actor", password: str, address: str, what: str, refusal: str
) -> list[tuple[str, int]]:
    """A logged-in person gives their password again: throttled like a login (on the
    account's own count), hashed with no transaction open. Returns the throttle keys."""
    keys = _throttle_keys(actor.person.email, address, None)[:1]
    with new_session() as read:
        _check_throttle(read, keys)
        stored = read.get(Person, actor.person.id)
    if not verify_password(stored, password):
        with transaction(session):  # the failure counts, although the request is refused
            _record_failure(session, keys)
        security_log.warning("%s refused person=%s address=%s", what, actor.person.id, address)
        raise Invalid(refusal)
    return keys


def change_password(
    session: Session,
    *,
    actor: "Actor",
    current: str,
    new: str,
    repeated: str,
    address: str,
    context: Iterable[str] = (),
    end_others: bool = True,
) -> int:
    """Change one's own password, proving the current one (throttled like a login). The hash
    runs before ``session`` writes. Returns how many other sessions were ended."""
    email = actor.person.email
    keys = _prove_password(
        session, actor, current, address, "password change", _("Je huidige wachtwoord klopt niet.")
    )
    if new != repeated:
        raise Invalid(_("De twee nieuwe wachtwoorden zijn niet gelijk. Typ ze nog eens."))
    if new == current:
        raise Invalid(_("Kies een ander wachtwoord dan je huidige."))
    check_password_rules(new, [email, actor.person.name, *context])
    hashed = hash_password(new)
    with transaction(session):
        person = session.get(Person, actor.person.id)
        assert person is not None
        person.password_hash = hashed
        session.add(person)
        ended = end_other_sessions(session, actor) if end_others else 0
        _clear_failures(session, keys)
    security_log.info("password changed person=%s other_sessions_ended=%d", actor.person.id, ended)
    return ended


def sessions_of(session: Session, person_id: uuid.UUID) -> list[AuthSession]:
    now = utcnow()
    rows = session.exec(
        select(AuthSession)
        .where(AuthSession.person_id == person_id)
        .order_by(col(AuthSession.last_seen_at).desc())
    )
    return [row for row in rows if _alive(row, now)]


def end_other_sessions(session: Session, actor: "Actor", only: set[uuid.UUID] | None = None) -> int:
    """End this person's other sessions (all, or those in ``only``); never the current one."""
    query = delete(AuthSession).where(
        col(AuthSession.person_id) == actor.person.id, col(AuthSession.id) != actor.auth.id
    )
    if only is not None:
        query = query.where(col(AuthSession.id).in_(only))
    result = session.exec(query)
    return int(result.rowcount or 0)


def end_sessions_with_password(
    session: Session, *, actor: "Actor", password: str, address: str, only: set[uuid.UUID] | None
) -> int:
    """End other sessions after proving the password again (ASVS 7.5.2)."""
    _prove_password(
        session,
        actor,
        password,
        address,
        "end sessions",
        _("Dit wachtwoord klopt niet; er is niemand uitgelogd."),
    )
    with transaction(session):
        ended = end_other_sessions(session, actor, only)
    security_log.info("sessions ended person=%s count=%d", actor.person.id, ended)
    return ended


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
    row = session.exec(
        select(AuthSession).where(col(AuthSession.token_hash) == token_hash(token))
    ).first()
    if row is not None:
        security_log.info("logout person=%s session=%s", row.person_id, row.id)
        session.delete(row)


def logout(session: Session, *, token: str) -> None:
    with transaction(session):
        end_session(session, token)


def end_all_sessions(session: Session, person_id: uuid.UUID) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.person_id) == person_id))


def end_school_sessions(session: Session, person_id: uuid.UUID, school_id: uuid.UUID) -> None:
    session.exec(
        delete(AuthSession).where(
            col(AuthSession.person_id) == person_id, col(AuthSession.school_id) == school_id
        )
    )


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
    with new_session() as session, transaction(session):  # ends with the instances loaded
        actor = _resolve_token(session, token)
    now = utcnow()
    if actor is not None and now - actor.auth.last_seen_at > TOUCH_EVERY:
        # After the read has ended: SQLite cannot start a write on a connection that holds a
        # read snapshot without risking SQLITE_BUSY, so the refresh is its own transaction.
        _touch(actor.auth.id, now)
        actor.auth.last_seen_at = now
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
    return Actor(person=person, auth=auth, school=school, membership=membership)


def _touch(auth_id: uuid.UUID, now: datetime) -> None:
    """Note that a session is in use: one conditional UPDATE in its own short write
    transaction, so that a read-only request never holds the write lock. The refresh only
    moves the idle deadline; if the database is too busy to take it now, the next request
    does, and this request goes on."""
    try:
        with new_session(write=True) as s, transaction(s):
            s.exec(
                update(AuthSession)
                .where(
                    col(AuthSession.id) == auth_id,
                    col(AuthSession.last_seen_at) < now - TOUCH_EVERY,
                )
                .values(last_seen_at=now)
            )
    except OperationalError:
        log.warning("session refresh deferred: the database is busy")


def switch_school(session: Session, *, actor: Actor, school_id: uuid.UUID) -> None:
    with transaction(session):
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


# --- the cookies a login leaves in the browser ----------------------------------------------------


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_lifetime_days * 86400,
        httponly=True,
        samesite="lax",
        path="/",
        secure=over_https(request.url.scheme),
    )


def set_device_cookie(request: Request, response: Response, value: str) -> None:
    """The signed note that this device has logged in as these accounts (see auth's
    throttling): read only by the login, so its path is the login's."""
    for path in ("/inloggen", "/api/auth/login"):
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_DAYS * 86400,
            httponly=True,
            samesite="strict",
            path=path,
            secure=over_https(request.url.scheme),
        )


def set_login_form_cookie(request: Request, response: Response, token: str, path: str) -> None:
    """The signed token of a form used before there is a session (login, invitation)."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        path=path,
        secure=over_https(request.url.scheme),
    )
