"""The coulissen-ruimte dashboard: a semester's patterns for the whole school or one team.

Entry points (the pages, the JSON route and the CSV export sit on top of these):

- :func:`build` ``(session, *, school_id, semester_id=None, team_id=None, now=None)`` returns a
  :class:`Dashboard`: a pydantic model whose ``model_dump(mode="json")`` is the body of
  ``GET /api/coulissen``. ``semester_id=None`` takes the semester holding today (in the school's
  time zone), else the latest one that has started. An unknown semester or team of the school
  raises :class:`app.errors.NotFound`. Authorization (``Action.read_aggregates``) is the route's.
- :func:`to_csv_rows` flattens a dashboard into the CSV export's rows (a header row first).
- :func:`counted_lessons` lists the ids of the lessons a view is computed over.
- :func:`parse_level` derives the school level (``havo``, ``vwo``, ...) from a group label.
- :func:`plan_suppression` is the suppression rule on its own, free of the database.

Every figure is a :class:`Cell`: ``value``, ``n_teachers`` and ``n_lessons`` (all ``None`` when
hidden), ``suppressed`` and ``note`` (``"te weinig observaties"`` when hidden); trend cells add
``previous`` and ``direction`` (``hoger``/``lager``/``gelijk``).

What is counted: the school's observations whose start date (school time zone) lies in the
semester, that are finished (``ended_at`` set and status not ``in_progress``), not deleted and not
kept out of team data by the observed teacher; of those, every moment that is not deleted and
whose code key the school's codebook knows. Keys are aggregated across codebook versions; label,
family, kind and colour come from the newest version that has the key.

Suppression, in one sentence: the figures of one population (a view's lessons, or one of the
school's subjects or levels) are shown only if every set of lessons that *any* combination of the
shown populations of the semester (school view, every team view, every row) singles out has
lessons of at least ``minimum`` distinct observed teachers; and a hidden population is never one
the shown ones determine. Subject and level breakdowns are the school's only (``Dashboard.subjects``
and ``.levels`` are ``None`` in a team view). The argument, and why this covers complementary
cells, overlapping teams, crossing breakdowns and the previous semester, is in
``docs/coulissen.md``; :func:`plan_suppression` carries the algorithm.

The database does the per-moment work: per semester one scan of the counted moments, grouped by
lesson, returning each lesson's codes (and code, zone, phase) as aggregated strings that Python
counts with ``Counter``; so the work in Python follows the number of lessons, not of moments.
"""

import math
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from app import codebook, names, schools
from app.errors import NotFound
from app.i18n import _
from app.models import (
    Code,
    CodebookVersion,
    CodeKind,
    Moment,
    Observation,
    ObservationStatus,
    School,
    Semester,
    Team,
    Zone,
    utcnow,
)
from app.settings import get_settings

MINIMUM_FLOOR = 3
SUCCESS_CODE = "suc-s-succes"
RATE_DIGITS = 2  # moments per lesson hour
SHARE_DIGITS = 4  # shares between 0 and 1
HOURS_DIGITS = 2
TOTAL, SUBJECT, LEVEL = "total", "subject", "level"

Direction = Literal["hoger", "lager", "gelijk"]

# Source texts, translated when a dashboard is built (the request's language).
SUPPRESSED = "te weinig observaties"
FACE_LABELS = {
    "ludificering": "Ludificering",
    "mattheus-effect": "Mattheus-effect",
    "sense-of-belonging": "Sense of belonging",
}
ZONE_LABELS = {Zone.groen.value: "groen", Zone.oranje.value: "oranje", Zone.rood.value: "rood"}
PRINCIPLE = "Elke leerling, elke les minstens één succeservaring."


# --- the shapes ---------------------------------------------------------------------------------


class Cell(BaseModel):
    """One figure. Hidden: ``value``, ``n_teachers`` and ``n_lessons`` are ``None``."""

    value: int | float | None
    n_teachers: int | None
    n_lessons: int | None
    suppressed: bool
    note: str | None = None
    previous: float | None = None
    direction: Direction | None = None


class SemesterRef(BaseModel):
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date


class Scope(BaseModel):
    school: str
    team_id: uuid.UUID | None
    team: str | None
    semester: SemesterRef
    previous_semester: SemesterRef | None
    minimum: int
    codebook_version: int | None
    generated_at: datetime


class Overview(BaseModel):
    lessons: Cell
    hours: Cell
    moments: Cell
    moments_per_hour: Cell  # trend


class CodeFigures(BaseModel):
    key: str
    label: str
    kind: str
    colour: str
    retired: bool
    moments: Cell
    per_hour: Cell  # trend
    share_of_lessons: Cell  # trend: lessons where the code was seen / lessons


class FamilyFigures(BaseModel):
    key: str
    label: str
    face: str
    colour: str
    moments: Cell
    per_hour: Cell  # trend
    share_of_lessons: Cell  # trend: lessons where any code of the family was seen / lessons
    codes: list[CodeFigures]


class FaceBalance(BaseModel):
    """Productive against unproductive reflexes of one face of inequality."""

    face: str
    label: str
    productive: Cell
    unproductive: Cell
    productive_per_hour: Cell  # trend
    unproductive_per_hour: Cell  # trend
    productive_share: Cell  # trend: productive / (productive + unproductive)


class SuccessCoverage(BaseModel):
    code: str
    label: str
    principle: str
    lessons_with: Cell
    share: Cell  # trend: lessons with at least one success experience / lessons


class ZoneFigures(BaseModel):
    zone: str
    label: str
    moments: Cell
    share: Cell  # trend: of the moments that carry a zone


class Zones(BaseModel):
    with_zone: Cell  # moments that carry a zone
    share_with_zone: Cell  # of all moments
    zones: list[ZoneFigures]


class PhaseCell(BaseModel):
    phase: str
    cell: Cell  # share of the family's moments (with a phase) that fell in this phase


class PhaseRow(BaseModel):
    family: str | None  # None: all families together
    label: str
    moments: Cell  # the row's moments that carry a phase
    phases: list[PhaseCell]


class Phases(BaseModel):
    phases: list[str]
    rows: list[PhaseRow]


class FamilyCell(BaseModel):
    family: str
    cell: Cell  # moments of the family per lesson hour


class BreakdownRow(BaseModel):
    key: str | None  # None: the merged rest
    label: str
    lessons: Cell
    hours: Cell
    moments_per_hour: Cell
    success_share: Cell
    family_per_hour: list[FamilyCell]


class Breakdown(BaseModel):
    """Rows for the subjects (or levels) whose figures may be shown; the lessons of every other
    subject, and of lessons without one, are merged into ``rest``. ``merged`` says that some
    shown-by-name row was left out for ``te weinig observaties``."""

    dimension: Literal["subject", "level"]
    rows: list[BreakdownRow]
    rest: BreakdownRow | None
    merged: bool


