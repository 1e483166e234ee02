"""The timeline picture and its summary (bot/core/timeline.py)."""

from __future__ import annotations

import gc
import io
import math
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from PIL import Image

from bot.core import timeline as tl
from bot.core.timeline import (
    Stay,
    TimelineSummary,
    draw_timeline,
    format_duration,
    summarize,
    summary_text,
)
from tests.conftest import REPO
from tests.core import timeline_data as data

T = data.START
H = 3600.0
DARK, LIGHT = "#313338", "#ffffff"


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def rgb(color: str) -> tuple[int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def draw(
    stays: Sequence[Stay],
    now: datetime,
    phases: Sequence[tuple[int, str, str, int]] = data.SDLC,
    title: str = "#apollo",
) -> Image.Image:
    png = draw_timeline(stays, phases=data.phase_list(phases), now=now, title=title)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def waterfall() -> tuple[list[Stay], datetime]:
    """Planning 10 h, Analysis 10 h, back to Planning (rework) 5 h, Analysis open 5 h."""
    stays = [
        data.stay(1, at(0), at(10 * H), ticked=5),
        data.stay(2, at(10 * H), at(20 * H), ticked=2),
        data.stay(1, at(20 * H), at(25 * H), rework=True, ticked=5),
        data.stay(2, at(25 * H), None, ticked=3),
    ]
    return stays, at(30 * H)


def row_pixels(image: Image.Image, row: int, rows: int = 8) -> list[tuple[int, int, int]]:
    """The pixels across the middle of a phase row (from the layout constants)."""
    top = tl._TOP_PX
    axes_h = image.height - tl._TOP_PX - tl._BOTTOM_PX
    y = round(top + (row + 0.5) * axes_h / rows)
    pixels = image.convert("RGB").load()
    assert pixels is not None
    return [pixels[x, y] for x in range(image.width)]  # type: ignore[misc]


def runs(pixels: list[tuple[int, int, int]], color: str) -> list[tuple[int, int]]:
    """(first, last) x of each run of exactly this colour."""
    want = rgb(color)
    found: list[tuple[int, int]] = []
    for x, p in enumerate(pixels):
        if p == want:
            if found and found[-1][1] == x - 1:
                found[-1] = (found[-1][0], x)
            else:
                found.append((x, x))
    return found


ROW_LABEL = re.compile(r" · \d+$")  # "Planning · 1"


def texts(stays: Sequence[Stay], now: datetime) -> list[str]:
    """The texts drawn on the plot (phase names, counts, "now", iteration labels)."""
    fig = tl._figure(stays, data.phase_list(), now, "x")
    return [t.get_text() for t in fig.axes[0].texts]


def counts(found: list[str]) -> list[str]:
    return [t for t in found if re.fullmatch(r"(↺ )?\d+/\d+", t)]


def iteration_labels(found: list[str]) -> list[str]:
    return [t for t in found if t.startswith("iteration ")]


def row_labels(found: list[str]) -> list[str]:
    return [t for t in found if ROW_LABEL.search(t)]


@pytest.fixture(autouse=True)
def _no_warnings() -> Iterator[None]:
    """Every drawing here is warning-free (a missing glyph would warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# -- import cost ----------------------------------------------------------------------------


def test_importing_the_module_loads_no_plotting_library() -> None:
    code = (
        "import sys\n"
        "import bot.core.timeline\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'numpy', 'PIL'})\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_drawing_uses_no_pyplot() -> None:
    code = (
        "import sys\n"
        "from tests.core import timeline_data as d\n"
        "from bot.core.timeline import draw_timeline\n"
        "stays, now = d.history(20)\n"
        "draw_timeline(stays, phases=d.phase_list(), now=now, title='x')\n"
        "print('matplotlib' in sys.modules, 'matplotlib.pyplot' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "False"]


# -- the picture ----------------------------------------------------------------------------


def test_png_is_an_opaque_card_of_fixed_size() -> None:
    stays, now = waterfall()
    png = draw_timeline(stays, phases=data.phase_list(), now=now, title="#apollo")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1200, 520)
    assert image.mode == "RGB"  # no alpha channel: the same on dark and light themes
    assert image.getpixel((600, 10)) == rgb(tl.CARD)


def test_picture_is_not_blank() -> None:
    image = draw(*waterfall())
    colors = image.getcolors(maxcolors=1_000_000)
    assert colors is not None
    assert len(colors) > 50  # text is antialiased; a blank card has one colour
    present = {c for _, c in colors}
    for color in (tl.CARD, tl.STAY, tl.REWORK, tl.TEXT, tl.STRIPE):
        assert rgb(color) in present, color


def test_bars_are_where_the_stays_are() -> None:
    image = draw(*waterfall())
    planning, analysis = row_pixels(image, 0), row_pixels(image, 1)
    stay_runs = runs(planning, tl.STAY)
    rework_runs = runs(planning, tl.REWORK)
    assert stay_runs and rework_runs
    # Planning: 0-10 h, then (rework) 20-25 h of a 30 h axis.
    first = (stay_runs[0][0], stay_runs[-1][1])
    per_hour = (first[1] - first[0]) / 10
    assert per_hour > 20  # ~27 px per hour on a 30 h axis
    rework_start = rework_runs[0][0]
    assert rework_start == pytest.approx(first[0] + 20 * per_hour, abs=3)
    assert rework_runs[-1][1] == pytest.approx(first[0] + 25 * per_hour, abs=3)
    # Analysis: finished 10-20 h (solid), open 25 h - now (hatched, no solid run there).
    done = runs(analysis, tl.STAY)
    assert done[0][0] == pytest.approx(first[0] + 10 * per_hour, abs=3)
    solid_end = max(end for start, end in done if end - start > 10)
    assert solid_end == pytest.approx(first[0] + 20 * per_hour, abs=3)
    # Rows never visited carry no bar.
    for row in range(2, 8):
        assert not runs(row_pixels(image, row), tl.STAY)
        assert not runs(row_pixels(image, row), tl.REWORK)


def test_current_stay_is_hatched_and_labelled_now() -> None:
    image = draw(*waterfall())
    analysis = row_pixels(image, 1)
    face = tl._blend(tl.STAY, tl.CARD, 0.3)
    hatch_face = runs(analysis, face)
    assert hatch_face, "the open stay has a lighter, hatched face"
    planning_runs = runs(row_pixels(image, 0), tl.STAY)
    per_hour = (planning_runs[-1][1] - planning_runs[0][0]) / 10
    open_from = planning_runs[0][0] + 25 * per_hour
    assert min(s for s, _ in hatch_face) >= open_from - 3
    # "now" in yellow just after the open end, on the same row.
    yellow = [x for x, p in enumerate(analysis) if p == rgb(tl.NOW)]
    assert yellow and max(yellow) > open_from + 5 * per_hour


def test_finished_history_has_no_hatched_stay() -> None:
    stays, now = waterfall()
    closed = [*stays[:-1], data.stay(2, stays[-1].start, now, ticked=3)]
    image = draw(closed, now)
    assert not runs(row_pixels(image, 1), tl._blend(tl.STAY, tl.CARD, 0.3))


def test_one_move() -> None:
    image = draw([data.stay(1, at(0), None)], at(60))
    assert image.size == (1200, 520)
    assert runs(row_pixels(image, 0), tl._blend(tl.STAY, tl.CARD, 0.3))


def test_no_moves_yet() -> None:
    image = draw([], T)
    assert image.size == (1200, 520)
    assert not runs(row_pixels(image, 0), tl.STAY)


def test_no_phases_at_all() -> None:
    png = draw_timeline([], phases=[], now=T, title="#apollo")
    assert Image.open(io.BytesIO(png)).size == (1200, 520)


def test_clock_behind_the_last_move() -> None:
    # `now` before the last move (clocks disagree): the plot ends at the last move, where
    # "now" is drawn, not before it.
    from matplotlib.dates import date2num

    stays = [data.stay(1, at(0), at(2 * H)), data.stay(2, at(2 * H), None)]
    fig = tl._figure(stays, data.phase_list(), at(0), "x")
    now_line = fig.axes[0].lines[-1]
    last_move = date2num(at(2 * H))  # type: ignore[no-untyped-call]
    assert now_line.get_xdata()[0] == pytest.approx(last_move)  # type: ignore[index]
    assert "now" in [t.get_text() for t in fig.axes[0].texts]
    assert draw(stays, at(0)).size == (1200, 520)


@pytest.mark.parametrize(
    "stays",
    [
        [data.stay(1, at(0), at(0)), data.stay(2, at(0), at(0)), data.stay(3, at(0), None)],
        [data.stay(1, at(0), None)],  # moved at `now` exactly
        [data.stay(1, at(5), at(2)), data.stay(2, at(2), None)],  # ends before it starts
    ],
    ids=["all-at-once", "just-now", "clock-skew"],
)
def test_zero_length_stays_are_drawn_as_slivers(stays: list[Stay]) -> None:
    image = draw(stays, at(0))
    assert image.size == (1200, 520)
    first_row = row_pixels(image, 0)
    assert any(p in (rgb(tl.STAY), rgb(tl._blend(tl.STAY, tl.CARD, 0.3))) for p in first_row)


def test_seconds_apart_and_years_apart() -> None:
    seconds = [data.stay(1, at(0), at(2)), data.stay(2, at(2), at(3)), data.stay(3, at(3), None)]
    years = [
        data.stay(1, at(0), at(400 * 86400)),
        data.stay(2, at(400 * 86400), at(900 * 86400)),
        data.stay(3, at(900 * 86400), None),
    ]
    for stays, now in ((seconds, at(4)), (years, at(1400 * 86400))):
        image = draw(stays, now)
        assert runs(row_pixels(image, 0), tl.STAY)
        assert runs(row_pixels(image, 1), tl.STAY)


@pytest.mark.parametrize(("count", "height"), [(8, 520), (9, 544), (12, 616), (20, 808), (60, 820)])
def test_height_grows_a_little_with_many_phases(count: int, height: int) -> None:
    phases = data.many_phases(count)
    stays, now = data.history(40, phases=phases)
    image = draw(stays, now, phases)
    assert image.size == (1200, height)
    assert tl.figure_height_px(count) == height
    assert runs(row_pixels(image, 0, rows=count), tl.STAY)


def test_empty_phases_still_get_a_row() -> None:
    # Only the first two of 20 phases visited: the last row is still there (stripe).
    phases = data.many_phases(20)
    stays = [data.stay(1, at(0), at(H), phases=phases), data.stay(2, at(H), None, phases=phases)]
    image = draw(stays, at(2 * H), phases)
    last = row_pixels(image, 19, rows=20)
    assert rgb(tl.STRIPE) in last  # odd rows are striped, row 19 is the 20th
    fig = tl._figure(stays, data.phase_list(phases), at(2 * H), "x")
    rows = [t for t in fig.axes[0].texts if ROW_LABEL.search(t.get_text())]
    assert len(rows) == 20
    assert [t.get_color() for t in rows] == [tl.TEXT] * 2 + [tl.DIM] * 18


def test_a_stay_in_a_phase_the_content_lost_gets_its_own_row() -> None:
    nine = data.many_phases(9)
    stays = [data.stay(1, at(0), at(H)), data.stay(9, at(H), None, phases=nine)]
    rows = row_labels(texts(stays, at(2 * H)))
    assert len(rows) == 9
    assert rows[-1].startswith("▶ Phase 9")
    assert draw(stays, at(2 * H)).size == (1200, 544)


def test_500_moves_stay_small_and_readable() -> None:
    stays, now = data.history(500)
    png = draw_timeline(stays, phases=data.phase_list(), now=now, title="#apollo")
    assert len(png) < 300_000
    found = texts(stays, now)
    assert len(counts(found)) <= tl.MAX_BAR_LABELS
    labelled = iteration_labels(found)
    assert 3 <= len(labelled) < 20 < max(s.iteration for s in stays)
    assert labelled[0] == f"iteration {max(s.iteration for s in stays)}"  # the latest first


def test_counts_only_on_bars_with_room() -> None:
    stays, now = waterfall()
    found = texts(stays, now)
    assert sorted(counts(found)) == ["2/4", "3/4", "5/5", "↺ 5/5"]
    assert "now" in found
    # Stays of a second on an axis of days: no room on them; the current one (0/5) has.
    tight = [
        data.stay(1, at(0), at(1), ticked=1),
        data.stay(2, at(1), at(2), ticked=1),
        data.stay(1, at(2), None),
    ]
    assert counts(texts(tight, at(5 * 86400))) == ["0/5"]


def test_iterations_are_marked_and_labelled_where_there_is_room() -> None:
    stays, now = data.history(50)
    starts = [s for s in stays if s.new_iteration]
    fig = tl._figure(stays, data.phase_list(), now, "x")
    ticks = fig.axes[0].collections[-1]  # a tick above the plot at every start
    assert len(ticks.get_segments()) == len(starts)  # type: ignore[attr-defined]
    labelled = iteration_labels([t.get_text() for t in fig.axes[0].texts])
    assert len(labelled) >= 3
    assert labelled[0] == f"iteration {starts[-1].iteration}"
    image = draw(stays, now)
    colors = {c for _, c in image.getcolors(maxcolors=1_000_000) or []}
    assert rgb(tl.ITERATION) in colors


def test_unsorted_stays_draw_the_same_picture() -> None:
    stays, now = data.history(30)
    shuffled = stays[::2] + stays[1::2]
    one = draw_timeline(stays, phases=data.phase_list(), now=now, title="t")
    two = draw_timeline(shuffled, phases=data.phase_list(), now=now, title="t")
    assert one == two


def test_text_with_emoji_and_dollars_draws_without_warnings() -> None:
    # Emoji are not in DejaVu Sans (they would be boxes and a warning); $...$ is not math
    # (here it would not even parse) in the title nor in a phase name.
    phases = (*data.SDLC[:7], (8, "retirement", r"Retire $\frac{1}{$ 🚀", 3))
    stays, now = waterfall()
    image = draw(stays, now, phases, title=r"🚀 launch-pad ✅ $\frac{1}{$ costs")
    assert image.size == (1200, 520)
    assert tl._drawable("🚀 launch-pad ✅") == "launch-pad"
    assert tl._drawable("↺ ▶ · → …") == "↺ ▶ · → …"


def test_a_missing_glyph_would_warn() -> None:
    """The autouse filter makes that warning an error, so every drawing here proves that
    all its characters are in the font (↺ ▶ · … included)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = tl._figure([], data.phase_list(), T, "x")
    fig.text(0.5, 0.5, "x 🚀")
    with pytest.raises(UserWarning, match="missing from font"):
        FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]


