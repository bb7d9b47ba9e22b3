"""The residents' pages: code, submit, limits, blocklist, uploads, tracking, private link."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core import sms
from dangjian.core.blocklist import block_add
from dangjian.core.models import PhoneVerification, RateCounter
from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestCategory, RequestPhoto, ServiceRequest
from dangjian.service_requests.tests.factories import category, drive, photo

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def second_grid(tree: Any) -> Any:
    return make_grid(tree.village_a1, "第二网格")


def _send_code(client: Any, phone: str = PHONE, **headers: Any) -> Any:
    return client.post("/s/code/", {"resident_phone": phone}, **headers)


def _form(tree: Any, grid: Any = None, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": category("policy").pk,
        "township": tree.township_a.pk,
        "village": tree.village_a1.pk,
        "grid": grid.pk if grid else "",
        "address": "甲村3组",
        "description": "想咨询今年的惠农补贴怎么申领",
        "resident_name": "王大妈",
        "resident_phone": PHONE,
    }
    data.update(kw)
    return data


def _submit(client: Any, tree: Any, grid: Any = None, *, code: str | None = None, **kw: Any) -> Any:
    if code is None:
        _send_code(client, kw.get("resident_phone", PHONE))
        code = sms.last_code_for(kw.get("resident_phone", PHONE))
    return client.post("/s/", {**_form(tree, grid, **kw), "code": code})


def _gps_jpeg() -> bytes:
    """A real JPEG carrying EXIF GPS (latitude 39°54'N) and a camera model."""
    img = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "ResidentPhone"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 0.0)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 0.0)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


# --- the page and the places -----------------------------------------------------------------


def test_form_renders_for_anyone_with_townships(client, tree, grid):
    html = client.get("/s/").content.decode()
    assert "我要反映" in html
    assert ">甲镇<" in html
    assert ">乙镇<" not in html  # no grids there yet
    assert 'name="resident_phone"' in html
    assert 'name="code"' in html


def test_grid_options_show_the_area(client, tree, grid):
    make_grid(tree.village_a1, "第三网格", area_description="4–6 组、村小学一带")
    html = client.get(
        "/s/places/grids/", {"township": tree.township_a.pk, "village": tree.village_a1.pk}
    ).content.decode()
    assert "第三网格（4–6 组、村小学一带）" in html


def test_places_cascade(client, tree, grid, second_grid):
    html = client.get("/s/places/villages/", {"township": tree.township_a.pk}).content.decode()
    assert ">甲村<" in html
    assert ">乙村<" not in html  # no grid in village A2
    html = client.get(
        "/s/places/grids/", {"township": tree.township_a.pk, "village": tree.village_a1.pk}
    ).content.decode()
    assert "第一网格" in html
    assert "第二网格" in html
    assert "不确定" in html


@pytest.mark.parametrize(
    ("name", "short", "place"),
    [
        ("中共甲镇委员会", "甲镇党委", "甲镇"),
        ("中共乙村支部委员会", "", "乙村"),
        ("中共幸福社区委员会", "幸福社区党委", "幸福社区"),
        ("中共东风村总支部委员会", "东风村党总支", "东风村"),
        ("中共东风村总支部委员会", "", "东风村"),
        ("党委", "", "党委"),
    ],
)
def test_place_names_drop_the_party_words(name, short, place):
    from dangjian.orgs.models import Organization
    from dangjian.service_requests.intake import place_name

    assert place_name(Organization(name=name, short_name=short)) == place


def test_category_fields_show_required_extra_question(client, tree):
    errand = category("errand")
    html = client.get("/s/category-fields/", {"category": errand.pk}).content.decode()
    assert 'name="extra_errand_kind"' in html
    assert "代缴水电费" in html


# --- the code -------------------------------------------------------------------------------


