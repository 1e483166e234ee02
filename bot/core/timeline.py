"""A channel's project over time: a PNG picture of its phases, and a summary in text.

Pure functions, no I/O: the caller turns the project's history into :class:`Stay` records
and gets PNG bytes (:func:`draw_timeline`) or figures and text (:func:`summarize` and co.).
The picture is an opaque dark card that reads the same on Discord's dark and light themes:
one row per phase, one bar per stay on a UTC date axis, rework in a second colour, the
current stay hatched up to ``now``, iteration starts marked, ticked activities ("3/5") on
bars wide enough. Plain matplotlib (Agg canvas, no pyplot, no rcParams changed), imported
by the first drawing only. A drawing costs about 0.1 s of CPU (``bench/timeline.py``), the
first in a process also ~0.5 s of imports: async code should call it via asyncio.to_thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
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


def summarize(stays: Sequence[Stay], *, now: datetime) -> TimelineSummary:
    """Time per visited phase (an open stay lasts up to ``now``; a stay never lasts less
    than nothing), iterations, reworks, moves, first and last move."""
    totals: dict[int, PhaseTotal] = {}
    for s in stays:
        seconds = max(0.0, ((s.end or now) - s.start).total_seconds())
        t = totals.get(s.phase_number) or PhaseTotal(
            s.phase_number, s.phase_key, s.phase_name, 0, 0
        )
        totals[s.phase_number] = replace(t, seconds=t.seconds + seconds, stays=t.stays + 1)
    first = min((s.start for s in stays), default=None)
    return TimelineSummary(
        phases=tuple(totals[n] for n in sorted(totals)),
        iterations=max((s.iteration for s in stays), default=0),
        reworks=sum(1 for s in stays if s.rework),
        moves=len(stays),
        first_move=first,
        last_move=max((s.start for s in stays), default=None),
        total_seconds=0.0 if first is None else max(0.0, (now - first).total_seconds()),
    )


_UNITS: Final = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 20 min``, ``2 d 4 h``, ``5 w 2 d``: the two largest units,
    rounded down; no zero second unit (``3 h``), no seconds after minutes. Raises ValueError
    for a negative or non-finite duration."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {seconds!r}")
    s = int(seconds)
    i = next(i for i, (_, unit) in enumerate(_UNITS) if s >= unit or unit == 1)
    name, unit = _UNITS[i]
    text = f"{s // unit} {name}"
    if unit >= 3600 and (part := s % unit // _UNITS[i + 1][1]):
        text += f" {part} {_UNITS[i + 1][0]}"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


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
    if summary.first_move is None or summary.last_move is None:
        return "No moves yet."
    first, last = (
        m.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        for m in (summary.first_move, summary.last_move)
    )
    lines = [summary_line(summary), f"First move {first} · last move {last}", "Time per phase:"]
    for p in summary.phases:
        visits = "" if p.stays == 1 else f" ({p.stays} stays)"
        lines.append(f"  {p.phase_number} · {p.phase_name}: {format_duration(p.seconds)}{visits}")
    return "\n".join(lines)


# -- the picture ---------------------------------------------------------------------------

DPI: Final = 100
WIDTH_PX: Final = 1200
_TOP_PX, _BOTTOM_PX, _RIGHT_PX = 96, 52, 30  # title, legend, labels above; dates below
MAX_BAR_LABELS: Final = 60  # "3/5" counts on at most this many bars (the widest)
_FEW_ITERATIONS: Final = 15  # more: a dashed line only where an iteration is labelled
_DASH: Final = (0, (4, 3))

# A dark card that stands out on white and sits quietly on Discord's dark grey. Bars
# from the Okabe-Ito palette (safe for the common colour-vision deficiencies): sky blue
# for a stay, a darker vermillion for rework (rework counts also carry ↺), reddish
# purple for iterations.
CARD, CARD_EDGE, STRIPE, GRID = "#1b1d23", "#4a4f5c", "#22252d", "#3a3e4a"
TEXT, MUTED, DIM, ON_BAR = "#eceef3", "#a4a9b6", "#8a90a0", "#0d0f14"
STAY, REWORK, ITERATION, NOW = "#56b4e9", "#e0692a", "#d387b4", "#f0e442"

_LEGEND: Final[dict[str, Any]] = dict(
    loc="upper right", borderaxespad=1.5, frameon=False, fontsize=9.5, labelcolor=TEXT
)


def figure_height_px(phase_count: int) -> int:
    """The card's height: 520 px for up to 8 phases, 24 px more per further one, 820 at most."""
    return min(520 + max(0, phase_count - 8) * 24, 820)


