"""积分制管理 and 党员星级评定: rule catalogues, the append-only ledger, periods, stars, 双亮.

The ledger (``PointsEntry``) is append-only: a correction is a reversing entry that points at
the entry it cancels. A balance is always ``base + sum(entries)``; ``PointsBalance`` rows
materialise it per member and period: kept current by every write while the period is open,
frozen when it closes, and always reconcilable against the ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import OrgPathCopy, TimeStampedModel


class Category(models.TextChoices):
    STUDY = "study", "学习"
    ORG_LIFE = "org_life", "组织生活"
    SERVICE = "service", "服务群众"
    ROLE = "role", "发挥作用"
    DISCIPLINE = "discipline", "遵规守纪"
    OTHER = "other", "其他"


class PeriodKind(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class PointsScheme(TimeStampedModel):
    """One year's 积分 catalogue for a county (``base``) or a township's additions (``addition``).

    ``scope`` empty = the default catalogue a county uses until it adopts its own (loaded by a
    data migration). Every number here is local practice and editable (RULES.md §6).
    """

    class Kind(models.TextChoices):
        BASE = "base", "县级方案"
        ADDITION = "addition", "乡镇补充项目"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.BASE)
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="适用范围",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="points_schemes",
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=100)
    source = models.TextField("依据", blank=True)
    is_active = models.BooleanField("启用", default=True)
    # --- numbers of a base scheme (ignored on additions) -----------------------------------
    base_points = models.DecimalField("基础分", max_digits=6, decimal_places=1, default=100)
    low_threshold = models.DecimalField(
        "预警分数线", max_digits=6, decimal_places=1, default=60, help_text="低于此分提醒书记"
    )
    board_min_members = models.PositiveSmallIntegerField(
        "张榜最少人数", default=5, help_text="人数不足时只列分数不排名次"
    )
    township_item_max_points = models.DecimalField(
        "乡镇补充项目单项分值上限", max_digits=6, decimal_places=1, default=5
    )
    township_items_max = models.PositiveSmallIntegerField("乡镇补充项目数上限", default=10)
    # 星级评定: the 100-point 评分 is prefilled from the year's balance scaled to full marks.
    star_full_marks = models.DecimalField(
        "评分满分对应积分", max_digits=6, decimal_places=1, default=120
    )
    star_publicity_days = models.PositiveSmallIntegerField("星级公示工作日", default=5)

    class Meta:
        verbose_name = "积分方案"
        verbose_name_plural = "积分方案"
        ordering = ["-year", "scope_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "year", "kind"],
                condition=Q(scope__isnull=False),
                name="points_scheme_unique_scope_year",
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(scope__isnull=True),
                name="points_scheme_unique_default_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.name}"


class PointsItem(TimeStampedModel):
    """One add or deduct item of a scheme: its amount, cap per period, and how it is recorded."""

    class Mode(models.TextChoices):
        AUTO = "auto", "系统自动"
        MANUAL = "manual", "人工登记"

    class CapPeriod(models.TextChoices):
        NONE = "", "不封顶"
        MONTH = "month", "每月"
        QUARTER = "quarter", "每季度"
        YEAR = "year", "每年"

    scheme = models.ForeignKey(
        PointsScheme, verbose_name="方案", on_delete=models.CASCADE, related_name="items"
    )
    code = models.SlugField("代码", max_length=50)
    name = models.CharField("项目", max_length=100)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    points = models.DecimalField("分值", max_digits=6, decimal_places=1, help_text="负数为扣分")
    cap_period = models.CharField(
        "封顶周期", max_length=8, choices=CapPeriod.choices, blank=True, default=""
    )
    cap_points = models.DecimalField(
        "每期封顶分值", max_digits=6, decimal_places=1, null=True, blank=True
    )
    mode = models.CharField("登记方式", max_length=8, choices=Mode.choices, default=Mode.MANUAL)
    self_report = models.BooleanField("党员可申报", default=False)
    evidence_required = models.BooleanField("须附佐证", default=False)
    is_active = models.BooleanField("启用", default=True)
    source = models.CharField("依据", max_length=200, blank=True)
    tag = models.CharField(
        "性质",
        max_length=10,
        default="local",
        help_text="reg 规定 / local 地方做法 / verify 待核实",
    )
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "积分项目"
        verbose_name_plural = "积分项目"
        ordering = ["scheme_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="points_item_unique_code"),
            models.CheckConstraint(condition=~Q(points=0), name="points_item_nonzero"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deduction(self) -> bool:
        return self.points < 0


class PointsPeriod(TimeStampedModel):
    """A month, quarter or year of a base scheme; closing it freezes the balances."""

    class State(models.TextChoices):
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结账"

    scheme = models.ForeignKey(
        PointsScheme, verbose_name="方案", on_delete=models.CASCADE, related_name="periods"
    )
    kind = models.CharField("周期", max_length=8, choices=PeriodKind.choices)
    start = models.DateField("开始")
    end = models.DateField("结束")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField("结账时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结账人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "积分周期"
        verbose_name_plural = "积分周期"
        ordering = ["scheme_id", "start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "kind", "start"], name="points_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="points_period_order"
            ),
        ]
        indexes = [models.Index(fields=["scheme", "state", "start"], name="points_period_state")]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.kind} {self.start}"


class PointsEntry(OrgPathCopy):
    """One ledger line. Never edited: a correction is a new entry with ``reverses`` set.

    ``org_path`` copies the member's branch path at the time of the entry.
    """

    class Origin(models.TextChoices):
        AUTO = "auto", "系统自动"
        CLAIM = "claim", "党员申报（已审核）"
        MANUAL = "manual", "书记登记"
        REVERSAL = "reversal", "冲正"

    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    item = models.ForeignKey(
        PointsItem, verbose_name="积分项目", on_delete=models.PROTECT, related_name="entries"
    )
    points = models.DecimalField("分值", max_digits=6, decimal_places=1)
    occurred_on = models.DateField("发生日期")
    origin = models.CharField("来源方式", max_length=10, choices=Origin.choices)
    source_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name="来源对象类型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_id = models.BigIntegerField("来源对象编号", null=True, blank=True)
    source_label = models.CharField("来源", max_length=200, blank=True)
    reason = models.CharField("事由", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name="冲正的分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = "积分分录"
        verbose_name_plural = "积分分录"
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["member", "occurred_on"], name="points_entry_member_day"),
            models.Index(fields=["org_path", "occurred_on"], name="points_entry_path_day"),
        ]
        constraints = [
            # The same source event never awards the same item twice, even when two requests
            # race: the database refuses the second insert.
            models.UniqueConstraint(
                fields=["member", "item", "source_type", "source_id"],
                condition=Q(source_id__isnull=False, reverses__isnull=True),
                name="points_entry_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.item_id} {self.points}"


class PointsBalance(OrgPathCopy):
    """A member's balance in a period: ``earned`` inside it, ``balance`` = base + year to its end.

    Open periods: the services that book an entry update these rows in the same transaction
    (every period of the year that ends on or after the entry's day; missing rows are filled
    from the ledger), so a member has a row for each period ending on or after their first entry
    of the year, and no row means "base, nothing earned". Closed periods: written by
    ``period_close`` for every member and frozen. ``points_reconcile`` checks both against the
    ledger and rebuilds open rows.
    """

    period = models.ForeignKey(
        PointsPeriod, verbose_name="周期", on_delete=models.CASCADE, related_name="balances"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.CASCADE,
        related_name="points_balances",
    )
    branch = models.ForeignKey(
        "orgs.Organization", verbose_name="党支部", on_delete=models.CASCADE, related_name="+"
    )
    earned = models.DecimalField("本期得分", max_digits=8, decimal_places=1)
    balance = models.DecimalField("期末积分", max_digits=8, decimal_places=1)
    # Frozen at the close; open periods rank live on the board.
    rank_in_branch = models.PositiveIntegerField("支部排名", null=True, blank=True)

    class Meta:
        verbose_name = "期末积分"
        verbose_name_plural = "期末积分"
        ordering = ["period_id", "org_path", "rank_in_branch"]
        constraints = [
            models.UniqueConstraint(fields=["period", "member"], name="points_balance_unique")
        ]
        indexes = [
            models.Index(fields=["period", "org_path"], name="points_balance_path"),
            # The board's top rows and its rows under the warning line: short ranges of the index.
            models.Index(fields=["period", "balance"], name="points_balance_low"),
        ]


class PointsClaim(OrgPathCopy, TimeStampedModel):
    """A member's self-report (申报) with evidence, approved or rejected by the branch."""

    class State(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "未通过"

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="points_claims",
    )
    item = models.ForeignKey(
        PointsItem, verbose_name="申报项目", on_delete=models.PROTECT, related_name="claims"
    )
    occurred_on = models.DateField("发生日期")
    description = models.CharField("情况说明", max_length=500)
    evidence = models.FileField("佐证照片", upload_to="points/%Y/%m/", blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_reason = models.CharField("审核意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "积分申报"
        verbose_name_plural = "积分申报"
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "org_path", "id"], name="points_claim_state")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.item_id} {self.get_state_display()}"