class Dashboard(BaseModel):
    scope: Scope
    visible: bool  # False: the whole view rests on too few teachers; every cell is hidden
    suppressed_text: str
    overview: Overview
    families: list[FamilyFigures]
    faces: list[FaceBalance]
    success: SuccessCoverage
    zones: Zones
    phases: Phases
    subjects: Breakdown | None  # the school's view only
    levels: Breakdown | None


# --- levels -------------------------------------------------------------------------------------

LEVELS: dict[str, str] = {
    "vmbo-b": "vmbo-b",
    "vmbo-k": "vmbo-k",
    "vmbo-gt": "vmbo-gt/mavo",
    "vmbo": "vmbo",
    "havo": "havo",
    "vwo": "vwo",
}
_LEVEL_WORDS = {
    "vmbo-b": "vmbo-b",
    "vmbo-bb": "vmbo-b",
    "bb": "vmbo-b",
    "vmbo-k": "vmbo-k",
    "vmbo-kb": "vmbo-k",
    "kb": "vmbo-k",
    "vmbo-g": "vmbo-gt",
    "vmbo-t": "vmbo-gt",
    "vmbo-gt": "vmbo-gt",
    "vmbo-tl": "vmbo-gt",
    "vmbo-gl": "vmbo-gt",
    "tl": "vmbo-gt",
    "gt": "vmbo-gt",
    "mavo": "vmbo-gt",
    "vmbo": "vmbo",
    "havo": "havo",
    "vwo": "vwo",
    "gym": "vwo",
    "gymnasium": "vwo",
    "atheneum": "vwo",
    "ath": "vwo",
}
_COMPACT = {"h": "havo", "v": "vwo", "m": "vmbo-gt"}


@lru_cache(maxsize=4096)  # a school has a few hundred group labels, read for every lesson
def parse_level(group_label: str) -> str | None:
    """The level of a group label, or None when it names none.

    Words count, in any case and position: ``vmbo-b``/``bb``, ``vmbo-k``/``kb``,
    ``vmbo-gt``/``vmbo-g``/``vmbo-t``/``vmbo-tl``/``tl``/``gt``/``mavo`` (one level: the theoretical
    and mixed tracks), plain ``vmbo``, ``havo``, ``vwo``/``gym``/``gymnasium``/``atheneum``.
    ``vmbo k`` with a space is ``vmbo-k``. Without such a word, a compact class code that starts
    with the level letter counts: ``h4a`` havo, ``v5`` vwo, ``m2b`` mavo. A label naming two
    levels (``1A havo/vwo``) gets the combined level ``havo/vwo``. ``2B`` or ``3K`` alone name
    no level: a class letter is not a level.
    """
    text = group_label.casefold()
    text = re.sub(r"\bvmbo[\s_]*-?[\s_]*(bb|kb|gt|gl|tl|b|k|g|t)\b", r"vmbo-\1", text)
    tokens = [t for t in re.split(r"[^a-z0-9-]+", text) if t]
    found = {_LEVEL_WORDS[t] for t in tokens if t in _LEVEL_WORDS}
    if not found:
        for token in tokens:
            m = re.fullmatch(r"([hvm])[1-6][a-z]?", token)
            if m:
                found.add(_COMPACT[m.group(1)])
    if not found:
        return None
    order = list(LEVELS)
    return "/".join(sorted(found, key=order.index))


def level_label(key: str) -> str:
    return "/".join(LEVELS.get(part, part) for part in key.split("/"))


def _level_order(key: str) -> tuple[int, ...]:
    order = list(LEVELS)
    return (key.count("/"), *(order.index(p) for p in key.split("/") if p in order))


def effective_minimum(value: int | None) -> int:
    """The school's minimum of distinct observed teachers per figure, never below 3: a value
    below the floor (the database refuses one, an old backup might hold one) counts as 3."""
    return max(MINIMUM_FLOOR, value or MINIMUM_FLOOR)


# --- suppression (no database) ------------------------------------------------------------------

PopKey = tuple[Hashable, str, str]  # (view: None for the school, else a team id; dimension; key)
SCHOOL_TOTAL: PopKey = (None, TOTAL, "")


@dataclass(frozen=True)
class Group:
    """Lessons of one observed teacher with one subject and one level (None: not shown in that
    breakdown). The finest unit the dashboard's populations are made of."""

    teacher: Hashable
    subject: str | None
    level: str | None
    lessons: int = 1


@dataclass(frozen=True)
class Plan:
    """Which populations of one semester may be shown. A population is ``(view, dimension,
    key)``: the view is ``None`` (whole school) or a team id; the dimension ``total``,
    ``subject`` or ``level``."""

    minimum: int
    visible: frozenset[PopKey]
    teachers: Mapping[PopKey, frozenset[Hashable]]
    lessons: Mapping[PopKey, int]

    def shows(self, key: PopKey) -> bool:
        return key in self.visible

    def rows(self, view: Hashable, dimension: str) -> list[str]:
        return sorted(k for v, d, k in self.visible if v == view and d == dimension)


class _SearchTooLarge(Exception):
    pass


SEARCH_BUDGET = 4000  # nodes of the exact search before the conservative fallback takes over


def plan_suppression(
    groups: Sequence[Group], teams: Mapping[Any, Collection[Any]], minimum: int
) -> Plan:
    """Decide which populations may be shown; see ``docs/coulissen.md`` for the argument.

    A pure function of its inputs, so its answers are kept (:func:`_plan_cached`): a page, its
    JSON, its CSV and the next semester's trend ask the same question about the same data.
    """
    key_groups = tuple(sorted(groups, key=lambda g: (str(g.teacher), str(g.subject), str(g.level))))
    key_teams = tuple(
        sorted(((t, frozenset(m)) for t, m in teams.items()), key=lambda x: str(x[0]))
    )
    return _plan_cached(key_groups, key_teams, effective_minimum(minimum))


@lru_cache(maxsize=256)
def _plan_cached(
    groups: tuple[Group, ...], teams: tuple[tuple[Any, frozenset[Any]], ...], minimum: int
) -> Plan:
    return _plan(groups, dict(teams), minimum)


