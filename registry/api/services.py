"""What the API's routes use, opened once per process and closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from projections.storage.queries import ReadModelQueries
from registry.adapters.checkpoint_store import CheckpointStore
from registry.adapters.log_store import LogStore
from registry.adapters.sqldb import Database
from registry.adapters.tokens import RecentTokens, TokenStore
from registry.api.feed_files import FeedFiles
from registry.api.metrics import ApiMetrics
from registry.api.oidc import IdentityProvider
from registry.api.read_model_changes import ReadModelChanges
from registry.api.readiness import Readiness
from registry.api.sessions import Sessions
from registry.bootstrap import (
    build_read_models,
    build_registry,
    open_database,
    read_model_changes_wakeup,
)
from registry.config import Settings
from registry.service.application import PartnerRegistry


@dataclass
class Services:
    """The registry, the read models and their changes, the tokens, the feeds, the metrics."""

    settings: Settings
    registry: PartnerRegistry
    read_models: ReadModelQueries
    read_model_changes: ReadModelChanges
    store_db: Database
    tokens: RecentTokens
    checkpoints: CheckpointStore
    log: LogStore
    feeds: FeedFiles
    readiness: Readiness
    metrics: ApiMetrics
    sessions: Sessions
    identity_provider: IdentityProvider | None

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Connect to everything the API needs."""
        registry = build_registry(settings)
        read_models = build_read_models(settings)
        store_db = open_database(settings.database_url.get_secret_value(), settings)
        token_store = TokenStore(store_db)
        token_store.setup()
        checkpoints = CheckpointStore(store_db)
        checkpoints.setup()
        log = LogStore(store_db)
        log.setup()
        feeds = FeedFiles(Path(settings.feed_dir))
        readiness = Readiness(settings, registry, store_db, read_models, feeds)
        return cls(
            settings=settings,
            registry=registry,
            read_models=read_models,
            read_model_changes=ReadModelChanges(lambda: read_model_changes_wakeup(settings)),
            store_db=store_db,
            tokens=RecentTokens(token_store),
            checkpoints=checkpoints,
            log=log,
            feeds=feeds,
            readiness=readiness,
            metrics=ApiMetrics(readiness),
            sessions=Sessions(settings),
            identity_provider=IdentityProvider(settings) if settings.oidc_issuer else None,
        )

    def close(self) -> None:
        """Release every connection."""
        self.readiness.stop()
        self.read_model_changes.stop()
        self.registry.close()
        self.read_models.close()
        self.store_db.close()
