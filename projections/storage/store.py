"""The read models as one object, for the composition root to build once.

Parts are given the narrow side they use: the runner and the rebuild a
``ReadModelWriter``, the API, the feed publisher and the auditors
``ReadModelQueries``.
"""

from __future__ import annotations

from projections.storage.queries import ReadModelQueries
from projections.storage.writer import ReadModelWriter


class ReadModelStore(ReadModelWriter, ReadModelQueries):
    """Both sides of the read models over one database."""
