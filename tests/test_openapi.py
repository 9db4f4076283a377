"""Property-based checks of the JSON APIs against our own OpenAPI document (schemathesis, in-process).

For every operation, a bounded number of generated requests, valid and invalid, must never get a
5xx, and every response must match the status codes, content types and schemas the document
declares. Runs on both backends.

(schemathesis' lazy pytest loader touches a pytest internal that pytest 9 removed, so the
operations are driven through ``as_strategy`` and Hypothesis directly.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from paperwire.runtime import Runtime
from paperwire.web import create_app

EXAMPLES_PER_OPERATION = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [
    "/api/v1/papers/{paper_id}", "/api/v1/papers/{paper_id}/similar", "/api/v1/papers/{paper_id}/bibtex",
    "/api/v1/search", "/api/v1/daily", "/api/v1/weekly", "/api/v1/monthly", "/api/v1/trending",
    "/api/v1/categories", "/api/v1/categories/{code}", "/api/daily_papers", "/api/papers/search",
    "/api/papers/{paper_id}",
]
# Any string is a valid paper id, and /categories takes no parameters: nothing invalid to send.
NOTHING_INVALID = {"/api/v1/papers/{paper_id}", "/api/v1/papers/{paper_id}/bibtex", "/api/v1/categories",
                   "/api/papers/{paper_id}"}
CASES = [(path, GenerationMode.POSITIVE) for path in OPERATIONS] + \
    [(path, GenerationMode.NEGATIVE) for path in OPERATIONS if path not in NOTHING_INVALID]


@pytest.fixture(scope="module")
def app(sample_runtime: Runtime) -> Any:
    return create_app(sample_runtime.settings, sample_runtime.store)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Iterator[Any]:
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "mode"), CASES)
def test_api_conforms_to_its_openapi_document(api_schema: Any, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


def test_the_document_covers_every_api(app: Any) -> None:
    with TestClient(app) as c:
        doc = c.get("/api/openapi.json").json()
    assert sorted(doc["paths"]) == sorted(OPERATIONS)  # a new endpoint must join the property checks
    assert all(set(ops) == {"get"} for ops in doc["paths"].values())
    search_params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert search_params == {"q", "limit", "offset", "sort", "mode", "cat", "after", "before", "has_code", "highlight"}
