"""Keeping the cycle collector out of the way of a process that handles records by the thousand.

Every record a part handles leaves dozens of short-lived containers behind
(the Kafka client's parsed records, JSON objects, tuples), so at CPython's
default threshold (a collection every 700 net allocations) the collector
ran thousands of times in a 200,000-event replay, and each of its full
collections walked every object the start-up had left: the modules, the
schemas, the web framework. Measured with ``gc.callbacks`` (2026-12-03):
1.9 s of the replay's 11 s and 1.5 s of its reading child's, 2.4 s of the
relay's 13.7 s draining 40,000 events.

What exists once a process has started lives as long as the process, so it
is moved out of the collector's sight (after one last collection, so that no
garbage is kept with it), and the young generation is collected every
YOUNG allocations instead of 700: reference cycles are rare in this code, so
what waits to be found stays small, and the collections that remain find it.
"""

from __future__ import annotations

import gc

YOUNG = 20_000
OLDER = 20


def settle() -> None:
    """Freeze what start-up built and collect the young generation less often; call once started."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
