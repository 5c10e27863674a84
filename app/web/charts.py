"""Charts for the coulissen-ruimte, drawn on the server as inline SVG.

A team reads them at a glance on a screen, a projector and on paper, in colour or in grey. So:
every value is also written as a number beside its mark; colour is never the only cue (hidden
figures are a hatched grey with their reason in words, zones have their own patterns as well as
their colour); lines and outlines are dark enough to survive a black-and-white printer. Each
chart carries a short text alternative (``role="img"`` with ``aria-label``); the page puts the
full figures in a table next to it.

No JavaScript and no chart library: the figures are few, and a chart must look the same printed
as on screen.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

from app.i18n import _

INK = "#1d2530"
MUTED = "#4d5866"
GRID = "#c9c3b6"
HIDDEN_TEXT = "te weinig observaties"  # source text, translated where drawn

# Patterns that tell zones apart without colour (and a hatch for hidden figures).
PATTERNS = Markup(
    "<defs>"
    '<pattern id="p-hidden" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#eeeeee"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#9a9a9a" stroke-width="3"/></pattern>'
    '<pattern id="p-oranje" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e8a24a"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a4300" stroke-width="2"/></pattern>'
    '<pattern id="p-rood" width="7" height="7" patternUnits="userSpaceOnUse">'
    '<rect width="7" height="7" fill="#c0392b"/>'
    '<path d="M0 0L7 7M7 0L0 7" stroke="#5c0f0f" stroke-width="1.5"/></pattern>'
    "</defs>"
)
ZONE_FILLS = {"groen": "#3f9b5a", "oranje": "url(#p-oranje)", "rood": "url(#p-rood)"}


def number(value: float, digits: int = 1) -> str:
    """Dutch: a decimal comma and a point between thousands; ``digits=0`` for counts."""
    if digits == 0:
        return f"{round(value):,}".replace(",", ".")
    whole, _sep, fraction = f"{value:,.{digits}f}".partition(".")
    return f"{whole.replace(',', '.')},{fraction}"


def percent(value: float) -> str:
    return f"{round(value * 100)}%"


@dataclass
class Bar:
    label: str
    value: float | None  # None: hidden
    colour: str = "#2a4a7f"
    previous: float | None = None
    text: str | None = None  # the value as written beside the bar


def _svg(width: int, height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">{PATTERNS}{body}</svg>'
    )


def bars(
    rows: Sequence[Bar],
    *,
    label: str,
    maximum: float | None = None,
    previous_label: str = "vorig semester",
    width: int = 720,
    label_w: int = 230,
) -> Markup:
    """Horizontal bars, one per row, with the value written after the bar and, where the row has
    one, a dark tick at the previous semester's value."""
    value_w, row_h, top = 130, 34, 8
    track = width - label_w - value_w
    known = [v for r in rows for v in (r.value, r.previous) if v is not None]
    top_value = maximum or max(known, default=0) or 1
    parts: list[str] = []
    y = top
    for r in rows:
        mid = y + row_h / 2
        parts.append(
            f'<text x="{label_w - 10}" y="{mid + 5}" text-anchor="end" font-size="15" '
            f'fill="{INK}">{escape(r.label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{track}" height="{row_h - 10}" '
            f'fill="none" stroke="{GRID}"/>'
        )
        if r.value is None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{track}" height="{row_h - 10}" '
                f'fill="url(#p-hidden)" stroke="{MUTED}"/>'
                f'<text x="{label_w + track + 8}" y="{mid + 5}" font-size="14" '
                f'fill="{MUTED}">{escape(_(HIDDEN_TEXT))}</text>'
            )
        else:
            w = max(track * r.value / top_value, 1.5 if r.value else 0)
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" '
                f'fill="{escape(r.colour)}" stroke="{INK}" stroke-width="1"/>'
                f'<text x="{label_w + track + 8}" y="{mid + 5}" font-size="15" font-weight="600" '
                f'fill="{INK}">{escape(r.text or number(r.value))}</text>'
            )
        if r.previous is not None:
            x = label_w + track * r.previous / top_value
            # White under dark: the tick stays visible on a dark bar and in grey print.
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row_h - 1}" '
                f'stroke="#ffffff" stroke-width="7"/>'
                f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row_h - 1}" '
                f'stroke="{INK}" stroke-width="3"><title>{escape(previous_label)}: '
                f"{escape(number(r.previous))}</title></line>"
            )
        y += row_h
    if any(r.previous is not None for r in rows):
        parts.append(
            f'<line x1="{label_w}" y1="{y + 12}" x2="{label_w}" y2="{y + 26}" stroke="{INK}" '
            f'stroke-width="3"/><text x="{label_w + 8}" y="{y + 24}" font-size="13" '
            f'fill="{MUTED}">= {escape(previous_label)}</text>'
        )
        y += 30
    return _svg(width, int(y + top), label, "".join(parts))


@dataclass
class Segment:
    label: str
    share: float  # 0..1
    fill: str


