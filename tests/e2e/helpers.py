"""Bodies for API requests, and waiting for the read side."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

CRITERIA = ("legal_entity", "national_coverage", "technology", "open_marketplace")


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Platform {uuid.uuid4().hex[:10]}",
        "legal_form": "private_company",
        "national_coverage": True,
        "technology_ready": True,
        "open_marketplace": True,
        "reason": "Partnership agreement signed",
    }
    body.update(overrides)
    return body


def evaluation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "criteria": {c: {"verdict": "pass", "finding": f"{c} checked"} for c in CRITERIA},
        "obligations": [{"obligation": "Monthly report", "met": True, "finding": "On time"}],
        "reason": "Quarterly review",
    }
    body.update(overrides)
    return body


def warning(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "criterion": "technology",
        "deadline": "2099-01-31",
        "reason": "Integration down for a week",
    }
    body.update(overrides)
    return body


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> float:
    """Seconds until ``check()`` holds; fails after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            msg = f"not true after {timeout} s"
            raise AssertionError(msg)
        time.sleep(0.02)
    return time.monotonic() - started


def visible(client: httpx.Client, partner_id: str, version: int) -> Callable[[], bool]:
    """Whether the public register shows the partner at this version."""

    def check() -> bool:
        response = client.get(f"/partners/{partner_id}")
        return response.status_code == 200 and response.json()["version"] >= version

    return check