class StarBand(models.Model):
    """A star band of a base scheme: the minimum score and the share of members it may hold."""

    scheme = models.ForeignKey(
        PointsScheme, verbose_name="方案", on_delete=models.CASCADE, related_name="star_bands"
    )
    stars = models.PositiveSmallIntegerField("星级")
    min_score = models.DecimalField("最低评分", max_digits=5, decimal_places=1)
    max_ratio = models.PositiveSmallIntegerField(
        "比例上限（%）", null=True, blank=True, help_text="空为不限"
    )
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "星级档次"
        verbose_name_plural = "星级档次"
        ordering = ["scheme_id", "-stars"]
        constraints = [models.UniqueConstraint(fields=["scheme", "stars"], name="star_band_unique")]

    def __str__(self) -> str:
        return f"{self.stars}星 ≥{self.min_score}"


class StarReview(OrgPathCopy, TimeStampedModel):
    """One branch's yearly 星级评定: draft → 公示 (working days) → final."""

    class State(models.TextChoices):
        DRAFT = "draft", "评定中"
        PUBLICITY = "publicity", "公示中"
        FINAL = "final", "已生效"

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="star_reviews",
    )
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    publicity_from = models.DateField("公示开始", null=True, blank=True)
    publicity_until = models.DateField("公示截止", null=True, blank=True)
    finalized_on = models.DateField("生效日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "星级评定"
        verbose_name_plural = "星级评定"
        ordering = ["-year", "org_path"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="star_review_unique_year")
        ]
        indexes = [models.Index(fields=["state", "publicity_until"], name="star_review_due")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}"


