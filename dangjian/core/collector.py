"""The cyclic garbage collector, as a server process wants it.

CPython starts a young-generation collection every 700 container allocations and a full one
(the whole heap: Django, the apps, ~290,000 objects) every 70,000. A county page that builds
tens of thousands of rows, cells and strings set off several full collections per request, so
the same page took 200 ms on one request and 550 ms on the next (``bench_pages``: p95 twice the
p50). Almost nothing a request allocates is cyclic; reference counting frees it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections after 50,000 allocations, not 700; the older generations as CPython's
# ratios scaled down (a full collection still follows its own 25 % growth rule).
SERVING_THRESHOLDS = (50_000, 20, 100)


def tune_for_serving() -> None:
    """Set the thresholds a web or benchmark process runs with (``config/wsgi.py``)."""
    gc.set_threshold(*SERVING_THRESHOLDS)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the collector for a block that allocates a great many acyclic objects (an
    import's rows): reference counting still frees them; the collector resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
