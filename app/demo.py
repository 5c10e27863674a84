"""The demo school "Demo College": accounts, teams and two semesters of coded lessons.

``coulisse demo`` calls :func:`build`, which creates the school or replaces it in one transaction,
so a failure leaves the previous demo as it was. The content comes from a fixed random seed: two
runs on the same day give the same school, and only the dates move along with ``today``.

The patterns are made to be worth discussing in a backstage session: each team has its own mix of
mechanisms, each team's focus shifts between the two semesters (more productive reflexes in the
family it works on), and every team has enough observed teachers to stay above the suppression
minimum. Codes come from the default codebook by family and kind, never by hard-coded key.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, delete, select

from app import auth, codebook, schools
from app.db import session_scope
from app.models import (
    Change,
    CodeKind,
    Comment,
    LoginThrottle,
    Membership,
    Moment,
    Observation,
    ObservationStatus,
    Person,
    Reflection,
    School,
    SchoolCounter,
    Semester,
    Share,
    Target,
    Team,
    TeamMember,
    Zone,
    utcnow,
)
from app.settings import get_settings

SCHOOL_NAME = "Demo College"
SLUG = "demo-college"
DOMAIN = "@demo.example"
PASSWORD = "demo"
SEED = 20260801
LESSONS_PER_SEMESTER = 85

S, P, U = CodeKind.signaal, CodeKind.productieve_reflex, CodeKind.improductieve_reflex

# --- people and teams ---------------------------------------------------------------------------

TEAMS = ["Onderbouw havo/vwo", "Bovenbouw vmbo", "Sectie talen"]
GROUPS = [
    ["1A havo/vwo", "1B havo/vwo", "2A havo", "2B havo", "2C vwo", "3 havo", "3 vwo"],
    ["3K vmbo-k", "3B vmbo-b", "3T vmbo-gt", "4K vmbo-k", "4B vmbo-b", "4T vmbo-gt"],
    ["4 havo", "5 havo", "4 vwo", "5 vwo", "6 vwo"],
]


@dataclass(frozen=True)
class DemoTeacher:
    name: str
    email: str
    subject: str
    teams: tuple[int, ...]
    development_group: bool = False


COACHES = [
    ("Sanne de Vries", "coach@demo.example"),
    ("Youssef El Amrani", "youssef.elamrani@demo.example"),
]
LEADER = ("Marloes van Dam", "schoolleider@demo.example")
TEACHERS = [
    DemoTeacher("Mark Jansen", "docent@demo.example", "Engels", (0, 2)),
    DemoTeacher("Fatima Bakkali", "ontwikkelgroep@demo.example", "Nederlands", (0, 2), True),
    DemoTeacher("Lotte Visser", "lotte.visser@demo.example", "Nederlands", (1, 2), True),
    DemoTeacher("Daan Bakker", "daan.bakker@demo.example", "wiskunde", (0,)),
    DemoTeacher("Emre Yılmaz", "emre.yilmaz@demo.example", "economie", (1,)),
    DemoTeacher("Sophie Mulder", "sophie.mulder@demo.example", "biologie", (0,)),
    DemoTeacher("Ruben de Boer", "ruben.deboer@demo.example", "LO", (0, 1)),
    DemoTeacher("Noor Hendriks", "noor.hendriks@demo.example", "Frans", (2,)),
    DemoTeacher("Thijs Smit", "thijs.smit@demo.example", "geschiedenis", (0,)),
    DemoTeacher("Anouk Meijer", "anouk.meijer@demo.example", "Duits", (2,)),
    DemoTeacher("Mohamed Ouali", "mohamed.ouali@demo.example", "wiskunde", (1,), True),
    DemoTeacher("Iris van den Berg", "iris.vandenberg@demo.example", "Engels", (1, 2)),
    DemoTeacher("Jeroen Kok", "jeroen.kok@demo.example", "NaSk", (1,)),
    DemoTeacher("Eva Peters", "eva.peters@demo.example", "aardrijkskunde", (0,)),
]
DOCENT = 0  # index in TEACHERS of docent@demo.example

# --- how the mechanisms are spread --------------------------------------------------------------
# Families are recognised by the start of their key ("lud", "suc", "ver", "bel"); a family the
# demo does not know gets a neutral weight, so a changed codebook still builds.

FAMILY_WEIGHTS = [
    {"lud": 1.3, "suc": 1.0, "ver": 0.9, "bel": 0.8},  # onderbouw: playground at the transitions
    {"lud": 1.2, "suc": 1.4, "ver": 1.0, "bel": 0.7},  # bovenbouw vmbo: Mattheus-effect
    {"lud": 0.7, "suc": 1.0, "ver": 1.2, "bel": 1.3},  # talen: expectations and belonging
]
# The family each team chose to work on; in the later semester its productive reflexes go up.
TEAM_FOCUS = ["lud", "suc", "ver"]
KIND_WEIGHTS = {S: 1.0, P: 1.1, U: 0.8}  # per family; shared among the codes of that kind
PHASE_BOOST: dict[str, dict[tuple[str, CodeKind], float]] = {
    "start": {("lud", S): 2.0, ("bel", S): 1.6, ("bel", P): 1.5},
    "instructie": {("suc", U): 2.0, ("ver", P): 1.5, ("ver", U): 1.5},
    "verwerking": {("suc", S): 1.8, ("suc", P): 1.5, ("lud", S): 1.2},
    "afsluiting": {("lud", S): 1.5, ("suc", P): 1.3, ("bel", P): 1.3},
}
ZONE_CHANCE = {("lud", S): 0.9, ("lud", U): 0.6, ("lud", P): 0.5}
ZONE_CHANCE_OTHER = 0.2
ZONE_MIX = {S: (0.3, 0.45, 0.25), P: (0.8, 0.2, 0.0), U: (0.1, 0.5, 0.4)}
TARGET_MIX = {S: (0.2, 0.35, 0.45), P: (0.5, 0.25, 0.25), U: (0.45, 0.3, 0.25)}

# --- texts (no pupil names, no verdicts on people) ---------------------------------------------

NOTES: dict[tuple[str, CodeKind], list[str]] = {
    ("lud", S): [
        "Grap over accent, groepje lacht, twee leerlingen kijken weg",
        "Achterin wordt een filmpje nagedaan, de helft van de klas draait zich om",
        "Bij het uitdelen van de laptops vijf minuten onrust",
        "Telefoon onder de tafel, drie leerlingen kijken mee",
        "Wisselen van opdracht: geroep door de klas, niemand begint",
        "Bijnaam over en weer, groepje lacht hard, één leerling lacht niet mee",
        "Na de pauze komt de klas druk binnen, spel met etuis",
        "Meme wordt hardop geciteerd tijdens de uitleg",
        "Onrust bij het vormen van groepjes: wie met wie",
    ],
    ("lud", P): [
        "Speelt de grap terug en brengt de les in één zin weer op gang",
        "Verwijst naar de klassenafspraak over respect, zonder te preken",
        "Kort gesprek bij de deur, daarna gaat de leerling weer aan het werk",
        "Quizvorm met teams: spel binnen de les, iedereen doet mee",
        "Humor van de klas benut als voorbeeld bij de opdracht",
        "Rustig naar het groepje toe, zachte stem, werkt direct",
    ],
    ("lud", U): [
        "Derde waarschuwing voor de hele klas, zonder gevolg",
        "Nieuwe regel afgekondigd midden in de uitleg",
        "Roept vanaf het bord over de klas heen, onrust blijft",
        "Leerling de gang op gestuurd zonder gesprek",
    ],
    ("suc", S): [
        "Na de tweede uitleg valt het kwartje bij het groepje bij het raam",
        "Leerling laat trots de uitwerking zien aan de buurman",
        "Drie leerlingen beginnen niet aan de opdracht, schrift blijft dicht",
        "Hoofd op tafel tijdens de verwerking",
        "'Ik snap het toch niet', opdracht wordt weggeschoven",
        "Groepje maakt de plusopdracht en vraagt om meer",
    ],
    ("suc", P): [
        "Concreet compliment over de aanpak, niet over het cijfer",
        "Goede uitwerking van een leerling klassikaal besproken",
        "Opdracht in drie niveaus, iedereen kan instappen",
        "Voorbeeld uit de bijbaan van leerlingen gebruikt bij procenten",
        "Eerst samen één opgave, dan zelf: tempo blijft hoog",
        "Feedback per tafel, kort en specifiek",
    ],
    ("suc", U): [
        "Uitleg van twaalf minuten met veel vaktaal, achterste rijen haken af",
        "'Dit komt op de toets' als reden om op te letten",
        "Lange tekst voorgelezen zonder vragen tussendoor",
        "Cijfer van vorige week genoemd als waarschuwing",
    ],
    ("ver", S): [
        "'Dit kan ik toch niet', pen gaat neer",
        "Vraagt of er ook een makkelijkere versie is, nog voor het lezen van de opdracht",
        "Steekt geen vinger op, fluistert het goede antwoord wel tegen de buurman",
    ],
    ("ver", P): [
        "'Dit is lastig, en jullie kunnen dit'",
        "Wachttijd na de vraag, vijf vingers gaan omhoog",
        "Doorvragen bij een half antwoord tot het klopt",
        "Fout antwoord op het bord gezet en samen uitgeplozen",
        "Zelfde uitdagende vraag voor de hele klas, met hulpkaart",
        "Beurten via wisbordjes, iedereen antwoordt",
    ],
    ("ver", U): [
        "Vraag na twee seconden zelf beantwoord",
        "Beurten gaan steeds naar de voorste rij",
        "Groepje achterin krijgt een makkelijkere versie zonder uitleg",
        "'Voor jullie is dit waarschijnlijk te moeilijk'",
    ],
    ("bel", S): [
        "Leerling bij binnenkomst persoonlijk begroet, glimlacht",
        "Leerling zit apart en doet niet mee met het groepje",
        "Stil na een opmerking over de thuissituatie",
        "Leerling vertelt over eigen ervaring, klas luistert",
    ],
    ("bel", P): [
        "Vraagt naar het toernooi van het weekend, klas praat mee",
        "'Wij gaan dit samen halen' bij de start van de opdracht",
        "Koppeling met de eigen buurt bij het onderwerp wonen",
        "Talen die in de klas gesproken worden benut bij de woordenschat",
    ],
    ("bel", U): [
        "Opmerking over afkomst blijft onbesproken",
        "Leerling alleen bij het groepswerk, niet opgemerkt",
        "Leerling als 'ervaringsdeskundige' naar voren gehaald zonder het te vragen",
        "Buitensluitende opmerking, er wordt weggekeken",
    ],
}
NOTES_OTHER = [
    "Zelfde patroon als bij de start van de les",
    "Kort moment, vraag voor het nagesprek",
]

OPENINGS = [
    "Rustige start, de klas is snel aan het werk.",
    "Onrustige start; het duurt even voordat de les loopt.",
    "Duidelijke opening met het lesdoel op het bord.",
    "Start met een korte terugblik op de vorige les.",
    "De les begint met een vraag uit de actualiteit.",
]
THEMES: dict[tuple[str, CodeKind], list[str]] = {
    ("lud", S): [
        "Ludificering vooral bij de overgangen: elk moment van wisselen wordt gebruikt om te "
        "chillen.",
        "Humor speelt een grote rol; een deel van de grappen sluit leerlingen buiten.",
    ],
    ("lud", P): [
        "Veel spelgevoel: grappen worden teruggespeeld en de les loopt door.",
        "Regelmatig teruggegrepen op de gezamenlijke afspraken, zonder te preken.",
    ],
    ("lud", U): [
        "Bij onrust volgen vooral waarschuwingen aan de hele klas; een gesprek blijft uit.",
    ],
    ("suc", S): [
        "Veel zichtbare succeservaringen in de verwerking.",
        "In de verwerking haakt een groepje af; de opdracht lijkt voor hen niet haalbaar.",
    ],
    ("suc", P): [
        "Opbouwende feedback per tafel; leerlingen weten wat hun volgende stap is.",
        "Differentiatie in de opdracht: iedereen kan instappen en er is ruimte voor meer.",
    ],
    ("suc", U): [
        "De instructie is lang en talig; na een paar minuten neemt de aandacht zichtbaar af.",
    ],
    ("ver", S): [
        "Een deel van de klas twijfelt hardop aan het eigen kunnen en wacht af.",
    ],
    ("ver", P): [
        "Hoge verwachtingen worden uitgesproken en na vragen is er wachttijd.",
        "Fouten worden als leerkans gebruikt; leerlingen durven hardop te denken.",
    ],
    ("ver", U): [
        "Beurten gaan vaak naar dezelfde leerlingen; een deel van de klas doet niet mee aan het "
        "gesprek.",
    ],
    ("bel", S): [
        "Leerlingen worden gezien en erkend, bij binnenkomst en tijdens het werken.",
        "Een paar leerlingen trekken zich terug; dat blijft in de les grotendeels onopgemerkt.",
    ],
    ("bel", P): [
        "De les sluit aan bij de leefwereld van de klas; er ontstaat een 'wij'.",
    ],
    ("bel", U): [
        "Bij een buitensluitende opmerking wordt weggekeken.",
    ],
}
QUESTIONS = {
    "lud": [
        "Om te bespreken: welk gedrag is voor ons groen, oranje of rood bij de overgangen?",
        "Om samen naar te kijken: waar is ruimte voor positieve ludificering?",
    ],
    "suc": ["Voor het nagesprek: hoe krijgt iedere leerling deze les minstens één succeservaring?"],
    "ver": ["Voor het nagesprek: welke verwachting klinkt door in de beurtverdeling?"],
    "bel": ["Voor het nagesprek: welke leerlingen voelen zich hier thuis, en welke nog niet?"],
    "": [
        "Vraag voor het nagesprek: welk mechanisme zie jij hier als dominante uitdaging?",
        "Voor de coulissen: herkennen collega's dit patroon in dezelfde klas?",
    ],
}
REFLECTION_MECHANISM = {
    "lud": "Ludificering bij de overgangen. De klas pakt elk los moment; dat hangt ook samen met "
    "hoe ik de wissels organiseer.",
    "suc": "Het Mattheus-effect: het groepje dat vastloopt haakt snel af, en ik merk dat ik dan "
    "vooral met de snelle leerlingen verder ga.",
    "ver": "Verwachtingscues: ik beantwoord mijn eigen vragen te snel en de beurten gaan vaak "
    "naar dezelfde kant van de klas.",
    "bel": "Belonging: een paar leerlingen doen niet echt mee, en dat heb ik in de les niet "
    "opgemerkt.",
}
REFLECTION_ZONES = [
    "Groen: grappen die de les dienen en waar iedereen om kan lachen. Oranje: geroep bij het "
    "wisselen. Rood: grappen over afkomst of accent.",
    "Groen: samenwerken en elkaar helpen. Oranje: telefoon op tafel. Rood: iemand uitlachen om "
    "een fout antwoord.",
    "Groen: hardop fouten durven maken. Oranje: afhaken zonder hulp te vragen. Rood: elkaar "
    "afkraken.",
]
REFLECTION_NEXT = {
    "lud": "Volgende les de overgang naar de verwerking aankondigen met een vaste routine en een "
    "opdracht die meteen start.",
    "suc": "De opdracht in twee instapniveaus aanbieden, zodat iedereen een succeservaring kan "
    "halen.",
    "ver": "Na elke vraag minstens vijf seconden wachten en met wisbordjes werken.",
    "bel": "Bij de start van de les de leerlingen die zich terugtrekken persoonlijk aanspreken.",
}
REFLECTION_NEXT_TEAM = (
    "In het team bespreken welke grappen we groen, oranje en rood vinden, "
    "zodat we er hetzelfde op reageren."
)

# The short conversation after a lesson: the observer asks about one moment, the teacher answers.
REMARKS_ON_A_MOMENT = [
    "Dit vond ik een sterk moment. Merkte jij hoe de klas erop reageerde?",
    "Hier kantelde de sfeer even. Hoe zag jij dat vanaf het bord?",
    "Mooi voorbeeld. Doe je dit bewust, of ging het vanzelf?",
]
REPLIES = [
    "Ja, dat zag ik ook. Ik neem het mee naar het teamoverleg.",
    "Vanaf het bord zag ik vooral de groep vooraan; goed dat je dit noteerde.",
    "Niet helemaal bewust. Ik ga het de volgende les expres proberen.",
]

# --- the timetable (Europe/Amsterdam): every lesson starts at or after 08:30, ends by 16:00 ---

SLOTS = {
    50: [
        time(8, 30),
        time(9, 20),
        time(10, 25),
        time(11, 15),
        time(12, 30),
        time(13, 20),
        time(14, 10),
        time(15, 0),
    ],
    45: [
        time(8, 30),
        time(9, 15),
        time(10, 15),
        time(11, 0),
        time(12, 5),
        time(12, 50),
        time(13, 35),
        time(14, 25),
        time(15, 10),
    ],
}
MAX_LATE_START = timedelta(minutes=3)


def _family(key: str) -> str:
    return key[:3]


@dataclass
class _CodeInfo:
    key: str
    family: str
    kind: CodeKind


@dataclass(eq=False)
class _Lesson:
    semester: int  # 0: previous, 1: current
    teacher: int
    team: int
    observer: uuid.UUID
    start: datetime
    minutes: int
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    moments: list[Moment] = field(default_factory=list)
    observation: Observation | None = None


def _codes() -> list[_CodeInfo]:
    return [
        _CodeInfo(c["key"], _family(c["family"]), CodeKind(c["kind"]))
        for c in codebook.default_book()["codes"]
        if not c.get("retired", False)
    ]


def _school_days(first: date, last: date) -> list[date]:
    """Weekdays from first to last, leaving out the usual holidays when enough days remain."""
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]

    def holiday(d: date) -> bool:
        week = d.isocalendar().week
        return (
            ((d.month, d.day) >= (7, 18) and d.month <= 8)
            or (d.month, d.day) >= (12, 21)
            or (d.month, d.day) <= (1, 4)
            or week in (8, 43)
            or (4, 27) <= (d.month, d.day) <= (5, 5)
        )

    open_days = [d for d in weekdays if not holiday(d)]
    return open_days if len(open_days) >= 5 else weekdays


def _pick(rng: random.Random, options: list[Any], weights: list[float]) -> Any:
    return rng.choices(options, weights=weights, k=1)[0]


# --- the build ---------------------------------------------------------------------------------


def _change_rows(
    school_id: uuid.UUID, records: list[tuple[str, uuid.UUID, uuid.UUID]]
) -> tuple[list[Change], SchoolCounter]:
    """Number every demo record as a change, so tablets pull the demo like any other data."""
    rows = [
        Change(school_id=school_id, seq=i, entity=entity, entity_id=eid, observation_id=oid)
        for i, (entity, eid, oid) in enumerate(records, start=1)
    ]
    return rows, SchoolCounter(school_id=school_id, value=len(rows))


def build(today: date | None = None) -> str:
    """Create or refresh "Demo College"; returns a short summary for the command line."""
    tz = get_settings().tz
    now = utcnow()
    today = today or now.astimezone(tz).date()
    cutoff = min(now, datetime.combine(today + timedelta(days=1), time(0), tz).astimezone(UTC))
    with session_scope() as session:
        _remove(session)
        return _Builder(session, today, cutoff).run()


def _remove(session: Session) -> None:
    """Delete the demo school and the demo-only accounts (the database cascades the rest)."""
    school = session.exec(select(School).where(School.slug == SLUG)).first()
    if school is None:
        return
    demo_people = set(
        session.exec(
            select(Person.id)
            .join(Membership, col(Membership.person_id) == Person.id)
            .where(Membership.school_id == school.id, col(Person.email).endswith(DOMAIN))
        )
    )
    elsewhere = set(
        session.exec(
            select(Membership.person_id).where(
                Membership.school_id != school.id, col(Membership.person_id).in_(demo_people)
            )
        )
    )
    session.delete(school)
    session.flush()
    gone = demo_people - elsewhere
    if gone:
        session.exec(delete(Person).where(col(Person.id).in_(gone)))
    session.expunge_all()


class _Builder:
    def __init__(self, session: Session, today: date, cutoff: datetime) -> None:
        self.session, self.today, self.cutoff = session, today, cutoff
        self.tz = get_settings().tz
        self.rng = random.Random(SEED)
        self.codes = _codes()
        self.kind = {c.key: c.kind for c in self.codes}
        self.family = {c.key: c.family for c in self.codes}
        self.group_size = Counter((c.family, c.kind) for c in self.codes)
        self.busy: set[tuple[uuid.UUID, date, time]] = set()

    def run(self) -> str:
        s = self.session
        school = schools.create_school(s, name=SCHOOL_NAME, slug=SLUG, today=self.today)
        s.flush()
        self.school = school
        self.version_id = codebook.current_version(s, school.id).id
        self.phases = list(school.phases)
        windows = self._semesters()
        self._people()
        self._teams()

        lessons: list[_Lesson] = []
        for index, (first, last) in enumerate(windows):
            # Today is left out when the semester has earlier days, so that the content does not
            # change with the hour at which the demo is built; else only finished lessons count.
            days = _school_days(first, last - timedelta(days=index)) or _school_days(first, last)
            lessons += self._schedule(index, days)
        lessons.sort(key=lambda lesson: lesson.start)
        self._observations(lessons)
        s.add_all([lesson.observation for lesson in lessons if lesson.observation])
        s.flush()
        s.add_all([m for lesson in lessons for m in lesson.moments])
        reflections = self._reflections(lessons)
        shares = self._shares(lessons)
        s.add_all(reflections)
        s.add_all(shares)
        s.flush()
        remarks = self._conversations(lessons, reflections)
        s.add_all(remarks)
        s.flush()
        self._number_changes(lessons, reflections)

        counts = Counter(lesson.semester for lesson in lessons)
        moments = sum(1 for lesson in lessons for m in lesson.moments if m.deleted_at is None)
        semester_text = ", ".join(f"{self.semester_names[i]}: {counts[i]}" for i in (0, 1))
        return (
            f"{SCHOOL_NAME} ({SLUG}) built for {self.today.isoformat()}: "
            f"{len(self.people)} people ({len(COACHES)} coaches, {len(TEACHERS)} teachers, "
            f"1 school leader), {len(TEAMS)} teams, {len(lessons)} observed lessons "
            f"({semester_text}), {moments} coded moments, {len(reflections)} reflections, "
            f"{len(shares)} shares, {len(remarks)} remarks in conversations.\n"
            f"Log in with password '{PASSWORD}' as coach{DOMAIN}, docent{DOMAIN}, "
            f"ontwikkelgroep{DOMAIN} or schoolleider{DOMAIN}."
        )

    # -- calendar --

    def _semesters(self) -> list[tuple[date, date]]:
        """The semester holding today and the one before it (added if the school lacks it)."""
        s, school_id = self.session, self.school.id
        current = schools.semester_on(s, school_id, self.today)
        assert current is not None, "create_school makes the semester that holds today"
        previous = s.exec(
            select(Semester)
            .where(Semester.school_id == school_id, Semester.ends_on < current.starts_on)
            .order_by(col(Semester.ends_on).desc())
        ).first()
        if previous is None:
            year = schools.school_year_start(self.today) - 1
            added = [
                Semester(school_id=school_id, name=name, starts_on=a, ends_on=b)
                for name, a, b in schools.default_semesters(year)
            ]
            s.add_all(added)
            s.flush()
            previous = added[-1]
        self.semester_names = [previous.name, current.name]
        return [(previous.starts_on, previous.ends_on), (current.starts_on, self.today)]

    # -- people --

    def _people(self) -> None:
        s = self.session
        # The demo password is public, so one hash serves every demo account: hashing it
        # per account with the production argon2 parameters would cost ~0.2 s each.
        password_hash = auth.hash_password(PASSWORD)
        # (name, email, (coach, teacher, development group, admin))
        wanted: list[tuple[str, str, tuple[bool, bool, bool, bool]]] = [
            (name, email, (True, False, False, False)) for name, email in COACHES
        ]
        wanted.append((LEADER[0], LEADER[1], (False, False, False, True)))
        wanted += [(t.name, t.email, (False, True, t.development_group, False)) for t in TEACHERS]
        existing = {
            p.email: p
            for p in s.exec(select(Person).where(col(Person.email).in_([w[1] for w in wanted])))
        }
        self.people: dict[str, Person] = {}
        for name, email, _roles in wanted:
            person = existing.get(email) or Person(email=email, name=name)
            person.password_hash, person.active = password_hash, True
            self.people[email] = person
        s.add_all(self.people.values())
        s.flush()
        s.add_all(
            [
                Membership(
                    school_id=self.school.id,
                    person_id=self.people[email].id,
                    is_coach=coach,
                    is_teacher=teacher,
                    is_development_group=group,
                    is_admin=admin,
                )
                for _name, email, (coach, teacher, group, admin) in wanted
            ]
        )
        s.exec(
            delete(LoginThrottle).where(
                col(LoginThrottle.key).in_([f"account:{w[1]}" for w in wanted])
            )
        )
        self.coaches = [self.people[email].id for _name, email in COACHES]
        self.teachers = [self.people[t.email].id for t in TEACHERS]

    def _teams(self) -> None:
        teams = [Team(school_id=self.school.id, name=name) for name in TEAMS]
        self.session.add_all(teams)
        self.session.flush()
        self.session.add_all(
            [
                TeamMember(team_id=teams[i].id, person_id=self.teachers[n])
                for n, t in enumerate(TEACHERS)
                for i in t.teams
            ]
        )

    # -- lessons --

    def _schedule(self, semester: int, days: list[date]) -> list[_Lesson]:
        """Who is observed when and by whom; every teacher a few times, the docent more."""
        rng = self.rng
        if not days:
            return []
        counts = [4] * len(TEACHERS)
        counts[DOCENT] = 7
        while sum(counts) < LESSONS_PER_SEMESTER:
            counts[rng.randrange(len(TEACHERS))] += 1
        lessons = []
        for teacher, n in enumerate(counts):
            for _ in range(n):
                lesson = self._place(semester, teacher, days)
                if lesson is not None:
                    lessons.append(lesson)
        return lessons

    def _place(self, semester: int, teacher: int, days: list[date]) -> _Lesson | None:
        rng = self.rng
        info = TEACHERS[teacher]
        team = rng.choice(info.teams)
        observer = self._observer(teacher)
        for _attempt in range(60):
            day = rng.choice(days)
            minutes = 45 if rng.random() < 0.2 else 50
            slot = rng.choice(SLOTS[minutes])
            late = timedelta(seconds=rng.randrange(int(MAX_LATE_START.total_seconds())))
            start = datetime.combine(day, slot, self.tz).astimezone(UTC) + late
            if start + timedelta(minutes=minutes, seconds=30) > self.cutoff:
                continue
            keys = [(self.teachers[teacher], day, slot), (observer, day, slot)]
            if any(k in self.busy for k in keys):
                continue
            self.busy.update(keys)
            return _Lesson(semester, teacher, team, observer, start, minutes)
        return None

    def _observer(self, teacher: int) -> uuid.UUID:
        rng = self.rng
        if rng.random() < 0.16:  # peer observation by a colleague from one of the teacher's teams
            colleagues = [
                n
                for n, t in enumerate(TEACHERS)
                if n != teacher and set(t.teams) & set(TEACHERS[teacher].teams)
            ]
            return self.teachers[rng.choice(colleagues)]
        return self.coaches[0] if rng.random() < 0.55 else self.coaches[1]

    def _number_changes(self, lessons: list[Any], reflections: list[Reflection]) -> None:
        records: list[tuple[str, uuid.UUID, uuid.UUID]] = []
        for lesson in lessons:
            if lesson.observation is None:
                continue
            oid = lesson.observation.id
            records.append(("observation", oid, oid))
            records += [("moment", m.id, oid) for m in lesson.moments]
        records += [("reflection", r.id, r.observation_id) for r in reflections]
        rows, counter = _change_rows(self.school.id, records)
        self.session.add_all(rows)
        self.session.add(counter)
        self.session.flush()

    def _observations(self, lessons: list[_Lesson]) -> None:
        rng = self.rng
        teacher_bias = [
            {fam: rng.uniform(0.8, 1.25) for fam in ("lud", "suc", "ver", "bel")} for _ in TEACHERS
        ]
        code_bias = [{c.key: rng.uniform(0.4, 1.8) for c in self.codes} for _ in TEAMS]
        recent = set(map(id, rng.sample(lessons[-20:], min(4, len(lessons)))))
        groups = {
            (n, team): rng.sample(GROUPS[team], 2)
            for n, t in enumerate(TEACHERS)
            for team in t.teams
        }
        for lesson in lessons:
            status = ObservationStatus.ended if id(lesson) in recent else ObservationStatus.ready
            weights = {
                phase: self._weights(lesson, phase, teacher_bias, code_bias)
                for phase in self.phases
            }
            self._moments(lesson, weights)
            end = lesson.start + timedelta(minutes=lesson.minutes)
            top = Counter(
                (self.family[m.code], self.kind[m.code])
                for m in lesson.moments
                if m.deleted_at is None
            )
            summary = ""
            if status == ObservationStatus.ready and rng.random() < 0.88:
                summary = self._summary([k for k, _n in top.most_common(3)])
            touched = min(self.cutoff, end + timedelta(minutes=rng.randrange(5, 180)))
            if status == ObservationStatus.ended:
                touched = min(self.cutoff, end + timedelta(seconds=rng.randrange(5, 120)))
            focus = sorted(
                self.codes, key=lambda c: -max(w.get(c.key, 0.0) for w in weights.values())
            )[:8]
            lesson.observation = Observation(
                id=lesson.id,
                school_id=self.school.id,
                observer_id=lesson.observer,
                observed_teacher_id=self.teachers[lesson.teacher],
                group_label=rng.choice(groups[(lesson.teacher, lesson.team)]),
                subject=TEACHERS[lesson.teacher].subject,
                started_at=lesson.start,
                ended_at=end,
                status=status,
                summary=summary,
                codebook_version_id=self.version_id,
                phases=list(self.phases),
                focus_codes=[c.key for c in rng.sample(focus, rng.randint(3, 5))],
                created_at=lesson.start,
                updated_at=touched,
            )
        candidates = [lesson for lesson in lessons if lesson.teacher != DOCENT]
        for lesson in rng.sample(candidates, 2):
            assert lesson.observation is not None
            lesson.observation.excluded_from_team = True

    def _weights(
        self,
        lesson: _Lesson,
        phase: str,
        teacher_bias: list[dict[str, float]],
        code_bias: list[dict[str, float]],
    ) -> dict[str, float]:
        focus = TEAM_FOCUS[lesson.team]
        weights = {}
        for c in self.codes:
            w = (
                FAMILY_WEIGHTS[lesson.team].get(c.family, 1.0)
                * KIND_WEIGHTS[c.kind]
                / self.group_size[(c.family, c.kind)]
                * teacher_bias[lesson.teacher].get(c.family, 1.0)
                * code_bias[lesson.team][c.key]
                * PHASE_BOOST.get(phase, {}).get((c.family, c.kind), 1.0)
            )
            if lesson.semester == 1:
                if c.kind == P:
                    w *= 1.7 if c.family == focus else 1.1
                elif c.kind == U:
                    w *= 0.55 if c.family == focus else 0.9
            weights[c.key] = w
        return weights

    def _phase_bounds(self, duration_ms: int) -> list[int]:
        rng, n = self.rng, len(self.phases)
        if n == 4:
            fractions = [rng.uniform(0.06, 0.12), rng.uniform(0.3, 0.45), rng.uniform(0.8, 0.9)]
        else:
            fractions = [(i + 1) / n for i in range(n - 1)]
        return [int(f * duration_ms) for f in fractions]

    def _moments(self, lesson: _Lesson, weights: dict[str, dict[str, float]]) -> None:
        rng = self.rng
        kind = self.kind
        duration_ms = lesson.minutes * 60_000
        bounds = self._phase_bounds(duration_ms)
        live = rng.randint(12, 38)
        offsets = sorted(rng.randrange(15_000, duration_ms - 20_000) for _ in range(live))
        by_family: dict[str, list[str]] = {}
        for c in self.codes:
            by_family.setdefault(c.family, []).append(c.key)
        moments: list[Moment] = []
        tombstones = 0
        for offset in offsets:
            phase = self.phases[sum(offset >= b for b in bounds)]
            w = weights[phase]
            code = _pick(rng, list(w), list(w.values()))
            fam, k = self.family[code], kind[code]
            zone = target = None
            if rng.random() < ZONE_CHANCE.get((fam, k), ZONE_CHANCE_OTHER):
                zone = _pick(rng, list(Zone), list(ZONE_MIX[k]))
            if rng.random() < 0.4:
                target = _pick(rng, list(Target), list(TARGET_MIX[k]))
            note = rng.choice(NOTES.get((fam, k), NOTES_OTHER)) if rng.random() < 0.2 else ""
            created = lesson.start + timedelta(milliseconds=offset + rng.randrange(200, 4000))
            moments.append(
                Moment(
                    id=uuid.uuid4(),
                    observation_id=lesson.id,
                    school_id=self.school.id,
                    code=code,
                    offset_ms=offset,
                    phase=phase,
                    zone=zone,
                    target=target,
                    note=note,
                    note_shareable=bool(note) and rng.random() < 0.4,
                    created_by_id=lesson.observer,
                    created_at=created,
                )
            )
            # A mis-tap corrected on the spot: the wrong code is tombstoned, the right one stays.
            if rng.random() < 0.03 and live + tombstones < 40:
                tombstones += 1
                wrong = rng.choice([key for key in by_family[fam] if key != code] or [code])
                tapped = max(0, offset - rng.randrange(1_000, 8_000))
                moments.append(
                    Moment(
                        id=uuid.uuid4(),
                        observation_id=lesson.id,
                        school_id=self.school.id,
                        code=wrong,
                        offset_ms=tapped,
                        phase=self.phases[sum(tapped >= b for b in bounds)],
                        created_by_id=lesson.observer,
                        created_at=lesson.start + timedelta(milliseconds=tapped),
                        deleted_at=created,
                    )
                )
        lesson.moments = moments

    def _summary(self, top: list[tuple[str, CodeKind]]) -> str:
        rng = self.rng
        sentences = [rng.choice(OPENINGS)]
        for key in top[:2]:
            if key in THEMES:
                sentences.append(rng.choice(THEMES[key]))
        family = top[0][0] if top and rng.random() < 0.6 else ""
        sentences.append(rng.choice(QUESTIONS.get(family, QUESTIONS[""])))
        return " ".join(sentences)

    # -- after the lesson --

    def _reflections(self, lessons: list[_Lesson]) -> list[Reflection]:
        """The observed teacher's reflection: the docent on several lessons, others now and then."""
        rng = self.rng
        reflections = []
        for lesson in lessons:
            obs = lesson.observation
            assert obs is not None and obs.ended_at is not None
            chance = 0.45 if lesson.teacher == DOCENT else 0.08
            written = obs.ended_at + timedelta(hours=rng.randint(20, 96))
            if obs.status != ObservationStatus.ready or written > self.cutoff:
                continue
            if rng.random() >= chance:
                continue
            families = Counter(self.family[m.code] for m in lesson.moments if m.deleted_at is None)
            dominant = next(
                (f for f, _n in families.most_common() if f in REFLECTION_MECHANISM), "lud"
            )
            next_step = REFLECTION_NEXT[dominant]
            if rng.random() < 0.25:
                next_step += " " + REFLECTION_NEXT_TEAM
            reflections.append(
                Reflection(
                    id=uuid.uuid4(),
                    observation_id=obs.id,
                    author_id=obs.observed_teacher_id,
                    dominant_mechanism=REFLECTION_MECHANISM[dominant],
                    zones=rng.choice(REFLECTION_ZONES),
                    next_step=next_step,
                    created_at=written,
                    updated_at=written,
                )
            )
        return reflections

    def _conversations(
        self, lessons: list[_Lesson], reflections: list[Reflection]
    ) -> list[Comment]:
        """On most reflected lessons the observer asks about a moment with a note, and the
        teacher answers the next day."""
        rng = self.rng
        reflected = {r.observation_id: r for r in reflections}
        remarks = []
        for lesson in lessons:
            obs = lesson.observation
            written = reflected.get(obs.id) if obs else None
            noted = [m for m in lesson.moments if m.note and m.deleted_at is None]
            if obs is None or written is None or not noted or rng.random() < 0.3:
                continue
            asked = written.created_at + timedelta(hours=rng.randint(2, 8))
            answered = asked + timedelta(hours=rng.randint(12, 30))
            if answered > self.cutoff:
                continue
            i = rng.randrange(len(REMARKS_ON_A_MOMENT))
            remarks += [
                Comment(
                    id=uuid.uuid4(),
                    observation_id=obs.id,
                    moment_id=rng.choice(noted).id,
                    author_id=obs.observer_id,
                    body=REMARKS_ON_A_MOMENT[i],
                    created_at=asked,
                ),
                Comment(
                    id=uuid.uuid4(),
                    observation_id=obs.id,
                    author_id=obs.observed_teacher_id,
                    body=REPLIES[i],
                    created_at=answered,
                ),
            ]
        return remarks

    def _shares(self, lessons: list[_Lesson]) -> list[Share]:
        """The observed teacher shares a few lessons with a colleague from the same team."""
        rng = self.rng
        shares = []
        done = [
            lesson
            for lesson in lessons
            if lesson.observation is not None
            and lesson.observation.status == ObservationStatus.ready
        ]
        docent = [lesson for lesson in done if lesson.teacher == DOCENT]
        others = [lesson for lesson in done if lesson.teacher != DOCENT]
        chosen = rng.sample(docent, min(2, len(docent))) + rng.sample(others, min(6, len(others)))
        for lesson in chosen:
            obs = lesson.observation
            assert obs is not None and obs.ended_at is not None
            teacher = TEACHERS[lesson.teacher]
            colleagues = [
                n
                for n, t in enumerate(TEACHERS)
                if n != lesson.teacher
                and set(t.teams) & set(teacher.teams)
                and self.teachers[n] != obs.observer_id
            ]
            if lesson.teacher != DOCENT and DOCENT in colleagues and rng.random() < 0.5:
                colleague = DOCENT  # so the docent account has something shared with it
            else:
                colleague = rng.choice(colleagues)
            shares.append(
                Share(
                    observation_id=obs.id,
                    person_id=self.teachers[colleague],
                    created_by_id=obs.observed_teacher_id,
                    created_at=min(self.cutoff, obs.ended_at + timedelta(hours=rng.randint(2, 48))),
                )
            )
        return shares