def _plan(groups: Sequence[Group], teams: Mapping[Any, Collection[Any]], minimum: int) -> Plan:
    """The plan, computed.

    1. Primary: a population with fewer than ``minimum`` distinct teachers is hidden, and a view
       whose total is hidden hides its rows too.
    2. Every linear combination of shown populations (sums and differences across all views and
       breakdowns of the semester) is constant on the *regions*: the groups of lessons that lie
       in exactly the same shown populations. So a set of lessons an attacker can single out is
       a union of regions. While some such union rests on fewer than ``minimum`` teachers, hide
       one of the populations of that combination (breakdown rows before totals, team rows
       before the school's, then the smallest; populations holding the very same lessons go
       together, as hiding one of them alone would change nothing), and look again.
    3. A hidden population that the shown ones already determine is shown after all: hiding it
       protects nothing, and this way no hidden cell can be worked out from the shown ones.

    Step 2 first tries the combinations that are common and cheap to find (a view's total
    minus its shown rows; one population minus another that lies inside it), then searches
    exactly: integer linear algebra over the regions, and a pruned enumeration of the 0/1
    vectors in the span that vanish on every region that is safe on its own. Should that
    enumeration exceed :data:`SEARCH_BUDGET`, a conservative step takes its place (merge the
    smallest unsafe region into a neighbour by hiding a population): never less safe, at most
    more hidden.
    """
    minimum = effective_minimum(minimum)
    team_sets = {team: frozenset(members) for team, members in teams.items()}
    views_of: dict[Hashable, list[Hashable]] = {}
    memberships: list[tuple[PopKey, ...]] = []
    pop_teachers: dict[PopKey, set[Hashable]] = defaultdict(set)
    pop_lessons: Counter[PopKey] = Counter()
    masks: Counter[PopKey] = Counter()  # population -> bit set of group indices
    teacher_masks: Counter[Hashable] = Counter()
    for i, g in enumerate(groups):
        if g.teacher not in views_of:
            mine = sorted((t for t, ms in team_sets.items() if g.teacher in ms), key=str)
            views_of[g.teacher] = [None, *mine]
        keys: list[PopKey] = []
        for view in views_of[g.teacher]:
            keys.append((view, TOTAL, ""))
        # Breakdowns are the school's only (docs/coulissen.md, "Why teams have no breakdown").
        if g.subject is not None:
            keys.append((None, SUBJECT, g.subject))
        if g.level is not None:
            keys.append((None, LEVEL, g.level))
        memberships.append(tuple(keys))
        for key in keys:
            pop_teachers[key].add(g.teacher)
            pop_lessons[key] += g.lessons
            masks[key] |= 1 << i
        teacher_masks[g.teacher] |= 1 << i
    teachers = {k: frozenset(v) for k, v in pop_teachers.items()}
    lessons = dict(pop_lessons)
    visible = {k for k, ts in teachers.items() if len(ts) >= minimum}
    _cascade(visible)
    if SCHOOL_TOTAL not in visible:
        return Plan(minimum=minimum, visible=frozenset(), teachers=teachers, lessons=lessons)
    tmasks = list(teacher_masks.values())

    def small(mask: int) -> bool:
        """Whether the lessons of ``mask`` exist and rest on fewer than ``minimum`` teachers."""
        if not mask:
            return False
        n = 0
        for tm in tmasks:
            if mask & tm:
                n += 1
                if n >= minimum:
                    return False
        return True

    def priority(key: PopKey) -> tuple[Any, ...]:
        view, dimension, name = key
        return (
            dimension == TOTAL,  # a breakdown row goes before a view's total
            view is None,  # a team's population before the school's
            len(teachers[key]),
            lessons[key],
            str(view),
            dimension,
            name,
        )

    def hide(candidates: Iterable[PopKey]) -> None:
        chosen = min(set(candidates) - {SCHOOL_TOTAL}, key=priority)
        same = [k for k in visible if masks[k] == masks[chosen] and k != SCHOOL_TOTAL]
        visible.difference_update([chosen, *same])
        _cascade(visible)

    def cheap_violation() -> list[PopKey] | None:
        """A view's total minus its shown rows, or a population minus one inside it."""
        shown = sorted(visible, key=lambda k: (str(k[0]), k[1], k[2]))
        for view, dimension, _name in shown:
            if dimension != TOTAL:
                continue
            for d in (SUBJECT, LEVEL):
                rows = [k for k in shown if k[0] == view and k[1] == d]
                covered = 0
                for k in rows:
                    covered |= masks[k]
                if rows and small(masks[(view, TOTAL, "")] & ~covered):
                    return rows
        by_size = sorted(shown, key=lambda k: masks[k].bit_count())
        for i, inner in enumerate(by_size):
            m = masks[inner]
            for outer in by_size[i + 1 :]:
                o = masks[outer]
                if m & ~o == 0 and small(o & ~m):
                    return [inner, outer]
        return None

    group_teachers = [g.teacher for g in groups]
    for _round in range(len(teachers) + 1):
        found = cheap_violation()
        if found:
            hide(found)
            continue
        system = _System(memberships, group_teachers, visible, minimum)
        if not system.unsafe:
            break
        culprits = system.isolating_populations()
        if culprits is None:
            break
        hide(culprits if culprits - {SCHOOL_TOTAL} else visible)

    # Show what the shown populations determine anyway: view totals first, then their rows.
    system = _System(memberships, group_teachers, visible, minimum)
    hidden = sorted(
        (k for k, ts in teachers.items() if k not in visible and len(ts) >= minimum),
        key=lambda k: (k[1] != TOTAL, str(k[0]), k[1], k[2]),
    )
    for key in hidden:
        if key[1] != TOTAL and (key[0], TOTAL, "") not in visible:
            continue
        if system.determines(key):
            visible.add(key)
    return Plan(minimum=minimum, visible=frozenset(visible), teachers=teachers, lessons=lessons)


def _cascade(visible: set[PopKey]) -> None:
    """A view whose total is hidden shows no rows either."""
    totals = {v for v, d, _k in visible if d == TOTAL}
    visible.difference_update([k for k in visible if k[0] not in totals])


