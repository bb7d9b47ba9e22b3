"""The OpenAPI of /api/v1/ tells the truth: one name per schema class, each operation documents
the schema it really returns and the errors it can answer, and every error is JSON.

django-ninja keys ``components/schemas`` by class name, so two classes called ``EventOut`` in two
apps silently become one component and one of the operations documents the other's response.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse, HttpResponseServerError
from django.test import Client, RequestFactory
from ninja import NinjaAPI, Router, Schema
from ninja.openapi.schema import REF_TEMPLATE
from ninja.operation import Operation
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel

from config.api import api, on_rate_limited
from dangjian.accounts.services import token_create
from dangjian.core.api_errors import ApiErrorsAsJsonMiddleware, ErrorOut, document_error_responses
from dangjian.core.ratelimit import RateLimitedError
from dangjian.orgs.models import Organization

API = "/api/v1"
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


# --- walking the API -------------------------------------------------------------------------


def operations(of: NinjaAPI) -> Iterator[Operation]:
    """Every operation as the API serves it (bound routers hold the served copies)."""
    for router in of._get_bound_routers():
        for path_view in router.path_operations.values():
            yield from path_view.operations


def operation_id(of: NinjaAPI, op: Operation) -> str:
    return op.operation_id or of.get_openapi_operation_id(op)


def _named_types(annotation: Any, found: set[type]) -> None:
    """Collect the classes pydantic emits as components (models and enums), recursively."""
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            _named_types(arg, found)
        return
    if not isinstance(annotation, type) or annotation in found:
        return
    if issubclass(annotation, enum.Enum):
        found.add(annotation)
    elif issubclass(annotation, BaseModel):
        found.add(annotation)
        for field in annotation.model_fields.values():
            _named_types(field.annotation, found)


def schema_classes(of: NinjaAPI) -> set[type]:
    """Every class the API's OpenAPI names: inputs, responses, what they hold, and ErrorOut."""
    found: set[type] = {ErrorOut}
    for op in operations(of):
        wrappers = [m for m in op.response_models.values() if isinstance(m, type)]
        for wrapper in [*op.models, *wrappers]:  # ninja's own wrappers are not components
            for field in wrapper.model_fields.values():
                _named_types(field.annotation, found)
    return found


def schema_name_clashes(of: NinjaAPI) -> dict[str, set[str]]:
    """Component names that two distinct classes would share: name -> the classes."""
    by_name: dict[str, set[type]] = defaultdict(set)
    for cls in schema_classes(of):
        by_name[cls.__name__].add(cls)
    return {
        name: {f"{c.__module__}.{c.__qualname__}" for c in classes}
        for name, classes in by_name.items()
        if len(classes) > 1
    }


