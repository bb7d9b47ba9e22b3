"""Residents' requests and the five-order loop (点单 → 领单 → 派单 → 晒单 → 评单).

Numbers (limits, timeouts, the reopen cap) are rows: ``RequestCategory`` like an Open311
service definition, ``PriorityLevel`` for the commonly cited 接诉即办 limits, and
``LoopRuleSet`` for the loop's own timers. All are loaded by data migrations with a source
note and are editable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "个工作日"
    HOURS = "hours", "小时"


class Priority(models.TextChoices):
    GENERAL = "general", "一般"
    COMPLEX = "complex", "复杂"
    URGENT = "urgent", "紧急"
    VERY_URGENT = "very_urgent", "特急"


class HandlingLevel(models.TextChoices):
    GRID = "grid", "网格"
    BRANCH = "branch", "支部"
    VILLAGE = "village", "村（社区）"
    TOWNSHIP = "township", "乡镇（街道）"
    COUNTY = "county", "县（区）"


RULE_TAG_HELP = "reg 规定 / local 地方做法 / verify 待核实"


class PriorityLevel(TimeStampedModel):
    """The limits for a priority when it differs from the category's default (RULES.md §5)."""

    code = models.CharField("优先级", max_length=16, choices=Priority.choices, unique=True)
    response_amount = models.PositiveIntegerField("响应时限")
    response_unit = models.CharField("响应时限单位", max_length=16, choices=LimitUnit.choices)
    completion_amount = models.PositiveIntegerField("办结时限")
    completion_unit = models.CharField("办结时限单位", max_length=16, choices=LimitUnit.choices)
    source = models.CharField("依据", max_length=300)
    tag = models.CharField("性质", max_length=10, default="verify", help_text=RULE_TAG_HELP)

    class Meta:
        verbose_name = verbose_name_plural = "诉求优先级时限"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_code_display()