def _blend(color: str, background: str, alpha: float) -> str:
    """``color`` at ``alpha`` over ``background``, as an opaque hex colour."""
    a, b = ([int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in (color, background))
    mixed = (round(alpha * x + (1 - alpha) * y) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _width_px(text: str, size_pt: float) -> float:
    """A slightly generous estimate of a line's width: DejaVu Sans averages about 0.55 em
    a character in these texts (digits 0.64, "/" 0.34, lowercase ~0.55)."""
    return len(text) * 0.6 * size_pt * DPI / 72


def _drawable(text: str) -> str:
    """``text`` without the characters the font lacks (emoji in a channel name, say),
    which would be drawn as boxes with a warning. Loads matplotlib."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    fonts = [get_font(findfont(FontProperties(weight=w))) for w in ("normal", "bold")]
    kept = (c for c in text if c.isspace() or all(f.get_char_index(ord(c)) for f in fonts))
    return " ".join("".join(kept).split())


def draw_timeline(
    stays: Sequence[Stay], *, phases: Sequence[tuple[int, str]], now: datetime, title: str
) -> bytes:
    """A PNG picture of a project's stays in its phases over time.

    ``phases`` lists every phase of the content as (number, name), in order: each gets a
    row, visited or not. Stays may be given in any order; a stay whose ``end`` is None
    is open up to ``now``. Returns the PNG file's bytes (RGB, opaque).
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    # The Figure is registered nowhere (no pyplot): it is garbage once this returns.
    canvas = FigureCanvasAgg(_figure(stays, phases, now, title))
    canvas.draw()  # type: ignore[no-untyped-call]
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def _figure(
    stays: Sequence[Stay], phases: Sequence[tuple[int, str]], now: datetime, title: str
) -> Figure:
    """The picture as a matplotlib Figure, without a canvas."""
    from matplotlib.collections import PolyCollection
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num, num2date
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ordered = sorted(stays, key=lambda s: s.start)
    names = dict(phases)
    if lost := sorted({s.phase_number for s in ordered} - names.keys()):
        log.warning("timeline: stays in phases %s that the content does not list", lost)
        names |= {s.phase_number: s.phase_name for s in ordered if s.phase_number in lost}
    row_of = {number: row for row, number in enumerate(names)}
    current = next((s for s in reversed(ordered) if s.end is None), None)
    current_row = None if current is None else row_of[current.phase_number]
    n = max(1, len(names))  # no phases at all: one empty row
    height = figure_height_px(n)
    plot_h = height - _TOP_PX - _BOTTOM_PX
    row_pt = max(6.0, min(10.0, plot_h / n * 0.42))
    bar_pt = min(8.5, row_pt)
    labels = [f"{_clip(_drawable(name), 28)} · {number}" for number, name in names.items()]
    if current_row is not None:
        labels[current_row] = f"▶ {labels[current_row]}"
    widest = max((_width_px(t, row_pt) * 1.1 for t in labels), default=0.0)
    left = int(min(290, max(110, widest + 44)))
    plot_w = WIDTH_PX - left - _RIGHT_PX

    # The time axis in matplotlib's date numbers (days): from the first move to now (the
    # last move if the clock is behind it), at least 10 s, and 40 px for "now" after it.
    end = max([now, *(s.start for s in ordered), *(s.end for s in ordered if s.end)])
    x_end = float(date2num(end))  # type: ignore[no-untyped-call]

    def day(moment: datetime) -> float:  # plain arithmetic: date2num per stay costs more
        return x_end + (moment - end).total_seconds() / 86400

    span = max(x_end - day(ordered[0].start if ordered else end - timedelta(days=1)), 1e-4)
    px = (plot_w - 54) / span  # pixels per day
    xlim = (x_end - span - 14 / px, x_end + 40 / px)
    bars = [  # (stay, row, start, width): a stay of no length is still 2 px wide
        (s, row_of[s.phase_number], day(s.start), max(day(s.end or end) - day(s.start), 2 / px))
        for s in ordered
    ]

    size = (WIDTH_PX / DPI, height / DPI)
    fig = Figure(size, dpi=DPI, facecolor=CARD, edgecolor=CARD_EDGE, linewidth=2.0)
    ax = fig.add_axes((left / WIDTH_PX, _BOTTOM_PX / height, plot_w / WIDTH_PX, plot_h / height))
    ax.set(facecolor=CARD, xlim=xlim, ylim=(n - 0.5, -0.5), yticks=[])
    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.spines["bottom"].set_color(GRID)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", colors=GRID, labelcolor=MUTED, labelsize=9)
    # matplotlib's concise UTC date labels; the offset under them ("2024 Mar UTC") names
    # only the year, month and day that the whole axis lies in.
    lo, hi = (num2date(x, tz=UTC) for x in xlim)  # type: ignore[no-untyped-call]
    same = sum(lo.strftime(f) == hi.strftime(f) for f in ("%Y", "%Y%m", "%Y%m%d"))
    offsets = [" ".join([*["%Y", "%b", "%d"][: min(same, i)], "UTC"]) for i in (0, 1, 2, 3, 3, 3)]
    # Seconds carry their hour and minute ("09:30:05", not a bare "05"); day numbers
    # stand next to their month, named under the axis.
    formats = ["%Y", "%b", "%d", "%H:%M", "%H:%M", "%H:%M:%S"]
    zeros = ["", "%Y", "%b", "%b-%d", "%H:%M", "%H:%M:%S"]
    locator = AutoDateLocator(tz=UTC, minticks=4, maxticks=11)  # type: ignore[no-untyped-call]
    dates = ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator, tz=UTC, formats=formats, zero_formats=zeros, offset_formats=offsets
    )
    ax.xaxis.set(major_locator=locator, major_formatter=dates)
    ax.xaxis.get_offset_text().set_fontsize(10)

    # Phase names at the left of their rows, every other row striped.
    visited = {row for _, row, _, _ in bars}
    left_of_rows = ax.get_yaxis_transform()  # x: 0 (left) to 1 (right of the plot); y: rows
    row_style: dict[str, Any] = dict(ha="right", va="center", transform=left_of_rows, size=row_pt)
    for row, label in enumerate(labels):
        color = TEXT if row in visited else DIM
        weight = "bold" if row == current_row else "normal"
        ax.text(-10 / plot_w, row, label, color=color, weight=weight, **row_style)
        if row % 2:
            ax.axhspan(row - 0.5, row + 0.5, color=STRIPE, linewidth=0, zorder=0.1)

    # The stays: one collection per kind of finished bar; the current one hatched, "now".
    half = 0.32
    for rework, color in ((False, STAY), (True, REWORK)):
        boxes = [
            [(x, r - half), (x, r + half), (x + w, r + half), (x + w, r - half)]
            for s, r, x, w in bars
            if s.rework == rework and s is not current
        ]
        kind = PolyCollection(boxes, color=color, linewidth=0, antialiased=False, zorder=2)
        ax.add_collection(kind, autolim=False)
    edge_color = REWORK if current is not None and current.rework else STAY
    face = _blend(edge_color, CARD, 0.3)
    hatched: dict[str, Any] = dict(facecolor=face, edgecolor=edge_color, hatch="///")
    for s, r, x, w in bars:
        if s is current:
            bar = Rectangle((x, r - half), w, 2 * half, linewidth=1.2, zorder=2.1, **hatched)
            ax.add_patch(bar).set_antialiased(False)
            ax.text(x + w + 4 / px, r, "now", va="center", color=NOW, size=bar_pt, weight="bold")
    ax.axvline(x_end, color=NOW, linewidth=1.2, linestyle=(0, (1.5, 2)), zorder=1.2)

    # Ticked counts on the bars wide enough for them, at most MAX_BAR_LABELS (the widest).
    counts = []
    for s, r, x, w in bars:
        text = ("↺ " if s.rework else "") + f"{s.ticked}/{s.activities}"
        if s.activities > 0 and w * px >= _width_px(text, bar_pt) + 10:
            counts.append((w, s, r, x, text))
    boxed = {"boxstyle": "round,pad=0.25", "facecolor": CARD, "alpha": 0.85, "linewidth": 0}
    for w, s, r, x, text in sorted(counts, key=lambda c: -c[0])[:MAX_BAR_LABELS]:
        color, box = (TEXT, boxed) if s is current else (ON_BAR, None)
        ax.text(x + w / 2, r, text, ha="center", va="center", size=bar_pt, color=color, bbox=box)

    # Iteration starts: a tick above the plot each, a label where there is room (the latest
    # first; at the card's right edge a label ends at its line), and a dashed line across
    # the plot where labelled, or at every start when they are few.
    starts = [(x, s.iteration) for s, _, x, _ in bars if s.new_iteration and s.iteration > 1]
    dashed = [x for x, _ in starts] if len(starts) <= _FEW_ITERATIONS else []
    edge = xlim[1] + (_RIGHT_PX - 8) / px
    limit = edge + 10 / px  # a label ends 10 px before the next one to its right
    above = ax.get_xaxis_transform()  # x: dates; y: 0 (bottom) to 1 (top of the plot)
    for x, number in reversed(starts):
        text = f"iteration {number}"
        width = (_width_px(text, 8.5) + 3) / px
        right = x + width > edge
        if (x if right else x + width) + 10 / px <= limit:
            limit = x - width if right else x
            dashed.append(x)
            ha, dx = ("right", -3 / px) if right else ("left", 3 / px)
            y = 1 + 7 / plot_h
            ax.text(x + dx, y, text, transform=above, ha=ha, va="bottom", size=8.5, color=ITERATION)
    iterations: dict[str, Any] = dict(transform=above, colors=ITERATION, zorder=1.5)
    ax.vlines(sorted(set(dashed)), 0, 1, linestyles=_DASH, **iterations)
    tick = 1 + 6 / plot_h
    ax.vlines([x for x, _ in starts], 1, tick, clip_on=False, **iterations)

    # Title and summary line at the top left, the legend (of what is drawn) at the right.
    legend = [
        (Patch(facecolor=STAY), "stay", any(not s.rework for s in ordered if s is not current)),
        (Patch(facecolor=REWORK), "↺ rework", any(s.rework for s in ordered)),
        (Patch(**hatched), "▶ current", current is not None),
        (Line2D([], [], color=ITERATION, linestyle=_DASH), "iteration", bool(starts)),
    ]
    if shown := [(handle, text) for handle, text, drawn in legend if drawn]:
        fig.legend(*zip(*shown, strict=True), ncols=len(shown), **_LEGEND)
    top = 1 - 16 / height
    headline = _clip(_drawable(title), 48)
    fig.text(22 / WIDTH_PX, top, headline, va="top", size=15, color=TEXT, weight="bold")
    subtitle = summary_line(summarize(ordered, now=now))
    fig.text(22 / WIDTH_PX, top - 28 / height, subtitle, va="top", size=10, color=MUTED)
    for t in [*fig.texts, *ax.texts]:
        t.set_parse_math(False)  # a "$" in a name is a dollar, not mathtext
    return fig
