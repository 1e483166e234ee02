"""A channel's project over time: a PNG picture of its phases, and a summary in text.

Pure functions, no I/O: the caller turns the project's history into :class:`Stay`
records (one per stay in a phase, from the move into it until the next move) and gets
back PNG bytes (:func:`draw_timeline`) or figures and text (:func:`summarize`,
:func:`summary_line`, :func:`summary_text`, :func:`format_duration`).

The picture is a card of fixed size (1200 px wide, 520 px high for up to 8 phases,
growing by 24 px per further phase up to 820 px) with its own opaque background, so it
reads the same on Discord's dark and light themes: a title, a one-line summary, a legend,
one row per phase of the content (the first at the top, unvisited phases too), one bar
per stay on a UTC date axis, the current stay hatched and open up to ``now``, a tick
where each iteration starts (a dashed line and a label where there is room, every other
iteration shaded), rework in a second colour with ``↺``, and the ticked activities
("3/5") on the bars wide enough to hold them (or beside them, with up to 100 stays).

matplotlib is imported inside :func:`draw_timeline` only: importing this module costs
nothing, and a bot that never draws never loads it. The drawing uses the Agg canvas
directly: no pyplot, no rcParams changed, a Figure of its own per drawing and freed
after it, so drawings may run in worker threads (the glyph cache is locked). A drawing
takes about 40 ms of CPU for 50 or 500 moves (``bench/timeline.py``); the first in a
process also imports matplotlib (0.5-1 s). An asynchronous caller should run it in a
worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stay:
    """One stay of a project in a phase: from entering it until the next move (or now)."""

    phase_key: str
    phase_name: str
    phase_number: int  # 1-based position in the content's phases
    start: datetime  # timezone-aware (UTC)
    end: datetime | None  # None: the current phase, open-ended up to `now`
    iteration: int  # 1, 2, ... (Agile/Spiral start new iterations)
    new_iteration: bool  # this stay began a new iteration
    rework: bool  # entered by moving back in a sequential methodology (Waterfall/V-Model)
    ticked: int  # activities of the phase ticked at the end of the stay
    activities: int  # how many activities the phase has


# -- summary -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhaseTotal:
    """Time a project spent in one phase, over all its stays there."""

    phase_number: int
    phase_key: str
    phase_name: str
    seconds: float
    stays: int


@dataclass(frozen=True, slots=True)
class TimelineSummary:
    """The figures of a timeline. ``phases`` holds the visited phases only, in phase order."""

    phases: tuple[PhaseTotal, ...]
    iterations: int  # the highest iteration reached; 0 without moves
    reworks: int  # stays entered by moving back
    moves: int  # one per stay: the move that began it
    first_move: datetime | None
    last_move: datetime | None
    total_seconds: float  # from the first move to now

    def seconds_in(self, phase_key: str) -> float:
        """Time spent in a phase (0 if never visited)."""
        return next((p.seconds for p in self.phases if p.phase_key == phase_key), 0.0)


def stay_seconds(stay: Stay, now: datetime) -> float:
    """How long a stay lasted (an open stay: up to ``now``); never negative."""
    end = now if stay.end is None else stay.end
    return max(0.0, (end - stay.start).total_seconds())


def summarize(stays: Sequence[Stay], *, now: datetime) -> TimelineSummary:
    """Time per visited phase, iterations, reworks, moves, first and last move."""
    totals: dict[int, PhaseTotal] = {}
    for stay in stays:
        seconds = stay_seconds(stay, now)
        known = totals.get(stay.phase_number)
        if known is None:
            totals[stay.phase_number] = PhaseTotal(
                stay.phase_number, stay.phase_key, stay.phase_name, seconds, 1
            )
        else:
            totals[stay.phase_number] = PhaseTotal(
                known.phase_number,
                known.phase_key,
                known.phase_name,
                known.seconds + seconds,
                known.stays + 1,
            )
    first = min((s.start for s in stays), default=None)
    last = max((s.start for s in stays), default=None)
    total = 0.0 if first is None else max(0.0, (now - first).total_seconds())
    return TimelineSummary(
        phases=tuple(totals[n] for n in sorted(totals)),
        iterations=max((s.iteration for s in stays), default=0),
        reworks=sum(1 for s in stays if s.rework),
        moves=len(stays),
        first_move=first,
        last_move=last,
        total_seconds=total,
    )


_MINUTE: Final = 60
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_WEEK: Final = 7 * _DAY


def format_duration(seconds: float) -> str:
    """Short human text for a duration, its two largest units, rounded down.

    ``45 s``, ``12 min``, ``3 h 20 min``, ``2 d 4 h``, ``5 w 2 d`` (a zero second unit is
    left out: ``3 h``). Raises ValueError for a negative or non-finite duration.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {seconds!r}")
    s = int(seconds)
    if s < _MINUTE:
        return f"{s} s"
    if s < _HOUR:
        return f"{s // _MINUTE} min"
    for unit, name, small, small_name in (
        (_WEEK, "w", _DAY, "d"),
        (_DAY, "d", _HOUR, "h"),
        (_HOUR, "h", _MINUTE, "min"),
    ):
        if s >= unit:
            big, rest = divmod(s, unit)
            part = rest // small
            return f"{big} {name} {part} {small_name}" if part else f"{big} {name}"
    raise AssertionError("unreachable")  # pragma: no cover


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary_line(summary: TimelineSummary) -> str:
    """One line: ``50 moves · 6 iterations · 4 reworks · 6 w 2 d since the first move``."""
    if summary.moves == 0:
        return "No moves yet"
    parts = [_plural(summary.moves, "move"), _plural(summary.iterations, "iteration")]
    if summary.reworks:
        parts.append(_plural(summary.reworks, "rework"))
    parts.append(f"{format_duration(summary.total_seconds)} since the first move")
    return " · ".join(parts)


