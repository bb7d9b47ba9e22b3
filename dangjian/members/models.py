from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class CodeItem(models.Model):
    """One entry of a national code table (性别, 民族, 学历, 婚姻, 工作岗位 …), loaded by migration."""

    class Table(models.TextChoices):
        SEX = "sex", "性别（GB/T 2261.1）"
        ETHNICITY = "ethnicity", "民族（GB/T 3304）"
        EDUCATION = "education", "学历（GB/T 4658 + 党校）"
        MARITAL = "marital", "婚姻状况（GB/T 2261.2）"
        JOB = "job", "工作岗位（党统）"
        PARTY_POST = "party_post", "党内职务"
        HEALTH = "health", "健康状况（GB/T 2261.3）"
        DEGREE = "degree", "学位"
        INCREASE = "increase", "党员增加原因（党统）"
        DECREASE = "decrease", "党员减少原因（党统）"

    table = models.CharField("代码表", max_length=20, choices=Table.choices)
    code = models.CharField("代码", max_length=10)
    label = models.CharField("名称", max_length=60)
    parent_code = models.CharField("上级代码", max_length=10, blank=True)
    # 党统 table 4 groups for education; "minority" etc. are derived in rules.py.
    group = models.CharField("统计分组", max_length=20, blank=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "代码表项"
        verbose_name_plural = "代码表"
        ordering = ["table", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="codeitem_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Member(OrgPathCopy, TimeStampedModel):
    """A party member: the national 16-item record plus the fields real systems keep.

    ``org_path`` copies the branch's path so every subtree list is one range predicate.
    公民身份号码 and the mobile number are stored encrypted, with a keyed hash for exact lookup
    and a masked form for display.
    """

    class Category(models.TextChoices):
        FULL = "full", "正式党员"
        PROBATIONARY = "probationary", "预备党员"

    class Standing(models.TextChoices):
        NORMAL = "normal", "正常"
        SUSPENDED = "suspended", "停止党籍"

    class Status(models.TextChoices):
        CURRENT = "current", "在册"
        TRANSFERRING = "transferring", "转接中"
        FORMER = "former", "历史库"

    # --- the national 16 items --------------------------------------------------------------
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=2)
    ethnicity = models.CharField("民族", max_length=2)
    id_number_enc = models.TextField("公民身份号码（密文）")
    id_number_hash = models.CharField("公民身份号码（检索摘要）", max_length=64)
    id_number_masked = models.CharField("公民身份号码", max_length=18)
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=4)
    category = models.CharField("人员类别", max_length=16, choices=Category.choices)
    branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所在党支部",
        on_delete=models.PROTECT,
        related_name="members",
    )
    joined_on = models.DateField("加入党组织日期")
    full_member_on = models.DateField("转为正式党员日期", null=True, blank=True)
    job = models.CharField("工作岗位", max_length=6)
    mobile_enc = models.TextField("联系电话（密文）", blank=True)
    mobile_hash = models.CharField("联系电话（检索摘要）", max_length=64, blank=True)
    mobile_masked = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("家庭住址", max_length=200, blank=True)
    standing = models.CharField(
        "党籍状态", max_length=16, choices=Standing.choices, default=Standing.NORMAL
    )
    lost_contact = models.BooleanField("是否失联", default=False)
    lost_contact_since = models.DateField("失联日期", null=True, blank=True)
    is_mobile = models.BooleanField("是否流动党员", default=False)
    mobile_destination = models.CharField("外出流向", max_length=100, blank=True)
    mobile_reason = models.CharField("外出原因", max_length=100, blank=True)
    mobile_since = models.DateField("外出日期", null=True, blank=True)
    mobile_branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name="管理的流动党支部",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mobile_members",
    )

    # The member's own login (党员 role), for check-in, the passbook and self-service.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_record",
    )

    # --- placement and other status ---------------------------------------------------------
    group = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党小组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_members",
    )
    is_retired = models.BooleanField("离退休", default=False)
    checkin_community = models.ForeignKey(
        "orgs.Organization",
        verbose_name="报到社区",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checked_in_members",
    )
    checkin_since = models.DateField("报到日期", null=True, blank=True)
    status = models.CharField(
        "在册状态", max_length=16, choices=Status.choices, default=Status.CURRENT
    )
    left_on = models.DateField("减少日期", null=True, blank=True)
    leave_reason = models.CharField("减少原因", max_length=6, blank=True)

    # --- extended record --------------------------------------------------------------------
    name_initials = models.CharField("姓名拼音首字母", max_length=20, blank=True)
    native_place = models.CharField("籍贯", max_length=50, blank=True)
    work_started_on = models.DateField("参加工作日期", null=True, blank=True)
    marital = models.CharField("婚姻状况", max_length=4, blank=True)
    health = models.CharField("健康状况", max_length=4, blank=True)
    degree = models.CharField("学位", max_length=4, blank=True)
    major = models.CharField("专业", max_length=50, blank=True)
    school = models.CharField("毕业院校", max_length=100, blank=True)
    party_post = models.CharField("党内职务", max_length=6, blank=True)
    admin_post = models.CharField("行政职务", max_length=50, blank=True)
    is_hardship = models.BooleanField("困难党员", default=False)
    is_migrant_worker = models.BooleanField("农民工党员", default=False)
    is_new_social_class = models.BooleanField("新社会阶层", default=False)
    is_taiwan = models.BooleanField("台湾省籍", default=False)
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["org_path", "id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="member_path_id"),
            models.Index(fields=["id_number_hash"], name="member_id_hash"),
            models.Index(fields=["mobile_hash"], name="member_mobile_hash"),
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            models.Index(fields=["name_initials"], name="member_initials"),
        ]
        constraints = [
            # One current record per person: a 历史库 row may share the ID of a later return.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(status="former"),
                name="member_unique_current_id",
            ),
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True)
                | Q(full_member_on__gte=models.F("joined_on")),
                name="member_full_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberEvent(OrgPathCopy):
    """One entry on a member's timeline, classified by the 党统 increase/decrease reasons."""

    class Kind(models.TextChoices):
        ADMITTED = "admitted", "录入"
        UPDATED = "updated", "信息变更"
        CATEGORY = "category", "转为正式党员"
        PLACEMENT = "placement", "组织关系调整"
        STANDING = "standing", "党籍状态变化"
        LOST_CONTACT = "lost_contact", "失联"
        CONTACT_RESTORED = "contact_restored", "恢复联系"
        MOBILE = "mobile", "外出流动"
        MOBILE_END = "mobile_end", "结束流动"
        RETIRED = "retired", "离退休"
        CHECKIN = "checkin", "到社区报到"
        TRANSFER_OUT = "transfer_out", "组织关系转出"
        TRANSFER_IN = "transfer_in", "组织关系转入"
        LEFT = "left", "减少（转入历史库）"
        RESTORED = "restored", "恢复党籍"
        REVIEW = "review", "民主评议处置"
        REVEALED = "revealed", "查看敏感信息"

    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    occurred_on = models.DateField("发生日期")
    increase_reason = models.CharField("增加原因", max_length=6, blank=True)
    decrease_reason = models.CharField("减少原因", max_length=6, blank=True)
    summary = models.CharField("摘要", max_length=200)
    details = models.JSONField("详情", default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "党员动态"
        verbose_name_plural = "党员动态"
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["member", "occurred_on"], name="memberevent_member"),
            models.Index(fields=["org_path", "occurred_on"], name="memberevent_path"),
        ]

    def __str__(self) -> str:
        return self.summary


