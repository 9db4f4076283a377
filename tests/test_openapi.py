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
# Account, community and subscription endpoints: probed without credentials, they must answer 401/403
# as documented, never 5xx (their authenticated behaviour is tested in test_accounts_web and friends).
PERSONAL = [
    ("/api/v1/me", "GET"), ("/api/v1/upvotes/{paper_id}", "PUT"), ("/api/v1/upvotes/{paper_id}", "DELETE"),
    ("/api/v1/library/{paper_id}", "PUT"), ("/api/v1/library/{paper_id}", "DELETE"), ("/api/v1/library", "GET"),
    ("/api/v1/submissions", "POST"), ("/api/v1/submissions", "GET"), ("/api/v1/community", "GET"),
    # a member's own signals (test_library_web)
    ("/api/v1/me/signals", "GET"), ("/api/v1/me/library/export", "GET"), ("/api/v1/me/library/import", "POST"),
    ("/api/v1/me/library/mine", "GET"), ("/api/v1/me/library/mine", "POST"), ("/api/v1/me/library", "GET"),
    ("/api/v1/me/library/{paper_id}", "PUT"), ("/api/v1/me/library/{paper_id}", "DELETE"),
    ("/api/v1/me/folders", "GET"), ("/api/v1/me/folders", "POST"), ("/api/v1/me/folders/{slug}", "PATCH"),
    ("/api/v1/me/folders/{slug}", "DELETE"), ("/api/v1/me/folders/{slug}/papers/{paper_id}", "PUT"),
    ("/api/v1/me/folders/{slug}/papers/{paper_id}", "DELETE"), ("/api/v1/me/thumbs/{paper_id}", "PUT"),
    ("/api/v1/me/thumbs/{paper_id}", "DELETE"), ("/api/v1/me/upvotes/{paper_id}", "PUT"),
    ("/api/v1/me/upvotes/{paper_id}", "DELETE"), ("/api/v1/me/follows", "GET"), ("/api/v1/me/follows", "POST"),
    ("/api/v1/me/follows/{kind}/{key}", "DELETE"), ("/api/v1/me/mutes", "GET"), ("/api/v1/me/mutes", "POST"),
    ("/api/v1/me/mutes/{kind}/{key}", "DELETE"),
]
OPERATIONS = [
    "/api/v1/papers/{paper_id}", "/api/v1/papers/{paper_id}/similar", "/api/v1/papers/{paper_id}/bibtex",
    "/api/v1/search", "/api/v1/daily", "/api/v1/weekly", "/api/v1/monthly", "/api/v1/trending",
    "/api/v1/categories", "/api/v1/categories/{code}", "/api/daily_papers", "/api/papers/search",
    "/api/papers/{paper_id}",
]
# Any string is a valid paper id, and /categories takes no parameters: nothing invalid to send.
NOTHING_INVALID = {"/api/v1/papers/{paper_id}", "/api/v1/papers/{paper_id}/bibtex", "/api/v1/categories",
                   "/api/papers/{paper_id}"}
CASES = [(path, "GET", GenerationMode.POSITIVE) for path in OPERATIONS] + \
    [(path, "GET", GenerationMode.NEGATIVE) for path in OPERATIONS if path not in NOTHING_INVALID] + \
    [(path, method, GenerationMode.POSITIVE) for path, method in PERSONAL]


@pytest.fixture(scope="module")
def app(sample_runtime: Runtime) -> Any:
    return create_app(sample_runtime.settings, sample_runtime.store)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Iterator[Any]:
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_api_conforms_to_its_openapi_document(api_schema: Any, path: str, method: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


def test_the_document_covers_every_api(app: Any) -> None:
    with TestClient(app) as c:
        doc = c.get("/api/openapi.json").json()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    checked = {(path, "GET") for path in OPERATIONS} | set(PERSONAL)
    assert documented == checked  # a new endpoint must join the property checks
    search_params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert search_params == {"q", "limit", "offset", "sort", "mode", "cat", "after", "before", "has_code", "highlight"}
