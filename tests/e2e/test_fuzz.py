"""Schemathesis fuzzes every operation from /openapi.json: no 5xx, no off-schema response.

The operations are driven directly with Hypothesis (not through
schemathesis' pytest plugin), one property per operation, with data that
fits the schema and data that does not.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("fuzz-stack")]

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_request_gets_a_server_error_or_an_off_schema_answer(fuzz_stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_stack.director}"}
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    calls = 0

    for operation, mode in product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise  # only an operation without inputs has no invalid input

    assert len(operations) == len(results) >= 11
    assert calls >= 300