def test_send_code_texts_six_digits(client, tree, grid):
    r = _send_code(client, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "验证码已发送" in r.content.decode()
    assert len(sms.last_code_for(PHONE)) == 6


def test_send_code_refuses_bad_phone(client):
    r = _send_code(client, "12345", HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    assert "11 位" in r.content.decode()
    assert not PhoneVerification.objects.exists()


def test_send_code_without_htmx_rerenders_the_form(client, tree, grid):
    r = client.post("/s/", {**_form(tree), "action": "send_code"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "验证码已发送" in html
    assert "想咨询今年的惠农补贴怎么申领" in html


def test_code_flood_from_one_phone_gets_429(client, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "code_per_phone": (2, 3600)}
    settings.SMS_CODE_RESEND_SECONDS = 0
    assert _send_code(client).status_code == 200
    assert _send_code(client).status_code == 200
    r = _send_code(client)
    assert r.status_code == 429
    assert "获取验证码次数过多" in r.content.decode()
    assert r["Retry-After"]
    assert PhoneVerification.objects.count() == 2


def test_code_flood_from_one_ip_gets_429_fragment(client, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "code_per_ip": (1, 3600)}
    assert _send_code(client, "13900000001", HTTP_HX_REQUEST="true").status_code == 200
    r = _send_code(client, "13900000002", HTTP_HX_REQUEST="true")
    assert r.status_code == 429
    assert "操作太频繁" in r.content.decode()
    assert "<html" not in r.content.decode()  # a fragment HTMX swaps in


# --- submit ---------------------------------------------------------------------------------


def test_resident_submits_and_sees_tracking_code_and_private_link(client, tree, grid):
    r = _submit(client, tree, grid)
    assert r.status_code == 302
    assert r["Location"] == "/s/submitted/"
    req = ServiceRequest.objects.get()
    assert req.channel == "online"
    assert req.grid == grid
    assert req.resident_phone_masked != PHONE
    html = client.get("/s/submitted/").content.decode()
    assert req.tracking_code in html
    assert "/s/r/" in html
    # Shown once: the raw token is not kept in the session.
    assert client.get("/s/submitted/").status_code == 302
    assert PhoneVerification.objects.get().used_at is not None


def test_unsure_grid_goes_to_the_villages_first_grid(client, tree, grid, second_grid):
    assert _submit(client, tree, None).status_code == 302
    assert ServiceRequest.objects.get().grid == grid


def test_chosen_grid_is_kept(client, tree, grid, second_grid):
    assert _submit(client, tree, second_grid).status_code == 302
    assert ServiceRequest.objects.get().grid == second_grid


def test_grid_of_another_village_is_refused(client, tree, grid):
    other = make_grid(tree.village_a2, "乙村网格")
    r = _submit(client, tree, other)
    assert r.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_village_outside_the_township_is_refused(client, tree, grid):
    make_grid(tree.village_b1, "丙村网格")
    r = _submit(client, tree, None, township=tree.township_b.pk)
    assert r.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_wrong_code_is_refused_and_nothing_is_created(client, tree, grid):
    _send_code(client)
    right = sms.last_code_for(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    r = _submit(client, tree, grid, code=wrong)
    assert r.status_code == 400
    assert "验证码不正确，还可以再试 4 次" in r.content.decode()
    assert not ServiceRequest.objects.exists()
    # The right code still works after a wrong try.
    assert _submit(client, tree, grid, code=right).status_code == 302


def test_five_wrong_codes_void_the_code(client, tree, grid):
    _send_code(client)
    right = sms.last_code_for(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        _submit(client, tree, grid, code=wrong)
    r = _submit(client, tree, grid, code=right)
    assert "错误次数过多" in r.content.decode()
    assert not ServiceRequest.objects.exists()


def test_code_of_another_phone_is_refused(client, tree, grid):
    _send_code(client, "13700000000")
    code = sms.last_code_for("13700000000")
    r = _submit(client, tree, grid, code=code)
    assert "请先获取短信验证码" in r.content.decode()
    assert not ServiceRequest.objects.exists()


def test_a_refused_request_keeps_the_code_valid(client, tree, grid):
    _send_code(client)
    code = sms.last_code_for(PHONE)
    lighting = category("road_lighting")  # needs a photo
    r = _submit(client, tree, grid, code=code, category=lighting.pk)
    assert r.status_code == 400
    assert "请上传现场照片" in r.content.decode()
    assert PhoneVerification.objects.get().used_at is None
    assert _submit(client, tree, grid, code=code).status_code == 302


def test_required_extra_question(client, tree, grid):
    errand = category("errand")
    r = _submit(client, tree, grid, category=errand.pk)
    assert r.status_code == 400
    assert not ServiceRequest.objects.exists()
    r = _submit(client, tree, grid, category=errand.pk, extra_errand_kind="代缴水电费")
    assert r.status_code == 302
    assert ServiceRequest.objects.get().extra == {"errand_kind": "代缴水电费"}


def test_submit_flood_from_one_phone_gets_429_and_keeps_the_code(client, tree, grid, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "submit_per_phone": (1, 86400)}
    settings.SMS_CODE_RESEND_SECONDS = 0
    assert _submit(client, tree, grid).status_code == 302
    _send_code(client)
    r = _submit(client, tree, grid, code=sms.last_code_for(PHONE))
    assert r.status_code == 429
    assert "今天提交的诉求已达上限" in r.content.decode()
    assert ServiceRequest.objects.count() == 1
    assert PhoneVerification.objects.filter(used_at__isnull=True).count() == 1


def test_submit_flood_from_one_ip_gets_429(client, tree, grid, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "submit_per_ip": (1, 86400)}
    assert _submit(client, tree, grid).status_code == 302
    r = _submit(client, tree, grid, resident_phone="13700000000")
    assert r.status_code == 429
    assert "操作太频繁" in r.content.decode()
    assert ServiceRequest.objects.count() == 1


def test_blocked_phone_cannot_get_a_code_or_submit(client, tree, grid, people):
    _send_code(client)
    code = sms.last_code_for(PHONE)
    block_add(actor=people.county_admin, kind="phone", value=PHONE, reason="恶意刷单")
    r = _send_code(client, HTTP_HX_REQUEST="true")
    assert "暂时无法提交诉求" in r.content.decode()
    r = _submit(client, tree, grid, code=code)
    assert r.status_code == 400
    assert "暂时无法提交诉求" in r.content.decode()
    assert not ServiceRequest.objects.exists()


def test_blocked_ip_cannot_submit(client, tree, grid, people):
    block_add(actor=people.county_admin, kind="ip", value="127.0.0.1", reason="攻击")
    r = _send_code(client, HTTP_HX_REQUEST="true")
    assert "暂时无法提交诉求" in r.content.decode()
    assert not PhoneVerification.objects.exists()


# --- uploads --------------------------------------------------------------------------------


def test_photo_is_stored_without_exif_gps(client, tree, grid):
    raw = _gps_jpeg()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the fixture carries GPS
    upload = SimpleUploadedFile("scene.jpg", raw, content_type="image/jpeg")
    r = _submit(client, tree, grid, photos=[upload, photo("b.jpg")])
    assert r.status_code == 302
    stored = RequestPhoto.objects.filter(request__isnull=False).order_by("id")
    assert stored.count() == 2
    data = stored[0].file.read()
    assert b"ResidentPhone" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        exif = img.getexif()
        assert not exif.get_ifd(0x8825)
        assert 0x0110 not in exif


def test_bytes_that_are_not_an_image_are_refused(client, tree, grid):
    fake = SimpleUploadedFile("x.jpg", b"<html><script>alert(1)</script>", "image/jpeg")
    r = _submit(client, tree, grid, photos=[fake])
    assert r.status_code == 400
    assert "只支持" in r.content.decode()
    assert "请重新选择照片" in r.content.decode()
    assert not ServiceRequest.objects.exists()
    assert not RequestPhoto.objects.exists()
    assert PhoneVerification.objects.get().used_at is None


def test_oversized_photo_is_refused(client, tree, grid, settings, monkeypatch):
    from dangjian.service_requests import public_forms

    monkeypatch.setattr(public_forms, "MAX_BYTES", 4096)
    noise = Image.frombytes("RGB", (120, 120), os.urandom(120 * 120 * 3))
    buf = io.BytesIO()
    noise.save(buf, format="JPEG", quality=95)
    assert len(buf.getvalue()) > 4096
    big = SimpleUploadedFile("big.jpg", buf.getvalue(), content_type="image/jpeg")
    r = _submit(client, tree, grid, photos=[big])
    assert r.status_code == 400
    assert "超过" in r.content.decode()
    assert not ServiceRequest.objects.exists()


def test_too_many_photos_are_refused(client, tree, grid):
    r = _submit(client, tree, grid, photos=[photo(f"{i}.jpg") for i in range(7)])
    assert r.status_code == 400
    assert "最多上传 6 张" in r.content.decode()
    assert not ServiceRequest.objects.exists()


# --- tracking and the private link ----------------------------------------------------------


def _submitted(client: Any, tree: Any, grid: Any) -> tuple[ServiceRequest, str]:
    _submit(client, tree, grid)
    token = client.session["public_requests_submitted"]["token"]
    return ServiceRequest.objects.get(), token


def test_tracking_code_shows_state_without_personal_data(client, tree, grid):
    req, _ = _submitted(client, tree, grid)
    html = client.get("/s/track/", {"code": req.tracking_code.lower()}).content.decode()
    assert "待领单" in html
    assert "群众点单" in html
    assert "王大妈" not in html
    assert "想咨询" not in html  # the description is for the private link
    assert "139" not in html


def test_unknown_tracking_code(client):
    html = client.get("/s/track/", {"code": "261121ZZZZZZ"}).content.decode()
    assert "未找到该受理编号" in html


def test_tracking_floods_get_429(client, tree, grid, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "track_per_ip": (2, 600)}
    for _ in range(2):
        assert client.get("/s/track/", {"code": "X"}).status_code == 200
    r = client.get("/s/track/", {"code": "X"})
    assert r.status_code == 429
    assert "操作太频繁" in r.content.decode()


def test_private_link_shows_progress_and_public_notes_only(client, tree, grid, people, doer):
    req, token = _submitted(client, tree, grid)
    req = services.request_escalate(actor=people.township_a, request=req, note="内部：书记约谈")
    req = services.request_dispatch(actor=people.village_secretary, request=req, members=[doer])
    req = services.request_start(
        actor=people.village_secretary, request=req, note="内部：先找村会计"
    )
    services.request_report(
        actor=people.village_secretary,
        request=req,
        note="已修复",
        photos=[photo()],
        note_public=True,
    )
    r = client.get(f"/s/r/{token}/")
    html = r.content.decode()
    assert "先找村会计" not in html  # a note its author did not make public
    assert "no-store" in r["Cache-Control"]
    assert "想咨询今年的惠农补贴怎么申领" in html
    assert "支部派单" in html
    assert "已派党员承办" in html
    assert "党员晒单" in html
    assert "已修复" in html
    assert doer.name not in html  # no staff names
    assert people.grid_worker.name not in html
    assert people.village_secretary.name not in html
    assert "书记约谈" not in html  # an internal entry
    assert "升级督办" not in html


def test_resident_rates_satisfied_through_the_link(client, tree, grid, people, doer):
    req, token = _submitted(client, tree, grid)
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    html = client.get(f"/s/r/{token}/").content.decode()
    assert 'name="rating"' in html
    assert "网格员领单" in html
    r = client.post(f"/s/r/{token}/", {"rating": "satisfied", "reasons": "很及时"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == "rated"
    assert req.rating == "satisfied"
    html = client.get(f"/s/r/{token}/").content.decode()
    assert "群众评单" in html
    assert 'name="rating"' not in html


def test_rating_link_reused_is_refused_and_nothing_changes(client, tree, grid, people, doer):
    req, token = _submitted(client, tree, grid)
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    client.post(f"/s/r/{token}/", {"rating": "basic"})
    r = client.post(f"/s/r/{token}/", {"rating": "unsatisfied", "reasons": "改主意了"})
    assert r.status_code == 400
    assert "不能重复评价" in r.content.decode()
    req.refresh_from_db()
    assert req.rating == "basic"
    assert req.state == "rated"


def test_unsatisfied_needs_a_reason(client, tree, grid, people, doer):
    req, token = _submitted(client, tree, grid)
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    r = client.post(f"/s/r/{token}/", {"rating": "unsatisfied"})
    assert r.status_code == 400
    assert "请说明不满意的原因" in r.content.decode()
    req.refresh_from_db()
    assert req.state == "reported"


def test_quick_reasons_count_as_the_reason(client, tree, grid, people, doer):
    req, token = _submitted(client, tree, grid)
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    r = client.post(
        f"/s/r/{token}/",
        {"rating": "unsatisfied", "tags": ["问题没有解决", "办理拖延"], "reasons": "灯还是不亮"},
    )
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == "reopened"
    assert req.rating_reasons == "问题没有解决；办理拖延；灯还是不亮"


def test_rating_before_report_is_refused(client, tree, grid):
    req, token = _submitted(client, tree, grid)
    r = client.post(f"/s/r/{token}/", {"rating": "satisfied"})
    assert r.status_code == 400
    req.refresh_from_db()
    assert req.state == "submitted"
    assert req.rating == ""


def test_expired_or_unknown_link_is_a_clear_404(client, tree, grid):
    import datetime as dt

    from django.utils import timezone

    req, token = _submitted(client, tree, grid)
    ServiceRequest.objects.filter(pk=req.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    for link in (f"/s/r/{token}/", "/s/r/not-a-token/"):
        r = client.get(link)
        assert r.status_code == 404
        assert "链接无效或已过期" in r.content.decode()
    r = client.post(f"/s/r/{token}/", {"rating": "satisfied"})
    assert r.status_code == 404
    req.refresh_from_db()
    assert req.rating == ""


def test_rating_floods_get_429(client, tree, grid, people, doer, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "rate_per_ip": (1, 3600)}
    req, token = _submitted(client, tree, grid)
    client.post(f"/s/r/{token}/", {"rating": "satisfied"})  # refused: not reported yet
    r = client.post(f"/s/r/{token}/", {"rating": "satisfied"})
    assert r.status_code == 429
    req.refresh_from_db()
    assert req.rating == ""


def test_pages_need_csrf(tree, grid):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/s/code/", {"resident_phone": PHONE}).status_code == 403
    assert not PhoneVerification.objects.exists()


def test_rate_counters_hold_no_raw_phone(client, tree, grid):
    _submit(client, tree, grid)
    keys = " ".join(RateCounter.objects.values_list("key", flat=True))
    assert PHONE not in keys
    assert "intake-submit" in keys


def test_inactive_category_is_not_offered(client, tree, grid):
    RequestCategory.objects.filter(code="policy").update(is_active=False)
    html = client.get("/s/").content.decode()
    assert "政策咨询" not in html
    r = _submit(client, tree, grid)
    assert r.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_pages_run_a_constant_number_of_queries(
    client, tree, grid, second_grid, people, doer, django_assert_max_num_queries
):
    make_grid(tree.village_a2, "乙村网格")
    with django_assert_max_num_queries(3):
        assert client.get("/s/").status_code == 200
    req, token = _submitted(client, tree, grid)
    req._raw_token = token
    drive(req, "reported", people=people, member=doer)
    # Session, the rate counter (up to 8 with savepoints when a new window starts), request,
    # history, photo counts.
    with django_assert_max_num_queries(12):
        assert client.get(f"/s/r/{token}/").status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get("/s/track/", {"code": req.tracking_code}).status_code == 200


def test_public_pages_have_no_inline_script_and_send_the_csp(client, tree, grid):
    import re

    for url in ("/s/", "/s/track/", "/s/r/unknown/"):
        r = client.get(url)
        assert "script-src 'self'" in r["Content-Security-Policy"]
        scripts = re.findall(r"<script[^>]*>", r.content.decode())
        assert scripts
        assert all(" src=" in tag for tag in scripts), scripts
