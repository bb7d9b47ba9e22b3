"""Open311 GeoReport v2 subset at /open311/v2/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dangjian.accounts.services import token_create, token_revoke
from dangjian.core.blocklist import block_add
from dangjian.core.models import AuditLog
from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests.models import RequestPhoto, ServiceRequest
from dangjian.service_requests.tests.factories import drive, photo, submit

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def _key(user: Any) -> str:
    return token_create(actor=user, user=user, name="12345 热线对接")[1]


def _post(client: Any, key: str | None, grid: Any, **kw: Any) -> Any:
    data: dict[str, Any] = {
        "service_code": "policy",
        "address_id": grid.pk,
        "description": "河道边垃圾堆积",
        "address_string": "甲村河边",
        "phone": "13912345678",
        "first_name": "大妈",
        "last_name": "王",
    }
    if key is not None:
        data["api_key"] = key
    data.update(kw)
    return client.post(f"{BASE}/requests.json", data)


def test_services_list(client):
    body = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in body]
    assert "road_lighting" in codes
    lighting = next(s for s in body if s["service_code"] == "road_lighting")
    assert lighting["service_name"] == "道路照明"
    assert lighting["metadata"] is True
    assert lighting["type"] == "realtime"


def test_service_definition_lists_attributes(client):
    body = client.get(f"{BASE}/services/errand.json").json()
    assert body["service_code"] == "errand"
    (attr,) = body["attributes"]
    assert attr["code"] == "errand_kind"
    assert attr["datatype"] == "singlevaluelist"
    assert attr["required"] is True
    assert {"key": "代缴水电费", "name": "代缴水电费"} in attr["values"]


def test_unknown_service_is_a_json_404(client):
    r = client.get(f"{BASE}/services/nope.json")
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "未找到该服务类别"}]


def test_submit_with_api_key_goes_through_request_submit(client, grid, people):
    r = _post(client, _key(people.grid_worker), grid)
    assert r.status_code == 201, r.content
    (body,) = r.json()
    req = ServiceRequest.objects.get(tracking_code=body["service_request_id"])
    assert req.channel == "phone"
    assert req.entered_by == people.grid_worker
    assert req.resident_name_masked == "王**"
    assert req.state == "submitted"
    assert AuditLog.objects.filter(action="request.submit", object_id=str(req.pk)).exists()


def test_submit_without_or_with_a_bad_key_is_refused(client, grid, people):
    assert _post(client, None, grid).status_code == 403
    assert _post(client, "not-a-key", grid).status_code == 403
    token, key = token_create(actor=people.grid_worker, user=people.grid_worker)
    token_revoke(actor=people.grid_worker, token=token)
    r = _post(client, key, grid)
    assert r.status_code == 403
    assert "api_key" in r.json()[0]["description"]
    assert not ServiceRequest.objects.exists()


def test_key_of_another_township_cannot_submit_there(client, grid, people):
    r = _post(client, _key(people.township_b), grid)
    assert r.status_code == 400
    assert "不在该 api_key 的管理范围内" in r.json()[0]["description"]
    assert not ServiceRequest.objects.exists()


def test_key_without_request_handle_is_forbidden(client, grid, people):
    r = _post(client, _key(people.inspector), grid)
    assert r.status_code == 403
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"service_code": "nope"}, "service_code 不存在"),
        ({"address_id": "abc"}, "address_id 应为网格编号"),
        ({"description": ""}, "请填写诉求内容"),
        ({"phone": "123"}, "11 位"),
        ({"service_code": "errand"}, "请填写“代办事项”"),
        ({"service_code": "errand", "attribute[errand_kind]": "乱写"}, "取值不正确"),
    ],
)
def test_bad_submissions_get_a_chinese_400_and_change_nothing(
    client, grid, people, overrides, message
):
    r = _post(client, _key(people.grid_worker), grid, **overrides)
    assert r.status_code == 400
    assert message in r.json()[0]["description"]
    assert not ServiceRequest.objects.exists()


def test_media_upload_for_a_category_that_needs_photos(client, grid, people):
    key = _key(people.grid_worker)
    r = _post(client, key, grid, service_code="sanitation")
    assert r.status_code == 400
    assert "请上传现场照片" in r.json()[0]["description"]
    r = _post(client, key, grid, service_code="sanitation", media=photo())
    assert r.status_code == 201
    assert RequestPhoto.objects.filter(request__channel="phone").count() == 1


def test_attributes_answer_the_questions(client, grid, people):
    r = _post(
        client,
        _key(people.grid_worker),
        grid,
        service_code="errand",
        **{"attribute[errand_kind]": "代缴水电费"},
    )
    assert r.status_code == 201
    assert ServiceRequest.objects.get().extra == {"errand_kind": "代缴水电费"}


def test_blocked_phone_is_refused(client, grid, people):
    block_add(actor=people.county_admin, kind="phone", value="13912345678", reason="刷单")
    r = _post(client, _key(people.grid_worker), grid)
    assert r.status_code == 403
    assert not ServiceRequest.objects.exists()


def test_submit_flood_per_key_gets_429(client, grid, people, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "open311_submit_per_key": (1, 3600)}
    key = _key(people.grid_worker)
    assert _post(client, key, grid).status_code == 201
    r = _post(client, key, grid)
    assert r.status_code == 429
    assert r["Retry-After"]
    assert "操作太频繁" in r.json()[0]["description"]
    assert ServiceRequest.objects.count() == 1


def test_list_and_get_show_public_fields_only(client, grid, people, doer):
    req, token = submit(grid, description="楼道灯坏了，我叫王大妈", resident_name="王大妈")
    req._raw_token = token
    drive(req, "dispatched", people=people, member=doer)
    body = client.get(f"{BASE}/requests.json").json()
    (row,) = body
    assert row["service_request_id"] == req.tracking_code
    assert row["status"] == "open"
    assert row["description"] is None
    text = str(body)
    assert "王大妈" not in text
    # the resident's phone, whole or masked (never a bare "139": timestamps hold digits)
    assert "13912345678" not in text
    assert "139****5678" not in text
    assert not any("phone" in key for key in row)
    assert doer.name not in text  # the dispatch note names the member: replaced
    assert row["status_notes"].startswith("已派党员承办")
    one = client.get(f"{BASE}/requests/{req.tracking_code}.json").json()
    assert one == body


def test_a_key_that_may_view_sees_the_description(client, grid, people):
    req, _ = submit(grid, description="楼道灯坏了")
    row = client.get(f"{BASE}/requests.json", {"api_key": _key(people.grid_worker)}).json()[0]
    assert row["description"] == "楼道灯坏了"
    row = client.get(f"{BASE}/requests.json", {"api_key": _key(people.township_b)}).json()[0]
    assert row["description"] is None


def test_list_filters(client, tree, grid, people, doer):
    open_req, _ = submit(grid)
    closed_req, token = submit(grid, category_code="sanitation", photos=[photo()])
    closed_req._raw_token = token
    drive(closed_req, "closed_unresolved", people=people, member=doer)

    def ids(**params: Any) -> set[str]:
        rows = client.get(f"{BASE}/requests.json", params).json()
        return {r["service_request_id"] for r in rows}

    assert ids(status="open") == {open_req.tracking_code}
    assert ids(status="closed") == {closed_req.tracking_code}
    assert ids(service_code="sanitation") == {closed_req.tracking_code}
    assert ids(service_code="policy,other") == {open_req.tracking_code}
    assert ids(service_request_id=f"{open_req.tracking_code.lower()},X") == {open_req.tracking_code}
    today = timezone.localdate()
    assert ids(start_date=(today + dt.timedelta(days=1)).isoformat()) == set()
    assert len(ids(start_date=today.isoformat(), end_date=today.isoformat())) == 2
    assert ids(end_date=(today - dt.timedelta(days=1)).isoformat()) == set()


def test_default_window_is_ninety_days(client, grid):
    old, _ = submit(grid)
    new, _ = submit(grid)
    ServiceRequest.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=91)
    )
    rows = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in rows] == [new.tracking_code]


def test_bad_filters_get_400(client):
    assert client.get(f"{BASE}/requests.json", {"status": "fixed"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}).status_code == 400


def test_unknown_request_is_a_json_404(client):
    r = client.get(f"{BASE}/requests/NOPE.json")
    assert r.status_code == 404
    assert r.json()[0]["code"] == 404


def test_list_query_count_is_constant(client, tree, grid, django_assert_max_num_queries):
    for _ in range(3):
        submit(grid)
    other = make_grid(tree.village_a2, "乙村网格")
    for _ in range(3):
        submit(other)
    # The rate counter (with savepoints), the requests, their latest public events.
    with django_assert_max_num_queries(10):
        rows = client.get(f"{BASE}/requests.json").json()
    assert len(rows) == 6


def test_read_floods_get_429(client, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "track_per_ip": (1, 600)}
    assert client.get(f"{BASE}/requests.json").status_code == 200
    assert client.get(f"{BASE}/requests.json").status_code == 429


def test_status_notes_skip_internal_entries(client, grid, people, doer):
    from dangjian.service_requests import services

    req, token = submit(grid)
    req._raw_token = token
    req = drive(req, "dispatched", people=people, member=doer)
    services.request_escalate(actor=people.township_a, request=req, note="内部：约谈书记")
    (row,) = client.get(f"{BASE}/requests/{req.tracking_code}.json").json()
    assert "约谈" not in row["status_notes"]
    assert row["status_notes"].startswith("已派党员承办")
    assert row["expected_datetime"] is not None


def test_closed_request_has_no_expected_time(client, grid, people, doer):
    req, token = submit(grid)
    req._raw_token = token
    drive(req, "closed_unresolved", people=people, member=doer)
    (row,) = client.get(f"{BASE}/requests/{req.tracking_code}.json").json()
    assert row["status"] == "closed"
    assert row["expected_datetime"] is None
