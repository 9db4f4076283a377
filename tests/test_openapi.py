"""Property-based checks of the JSON APIs against our own OpenAPI document (schemathesis, in-process).

For every operation of /api/openapi.json, a bounded number of generated requests, valid and invalid,
must never get a 5xx, and every response must match the status codes, content types and schemas the
document declares. The public operations run on the 2k sample; the personal ones (account, upvotes,
library, submissions, community) run twice: anonymous (401/403 as documented) and with a member's
read-and-write API token on a store of their own (the sample again, which they change), with arXiv
answered by a local server that knows no paper (a submission of an unknown id is a 404, never a fetch
from the internet). Runs on both backends.

(schemathesis' lazy pytest loader touches a pytest internal that pytest 9 removed, so the
operations are driven through ``as_strategy`` and Hypothesis directly.)
"""

from __future__ import annotations

import gzip
import json
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

from paperwire.config import Settings
from paperwire.importing import import_and_index
from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.db import BACKENDS, drop, new_url
from tests.helpers.paths import FIXTURES_SHARED, SAMPLE, require_shared_data
from tests.helpers.replay import ReplayServer, load_arxivpy
from tests.helpers.tokens import member_token

pytestmark = pytest.mark.needs_data
EXAMPLES_PER_OPERATION = 30
# schemathesis gives up on an answer after 10 s; on a loaded machine a first hybrid search (the model
# loading) can take longer. A generous bound: these tests check answers, not speed.
TIMEOUT = 120
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
GET, PUT, POST, DELETE = "GET", "PUT", "POST", "DELETE"
PUBLIC = [
    "/api/v1/papers/{paper_id}", "/api/v1/papers/{paper_id}/similar", "/api/v1/papers/{paper_id}/bibtex",
    "/api/v1/search", "/api/v1/daily", "/api/v1/weekly", "/api/v1/monthly", "/api/v1/trending",
    "/api/v1/categories", "/api/v1/categories/{code}", "/api/daily_papers", "/api/papers/search",
    "/api/papers/{paper_id}",
]
# Account, community and submission endpoints: for a signed-in member or an API token.
PERSONAL = [
    ("/api/v1/me", GET), ("/api/v1/upvotes/{paper_id}", PUT), ("/api/v1/upvotes/{paper_id}", DELETE),
    ("/api/v1/library/{paper_id}", PUT), ("/api/v1/library/{paper_id}", DELETE), ("/api/v1/library", GET),
    ("/api/v1/submissions", POST), ("/api/v1/submissions", GET), ("/api/v1/community", GET),
    ("/api/v1/fetches/{paper_id}", GET),
    # a member's own signals and library (test_library_web)
    ("/api/v1/me/signals", GET), ("/api/v1/me/library/export", GET), ("/api/v1/me/library/import", POST),
    ("/api/v1/me/library/mine", GET), ("/api/v1/me/library/mine", POST), ("/api/v1/me/library", GET),
    ("/api/v1/me/library/{paper_id}", PUT), ("/api/v1/me/library/{paper_id}", DELETE),
    ("/api/v1/me/folders", GET), ("/api/v1/me/folders", POST), ("/api/v1/me/folders/{slug}", "PATCH"),
    ("/api/v1/me/folders/{slug}", DELETE), ("/api/v1/me/folders/{slug}/papers/{paper_id}", PUT),
    ("/api/v1/me/folders/{slug}/papers/{paper_id}", DELETE), ("/api/v1/me/thumbs/{paper_id}", PUT),
    ("/api/v1/me/thumbs/{paper_id}", DELETE), ("/api/v1/me/upvotes/{paper_id}", PUT),
    ("/api/v1/me/upvotes/{paper_id}", DELETE), ("/api/v1/me/follows", GET), ("/api/v1/me/follows", POST),
    ("/api/v1/me/follows/{kind}/{key}", DELETE), ("/api/v1/me/mutes", GET), ("/api/v1/me/mutes", POST),
    ("/api/v1/me/mutes/{kind}/{key}", DELETE),
    # "For you" (test_foryou_web)
    ("/api/v1/me/recommendations", GET),
    # discussions (test_discussions)
    ("/api/v1/papers/{paper_id}/comments", GET), ("/api/v1/papers/{paper_id}/comments", POST),
    ("/api/v1/comments/{comment_id}", GET), ("/api/v1/comments/{comment_id}", "PATCH"),
    ("/api/v1/comments/{comment_id}", DELETE), ("/api/v1/comments/{comment_id}/replies", POST),
    ("/api/v1/comments/{comment_id}/vote", PUT), ("/api/v1/comments/{comment_id}/vote", DELETE),
    ("/api/v1/comments/{comment_id}/reports", POST),
]
PUBLIC_LISTS = {("/api/v1/submissions", GET), ("/api/v1/community", GET),  # personal marks only when signed in
                ("/api/v1/papers/{paper_id}/comments", GET), ("/api/v1/comments/{comment_id}", GET)}
