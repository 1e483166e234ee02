"""Regenerate docs/timeline.png: the /project timeline picture for a made-up project.

    python docs/make_timeline_example.py

Fixed data (``tests/core/timeline_data.py``, seed 7: 50 moves, iterations, rework and
the current stay open) and a fixed ``now``, so the same versions of matplotlib and
Pillow give the same bytes.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's bot/ and tests/

from bot.core.timeline import draw_timeline, summarize, summary_text  # noqa: E402
from tests.core import timeline_data as data  # noqa: E402

OUT = ROOT / "docs" / "timeline.png"


def main() -> None:
    stays, _ = data.history(50, seed=7)
    now = stays[-1].start + timedelta(days=4, hours=6)  # four days into the current phase
    png = draw_timeline(stays, phases=data.phase_list(), now=now, title="#project-apollo")
    OUT.write_bytes(png)
    print(f"{OUT.relative_to(ROOT)}: {len(png)} bytes")
    print(summary_text(summarize(stays, now=now)))


if __name__ == "__main__":
    main()