class MemberPlacement(OrgPathCopy):
    """One stretch of time a member's organizational relationship sat in one branch.

    ``since`` is the first day in the branch; ``until`` the first day no longer in it (a transfer's
    回执 date, the 减少 date, the day of a placement change), open while the member is still
    there. Compliance reads these to count a branch's full members on a past day; ``org_path``
    copies the branch's path (rewritten when the branch moves).
    """

    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="placements"
    )
    branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="member_placements",
    )
    since = models.DateField("编入日期")
    until = models.DateField("调离日期", null=True, blank=True)

    class Meta:
        verbose_name = "党员编入记录"
        verbose_name_plural = "党员编入记录"
        ordering = ["member", "since", "id"]
        indexes = [
            # Path and since lead; until, branch and member cover compliance's timeline query.
            models.Index(
                fields=["org_path", "since", "until", "branch", "member"],
                name="placement_path_cover",
            ),
            models.Index(fields=["member", "until"], name="placement_member_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="placement_until_after_since",
            ),
            # At most one open placement per member.
            models.UniqueConstraint(
                fields=["member"], condition=Q(until__isnull=True), name="placement_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.branch_id} {self.since}–{self.until or ''}"


class DossierRequirement(TimeStampedModel):
    """A document every member's dossier should contain (configurable list)."""

    name = models.CharField("材料名称", max_length=50, unique=True)
    applies_to_probationary = models.BooleanField("预备党员也需要", default=True)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "档案必备材料"
        verbose_name_plural = "档案必备材料"
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class DossierItem(TimeStampedModel):
    """Whether one member's dossier holds one required document (and an optional scan)."""

    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="dossier_items"
    )
    requirement = models.ForeignKey(
        DossierRequirement, verbose_name="材料", on_delete=models.CASCADE, related_name="items"
    )
    present = models.BooleanField("已归档", default=False)
    scan = models.FileField("扫描件", upload_to="dossiers/%Y/", blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "档案材料"
        verbose_name_plural = "档案材料"
        ordering = ["member_id", "requirement__sort"]
        constraints = [
            models.UniqueConstraint(fields=["member", "requirement"], name="dossier_unique")
        ]
        # The dossier alert counts a member's present items from the index alone (stats.py).
        indexes = [
            models.Index(fields=["member", "present", "requirement"], name="dossier_member_present")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.requirement_id}"


class MemberStat(OrgPathCopy):
    """Rollup: members of one branch by one dimension value, kept in step by member writes.

    Dimensions whose value moves with time (age, party age) are stored as birth/join years and
    banded at query time, so the rollup never goes stale as people grow older.
    """

    branch_id = models.BigIntegerField("党支部")
    dimension = models.CharField("维度", max_length=20)
    value = models.CharField("取值", max_length=20)
    count = models.IntegerField("人数", default=0)

    class Meta:
        verbose_name = "党员统计汇总"
        verbose_name_plural = "党员统计汇总"
        ordering = ["org_path", "dimension", "value"]
        indexes = [
            models.Index(fields=["org_path", "dimension"], name="memberstat_path_dim"),
            # Covers the dashboard sum: a range on org_path per (dimension, value), index-only.
            models.Index(
                fields=["dimension", "value", "org_path", "count"], name="memberstat_dim_cover"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch_id", "dimension", "value"], name="memberstat_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.dimension}={self.value}: {self.count}"
