"""The one place that turns settings into a working registry.

Nothing connects to a database at import time; entry points call this.
"""

from __future__ import annotations

from registry.application import PartnerRegistry
from registry.clock import today_in
from registry.config import Settings, persistence_env


def build_registry(settings: Settings) -> PartnerRegistry:
    """Open the configured event store (creating its tables if missing)."""
    return PartnerRegistry(
        env=persistence_env(settings), today=today_in(settings.registry_timezone)
    )