def _resolve(schema: Any, defs: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """The schema with every ``$ref`` replaced by what it names (titles dropped)."""
    if isinstance(schema, list):
        return [_resolve(item, defs, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:  # a recursive model: compare the name, not an infinite tree
            return {"recursive": name}
        return _resolve(defs[name], defs, (*seen, name))
    return {k: _resolve(v, defs, seen) for k, v in schema.items() if k != "title"}


def _own_schema(model: type[BaseModel], field: str, *, mode: Any, by_alias: bool) -> Any:
    """What one field of ninja's wrapper model is, generated alone (no other class can
    shadow a name here)."""
    schema = model.model_json_schema(
        ref_template=REF_TEMPLATE,
        schema_generator=NinjaGenerateJsonSchema,
        mode=mode,
        by_alias=by_alias,
    )
    return _resolve(schema["properties"][field], schema.get("$defs", {}))


def misdocumented(of: NinjaAPI) -> list[str]:
    """Responses and request bodies whose OpenAPI schema is not the class the code uses."""
    doc = of.get_openapi_schema(path_prefix="/api/")  # the test API is mounted nowhere
    components = doc["components"]["schemas"]
    by_id = {
        op["operationId"]: (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    wrong = []
    for op in operations(of):
        method, path, documented = by_id[operation_id(of, op)]
        for status, model in op.response_models.items():
            if not isinstance(model, type):
                continue
            real = _own_schema(model, "response", mode="serialization", by_alias=op.by_alias)
            shown = documented["responses"][status]["content"]["application/json"]["schema"]
            if _resolve(shown, components) != real:
                wrong.append(f"{method.upper()} {path} {status}")
        bodies = [m for m in op.models if m.__ninja_param_source__ == "body"]
        if len(bodies) == 1 and len(bodies[0].model_fields) == 1:
            (field,) = bodies[0].model_fields
            real = _own_schema(bodies[0], field, mode="validation", by_alias=True)
            shown = documented["requestBody"]["content"]["application/json"]["schema"]
            if _resolve(shown, components) != real:
                wrong.append(f"{method.upper()} {path} body")
    return wrong


def _clashing_api() -> NinjaAPI:
    """Two apps, each with its own ``EventOut``: what the API had before the renames."""

    def event_out(app: str, **fields: type) -> type[Schema]:
        attrs = {"__annotations__": fields, "__module__": f"dangjian.{app}.schemas"}
        return type("EventOut", (Schema,), attrs)

    members, requests = Router(), Router()
    member_event = event_out("members", joined_on=str)
    request_event = event_out("service_requests", state=int)

    @members.get("/events", response=list[member_event])
    def member_events(request: Any) -> Any:
        return []

    @requests.get("/events", response=list[request_event])
    def request_events(request: Any) -> Any:
        return []

    clashing = NinjaAPI(urls_namespace="clash")
    clashing.add_router("/members/", members)
    clashing.add_router("/requests/", requests)
    return clashing


# --- one name per schema class ---------------------------------------------------------------


def test_no_two_schema_classes_share_an_openapi_name() -> None:
    assert schema_name_clashes(api) == {}


def test_every_component_in_the_openapi_is_one_of_the_api_classes() -> None:
    # A name pydantic had to invent (a "-Input" twin, a module-qualified name) means two
    # schemas were folded or renamed behind our back.
    names = {cls.__name__ for cls in schema_classes(api)}
    assert set(api.get_openapi_schema()["components"]["schemas"]) <= names


def test_the_name_check_catches_two_apps_each_with_an_event_out() -> None:
    clashes = schema_name_clashes(_clashing_api())

    assert clashes == {
        "EventOut": {
            "dangjian.members.schemas.EventOut",
            "dangjian.service_requests.schemas.EventOut",
        }
    }


def test_every_operation_documents_the_schema_it_really_returns_and_takes() -> None:
    assert misdocumented(api) == []


def test_a_shared_name_documents_the_wrong_response_and_the_check_sees_it() -> None:
    # Whichever class the generator met last wins the name; the other operation is wrong.
    assert misdocumented(_clashing_api()) == ["GET /api/members/events 200"]


# --- every operation documents its errors ----------------------------------------------------


def _documented_operations() -> Iterator[tuple[str, str, dict[str, Any], Operation]]:
    doc = api.get_openapi_schema()
    by_id = {op_id: op for op in operations(api) if (op_id := operation_id(api, op))}
    for path, item in doc["paths"].items():
        for method, documented in item.items():
            yield method.upper(), path, documented, by_id[documented["operationId"]]


def test_every_operation_documents_the_errors_its_handlers_can_answer() -> None:
    missing = []
    for method, path, documented, op in _documented_operations():
        sources = {m.__ninja_param_source__ for m in op.models}
        expected = set()
        if op.auth_callbacks:  # the auth check runs before the handler: 401
            expected.add(401)
        if sources:  # input that does not match the schema: 422; refused by a rule: 400
            expected |= {400, 422}
        if "path" in sources:  # an id in the path goes through an access gate: 404
            expected.add(404)
        if "body" in sources:  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413
            expected.add(413)
        if op.auth_callbacks and method != "GET":  # a role check or the session's CSRF check
            expected.add(403)
        documented_statuses = {int(s) for s in documented["responses"]}
        if not expected <= documented_statuses:
            missing.append(f"{method} {path}: {sorted(expected - documented_statuses)}")
    assert missing == []


def test_every_documented_error_is_the_shared_error_schema_with_a_chinese_description() -> None:
    count = 0
    for method, path, documented, _ in _documented_operations():
        for status, response in documented["responses"].items():
            if int(status) < 400:
                continue
            count += 1
            assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in response["description"])
    assert count > 600  # about five per operation


def test_an_operation_that_declares_an_error_keeps_it_and_gets_the_shared_description() -> None:
    doc = api.get_openapi_schema()
    mine = doc["paths"][f"{API}/dues/mine"]["get"]["responses"]  # no path id, yet a 404

    assert mine[404]["content"]["application/json"]["schema"] == ERROR_REF
    assert "范围" in mine[404]["description"]


def test_an_operation_without_input_documents_only_what_it_can_answer() -> None:
    me = api.get_openapi_schema()["paths"][f"{API}/me"]["get"]["responses"]

    assert set(me) == {200, 401}


def test_error_documentation_keeps_a_non_error_schema_someone_declared() -> None:
    doc: dict[str, Any] = {
        "paths": {
            "/x/{x_id}": {
                "post": {
                    "parameters": [{"in": "path", "name": "x_id"}],
                    "security": [{"bearer": []}],
                    "responses": {200: {"description": "OK"}, 409: {"description": "冲突"}},
                }
            }
        }
    }
    document_error_responses(doc)
    responses = doc["paths"]["/x/{x_id}"]["post"]["responses"]

    assert set(responses) == {200, 400, 401, 403, 404, 409, 422}
    assert responses[409] == {"description": "冲突"}  # not ours: left as declared
    assert "ErrorOut" in doc["components"]["schemas"]


def test_the_served_openapi_lists_the_errors_too(db, client: Client) -> None:
    doc = client.get(f"{API}/openapi.json").json()
    responses = doc["paths"][f"{API}/members/{{member_id}}"]["patch"]["responses"]

    assert {"200", "400", "401", "403", "404", "413", "422"} <= set(responses)
    assert doc["components"]["schemas"]["ErrorOut"]["required"] == ["code", "message"]


# --- every error under /api/ is JSON ---------------------------------------------------------


def _json_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    ErrorOut.model_validate(body)
    return body


@pytest.fixture
def admin_key(people: Any) -> dict[str, str]:
    _, key = token_create(actor=people.county_admin, user=people.county_admin, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _padded_check_id_body(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes."""
    empty = json.dumps({"id_number": ""}).encode()
    return json.dumps({"id_number": "1" * (size - len(empty))}).encode()


def test_a_body_one_byte_over_the_limit_is_a_json_413_in_chinese(
    db, people, client: Client, admin_key, settings
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = _padded_check_id_body(limit + 1)
    assert len(body) == limit + 1

    response = client.post(
        f"{API}/members/check-id", body, content_type="application/json", **admin_key
    )

    assert f"不能超过 {limit / 2**20:g} MB" in _json_error(response, 413, "too_large")["message"]


def test_a_body_exactly_at_the_limit_is_read(
    db, people, client: Client, admin_key, settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = _padded_check_id_body(2048)

    response = client.post(
        f"{API}/members/check-id", body, content_type="application/json", **admin_key
    )

    # Read and parsed: the schema's length limit answers, not the size limit.
    _json_error(response, 422, "invalid_input")


def test_an_oversized_create_changes_nothing(
    db, tree, people, client: Client, admin_key, settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = Organization.objects.count()
    body = {
        "parent_id": tree.township_a.pk, "org_type": "branch", "sector": "rural",
        "name": "中共超大村支部委员会", "address": "长" * 1000,
    }  # fmt: skip

    response = client.post(
        f"{API}/orgs/", json.dumps(body), content_type="application/json", **admin_key
    )

    assert "不能超过 1 KB" in _json_error(response, 413, "too_large")["message"]
    assert Organization.objects.count() == before


def test_an_oversized_body_with_a_session_is_a_json_413(db, people, login, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = login(people.county_admin)

    response = client.post(
        f"{API}/members/check-id", _padded_check_id_body(4096), content_type="application/json"
    )

    _json_error(response, 413, "too_large")


def test_an_oversized_form_body_is_a_json_413_not_an_html_400(db, people, login, settings) -> None:
    # A session's CSRF check reads a form body before the handler does.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = login(people.county_admin)

    response = client.post(
        f"{API}/members/check-id",
        "id_number=" + "1" * 4096,
        content_type="application/x-www-form-urlencoded",
    )

    _json_error(response, 413, "too_large")


def test_malformed_json_is_a_json_400(db, people, client: Client, admin_key) -> None:
    response = client.post(
        f"{API}/members/check-id", '{"id_number": ', content_type="application/json", **admin_key
    )

    _json_error(response, 400, "bad_request")


def test_a_form_body_where_json_is_expected_is_a_json_400(
    db, people, client: Client, admin_key
) -> None:
    response = client.post(
        f"{API}/members/check-id",
        "id_number=110101198001010011",
        content_type="application/x-www-form-urlencoded",
        **admin_key,
    )

    _json_error(response, 400, "bad_request")


def test_a_multipart_body_where_json_is_expected_is_a_json_400(
    db, people, client: Client, admin_key
) -> None:
    response = client.post(f"{API}/members/check-id", {"id_number": "1"}, **admin_key)

    _json_error(response, 400, "bad_request")


def test_an_unknown_api_path_is_a_json_404(db, people, client: Client, admin_key) -> None:
    for path in (f"{API}/no-such-thing", f"{API}/orgs/1/no-such-thing", "/api/v2/orgs/"):
        _json_error(client.get(path, **admin_key), 404, "not_found")


def test_an_unknown_api_path_is_json_for_an_anonymous_caller_too(db, client: Client) -> None:
    _json_error(client.get(f"{API}/no-such-thing"), 404, "not_found")


def test_a_method_the_path_does_not_take_is_a_json_405_that_names_the_allowed_ones(
    db, people, client: Client, admin_key
) -> None:
    response = client.delete(f"{API}/me", **admin_key)

    _json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_pages_outside_the_api_keep_their_html_error_pages(db, people, login) -> None:
    response = login(people.county_admin).get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json_and_keeps_its_headers() -> None:
    def crash(request: Any) -> HttpResponse:
        response = HttpResponseServerError("<h1>Server Error (500)</h1>")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    middleware = ApiErrorsAsJsonMiddleware(crash)
    response = middleware(RequestFactory().get(f"{API}/orgs/"))

    body = _json_error(response, 500, "server_error")
    assert "服务器" in body["message"]
    assert response["X-Content-Type-Options"] == "nosniff"
    page = middleware(RequestFactory().get("/orgs/"))
    assert page.content == b"<h1>Server Error (500)</h1>"  # a page stays a page


def test_a_json_error_of_the_api_passes_the_middleware_untouched() -> None:
    original = b'{"code": "not_found", "message": "\\u672a\\u627e\\u5230"}'

    def answer(request: Any) -> HttpResponse:
        return HttpResponse(original, status=404, content_type="application/json")

    response = ApiErrorsAsJsonMiddleware(answer)(RequestFactory().get(f"{API}/orgs/9"))

    assert response.content == original


def test_a_rate_limited_call_is_a_json_429_with_retry_after() -> None:
    request = RequestFactory().get(f"{API}/orgs/")

    response = on_rate_limited(
        request, RateLimitedError("操作过于频繁，请 60 秒后再试", retry_after=60)
    )

    assert _json_error(response, 429, "rate_limited")["message"] == "操作过于频繁，请 60 秒后再试"
    assert response["Retry-After"] == "60"
