"""SMS sender and phone verification codes."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core import sms
from dangjian.core.crypto import lookup_hash
from dangjian.core.models import PhoneVerification

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _backdate(verification: PhoneVerification, seconds: int) -> None:
    shift = dt.timedelta(seconds=seconds)
    PhoneVerification.objects.filter(pk=verification.pk).update(
        created_at=verification.created_at - shift, expires_at=verification.expires_at - shift
    )


def test_log_sender_logs_masked_phone_and_keeps_outbox(caplog):
    with caplog.at_level(logging.INFO, logger="dangjian.sms"):
        sms.sms_send(phone=PHONE, body="测试短信 123456")
    assert "139****5678" in caplog.text
    assert PHONE not in caplog.text
    assert sms.outbox[-1].phone == PHONE
    assert sms.outbox[-1].body == "测试短信 123456"


def test_sender_is_pluggable(settings):
    sent = []
    settings.SMS_SENDER = "dangjian.core.tests.test_sms.recording_sender"
    RECORDED.clear()
    sms.sms_send(phone=PHONE, body="hi")
    sent.extend(RECORDED)
    assert sent == [(PHONE, "hi")]


RECORDED: list[tuple[str, str]] = []


def recording_sender(*, phone: str, body: str) -> None:
    RECORDED.append((phone, body))


def failing_sender(*, phone: str, body: str) -> None:
    raise RuntimeError("gateway down")


def test_issue_sends_six_digits_and_stores_only_hashes():
    v = sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    assert len(code) == 6
    assert code.isdigit()
    assert v.phone_hash == lookup_hash(PHONE)
    stored = PhoneVerification.objects.filter(pk=v.pk).values().get()
    assert PHONE not in str(stored)
    assert code not in stored.values()  # only its salted hash
    assert abs((v.expires_at - v.created_at) - dt.timedelta(minutes=10)) < dt.timedelta(seconds=1)


def test_right_code_is_accepted_once():
    sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    v = sms.phone_code_check(phone=PHONE, code=code, purpose="intake")
    assert v.used_at is not None
    with pytest.raises(ValidationError, match="请先获取短信验证码"):
        sms.phone_code_check(phone=PHONE, code=code, purpose="intake")


def test_code_is_bound_to_phone_and_purpose():
    sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    with pytest.raises(ValidationError, match="请先获取"):
        sms.phone_code_check(phone="13900000000", code=code, purpose="intake")
    with pytest.raises(ValidationError, match="请先获取"):
        sms.phone_code_check(phone=PHONE, code=code, purpose="other")


def test_wrong_code_counts_tries_and_locks_after_five():
    sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError, match=f"还可以再试 {left} 次"):
            sms.phone_code_check(phone=PHONE, code=wrong, purpose="intake")
    with pytest.raises(ValidationError, match="错误次数过多"):
        sms.phone_code_check(phone=PHONE, code=wrong, purpose="intake")
    # The fifth wrong try voids the code: even the right one is refused now.
    with pytest.raises(ValidationError, match="错误次数过多"):
        sms.phone_code_check(phone=PHONE, code=code, purpose="intake")
    assert PhoneVerification.objects.get().attempts == 5


def test_code_expires_after_ten_minutes_not_before():
    v = sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    _backdate(v, 599)  # one second left
    assert sms.phone_code_check(phone=PHONE, code=code, purpose="intake").used_at
    PhoneVerification.objects.all().delete()
    v = sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    _backdate(v, 600)  # the moment it expires
    with pytest.raises(ValidationError, match="验证码已过期"):
        sms.phone_code_check(phone=PHONE, code=code, purpose="intake")


def test_resend_waits_for_the_cool_down_and_voids_the_old_code():
    v = sms.phone_code_issue(phone=PHONE, purpose="intake")
    old = sms.last_code_for(PHONE)
    with pytest.raises(ValidationError, match="秒后再重新获取"):
        sms.phone_code_issue(phone=PHONE, purpose="intake")
    assert PhoneVerification.objects.count() == 1
    _backdate(v, 60)
    sms.phone_code_issue(phone=PHONE, purpose="intake")
    new = sms.last_code_for(PHONE)
    if new != old:
        with pytest.raises(ValidationError, match="验证码不正确"):
            sms.phone_code_check(phone=PHONE, code=old, purpose="intake")
    assert sms.phone_code_check(phone=PHONE, code=new, purpose="intake").used_at


def test_resend_one_second_before_cool_down_is_refused():
    v = sms.phone_code_issue(phone=PHONE, purpose="intake")
    _backdate(v, 59)
    with pytest.raises(ValidationError, match="1 秒后|2 秒后"):
        sms.phone_code_issue(phone=PHONE, purpose="intake")


def test_failing_gateway_leaves_no_code(settings):
    settings.SMS_SENDER = "dangjian.core.tests.test_sms.failing_sender"
    with pytest.raises(ValidationError, match="短信发送失败"):
        sms.phone_code_issue(phone=PHONE, purpose="intake")
    assert not PhoneVerification.objects.exists()


def test_purge_deletes_only_long_expired_codes():
    old = sms.phone_code_issue(phone=PHONE, purpose="intake")
    PhoneVerification.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=2)
    )
    assert sms.phone_verification_purge() == 1
    assert not PhoneVerification.objects.exists()


def test_issuing_a_code_drops_codes_long_past_use():
    old = sms.phone_code_issue(phone=PHONE, purpose="intake")
    PhoneVerification.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1, seconds=1)
    )
    fresh = sms.phone_code_issue(phone="13700000000", purpose="intake")
    assert list(PhoneVerification.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_check_without_consume_then_consume_once():
    sms.phone_code_issue(phone=PHONE, purpose="intake")
    code = sms.last_code_for(PHONE)
    v = sms.phone_code_check(phone=PHONE, code=code, purpose="intake", consume=False)
    assert v.used_at is None
    sms.phone_code_consume(verification=v)
    with pytest.raises(ValidationError, match="验证码已使用"):
        sms.phone_code_consume(verification=v)
