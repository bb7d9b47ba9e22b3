"""三张清单: 问题清单 (Finding), 责任清单 (Responsibility), 整改清单 (Remedy).

A finding may come from any source (组织生活会, 党建体检, 达标创星 …), named by
``source_type`` ("app_label.model") and ``source_id``; this app imports none of them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class Finding(OrgPathCopy, TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", "待整改"
        IN_PROGRESS = "in_progress", "整改中"
        RECTIFIED = "rectified", "已整改待验收"
        CLOSED = "closed", "已销号"
        REOPENED = "reopened", "验收未通过，重新整改"

    class Severity(models.TextChoices):
        GENERAL = "general", "一般"
        SERIOUS = "serious", "较重"
        CRITICAL = "critical", "严重"

    class Category(models.TextChoices):
        ORGANIZATION = "organization", "组织建设"
        ORG_LIFE = "org_life", "组织生活"
        MEMBERS = "members", "党员教育管理"
        CONDUCT = "conduct", "作风纪律"
        SERVICE = "service", "服务群众"
        OTHER = "other", "其他"

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.PROTECT,
        related_name="findings",
    )
    source_type = models.CharField("来源类型", max_length=64, blank=True)
    source_id = models.BigIntegerField("来源编号", null=True, blank=True)
    title = models.CharField("问题", max_length=200)
    description = models.TextField("问题描述", blank=True)
    category = models.CharField(
        "问题类别", max_length=20, choices=Category.choices, default=Category.OTHER
    )
    found_on = models.DateField("发现日期")
    severity = models.CharField(
        "严重程度", max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="验收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_on = models.DateField("验收日期", null=True, blank=True)
    verdict = models.TextField("验收意见", blank=True)

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题清单"
        ordering = ["-found_on", "-id"]
        indexes = [
            models.Index(fields=["org_path", "state"], name="finding_path_state"),
            models.Index(fields=["source_type", "source_id"], name="finding_source"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        """Set by the ledger selector's annotation (``late_remedies``); closed is never overdue."""
        return bool(getattr(self, "late_remedies", False)) and self.state != self.State.CLOSED


class Responsibility(TimeStampedModel):
    finding = models.ForeignKey(
        Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="responsibilities"
    )
    owner_name = models.CharField("责任人", max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    role = models.CharField(
        "责任", max_length=100, blank=True, help_text="如：第一责任人、直接责任人"
    )
    ordering = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "责任"
        verbose_name_plural = "责任清单"
        ordering = ["finding_id", "ordering", "id"]

    def __str__(self) -> str:
        return f"{self.owner_name} {self.role}"


class Remedy(TimeStampedModel):
    finding = models.ForeignKey(
        Finding, verbose_name="问题", on_delete=models.CASCADE, related_name="remedies"
    )
    measure = models.TextField("整改措施")
    owner_name = models.CharField("责任人", max_length=50)
    deadline = models.DateField("整改时限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    evidence = models.TextField("整改成效", blank=True)
    evidence_file = models.FileField("佐证材料", upload_to="findings/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "整改措施"
        verbose_name_plural = "整改清单"
        ordering = ["finding_id", "deadline", "id"]
        indexes = [models.Index(fields=["deadline", "done_on"], name="remedy_deadline_done")]

    def __str__(self) -> str:
        return self.measure[:50]

    def overdue_on(self, today: dt.date) -> bool:
        """Overdue from the day after the deadline while not done."""
        return self.done_on is None and self.deadline < today
