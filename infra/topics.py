"""Reading the topic declarations of ``infra/topics.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files

EVENTS = "partner-events"
STATE = "partner-state"
DEAD_LETTER = "partner-events-dead-letter"
CHECKPOINTS = "partner-checkpoints"


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it is to exist on the cluster."""

    name: str
    partitions: int
    config: dict[str, str]
    description: str


def declared_topics(prefix: str = "") -> dict[str, TopicSpec]:
    """Every declared topic by its unprefixed name, with the prefix applied."""
    text = (files(__package__) / "topics.toml").read_text(encoding="utf-8")
    declared = tomllib.loads(text)["topics"]
    return {
        key: TopicSpec(
            name=f"{prefix}{key}",
            partitions=int(spec["partitions"]),
            config={str(k): str(v) for k, v in spec.get("config", {}).items()},
            description=str(spec["description"]),
        )
        for key, spec in declared.items()
    }
