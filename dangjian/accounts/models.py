from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from dangjian.accounts.roles import Role
from dangjian.core.models import TimeStampedModel


class User(AbstractUser):
    """A person who logs in. Chinese names are one field; ``mobile`` is a second login name."""

    name = models.CharField("姓名", max_length=50, blank=True)
    mobile = models.CharField("手机号码", max_length=11, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username


class RoleGrant(TimeStampedModel):
    """A role held by a user on an organization and its whole subtree, for a period."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="grants"
    )
    org = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name="授权人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        ordering = ["user_id", "id"]
        indexes = [models.Index(fields=["user", "valid_from"], name="grant_user_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="grant_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_id}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ApiToken(TimeStampedModel):
    """A personal API token: only a hash is stored; bound to one user; revocable.

    Tokens are made from a logged-in session (the page) or by the CLI, never by another token.
    ``created_by_token`` keeps the line of descent should a token ever be derived from another
    (rows from before this field have none: their origin is ``legacy``); revoking a token
    revokes every token below it.
    """

    class Origin(models.TextChoices):
        SESSION = "session", "网页登录后创建"
        CLI = "cli", "命令行创建"
        LEGACY = "legacy", "升级前创建（来源未记录）"

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100, blank=True)
    origin = models.CharField("来源", max_length=16, choices=Origin.choices)
    created_by_token = models.ForeignKey(
        "self",
        verbose_name="上级令牌",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    prefix = models.CharField("前缀", max_length=12)
    key_hash = models.CharField("摘要", max_length=64, unique=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