class StarRating(OrgPathCopy):
    """One member's score and stars in a review; ``is_current`` marks the stars now shown."""

    review = models.ForeignKey(
        StarReview, verbose_name="评定", on_delete=models.CASCADE, related_name="ratings"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="star_ratings"
    )
    score = models.DecimalField("评分", max_digits=5, decimal_places=1)
    stars = models.PositiveSmallIntegerField("星级", default=0)
    capped = models.BooleanField("因比例上限降档", default=False)
    note = models.CharField("调整说明", max_length=200, blank=True)
    # Set for a member who is not rated (失联 in the rated year, points.rules); stars stay 0.
    unrated_reason = models.CharField("不参评原因", max_length=100, blank=True)
    is_current = models.BooleanField("当前星级", default=False)

    class Meta:
        verbose_name = "党员星级"
        verbose_name_plural = "党员星级"
        ordering = ["review_id", "-score", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="star_rating_unique"),
            models.UniqueConstraint(
                fields=["member"], condition=Q(is_current=True), name="star_rating_one_current"
            ),
        ]


class Commitment(OrgPathCopy, TimeStampedModel):
    """双亮 (亮身份、亮承诺): a member's public commitment for a year."""

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="commitments"
    )
    year = models.PositiveSmallIntegerField("年度")
    text = models.CharField("承诺内容", max_length=300)

    class Meta:
        verbose_name = "党员承诺"
        verbose_name_plural = "党员承诺"
        ordering = ["-year", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="commitment_unique_year")
        ]
