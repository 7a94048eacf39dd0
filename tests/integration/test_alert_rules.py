"""The alert rules parse as PromQL and watch metrics the API really exposes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import promql_parser
import pytest
import yaml
from fastapi.testclient import TestClient

from consumers.parts.health import PartHealth
from consumers.read_side.rebuild import store_history
from registry.api.app import create_app
from registry.bootstrap import build_read_models, open_database
from registry.config import Settings
from tests.conftest import open_registry
from tests.histories import more_events

pytestmark = pytest.mark.postgres

RULES = Path(__file__).parents[2] / "infra" / "prometheus" / "alerts.yml"


def rules() -> list[dict[str, str]]:
    loaded = yaml.safe_load(RULES.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_each_rule_is_valid_promql_with_a_summary(rule: dict[str, str]) -> None:
    promql_parser.parse(rule["expr"])

    assert rule["alert"].startswith("PartnerRegistry")
    assert rule["annotations"]["summary"]  # type: ignore[index]


def test_every_metric_the_rules_watch_is_exposed_by_the_api(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings.model_validate({"database_url": postgres_url, "feed_dir": str(tmp_path)})
    writer = open_registry(postgres_url)
    more_events(writer, 2)
    store = build_read_models(settings)
    store.rebuild(store_history(writer), {}, lambda _: None)
    store.close()
    more_events(writer, 1)
    writer.close()
    db = open_database(postgres_url, settings)
    PartHealth(db, "project").started()
    watched = {
        name for rule in rules() for name in re.findall(r"partner_registry_\w+", rule["expr"])
    }

    with TestClient(create_app(settings)) as client:
        client.get("/readyz")
        metrics = ""
        for _ in range(50):
            metrics = client.get("/metrics").text
            if "partner_registry_projection_lag_seconds" in metrics:
                break
            time.sleep(0.1)
    db.close()

    exposed = set(re.findall(r"^(partner_registry_\w+)[{ ]", metrics, re.MULTILINE))
    assert watched <= exposed, watched - exposed