def test_figures_are_freed() -> None:
    from matplotlib.figure import Figure

    stays, now = data.history(50)
    draw_timeline(stays, phases=data.phase_list(), now=now, title="warm-up")
    gc.collect()
    before = sum(isinstance(o, Figure) for o in gc.get_objects())
    for _ in range(3):
        draw_timeline(stays, phases=data.phase_list(), now=now, title="again")
    gc.collect()
    assert sum(isinstance(o, Figure) for o in gc.get_objects()) == before


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        draw_timeline([], phases=data.phase_list(), now=datetime(2024, 1, 1), title="x")


# -- colours --------------------------------------------------------------------------------


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    ("fg", "bg", "least"),
    [
        (tl.TEXT, tl.CARD, 7.0),
        (tl.TEXT, tl.STRIPE, 7.0),
        (tl.MUTED, tl.CARD, 4.5),
        (tl.DIM, tl.STRIPE, 4.5),  # unvisited phases: dimmer, still readable
        (tl.ITERATION, tl.CARD, 4.5),
        (tl.NOW, tl.CARD, 4.5),
        (tl.ON_BAR, tl.STAY, 4.5),
        (tl.ON_BAR, tl.REWORK, 4.5),
        (tl.STAY, tl.CARD, 3.0),  # graphics: WCAG 1.4.11
        (tl.REWORK, tl.CARD, 3.0),
        (tl.CARD, LIGHT, 3.0),  # the card stands out on Discord's light theme
        (tl.CARD_EDGE, DARK, 1.4),  # and its edge shows on the dark one
    ],
)
def test_contrast(fg: str, bg: str, least: float) -> None:
    assert contrast(fg, bg) >= least