class _System:
    """The shown populations of one semester as a 0/1 matrix over regions (rows: populations,
    columns: regions, safe regions first), reduced once over the integers."""

    def __init__(
        self,
        memberships: list[tuple[PopKey, ...]],
        group_teachers: list[Hashable],
        visible: set[PopKey],
        minimum: int,
    ) -> None:
        self.minimum = minimum
        self.memberships = memberships
        self.pops = sorted(visible, key=lambda k: (str(k[0]), k[1], k[2]))
        index = {k: i for i, k in enumerate(self.pops)}
        regions: dict[frozenset[int], set[Hashable]] = {}
        self.region_of: list[frozenset[int]] = []
        for keys, teacher in zip(memberships, group_teachers, strict=True):
            sig = frozenset(index[k] for k in keys if k in index)
            regions.setdefault(sig, set()).add(teacher)
            self.region_of.append(sig)
        safe = [s for s, ts in regions.items() if len(ts) >= minimum]
        unsafe = [s for s, ts in regions.items() if len(ts) < minimum]
        order = lambda s: sorted(s)  # noqa: E731 (deterministic column order)
        self.columns = sorted(safe, key=order) + sorted(unsafe, key=order)
        self.n_safe = len(safe)
        self.column_teachers = [frozenset(regions[s]) for s in self.columns]
        self.unsafe = unsafe
        self._reduced: list[tuple[int, dict[int, int]]] | None = None

    def _reduce(self) -> list[tuple[int, dict[int, int]]]:
        if self._reduced is None:
            n = len(self.columns)
            rows: list[dict[int, int]] = [{n + p: 1} for p in range(len(self.pops))]
            for j, sig in enumerate(self.columns):
                for p in sig:
                    rows[p][j] = 1
            self._reduced = _rref(rows, n)
        return self._reduced

    def isolating_populations(self) -> set[PopKey] | None:
        """The populations of one combination that singles out a union of regions with fewer
        than ``minimum`` teachers, or None if there is none."""
        try:
            return self._exact_search()
        except _SearchTooLarge:
            return self._conservative_step()

    def _exact_search(self) -> set[PopKey] | None:
        n = len(self.columns)
        # Rows of the reduced matrix whose pivot lies among the unsafe regions are zero on every
        # safe region: they span exactly the combinations that avoid all safe regions.
        basis = [(c, r) for c, r in self._reduce() if c >= self.n_safe]
        if not basis:
            return None
        scale = math.lcm(*(r[c] for c, r in basis))
        rows = [{j: x * (scale // r[c]) for j, x in r.items()} for c, r in basis]
        # Bounds: what the rows not yet decided can still add to each region, at most and at
        # least. After each decision only the regions the decided row touches change; a branch
        # dies as soon as a region can no longer end at 0 or 1 (times ``scale``), or the regions
        # that must end at 1 already hold ``minimum`` teachers.
        high: list[int] = [0] * n
        low: list[int] = [0] * n
        for row in rows:
            for j, x in row.items():
                if j < n:
                    if x > 0:
                        high[j] += x
                    else:
                        low[j] += x
        acc = [0] * n
        chosen: list[int] = []
        budget = [SEARCH_BUDGET]
        teachers = self.column_teachers
        touched = [[(j, x) for j, x in row.items() if j < n] for row in rows]

        def search(i: int, picked: frozenset[Hashable], any_: bool) -> bool:
            budget[0] -= 1
            if budget[0] < 0:
                raise _SearchTooLarge
            if i == len(rows):
                return any_
            cells = touched[i]
            for j, x in cells:  # row i is no longer to come
                if x > 0:
                    high[j] -= x
                else:
                    low[j] -= x
            found = False
            for take in (False, True):
                if take:
                    for j, x in cells:
                        acc[j] += x
                    chosen.append(i)
                more, ok = picked, True
                for j, _x in cells:
                    lo, hi = acc[j] + low[j], acc[j] + high[j]
                    can_be_0, can_be_1 = lo <= 0 <= hi, lo <= scale <= hi
                    if not (can_be_0 or can_be_1):
                        ok = False
                        break
                    if not can_be_0:
                        more = more | teachers[j]
                if ok and len(more) < self.minimum and search(i + 1, more, any_ or take):
                    found = True
                    break
                if take:
                    chosen.pop()
                    for j, x in cells:
                        acc[j] -= x
            if not found:
                for j, x in cells:
                    if x > 0:
                        high[j] += x
                    else:
                        low[j] += x
            return found

        if not search(0, frozenset(), False):
            return None
        combination: Counter[int] = Counter()
        for i in chosen:
            for j, x in rows[i].items():
                if j >= n:
                    combination[j - n] += x
        return {self.pops[p] for p, y in combination.items() if y}

    def _conservative_step(self) -> set[PopKey]:
        """Merge the smallest unsafe region into a neighbouring region: the populations whose
        removal would do that (a single differing membership)."""
        sigs = set(self.columns)
        smallest = min(
            self.unsafe, key=lambda s: (len(self.column_teachers[self.columns.index(s)]), sorted(s))
        )
        neighbours = {p for p in range(len(self.pops)) if (smallest ^ {p}) in sigs}
        chosen = neighbours or set(smallest) or set(range(len(self.pops)))
        return {self.pops[p] for p in chosen}

    def determines(self, key: PopKey) -> bool:
        """Whether the shown populations already fix the figures of ``key`` (its lessons are a
        union of regions whose indicator lies in the span)."""
        inside: dict[frozenset[int], bool] = {}
        for sig, keys in zip(self.region_of, self.memberships, strict=True):
            member = key in keys
            if inside.setdefault(sig, member) != member:
                return False  # the population cuts through a region
        n = len(self.columns)
        vector = {j: 1 for j, sig in enumerate(self.columns) if inside.get(sig)}
        for c, row in self._reduce():
            b = vector.get(c, 0)
            if b:
                vector = _combine(vector, row[c], row, b, n)
        return not vector


def _combine(u: dict[int, int], a: int, v: dict[int, int], b: int, limit: int) -> dict[int, int]:
    """``a*u - b*v`` on the columns below ``limit`` (sparse; zeros dropped)."""
    out = {j: a * x for j, x in u.items() if j < limit}
    for j, x in v.items():
        if j < limit:
            y = out.get(j, 0) - b * x
            if y:
                out[j] = y
            else:
                out.pop(j, None)
    return out


def _rref(rows: list[dict[int, int]], pivot_columns: int) -> list[tuple[int, dict[int, int]]]:
    """Reduced row echelon form over the integers (exact: no rounding, no modulus), on sparse
    rows (column -> value). Pivots are searched in columns below ``pivot_columns``; the columns
    above ride along (the combination of populations that made each row). Returns (pivot
    column, row) for the nonzero rows, in pivot order."""
    rows = [dict(r) for r in rows]
    done: list[tuple[int, int]] = []  # (pivot column, row index)
    pending = list(range(len(rows)))
    for c in range(pivot_columns):
        p = next((i for i in pending if rows[i].get(c)), None)
        if p is None:
            continue
        pending.remove(p)
        pivot = rows[p]
        if pivot[c] < 0:
            pivot = rows[p] = {j: -x for j, x in pivot.items()}
        a = pivot[c]
        for i in range(len(rows)):
            b = rows[i].get(c)
            if i != p and b:
                g = math.gcd(a, b)
                row = _combine(rows[i], a // g, pivot, b // g, 1 << 62)
                k = math.gcd(*row.values()) if row else 1
                rows[i] = {j: x // k for j, x in row.items()} if k > 1 else row
        done.append((c, p))
    return [(c, rows[p]) for c, p in done]


# --- reading the database -----------------------------------------------------------------------


@dataclass
class _Lesson:
    id: Any
    teacher: Any
    subject: str | None  # grouping key (case and spaces folded); None: no subject
    subject_label: str
    level: str | None
    hours: float
    moments: int = 0
    success: bool = False
    families: Counter[str] = field(default_factory=Counter)


@dataclass
class _Detail:
    """Per-code figures of one set of lessons, counted by the database as a whole."""

    code_moments: Counter[str] = field(default_factory=Counter)
    code_lessons: Counter[str] = field(default_factory=Counter)
    phases: Counter[tuple[str, str]] = field(default_factory=Counter)  # (family, phase)
    zones: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _CodeInfo:
    key: str
    family: str
    kind: str
    face: str
    label: str
    colour: str
    retired: bool
    position: int


def _code_index(session: Session, school_id: uuid.UUID) -> tuple[dict[str, _CodeInfo], int | None]:
    """Every key the school's book ever had, as worded in the newest version that has it."""
    rows = session.exec(
        select(Code, CodebookVersion.number)
        .join(CodebookVersion, col(Code.version_id) == CodebookVersion.id)
        .where(CodebookVersion.school_id == school_id)
        .order_by(col(CodebookVersion.number), col(Code.position))
    ).all()
    index: dict[str, _CodeInfo] = {}
    latest: int | None = None
    for code, number in rows:
        latest = number
        kind = code.kind.value if isinstance(code.kind, CodeKind) else str(code.kind)
        index[code.key] = _CodeInfo(
            code.key, code.family, kind, code.face, code.label, code.colour, code.retired, 0
        )
    # Order as the newest version lists its codes; keys it no longer has go last.
    newest = {c.key: c.position for c, n in rows if n == latest}
    for i, key in enumerate(index):
        info = index[key]
        pos = newest.get(key, 10_000 + i)
        index[key] = _CodeInfo(**{**info.__dict__, "position": pos})
    return index, latest


def _window(semester: Semester) -> tuple[datetime, datetime]:
    """The semester's first and (exclusive) last instant: its dates are the school's days."""
    tz = get_settings().tz
    return (
        datetime.combine(semester.starts_on, time(), tz),
        datetime.combine(semester.ends_on + timedelta(days=1), time(), tz),
    )


def _counted(school_id: uuid.UUID, semester: Semester) -> list[Any]:
    lo, hi = _window(semester)
    return [
        Observation.school_id == school_id,
        col(Observation.started_at) >= lo,
        col(Observation.started_at) < hi,
        col(Observation.deleted_at).is_(None),
        sa.not_(col(Observation.excluded_from_team)),
        col(Observation.status) != ObservationStatus.in_progress,
        col(Observation.ended_at).is_not(None),
    ]


def _subject_key(subject: str) -> str | None:
    return " ".join(subject.split()).casefold() or None


def _read_lessons(session: Session, school_id: uuid.UUID, semester: Semester) -> list[_Lesson]:
    rows = session.execute(
        sa.select(
            col(Observation.id),
            col(Observation.observed_teacher_id),
            col(Observation.subject),
            col(Observation.group_label),
            col(Observation.started_at),
            col(Observation.ended_at),
        ).where(*_counted(school_id, semester))
    ).all()
    lessons = []
    for obs_id, teacher, subject, group_label, started_at, ended_at in rows:
        assert ended_at is not None  # filtered in SQL
        lessons.append(
            _Lesson(
                id=obs_id,
                teacher=teacher,
                subject=_subject_key(subject),
                subject_label=" ".join(subject.split()),
                level=parse_level(group_label),
                hours=max(0.0, (ended_at - started_at).total_seconds() / 3600),
            )
        )
    return lessons


RS, US = "\x1e", "\x1f"  # record and unit separators: a code key or zone cannot hold them


def _read_moments(
    session: Session,
    school_id: uuid.UUID,
    semester: Semester,
    lessons: Sequence[_Lesson],
    teachers: Collection[Any] | None,
    codes: Mapping[str, _CodeInfo],
) -> _Detail:
    """Count the moments of ``lessons`` (the view's: ``teachers`` narrows the scan to a team).

    One scan of the moments, grouped by lesson in the database: per lesson, the codes of its
    moments as one string, and (code, zone, phase) of each as another. Python splits and counts
    those strings with ``Counter`` (C speed), so the work in Python is per lesson and per
    distinct code, never per moment; three separate GROUP BYs cost three scans.
    """
    by_id = {lesson.id: lesson for lesson in lessons}
    detail = _Detail()
    if not by_id:
        return detail
    where = [*_counted(school_id, semester), col(Moment.deleted_at).is_(None)]
    if teachers is not None:
        where.append(col(Observation.observed_teacher_id).in_(list(teachers)))
    zone = func.coalesce(sa.type_coerce(col(Moment.zone), sa.String), "")
    # A phase is free text; take the record separator out so it cannot split a record.
    phase = func.coalesce(func.replace(col(Moment.phase), RS, " "), "")
    rows = session.execute(
        sa.select(
            col(Moment.observation_id),
            func.aggregate_strings(col(Moment.code), RS),
            func.aggregate_strings(col(Moment.code) + US + zone + US + phase, RS),
        )
        .join(Observation, col(Moment.observation_id) == Observation.id)
        .where(*where)
        .group_by(col(Moment.observation_id))
    ).all()
    details: Counter[str] = Counter()
    for obs_id, code_list, detail_list in rows:
        lesson = by_id.get(obs_id)
        if lesson is None:
            continue
        counts = Counter(code_list.split(RS))
        for code, n in counts.items():
            info = codes.get(code)
            if info is None:  # a key no version of the book has: not counted
                continue
            lesson.moments += n
            lesson.families[info.family] += n
            detail.code_moments[code] += n
            detail.code_lessons[code] += 1
        lesson.success = SUCCESS_CODE in counts and SUCCESS_CODE in codes
        details.update(detail_list.split(RS))
    for record, n in details.items():
        code, zone_value, phase_value = record.split(US, 2)
        info = codes.get(code)
        if info is None:
            continue
        if zone_value:
            detail.zones[zone_value] += n
        if phase_value:
            detail.phases[(info.family, phase_value)] += n
    return detail


def _team_members(
    session: Session, school_id: uuid.UUID, semester: Semester
) -> dict[uuid.UUID, frozenset[Any]]:
    """Each team's members on the semester's first day: a later change of a team never moves
    lessons into or out of a semester's figures (``schools.team_members_on``)."""
    return schools.team_members_on(session, school_id, semester.starts_on)


def _groups(lessons: Iterable[_Lesson]) -> list[Group]:
    counts = Counter((lesson.teacher, lesson.subject, lesson.level) for lesson in lessons)
    return [Group(t, s, lv, n) for (t, s, lv), n in counts.items()]


# --- adding up ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    lessons: int = 0
    teachers: set[Any] = field(default_factory=set)
    hours: float = 0.0
    moments: int = 0
    success_lessons: int = 0
    code_moments: Counter[str] = field(default_factory=Counter)
    code_lessons: Counter[str] = field(default_factory=Counter)
    family_moments: Counter[str] = field(default_factory=Counter)
    family_lessons: Counter[str] = field(default_factory=Counter)
    phases: Counter[tuple[str, str]] = field(default_factory=Counter)
    zones: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, lessons: Iterable[_Lesson], detail: _Detail | None = None) -> "_Tally":
        t = cls()
        for lesson in lessons:
            t.lessons += 1
            t.teachers.add(lesson.teacher)
            t.hours += lesson.hours
            t.moments += lesson.moments
            t.success_lessons += lesson.success
            t.family_moments.update(lesson.families)
            t.family_lessons.update(lesson.families.keys())
        if detail is not None:
            t.code_moments = detail.code_moments
            t.code_lessons = detail.code_lessons
            t.phases = detail.phases
            t.zones = detail.zones
        return t

    def per_hour(self, n: float) -> float | None:
        return round(n / self.hours, RATE_DIGITS) if self.hours > 0 else None

    def share(self, n: float, of: float) -> float | None:
        return round(n / of, SHARE_DIGITS) if of > 0 else None

    def of_lessons(self, n: float) -> float | None:
        return self.share(n, self.lessons)

    def reflexes(self, face: str, kind: str, codes: Mapping[str, _CodeInfo]) -> int:
        return sum(
            n
            for key, n in self.code_moments.items()
            if codes[key].face == face and codes[key].kind == kind
        )


class _Cells:
    """Makes the cells of one population: shown with its sizes, or hidden with nothing."""

    def __init__(self, shown: bool, tally: _Tally, previous: _Tally | None = None):
        self.shown = shown
        self.tally = tally
        self.previous = previous
        self.note = _(SUPPRESSED)

    def cell(self, value: float | None) -> Cell:
        if not self.shown:
            return Cell(
                value=None, n_teachers=None, n_lessons=None, suppressed=True, note=self.note
            )
        return Cell(
            value=value,
            n_teachers=len(self.tally.teachers),
            n_lessons=self.tally.lessons,
            suppressed=False,
        )

    def trend(self, figure: Any) -> Cell:
        """A trend cell: ``figure(tally)`` now and in the previous semester's same view."""
        cell = self.cell(figure(self.tally))
        if cell.suppressed or self.previous is None:
            return cell
        before = figure(self.previous)
        cell.previous = before
        if cell.value is not None and before is not None:
            cell.direction = (
                "hoger" if cell.value > before else "lager" if cell.value < before else "gelijk"
            )
        return cell


# --- the dashboard ------------------------------------------------------------------------------


def _semester_ref(s: Semester) -> SemesterRef:
    return SemesterRef(id=s.id, name=s.name, starts_on=s.starts_on, ends_on=s.ends_on)


def _pick_semester(
    semesters: list[Semester], semester_id: uuid.UUID | None, today: date
) -> Semester:
    if semester_id is not None:
        for s in semesters:
            if s.id == semester_id:
                return s
        raise NotFound(_("Dit semester bestaat niet."))
    if not semesters:
        raise NotFound(_("Deze school heeft nog geen semesters."))
    for s in semesters:
        if s.starts_on <= today <= s.ends_on:
            return s
    started = [s for s in semesters if s.starts_on <= today]
    if started:
        return max(started, key=lambda s: s.starts_on)
    return min(semesters, key=lambda s: s.starts_on)


def _previous(semesters: list[Semester], current: Semester) -> Semester | None:
    before = [s for s in semesters if s.ends_on < current.starts_on]
    return max(before, key=lambda s: s.ends_on) if before else None


def build(
    session: Session,
    *,
    school_id: uuid.UUID,
    semester_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard of one semester for the whole school (``team_id=None``) or one team."""
    now = now or utcnow()
    school = session.get(School, school_id)
    if school is None:
        raise NotFound(_("Deze school bestaat niet."))
    semesters = list(session.exec(select(Semester).where(Semester.school_id == school_id)))
    semester = _pick_semester(semesters, semester_id, now.astimezone(get_settings().tz).date())
    previous = _previous(semesters, semester)
    teams = _team_members(session, school_id, semester)
    team: Team | None = None
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.school_id != school_id:
            raise NotFound(_("Dit team bestaat niet."))
    minimum = effective_minimum(school.aggregate_minimum)
    codes, version = _code_index(session, school_id)
    view: Hashable = team_id
    members = teams.get(team_id) if team_id is not None else None

    def in_view(lesson: _Lesson) -> bool:
        return members is None or lesson.teacher in members

    lessons = _read_lessons(session, school_id, semester)
    plan = plan_suppression(_groups(lessons), teams, minimum)
    mine = [lesson for lesson in lessons if in_view(lesson)]
    shown = plan.shows((view, TOTAL, ""))
    detail = _read_moments(session, school_id, semester, mine, members, codes) if shown else None

    before: _Tally | None = None
    if previous is not None and shown:
        old = _read_lessons(session, school_id, previous)
        # The previous semester's own plan and its own teams: a figure it hides stays hidden
        # in the trend, and the trend shows exactly what that semester's own view showed.
        old_teams = _team_members(session, school_id, previous)
        old_members = old_teams.get(team_id) if team_id is not None else None
        if plan_suppression(_groups(old), old_teams, minimum).shows((view, TOTAL, "")):
            old_mine = [
                lesson for lesson in old if old_members is None or lesson.teacher in old_members
            ]
            old_detail = _read_moments(session, school_id, previous, old_mine, old_members, codes)
            before = _Tally.of(old_mine, old_detail)

    tally = _Tally.of(mine, detail)
    cells = _Cells(shown, tally, before)
    phases = _phase_columns(school.phases, tally)
    return Dashboard(
        scope=Scope(
            school=school.name,
            team_id=team.id if team else None,
            team=team.name if team else None,
            semester=_semester_ref(semester),
            previous_semester=_semester_ref(previous) if previous else None,
            minimum=minimum,
            codebook_version=version,
            generated_at=now,
        ),
        visible=shown,
        suppressed_text=_(SUPPRESSED),
        overview=Overview(
            lessons=cells.cell(tally.lessons),
            hours=cells.cell(round(tally.hours, HOURS_DIGITS)),
            moments=cells.cell(tally.moments),
            moments_per_hour=cells.trend(lambda t: t.per_hour(t.moments)),
        ),
        families=_families(cells, codes),
        faces=_faces(cells, codes),
        success=_success(cells, codes),
        zones=_zones(cells),
        phases=Phases(phases=phases, rows=_phase_rows(cells, phases)),
        subjects=_breakdown(plan, SUBJECT, mine, shown) if team is None else None,
        levels=_breakdown(plan, LEVEL, mine, shown) if team is None else None,
    )


def counted_lessons(
    session: Session,
    *,
    school_id: uuid.UUID,
    semester_id: uuid.UUID,
    team_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """The ids of the lessons a view's figures are computed over (its population): finished,
    not deleted, not kept out of team data, in the semester, of the team's members. Whether
    anything about them may be shown is the dashboard's ``visible``; this does not decide it."""
    semester = session.get(Semester, semester_id)
    if semester is None or semester.school_id != school_id:
        raise NotFound(_("Dit semester bestaat niet."))
    where = _counted(school_id, semester)
    if team_id is not None:
        members = schools.team_members_on(session, school_id, semester.starts_on)
        where.append(col(Observation.observed_teacher_id).in_(members.get(team_id, frozenset())))
    return list(session.exec(select(Observation.id).where(*where)))


def _families(cells: _Cells, codes: Mapping[str, _CodeInfo]) -> list[FamilyFigures]:
    t = cells.tally
    result = []
    for fam in codebook.families().values():
        listed = sorted(
            (
                c
                for c in codes.values()
                if c.family == fam.key and (not c.retired or t.code_moments[c.key])
            ),
            key=lambda c: c.position,
        )
        result.append(
            FamilyFigures(
                key=fam.key,
                label=fam.label,
                face=fam.face,
                colour=fam.colour,
                moments=cells.cell(t.family_moments[fam.key]),
                per_hour=cells.trend(lambda t, f=fam.key: t.per_hour(t.family_moments[f])),
                share_of_lessons=cells.trend(
                    lambda t, f=fam.key: t.of_lessons(t.family_lessons[f])
                ),
                codes=[
                    CodeFigures(
                        key=c.key,
                        label=c.label,
                        kind=c.kind,
                        colour=c.colour,
                        retired=c.retired,
                        moments=cells.cell(t.code_moments[c.key]),
                        per_hour=cells.trend(lambda t, k=c.key: t.per_hour(t.code_moments[k])),
                        share_of_lessons=cells.trend(
                            lambda t, k=c.key: t.of_lessons(t.code_lessons[k])
                        ),
                    )
                    for c in listed
                ],
            )
        )
    return result


def _faces(cells: _Cells, codes: Mapping[str, _CodeInfo]) -> list[FaceBalance]:
    faces = list(dict.fromkeys(f.face for f in codebook.families().values()))
    p_kind, u_kind = CodeKind.productieve_reflex.value, CodeKind.improductieve_reflex.value
    result = []
    for face in faces:

        def p(t: _Tally, face: str = face) -> int:
            return t.reflexes(face, p_kind, codes)

        def u(t: _Tally, face: str = face) -> int:
            return t.reflexes(face, u_kind, codes)

        result.append(
            FaceBalance(
                face=face,
                label=_(FACE_LABELS.get(face, face)),
                productive=cells.cell(p(cells.tally)),
                unproductive=cells.cell(u(cells.tally)),
                productive_per_hour=cells.trend(lambda t, p=p: t.per_hour(p(t))),
                unproductive_per_hour=cells.trend(lambda t, u=u: t.per_hour(u(t))),
                productive_share=cells.trend(lambda t, p=p, u=u: t.share(p(t), p(t) + u(t))),
            )
        )
    return result


def _success(cells: _Cells, codes: Mapping[str, _CodeInfo]) -> SuccessCoverage:
    info = codes.get(SUCCESS_CODE)
    return SuccessCoverage(
        code=SUCCESS_CODE,
        label=info.label if info else SUCCESS_CODE,
        principle=_(PRINCIPLE),
        lessons_with=cells.cell(cells.tally.success_lessons),
        share=cells.trend(lambda t: t.of_lessons(t.success_lessons)),
    )


def _zones(cells: _Cells) -> Zones:
    t = cells.tally
    return Zones(
        with_zone=cells.cell(t.zones.total()),
        share_with_zone=cells.trend(lambda t: t.share(t.zones.total(), t.moments)),
        zones=[
            ZoneFigures(
                zone=zone,
                label=_(label),
                moments=cells.cell(t.zones[zone]),
                share=cells.trend(lambda t, z=zone: t.share(t.zones[z], t.zones.total())),
            )
            for zone, label in ZONE_LABELS.items()
        ],
    )


def _phase_columns(school_phases: Sequence[str], tally: _Tally) -> list[str]:
    """The school's phases in its order, then any other phase an observation used."""
    seen = {phase for _fam, phase in tally.phases}
    return list(school_phases) + sorted(seen - set(school_phases))


def _phase_rows(cells: _Cells, phases: Sequence[str]) -> list[PhaseRow]:
    t = cells.tally
    rows = []
    families: list[tuple[str | None, str]] = [
        (f.key, f.label) for f in codebook.families().values()
    ]
    families.append((None, _("Alle families")))
    for key, label in families:
        counts: Counter[str] = Counter()
        for (fam, ph), n in t.phases.items():
            if key is None or fam == key:
                counts[ph] += n
        total = counts.total()
        rows.append(
            PhaseRow(
                family=key,
                label=label,
                moments=cells.cell(total),
                phases=[
                    PhaseCell(phase=ph, cell=cells.cell(t.share(counts[ph], total)))
                    for ph in phases
                ],
            )
        )
    return rows


def _breakdown(plan: Plan, dimension: str, lessons: Sequence[_Lesson], shown: bool) -> Breakdown:
    def key_of(lesson: _Lesson) -> str | None:
        return lesson.subject if dimension == SUBJECT else lesson.level

    present = {k for k in map(key_of, lessons) if k is not None}
    names = plan.rows(None, dimension) if shown else []
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for lesson in lessons:
        if dimension == SUBJECT and lesson.subject is not None:
            labels[lesson.subject][lesson.subject_label] += 1

    def label(key: str) -> str:
        if dimension == LEVEL:
            return level_label(key)
        return labels[key].most_common(1)[0][0]

    def row(key: str | None, label: str, part: list[_Lesson]) -> BreakdownRow:
        t = _Tally.of(part)
        cells = _Cells(True, t)
        return BreakdownRow(
            key=key,
            label=label,
            lessons=cells.cell(t.lessons),
            hours=cells.cell(round(t.hours, HOURS_DIGITS)),
            moments_per_hour=cells.cell(t.per_hour(t.moments)),
            success_share=cells.cell(t.of_lessons(t.success_lessons)),
            family_per_hour=[
                FamilyCell(family=f, cell=cells.cell(t.per_hour(t.family_moments[f])))
                for f in codebook.families()
            ],
        )

    order = _level_order if dimension == LEVEL else (lambda k: (0, k))
    rows = [
        row(k, label(k), [lesson for lesson in lessons if key_of(lesson) == k])
        for k in sorted(names, key=order)
    ]
    rest_lessons = [lesson for lesson in lessons if key_of(lesson) not in names]
    rest = None
    if rows and rest_lessons:
        # Worked out as the view's total minus the shown rows, so it is one of the groups the
        # plan already checked; asserting it keeps a future change honest.
        assert len({lesson.teacher for lesson in rest_lessons}) >= plan.minimum
        rest_label = _("Overige vakken") if dimension == SUBJECT else _("Overig of onbekend niveau")
        rest = row(None, rest_label, rest_lessons)
    return Breakdown(
        dimension="subject" if dimension == SUBJECT else "level",
        rows=rows,
        rest=rest,
        merged=bool(present - set(names)),
    )


# --- CSV ----------------------------------------------------------------------------------------

CSV_HEADER_SOURCE = (
    "onderdeel",
    "rij",
    "kolom",
    "waarde",
    "docenten",
    "verborgen",
    "lessen",
    "vorig semester",
    "richting",
)


def csv_header() -> list[str]:
    return [_(h) for h in CSV_HEADER_SOURCE]


def to_csv_rows(dashboard: Dashboard) -> list[list[str | int | float | None]]:
    """The CSV export: a header, then one row per cell (section, row, column, value, teachers,
    ``verborgen`` when hidden, lessons, previous value, direction). Hidden cells carry no
    numbers; no row names a person."""
    out: list[list[str | int | float | None]] = [list(csv_header())]
    hidden = _("verborgen")

    def put(section: str, row: str, column: str, cell: Cell) -> None:
        out.append(
            [
                section,
                row,
                column,
                cell.value,
                cell.n_teachers,
                hidden if cell.suppressed else "",
                cell.n_lessons,
                cell.previous,
                cell.direction,
            ]
        )

    d = dashboard
    s = _("overzicht")
    put(s, _("alle lessen"), _("lessen"), d.overview.lessons)
    put(s, _("alle lessen"), _("lesuren"), d.overview.hours)
    put(s, _("alle lessen"), _("momenten"), d.overview.moments)
    put(s, _("alle lessen"), _("momenten per lesuur"), d.overview.moments_per_hour)
    for fam in d.families:
        put(_("familie"), fam.label, _("momenten"), fam.moments)
        put(_("familie"), fam.label, _("per lesuur"), fam.per_hour)
        put(_("familie"), fam.label, _("aandeel lessen"), fam.share_of_lessons)
        for c in fam.codes:
            put(_("code"), c.label, _("momenten"), c.moments)
            put(_("code"), c.label, _("per lesuur"), c.per_hour)
            put(_("code"), c.label, _("aandeel lessen"), c.share_of_lessons)
    for face in d.faces:
        put(_("gezicht"), face.label, _("productief"), face.productive)
        put(_("gezicht"), face.label, _("improductief"), face.unproductive)
        put(_("gezicht"), face.label, _("productief per lesuur"), face.productive_per_hour)
        put(_("gezicht"), face.label, _("improductief per lesuur"), face.unproductive_per_hour)
        put(_("gezicht"), face.label, _("aandeel productief"), face.productive_share)
    put(_("succeservaring"), d.success.label, _("lessen met"), d.success.lessons_with)
    put(_("succeservaring"), d.success.label, _("aandeel lessen"), d.success.share)
    put(_("zone"), _("alle zones"), _("momenten"), d.zones.with_zone)
    put(_("zone"), _("alle zones"), _("aandeel momenten"), d.zones.share_with_zone)
    for z in d.zones.zones:
        put(_("zone"), z.label, _("momenten"), z.moments)
        put(_("zone"), z.label, _("aandeel"), z.share)
    for prow in d.phases.rows:
        put(_("lesfase"), prow.label, _("momenten met fase"), prow.moments)
        for pc in prow.phases:
            put(_("lesfase"), prow.label, pc.phase, pc.cell)
    for breakdown, section in ((d.subjects, _("vak")), (d.levels, _("niveau"))):
        if breakdown is None:
            continue
        for brow in [*breakdown.rows, *([breakdown.rest] if breakdown.rest else [])]:
            put(section, brow.label, _("lessen"), brow.lessons)
            put(section, brow.label, _("lesuren"), brow.hours)
            put(section, brow.label, _("momenten per lesuur"), brow.moments_per_hour)
            put(section, brow.label, _("aandeel lessen met succeservaring"), brow.success_share)
            for fc in brow.family_per_hour:
                put(section, brow.label, fc.family, fc.cell)
    return out


# --- the example notes -------------------------------------------------------------------------


@dataclass
class ExampleNote:
    text: str
    code: str
    family: str
    colour: str


def example_notes(
    session: Session, dashboard: Dashboard, school_id: uuid.UUID, limit: int
) -> list[ExampleNote]:
    """Notes their observer marked shareable, from the lessons the figures count, only when the
    figures themselves are shown: one a lesson, teachers and families taking turns, none that
    looks like a pupil's name."""
    if not dashboard.visible:
        return []
    lessons = counted_lessons(
        session,
        school_id=school_id,
        semester_id=dashboard.scope.semester.id,
        team_id=dashboard.scope.team_id,
    )
    if not lessons:
        return []
    rows = session.exec(
        select(Moment.observation_id, Moment.code, Moment.note, Observation.observed_teacher_id)
        .join(Observation, col(Observation.id) == Moment.observation_id)
        .where(
            col(Moment.observation_id).in_(lessons),
            col(Moment.deleted_at).is_(None),
            col(Moment.note_shareable),
            Moment.note != "",
        )
        .order_by(col(Moment.created_at).desc(), col(Moment.id))
    ).all()
    codes = codebook.code_index(session, school_id)
    families = codebook.families()
    # Round robin over teachers, one note a lesson, families taking turns within a teacher.
    by_teacher: dict[Any, list[tuple[Any, str, str]]] = defaultdict(list)
    for obs_id, key, note, teacher in rows:
        if key in codes and not names.looks_like_a_name(note):
            by_teacher[teacher].append((obs_id, key, note.strip()))
    picked: list[ExampleNote] = []
    used_lessons: set[Any] = set()
    used_families: set[str] = set()
    queues = [by_teacher[t] for t in sorted(by_teacher, key=str)]
    while len(picked) < limit and any(queues):
        for queue in queues:
            if len(picked) >= limit or not queue:
                continue
            fresh = [
                i for i, (o, k, _n) in enumerate(queue) if codes[k].family not in used_families
            ]
            i = fresh[0] if fresh else 0
            obs_id, key, note = queue.pop(i)
            if obs_id in used_lessons:
                continue
            used_lessons.add(obs_id)
            code = codes[key]
            used_families.add(code.family)
            if len(used_families) == len(families):
                used_families.clear()
            family = families.get(code.family)
            picked.append(
                ExampleNote(
                    text=note,
                    code=code.label,
                    family=family.label if family else code.family,
                    colour=code.colour,
                )
            )
    return picked
