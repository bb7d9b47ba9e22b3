from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class MeetingType(models.TextChoices):
    GENERAL_MEETING = "general_meeting", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支委会"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    MEMBER_REVIEW = "member_review", "民主评议党员"
    HEART_TALK = "heart_talk", "谈心谈话"
    LEADERSHIP_LIFE_MEETING = "leadership_life_meeting", "民主生活会"


class RuleSet(TimeStampedModel):
    """A versioned set of organizational-life requirements, national or a local override.

    ``scope`` empty = the national default; a path = an override for that subtree (e.g. a county
    that wants 党课 quarterly). The most specific active set wins, per requirement type.
    """

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=20)
    source = models.TextField("依据")
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="适用范围",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "组织生活规则集"
        verbose_name_plural = "组织生活规则集"
        ordering = ["-effective_from", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class Requirement(TimeStampedModel):
    """How often an organization must hold one meeting type, and when the rule applies."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "每月"
        QUARTERLY = "quarterly", "每季度"
        YEARLY = "yearly", "每年"

    class Condition(models.TextChoices):
        ALWAYS = "always", "所有党支部"
        COMMITTEE = "committee", "设立支部委员会的党支部（正式党员≥7人）"
        HAS_GROUPS = "has_groups", "设有党小组的党支部"

    rule_set = models.ForeignKey(
        RuleSet, verbose_name="规则集", on_delete=models.CASCADE, related_name="requirements"
    )
    meeting_type = models.CharField("会议类型", max_length=32, choices=MeetingType.choices)
    frequency = models.CharField("频次", max_length=16, choices=Frequency.choices)
    min_count = models.PositiveSmallIntegerField("每期至少次数", default=1)
    condition = models.CharField(
        "适用条件", max_length=16, choices=Condition.choices, default=Condition.ALWAYS
    )
    # A number the condition reads (e.g. 7 full members for a 支部委员会), as data with a source.
    threshold = models.PositiveSmallIntegerField("条件人数", null=True, blank=True)
    source = models.CharField("条款依据", max_length=200)
    tag = models.CharField(
        "性质", max_length=10, default="reg", help_text="reg 规定 / local 地方做法 / verify 待核实"
    )

    class Meta:
        verbose_name = "组织生活要求"
        verbose_name_plural = "组织生活要求"
        ordering = ["rule_set_id", "meeting_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "meeting_type"], name="requirement_unique_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_meeting_type_display()} {self.get_frequency_display()}"


class AnnualPlan(OrgPathCopy, TimeStampedModel):
    """年度组织生活计划 of one organization."""

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.CASCADE,
        related_name="meeting_plans",
    )
    year = models.PositiveSmallIntegerField("年度")
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "年度组织生活计划"
        verbose_name_plural = "年度组织生活计划"
        ordering = ["org_path", "-year"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="plan_unique_year")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}"


class PlannedMeeting(TimeStampedModel):
    plan = models.ForeignKey(
        AnnualPlan, verbose_name="计划", on_delete=models.CASCADE, related_name="items"
    )
    meeting_type = models.CharField("会议类型", max_length=32, choices=MeetingType.choices)
    month = models.PositiveSmallIntegerField("计划月份")
    topic = models.CharField("主题", max_length=200, blank=True)

    class Meta:
        verbose_name = "计划会议"
        verbose_name_plural = "计划会议"
        ordering = ["plan_id", "month", "meeting_type"]

    def __str__(self) -> str:
        return f"{self.month}月 {self.get_meeting_type_display()}"


class Meeting(OrgPathCopy, TimeStampedModel):
    """One meeting record; it may count as several types (主题党日 + 党员大会 + 党课)."""

    class State(models.TextChoices):
        # Announced ahead: members notified, check-in opens at the time; recorded afterwards.
        PLANNED = "planned", "已通知待召开"
        CANCELLED = "cancelled", "已取消"
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交待审核"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "审核通过"

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    types = models.JSONField("会议类型", default=list)
    held_at = models.DateTimeField("召开时间")
    place = models.CharField("地点", max_length=200, blank=True)
    host_name = models.CharField("主持人", max_length=50, blank=True)
    recorder_name = models.CharField("记录人", max_length=50, blank=True)
    topic = models.CharField("主题", max_length=200)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议记录（已清洗的富文本）", blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    is_late_entry = models.BooleanField("补录", default=False)
    review_comment = models.TextField("审核意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checkin_code = models.CharField("签到码", max_length=8, unique=True, null=True, blank=True)
    checkin_token = models.CharField(
        "签到二维码令牌", max_length=64, unique=True, null=True, blank=True
    )
    checkin_opens_at = models.DateTimeField("签到开始", null=True, blank=True)
    checkin_closes_at = models.DateTimeField("签到截止", null=True, blank=True)
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)
    # Bumped on every reschedule: each round's notices are delivered once (dedupe key).
    notice_round = models.PositiveSmallIntegerField("通知轮次", default=0)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "会议记录"
        verbose_name_plural = "会议记录"
        ordering = ["-held_at", "-id"]
        indexes = [
            models.Index(fields=["org_path", "held_at"], name="meeting_path_held"),
            models.Index(fields=["org", "held_at"], name="meeting_org_held"),
            models.Index(fields=["state", "org_path"], name="meeting_state_path"),
        ]

    def __str__(self) -> str:
        return self.topic


class MeetingTypeTag(OrgPathCopy):
    """One (meeting, type) pair with the date and organization copied: the compliance engine
    counts these with one grouped query over a path range."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="type_tags"
    )
    org_id_copy = models.BigIntegerField("党组织")
    meeting_type = models.CharField("会议类型", max_length=32, choices=MeetingType.choices)
    held_on = models.DateField("召开日期")
    counts = models.BooleanField(
        "计入完成情况", default=False, help_text="提交或审核通过的会议才计入"
    )
    is_late_entry = models.BooleanField("补录", default=False)

    class Meta:
        verbose_name = "会议类型标记"
        verbose_name_plural = "会议类型标记"
        indexes = [
            models.Index(
                fields=["org_path", "held_on", "meeting_type"], name="meetingtag_path_day_type"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "meeting_type"], name="meetingtag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.meeting_type}"


class Attendance(OrgPathCopy, TimeStampedModel):
    class Status(models.TextChoices):
        PRESENT = "present", "出席"
        LATE = "late", "迟到"
        EXCUSED = "excused", "请假"
        ABSENT = "absent", "缺席"

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField(
        "出席情况", max_length=16, choices=Status.choices, default=Status.ABSENT
    )
    reason = models.CharField("请假事由", max_length=200, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    by_checkin = models.BooleanField("扫码签到", default=False)
    is_voting = models.BooleanField("有表决权（正式党员）", default=True)

    class Meta:
        verbose_name = "出席记录"
        verbose_name_plural = "出席记录"
        ordering = ["meeting_id", "member_id"]
        indexes = [
            models.Index(fields=["member", "meeting"], name="attendance_member"),
            # Covers the compliance page's invited/present count per meeting (index-only).
            models.Index(fields=["meeting", "status"], name="attendance_meeting_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique"),
            models.CheckConstraint(
                condition=~Q(status="excused") | ~Q(reason=""),
                name="attendance_excused_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id} {self.status}"


class MeetingFile(TimeStampedModel):
    """A photo (re-encoded) or an attachment (PDF) of a meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="meetings/%Y/%m/")
    is_photo = models.BooleanField("照片", default=True)
    caption = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.file.name or "")


class MemberReview(OrgPathCopy, TimeStampedModel):
    """民主评议党员: one result per member and year, and how a 不合格 result was handled."""

    class Result(models.TextChoices):
        EXCELLENT = "excellent", "优秀"
        QUALIFIED = "qualified", "合格"
        BASICALLY_QUALIFIED = "basically_qualified", "基本合格"
        UNQUALIFIED = "unqualified", "不合格"

    class Handling(models.TextChoices):
        NONE = "", "—"
        CORRECT = "correct", "限期改正"
        PERSUADE = "persuade", "劝退"
        REMOVE = "remove", "除名"

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="reviews"
    )
    year = models.PositiveSmallIntegerField("年度")
    result = models.CharField("评议结果", max_length=24, choices=Result.choices)
    handling = models.CharField(
        "不合格处置", max_length=16, choices=Handling.choices, blank=True, default=""
    )
    handling_deadline = models.DateField("改正期限", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    meeting = models.ForeignKey(
        Meeting, verbose_name="评议会议", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "民主评议党员"
        verbose_name_plural = "民主评议党员"
        ordering = ["-year", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="review_unique_year"),
            models.CheckConstraint(
                condition=Q(handling="") | Q(result="unqualified"),
                name="review_handling_only_unqualified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.result}"