def summary_text(summary: TimelineSummary) -> str:
    """The summary as plain text (no markup), for a message next to the picture."""
    if summary.moves == 0 or summary.first_move is None or summary.last_move is None:
        return "No moves yet."
    lines = [
        summary_line(summary),
        f"First move {_when(summary.first_move)} · last move {_when(summary.last_move)}",
        "Time per phase:",
    ]
    for p in summary.phases:
        visits = "" if p.stays == 1 else f" ({p.stays} stays)"
        lines.append(f"  {p.phase_number} · {p.phase_name}: {format_duration(p.seconds)}{visits}")
    return "\n".join(lines)


# -- the picture: sizes and colours --------------------------------------------------------

DPI: Final = 100
WIDTH_PX: Final = 1200
BASE_HEIGHT_PX: Final = 520
"""Height with up to BASE_ROWS phases."""
BASE_ROWS: Final = 8
ROW_GROWTH_PX: Final = 24
MAX_HEIGHT_PX: Final = 820

_TOP_PX: Final = 96  # title, summary line, legend, iteration labels
_BOTTOM_PX: Final = 52  # date ticks and the date offset
_RIGHT_PX: Final = 30
_MIN_LEFT_PX: Final = 110
_MAX_LEFT_PX: Final = 290
_MARGIN_PX: Final = 22  # card edge to text

MIN_SPAN_S: Final = 10.0
"""The date axis covers at least this many seconds (a project moved a moment ago)."""
_MIN_BAR_PX: Final = 2.0  # a stay of zero length still shows as a sliver
_BAR_HEIGHT: Final = 0.64  # of a row
MAX_BAR_LABELS: Final = 60
MAX_NAME_CHARS: Final = 28
_FONT: Final = "DejaVu Sans"  # ships with matplotlib; has ↺ ▶ · → …

# Card colours: a dark card that stands out on white and sits quietly on Discord's dark
# grey (#313338). Bars from the Okabe-Ito palette (safe for the common colour-vision
# deficiencies): sky blue for a stay, vermillion for rework (also darker, so the two
# differ in lightness too, and rework bars carry ↺), reddish purple for iterations.
CARD: Final = "#1b1d23"
CARD_EDGE: Final = "#4a4f5c"
STRIPE: Final = "#22252d"
GRID: Final = "#3a3e4a"
TEXT: Final = "#eceef3"
MUTED: Final = "#a4a9b6"
DIM: Final = "#8a90a0"
STAY: Final = "#56b4e9"
REWORK: Final = "#e0692a"
ITERATION: Final = "#d387b4"
NOW: Final = "#f0e442"
ON_BAR: Final = "#0d0f14"


def figure_height_px(phase_count: int) -> int:
    """The card's height for a content with this many phases."""
    extra = max(0, phase_count - BASE_ROWS) * ROW_GROWTH_PX
    return min(BASE_HEIGHT_PX + extra, MAX_HEIGHT_PX)


_EM: Final[dict[str, float]] = {
    **dict.fromkeys("0123456789", 0.636),
    **dict.fromkeys(" ·.,'", 0.318),
    **dict.fromkeys("/:;", 0.337),
    **dict.fromkeys("()-ijlrtf", 0.4),
    **dict.fromkeys("mwMW", 1.0),
    **dict.fromkeys("↺→#%@", 0.838),
    "▶": 0.769,
    "…": 1.0,
}
"""DejaVu Sans advance widths in em (rounded up); other lowercase 0.6, uppercase 0.72."""


