"""Text messages through a pluggable sender, and phone verification codes.

``settings.SMS_SENDER`` is the dotted path of a callable ``sender(*, phone, body)``. The default,
``log_sender``, writes the message to the ``dangjian.sms`` logger and keeps it in ``outbox``
(this process only, like ``django.core.mail.outbox``) so a local install shows the code in its
console and tests read it back. A real gateway (Aliyun, Tencent Cloud …) is a small callable
configured in production; it must raise on failure so the resident is told to try again.

A verification code is 6 digits; only a keyed hash is stored. It expires, it allows a few wrong
tries, and a new code for the same phone waits a cool-down. The numbers are in settings
(``SMS_CODE_*``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core.crypto import lookup_hash, mask_phone
from dangjian.core.models import PhoneVerification

log = logging.getLogger("dangjian.sms")

OUTBOX_LIMIT = 500  # the log sender keeps only the latest messages in memory


@dataclass(frozen=True)
class SentSms:
    phone: str
    body: str
    sent_at: dt.datetime


outbox: list[SentSms] = []


def log_sender(*, phone: str, body: str) -> None:
    """The local sender: log the message (phone masked) and keep it in ``outbox``."""
    log.info("SMS to %s: %s", mask_phone(phone), body)
    outbox.append(SentSms(phone=phone, body=body, sent_at=timezone.now()))
    del outbox[:-OUTBOX_LIMIT]


def last_code_for(phone: str) -> str:
    """The code in the latest message to ``phone`` in the outbox (tests and local use)."""
    for message in reversed(outbox):
        # Other messages to the phone (a request's progress) carry digits too: skip them.
        if message.phone == phone and "验证码" in message.body:
            digits = "".join(ch for ch in message.body if ch.isdigit())
            return digits[: settings.SMS_CODE_LENGTH]
    raise LookupError(f"no SMS to {phone} in the outbox")


def sms_send(*, phone: str, body: str) -> None:
    """Send one text message through the configured sender."""
    sender = import_string(settings.SMS_SENDER)
    sender(phone=phone, body=body)


def _code_hash(verification_key: str, code: str) -> str:
    return lookup_hash(f"sms-code:{verification_key}:{code}")


def phone_code_issue(*, phone: str, purpose: str) -> PhoneVerification:
    """Send a fresh code to ``phone`` for ``purpose``; refused during the resend cool-down."""
    now = timezone.now()
    phone_hash = lookup_hash(phone)
    cooldown = dt.timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS)
    with transaction.atomic():
        latest = (
            PhoneVerification.objects.select_for_update()
            .filter(phone_hash=phone_hash, purpose=purpose)
            .order_by("-id")
            .first()
        )
        if latest is not None and latest.created_at > now - cooldown:
            wait = int((latest.created_at + cooldown - now).total_seconds()) + 1
            raise ValidationError(f"验证码已发送，请 {wait} 秒后再重新获取", code="sms_cooldown")
        # A new code retires the older ones: only the latest message is valid.
        PhoneVerification.objects.filter(
            phone_hash=phone_hash, purpose=purpose, used_at__isnull=True
        ).update(used_at=now)
        code = f"{secrets.randbelow(10**settings.SMS_CODE_LENGTH):0{settings.SMS_CODE_LENGTH}d}"
        salt = secrets.token_hex(8)
        verification = PhoneVerification.objects.create(
            phone_hash=phone_hash,
            purpose=purpose,
            salt=salt,
            code_hash=_code_hash(salt, code),
            expires_at=now + dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        )
        # Codes long past use are dropped here, so the table stays small without a job.
        PhoneVerification.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
        minutes = settings.SMS_CODE_TTL_SECONDS // 60
        # Sent inside the transaction: a gateway failure leaves no code that was never sent.
        try:
            sms_send(phone=phone, body=f"【智慧党建】您的验证码是 {code}，{minutes} 分钟内有效。")
        except Exception as exc:
            log.exception("SMS sender failed")
            raise ValidationError("短信发送失败，请稍后重试", code="sms_failed") from exc
    return verification


def phone_code_check(
    *, phone: str, code: str, purpose: str, consume: bool = True
) -> PhoneVerification:
    """Check the latest code sent to ``phone``: right → marked used (unless ``consume`` is
    False: the caller then uses ``phone_code_consume`` inside its own transaction, so a write
    that fails keeps the code valid); wrong → one try spent, committed even so.

    Call it outside any transaction: a wrong try must stay counted when the caller rolls back.
    """
    now = timezone.now()
    code = (code or "").strip()
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(phone_hash=lookup_hash(phone), purpose=purpose, used_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if verification is None:
            raise ValidationError("请先获取短信验证码", code="sms_missing")
        if verification.expires_at <= now:
            raise ValidationError("验证码已过期，请重新获取", code="sms_expired")
        if verification.attempts >= settings.SMS_CODE_MAX_TRIES:
            raise ValidationError("验证码错误次数过多，请重新获取", code="sms_locked")
        if hmac.compare_digest(verification.code_hash, _code_hash(verification.salt, code)):
            if consume:
                phone_code_consume(verification=verification)
            return verification
        # The wrong try is counted and committed; the caller's own writes never start.
        verification.attempts += 1
        verification.save(update_fields=["attempts", "updated_at"])
        left = settings.SMS_CODE_MAX_TRIES - verification.attempts
    if left <= 0:
        raise ValidationError("验证码错误次数过多，请重新获取", code="sms_locked")
    raise ValidationError(f"验证码不正确，还可以再试 {left} 次", code="sms_wrong")


def phone_code_consume(*, verification: PhoneVerification) -> None:
    """Mark a checked code used; refused when another request used it first (a double submit)."""
    now = timezone.now()
    used = PhoneVerification.objects.filter(pk=verification.pk, used_at__isnull=True).update(
        used_at=now, updated_at=now
    )
    if not used:
        raise ValidationError("验证码已使用，请重新获取", code="sms_used")
    verification.used_at = now


def phone_verification_purge(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete codes past use (expired more than ``older_than`` ago); returns rows deleted."""
    deleted, _ = PhoneVerification.objects.filter(
        expires_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
