"""点单 and 评单: the two services the residents' pages call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestEvent, RequestPhoto, ServiceRequest
from dangjian.service_requests.tests.factories import drive, photo, submit

pytestmark = pytest.mark.django_db


def test_submit_stores_personal_data_encrypted_and_masked(grid):
    req, token = submit(grid)
    assert req.state == "submitted"
    assert req.resident_phone_masked == "139****5678"
    assert req.resident_name_masked == "王**"
    assert "13912345678" not in req.resident_phone_enc
    assert crypto.decrypt(req.resident_phone_enc) == "13912345678"
    assert req.resident_phone_hash == crypto.lookup_hash("13912345678")
    assert req.token_hash == services.token_digest(token)
    assert token not in req.token_hash
    assert req.org_path == grid.org.path
    assert len(req.tracking_code) == 12
    ev = RequestEvent.objects.get(request=req)
    assert (ev.action, ev.to_state, ev.actor_label, ev.is_public) == (
        "submit",
        "submitted",
        "群众",
        True,
    )
    assert AuditLog.objects.filter(action="request.submit", object_id=str(req.pk)).exists()


def test_submit_notifies_the_grid_workers(grid, people):
    req, _ = submit(grid)
    assert people.grid_worker.notifications.filter(title__contains=req.tracking_code).exists()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"description": "  "}, "请填写诉求内容"),
        ({"description": "长" * 1001}, "诉求内容不能超过 1000 个字"),
        ({"resident_phone": ""}, "请填写联系电话"),
        ({"resident_phone": "12345"}, "手机号码应为 11 位"),
        ({"category_code": "road_lighting"}, "“道路照明”类诉求请上传现场照片"),
        ({"category_code": "errand"}, "请填写“代办事项”"),
        ({"category_code": "errand", "extra": {"errand_kind": "买彩票"}}, "“代办事项”的取值不正确"),
        ({"channel": "fax"}, "来源不正确"),
    ],
)
def test_bad_submissions_are_refused_and_nothing_is_stored(grid, kw, message):
    with pytest.raises(ValidationError) as exc:
        submit(grid, **kw)
    assert message in "".join(exc.value.messages)
    assert ServiceRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0


def test_a_non_image_photo_is_refused(grid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="只支持"):
        submit(grid, photos=[bad])
    assert ServiceRequest.objects.count() == 0


def test_submitted_photos_are_reencoded(grid):
    req, _ = submit(grid, category_code="road_lighting", photos=[photo()])
    p = req.photos.get()
    assert p.stage == "submit"
    assert p.file.name.endswith(".jpg")


def test_staff_entry_needs_the_role_and_records_consent(grid, people):
    with pytest.raises(ValidationError, match="代为登记须记录群众的同意情况"):
        submit(grid, channel="phone", actor=people.grid_worker)
    with pytest.raises(PermissionDenied):
        submit(grid, channel="phone", actor=people.township_b, consent_note="电话中同意")
    req, _ = submit(
        grid, channel="staff", actor=people.grid_worker, consent_note="老人当面同意代为登记",
        category_code="errand", extra={"errand_kind": "代缴水电费"}, priority="urgent",
    )  # fmt: skip
    assert req.consent_given
    assert req.consent_note == "老人当面同意代为登记"
    assert req.entered_by == people.grid_worker
    assert req.priority == "urgent"
    assert req.extra == {"errand_kind": "代缴水电费"}
    assert "同意情况" in req.events.get().note


def test_a_resident_cannot_set_the_priority(grid):
    req, _ = submit(grid, priority="very_urgent")
    assert req.priority == "general"


def test_rating_before_the_report_is_refused(fresh):
    with pytest.raises(ValidationError, match="不能评单"):
        services.request_rate(token=fresh._raw_token, rating="satisfied")


def test_unknown_and_expired_tokens_are_refused(fresh, people, doer):
    req = drive(fresh, "reported", people=people, member=doer)
    with pytest.raises(ValidationError, match="评价链接无效"):
        services.request_rate(token="nope", rating="satisfied")
    with pytest.raises(ValidationError, match="评价链接无效"):
        services.request_rate(token="", rating="satisfied")
    ServiceRequest.objects.filter(pk=req.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="评价链接已过期"):
        services.request_rate(token=req._raw_token, rating="satisfied")
    req.refresh_from_db()
    assert req.state == "reported"
    assert req.rating == ""


def test_satisfied_rates_and_solves_and_a_reused_token_is_refused(fresh, people, doer):
    req = drive(fresh, "reported", people=people, member=doer)
    rated = services.request_rate(token=req._raw_token, rating="satisfied", reasons="很及时")
    assert (rated.state, rated.rating, rated.solved_at is not None) == ("rated", "satisfied", True)
    with pytest.raises(ValidationError, match="已评价过"):
        services.request_rate(token=req._raw_token, rating="unsatisfied", reasons="改主意")
    rated.refresh_from_db()
    assert rated.rating == "satisfied"


def test_unsatisfied_needs_a_reason(fresh, people, doer):
    req = drive(fresh, "reported", people=people, member=doer)
    with pytest.raises(ValidationError, match="请说明不满意的原因"):
        services.request_rate(token=req._raw_token, rating="unsatisfied")
    with pytest.raises(ValidationError, match="请选择评价"):
        services.request_rate(token=req._raw_token, rating="excellent")
    req.refresh_from_db()
    assert req.state == "reported"


def test_unsatisfied_reopens_at_most_twice(fresh, people, doer):
    req = drive(fresh, "reported", people=people, member=doer)
    for n in (1, 2):
        req = services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
        assert (req.state, req.reopen_count) == ("reopened", n)
        req = services.request_report(
            actor=people.member, request=req, note="再次修复", photos=[photo()]
        )
    req = services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="还是不行")
    assert (req.state, req.reopen_count, req.rating) == ("rated", 2, "unsatisfied")
    assert req.solved_at is None  # an unsatisfied end is never counted as solved
    assert "重办次数已达上限 2 次" in req.events.last().note


def test_the_reopen_limit_is_data(fresh, people, doer):
    from dangjian.service_requests.models import LoopRuleSet

    LoopRuleSet.objects.update(reopen_limit=0)
    req = drive(fresh, "reported", people=people, member=doer)
    req = services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
    assert req.state == "rated"
    assert req.reopen_count == 0


def test_rating_after_the_window_is_refused(fresh, people, doer):
    req = drive(fresh, "reported", people=people, member=doer)
    ServiceRequest.objects.filter(pk=req.pk).update(
        rating_due_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="评价期限已过"):
        services.request_rate(token=fresh._raw_token, rating="satisfied")