def simulate(color: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, ...]:
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    lin = [linear(c) for c in rgb(color)]
    return tuple(sum(m * v for m, v in zip(row, lin, strict=True)) for row in matrix)


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
PROTANOPIA = ((0.152, 1.053, -0.205), (0.115, 0.786, 0.099), (-0.004, -0.048, 1.052))
DEUTERANOPIA = ((0.367, 0.861, -0.228), (0.280, 0.673, 0.047), (-0.012, 0.043, 0.969))
TRITANOPIA = ((1.256, -0.077, -0.179), (-0.078, 0.931, 0.148), (0.005, 0.691, 0.304))


@pytest.mark.parametrize("matrix", [PROTANOPIA, DEUTERANOPIA, TRITANOPIA])
def test_stay_and_rework_differ_for_colour_blind_eyes(
    matrix: tuple[tuple[float, ...], ...],
) -> None:
    for a, b in ((tl.STAY, tl.REWORK), (tl.STAY, tl.ITERATION), (tl.REWORK, tl.ITERATION)):
        distance = math.dist(simulate(a, matrix), simulate(b, matrix))
        assert distance > 0.15, (a, b)


# -- summary ----------------------------------------------------------------------------------


def test_summarize_by_hand() -> None:
    # Design first (2 h), Planning (3 h), Design again as rework (1 h), Planning open (4 h).
    stays = [
        data.stay(3, at(0), at(2 * H)),
        data.stay(1, at(2 * H), at(5 * H)),
        data.stay(3, at(5 * H), at(6 * H), rework=True),
        data.stay(1, at(6 * H), None),
    ]
    summary = summarize(stays, now=at(10 * H))
    assert [(p.phase_key, p.seconds, p.stays) for p in summary.phases] == [
        ("planning", 7 * H, 2),
        ("design", 3 * H, 2),
    ]
    assert summary.seconds_in("planning") == 7 * H
    assert summary.seconds_in("testing") == 0
    assert summary.iterations == 1
    assert summary.reworks == 1
    assert summary.moves == 4
    assert summary.first_move == at(0)
    assert summary.last_move == at(6 * H)
    assert summary.total_seconds == 10 * H
    assert sum(p.seconds for p in summary.phases) == summary.total_seconds