MEMBERS_ONLY = set(PERSONAL) - PUBLIC_LISTS
# Any string is a valid paper id, and some take no parameters at all: nothing invalid to send.
NOTHING_INVALID = {("/api/v1/papers/{paper_id}", GET), ("/api/v1/papers/{paper_id}/bibtex", GET),
                   ("/api/v1/categories", GET), ("/api/papers/{paper_id}", GET), ("/api/v1/me", GET),
                   ("/api/v1/upvotes/{paper_id}", PUT), ("/api/v1/upvotes/{paper_id}", DELETE),
                   ("/api/v1/library/{paper_id}", PUT), ("/api/v1/library/{paper_id}", DELETE),
                   ("/api/v1/fetches/{paper_id}", GET), ("/api/v1/me/signals", GET), ("/api/v1/me/folders", GET),
                   ("/api/v1/me/follows", GET), ("/api/v1/me/mutes", GET),
                   ("/api/v1/me/library/{paper_id}", DELETE), ("/api/v1/me/thumbs/{paper_id}", DELETE),
                   ("/api/v1/me/upvotes/{paper_id}", PUT), ("/api/v1/me/upvotes/{paper_id}", DELETE),
                   ("/api/v1/me/folders/{slug}", DELETE), ("/api/v1/me/folders/{slug}/papers/{paper_id}", PUT),
                   ("/api/v1/me/folders/{slug}/papers/{paper_id}", DELETE),
                   ("/api/v1/me/follows/{kind}/{key}", DELETE), ("/api/v1/me/mutes/{kind}/{key}", DELETE)}
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
ANONYMOUS = [pytest.param(path, GET, mode, id=f"public-{mode.value}-GET {path}")
             for path in PUBLIC for mode in MODES
             if mode is GenerationMode.POSITIVE or (path, GET) not in NOTHING_INVALID]
ANONYMOUS += [pytest.param(path, method, GenerationMode.POSITIVE, id=f"anonymous-{method} {path}")
              for path, method in PERSONAL]
MEMBER = [pytest.param(path, method, mode, id=f"member-{mode.value}-{method} {path}")
          for path, method in PERSONAL for mode in MODES
          if mode is GenerationMode.POSITIVE or (path, method) not in NOTHING_INVALID]


@pytest.fixture(scope="module")
def app(sample_runtime: Runtime) -> Any:
    return create_app(sample_runtime.settings, sample_runtime.store)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Iterator[Any]:
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture(scope="module")
def arxiv() -> Iterator[ReplayServer]:
    """arXiv's API answering every query with its recorded "no such paper" feed."""
    require_shared_data()
    _, empty = load_arxivpy(next((FIXTURES_SHARED / "arxiv-api").glob("arxivpy_id_0000.0000_*.json")))
    with ReplayServer() as server:
        server.add("/api/query", empty,
                   ignore=("search_query", "id_list", "sortBy", "sortOrder", "start", "max_results"))
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def member(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           arxiv: ReplayServer) -> Iterator[tuple[Any, str]]:
    """(the schema of an app over a sample store of its own, a member's read-and-write API token)."""
    tmp = tmp_path_factory.mktemp(f"member-{request.param}")
    url = new_url(str(request.param), tmp)
    rt = Runtime(Settings(database_url=url, data_dir=tmp / "data", index_refresh_seconds=0, semantic_search=False,
                          arxiv_api_url=f"{arxiv.url}/api/query", arxiv_min_interval_seconds=0, http_retries=0))
    assert import_and_index(rt.store, rt.indexes, [SAMPLE]).inserted == 2020
    token = member_token(rt)
    yield schemathesis.openapi.from_asgi("/api/openapi.json", create_app(rt.settings, rt.store)), token
    rt.close()
    drop(url)


def sample_ids(n: int) -> list[str]:
    with gzip.open(SAMPLE, "rt") as fh:
        return [json.loads(next(fh))["id"] for _ in range(n)]