def stacked(
    rows: Sequence[tuple[str, Sequence[Segment] | None]],
    *,
    label: str,
    width: int = 720,
    label_w: int = 230,
) -> Markup:
    """One 100% bar per row, its segments labelled with their share where the label fits (the
    title of each segment always holds it); a hidden row (None) is hatched with its reason."""
    row_h, top = 40, 8
    track = width - label_w - 10
    parts: list[str] = []
    y = top
    for name, segments in rows:
        mid = y + row_h / 2
        parts.append(
            f'<text x="{label_w - 10}" y="{mid + 5}" text-anchor="end" font-size="15" '
            f'fill="{INK}">{escape(name)}</text>'
        )
        if segments is None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{track}" height="{row_h - 8}" '
                f'fill="url(#p-hidden)" stroke="{MUTED}"/>'
                f'<text x="{label_w + track / 2}" y="{mid + 5}" text-anchor="middle" '
                f'font-size="14" fill="{INK}">{escape(_(HIDDEN_TEXT))}</text>'
            )
        else:
            x = float(label_w)
            for seg in segments:
                w = track * seg.share
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{escape(seg.fill)}" stroke="{INK}" stroke-width="1">'
                    f"<title>{escape(seg.label)}: {percent(seg.share)}</title></rect>"
                )
                text = f"{seg.label} {percent(seg.share)}"
                if w > len(text) * 9.6 + 10:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{mid + 5}" text-anchor="middle" '
                        f'font-size="14" font-weight="700" fill="#ffffff" stroke="{INK}" '
                        f'stroke-width="3" paint-order="stroke">{escape(text)}</text>'
                    )
                elif w > len(percent(seg.share)) * 9.6 + 8:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{mid + 5}" text-anchor="middle" '
                        f'font-size="14" font-weight="700" fill="#ffffff" stroke="{INK}" '
                        f'stroke-width="3" paint-order="stroke">{percent(seg.share)}</text>'
                    )
                x += w
        y += row_h
    return _svg(width, int(y + top), label, "".join(parts))


def slopes(
    rows: Sequence[tuple[str, str, float | None, float | None]],
    *,
    label: str,
    before: str,
    after: str,
    width: int = 720,
) -> Markup:
    """The trend: each row a line from last semester's value to this one's, both written out.
    Rows with a hidden side are left out of the drawing (the table says why)."""
    shown = [(n, c, a, b) for n, c, a, b in rows if a is not None and b is not None]
    left, right, top, height = 250, width - 250, 40, 220
    values = [v for _n, _c, a, b in shown for v in (a, b) if v is not None]
    low, high = min(values, default=0.0), max(values, default=1.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1

    def y_of(v: float) -> float:
        return top + height - (v - low) / (high - low) * height

    parts = [
        f'<text x="{left}" y="20" text-anchor="middle" font-size="15" font-weight="700" '
        f'fill="{INK}">{escape(before)}</text>',
        f'<text x="{right}" y="20" text-anchor="middle" font-size="15" font-weight="700" '
        f'fill="{INK}">{escape(after)}</text>',
        f'<line x1="{left}" y1="{top - 8}" x2="{left}" y2="{top + height + 8}" stroke="{GRID}"/>',
        f'<line x1="{right}" y1="{top - 8}" x2="{right}" y2="{top + height + 8}" stroke="{GRID}"/>',
    ]
    label_left = _spread([y_of(a) for _n, _c, a, _b in shown if a is not None])
    label_right = _spread([y_of(b) for _n, _c, _a, b in shown if b is not None])
    for i, (name, colour, a, b) in enumerate(shown):
        assert a is not None and b is not None
        ya, yb = y_of(a), y_of(b)
        la, lb = label_left[i], label_right[i]
        dash = ' stroke-dasharray="8 4"' if i % 2 else ""
        parts.append(
            f'<line x1="{left}" y1="{ya:.1f}" x2="{right}" y2="{yb:.1f}" '
            f'stroke="{escape(colour)}" stroke-width="4"{dash}/>'
            f'<circle cx="{left}" cy="{ya:.1f}" r="6" fill="{escape(colour)}" stroke="{INK}"/>'
            f'<circle cx="{right}" cy="{yb:.1f}" r="6" fill="{escape(colour)}" stroke="{INK}"/>'
            f'<text x="{left - 12}" y="{la + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="{INK}">{escape(name)} {escape(number(a))}</text>'
            f'<text x="{right + 12}" y="{lb + 5:.1f}" font-size="14" fill="{INK}">'
            f"{escape(number(b))} {escape(name)}</text>"
        )
    bottom = max([top + height, *label_left, *label_right])
    return _svg(width, int(bottom + 24), label, "".join(parts))


def _spread(ys: list[float], gap: float = 18.0) -> list[float]:
    """Label positions near ``ys`` but at least ``gap`` apart, in the original order."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for before, i in pairwise(order):
        out[i] = max(out[i], out[before] + gap)
    return out


def shade(share: float) -> str:
    """A heatmap cell's background: one hue, darker for more, so grey print keeps the order;
    the number is always written in the cell as well (a hidden cell is hatched by the page)."""
    lightness = 96 - 58 * max(0.0, min(share, 1.0))
    return f"hsl(215 45% {lightness:.0f}%)"


def ink_on(share: float) -> str:
    return "#ffffff" if share > 0.55 else INK
