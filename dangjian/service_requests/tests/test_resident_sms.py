"""The resident hears about their request by text message: the private link at 点单, then each
step the transition table marks — once per step, never after 退订, never past the phone's
daily limit, and never with personal data in the text. Also the copy buttons, and the 晒单
photos staff marked 对群众公开, shown only through the request's own private link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core import sms
from dangjian.core.audit import AuditLog
from dangjian.service_requests import notices, rules, services
from dangjian.service_requests.models import (
    RequestEvent,
    RequestPhoto,
    ResidentNotice,
    ServiceRequest,
)
from dangjian.service_requests.public_views import SESSION_KEY
from dangjian.service_requests.tests.factories import drive, photo, submit

pytestmark = pytest.mark.django_db

PHONE = "13912345678"  # factories.submit's resident
BASE = "https://dj.example.cn"
NOTIFYING = {"claim", "wait", "report", "reopen_by_staff", "close", "close_unresolved"}


def failing_sender(*, phone: str, body: str) -> None:
    raise ConnectionError("gateway down")


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = BASE
    settings.SMS_SENDER = "dangjian.core.sms.log_sender"


@pytest.fixture
def outbox() -> list[sms.SentSms]:
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture
def sent(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run ``fn`` as a committed step (its after-commit sends happen), return its result."""

    def run(fn: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


def _to(phone: str = PHONE) -> list[str]:
    return [m.body for m in sms.outbox if m.phone == phone]


def _fresh(grid: Any, sent: Any, **kw: Any) -> Any:
    req, token = sent(lambda: submit(grid, **kw))
    req._raw_token = token
    return req


# --- which steps text, from the table --------------------------------------------------------


def test_the_transition_table_says_which_steps_text_the_resident():
    table = {name for name, t in rules.TRANSITIONS.items() if t.resident_notice}
    assert table == NOTIFYING
    assert rules.resident_notice("submit")
    assert not rules.resident_notice("dispatch")
    assert not rules.resident_notice("no-such-step")


def test_submitting_texts_the_tracking_code_and_the_private_link(client, grid, outbox, sent):
    req = _fresh(grid, sent)
    [body] = _to()
    link = f"{BASE}/s/r/{req._raw_token}/"
    assert req.tracking_code in body
    assert link in body
    assert body.startswith("【智慧党建】")
    assert "退订短信" in body
    # The link in the message opens the request.
    assert client.get(link.removeprefix(BASE)).status_code == 200
    notice = ResidentNotice.objects.get(request=req)
    assert (notice.action, notice.status, notice.attempts) == ("submit", "sent", 1)


def test_staff_entry_texts_the_resident_the_link_too(grid, people, outbox, sent):
    req, token = sent(
        lambda: submit(
            grid, channel="phone", actor=people.grid_worker, consent_note="电话中同意代为登记"
        )
    )
    [body] = _to()
    assert f"/s/r/{token}/" in body


def _claim(req: Any, people: Any, doer: Any) -> Any:
    return services.request_claim(actor=people.grid_worker, request=req)


def _wait(req: Any, people: Any, doer: Any) -> Any:
    return services.request_wait(actor=people.grid_worker, request=req, note="请补充门牌号")


def _report(req: Any, people: Any, doer: Any) -> Any:
    return services.request_report(
        actor=people.village_secretary, request=req, note="已修复", photos=[photo()]
    )


def _reopen(req: Any, people: Any, doer: Any) -> Any:
    return services.request_reopen(
        actor=people.village_secretary, request=req, note="群众来电说又坏了"
    )


def _close(req: Any, people: Any, doer: Any) -> Any:
    return services.request_close(actor=people.village_secretary, request=req)


def _close_unresolved(req: Any, people: Any, doer: Any) -> Any:
    return services.request_close_unresolved(
        actor=people.village_secretary, request=req, reason="not_responsible", note="属供电所"
    )


# step → (the state to drive to first, the step, a word the message must carry)
STEPS: dict[str, tuple[str, Callable[..., Any], str]] = {
    "claim": ("submitted", _claim, "领单"),
    "wait": ("claimed", _wait, "补充"),
    "report": ("dispatched", _report, "评价"),
    "reopen_by_staff": ("rated", _reopen, "重新办理"),
    "close": ("rated", _close, "办结"),
    "close_unresolved": ("submitted", _close_unresolved, "不属于职责范围"),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_notifying_step_texts_the_resident_exactly_once(
    grid, people, doer, outbox, sent, step
):
    assert set(STEPS) == NOTIFYING
    state, act, word = STEPS[step]
    req = drive(_fresh(grid, sent), state, people=people, member=doer)
    outbox.clear()

    sent(lambda: act(req, people, doer))

    [body] = _to()
    assert req.tracking_code in body
    assert f"/s/r/{req._raw_token}/" in body
    assert word in body
    event = RequestEvent.objects.filter(request=req, action=step).latest("id")
    notice = ResidentNotice.objects.get(event=event)
    assert notice.status == ResidentNotice.Status.SENT
    # Delivering the same notice again, or queueing its event again, sends nothing more.
    assert notices.notice_deliver(notice_id=notice.pk) == "sent"
    sent(lambda: notices.notice_queue(req=req, event=event))
    assert len(_to()) == 1
    assert ResidentNotice.objects.filter(event=event).count() == 1


def test_the_event_is_the_unique_key_of_a_notice(grid, sent):
    req = _fresh(grid, sent)
    event = RequestEvent.objects.get(request=req, action="submit")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentNotice.objects.create(
            request=req, event=event, action="submit", created_at=timezone.now()
        )


def test_steps_the_table_does_not_mark_text_nothing(grid, people, doer, outbox, sent):
    req = drive(_fresh(grid, sent), "claimed", people=people, member=doer)
    outbox.clear()
    sent(
        lambda: services.request_dispatch(
            actor=people.village_secretary, request=req, members=[doer]
        )
    )
    sent(lambda: services.request_start(actor=people.village_secretary, request=req))
    sent(lambda: services.request_escalate(actor=people.township_a, request=req, note="督办"))
    assert _to() == []
    assert not ResidentNotice.objects.filter(request=req).exclude(action__in=["submit", "claim"])


def test_a_rolled_back_step_texts_nobody(grid, people, outbox, sent):
    req = _fresh(grid, sent)
    outbox.clear()

    def claim_then_fail() -> None:
        with transaction.atomic():
            services.request_claim(actor=people.grid_worker, request=req)
            raise RuntimeError("later failure")

    with pytest.raises(RuntimeError):
        sent(claim_then_fail)
    assert _to() == []
    assert not ResidentNotice.objects.filter(request=req, action="claim").exists()


# --- no personal data -----------------------------------------------------------------------


def test_messages_carry_no_personal_data_only_the_code_and_the_link(
    grid, people, doer, outbox, sent
):
    secret_note = "户主电话13800001111，身份证11010519900307001X"
    req = _fresh(
        grid,
        sent,
        resident_name="王秀兰",
        description="家门口下水道堵了，邻居张三不让修",
        address="甲村幸福路18号",
    )
    token = req._raw_token
    steps = [
        lambda: services.request_claim(
            actor=people.grid_worker, request=req, note=secret_note, note_public=True
        ),
        lambda: services.request_dispatch(
            actor=people.village_secretary, request=req, members=[doer], note=secret_note
        ),
        lambda: services.request_wait(actor=people.grid_worker, request=req, note=secret_note),
        lambda: services.request_resume(actor=people.grid_worker, request=req),
        lambda: services.request_report(
            actor=people.member, request=req, note=secret_note, note_public=True, photos=[photo()]
        ),
    ]
    for step in steps:
        sent(step)
    bodies = _to()
    assert len(bodies) == 4  # 点单, 领单, 请补充, 晒单
    forbidden = [
        PHONE, "5678", "王秀兰", "秀兰", "下水道", "张三", "幸福路", "18号", "13800001111", "1111",
        "110105", "户主", doer.name, people.grid_worker.name, people.village_secretary.name,
        req.category.name,
    ]  # fmt: skip
    link = f"{BASE}/s/r/{token}/"
    for body in bodies:
        assert PHONE not in body
        rest = body.replace(link, "").replace(req.tracking_code, "")
        for word in forbidden:
            assert word not in rest, (word, body)
        # What is left is the template: at most a date and a time of day.
        assert re.fullmatch(r"[^\d]*(\d{1,2}月\d{1,2}日\d{2}:\d{2})?[^\d]*", rest), body


def test_the_body_is_built_when_sent_not_stored(grid, sent):
    req = _fresh(grid, sent)
    names = {f.name for f in ResidentNotice._meta.get_fields()}
    assert "body" not in names
    assert req._raw_token not in str(ResidentNotice.objects.filter(request=req).values())


# --- opt-out --------------------------------------------------------------------------------


def test_opting_out_on_the_private_page_stops_every_message(
    client, grid, people, doer, outbox, sent
):
    req = _fresh(grid, sent)
    token = req._raw_token
    page = client.get(f"/s/r/{token}/").content.decode()
    assert 'data-testid="sms-opt-out"' in page
    outbox.clear()

    r = client.post(f"/s/r/{token}/sms/", {"receive": "0"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.sms_opt_out_at is not None
    assert AuditLog.objects.filter(action="request.sms_opt_out", object_id=str(req.pk)).exists()
    assert "您已退订本诉求的短信提醒" in client.get(f"/s/r/{token}/").content.decode()

    sent(lambda: services.request_claim(actor=people.grid_worker, request=req))
    sent(lambda: services.request_wait(actor=people.grid_worker, request=req, note="请补充"))
    sent(lambda: services.request_close_unresolved(
        actor=people.village_secretary, request=req, reason="cannot_fix", note="暂无资金"
    ))  # fmt: skip
    assert _to() == []
    steps = ResidentNotice.objects.filter(request=req).exclude(action="submit")
    assert sorted(steps.values_list("action", "status")) == [
        ("claim", "opted_out"), ("close_unresolved", "opted_out"), ("wait", "opted_out"),
    ]  # fmt: skip


def test_staff_see_that_the_resident_opted_out(client, login, grid, people, sent):
    req = _fresh(grid, sent)
    client.post(f"/s/r/{req._raw_token}/sms/", {"receive": "0"})
    html = login(people.village_secretary).get(f"/requests/{req.pk}/").content.decode()
    assert "已退订短信提醒" in html


def test_a_queued_message_is_not_sent_after_opting_out(grid, people, outbox, sent, client):
    req = _fresh(grid, sent)
    token = req._raw_token
    services.request_claim(actor=people.grid_worker, request=req)  # queued, not yet delivered
    notice = ResidentNotice.objects.get(request=req, action="claim")
    client.post(f"/s/r/{token}/sms/", {"receive": "0"})
    outbox.clear()
    assert notices.notice_deliver(notice_id=notice.pk) == "opted_out"
    assert _to() == []


def test_resuming_messages_sends_the_next_step_again(client, grid, people, outbox, sent):
    req = _fresh(grid, sent)
    token = req._raw_token
    client.post(f"/s/r/{token}/sms/", {"receive": "0"})
    client.post(f"/s/r/{token}/sms/", {"receive": "1"})
    req.refresh_from_db()
    assert req.sms_opt_out_at is None
    outbox.clear()
    sent(lambda: services.request_claim(actor=people.grid_worker, request=req))
    assert len(_to()) == 1


def test_opting_out_twice_writes_once(client, grid, sent):
    req = _fresh(grid, sent)
    for _ in range(2):
        client.post(f"/s/r/{req._raw_token}/sms/", {"receive": "0"})
    assert AuditLog.objects.filter(action="request.sms_opt_out", object_id=str(req.pk)).count() == 1


def test_opting_out_with_a_wrong_link_is_404_and_changes_nothing(client, grid, sent):
    req = _fresh(grid, sent)
    r = client.post("/s/r/not-a-real-token-aaaaaaaaaaaa/sms/", {"receive": "0"})
    assert r.status_code == 404
    assert "链接" in r.content.decode()
    req.refresh_from_db()
    assert req.sms_opt_out_at is None
    assert client.get(f"/s/r/{req._raw_token}/sms/").status_code == 405


# --- the phone's limit and failures ---------------------------------------------------------


def test_the_per_phone_limit_holds_across_requests(grid, people, outbox, sent, settings):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "notice_per_phone": (2, 86400)}
    first = _fresh(grid, sent)  # 1
    sent(lambda: services.request_claim(actor=people.grid_worker, request=first))  # 2
    second = _fresh(grid, sent, description="另一件事")  # over the limit
    assert len(_to()) == 2
    assert ResidentNotice.objects.get(request=second).status == "limited"
    # Another phone has its own count.
    _fresh(grid, sent, resident_phone="13700000000")
    assert len(_to("13700000000")) == 1


def test_a_failing_gateway_does_not_fail_the_step_and_the_sweep_retries_once(
    grid, people, outbox, sent, settings
):
    req = _fresh(grid, sent)
    outbox.clear()
    settings.SMS_SENDER = f"{__name__}.failing_sender"
    claimed = sent(lambda: services.request_claim(actor=people.grid_worker, request=req))
    assert claimed.state == "claimed"
    notice = ResidentNotice.objects.get(request=req, action="claim")
    assert notice.status == "failed"
    settings.SMS_SENDER = "dangjian.core.sms.log_sender"
    later = timezone.now() + dt.timedelta(minutes=5)
    assert notices.notices_retry(now=later) == 1
    assert notices.notices_retry(now=later) == 0
    assert len(_to()) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("sent", 2)


def test_the_sweep_gives_up_after_a_few_tries(grid, people, outbox, sent, settings):
    settings.SMS_SENDER = f"{__name__}.failing_sender"
    req = _fresh(grid, sent)
    later = timezone.now() + dt.timedelta(minutes=5)
    for _ in range(5):
        notices.notices_retry(now=later)
    notice = ResidentNotice.objects.get(request=req)
    assert (notice.status, notice.attempts) == ("failed", notices.MAX_ATTEMPTS)


def test_a_request_from_before_keeps_a_tracking_page_link(grid, people, outbox, sent):
    req = _fresh(grid, sent)
    ServiceRequest.objects.filter(pk=req.pk).update(token_enc="")
    outbox.clear()
    sent(lambda: services.request_claim(actor=people.grid_worker, request=req))
    [body] = _to()
    assert f"{BASE}/s/track/?code={req.tracking_code}" in body
    assert req._raw_token not in body


# --- copy buttons ---------------------------------------------------------------------------


def test_the_submitted_page_has_copy_buttons_for_the_code_and_the_link(client, grid, sent):
    req = _fresh(grid, sent)
    session = client.session
    session[SESSION_KEY] = {"code": req.tracking_code, "token": req._raw_token}
    session.save()
    html = client.get("/s/submitted/").content.decode()
    assert 'data-testid="copy-tracking-code"' in html
    assert 'data-testid="copy-private-link"' in html
    assert 'x-data="copyText"' in html
    assert "/static/js/copy-text.js" in html
    assert "/static/vendor/alpine.min.js" in html
    assert "已用短信发到您的手机" in html


def test_the_private_page_has_copy_buttons_too(client, grid, sent):
    req = _fresh(grid, sent)
    html = client.get(f"/s/r/{req._raw_token}/").content.decode()
    assert 'data-testid="copy-tracking-code"' in html
    assert 'data-testid="copy-private-link"' in html
    assert f"/s/r/{req._raw_token}/" in html


# --- public 晒单 photos through the private link ---------------------------------------------


def test_a_photo_marked_public_shows_on_the_private_page(client, grid, people, doer, sent):
    req = drive(_fresh(grid, sent), "dispatched", people=people, member=doer)
    token = req._raw_token
    services.request_report(
        actor=people.member, request=req, note="已修复", photos=[photo()], photos_public=True
    )
    row = RequestPhoto.objects.get(request=req, stage="report")
    assert row.public
    html = client.get(f"/s/r/{token}/").content.decode()
    url = f"/s/r/{token}/photo/{row.pk}/"
    assert url in html
    r = client.get(url)
    assert r.status_code == 200
    body = b"".join(r.streaming_content)
    with row.file.open("rb") as fh:
        assert body == fh.read()
    assert r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "private, no-store"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_photos_are_internal_unless_ticked(client, grid, people, doer, sent, tree):
    req = drive(_fresh(grid, sent, category_code="road_lighting", photos=[photo()]), "dispatched",
                people=people, member=doer)  # fmt: skip
    token = req._raw_token
    services.request_report(actor=people.member, request=req, note="已修复", photos=[photo()])
    resident_photo = RequestPhoto.objects.get(request=req, stage="submit")
    report_photo = RequestPhoto.objects.get(request=req, stage="report")
    assert not report_photo.public
    html = client.get(f"/s/r/{token}/").content.decode()
    assert "/photo/" not in html
    for row in (resident_photo, report_photo):
        assert client.get(f"/s/r/{token}/photo/{row.pk}/").status_code == 404


def test_another_requests_link_does_not_open_the_photo(client, grid, people, doer, sent):
    req = drive(_fresh(grid, sent), "dispatched", people=people, member=doer)
    services.request_report(
        actor=people.member, request=req, note="已修复", photos=[photo()], photos_public=True
    )
    row = RequestPhoto.objects.get(request=req, stage="report")
    other = _fresh(grid, sent, description="另一件事")
    assert client.get(f"/s/r/{other._raw_token}/photo/{row.pk}/").status_code == 404
    assert client.get(f"/s/r/unknown-token-aaaaaaaaaaaa/photo/{row.pk}/").status_code == 404
    # An expired link opens nothing either.
    ServiceRequest.objects.filter(pk=req.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(f"/s/r/{req._raw_token}/photo/{row.pk}/").status_code == 404


def test_wrong_links_on_the_photo_route_count_against_the_address(
    client, grid, people, doer, sent, settings
):
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "track_per_ip": (3, 600)}
    req = drive(_fresh(grid, sent), "dispatched", people=people, member=doer)
    services.request_report(
        actor=people.member, request=req, note="已修复", photos=[photo()], photos_public=True
    )
    row = RequestPhoto.objects.get(request=req, stage="report")
    good = f"/s/r/{req._raw_token}/photo/{row.pk}/"
    for _ in range(5):  # the link holder's own photo views cost nothing
        assert client.get(good).status_code == 200
    for _ in range(3):
        assert client.get(f"/s/r/guess-{_}-aaaaaaaaaaaaaaa/photo/{row.pk}/").status_code == 404
    limited = client.get(good)
    assert limited.status_code == 429
    assert "Retry-After" in limited


def test_staff_tick_public_when_reporting_on_the_page(login, grid, people, doer, sent):
    req = drive(_fresh(grid, sent), "dispatched", people=people, member=doer)
    client = login(people.member)
    mine = client.get("/requests/mine/").content.decode()
    assert 'name="photos_public"' in mine
    assert "照片对群众公开" in mine
    r = client.post(
        f"/requests/{req.pk}/report/",
        {"note": "已修复", "photos": [photo()], "photos_public": "on", "next": "mine"},
    )
    assert r.status_code == 302
    assert RequestPhoto.objects.get(request=req, stage="report").public
    detail = login(people.village_secretary).get(f"/requests/{req.pk}/").content.decode()
    assert "对群众公开" in detail


def test_the_api_reports_with_public_photos(login, grid, people, doer, sent):
    import base64

    req = drive(_fresh(grid, sent), "dispatched", people=people, member=doer)
    client = login(people.village_secretary)
    data = base64.b64encode(photo().read()).decode()
    r = client.post(
        f"/api/v1/requests/{req.pk}/report",
        {"note": "已修复", "photos": [data], "photos_public": True},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert [p["public"] for p in r.json()["photos"] if p["stage"] == "report"] == [True]