def check_operation(operation: Any, mode: GenerationMode, headers: dict[str, str], members_only: bool) -> None:
    """Up to EXAMPLES_PER_OPERATION generated requests: no 5xx, every answer as documented."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=TIMEOUT)
        if members_only:  # never served to nobody (404: a generated path that names no route)
            assert response.status_code in (401, 403, 404, 422), response.text

    check()


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "mode"), ANONYMOUS)
def test_api_conforms_to_its_openapi_document(api_schema: Any, path: str, method: str, mode: GenerationMode) -> None:
    check_operation(api_schema[path][method], mode, {}, (path, method) in MEMBERS_ONLY)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "mode"), MEMBER)
def test_api_conforms_for_a_member_with_a_token(member: tuple[Any, str], path: str, method: str,
                                                mode: GenerationMode) -> None:
    schema, token = member
    check_operation(schema[path][method], mode, {"Authorization": f"Bearer {token}"}, False)


@pytest.mark.slow
def test_a_members_calls_on_real_papers_conform(member: tuple[Any, str]) -> None:
    """The paths generated data rarely reaches (real paper ids): each answer as documented, and as expected."""
    schema, token = member
    first, second = sample_ids(2)
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("/api/v1/me", GET, {}, 200),
        ("/api/v1/upvotes/{paper_id}", PUT, {"path_parameters": {"paper_id": first}}, 200),
        ("/api/v1/library/{paper_id}", PUT, {"path_parameters": {"paper_id": first}}, 200),
        ("/api/v1/library", GET, {"query": {"limit": 10}}, 200),
        ("/api/v1/me/recommendations", GET, {"query": {"window": "month", "limit": 5}}, 200),  # a saved paper
        ("/api/v1/community", GET, {"query": {"ids": f"{first},{second}"}}, 200),
        ("/api/v1/submissions", POST, {"body": {"paper": second}, "media_type": "application/json"}, 201),
        ("/api/v1/submissions", POST, {"body": {"paper": f"https://arxiv.org/abs/{second}"},
                                       "media_type": "application/json"}, 200),  # already submitted
        ("/api/v1/submissions", POST, {"body": {"paper": "2601.99999"}, "media_type": "application/json"}, 202),
        ("/api/v1/fetches/{paper_id}", GET, {"path_parameters": {"paper_id": "2601.99999"}}, 200),  # queued
        ("/api/v1/submissions", GET, {}, 200),
        ("/api/v1/upvotes/{paper_id}", DELETE, {"path_parameters": {"paper_id": first}}, 200),
        ("/api/v1/library/{paper_id}", DELETE, {"path_parameters": {"paper_id": first}}, 200),
    ]
    for path, method, parts, status in calls:
        case = schema[path][method].Case(**parts)
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS,
                                          timeout=TIMEOUT)
        assert response.status_code == status, (path, method, response.text)


@pytest.mark.slow
def test_a_members_discussion_calls_conform(member: tuple[Any, str]) -> None:
    """Comments on a real paper, each answer as documented: the generated ids rarely name a comment."""
    schema, token = member
    first = sample_ids(1)[0]
    headers = {"Authorization": f"Bearer {token}"}

    def call(path: str, method: str, status: int, **parts: Any) -> Any:
        response = schema[path][method].Case(**parts).call_and_validate(headers=headers, checks=CHECKS,
                                                                        timeout=TIMEOUT)
        assert response.status_code == status, (path, method, response.text)
        return response.json()

    made = call("/api/v1/papers/{paper_id}/comments", POST, 201, path_parameters={"paper_id": first},
                body={"body": "Is $k$ tuned <b>by hand</b>?"}, media_type="application/json")
    cid = {"comment_id": made["id"]}
    call("/api/v1/comments/{comment_id}/replies", POST, 201, path_parameters=cid, body={"body": "Yes."},
         media_type="application/json")
    call("/api/v1/comments/{comment_id}", "PATCH", 200, path_parameters=cid, body={"body": "Edited"},
         media_type="application/json")
    call("/api/v1/comments/{comment_id}/vote", PUT, 422, path_parameters=cid)  # not one's own
    call("/api/v1/comments/{comment_id}/reports", POST, 201, path_parameters=cid, body={"reason": "test"},
         media_type="application/json")
    listed = call("/api/v1/papers/{paper_id}/comments", GET, 200, path_parameters={"paper_id": first})
    assert any(c["id"] == made["id"] for c in listed["comments"])
    call("/api/v1/comments/{comment_id}", GET, 200, path_parameters=cid)
    call("/api/v1/comments/{comment_id}", DELETE, 200, path_parameters=cid)


@pytest.mark.parametrize("offset", [2**63, 10**30])
def test_a_huge_offset_into_ones_library_is_invalid_not_a_crash(member: tuple[Any, str], offset: int) -> None:
    """Found by the checks above: an offset past the database's 64-bit integers was a 500."""
    schema, token = member
    case = schema["/api/v1/library"][GET].Case(query={"offset": offset})
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    assert response.status_code == 422 and response.json()["error"]["details"][0]["where"] == "query.offset"


def test_the_document_covers_every_api(app: Any) -> None:
    with TestClient(app) as c:
        doc = c.get("/api/openapi.json").json()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    checked = {(path, GET) for path in PUBLIC} | set(PERSONAL)
    assert documented == checked  # a new endpoint must join the property checks
    search_params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert search_params == {"q", "limit", "offset", "sort", "mode", "cat", "after", "before", "has_code", "highlight"}


def test_every_personal_operation_is_also_checked_with_a_token() -> None:
    assert {(p.values[0], p.values[1]) for p in MEMBER} == set(PERSONAL)