def _text_px(text: str, size_pt: float, *, bold: bool = False) -> float:
    """A slightly generous estimate of a DejaVu Sans line's width in pixels (no rendering)."""
    em = sum(_EM.get(c, 0.72 if c.isupper() else 0.6) for c in text)
    return em * size_pt * DPI / 72.0 * (1.1 if bold else 1.0)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _blend(color: str, background: str, alpha: float) -> str:
    """``color`` at ``alpha`` over ``background``, as an opaque hex colour."""
    a = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(background[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = (round(alpha * x + (1 - alpha) * y) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


# -- the picture: what to draw, computed without matplotlib --------------------------------


@dataclass(frozen=True, slots=True)
class _Bar:
    row: int
    start: float  # seconds since the plan's origin
    width: float  # seconds, at least the minimum bar width
    rework: bool
    current: bool


@dataclass(frozen=True, slots=True)
class _Label:
    x: float  # seconds since the origin
    y: float  # row
    text: str
    where: str  # "on" a finished bar (dark text), "boxed" on the current one, "beside", "now"


@dataclass(frozen=True, slots=True)
class _Marker:
    x: float
    text: str  # "" when there is no room for the label: a short tick only
    align: str  # "left" of the text at the line, or "right" (the text ends at the line)


@dataclass(frozen=True, slots=True)
class _Plan:
    origin: datetime  # x = 0
    x_min: float
    x_max: float
    now_x: float
    height_px: int
    left_px: int
    rows: tuple[str, ...]  # row labels, top to bottom
    visited: tuple[bool, ...]
    current: _Bar | None
    bars: tuple[_Bar, ...]
    labels: tuple[_Label, ...]
    iterations: tuple[_Marker, ...]
    bands: tuple[tuple[float, float], ...]  # every other iteration, shaded
    transitions: tuple[tuple[float, int, int], ...]  # (x, from row, to row)
    label_pt: float
    title: str
    subtitle: str


def _rows(
    stays: Sequence[Stay], phases: Sequence[tuple[int, str]], clean: Callable[[str], str]
) -> tuple[dict[int, int], list[str]]:
    """Row of each phase number, and the names; phases the content lost are added at the end."""
    names = {number: clean(name) for number, name in phases}
    order = [number for number, _ in phases]
    unknown = sorted({s.phase_number for s in stays} - set(names))
    if unknown:
        log.warning("timeline: stays in phases %s that the content does not list", unknown)
        for stay in stays:
            if stay.phase_number not in names:
                names[stay.phase_number] = clean(stay.phase_name)
        order += unknown
    row_of: dict[int, int] = {}
    for number in order:
        row_of.setdefault(number, len(row_of))
    return row_of, [names[n] for n in row_of]


_LEFT_PAD_PX: Final = 14.0  # date axis before the first move
_NOW_ROOM_PX: Final = 40.0  # date axis after now: room for the "now" label
_MAX_ITERATION_LINES: Final = 15
_TICK_PX: Final = 6.0
_MIN_BAND_PX: Final = 24.0  # average width of an iteration band to shade every other one
_DENSE_BARS: Final = 100
"""With more stays than this, no labels beside bars and no move lines (only clutter)."""
_MIN_TRANSITION_PX: Final = 6.0  # average room per move line to draw them


def _plan(
    stays: Sequence[Stay],
    phases: Sequence[tuple[int, str]],
    now: datetime,
    title: str,
    clean: Callable[[str], str] = str,
) -> _Plan:
    """What to draw, in seconds since the plan's origin and rows; ``clean`` filters the
    text that comes from outside (phase names)."""
    ordered = sorted(stays, key=lambda s: s.start)
    row_of, names = _rows(ordered, phases, clean)
    n_rows = max(1, len(names))
    height = figure_height_px(n_rows)

    # Row labels and the left margin they need.
    current_stay = next((s for s in reversed(ordered) if s.end is None), None)
    current_row = None if current_stay is None else row_of[current_stay.phase_number]
    visited_rows = {row_of[s.phase_number] for s in ordered}
    labels = [
        f"{_clip(name, MAX_NAME_CHARS)} · {number}"
        for number, name in zip(row_of, names, strict=True)
    ]
    if current_row is not None:
        labels[current_row] = f"▶ {labels[current_row]}"
    tick_pt = _tick_size(height, n_rows)
    widest = max((_text_px(t, tick_pt, bold=True) for t in labels), default=0.0)
    left = int(min(_MAX_LEFT_PX, max(_MIN_LEFT_PX, widest + 2 * _MARGIN_PX)))

    # The time axis: from the first move to now (at least MIN_SPAN_S), with a little room
    # before the first move and room for "now" after the last.
    end = now
    for s in ordered:
        end = max(end, s.start, s.end or s.start)
    first = ordered[0].start if ordered else end - timedelta(days=1)
    span = max((end - first).total_seconds(), MIN_SPAN_S)
    origin = end - timedelta(seconds=span)
    axes_px = WIDTH_PX - left - _RIGHT_PX
    px_per_s = (axes_px - _LEFT_PAD_PX - _NOW_ROOM_PX) / span
    x_min, x_max = -_LEFT_PAD_PX / px_per_s, span + _NOW_ROOM_PX / px_per_s
    min_w = _MIN_BAR_PX / px_per_s

    def x(moment: datetime) -> float:
        return (moment - origin).total_seconds()

    bars = [
        _Bar(
            row_of[s.phase_number],
            x(s.start),
            max(stay_seconds(s, end), min_w),
            s.rework,
            s is current_stay,
        )
        for s in ordered
    ]
    dense = len(bars) > _DENSE_BARS
    label_pt = _label_size(height, n_rows)
    transitions = tuple(
        (b.start, a.row, b.row) for a, b in itertools.pairwise(bars) if a.row != b.row
    )
    if len(transitions) * _MIN_TRANSITION_PX > axes_px:
        transitions = ()
    summary = summarize(ordered, now=now)
    return _Plan(
        origin=origin,
        x_min=x_min,
        x_max=x_max,
        now_x=x(end),  # a clock behind the last move: now is the last move
        height_px=height,
        left_px=left,
        rows=tuple(labels),
        visited=tuple(i in visited_rows for i in range(len(labels))),
        current=next((b for b in bars if b.current), None),
        bars=tuple(bars),
        labels=_bar_labels(ordered, bars, px_per_s, x_max, size_pt=label_pt, beside=not dense),
        label_pt=label_pt,
        iterations=_iteration_markers(ordered, bars, px_per_s, x_max + (_RIGHT_PX - 8) / px_per_s),
        bands=_bands(ordered, bars, span, px_per_s),
        transitions=transitions,
        title=title,
        subtitle=summary_line(summary),
    )


def _tick_size(height_px: int, rows: int) -> float:
    row_px = (height_px - _TOP_PX - _BOTTOM_PX) / max(1, rows)
    return max(6.0, min(10.0, row_px * 0.42))


_BAR_LABEL_PT: Final = 8.5


def _label_size(height_px: int, rows: int) -> float:
    row_px = (height_px - _TOP_PX - _BOTTOM_PX) / max(1, rows)
    return max(6.0, min(_BAR_LABEL_PT, row_px * 0.4))


_ITERATION_PT: Final = 8.5


def _bar_labels(
    stays: Sequence[Stay],
    bars: Sequence[_Bar],
    px_per_s: float,
    x_max: float,
    *,
    size_pt: float,
    beside: bool,
) -> tuple[_Label, ...]:
    """ "3/5" on each bar wide enough, else just after it if its row is free there; "now"
    after the current bar.

    At most MAX_BAR_LABELS ticked counts, the widest bars first: with hundreds of moves
    most bars are slivers and carry none, and none is put beside a bar (it would float
    among slivers).
    """
    next_in_row: list[float] = [x_max] * len(bars)
    last_start: dict[int, float] = {}
    for i in range(len(bars) - 1, -1, -1):
        next_in_row[i] = last_start.get(bars[i].row, x_max)
        last_start[bars[i].row] = bars[i].start
    pad_px = 10.0
    now: list[_Label] = []
    candidates: list[tuple[float, int, _Label]] = []
    for i, (stay, bar) in enumerate(zip(stays, bars, strict=True)):
        bar_end = bar.start + bar.width
        if bar.current:
            now.append(_Label(bar_end + 4 / px_per_s, bar.row, "now", "now"))
        if stay.activities <= 0:
            continue
        text = f"{stay.ticked}/{stay.activities}"
        if stay.rework:
            text = f"↺ {text}"
        need = _text_px(text, size_pt) + pad_px
        bar_px = bar.width * px_per_s
        if bar_px >= need:
            where = "boxed" if bar.current else "on"
            label = _Label(bar.start + bar.width / 2, bar.row, text, where)
        elif beside and not bar.current and (next_in_row[i] - bar_end) * px_per_s >= need + 6:
            label = _Label(bar_end + 3 / px_per_s, bar.row, text, "beside")
        else:
            continue
        candidates.append((bar_px, i, label))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    counts = [label for _, _, label in sorted(candidates[:MAX_BAR_LABELS], key=lambda c: c[1])]
    return (*counts, *now)


def _iteration_markers(
    stays: Sequence[Stay], bars: Sequence[_Bar], px_per_s: float, edge: float
) -> tuple[_Marker, ...]:
    """A marker where each new iteration starts, labelled above the plot where there is
    room: the latest iterations first, each label after its line (at the right edge of the
    card, before it)."""
    starts = [
        (bar.start, stay.iteration)
        for stay, bar in zip(stays, bars, strict=True)
        if stay.new_iteration and stay.iteration > 1
    ]
    gap = 10 / px_per_s
    taken: list[tuple[float, float]] = []
    markers: list[_Marker] = []
    for x, iteration in reversed(starts):
        text = f"iteration {iteration}"
        width = (_text_px(text, _ITERATION_PT) + 4) / px_per_s
        placed = _Marker(x, "", "left")
        lo, hi, align = x, x + width, "left"
        if hi > edge:  # past the card's right edge: the text ends at the line instead
            lo, hi, align = x - width, x, "right"
        if all(hi + gap <= a or lo >= b + gap for a, b in taken):
            taken.append((lo, hi))
            placed = _Marker(x, text, align)
        markers.append(placed)
    markers.reverse()
    return tuple(markers)


def _bands(
    stays: Sequence[Stay], bars: Sequence[_Bar], span: float, px_per_s: float
) -> tuple[tuple[float, float], ...]:
    """Every even iteration shaded, from its first move to the next iteration's (or now);
    none when iterations are so many that the bands would be stripes."""
    starts = [
        (bar.start, stay.iteration)
        for stay, bar in zip(stays, bars, strict=True)
        if stay.new_iteration and stay.iteration > 1
    ]
    if not starts or span * px_per_s / (len(starts) + 1) < _MIN_BAND_PX:
        return ()
    edges = [x for x, _ in starts] + [span]
    return tuple((edges[i], edges[i + 1]) for i, (_, it) in enumerate(starts) if it % 2 == 0)


# -- the picture: drawing ------------------------------------------------------------------


def draw_timeline(
    stays: Sequence[Stay], *, phases: Sequence[tuple[int, str]], now: datetime, title: str
) -> bytes:
    """A PNG picture of a project's stays in its phases over time.

    ``phases`` lists every phase of the content as (number, name), in order: each gets a
    row, visited or not. Stays may be given in any order; a stay whose ``end`` is None
    is open up to ``now``. Returns the PNG file's bytes (RGB, opaque, 40-130 kB).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    started = time.perf_counter()
    plan = _plan(stays, phases, now, drawable(title), drawable)
    png = _render(plan)
    log.debug(
        "timeline: %d stays, %d phases, %d bytes in %.1f ms",
        len(stays),
        len(plan.rows),
        len(png),
        (time.perf_counter() - started) * 1000,
    )
    return png


@functools.cache
def _glyphs() -> frozenset[int]:
    """The characters both DejaVu Sans faces we draw with (regular and bold) have."""
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    faces = [
        set(
            FT2Font(
                findfont(FontProperties(family=_FONT, weight=w), fallback_to_default=False)
            ).get_charmap()
        )
        for w in ("normal", "bold")
    ]
    return frozenset(faces[0] & faces[1])


def drawable(text: str) -> str:
    """``text`` without the characters the font cannot draw (emoji in a channel name, say),
    which would come out as empty boxes and a warning. Loads matplotlib."""
    glyphs = _glyphs()
    return " ".join("".join(c for c in text if ord(c) in glyphs or c.isspace()).split())


# -- text as outlines -----------------------------------------------------------------------
#
# A matplotlib Text costs about 0.7 ms to draw (shaping, hinting, one glyph bitmap at a
# time), and a timeline has 30-80 of them: most of the drawing time. Here every text is
# a path built from DejaVu Sans glyph outlines (cached per character, kerned) and all of
# them are drawn as one PathCollection, which costs about as much as one Text.

_GLYPH_EM: Final = 100.0  # outlines are taken at 100 px per em
_CAP: Final = 0.73  # DejaVu Sans cap height, em
_DESCENT: Final = 0.24  # em


class _Face:
    """One DejaVu Sans face: outline and advance of each character, kerning."""

    def __init__(self, bold: bool) -> None:
        from matplotlib.font_manager import FontProperties, findfont
        from matplotlib.ft2font import FT2Font, Kerning, LoadFlags

        weight = "bold" if bold else "normal"
        path = findfont(FontProperties(family=_FONT, weight=weight), fallback_to_default=False)
        self._font = FT2Font(path)
        self._font.set_size(_GLYPH_EM, 72)
        self._kerning = Kerning.DEFAULT
        self._flags = LoadFlags.NO_HINTING
        self._glyphs: dict[str, tuple[Any, Any, Any, float]] = {}
        self._lock = threading.Lock()  # an FT2Font is not thread-safe

    def _glyph(self, char: str) -> tuple[Any, Any, Any, float]:
        known = self._glyphs.get(char)
        if known is None:
            index = self._font.get_char_index(ord(char))
            if index == 0:  # as matplotlib's own text does; drawable() prevents it
                warnings.warn(
                    f"Glyph {ord(char)} ({char!r}) missing from font {_FONT}", stacklevel=2
                )
            glyph = self._font.load_char(ord(char), flags=self._flags)
            verts, codes = self._font.get_path()
            known = (index, verts, codes, glyph.linearHoriAdvance / 65536)
            self._glyphs[char] = known
        return known

    def line(self, text: str) -> tuple[Any, Any, float]:
        """Vertices and codes of ``text`` at 100 px per em, baseline at y=0, and its width."""
        import numpy as np

        verts: list[Any] = []
        codes: list[Any] = []
        x = 0.0
        previous = None
        with self._lock:
            for char in text:
                index, v, c, advance = self._glyph(char)
                if previous is not None:
                    x += self._font.get_kerning(previous, index, self._kerning) / 64
                if len(v):
                    verts.append(v + np.array((x, 0.0)))
                    codes.append(c)
                x += advance
                previous = index
        if not verts:
            return np.empty((0, 2)), np.empty(0, dtype=np.uint8), x
        return np.concatenate(verts), np.concatenate(codes).astype(np.uint8), x


@functools.cache
def _face(bold: bool) -> _Face:
    return _Face(bold)


@functools.lru_cache(maxsize=4096)
def _line(text: str, bold: bool) -> tuple[Any, Any, float]:
    return _face(bold).line(text)


def _text_width(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Width in pixels, exact (the font's advances and kerning)."""
    return _line(text, bold)[2] * size_pt * DPI / 72 / _GLYPH_EM


@dataclass(slots=True)
class _Texts:
    """Texts gathered while drawing, put on the figure as one artist at the end."""

    items: list[tuple[float, float, str, float, bool, str, str, str]]

    def add(
        self,
        xy: tuple[float, float],
        text: str,
        *,
        size: float,
        color: str,
        ha: str = "left",
        va: str = "baseline",
        bold: bool = False,
    ) -> None:
        """``text`` at ``xy`` in pixels from the bottom left (display coordinates)."""
        if text.strip():
            self.items.append((xy[0], xy[1], text, size, bold, color, ha, va))

    def draw(self, fig: Figure) -> None:
        from matplotlib.collections import PathCollection
        from matplotlib.path import Path
        from matplotlib.transforms import IdentityTransform

        paths: list[Path] = []
        colors: list[str] = []
        for x, y, text, size, bold, color, ha, va in self.items:
            verts, codes, width = _line(text, bold)
            em = size * DPI / 72
            scale = em / _GLYPH_EM
            dx = {"left": 0.0, "center": -width * scale / 2, "right": -width * scale}[ha]
            dy = {"baseline": 0.0, "center": -_CAP * em / 2, "top": -_CAP * em}.get(va, 0.0)
            if va == "bottom":
                dy = _DESCENT * em
            paths.append(Path(verts * scale + (x + dx, y + dy), codes))
            colors.append(color)
        if paths:
            fig.add_artist(
                PathCollection(
                    paths,
                    transform=IdentityTransform(),
                    facecolors=colors,
                    edgecolors="none",
                    zorder=5.0,
                )
            )


def _render(plan: _Plan) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(
        figsize=(WIDTH_PX / DPI, plan.height_px / DPI),
        dpi=DPI,
        facecolor=CARD,
        edgecolor=CARD_EDGE,
        linewidth=2.0,
    )
    canvas = FigureCanvasAgg(fig)
    try:
        ax = fig.add_axes(
            (
                plan.left_px / WIDTH_PX,
                _BOTTOM_PX / plan.height_px,
                (WIDTH_PX - plan.left_px - _RIGHT_PX) / WIDTH_PX,
                (plan.height_px - _TOP_PX - _BOTTOM_PX) / plan.height_px,
            )
        )
        texts = _Texts([])
        _draw_plot(ax, plan, texts)
        _draw_header(fig, plan, texts)
        texts.draw(fig)
        canvas.draw()  # type: ignore[no-untyped-call]
        width, height = canvas.get_width_height()
        rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", compress_level=3)  # 6: +40% time, -3% size
        return out.getvalue()
    finally:
        fig.clear()
        del canvas


# The axes are switched off: matplotlib's ticks (a Tick is two lines, a grid line and two
# texts, set up for every tick) cost more than everything else together, so the row
# labels, date labels, grid and ticks are plain texts and line collections here.


def _draw_plot(ax: Axes, plan: _Plan, texts: _Texts) -> None:
    import numpy as np
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.dates import date2num
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.transforms import IdentityTransform, Transform

    base = float(date2num(plan.origin))  # type: ignore[no-untyped-call]
    n = max(1, len(plan.rows))  # no phases at all: one empty row
    top, bottom = -0.5, n - 0.5
    axes_w = WIDTH_PX - plan.left_px - _RIGHT_PX
    axes_h = plan.height_px - _TOP_PX - _BOTTOM_PX
    above = ax.get_xaxis_transform()  # x: dates, y: 0 (bottom) .. 1 (top) of the plot
    beside = ax.get_yaxis_transform()  # x: 0 .. 1 of the plot, y: rows

    def xs(seconds: Sequence[float]) -> np.ndarray:
        return base + np.asarray(seconds, dtype=float) / 86400.0

    def x1(seconds: float) -> float:
        return base + seconds / 86400.0

    def boxes(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> Sequence[Any]:
        """Rectangles as one (N, 4, 2) array (PolyCollection's fast path; typed as a list)."""
        corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
        return cast(Sequence[Any], np.stack([np.stack(c, -1) for c in corners], axis=1))

    def lines(
        segments: list[tuple[tuple[float, float], tuple[float, float]]],
        color: str,
        width: float,
        z: float,
        style: str | tuple[float, tuple[float, float]] = "solid",
    ) -> None:
        """Straight lines in data coordinates, as one artist, not clipped to the plot (tick
        marks are outside it)."""
        if segments:
            collection = LineCollection(
                segments, colors=color, linewidths=width, linestyles=style, zorder=z
            )
            collection.set_clip_on(False)
            ax.add_collection(collection, autolim=False)

    def text(
        x: float,
        y: float,
        s: str,
        *,
        color: str,
        fontsize: float,
        transform: Transform | None = None,
        ha: str = "left",
        va: str = "baseline",
        fontweight: str = "normal",
        boxed: bool = False,
    ) -> None:
        """Text at (x, y) in ``transform``'s coordinates (the data's by default)."""
        px, py = (transform or ax.transData).transform((x, y))
        bold = fontweight == "bold"
        texts.add((px, py), s, size=fontsize, color=color, ha=ha, va=va, bold=bold)
        if boxed:  # a dark box behind the text, on a hatched bar
            width = _text_width(s, fontsize, bold=bold)
            height = _CAP * fontsize * DPI / 72
            ax.figure.add_artist(
                FancyBboxPatch(
                    (px - width / 2, py - height / 2),
                    width,
                    height,
                    boxstyle="round,pad=3",
                    transform=IdentityTransform(),
                    facecolor=CARD,
                    edgecolor="none",
                    alpha=0.85,
                    zorder=4.0,
                )
            )

    left, right = x1(plan.x_min), x1(plan.x_max)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()

    # Background: every other row striped, every other iteration shaded.
    odd = np.arange(1, n, 2, dtype=float)
    if odd.size:
        ax.add_collection(
            PolyCollection(
                boxes(np.full_like(odd, left), np.full_like(odd, right), odd - 0.5, odd + 0.5),
                facecolors=STRIPE,
                edgecolors="none",
                antialiaseds=False,
                zorder=0.1,
            ),
            autolim=False,
        )
    if plan.bands:
        b0, b1 = xs([a for a, _ in plan.bands]), xs([b for _, b in plan.bands])
        ax.add_collection(
            PolyCollection(
                boxes(b0, b1, np.full_like(b0, top), np.full_like(b0, bottom)),
                facecolors=(1.0, 1.0, 1.0, 0.045),
                edgecolors="none",
                antialiaseds=False,
                zorder=0.2,
            ),
            autolim=False,
        )

    # The date axis: matplotlib's concise date labels, in UTC.
    ticks, tick_labels, offset = _date_ticks(plan, left, right)
    row_per_px = n / axes_h  # rows grow downwards
    grid = [((x, top), (x, bottom + 4 * row_per_px)) for x in ticks]  # through the tick marks
    lines([*grid, ((left, bottom), (right, bottom))], color=GRID, width=0.8, z=0.5)
    for x, tick_label in zip(ticks, tick_labels, strict=True):
        text(
            x,
            -8 / axes_h,
            tick_label,
            transform=above,
            ha="center",
            va="top",
            color=MUTED,
            fontsize=9,
        )
    text(
        1.0,
        -28 / axes_h,
        offset,
        transform=ax.transAxes,
        ha="right",
        va="top",
        color=MUTED,
        fontsize=10,
    )

    # Phase rows: their names at the left.
    tick_pt = _tick_size(plan.height_px, n)
    current_row = None if plan.current is None else plan.current.row
    for row, name in enumerate(plan.rows):
        text(
            -10 / axes_w,
            row,
            name,
            transform=beside,
            ha="right",
            va="center",
            color=TEXT if plan.visited[row] else DIM,
            fontsize=tick_pt,
            fontweight="bold" if row == current_row else "normal",
        )

    # Iteration starts: a short tick above the plot each, and a dashed line across it
    # where labelled or when there are few (dozens of lines would hide the bars).
    if plan.iterations:
        few = len(plan.iterations) <= _MAX_ITERATION_LINES
        across = [x1(m.x) for m in plan.iterations if m.text or few]
        lines([((x, top), (x, bottom)) for x in across], ITERATION, 1.2, 1.0, (0, (4, 3)))
        tick = top - _TICK_PX * row_per_px
        lines([((x1(m.x), top), (x1(m.x), tick)) for m in plan.iterations], ITERATION, 1.2, 1.0)
        for m in plan.iterations:
            if m.text:
                text(
                    x1(m.x),
                    1.0 + (_TICK_PX + 1) / axes_h,
                    f" {m.text} " if m.align == "left" else f"{m.text} ",
                    transform=above,
                    ha=m.align,
                    va="bottom",
                    color=ITERATION,
                    fontsize=_ITERATION_PT,
                )

    # Moves: a thin line from one stay's row to the next one's.
    if plan.transitions:
        tx = xs([t[0] for t in plan.transitions])
        segments = np.stack(
            [
                np.stack([tx, np.array([t[1] for t in plan.transitions], dtype=float)], -1),
                np.stack([tx, np.array([t[2] for t in plan.transitions], dtype=float)], -1),
            ],
            axis=1,
        )
        ax.add_collection(
            LineCollection(
                cast(Sequence[Any], segments), colors=MUTED, linewidths=0.8, alpha=0.45, zorder=1.5
            ),
            autolim=False,
        )

    # The stays: one collection per kind, the current one hatched.
    half = _BAR_HEIGHT / 2
    for rework, color in ((False, STAY), (True, REWORK)):
        done = [b for b in plan.bars if b.rework == rework and not b.current]
        if done:
            y = np.array([b.row for b in done], dtype=float)
            ax.add_collection(
                PolyCollection(
                    boxes(
                        xs([b.start for b in done]),
                        xs([b.start + b.width for b in done]),
                        y - half,
                        y + half,
                    ),
                    facecolors=color,
                    edgecolors="none",
                    antialiaseds=False,  # crisp, axis-aligned: exact colours, smaller PNG
                    zorder=2.0,
                ),
                autolim=False,
            )
    if plan.current is not None:
        b = plan.current
        color = REWORK if b.rework else STAY
        current = PolyCollection(
            boxes(
                xs([b.start]),
                xs([b.start + b.width]),
                np.array([b.row - half]),
                np.array([b.row + half]),
            ),
            facecolors=_blend(color, CARD, 0.3),
            edgecolors=color,
            linewidths=1.2,
            hatch="///",
            antialiaseds=False,
            zorder=2.1,
        )
        current.set_hatchcolor(color)
        ax.add_collection(current, autolim=False)
    now = x1(plan.now_x)
    lines([((now, top), (now, bottom))], NOW, 1.2, 1.2, (0, (1.5, 2)))

    for label in plan.labels:
        text(
            x1(label.x),
            label.y,
            label.text,
            ha="center" if label.where in ("on", "boxed") else "left",
            va="center",
            color={"on": ON_BAR, "now": NOW}.get(label.where, TEXT),
            fontsize=plan.label_pt,
            fontweight="bold" if label.where == "now" else "normal",
            boxed=label.where == "boxed",
        )

    if not plan.bars:
        text(
            0.5,
            0.5,
            "No moves yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontsize=12,
            boxed=True,
        )


def _date_ticks(plan: _Plan, left: float, right: float) -> tuple[list[float], list[str], str]:
    """Where the date labels go, what they say, and the offset (what they leave out)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(tz=UTC, minticks=4, maxticks=11)  # type: ignore[no-untyped-call]
    locator.create_dummy_axis()
    assert locator.axis is not None
    locator.axis.set_view_interval(left, right)
    ticks = [float(t) for t in locator() if left <= t <= right]
    formatter = ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator,
        tz=UTC,
        formats=["%Y", "%b", "%d", "%H:%M", "%H:%M", "%H:%M:%S"],
        zero_formats=["", "%Y", "%b", "%b %d", "%H:%M", "%H:%M"],
        offset_formats=_offset_formats(plan),
    )
    labels = [str(t) for t in formatter.format_ticks(ticks)]  # type: ignore[no-untyped-call]
    offset = formatter.get_offset()  # type: ignore[no-untyped-call]
    return ticks, labels, str(offset or "UTC")


def _offset_formats(plan: _Plan) -> list[str]:
    """The date axis's offset (what the tick labels leave out), per tick level from years
    to seconds. It names a year, month or day only if the whole axis lies within it (else
    the tick labels show where it changes) and always says UTC."""
    first = plan.origin + timedelta(seconds=plan.x_min)
    last = plan.origin + timedelta(seconds=plan.x_max)
    same_year = first.year == last.year
    same_month = same_year and first.month == last.month
    same_day = same_month and first.day == last.day
    year = "%Y · " if same_year else ""
    month = "%Y %b · " if same_month else year
    day = "%Y %b %d · " if same_day else month
    return [f"{f}UTC" for f in ("", year, month, day, day, "%Y %b %d · ")]


def _draw_header(fig: Figure, plan: _Plan, texts: _Texts) -> None:
    """Title and summary line at the top left, the legend at the top right (laid out
    here, right to left: matplotlib's Legend costs as much as all the bars)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    w, h = WIDTH_PX, plan.height_px
    entries: list[tuple[str, dict[str, Any]]] = []
    if any(not b.rework and not b.current for b in plan.bars):
        entries.append(("stay", {"facecolor": STAY, "edgecolor": "none"}))
    if any(b.rework for b in plan.bars):
        entries.append(("↺ rework", {"facecolor": REWORK, "edgecolor": "none"}))
    if plan.current is not None:
        color = REWORK if plan.current.rework else STAY
        hatched = {"facecolor": _blend(color, CARD, 0.3), "edgecolor": color, "hatch": "///"}
        entries.append(("▶ current", hatched))
    if plan.iterations:
        entries.append(("iteration", {}))
    legend_pt, swatch_w, swatch_h = 9.5, 22.0, 11.0
    right = float(w - _RIGHT_PX)
    y_mid = h - 28.0  # the title's middle, in pixels from the bottom
    for label, style in reversed(entries):
        texts.add((right, y_mid), label, size=legend_pt, color=TEXT, ha="right", va="center")
        x0 = right - _text_width(label, legend_pt) - 7 - swatch_w
        if style:
            fig.add_artist(
                Rectangle(
                    (x0 / w, (y_mid - swatch_h / 2) / h),
                    swatch_w / w,
                    swatch_h / h,
                    transform=fig.transFigure,
                    linewidth=1.0,
                    **style,
                )
            )
        else:
            fig.add_artist(
                Line2D(
                    [x0 / w, (x0 + swatch_w) / w],
                    [y_mid / h] * 2,
                    transform=fig.transFigure,
                    color=ITERATION,
                    linestyle=(0, (4, 3)),
                    linewidth=1.2,
                )
            )
        right = x0 - 18
    title_pt = 15.0
    room = right - _MARGIN_PX - 12
    title = plan.title
    if _text_width(title, title_pt, bold=True) > room:
        chars = len(title)
        while chars > 1 and _text_width(_clip(title, chars), title_pt, bold=True) > room:
            chars -= max(1, chars // 10)
        title = _clip(title, chars)
    texts.add((_MARGIN_PX, h - 16), title, size=title_pt, color=TEXT, va="top", bold=True)
    texts.add((_MARGIN_PX, h - 44), plan.subtitle, size=10, color=MUTED, va="top")
