"""Made-up project histories for the timeline tests, its benchmark and its docs example.

Deterministic: the same arguments give the same stays, so pictures drawn from them are
the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.core.timeline import Stay

SDLC: tuple[tuple[int, str, str, int], ...] = (
    (1, "planning", "Planning", 5),
    (2, "analysis", "Analysis", 4),
    (3, "design", "Design", 5),
    (4, "implementation", "Implementation (Coding)", 3),
    (5, "testing", "Testing", 3),
    (6, "deployment", "Deployment", 3),
    (7, "maintenance", "Maintenance and Support", 4),
    (8, "retirement", "Retirement/Phase-out", 3),
)
"""The bundled content's phases: (number, key, name, number of activities)."""

START = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)


def phase_list(phases: Sequence[tuple[int, str, str, int]] = SDLC) -> list[tuple[int, str]]:
    return [(number, name) for number, _, name, _ in phases]


def many_phases(count: int) -> tuple[tuple[int, str, str, int], ...]:
    """A content with ``count`` phases, some with long names."""
    return tuple(
        (i, f"phase-{i}", f"Phase {i}" if i % 3 else f"Phase {i}: review and sign-off", 2 + i % 5)
        for i in range(1, count + 1)
    )


def stay(
    number: int,
    start: datetime,
    end: datetime | None,
    *,
    iteration: int = 1,
    new_iteration: bool = False,
    rework: bool = False,
    ticked: int = 0,
    phases: Sequence[tuple[int, str, str, int]] = SDLC,
) -> Stay:
    _, key, name, activities = phases[number - 1]
    return Stay(
        phase_key=key,
        phase_name=name,
        phase_number=number,
        start=start,
        end=end,
        iteration=iteration,
        new_iteration=new_iteration,
        rework=rework,
        ticked=ticked,
        activities=activities,
    )


def history(
    moves: int,
    *,
    seed: int = 7,
    start: datetime = START,
    median_hours: float = 30.0,
    phases: Sequence[tuple[int, str, str, int]] = SDLC,
) -> tuple[list[Stay], datetime]:
    """``moves`` stays of a project that iterates (Testing or Deployment back to the first
    phase), now and then moves back a phase or two (rework) or twice in a row (a stay of
    zero length), and is still in its last phase. Returns the stays and ``now``."""
    rng = random.Random(seed)
    last = len(phases)
    stays: list[Stay] = []
    number, iteration, t = 1, 1, start
    new_iteration = rework = False
    for i in range(moves):
        if i:
            new_iteration = rework = False
            roll = rng.random()
            if number >= min(5, last) and roll < 0.45:
                number, iteration, new_iteration = 1, iteration + 1, True
            elif number > 1 and roll > 0.88:
                number, rework = max(1, number - rng.choice((1, 1, 2))), True
            else:
                number = min(number + 1, last)
        hours = 0.0 if rng.random() < 0.03 else rng.lognormvariate(0, 1.0) * median_hours
        end = t + timedelta(hours=hours)
        activities = phases[number - 1][3]
        ticked = activities if rng.random() < 0.6 else rng.randint(0, activities)
        stays.append(
            stay(
                number,
                t,
                end,
                iteration=iteration,
                new_iteration=new_iteration,
                rework=rework,
                ticked=ticked,
                phases=phases,
            )
        )
        t = end
    if stays:
        current = stays[-1]
        stays[-1] = Stay(
            phase_key=current.phase_key,
            phase_name=current.phase_name,
            phase_number=current.phase_number,
            start=current.start,
            end=None,
            iteration=current.iteration,
            new_iteration=current.new_iteration,
            rework=current.rework,
            ticked=min(current.ticked, 1),
            activities=current.activities,
        )
    return stays, t
