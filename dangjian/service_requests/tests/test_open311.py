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


# --- location (lat/long, address_string) and media_url ---------------------------------------


def _jpeg_with_exif() -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "ResidentPhone"  # Model
    Image.new("RGB", (40, 30), "red").save(buf, format="JPEG", exif=exif)
    return SimpleUploadedFile("scene.jpg", buf.getvalue(), content_type="image/jpeg")


def test_submit_stores_lat_long_and_address_string(client, grid, people):
    r = _post(client, _key(people.grid_worker), grid, lat="40.1432519", long="117.1210448")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get()
    assert (str(req.latitude), str(req.longitude)) == ("40.143252", "117.121045")
    assert req.address == "甲村河边"


def test_submit_without_lat_long_stores_none(client, grid, people):
    assert _post(client, _key(people.grid_worker), grid, lat="", long="").status_code == 201
    req = ServiceRequest.objects.get()
    assert (req.latitude, req.longitude) == (None, None)


@pytest.mark.parametrize(
    ("lat", "long", "message"),
    [
        ("91", "117.1", "纬度（lat）应为 -90 到 90 之间的数字"),
        ("-90.0001", "117.1", "纬度（lat）应为 -90 到 90 之间的数字"),
        ("40.1", "180.5", "经度（long）应为 -180 到 180 之间的数字"),
        ("北纬40度", "117.1", "纬度（lat）应为 -90 到 90 之间的数字"),
        ("NaN", "117.1", "纬度（lat）应为 -90 到 90 之间的数字"),
        ("40.1", "Infinity", "经度（long）应为 -180 到 180 之间的数字"),
        ("40.1", "", "纬度（lat）和经度（long）须同时提供"),
        ("", "117.1", "纬度（lat）和经度（long）须同时提供"),
    ],
)
def test_bad_lat_long_is_an_open311_400_in_chinese_and_nothing_is_stored(
    client, grid, people, lat, long, message
):
    r = _post(client, _key(people.grid_worker), grid, lat=lat, long=long, media=photo())
    assert r.status_code == 400
    assert r.json() == [{"code": 400, "description": message}]
    assert not ServiceRequest.objects.exists()
    assert not RequestPhoto.objects.exists()
    assert not AuditLog.objects.filter(action="request.submit").exists()


def test_the_range_edges_are_accepted(client, grid, people):
    key = _key(people.grid_worker)
    assert _post(client, key, grid, lat="-90", long="180").status_code == 201
    assert _post(client, key, grid, lat="90", long="-180").status_code == 201


def test_lat_long_are_rounded_for_the_public_and_exact_for_a_key_that_may_view(
    client, grid, people
):
    submit(grid, latitude="40.143252", longitude="117.121545")
    (public,) = client.get(f"{BASE}/requests.json").json()
    assert (public["lat"], public["long"]) == (40.143, 117.122)
    (staff,) = client.get(f"{BASE}/requests.json", {"api_key": _key(people.grid_worker)}).json()
    assert (staff["lat"], staff["long"]) == (40.143252, 117.121545)
    (other,) = client.get(f"{BASE}/requests.json", {"api_key": _key(people.township_b)}).json()
    assert (other["lat"], other["long"]) == (40.143, 117.122)


def test_a_request_without_a_location_has_null_lat_long(client, grid, people):
    submit(grid)
    (row,) = client.get(f"{BASE}/requests.json", {"api_key": _key(people.grid_worker)}).json()
    assert (row["lat"], row["long"]) == (None, None)


def test_media_url_is_null_publicly_and_a_gated_url_for_a_key_that_may_view(client, grid, people):
    key = _key(people.grid_worker)
    assert _post(client, key, grid, media=_jpeg_with_exif()).status_code == 201
    req = ServiceRequest.objects.get()
    (public,) = client.get(f"{BASE}/requests/{req.tracking_code}.json").json()
    assert public["media_url"] is None
    (other,) = client.get(
        f"{BASE}/requests/{req.tracking_code}.json", {"api_key": _key(people.township_b)}
    ).json()
    assert other["media_url"] is None
    (staff,) = client.get(
        f"{BASE}/requests/{req.tracking_code}.json", HTTP_AUTHORIZATION=f"Bearer {key}"
    ).json()
    url = staff["media_url"]
    photo_row = RequestPhoto.objects.get(request=req)
    assert url == f"http://testserver{BASE}/media/{photo_row.pk}"
    path = url.removeprefix("http://testserver")

    # The URL alone is not enough: no key → 403, a key that may not view → 404.
    assert client.get(path).status_code == 403
    assert client.get(path, {"api_key": _key(people.township_b)}).status_code == 404
    r = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("image/")
    assert r["X-Content-Type-Options"] == "nosniff"
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(b"".join(r.streaming_content)))
    assert dict(image.getexif()) == {}  # the camera's EXIF was stripped on upload


def test_media_url_prefers_the_residents_photo_then_the_report(client, grid, people, doer):
    req, token = submit(grid)
    req._raw_token = token
    key = _key(people.grid_worker)

    def media_url() -> Any:
        (row,) = client.get(f"{BASE}/requests.json", {"api_key": key}).json()
        return row["media_url"]

    assert media_url() is None  # no photo yet
    drive(req, "reported", people=people, member=doer)
    report_photo = RequestPhoto.objects.get(request=req, stage="report")
    assert media_url().endswith(f"/media/{report_photo.pk}")

    ServiceRequest.objects.all().delete()
    req, token = submit(grid, category_code="sanitation", photos=[photo(), photo()])
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    first = RequestPhoto.objects.filter(request=req, stage="submit").order_by("id").first()
    assert first is not None
    assert media_url().endswith(f"/media/{first.pk}")


def test_unknown_media_is_a_json_404(client, people):
    r = client.get(f"{BASE}/media/999999", {"api_key": _key(people.grid_worker)})
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "未找到该照片"}]


def test_list_query_count_is_constant_with_a_key_and_photos(
    client, tree, grid, people, django_assert_max_num_queries
):
    key = _key(people.county_admin)
    client.get(f"{BASE}/requests.json", {"api_key": key})  # the token's last_used_at write
    for _ in range(2):
        submit(grid, category_code="sanitation", photos=[photo()], latitude=40, longitude=117)
    with django_assert_max_num_queries(20) as small:
        rows = client.get(f"{BASE}/requests.json", {"api_key": key}).json()
    assert all(r["media_url"] for r in rows)
    other = make_grid(tree.village_a2, "乙村网格")
    for _ in range(4):
        submit(other, category_code="sanitation", photos=[photo()])
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = client.get(f"{BASE}/requests.json", {"api_key": key}).json()
    assert len(rows) == 6