class LoopRuleSet(TimeStampedModel):
    """Timers of the loop (claim timeout, warnings, rating window, reopen cap, escalation step).

    The set with the latest ``effective_from`` not after today is in force.
    """

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=20)
    effective_from = models.DateField("生效日期")
    claim_timeout_hours = models.PositiveIntegerField("领单后未办理退回时限（小时）")
    warning_hours = models.PositiveIntegerField("到期前预警（小时）")
    rating_days = models.PositiveIntegerField("评价期限（天）")
    link_valid_days = models.PositiveIntegerField("查询评价链接有效期（天）")
    reopen_limit = models.PositiveSmallIntegerField("不满意重办次数上限")
    escalation_step_working_days = models.PositiveSmallIntegerField("逾期每升一级间隔（工作日）")
    source = models.TextField("依据")
    tag = models.CharField("性质", max_length=10, default="local", help_text=RULE_TAG_HELP)

    class Meta:
        verbose_name = verbose_name_plural = "五单闭环规则"
        ordering = ["-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class RequestCategory(TimeStampedModel):
    """A kind of request, like an Open311 service definition, with its own limits."""

    code = models.CharField("类别代码", max_length=32, unique=True)
    name = models.CharField("类别名称", max_length=50)
    group = models.CharField("分组", max_length=30, blank=True)
    description = models.TextField("说明", blank=True)
    # Open311 attributes: [{"code", "label", "datatype": string|text|number|singlevaluelist,
    # "required": bool, "values": [..]}]
    extra_fields = models.JSONField("补充信息项", default=list, blank=True)
    default_level = models.CharField(
        "默认办理层级", max_length=16, choices=HandlingLevel.choices, default=HandlingLevel.GRID
    )
    default_priority = models.CharField(
        "默认优先级", max_length=16, choices=Priority.choices, default=Priority.GENERAL
    )
    response_amount = models.PositiveIntegerField("响应时限")
    response_unit = models.CharField("响应时限单位", max_length=16, choices=LimitUnit.choices)
    completion_amount = models.PositiveIntegerField("办结时限")
    completion_unit = models.CharField("办结时限单位", max_length=16, choices=LimitUnit.choices)
    photos_required = models.BooleanField("提交时须附照片", default=False)
    is_errand = models.BooleanField("红色代办", default=False)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    source = models.CharField("依据", max_length=300, blank=True)
    tag = models.CharField("性质", max_length=10, default="verify", help_text=RULE_TAG_HELP)

    class Meta:
        verbose_name = verbose_name_plural = "诉求类别"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", "待领单"
    CLAIMED = "claimed", "已领单"
    DISPATCHED = "dispatched", "已派单"
    IN_PROGRESS = "in_progress", "办理中"
    WAITING = "waiting", "待群众补充"
    ESCALATED = "escalated", "已升级督办"
    TRANSFERRED = "transferred", "已转办"
    REPORTED = "reported", "已晒单待评价"
    REOPENED = "reopened", "不满意重办"
    RATED = "rated", "已评单"
    CLOSED = "closed", "已办结"
    CLOSED_UNRESOLVED = "closed_unresolved", "未解决关闭"


class Rating(models.TextChoices):
    NONE = "", "—"
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    NOT_RATED = "not_rated", "未评价"


class CloseReason(models.TextChoices):
    NONE = "", "—"
    NOT_RESPONSIBLE = "not_responsible", "不属于职责范围"
    CANNOT_FIX = "cannot_fix", "暂无法解决"
    DUPLICATE = "duplicate", "重复诉求"
    CANCELLED = "cancelled", "群众撤回"


class Channel(models.TextChoices):
    ONLINE = "online", "群众线上提交"
    PHONE = "phone", "电话代录"
    VISIT = "visit", "上门走访代录"
    STAFF = "staff", "红色代办"


class ServiceRequest(OrgPathCopy, TimeStampedModel):
    """One resident's request, from 点单 to 评单. ``org_path`` copies the grid's organization."""

    tracking_code = models.CharField("受理编号", max_length=16, unique=True)
    category = models.ForeignKey(
        RequestCategory, verbose_name="类别", on_delete=models.PROTECT, related_name="requests"
    )
    grid = models.ForeignKey(
        "grid.Grid", verbose_name="网格", on_delete=models.PROTECT, related_name="requests"
    )
    org = models.ForeignKey(
        "orgs.Organization", verbose_name="所属党组织", on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField("诉求内容")
    address = models.CharField("地点", max_length=200, blank=True)
    # WGS-84 degrees when the source gives them (Open311 ``lat``/``long``). Exact to staff who
    # may view the request; public readers get them rounded to 3 decimals (about 100 m).
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    extra = models.JSONField("补充信息", default=dict, blank=True)

    resident_name_enc = models.TextField("群众姓名（密文）", blank=True)
    resident_name_masked = models.CharField("群众姓名", max_length=30, blank=True)
    resident_phone_enc = models.TextField("联系电话（密文）", blank=True)
    resident_phone_hash = models.CharField("联系电话（检索摘要）", max_length=64, blank=True)
    resident_phone_masked = models.CharField("联系电话", max_length=20, blank=True)

    channel = models.CharField("来源", max_length=16, choices=Channel.choices)
    consent_given = models.BooleanField("群众已同意代为登记", default=False)
    consent_note = models.CharField("同意情况说明", max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    state = models.CharField(
        "状态", max_length=20, choices=RequestState.choices, default=RequestState.SUBMITTED
    )
    priority = models.CharField("优先级", max_length=16, choices=Priority.choices)
    escalation_level = models.CharField(
        "督办层级", max_length=16, choices=HandlingLevel.choices, default=HandlingLevel.GRID
    )

    submitted_at = models.DateTimeField("点单时间")
    response_due_at = models.DateTimeField("响应期限")
    due_at = models.DateTimeField("办结期限")
    warned_at = models.DateTimeField("到期预警时间", null=True, blank=True)
    paused_at = models.DateTimeField("暂停计时时间", null=True, blank=True)
    paused_from_state = models.CharField("暂停前状态", max_length=20, blank=True)
    paused_seconds = models.PositiveIntegerField("累计暂停（秒）", default=0)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="领单人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField("领单时间", null=True, blank=True)
    first_claimed_at = models.DateTimeField("首次领单时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    first_dispatched_at = models.DateTimeField("首次派单时间", null=True, blank=True)
    members = models.ManyToManyField(
        "members.Member",
        verbose_name="承办党员",
        through="RequestAssignment",
        related_name="service_requests",
        blank=True,
    )
    reported_at = models.DateTimeField("晒单时间", null=True, blank=True)
    first_reported_at = models.DateTimeField("首次晒单时间", null=True, blank=True)
    report_count = models.PositiveSmallIntegerField("晒单次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)

    rating = models.CharField("评价", max_length=16, choices=Rating.choices, blank=True)
    rating_reasons = models.CharField("评价理由", max_length=300, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    rating_due_at = models.DateTimeField("评价期限", null=True, blank=True)
    token_hash = models.CharField("查询评价链接摘要", max_length=64, unique=True)
    token_expires_at = models.DateTimeField("链接有效期至")
    # The raw link token, Fernet-encrypted like the phone: the resident's later text messages
    # (领单, 晒单待评价 …) must carry the same private link. Empty for rows made before.
    token_enc = models.TextField("查询评价链接（密文）", blank=True)
    # The resident clicked 退订短信 on the private page: no more text messages for this request.
    sms_opt_out_at = models.DateTimeField("退订短信时间", null=True, blank=True)

    solved_at = models.DateTimeField("解决时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    # Kept at closing so time-to-close percentiles read one small integer per row.
    close_minutes = models.PositiveIntegerField("办结用时（分钟）", null=True, blank=True)
    close_reason = models.CharField(
        "关闭原因", max_length=20, choices=CloseReason.choices, blank=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "群众诉求"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # Subtree × period scans (statistics, boards) read only this index: after the two
            # range columns it carries every column the statistics count and the boards
            # filter on, so a county's year is one index scan with no table lookups (SQLite
            # has no INCLUDE; on PostgreSQL it allows index-only scans).
            models.Index(
                fields=[
                    "org_path",
                    "submitted_at",
                    "state",
                    "rating",
                    "category",
                    "due_at",
                    "response_due_at",
                    "first_claimed_at",
                    "first_dispatched_at",
                    "first_reported_at",
                    "solved_at",
                    "reopen_count",
                    "close_minutes",
                ],
                name="sr_path_stats",
            ),
            models.Index(fields=["grid", "state", "id"], name="sr_grid_state"),
            models.Index(fields=["state", "due_at"], name="sr_state_due"),
            models.Index(fields=["resident_phone_hash"], name="sr_phone_hash"),
        ]
        constraints = [
            # Solved only when not closed unresolved: closing without solving never counts.
            models.CheckConstraint(
                condition=~Q(state="closed_unresolved") | Q(solved_at__isnull=True),
                name="sr_unresolved_not_solved",
            ),
            models.CheckConstraint(condition=Q(reopen_count__lte=20), name="sr_reopen_count_sane"),
            # Both coordinates or neither, each within its range.
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="sr_location_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.category_id and self.category.name or ''}".strip()

    @property
    def is_open(self) -> bool:
        return self.state not in (
            RequestState.RATED,
            RequestState.CLOSED,
            RequestState.CLOSED_UNRESOLVED,
        )


class RequestAssignment(TimeStampedModel):
    """A member the branch dispatched the request to (派单); points are awarded once."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name="诉求", on_delete=models.CASCADE, related_name="assignments"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="派单人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    points_awarded_at = models.DateTimeField("积分已记入", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "派单党员"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "member"], name="sr_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.member_id}"


class RequestEvent(models.Model):
    """Append-only history: one row per transition or note (who, when, what, for whom)."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name="诉求", on_delete=models.CASCADE, related_name="events"
    )
    created_at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=50, blank=True)
    action = models.CharField("操作", max_length=20)
    from_state = models.CharField("原状态", max_length=20, blank=True)
    to_state = models.CharField("新状态", max_length=20, blank=True)
    # ``note`` is the full record for staff. What residents and the Open311 feed read is
    # ``public_note`` alone: the system's own wording of the step (public templates such as
    # "已派党员承办"), plus the staff member's note only when they marked it public
    # (``note_public``), screened for phone and ID numbers when written and again when read.
    note = models.TextField("说明", blank=True)
    is_public = models.BooleanField("群众可见", default=True)
    note_public = models.BooleanField("说明群众可见", default=False)
    public_note = models.TextField("群众可见说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "诉求办理记录"
        ordering = ["request_id", "id"]
        indexes = [models.Index(fields=["request", "id"], name="sr_event_request")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"

    @property
    def action_label(self) -> str:
        return EVENT_LABELS.get(self.action, self.action)

    @property
    def to_state_label(self) -> str:
        return RequestState(self.to_state).label if self.to_state in RequestState.values else ""


EVENT_LABELS = {
    "submit": "点单",
    "claim": "领单",
    "release": "退回待领",
    "dispatch": "派单",
    "start": "开始办理",
    "wait": "请群众补充",
    "resume": "恢复办理",
    "report": "晒单",
    "rate": "评单",
    "reopen": "评单（不满意）",
    "reopen_by_staff": "重新办理",
    "close": "结单",
    "close_unresolved": "未解决关闭",
    "escalate": "升级督办",
    "transfer": "转办",
    "recategorize": "调整类别",
}


class RequestPhoto(TimeStampedModel):
    """A photo re-encoded on upload: the resident's, or the member's evidence (晒单)."""

    class Stage(models.TextChoices):
        SUBMIT = "submit", "群众上传"
        REPORT = "report", "办结晒单"

    request = models.ForeignKey(
        ServiceRequest, verbose_name="诉求", on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField("环节", max_length=10, choices=Stage.choices)
    round = models.PositiveSmallIntegerField("晒单轮次", default=0)
    file = models.FileField("照片", upload_to="requests/%Y/%m/")
    # Staff tick 对群众公开 when uploading a 晒单 photo; only then does the resident see it
    # through the private link (``public_requests:photo``). Internal by default.
    public = models.BooleanField("对群众公开", default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "诉求照片"
        ordering = ["request_id", "id"]

    def __str__(self) -> str:
        return str(self.file.name or "")


class ResidentNotice(models.Model):
    """A text message to the resident about one history entry (点单, 领单, 晒单 …).

    One per event at most (the event is the unique key), so a retried delivery never texts
    twice. The body is not stored: it carries the private link, which is rebuilt when sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        OPTED_OUT = "opted_out", "群众已退订，未发送"
        LIMITED = "limited", "超过发送频次，未发送"
        FAILED = "failed", "发送失败"

    request = models.ForeignKey(
        ServiceRequest, verbose_name="诉求", on_delete=models.CASCADE, related_name="notices"
    )
    event = models.OneToOneField(
        RequestEvent, verbose_name="办理记录", on_delete=models.CASCADE, related_name="notice"
    )
    action = models.CharField("操作", max_length=20)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    created_at = models.DateTimeField("时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "群众短信通知"
        ordering = ["request_id", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="sr_notice_status")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.status}"