def test_summarize_counts_iterations_and_reworks() -> None:
    stays, now = data.history(200)
    summary = summarize(stays, now=now)
    assert summary.iterations == max(s.iteration for s in stays) > 10
    assert summary.reworks == sum(s.rework for s in stays) > 5
    assert summary.moves == 200
    assert sum(p.stays for p in summary.phases) == 200
    assert [p.phase_number for p in summary.phases] == sorted(
        p.phase_number for p in summary.phases
    )
    assert sum(p.seconds for p in summary.phases) == pytest.approx(summary.total_seconds)


def test_summarize_nothing() -> None:
    summary = summarize([], now=T)
    assert summary == TimelineSummary((), 0, 0, 0, None, None, 0.0)
    assert summary_text(summary) == "No moves yet."


def test_summarize_never_counts_negative_time() -> None:
    stays = [data.stay(1, at(10), at(5)), data.stay(2, at(5), None)]
    summary = summarize(stays, now=at(0))
    assert all(p.seconds == 0 for p in summary.phases)


def test_summary_text() -> None:
    stays = [
        data.stay(1, at(0), at(2 * H)),
        data.stay(2, at(2 * H), at(3 * H + 20 * 60)),
        data.stay(1, at(3 * H + 20 * 60), at(4 * H), rework=True),
        data.stay(2, at(4 * H), None),
    ]
    text = summary_text(summarize(stays, now=at(2 * 86400 + 4 * H)))
    assert text.splitlines() == [
        "4 moves · 1 iteration · 1 rework · 2 d 4 h since the first move",
        "First move 2024-03-04 09:30 UTC · last move 2024-03-04 13:30 UTC",
        "Time per phase:",
        "  1 · Planning: 2 h 40 min (2 stays)",
        "  2 · Analysis: 2 d 1 h (2 stays)",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.9, "0 s"),
        (45, "45 s"),
        (59.99, "59 s"),
        (60, "1 min"),
        (12 * 60 + 59, "12 min"),
        (H, "1 h"),
        (3 * H + 20 * 60, "3 h 20 min"),
        (23 * H + 59 * 60 + 59, "23 h 59 min"),
        (86400, "1 d"),
        (2 * 86400 + 4 * H, "2 d 4 h"),
        (7 * 86400, "1 w"),
        (5 * 7 * 86400 + 2 * 86400, "5 w 2 d"),
        (5 * 7 * 86400 + 2 * 86400 + 23 * H, "5 w 2 d"),
        (3 * 365 * 86400, "156 w 3 d"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [-1, math.nan, math.inf])
def test_format_duration_refuses_what_is_not_a_duration(seconds: float) -> None:
    with pytest.raises(ValueError, match="duration"):
        format_duration(seconds)


def axis_labels(span: float) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    stays = [data.stay(1, at(0), at(span / 2)), data.stay(2, at(span / 2), None)]
    fig = tl._figure(stays, data.phase_list(), at(span), "x")
    FigureCanvasAgg(fig).draw()
    return [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]


@pytest.mark.parametrize("span", [20, 300, 3 * H, 3 * 86400])
def test_every_axis_label_says_its_unit(span: float) -> None:
    """A project a few seconds old was labelled "09:30, 05, 10, 15": seconds without
    their minute. Every label is a time of day, a day or a month, never a bare number
    whose unit the reader has to guess, except day numbers next to their month."""
    labels = axis_labels(span)
    assert len(labels) >= 3
    for label in labels:
        assert re.fullmatch(r"\d\d:\d\d(:\d\d)?|[A-Z][a-z]{2}(-\d\d)?", label), labels
