from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.paths import PathField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class OrgPathCopy(models.Model):
    """A row that carries a copy of its organization's path, so scoping is one range predicate.

    The organization move service finds every concrete subclass and rewrites the copies.
    """

    org_path = PathField("组织路径", blank=True, default="")

    class Meta:
        abstract = True


class AuditLog(OrgPathCopy):
    """One row per service write: who did what to which object, from where, when."""

    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    org_id = models.BigIntegerField("所属组织", null=True, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="audit_org_path_id"),
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class CalendarDay(TimeStampedModel):
    """An exception to the Monday–Friday week: a holiday on a weekday or a 调休 working weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（休息）"
        WORKDAY = "workday", "调休上班"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, blank=True)
    source = models.CharField("来源", max_length=50, blank=True, default="chinese-calendar")

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Notification(TimeStampedModel):
    """An in-app message to one user; other channels (SMS, WeCom) are sent alongside."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=500, blank=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "id"], name="notif_unread")]
        constraints = [
            # A scheduled job that runs twice must not notify twice.
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notif_unique_dedupe")
        ]

    def __str__(self) -> str:
        return self.title


class PhoneVerification(TimeStampedModel):
    """One SMS code sent to a phone: only a keyed hash of the phone and of the code is kept."""

    phone_hash = models.CharField("手机号摘要", max_length=64)
    purpose = models.CharField("用途", max_length=32)
    salt = models.CharField("盐", max_length=32)
    code_hash = models.CharField("验证码摘要", max_length=64)
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用或作废时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"
        indexes = [
            models.Index(fields=["phone_hash", "purpose", "id"], name="phonever_lookup"),
            models.Index(fields=["expires_at"], name="phonever_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.phone_hash[:8]}"


class RateCounter(models.Model):
    """Hits on one key (an action and a hashed phone or an IP) in one fixed time window."""

    key = models.CharField("键", max_length=128)
    window_start = models.DateTimeField("窗口开始")
    count = models.PositiveIntegerField("次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "频率计数"
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_unique")
        ]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key} {self.count}"


class BlockEntry(TimeStampedModel):
    """A phone (by keyed hash) or an IP address refused by the public intake, until a time."""

    class Kind(models.TextChoices):
        PHONE = "phone", "手机号"
        IP = "ip", "IP 地址"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    value = models.CharField("手机号摘要或 IP", max_length=64)
    label = models.CharField("显示", max_length=64, help_text="手机号打码显示")
    reason = models.CharField("原因", max_length=200)
    until = models.DateTimeField("截止时间", null=True, blank=True, help_text="留空为长期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="解除人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "黑名单"
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "value"], name="blockentry_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"
