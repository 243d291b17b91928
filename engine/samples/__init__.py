"""A small finished run shipped with the package, so `aitelephone-tui --demo` has something to show at once,
with no model to load and no network: three 12-turn games of the offline pair (an easy, a medium and a hard
prompt of the catalog), images included.

It was recorded with ``aitelephone play --turns 12 --prompt-id ID --out engine/samples/demo`` for ``apple``,
``astronaut`` and ``marketplace`` (the run's writer lock left out); it is a recording, so later changes to the
models do not change it.
"""

from __future__ import annotations

from pathlib import Path

_SAMPLE_RUN = Path(__file__).parent / "demo"


def sample_run() -> Path:
    """The shipped sample run folder (read it; never write to it)."""
    return _SAMPLE_RUN
